package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"spoke/hlc"
)

// ErrRemote means an incoming change-set was refused; nothing of it was applied.
var ErrRemote = errors.New("incoming changes refused")

// RemoteError says why, without values.
type RemoteError struct{ Reason string }

func (e *RemoteError) Error() string { return "incoming changes refused: " + e.Reason }

func (e *RemoteError) Unwrap() error { return ErrRemote }

// ClockError means an incoming set carries a clock further ahead of this device's wall clock
// than the skew bound. Either the sender's clock runs fast or this device's runs slow, so
// sync holds the set (nothing is applied) and says so rather than dropping it; it is applied
// once the clocks agree.
type ClockError struct{ At time.Time }

// Unwrap makes it an ErrRemote: nothing of the set was applied.
func (e *ClockError) Unwrap() error { return ErrRemote }

func (e *ClockError) Error() string {
	return "an incoming change is dated " + e.At.Local().Format("2006-01-02 15:04") + ", ahead of this computer's clock: check the date and time on both devices"
}

// ApplyResult counts what ApplyRemote did.
type ApplyResult struct {
	Applied, Duplicates, Lost, Conflicts int
}

// applyRemote merges change records from another device, all or nothing, through the same
// checks as a local write: every table and column must be one sync may set; every record must
// belong to the set's scope (a shop's rows to that shop, users and shops to org); sealed values
// must authenticate under this database's keys; no clock may be further ahead than the skew
// bound. Each field takes the value the merge rule (merge.go) picks; a value that loses, and a
// local unpushed value overwritten, are kept as conflicts. Rows are rebuilt, derived columns
// recomputed, the records added to the local change log, and one audit entry written.
// pushedSeq is the highest local seq already pushed (for conflict detection).
//
// It runs in steps, each its own function: checkRecords (the set alone), checkRowIdentity and
// checkRowScopes (the set against the rows it names), plan (the merge decisions, reading
// only), applyPlan (the writes), then checkSealed and the sealed-value check of every incoming
// value (the result), and recomputeDerived.
func (s *Store) applyRemote(ctx context.Context, fromDevice, scope string, recs []ChangeRecord, pushedSeq int64) (*ApplyResult, error) {
	if fromDevice == s.deviceID {
		return &ApplyResult{Duplicates: len(recs)}, nil
	}
	maxHLC, err := checkRecords(scope, recs)
	if err != nil {
		return nil, err
	}
	if _, err := s.clock.Update(hlc.Timestamp(maxHLC)); err != nil {
		return nil, &ClockError{At: hlc.Timestamp(maxHLC).Wall()}
	}
	var res *ApplyResult
	err = s.write(ctx, syncActor, "sync.apply", func(w *wtx) error {
		w.audit.Target = fromDevice
		// A set may touch only rows of its own scope: refuse before anything is written if a
		// row it names already belongs (itself, or through its parent) to another shop.
		named, err := w.checkRowIdentity(recs)
		if err != nil {
			return err
		}
		if err := checkRowScopes(ctx, w.tx, scope, named); err != nil {
			return err
		}
		steps, r, err := w.plan(recs, pushedSeq)
		if err != nil {
			return err
		}
		res = r
		touched, err := w.applyPlan(steps)
		if err != nil {
			return err
		}
		if err := w.s.checkSealed(ctx, w.tx, scope, touched); err != nil {
			return err
		}
		if err := w.checkIncomingSealed(recs); err != nil {
			return err
		}
		if err := w.s.recomputeDerived(ctx, w.tx, touched); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("scope=%s applied=%d duplicates=%d lost=%d conflicts=%d", scope, res.Applied, res.Duplicates, res.Lost, res.Conflicts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.deks = map[string][]byte{}
	s.mu.Unlock()
	s.refreshIndexes(ctx, recs)
	return res, nil
}

// checkRecords checks a set on its own: known tables and columns (the registry's synced
// ones), the set's scope, the sealed flags, ids and value types. It returns the newest clock.
func checkRecords(scope string, recs []ChangeRecord) (uint64, error) {
	var maxHLC uint64
	for _, r := range recs {
		cols, ok := syncColumns[r.Table]
		switch {
		case !ok || !slices.Contains(cols, r.Column):
			return 0, &RemoteError{fmt.Sprintf("unknown table or column %s.%s", r.Table, r.Column)}
		case r.Scope != scope:
			return 0, &RemoteError{"a record is outside the change-set's scope"}
		case (r.Table == "users" || r.Table == "shops") != (scope == OrgScope):
			return 0, &RemoteError{"users and shops travel only in the org scope, shop data only in its shop's scope"}
		case isSealed(r.Table, r.Column) != r.Sealed:
			return 0, &RemoteError{fmt.Sprintf("%s.%s sealed flag is wrong", r.Table, r.Column)}
		case r.Device == "" || r.RowID == "" || len(r.RowID) > 64:
			return 0, &RemoteError{"a record lacks its device or row id"}
		}
		switch r.Value.(type) {
		case nil, int64, string, []byte:
		default:
			return 0, &RemoteError{"a value has an unsupported type"}
		}
		maxHLC = max(maxHLC, r.HLC)
	}
	return maxHLC, nil
}

// checkRowIdentity: a row id names one row of one table, so a record may not reuse another
// table's id (its merge clocks would mix with that row's). It returns the rows named.
func (w *wtx) checkRowIdentity(recs []ChangeRecord) (map[string]map[string]bool, error) {
	named := map[string]map[string]bool{}
	tableOf := map[string]string{}
	for _, r := range recs {
		if t, ok := tableOf[r.RowID]; ok && t != r.Table {
			return nil, &RemoteError{"a row id is used for two tables"}
		}
		tableOf[r.RowID] = r.Table
		if named[r.Table] == nil {
			named[r.Table] = map[string]bool{}
		}
		named[r.Table][r.RowID] = true
	}
	for id, t := range tableOf {
		var n int
		if err := w.tx.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE row_id = ? AND tbl != ? LIMIT 1)", id, t).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, &RemoteError{"a row id of another table is reused"}
		}
	}
	return named, nil
}

// step is the merge's decision for one incoming record: what was held, and the verdict.
type step struct {
	rec ChangeRecord
	cur held
	v   verdict
}

// field names one cell.
type field struct{ table, row, column string }

// plan decides every record of the set against what this device holds, reading only. A field
// the set writes twice is decided the second time against the set's own first write.
func (w *wtx) plan(recs []ChangeRecord, pushedSeq int64) ([]step, *ApplyResult, error) {
	res := &ApplyResult{}
	// A staff record merges as a whole: it is MAC'd and owner-signed as one, so a mix of
	// two writes' columns would be neither.
	userWins, err := w.userRowsWin(recs)
	if err != nil {
		return nil, nil, err
	}
	// A row this device has never seen has no field to merge with: its records all win,
	// in order, without a lookup per field (the common case of a first sync).
	unseen := map[string]bool{}
	inSet := map[field]heldAt{}
	seen := map[field]map[stamp]bool{}
	var steps []step
	for _, r := range recs {
		f, at := field{r.Table, r.RowID, r.Column}, stamp{r.HLC, r.Device}
		if seen[f][at] {
			res.Duplicates++
			continue
		}
		isNew, looked := unseen[r.RowID]
		if !looked {
			var n int
			if err := w.tx.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE row_id = ? LIMIT 1)", r.RowID).Scan(&n); err != nil {
				return nil, nil, err
			}
			isNew = n == 0
			unseen[r.RowID] = isNew
		}
		cur, ok := inSet[f]
		if !ok && !isNew {
			dup, h, err := w.heldField(r)
			if err != nil {
				return nil, nil, err
			}
			if dup {
				res.Duplicates++
				continue
			}
			cur = h
			cur.unpushed = h.ok && h.at.device == w.s.deviceID && h.seq > pushedSeq
		}
		if seen[f] == nil {
			seen[f] = map[stamp]bool{}
		}
		seen[f][at] = true
		in := incoming{at: at, column: r.Column, value: r.Value}
		if rw, ok := userWins[r.RowID]; ok && r.Table == "users" {
			in.rowWins = &rw
		}
		v := decide(in, cur.held)
		steps = append(steps, step{rec: r, cur: cur.held, v: v})
		if v.conflict {
			res.Conflicts++
		}
		if v.apply {
			res.Applied++
			inSet[f] = heldAt{held: held{ok: true, at: at, value: r.Value}}
		} else {
			res.Lost++
		}
	}
	return steps, res, nil
}

// heldAt is a held field with where its write sits in the local change log.
type heldAt struct {
	held
	seq    int64
	sealed bool
}

// heldField reads the newest write this device holds for the record's field, and whether
// it holds this very write already.
func (w *wtx) heldField(r ChangeRecord) (dup bool, h heldAt, err error) {
	var n int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM changes WHERE row_id = ? AND col = ? AND hlc = ? AND device_id = ? AND tbl = ?",
		r.RowID, r.Column, int64(r.HLC), r.Device, r.Table).Scan(&n); err != nil {
		return false, h, err
	}
	if n > 0 {
		return true, h, nil
	}
	var at int64
	err = w.tx.QueryRowContext(w.ctx, "SELECT hlc, device_id, seq, value, sealed FROM changes WHERE row_id = ? AND col = ? AND tbl = ? ORDER BY hlc DESC, device_id DESC LIMIT 1",
		r.RowID, r.Column, r.Table).Scan(&at, &h.at.device, &h.seq, &h.value, &h.sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, heldAt{}, nil
	}
	if err != nil {
		return false, h, err
	}
	h.ok, h.at.hlc = true, uint64(at)
	return false, h, nil
}

// applyPlan carries out the decisions: every decided record enters the change log, each
// conflict is kept, each winning value is written to its row (new rows inserted whole, in
// the order the set introduced them). It returns the rows written (table -> ids).
func (w *wtx) applyPlan(steps []step) (map[string]map[string]bool, error) {
	ctx := w.ctx
	touched := map[string]map[string]bool{}
	newRows := map[string]*newRow{}
	var order []string
	for _, st := range steps {
		r := st.rec
		w.pending = append(w.pending, int64(r.HLC), r.Device, r.Scope, r.Table, r.RowID, r.Column, r.Value, r.Sealed)
		if len(w.pending) >= changeBatch*changeCols {
			if err := w.flushChanges(); err != nil {
				return nil, err
			}
		}
		if st.v.conflict {
			lost, winner := r, st.cur.at
			if st.v.apply {
				lost = ChangeRecord{HLC: st.cur.at.hlc, Device: st.cur.at.device, Scope: r.Scope, Table: r.Table, RowID: r.RowID, Column: r.Column, Value: st.cur.value, Sealed: r.Sealed}
				winner = stamp{r.HLC, r.Device}
			}
			if err := w.conflict(lost, winner.hlc, winner.device); err != nil {
				return nil, err
			}
		}
		if !st.v.apply {
			continue
		}
		var exists int
		w.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+r.Table+" WHERE id = ?", r.RowID).Scan(&exists)
		if exists > 0 {
			if _, err := w.tx.ExecContext(ctx, "UPDATE "+r.Table+" SET "+r.Column+" = ? WHERE id = ?", r.Value, r.RowID); err != nil {
				return nil, &RemoteError{fmt.Sprintf("%s.%s: %v", r.Table, r.Column, err)}
			}
		} else {
			p := newRows[r.RowID]
			if p == nil {
				p = &newRow{table: r.Table}
				newRows[r.RowID] = p
				order = append(order, r.RowID)
			}
			p.cols = append(p.cols, col{name: r.Column, value: r.Value})
		}
		if touched[r.Table] == nil {
			touched[r.Table] = map[string]bool{}
		}
		touched[r.Table][r.RowID] = true
	}
	for _, id := range order {
		p := newRows[id]
		if err := upsertRow(ctx, w.tx, p.table, id, p.cols); err != nil {
			return nil, &RemoteError{fmt.Sprintf("a new %s row is incomplete or out of order", p.table)}
		}
	}
	return touched, nil
}

// newRow is a row the set introduces, gathered column by column.
type newRow struct {
	table string
	cols  []col
}

// checkIncomingSealed: every incoming sealed value must authenticate, also one that lost the
// merge (it would sit in the change log and the conflicts).
func (w *wtx) checkIncomingSealed(recs []ChangeRecord) error {
	for _, r := range recs {
		b, ok := r.Value.([]byte)
		if !r.Sealed || !ok {
			continue
		}
		k, err := w.s.rowKey(w.ctx, w.tx, r.Table, r.RowID)
		if err != nil {
			return &RemoteError{"a sealed value's row or key is unknown"}
		}
		if _, err := openField(k, r.Table, r.RowID, r.Column, b); err != nil {
			return &RemoteError{"a sealed value fails authentication"}
		}
	}
	return nil
}

// userRowsWin decides, for each staff record the set writes that this device already holds,
// whether the set's write wins the whole row: its newest (HLC, device) against the newest held.
func (w *wtx) userRowsWin(recs []ChangeRecord) (map[string]bool, error) {
	in := map[string]stamp{}
	for _, r := range recs {
		if r.Table == "users" {
			if c := (stamp{r.HLC, r.Device}); c.after(in[r.RowID]) {
				in[r.RowID] = c
			}
		}
	}
	have := map[string]stamp{}
	for id := range in {
		var h int64
		var dev string
		err := w.tx.QueryRowContext(w.ctx, "SELECT hlc, device_id FROM changes WHERE row_id = ? AND tbl = 'users' ORDER BY hlc DESC, device_id DESC LIMIT 1", id).Scan(&h, &dev)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		have[id] = stamp{uint64(h), dev}
	}
	return rowVerdicts(in, have), nil
}

func (w *wtx) conflict(lost ChangeRecord, winnerHLC uint64, winnerDev string) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO conflicts(tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, lost.Table, lost.RowID, lost.Column, lost.Scope, lost.Value, lost.Sealed, int64(lost.HLC), lost.Device, int64(winnerHLC), winnerDev, w.now)
	return err
}

// checkSealed authenticates every sealed value of the touched rows, and that each customer row
// sits in the scope (shop) it claims: a change-set cannot plant garbage or move a customer.
func (s *Store) checkSealed(ctx context.Context, tx *sql.Tx, scope string, touched map[string]map[string]bool) error {
	if err := checkRowScopes(ctx, tx, scope, touched); err != nil {
		return err
	}
	for _, t := range schema {
		if t.key != sealedByOwnKey && t.key != sealedByCustomer {
			continue // staff records: MAC and owner signature below
		}
		for id := range touched[t.name] {
			if err := s.openRow(ctx, tx, &t, id); err != nil {
				return err
			}
		}
	}
	for id := range touched["users"] {
		u, err := scanUser(tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
		if err != nil {
			return err
		}
		if err := s.authentic(ctx, u); err != nil {
			return &RemoteError{"a user record fails authentication"}
		}
		if err := s.ownerSigned(ctx, tx, u); err != nil {
			return &RemoteError{"a user record is not signed by an active owner device"}
		}
	}
	return nil
}

// openRow authenticates every sealed value of one row under the key the registry names for it.
func (s *Store) openRow(ctx context.Context, tx *sql.Tx, t *table, id string) error {
	k, err := s.rowKey(ctx, tx, t.name, id)
	if err != nil {
		return &RemoteError{fmt.Sprintf("a %s row's customer or key is unknown", t.name)}
	}
	for _, c := range t.personalCols() {
		var v []byte
		if err := tx.QueryRowContext(ctx, "SELECT "+c.name+" FROM "+t.name+" WHERE id = ?", id).Scan(&v); err != nil {
			return err
		}
		if _, err := openField(k, t.name, id, c.name, v); err != nil {
			return &RemoteError{fmt.Sprintf("a sealed %s value fails authentication", t.name)}
		}
	}
	return nil
}

// rowShops yields every shop a row belongs to: its own shop column and those of the rows it
// hangs from (a line's order or sale, a job's customer and bike, a sale's customer), so a set
// cannot reach into another shop through a reference either.
var rowShops = map[string]string{
	"customers": "SELECT shop_id FROM customers WHERE id = ?1",
	"bikes": `SELECT shop_id FROM bikes WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM bikes b JOIN customers c ON c.id = b.customer_id WHERE b.id = ?1`,
	"work_orders": `SELECT shop_id FROM work_orders WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM work_orders w JOIN customers c ON c.id = w.customer_id WHERE w.id = ?1
		UNION ALL SELECT b.shop_id FROM work_orders w JOIN bikes b ON b.id = w.bike_id WHERE w.id = ?1`,
	"work_order_lines": "SELECT w.shop_id FROM work_order_lines l JOIN work_orders w ON w.id = l.work_order_id WHERE l.id = ?1",
	"sales": `SELECT shop_id FROM sales WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM sales s JOIN customers c ON c.id = s.customer_id WHERE s.id = ?1`,
	"sale_lines": "SELECT s.shop_id FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.id = ?1",
}

// checkRowScopes refuses when any of the rows (table -> ids) belongs to a shop other than
// scope, as the rows stand now inside the transaction. Rows that do not exist yet pass: run
// it before applying (the existing shop) and after (the resulting one).
func checkRowScopes(ctx context.Context, tx *sql.Tx, scope string, rows map[string]map[string]bool) error {
	for table, ids := range rows {
		q, ok := rowShops[table]
		if !ok {
			continue // users and shops: org scope only, checked per record
		}
		for id := range ids {
			shops, err := queryStrings(ctx, tx, q, id)
			if err != nil {
				return err
			}
			for _, shop := range shops {
				if shop != scope {
					return &RemoteError{fmt.Sprintf("a %s row belongs to another shop than the change-set's scope", table)}
				}
			}
		}
	}
	return nil
}
