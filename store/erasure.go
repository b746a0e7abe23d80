package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"spoke/crypto/blind"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
)

// Erasure is crypto-shredding (DESIGN.md, Privacy and compliance): every personal value of a
// customer, of their bikes and of their work orders is sealed under the customer's data key,
// and the only copy of that key is the wrapped one in the customer's row. Erasing deletes the
// customer's rows (customer, bikes, work orders and their lines, every other row that hangs
// from the customer), so the key goes with them; their clocks stay, terminal, so no edit made
// anywhere else merges into them again. Sales are kept, anonymised (their customer is cleared),
// because the law requires the amounts and dates. A ledger row, named only by a keyed hash of
// the customer id, records the erasure; it travels like any shop row, and every device that
// takes it (or finds it in a backup folder on restore) erases its own copy of the customer.
//
// What else the erasure reaches is the sync engine's and the backups' part: the shop key is
// rotated and the remaining customers' keys re-wrapped (engine), the hub's older sets go with
// the next compaction, the backup folder is rewritten at the next backup (store/backup).

// ErasureResult counts what an erasure removed and kept; it never names the customer.
type ErasureResult struct {
	LedgerID  string         // the pseudonymous id the ledger keeps
	Deleted   map[string]int // rows deleted, by table
	SalesKept int            // sales kept, anonymised
	// Already: the customer had been erased before (the ledger names it); nothing was done.
	Already bool
}

// ErrErased is returned for a customer the ledger says was erased.
var ErrErased = errors.New("this customer was erased")

// keptOnErasure are the tables whose rows an erasure keeps, clearing the column that names the
// customer: business records the law makes a shop keep (invoice amounts and dates).
var keptOnErasure = map[string]string{"sales": "customer_id"}

// parentTable is which table a referring column names.
var parentTable = map[string]string{"customer_id": "customers", "work_order_id": "work_orders", "bike_id": "bikes", "sale_id": "sales"}

// ledgerKey is a shop's key for the erasure ledger, derived from the shop key's first version
// (which every device of the shop holds for its blind indexes).
func (s *Store) ledgerKey(ctx context.Context, q querier, shopID string) (blind.Key, error) {
	return s.derivedShopKey(ctx, q, shopID, ledgerPurpose)
}

// ledgerID is the ledger's name for a customer: a keyed hash of the id, shaped as a UUID so
// it is a row id like any other.
func ledgerID(k blind.Key, customerID string) string {
	u, _ := uuid.FromBytes(k.Sum(customerID))
	return u.String()
}

// EraseCustomer erases a customer for good (GDPR Art. 17, CCPA §1798.105, PIPL Art. 47),
// soft-deleted or not. Owner: every shop; manager: their shop (DESIGN.md, data-subject erasure).
// After the commit the database file is scrubbed (WAL checkpointed and truncated, free pages
// vacuumed), so not even the wrapped key's bytes stay in the files.
func (ss *Session) EraseCustomer(ctx context.Context, id string) (*ErasureResult, error) {
	var res *ErasureResult
	if err := ss.fresh(ctx, "subject.erase", id); err != nil {
		return nil, err
	}
	err := ss.write(ctx, "subject.erase", func(w *wtx) error {
		w.audit.Target = id
		var shop, owner string
		err := w.tx.QueryRowContext(ctx, "SELECT shop_id, owner_id FROM customers WHERE id = ?", id).Scan(&shop, &owner)
		if errors.Is(err, sql.ErrNoRows) {
			return ss.s.notHeld(ctx, w.tx, id)
		}
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpDataSubject, target{shopID: shop, ownerID: owner}); err != nil {
			return err
		}
		// A customer row edited in the file is not erased on its word (which shop, which key).
		if err := ss.s.checkRow(ctx, w.tx, tables["customers"], id); err != nil {
			return err
		}
		res, err = w.erase(shop, id, w.actor.userID)
		if err != nil {
			return err
		}
		w.audit.Target = res.LedgerID
		w.audit.Detail = res.detail()
		return nil
	})
	if err != nil {
		return nil, err
	}
	ss.s.forget(ctx, []string{id})
	if err := ss.s.scrub(ctx); err != nil {
		return res, fmt.Errorf("erased; cleaning the database file failed (it runs again at the next erasure): %w", err)
	}
	return res, nil
}

// notHeld explains why a customer id is not here: erased (the ledger of some shop names it),
// or never known.
func (s *Store) notHeld(ctx context.Context, q querier, id string) error {
	erased, err := s.ledgerHas(ctx, q, id)
	if err != nil {
		return err
	}
	if erased {
		return ErrErased
	}
	return ErrNotFound
}

// ledgerHas reports whether any shop's ledger names the customer id.
func (s *Store) ledgerHas(ctx context.Context, q querier, id string) (bool, error) {
	shops, err := queryStrings(ctx, q, "SELECT DISTINCT shop_id FROM erasures")
	if err != nil {
		return false, err
	}
	for _, shop := range shops {
		k, err := s.ledgerKey(ctx, q, shop)
		if err != nil {
			continue // a shop this device holds no key of: its ledger names none of ours
		}
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM erasures WHERE id = ?", ledgerID(k, id)).Scan(&n); err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

func (r *ErasureResult) detail() string {
	var parts []string
	for _, t := range schema {
		if n := r.Deleted[t.name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", t.name, n))
		}
	}
	parts = append(parts, fmt.Sprintf("sales_kept=%d", r.SalesKept))
	return strings.Join(parts, " ")
}

// erase deletes a customer's rows, clears them from kept sales and conflicts, and writes the
// ledger row (unless it is there: an erasure that arrived by sync). by is who erased.
func (w *wtx) erase(shop, id, by string) (*ErasureResult, error) {
	k, err := w.s.ledgerKey(w.ctx, w.tx, shop)
	if err != nil {
		return nil, err
	}
	res := &ErasureResult{LedgerID: ledgerID(k, id), Deleted: map[string]int{}}
	// The source id's blind index stays in the ledger: an old POS export imported again
	// must not bring the customer back (imports.go).
	var sourceTag string
	if err := w.tx.QueryRowContext(w.ctx, "SELECT COALESCE(hex(source_bidx), '') FROM customers WHERE id = ?", id).Scan(&sourceTag); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	doomed, kept, err := erasureRows(w.ctx, w.tx, id)
	if err != nil {
		return nil, err
	}
	// Kept business records lose the customer first (a normal write: it syncs and wins like any).
	for table, ids := range kept {
		for _, rid := range ids {
			if err := w.update(table, shop, rid, []col{plain(keptOnErasure[table], nil)}); err != nil {
				return nil, err
			}
		}
		if table == "sales" {
			res.SalesKept += len(ids)
		}
	}
	// Then the rows, the deepest first (lines before their jobs, jobs before the customer).
	var all []string
	for i := len(doomed) - 1; i >= 0; i-- {
		d := doomed[i]
		for _, chunk := range chunks(d.ids, idChunk) {
			q := "DELETE FROM " + d.table + " WHERE id IN (" + placeholders(len(chunk)) + ")"
			if _, err := w.tx.ExecContext(w.ctx, q, anys(chunk)...); err != nil {
				return nil, fmt.Errorf("erase %s: %w", d.table, err)
			}
		}
		res.Deleted[d.table] += len(d.ids)
		all = append(all, d.ids...)
	}
	// Break-glass reasons about the customer may name them: their keys go (the chain stays).
	if _, err := expireReasonsOf(w.ctx, w.tx, id); err != nil {
		return nil, err
	}
	// Values of those rows that once lost a merge are theirs too.
	for _, chunk := range chunks(all, idChunk) {
		if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM conflicts WHERE row_id IN ("+placeholders(len(chunk))+")", anys(chunk)...); err != nil {
			return nil, err
		}
	}
	var n int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT count(*) FROM erasures WHERE id = ?", res.LedgerID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		if err := w.insert("erasures", shop, res.LedgerID, []col{
			plain("shop_id", shop), plain("erased_at", w.now), plain("erased_by", by), plain("sales_kept", res.SalesKept),
			plain("source_tag", sourceTag),
		}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// doomedRows are the ids of one table an erasure deletes.
type doomedRows struct {
	table string
	ids   []string
}

// erasureRows finds, from the registry, every row an erasure deletes (in dependency order: the
// customer, the rows that name it, the rows that name those) and the rows it keeps anonymised.
func erasureRows(ctx context.Context, q querier, id string) ([]doomedRows, map[string][]string, error) {
	doomed := []doomedRows{{"customers", []string{id}}}
	kept := map[string][]string{}
	at := map[string]int{"customers": 0}
	// First the tables whose rows name the customer, then those whose rows name one of those
	// (a job's lines), never reaching another customer's rows through a shared bike.
	for pass := 0; pass < 2; pass++ {
		for _, t := range schema {
			if !t.synced || t.name == "customers" {
				continue
			}
			hasCustomer := t.has("customer_id", Business)
			for _, c := range t.cols {
				parent := parentTable[c.name]
				if c.class != Business || parent == "" || (pass == 0) != (c.name == "customer_id") || (pass == 1 && hasCustomer) {
					continue
				}
				pi, ok := at[parent]
				if !ok || (pass == 1 && keptOnErasure[parent] != "") {
					continue
				}
				var ids []string
				for _, chunk := range chunks(doomed[pi].ids, idChunk) {
					got, err := queryStrings(ctx, q, "SELECT id FROM "+t.name+" WHERE "+c.name+" IN ("+placeholders(len(chunk))+") ORDER BY id", anys(chunk)...)
					if err != nil {
						return nil, nil, err
					}
					ids = append(ids, got...)
				}
				if len(ids) == 0 {
					continue
				}
				if keptOnErasure[t.name] == c.name {
					kept[t.name] = append(kept[t.name], ids...)
					continue
				}
				if i, ok := at[t.name]; ok {
					doomed[i].ids = append(doomed[i].ids, ids...)
					slices.Sort(doomed[i].ids)
					doomed[i].ids = slices.Compact(doomed[i].ids)
					continue
				}
				at[t.name] = len(doomed)
				doomed = append(doomed, doomedRows{t.name, ids})
			}
		}
	}
	return doomed, kept, nil
}

// eraseFromLedger erases, inside w, every customer of the shops named that a ledger id names:
// ledger rows that arrived by sync, or the ledger of a backup folder at restore. It returns how
// many customers it erased. Each shop's customers are hashed once (a keyed hash per id).
func (w *wtx) eraseFromLedger(ids map[string]bool, by string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	shops, err := queryStrings(w.ctx, w.tx, "SELECT id FROM shops ORDER BY id")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, shop := range shops {
		k, err := w.s.ledgerKey(w.ctx, w.tx, shop)
		if errors.Is(err, ErrNotFound) {
			continue // no key of this shop here: none of its customers either
		}
		if err != nil {
			return n, err
		}
		custs, err := queryStrings(w.ctx, w.tx, "SELECT id FROM customers WHERE shop_id = ?", shop)
		if err != nil {
			return n, err
		}
		for _, c := range custs {
			if !ids[ledgerID(k, c)] {
				continue
			}
			if _, err := w.erase(shop, c, by); err != nil {
				return n, err
			}
			w.erased = append(w.erased, c)
			n++
		}
	}
	return n, nil
}

// EraseFromLedger erases every customer a ledger (ids from a backup folder) names, as the
// restore's system principal: a restored database does not open with a customer erased after
// its backup was taken. It returns how many it erased and scrubs the file when any.
func (s *Store) EraseFromLedger(ctx context.Context, ids []string) (int, error) {
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	var n int
	err := s.write(ctx, restoreActor, "subject.erase.ledger", func(w *wtx) error {
		var err error
		n, err = w.eraseFromLedger(set, restoreActor.userID)
		w.audit.Detail = fmt.Sprintf("ledger=%d erased=%d", len(ids), n)
		return err
	})
	if err != nil || n == 0 {
		return n, err
	}
	return n, s.scrub(ctx)
}

// ErasureLedger returns every ledger id this database holds (pseudonymous; for the backup
// folder's copy of the ledger).
func (s *Store) ErasureLedger(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "SELECT id FROM erasures ORDER BY id")
}

// ConfirmedErasures returns the ledger ids whose erasure this device made or an owner device of
// the roster sent: those may have the backup folder's older backups deleted at once. One that
// came from a shop device erases the data everywhere all the same, but a hostile counter PC must
// not also destroy every other device's backups: there the older backups age out by the
// schedule's pruning instead.
func (s *Store) ConfirmedErasures(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, d.id FROM erasures e
		JOIN row_clocks r ON r.id = unhex(replace(e.id, '-', ''))
		JOIN devices d ON d.n = r.dev ORDER BY e.id`)
	if err != nil {
		return nil, err
	}
	type entry struct{ id, dev string }
	var all []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.dev); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range all {
		if e.dev == s.deviceID || e.dev == "" {
			out = append(out, e.id)
			continue
		}
		if p, err := s.Peer(ctx, e.dev); err == nil && p.Active && p.Role == roster.RoleOwner {
			out = append(out, e.id)
		}
	}
	return out, nil
}

// forget drops erased customers from the in-memory state: cached data keys (wiped) and the
// search index of every signed-in session.
func (s *Store) forget(ctx context.Context, ids []string) {
	s.mu.Lock()
	for _, id := range ids {
		if k := s.deks[id]; k != nil {
			seal.Wipe(k)
			delete(s.deks, id)
		}
	}
	s.mu.Unlock()
	s.reindex(ctx, ids, nil, "subject.erase")
}

// scrub leaves nothing of deleted rows in the database's files: secure_delete (every
// connection) zeroes deleted cells in the pages written, VACUUM rewrites the file without free
// pages, and a TRUNCATE checkpoint copies the log into the file and empties it, so no older
// page image (with a wrapped key in it) stays in the WAL. Readers of other connections can
// hold a checkpoint back for a moment: it is retried for a few seconds.
func (s *Store) scrub(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	checkpoint := func() error {
		for i := 0; ; i++ {
			var busy, logged, moved int
			if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil {
				return err
			}
			if busy == 0 {
				return nil
			}
			if i == 50 {
				return errors.New("the database log could not be emptied: another connection kept reading")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := checkpoint(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return checkpoint()
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		k := min(len(ids), n)
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// dropErased takes out of an incoming set what belongs to an erased customer and is not
// already dropped by the terminal clocks of the customer's rows (plan does that): rows made
// elsewhere, concurrently with the erasure, that hang from the customer (a bike, a job and its
// lines, a consent), and a kept record's reference to it (a sale's customer, which stays
// cleared). A customer this device never held is recognised by the ledger. It returns the
// records left and how many it dropped.
func (a *applier) dropErased(recs []ChangeRecord) ([]ChangeRecord, int, error) {
	// Which parent rows the set names (customers, and the jobs and bikes rows hang from): an
	// erased one is terminal here (or, for a customer never held, named by the ledger).
	custs := map[string]bool{}
	for _, r := range recs {
		if v, ok := r.Value.(string); ok && parentTable[r.Column] != "" && keptOnErasure[parentTable[r.Column]] == "" {
			custs[v] = true
		}
		if r.Table == "customers" {
			custs[r.RowID] = true
		}
	}
	if len(custs) == 0 {
		return recs, 0, nil
	}
	erased, err := a.erasedAmong(custs)
	if err != nil || len(erased) == 0 {
		return recs, 0, err
	}
	// Rows to drop whole: the customers, the rows that name one, then rows that name those.
	gone := map[string]bool{}
	for id := range erased {
		gone[id] = true
	}
	for pass := 0; pass < 2; pass++ {
		for _, r := range recs {
			v, ok := r.Value.(string)
			if !ok || parentTable[r.Column] == "" || !gone[v] || keptOnErasure[r.Table] == r.Column {
				continue
			}
			gone[r.RowID] = true
		}
	}
	out := recs[:0:0]
	dropped := 0
	made := map[string]bool{}
	for _, r := range recs {
		v, _ := r.Value.(string)
		if gone[r.RowID] || (keptOnErasure[r.Table] == r.Column && gone[v]) {
			dropped++
			// A row made elsewhere for the erased customer leaves a terminal clock here, so
			// a later set that names it (a line on a dropped job) is dropped too, not refused.
			if gone[r.RowID] && !erased[r.RowID] && !made[r.RowID] && a.clocks[r.RowID] == nil {
				made[r.RowID] = true
				if err := a.tombstone(r); err != nil {
					return nil, 0, err
				}
			}
			continue
		}
		out = append(out, r)
	}
	return out, dropped, nil
}

// tombstone gives a row this device never held (made elsewhere for an erased customer) a
// terminal clock: the row's write, with no row (integrity.go MACs it as a deleted row).
func (a *applier) tombstone(r ChangeRecord) error {
	t := tables[r.Table]
	key, err := rowKeyOf(r.RowID)
	if t == nil || !t.synced || err != nil {
		return &RemoteError{"a record names no row of a synced table"}
	}
	dev, err := a.devN(r.Device)
	if err != nil {
		return err
	}
	seq := a.nextSeq()
	a.newRows = append(a.newRows, &rowClock{id: key, table: t, base: clock{r.HLC, dev, seq}, seq: seq})
	_, err = a.tx.ExecContext(a.ctx, "INSERT OR IGNORE INTO temp.touched VALUES (?, ?)", tableCode(t), r.RowID)
	return err
}

// erasedAmong returns the customer ids (of this set's shop) that are erased here: their row's
// clock is terminal, or the shop's ledger names them.
func (a *applier) erasedAmong(custs map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	var keys [][]byte
	for id := range custs {
		if k, err := rowKeyOf(id); err == nil {
			keys = append(keys, k)
		}
	}
	clocks, err := readClocks(a.ctx, a.tx, keys)
	if err != nil {
		return nil, err
	}
	// The rest this device has never held: one query for the shop's ledger, and only when the
	// shop has one (a first sync names thousands of new customers and no erasure).
	var unknown []string
	for id := range custs {
		k, err := rowKeyOf(id)
		if err != nil {
			continue
		}
		switch rc := clocks[string(k)]; {
		case rc == nil:
			unknown = append(unknown, id)
		case rc.flags&flagTerminal != 0:
			out[id] = true // erased here (only an erasure deletes a row), or a tombstone
		}
	}
	if len(unknown) == 0 {
		return out, nil
	}
	var some bool
	if err := a.tx.QueryRowContext(a.ctx, "SELECT EXISTS(SELECT 1 FROM erasures WHERE shop_id = ?)", a.scope).Scan(&some); err != nil || !some {
		return out, err
	}
	ledger, err := a.s.ledgerKey(a.ctx, a.tx, a.scope)
	if errors.Is(err, ErrNotFound) {
		// No ledger key here yet (a device starting from a snapshot whose derived keys arrive
		// in this very set): the set's own ledger rows erase after it is applied (eraseArrived).
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	byLedger := make(map[string]string, len(unknown))
	list := make([]string, 0, len(unknown))
	for _, id := range unknown {
		l := ledgerID(ledger, id)
		byLedger[l] = id
		list = append(list, l)
	}
	b, _ := json.Marshal(list)
	named, err := queryStrings(a.ctx, a.tx, "SELECT id FROM erasures WHERE id IN (SELECT value FROM json_each(?))", string(b))
	if err != nil {
		return nil, err
	}
	for _, l := range named {
		out[byLedger[l]] = true
	}
	return out, nil
}

// eraseArrived erases here the customers that ledger rows of the set (touched) name.
func (a *applier) eraseArrived(touched map[string]map[string]bool) (int, error) {
	ids := touched["erasures"]
	if len(ids) == 0 {
		return 0, nil
	}
	return a.eraseFromLedger(ids, syncActor.userID)
}

// metaRotated is, per shop, how many of its erasures the shop key has been rotated after.
const metaRotated = "erasure_rotated:"

// PendingRotations lists the shops with erasures the shop key has not been rotated after (an
// owner device rotates it at its next sync: RotateAfterErasure).
func (s *Store) PendingRotations(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT shop_id, count(*) FROM erasures GROUP BY shop_id ORDER BY shop_id")
	if err != nil {
		return nil, err
	}
	type count struct {
		shop string
		n    int
	}
	var counts []count
	for rows.Next() {
		var c count
		if err := rows.Scan(&c.shop, &c.n); err != nil {
			rows.Close()
			return nil, err
		}
		counts = append(counts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range counts {
		if _, _, err := s.scopeKey(ctx, c.shop, 0); err != nil {
			continue // not a shop this device holds keys of
		}
		done := 0
		if v, err := s.metaChecked(ctx, s.db, metaRotated+c.shop); err == nil {
			fmt.Sscan(string(v), &done)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if c.n > done {
			out = append(out, c.shop)
		}
	}
	return out, nil
}

// RotateShopKey makes version v of a shop's key (after an erasure), unless this database holds
// it or a newer one already, and returns the version to share and re-wrap under. The version
// comes from the roster entry that announced the rotation (engine), so two owner devices never
// make two keys of one version.
func (s *Store) RotateShopKey(ctx context.Context, shop string, v uint32) (uint32, error) {
	err := s.write(ctx, syncActor, "keys.rotate", func(w *wtx) error {
		var have uint32
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM scope_keys WHERE scope = ?", shop).Scan(&have); err != nil {
			return err
		}
		w.audit.Target = shop
		if have == 0 {
			return fmt.Errorf("shop key %s: %w", shop, ErrNotFound)
		}
		if have >= v {
			v = have
			w.audit.Detail = fmt.Sprintf("version=%d held cause=erasure", v)
		} else {
			w.audit.Detail = fmt.Sprintf("version=%d cause=erasure", v)
			if err := s.newScopeKeyAt(ctx, w.tx, shop, v); err != nil {
				return err
			}
		}
		// Until the re-wrap is done, a retry shares and re-wraps this version again instead
		// of announcing another (a hub that failed mid-way, a process killed).
		return s.putMeta(ctx, w.tx, metaRotating+shop, []byte(strconv.FormatUint(uint64(v), 10)))
	})
	return v, err
}

// metaRotating is, per shop, the version a rotation after an erasure made and has not yet
// re-wrapped the customers' keys under.
const metaRotating = "erasure_rotating:"

// RotationUnderway returns the version a shop's unfinished rotation made (0: none).
func (s *Store) RotationUnderway(ctx context.Context, shop string) (uint32, error) {
	b, err := s.metaChecked(ctx, s.db, metaRotating+shop)
	if errors.Is(err, ErrNotFound) || len(b) == 0 {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("store: the rotation record of %s is malformed", shop)
	}
	return uint32(v), nil
}

// RewrapAfterErasure re-wraps every remaining customer's data key of a shop under version v of
// the shop key (RotateShopKey made it, and the other devices have been sent it), one
// transaction, audited as the sync's work, and records the shop's erasures as rotated after.
// Older versions then wrap only erased customers' keys (in the old change-sets that carry
// them): once compaction has replaced those sets, every device forgets those versions
// (engine.forgetKeys). It returns how many keys it re-wrapped.
func (s *Store) RewrapAfterErasure(ctx context.Context, shop string, v uint32) (int, error) {
	n := 0
	err := s.write(ctx, syncActor, "keys.rewrap", func(w *wtx) error {
		sk, _, err := s.scopeKey(ctx, shop, v)
		if err != nil {
			return err
		}
		// The keys derived from version 1 first, so version 1 can be forgotten once the
		// hub's old sets are gone (indexkeys.go).
		if err := w.putIndexKeys(shop, v); err != nil {
			return err
		}
		custs, err := queryCusts(ctx, w.tx, "SELECT "+custCols+" FROM customers WHERE shop_id = ? AND dek_version != ?", shop, v)
		if err != nil {
			return err
		}
		for _, c := range custs {
			if err := s.checkRow(ctx, w.tx, tables["customers"], c.id); err != nil {
				return err
			}
			dek, err := s.unwrapDEK(ctx, c)
			if err != nil {
				return err
			}
			wrapped, err := keys.Wrap(sk, dek, dekLabel(c.id, v))
			seal.Wipe(dek)
			if err != nil {
				return err
			}
			if err := w.update("customers", shop, c.id, []col{plain("dek", wrapped), plain("dek_version", v)}); err != nil {
				return err
			}
			n++
		}
		var erased int64
		if err := w.tx.QueryRowContext(ctx, "SELECT count(*) FROM erasures WHERE shop_id = ?", shop).Scan(&erased); err != nil {
			return err
		}
		w.audit.Target, w.audit.Detail = shop, fmt.Sprintf("version=%d rewrapped=%d erasures=%d", v, n, erased)
		if err := s.putMeta(ctx, w.tx, metaRotating+shop, []byte("0")); err != nil {
			return err
		}
		return s.putMeta(ctx, w.tx, metaRotated+shop, []byte(strconv.FormatInt(erased, 10)))
	})
	return n, err
}

// eraseCustomers erases customers (by id) as a's work, not a signed-in user's: the retention
// run's system principal erasing soft-deleted customers after 30 days and anonymising inactive
// ones under an approved policy (its approval is the grant). One transaction, one audit entry
// with counts; ids already gone are skipped. It returns how many it erased.
func (s *Store) eraseCustomers(ctx context.Context, a actor, action string, ids []string) (int, error) {
	var erased []string
	kept := 0
	err := s.write(ctx, a, action, func(w *wtx) error {
		for _, id := range ids {
			var shop string
			err := w.tx.QueryRowContext(ctx, "SELECT shop_id FROM customers WHERE id = ?", id).Scan(&shop)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if err := s.checkRow(ctx, w.tx, tables["customers"], id); err != nil {
				return err
			}
			res, err := w.erase(shop, id, a.userID)
			if err != nil {
				return err
			}
			kept += res.SalesKept
			erased = append(erased, id)
		}
		w.audit.Detail = fmt.Sprintf("erased=%d sales_kept=%d", len(erased), kept)
		return nil
	})
	if err != nil || len(erased) == 0 {
		return 0, err
	}
	s.forget(ctx, erased)
	return len(erased), s.scrub(ctx)
}
