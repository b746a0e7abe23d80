package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The bulk customer export and the bulk delete (issue 13): an owner (any shop) or a shop's
// manager (their shop) takes the customers they may see as CSV, or deletes several at once.
// Over the org's limits (BulkLimits) neither runs at once: it becomes a held request
// (holds.go) that a second person with the grant approves. Both are sensitive: the password
// must be fresh (reauth.go). The CSV is made here, in memory; a front end writes it to a file,
// or seals it with age (compliance/subject.Seal) for the "age" format.

// ExportFilter selects the customers of a bulk export. ShopID empty: every shop the user may
// see (the owner: all; a manager: their own). OwnerID: only that salesperson's customers.
type ExportFilter struct {
	ShopID  string `json:"shop_id,omitempty"`
	OwnerID string `json:"owner_id,omitempty"`
}

// ExportFormats are the formats a bulk export is written in: plain CSV, or the CSV in a zip
// sealed with age under a generated passphrase.
var ExportFormats = []string{"csv", "age"}

// ExportColumns are the CSV's columns, in order.
var ExportColumns = []string{"id", "shop_id", "owner", "name", "email", "phone", "address", "birthday", "created_at", "bikes", "consents"}

// BulkResult is what a bulk export or delete did: ran (CSV and Count, or Deleted), or was
// held (Held: the request, for a second approver or the delay).
type BulkResult struct {
	Held    *BulkHold `json:"held,omitempty"`
	Count   int       `json:"count"`
	CSV     []byte    `json:"-"`
	Deleted int       `json:"deleted,omitempty"`
}

// ErrHoldOneShop means a bulk action over the limit spans shops: a held request is one shop's,
// approved by that shop's manager or an owner.
var ErrHoldOneShop = errors.New("this selection is over the bulk limit and spans several shops: choose one shop (--shop), and a second person approves it")

// exportRows selects what f names among the customers the user may export, after checking the
// bulk grant (denials audited under action).
func (ss *Session) exportRows(ctx context.Context, f ExportFilter, action string) ([]*custRow, error) {
	if _, err := ss.require(ctx, OpBulk, target{any: true}, action, f.ShopID); err != nil {
		return nil, err
	}
	g, ok := ss.permits(OpCustomerPIIOwn, target{any: true})
	if !ok || (g != All && g != ShopOnly) {
		return nil, ErrForbidden
	}
	if g == ShopOnly {
		if f.ShopID != "" && f.ShopID != ss.user.ShopID {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: f.ShopID, Outcome: "denied"})
			return nil, ErrForbidden
		}
		f.ShopID = ss.user.ShopID
	}
	q, args := "SELECT "+custCols+" FROM customers WHERE deleted_at = 0", []any{}
	if f.ShopID != "" {
		q, args = q+" AND shop_id = ?", append(args, f.ShopID)
	}
	if f.OwnerID != "" {
		q, args = q+" AND owner_id = ?", append(args, f.OwnerID)
	}
	rows, err := queryCusts(ctx, ss.s.db, q+" ORDER BY shop_id, created_at, id", args...)
	if err != nil {
		return nil, err
	}
	for _, c := range rows {
		if err := ss.s.checkRow(ctx, ss.s.db, tables["customers"], c.id); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// ExportCustomers exports the customers f selects (owner: any shop; manager: their shop). Up
// to the export limit it returns the CSV at once, audited customer.export with count=N; over
// it, the request is held (BulkResult.Held) and runs later with RunHold. format ("csv" or
// "age") is recorded in the audit entry; sealing is the caller's.
func (ss *Session) ExportCustomers(ctx context.Context, f ExportFilter, format string) (*BulkResult, error) {
	if !slices.Contains(ExportFormats, format) {
		return nil, &ValidationError{Fields: []FieldError{{Field: "format", Reason: "must be csv or age"}}}
	}
	if err := ss.fresh(ctx, "customer.export", f.ShopID); err != nil {
		return nil, err
	}
	rows, err := ss.exportRows(ctx, f, "customer.export")
	if err != nil {
		return nil, err
	}
	lim, err := ss.s.bulkLimits(ctx)
	if err != nil {
		return nil, err
	}
	if len(rows) > lim.Export {
		shop := f.ShopID
		if shop == "" && ss.user.Has(RoleManager) && !ss.user.Has(RoleOwner) {
			shop = ss.user.ShopID
		}
		if shop == "" {
			return nil, ErrHoldOneShop
		}
		h, err := ss.askHold(ctx, HoldExport, shop, encodeSelection(selection{shop: shop, owner: f.OwnerID}), len(rows), format)
		if err != nil {
			return nil, err
		}
		return &BulkResult{Held: h, Count: len(rows)}, nil
	}
	data, err := ss.s.exportCSV(ctx, rows)
	if err != nil {
		return nil, err
	}
	err = ss.write(ctx, "customer.export", func(w *wtx) error {
		w.audit.Target = f.ShopID
		if _, err := w.allow(ss, OpBulk, target{any: true}); err != nil {
			return err
		}
		w.audit.Detail = exportDetail(rows, format, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &BulkResult{Count: len(rows), CSV: data}, nil
}

// exportDetail is a customer.export entry's detail: count=N (what the detector reads), the
// format, the hold that allowed it, and the ids when there are only a few.
func exportDetail(rows []*custRow, format, hold string) string {
	d := fmt.Sprintf("count=%d format=%s", len(rows), format)
	if hold != "" {
		d += " hold=" + hold
	}
	if len(rows) <= 5 {
		ids := make([]string, len(rows))
		for i, c := range rows {
			ids[i] = c.id
		}
		d += " ids=" + strings.Join(ids, ",")
	}
	return d
}

// exportCSV writes the rows' CSV: contact fields, a bikes summary (make, model, year: no
// serials) and the consent state per purpose and channel. A cell that a spreadsheet would take
// for a formula is prefixed with a quote.
func (s *Store) exportCSV(ctx context.Context, rows []*custRow) ([]byte, error) {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if err := cw.Write(ExportColumns); err != nil {
		return nil, err
	}
	owners := map[string]string{}
	for _, c := range rows {
		o, err := s.openFields(ctx, c, fieldsAll, false)
		if err != nil {
			return nil, err
		}
		bikes, err := s.bikesOf(ctx, c, true)
		if err != nil {
			return nil, err
		}
		var bs []string
		for _, bk := range bikes {
			t := strings.TrimSpace(bk.Make + " " + bk.Model)
			if bk.Year > 0 {
				t += " (" + strconv.Itoa(bk.Year) + ")"
			}
			bs = append(bs, t)
		}
		evs, err := s.consentsOf(ctx, s.db, c.id)
		if err != nil {
			return nil, err
		}
		var cs []string
		for _, st := range currentStates(evs) {
			v := "no"
			if st.Granted {
				v = "yes"
			}
			cs = append(cs, string(st.Purpose)+"/"+string(st.Channel)+"="+v)
		}
		owner, ok := owners[c.ownerID]
		if !ok {
			owner = s.username(ctx, c.ownerID)
			owners[c.ownerID] = owner
		}
		rec := []string{c.id, c.shopID, owner, o.name, o.email, o.phone, o.address, o.birthday,
			time.UnixMilli(c.createdAt).UTC().Format("2006-01-02"), strings.Join(bs, "; "), strings.Join(cs, "; ")}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet (CSV injection).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// DeleteCustomers deletes several customers at once (owner: any shop; manager: their shop),
// each audited customer.delete as DeleteCustomer does, plus one customer.delete_bulk entry
// with count=N. Over the delete limit the request is held (BulkResult.Held) and runs later
// with RunHold; a held deletion names customers of one shop.
func (ss *Session) DeleteCustomers(ctx context.Context, ids []string) (*BulkResult, error) {
	if err := ss.fresh(ctx, "customer.delete", ""); err != nil {
		return nil, err
	}
	if _, err := ss.require(ctx, OpBulk, target{any: true}, "customer.delete", ""); err != nil {
		return nil, err
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, &ValidationError{Fields: []FieldError{{Field: "ids", Reason: "name at least one customer"}}}
	}
	shops := map[string]bool{}
	for _, id := range ids {
		if _, err := uuid.Parse(id); err != nil {
			return nil, &ValidationError{Fields: []FieldError{{Field: "ids", Reason: "a customer id is not an id"}}}
		}
		c, err := ss.s.loadCust(ctx, ss.s.db, id)
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", id, err)
		}
		if _, ok := ss.permits(OpCustomerDelete, target{shopID: c.shopID, ownerID: c.ownerID}); !ok || !ss.mayAllOf(c.shopID) {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.delete", Target: id, Outcome: "denied"})
			return nil, ErrForbidden
		}
		shops[c.shopID] = true
	}
	lim, err := ss.s.bulkLimits(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > lim.Delete {
		if len(shops) != 1 {
			return nil, ErrHoldOneShop
		}
		var shop string
		for s := range shops {
			shop = s
		}
		h, err := ss.askHold(ctx, HoldDelete, shop, encodeSelection(selection{ids: ids}), len(ids), "")
		if err != nil {
			return nil, err
		}
		return &BulkResult{Held: h, Count: len(ids)}, nil
	}
	n, err := ss.deleteMany(ctx, ids, nil)
	return &BulkResult{Count: len(ids), Deleted: n}, err
}

// mayAllOf reports whether the user's customer grant covers the whole shop (owner, or the
// shop's manager): a bulk action is never a salesperson's.
func (ss *Session) mayAllOf(shop string) bool {
	g, ok := ss.permits(OpCustomerPIIOwn, target{shopID: shop})
	return ok && (g == All || g == ShopOnly)
}

// deleteMany deletes each customer in a write of its own (customer.delete), skipping those
// gone already, then records one customer.delete_bulk entry with count=N (and the hold).
func (ss *Session) deleteMany(ctx context.Context, ids []string, hold *BulkHold) (int, error) {
	n := 0
	for _, id := range ids {
		err := ss.DeleteCustomer(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	err := ss.write(ctx, "customer.delete_bulk", func(w *wtx) error {
		if _, err := w.allow(ss, OpBulk, target{any: true}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("count=%d asked=%d", n, len(ids))
		if hold != nil {
			w.audit.Target = hold.ID
			w.audit.Detail += " hold=" + hold.ID
			return w.update("bulk_holds", hold.ShopID, hold.ID, []col{plain("status", string(HoldDone))})
		}
		return nil
	})
	return n, err
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
