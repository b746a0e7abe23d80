package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"spoke/crypto/keys"
	"spoke/hlc"
)

// ChangeRecord is one field-level change as sync carries it.
type ChangeRecord struct {
	Seq    int64 // local sequence (only meaningful on the device that holds it)
	HLC    uint64
	Device string // origin device
	Scope  string
	Table  string
	RowID  string
	Column string
	Value  any // nil, int64, string or []byte (sealed ciphertext when Sealed)
	Sealed bool
}

// LocalChanges returns change records made on this device with seq > after, in order, at most
// limit: what the sync engine pushes.
func (s *Store) LocalChanges(ctx context.Context, after int64, limit int) ([]ChangeRecord, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, hlc, device_id, scope, tbl, row_id, col, value, sealed FROM changes WHERE seq > ? AND device_id = ? ORDER BY seq LIMIT ?", after, s.deviceID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChangeRecord
	for rows.Next() {
		var c ChangeRecord
		var h int64
		if err := rows.Scan(&c.Seq, &h, &c.Device, &c.Scope, &c.Table, &c.RowID, &c.Column, &c.Value, &c.Sealed); err != nil {
			return nil, err
		}
		c.HLC = uint64(h)
		out = append(out, c)
	}
	return out, rows.Err()
}

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

// Conflict is a value that lost a merge, as owners and managers see it.
type Conflict struct {
	ID         int64  `json:"id"`
	Table      string `json:"table"`
	RowID      string `json:"row_id"`
	Column     string `json:"column"`
	Value      string `json:"value"`
	Device     string `json:"device"`
	WinnerDev  string `json:"winner_device"`
	RecordedAt int64  `json:"recorded_at"`
}

// Conflicts lists unresolved conflicts on customers of shops the user manages, opening sealed
// values (owner all shops, manager their shop). The read is audited.
func (ss *Session) Conflicts(ctx context.Context) ([]Conflict, error) {
	g, err := ss.require(ctx, OpCustomerWrite, target{any: true}, "sync.conflicts", "")
	if err != nil || (g != All && g != ShopOnly) {
		return nil, ErrForbidden
	}
	rows, err := ss.s.db.QueryContext(ctx, "SELECT id, tbl, row_id, col, scope, value, sealed, device_id, winner_dev, recorded_at FROM conflicts WHERE resolved_at = 0 ORDER BY id")
	if err != nil {
		return nil, err
	}
	type raw struct {
		c      Conflict
		scope  string
		value  any
		sealed bool
	}
	var all []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.c.ID, &r.c.Table, &r.c.RowID, &r.c.Column, &r.scope, &r.value, &r.sealed, &r.c.Device, &r.c.WinnerDev, &r.c.RecordedAt); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	var out []Conflict
	for _, r := range all {
		if g == ShopOnly && r.scope != ss.user.ShopID {
			continue
		}
		if r.sealed {
			b, _ := r.value.([]byte)
			k, err := ss.keyForRow(ctx, r.c.Table, r.c.RowID)
			if err != nil {
				return nil, err
			}
			if r.c.Value, err = openField(k, r.c.Table, r.c.RowID, r.c.Column, b); err != nil {
				return nil, err
			}
		} else {
			r.c.Value = fmt.Sprint(r.value)
		}
		out = append(out, r.c)
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "sync.conflicts.read", Detail: fmt.Sprintf("conflicts=%d", len(out))})
	return out, nil
}

// keyForRow returns the key that seals a row's personal fields.
func (ss *Session) keyForRow(ctx context.Context, table, id string) ([]byte, error) {
	return ss.s.rowKey(ctx, ss.s.db, table, id)
}

// RestoreConflict puts a losing value back as a new local write (so it syncs and wins now)
// and marks the conflict resolved.
func (ss *Session) RestoreConflict(ctx context.Context, id int64) error {
	return ss.write(ctx, "sync.conflict.restore", func(w *wtx) error {
		var tbl, row, column, scope string
		var value any
		var sealed bool
		err := w.tx.QueryRowContext(ctx, "SELECT tbl, row_id, col, scope, value, sealed FROM conflicts WHERE id = ? AND resolved_at = 0", id).Scan(&tbl, &row, &column, &scope, &value, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		w.audit.Target = row
		if _, err := ss.allow(OpCustomerWrite, target{shopID: scope, ownerID: ""}); err != nil || !(ss.user.Has(RoleOwner) || ss.user.Has(RoleManager)) {
			return ErrForbidden
		}
		w.audit.Fields = []string{column}
		if err := w.update(tbl, scope, row, []col{plain(column, value)}); err != nil {
			return err
		}
		if err := w.s.recomputeDerived(ctx, w.tx, map[string]map[string]bool{tbl: {row: true}}); err != nil {
			return err
		}
		_, err = w.tx.ExecContext(ctx, "UPDATE conflicts SET resolved_at = ? WHERE id = ?", w.now, id)
		return err
	})
}

// ScopeKey is one unwrapped scope key, for sealing to another device at enrollment or
// rotation. Never stored or sent in clear.
type ScopeKey struct {
	Scope   string
	Version uint32
	Key     []byte
}

// ExportScopeKeys returns every version of the given scopes' keys (owner only: devices and
// keys are the owner's, DESIGN.md).
func (ss *Session) ExportScopeKeys(ctx context.Context, scopes []string) ([]ScopeKey, error) {
	if _, err := ss.require(ctx, OpDevices, target{any: true}, "keys.export", ""); err != nil {
		return nil, err
	}
	var out []ScopeKey
	for _, scope := range scopes {
		rows, err := ss.s.db.QueryContext(ctx, "SELECT version FROM scope_keys WHERE scope = ? ORDER BY version", scope)
		if err != nil {
			return nil, err
		}
		var vs []uint32
		for rows.Next() {
			var v uint32
			rows.Scan(&v)
			vs = append(vs, v)
		}
		rows.Close()
		for _, v := range vs {
			k, _, err := ss.s.scopeKey(ctx, scope, v)
			if err != nil {
				return nil, err
			}
			out = append(out, ScopeKey{Scope: scope, Version: v, Key: append([]byte(nil), k...)})
		}
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "keys.export", Detail: fmt.Sprintf("scopes=%d keys=%d", len(scopes), len(out))})
	return out, nil
}

// importScopeKeys stores scope keys received from another device (sealed to this one),
// wrapped under this database's master key. A version already present must be identical.
func (s *Store) importScopeKeys(ctx context.Context, ks []ScopeKey) error {
	return s.write(ctx, syncActor, "keys.import", func(w *wtx) error {
		for _, k := range ks {
			if len(k.Key) != 32 || k.Version == 0 || k.Scope == "" {
				return &RemoteError{"a received key is malformed"}
			}
			existing, _, err := s.scopeKey(ctx, k.Scope, k.Version)
			if err == nil {
				if string(existing) != string(k.Key) {
					return &RemoteError{"a received key differs from the one held for that version"}
				}
				continue
			}
			s.mu.RLock()
			wrapped, err := keys.Wrap(s.mk, k.Key, scopeLabel(k.Scope, k.Version))
			s.mu.RUnlock()
			if err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(ctx, "INSERT INTO scope_keys(scope, version, wrapped, created_at) VALUES(?, ?, ?, ?)", k.Scope, k.Version, wrapped, w.now); err != nil {
				return err
			}
			s.mu.Lock()
			if s.scopes[k.Scope] == nil {
				s.scopes[k.Scope] = map[uint32][]byte{}
			}
			s.scopes[k.Scope][k.Version] = append([]byte(nil), k.Key...)
			if k.Version > s.current[k.Scope] {
				s.current[k.Scope] = k.Version
			}
			s.mu.Unlock()
		}
		w.audit.Detail = fmt.Sprintf("keys=%d", len(ks))
		return nil
	})
}

// RotateScopeKey makes a new version of a scope key (after a device is revoked): new customer
// keys and change-sets use it; old versions stay for reading old data.
func (ss *Session) RotateScopeKey(ctx context.Context, scope string) (uint32, error) {
	var v uint32
	err := ss.write(ctx, "keys.rotate", func(w *wtx) error {
		if _, err := ss.allow(OpDevices, target{any: true}); err != nil {
			return err
		}
		if err := ss.s.newScopeKey(ctx, w.tx, scope); err != nil {
			return err
		}
		ss.s.mu.RLock()
		v = ss.s.current[scope]
		ss.s.mu.RUnlock()
		w.audit.Target, w.audit.Detail = scope, fmt.Sprintf("version=%d", v)
		return nil
	})
	return v, err
}

// RotateScopeKeyTo makes version v of a scope key, unless this database already holds it or a
// newer one, and returns the version to share from now on (v, or the newer one). Revocation
// names v after the roster entry that revoked the device: two owner devices revoking at once get
// different entries from the roster (which takes one entry per position), so they can never make
// two different keys of one version; and a revocation run again rotates nothing more.
func (ss *Session) RotateScopeKeyTo(ctx context.Context, scope string, v uint32) (uint32, error) {
	err := ss.write(ctx, "keys.rotate", func(w *wtx) error {
		if _, err := ss.allow(OpDevices, target{any: true}); err != nil {
			return err
		}
		var have uint32
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM scope_keys WHERE scope = ?", scope).Scan(&have); err != nil {
			return err
		}
		w.audit.Target = scope
		if have >= v {
			v = have
			w.audit.Detail = fmt.Sprintf("version=%d held", v)
			return nil
		}
		w.audit.Detail = fmt.Sprintf("version=%d", v)
		return ss.s.newScopeKeyAt(ctx, w.tx, scope, v)
	})
	return v, err
}

// Scopes lists the scopes this database holds keys for.
func (s *Store) Scopes(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "SELECT DISTINCT scope FROM scope_keys ORDER BY scope")
}

// DataHash hashes the replicated tables only (not the header, audit trail or change log, which
// are per device): two devices that converged have equal data hashes.
func (s *Store) DataHash(ctx context.Context) (string, error) {
	h := sha256.New()
	for _, t := range schema {
		if !t.synced {
			continue
		}
		rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.order)
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			for i, v := range vals {
				// Lock-out counters and sign-in times are per device by nature.
				if t.name == "users" && (cols[i] == "failed_attempts" || cols[i] == "locked_until" || cols[i] == "last_sign_in" || cols[i] == "mac") {
					continue
				}
				hashValue(h, v)
			}
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// rawValue reads one stored column as it is on disk (sealed values stay sealed): for sync
// tests that compare what devices hold, never for showing data.
func (s *Store) rawValue(ctx context.Context, table, id, column string, dst *any) error {
	cols, ok := syncColumns[table]
	if !ok || !slices.Contains(cols, column) {
		return fmt.Errorf("unknown column %s.%s", table, column)
	}
	return s.db.QueryRowContext(ctx, "SELECT "+column+" FROM "+table+" WHERE id = ?", id).Scan(dst)
}

// rowKey returns the key sealing a row's personal fields, inside a transaction.
func (s *Store) rowKey(ctx context.Context, q querier, table, id string) ([]byte, error) {
	cust := id
	switch table {
	case "users":
		k, _, err := s.scopeKey(ctx, OrgScope, 1)
		return k, err
	case "bikes", "work_orders":
		if err := q.QueryRowContext(ctx, "SELECT customer_id FROM "+table+" WHERE id = ?", id).Scan(&cust); err != nil {
			return nil, err
		}
	case "customers":
	default:
		return nil, ErrNotFound
	}
	c, err := scanCust(q.QueryRowContext(ctx, "SELECT "+custCols+" FROM customers WHERE id = ?", cust))
	if err != nil {
		return nil, err
	}
	return s.unwrapDEK(ctx, c)
}
