package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cross-border transfer (PIPL Art. 38/39). The owner declares, in an org setting every device
// receives, where the hub and the owner's laptops are. When a shop is in mainland China (its
// region is CN) and any of them is declared elsewhere, the rows of that shop's customers (the
// customer, their bikes, work orders and their lines, consents) leave this device, in
// change-sets and in compaction snapshots, only once the customer has a current consent for
// cross_border_transfer; the others stay on this device. Their sales go out as business data
// but without the customer's id (a sale naming a customer the receiver cannot hold would be
// refused there). When the consent is granted later, or the declaration changes so the shop's
// data no longer goes abroad, this device's writes of those rows take new local sequence
// numbers (their clocks, and so the merge, are unchanged), so "rows written since N" finds them
// and the next sync sends them, and the sales' customer ids are written again.

// The org settings of the transfer declaration.
const (
	settingHubCountry     = "transfer.hub_country"
	settingOwnerCountries = "transfer.owner_countries"
)

// TransferSetting is where the hub and the owner's laptops are, as the owner declared it.
type TransferSetting struct {
	HubCountry     string    `json:"hub_country,omitempty"`     // ISO 3166-1 alpha-2; "" not declared
	OwnerCountries []string  `json:"owner_countries,omitempty"` // where the owner's laptops are
	SetBy          string    `json:"set_by,omitempty"`          // username
	SetAt          time.Time `json:"set_at,omitzero"`
	// KeptLocal lists the shops (ids) whose customers' data leaves their devices only with
	// the customer's consent to the transfer.
	KeptLocal []string `json:"kept_local,omitempty"`
}

// settingID is an org setting's row id: the same on every device, so two owner devices that
// set it concurrently write one row, which merges field by field.
func settingID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("spoke:org-setting:"+name)).String()
}

// orgSettings reads the org settings, each row authenticated.
func (s *Store) orgSettings(ctx context.Context, q querier) (map[string]string, *TransferSetting, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, value, set_by, set_at FROM org_settings ORDER BY name")
	if err != nil {
		return nil, nil, err
	}
	vals := map[string]string{}
	var ids []string
	ts := &TransferSetting{}
	var newest int64
	var by string
	for rows.Next() {
		var id, name, v, setBy string
		var at int64
		if err := rows.Scan(&id, &name, &v, &setBy, &at); err != nil {
			rows.Close()
			return nil, nil, err
		}
		vals[name] = v
		ids = append(ids, id)
		if at > newest {
			newest, by = at, setBy
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if err := s.checkRow(ctx, q, tables["org_settings"], id); err != nil {
			return nil, nil, err
		}
	}
	ts.HubCountry = vals[settingHubCountry]
	if v := vals[settingOwnerCountries]; v != "" {
		ts.OwnerCountries = strings.Split(v, ",")
	}
	if newest > 0 {
		ts.SetAt, ts.SetBy = time.UnixMilli(newest), by
	}
	return vals, ts, nil
}

// restrictedShops returns the shops whose customers' data goes abroad only with their
// consent: mainland-China shops when the hub or an owner laptop is declared elsewhere.
func (s *Store) restrictedShops(ctx context.Context, q querier) (map[string]bool, error) {
	_, ts, err := s.orgSettings(ctx, q)
	if err != nil {
		return nil, err
	}
	abroad := ts.HubCountry != "" && ts.HubCountry != "CN"
	for _, c := range ts.OwnerCountries {
		abroad = abroad || c != "CN"
	}
	if !abroad {
		return nil, nil
	}
	ids, err := queryStrings(ctx, q, "SELECT id FROM shops WHERE upper(region) = 'CN' ORDER BY id")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// noTransferSQL selects, among customers c, those without a current consent to the transfer.
const noTransferSQL = `COALESCE((SELECT k.granted FROM consents k WHERE k.customer_id = c.id AND k.purpose = 'cross_border_transfer' AND k.channel = 'any'
	ORDER BY k.at DESC, k.id DESC LIMIT 1), 0) = 0`

// customerRowsSQL selects the ids of every row of the customers h(id): the customer, bikes,
// work orders and their lines, consents. (Sales are business records and go out.)
const customerRowsSQL = `SELECT id FROM h
	UNION ALL SELECT b.id FROM bikes b JOIN h ON h.id = b.customer_id
	UNION ALL SELECT w.id FROM work_orders w JOIN h ON h.id = w.customer_id
	UNION ALL SELECT l.id FROM work_order_lines l JOIN work_orders w ON w.id = l.work_order_id JOIN h ON h.id = w.customer_id
	UNION ALL SELECT k.id FROM consents k JOIN h ON h.id = k.customer_id`

// heldSet is what this device keeps back from change-sets and snapshots: the rows (by their
// 16-byte keys) of customers without consent to the transfer, and those customers' ids.
type heldSet struct {
	rows      map[string]bool
	customers map[string]bool
}

// has reports whether the row with clock key k stays here.
func (h *heldSet) has(k []byte) bool { return h != nil && h.rows[string(k)] }

// strips reports whether a record is a sale's customer id of a customer kept here: the sale
// goes out without it.
func (h *heldSet) strips(r ChangeRecord) bool {
	if h == nil || r.Table != "sales" || r.Column != "customer_id" {
		return false
	}
	id, ok := r.Value.(string)
	return ok && h.customers[id]
}

// heldBack computes the held set as the rows stand in q, or nil when nothing is held (no shop
// whose data goes abroad only with consent: the common case costs one small read).
func (s *Store) heldBack(ctx context.Context, q querier) (*heldSet, error) {
	shops, err := s.restrictedShops(ctx, q)
	if err != nil || len(shops) == 0 {
		return nil, err
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range shops {
			if !yield(id) {
				return
			}
		}
	})
	h := &heldSet{rows: map[string]bool{}, customers: map[string]bool{}}
	cte := "WITH h(id) AS (SELECT c.id FROM customers c WHERE c.shop_id IN (" + placeholders(len(ids)) + ") AND " + noTransferSQL + ") "
	custs, err := queryStrings(ctx, q, cte+"SELECT id FROM h", anys(ids)...)
	if err != nil {
		return nil, err
	}
	if len(custs) == 0 {
		return nil, nil
	}
	for _, c := range custs {
		h.customers[c] = true
	}
	rows, err := queryStrings(ctx, q, cte+customerRowsSQL, anys(ids)...)
	if err != nil {
		return nil, err
	}
	for _, id := range rows {
		if k, err := rowKeyOf(id); err == nil {
			h.rows[string(k)] = true
		}
	}
	return h, nil
}

// TransferSetting returns the declaration and the shops it keeps data local for (business
// data: every signed-in user may read it).
func (ss *Session) TransferSetting(ctx context.Context) (TransferSetting, error) {
	_, ts, err := ss.s.orgSettings(ctx, ss.s.db)
	if err != nil {
		return TransferSetting{}, err
	}
	ts.SetBy = ss.s.username(ctx, ts.SetBy)
	shops, err := ss.s.restrictedShops(ctx, ss.s.db)
	if err != nil {
		return TransferSetting{}, err
	}
	ts.KeptLocal = slices.Sorted(func(yield func(string) bool) {
		for id := range shops {
			if !yield(id) {
				return
			}
		}
	})
	return *ts, nil
}

// validCountry reports whether c is an ISO 3166-1 alpha-2 code in capitals.
func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// SetTransferSetting declares where the hub and the owner's laptops are (owner only, on an
// owner device: it is org data every device applies). A mainland-China shop's customers' rows
// then stay on its devices unless the customer consents to the transfer; a declaration that
// no longer sends a shop's data abroad sends what was kept back with the next sync. Audited
// "transfer.setting" with the countries and how many customers' rows were released.
func (ss *Session) SetTransferSetting(ctx context.Context, in TransferSetting) error {
	hub := strings.ToUpper(strings.TrimSpace(in.HubCountry))
	var owners []string
	for _, c := range in.OwnerCountries {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" && !slices.Contains(owners, c) {
			owners = append(owners, c)
		}
	}
	slices.Sort(owners)
	var ve ValidationError
	if hub != "" && !validCountry(hub) {
		ve.add("hub_country", "must be a two-letter country code like DE or CN")
	}
	for _, c := range owners {
		if !validCountry(c) {
			ve.add("owner_countries", "must be two-letter country codes like DE or CN")
			break
		}
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	return ss.write(ctx, "transfer.setting", func(w *wtx) error {
		w.audit.Target = OrgScope
		if _, err := w.allow(ss, OpDevices, target{any: true}); err != nil {
			return err
		}
		before, err := w.s.restrictedShops(w.ctx, w.tx)
		if err != nil {
			return err
		}
		for _, kv := range [][2]string{{settingHubCountry, hub}, {settingOwnerCountries, strings.Join(owners, ",")}} {
			if err := w.putSetting(ss.user.ID, kv[0], kv[1]); err != nil {
				return err
			}
		}
		n, err := w.releaseLifted(before)
		if err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("hub=%s owners=%s released=%d", hub, strings.Join(owners, ","), n)
		return nil
	})
}

// putSetting writes one org setting if its value changed, and records the change
// (settingChanged). Every org setting is written through it.
func (w *wtx) putSetting(userID, name, value string) error {
	id := settingID(name)
	var cur string
	err := w.tx.QueryRowContext(w.ctx, "SELECT value FROM org_settings WHERE id = ?", id).Scan(&cur)
	switch {
	case err == nil && cur == value:
		return nil
	case err == nil:
		w.settingChanged(name, cur, value)
		return w.update("org_settings", OrgScope, id, []col{plain("value", value), plain("set_by", userID), plain("set_at", w.now)})
	case errors.Is(err, sql.ErrNoRows):
		w.settingChanged(name, "", value)
		return w.insert("org_settings", OrgScope, id, []col{plain("name", name), plain("value", value), plain("set_by", userID), plain("set_at", w.now)})
	}
	return err
}

// releaseLifted releases the kept-back customers of the shops that were restricted before and
// are no longer, and returns how many customers it released.
func (w *wtx) releaseLifted(before map[string]bool) (int, error) {
	if len(before) == 0 {
		return 0, nil
	}
	now, err := w.s.restrictedShops(w.ctx, w.tx)
	if err != nil {
		return 0, err
	}
	var ids []string
	for shop := range before {
		if now[shop] {
			continue
		}
		c, err := queryStrings(w.ctx, w.tx, "SELECT c.id FROM customers c WHERE c.shop_id = ? AND "+noTransferSQL, shop)
		if err != nil {
			return 0, err
		}
		ids = append(ids, c...)
	}
	return len(ids), w.release(ids)
}

// releaseIfHeld releases a customer whose consent to the transfer was just recorded, when it
// is now current and their shop's data goes abroad only with it.
func (w *wtx) releaseIfHeld(c *custRow) error {
	shops, err := w.s.restrictedShops(w.ctx, w.tx)
	if err != nil || !shops[c.shopID] {
		return err
	}
	cur, err := currentOf(w.ctx, w.tx, c.id, PurposeCrossBorder, ChannelAny)
	if err != nil || cur == nil || !cur.Granted {
		return err
	}
	return w.release([]string{c.id})
}

// release makes this device send the customers' rows again: every row of theirs this device
// wrote a cell of takes a new local sequence (for the row's version and for the cells this
// device wrote; the clocks' stamps stay, so receivers merge exactly as before and count rows
// they hold as duplicates), and a sale's customer id this device wrote is written anew (a
// receiver holds the sale without it, under the sale's own stamp).
func (w *wtx) release(customers []string) error {
	if len(customers) == 0 {
		return nil
	}
	me, err := w.devN(w.s.deviceID)
	if err != nil {
		return err
	}
	for len(customers) > 0 {
		n := min(len(customers), idChunk)
		chunk := customers[:n]
		customers = customers[n:]
		cte := "WITH h(id) AS (SELECT id FROM customers WHERE id IN (" + placeholders(n) + ")) "
		ids, err := queryStrings(w.ctx, w.tx, cte+customerRowsSQL, anys(chunk)...)
		if err != nil {
			return err
		}
		if err := w.reversion(ids, me); err != nil {
			return err
		}
		if err := w.rewriteSaleCustomers(chunk, me); err != nil {
			return err
		}
	}
	return nil
}

// reversion gives the rows this device wrote a cell of a new local sequence (see release).
func (w *wtx) reversion(ids []string, me int64) error {
	keys := make([][]byte, 0, len(ids))
	for _, id := range ids {
		k, err := rowKeyOf(id)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	clocks, err := readClocks(w.ctx, w.tx, keys)
	if err != nil {
		return err
	}
	for i, k := range keys {
		rc := clocks[string(k)]
		if rc == nil || rc.flags&flagTerminal != 0 {
			continue // inserted by this transaction (its clock is new anyway), or gone for good
		}
		mine := rc.base.dev == me
		for _, c := range rc.cells {
			mine = mine || c.dev == me
		}
		if !mine {
			continue // another device's rows: it sends them itself
		}
		// The row must be what this device wrote before it is MAC'd anew.
		if err := w.guard(rc.table, ids[i]); err != nil {
			return err
		}
		seq := w.nextSeq()
		if err := w.exec1("UPDATE row_clocks SET seq = ?1, base_seq = CASE WHEN dev = ?2 THEN ?1 ELSE base_seq END WHERE id = ?3", seq, me, k); err != nil {
			return fmt.Errorf("row clock: %w", err)
		}
		if err := w.exec1("UPDATE cell_clocks SET seq = ?1 WHERE id = ?2 AND dev = ?3", seq, k, me); err != nil {
			return fmt.Errorf("cell clock: %w", err)
		}
		// Its MAC covers the clock: sealRows renews it with the rows the transaction wrote.
		if err := w.exec1("INSERT OR IGNORE INTO temp.touched(t, id) VALUES(?, ?)", tableCode(rc.table), ids[i]); err != nil {
			return err
		}
	}
	return nil
}

// rewriteSaleCustomers writes anew the customer id of the customers' sales whose customer id
// this device wrote.
func (w *wtx) rewriteSaleCustomers(customers []string, me int64) error {
	rows, err := w.tx.QueryContext(w.ctx, "SELECT id, shop_id, customer_id FROM sales WHERE customer_id IN ("+placeholders(len(customers))+")", anys(customers)...)
	if err != nil {
		return err
	}
	type sale struct{ id, shop, customer string }
	var sales []sale
	for rows.Next() {
		var s sale
		if err := rows.Scan(&s.id, &s.shop, &s.customer); err != nil {
			rows.Close()
			return err
		}
		sales = append(sales, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	code, _ := colCode(tables["sales"], "customer_id")
	for _, s := range sales {
		k, err := rowKeyOf(s.id)
		if err != nil {
			return err
		}
		cl, err := readClocks(w.ctx, w.tx, [][]byte{k})
		if err != nil {
			return err
		}
		if rc := cl[string(k)]; rc == nil || rc.cellClock(code).dev != me {
			continue
		}
		if err := w.update("sales", s.shop, s.id, []col{plain("customer_id", s.customer)}); err != nil {
			return err
		}
	}
	return nil
}

// transferBefore, for a set that writes org settings, is the restricted shops before it
// merges (releaseMerged compares); nil and false otherwise.
func (a *applier) transferBefore(recs []ChangeRecord) (map[string]bool, bool, error) {
	if !slices.ContainsFunc(recs, func(r ChangeRecord) bool { return r.Table == "org_settings" }) {
		return nil, false, nil
	}
	m, err := a.s.restrictedShops(a.ctx, a.tx)
	return m, true, err
}

// releaseMerged releases what a merged set lets go: the customers whose consent to the
// transfer it brought (granted on another device: this device sends its own kept-back writes
// of them), and, when it changed the declaration, the shops no longer restricted.
// It returns how many customers it released.
func (a *applier) releaseMerged(touched map[string]map[string]bool, before map[string]bool, settings bool) (int, error) {
	n := 0
	if settings {
		var err error
		if n, err = a.releaseLifted(before); err != nil {
			return 0, err
		}
	}
	if len(touched["consents"]) == 0 {
		return n, nil
	}
	shops, err := a.s.restrictedShops(a.ctx, a.tx)
	if err != nil || len(shops) == 0 {
		return n, err
	}
	seen := map[string]bool{}
	var ids []string
	for id := range touched["consents"] {
		var cust, shop, purpose string
		err := a.queryRow("SELECT customer_id, shop_id, purpose FROM consents WHERE id = ?", []any{id}, &cust, &shop, &purpose)
		if errors.Is(err, sql.ErrNoRows) {
			continue // erased with its customer in this very set
		}
		if err != nil {
			return 0, err
		}
		if purpose != string(PurposeCrossBorder) || !shops[shop] || seen[cust] {
			continue
		}
		seen[cust] = true
		cur, err := currentOf(a.ctx, a.tx, cust, PurposeCrossBorder, ChannelAny)
		if err != nil {
			return 0, err
		}
		if cur != nil && cur.Granted {
			ids = append(ids, cust)
		}
	}
	slices.Sort(ids)
	return n + len(ids), a.release(ids)
}

// TransferKeptLocal reports whether a customer's data stays on this shop's devices: their shop
// is in mainland China, the hub or an owner laptop is declared abroad, and they have no current
// consent to the transfer (PIPL Art. 39). Whoever may open the customer may ask.
func (ss *Session) TransferKeptLocal(ctx context.Context, customerID string) (bool, error) {
	c, err := ss.s.loadCust(ctx, ss.s.db, customerID)
	if err != nil {
		return false, err
	}
	if _, err := ss.view(ctx, c); err != nil {
		return false, ErrNotFound
	}
	shops, err := ss.s.restrictedShops(ctx, ss.s.db)
	if err != nil || !shops[c.shopID] {
		return false, err
	}
	cur, err := currentOf(ctx, ss.s.db, c.id, PurposeCrossBorder, ChannelAny)
	return err == nil && (cur == nil || !cur.Granted), err
}
