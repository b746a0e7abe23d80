package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"spoke/crypto/blind"
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
	// Erased: customers this set's erasure ledger rows erased here.
	Erased int
}

// applyRemote merges change records from another device, all or nothing, through the same
// checks as a local write: every table and column must be one sync may set; every record must
// belong to the set's scope (a shop's rows to that shop, users and shops to org); sealed values
// must authenticate under this database's keys; no clock may be further ahead than the skew
// bound. Each field takes the value the merge rule (merge.go) picks; a value that loses, and a
// local unpushed value overwritten, are kept as conflicts. Rows are rebuilt, derived columns
// recomputed, the winning writes recorded in the rows' clocks, and one audit entry written.
// pushedSeq is the highest local seq already pushed (for conflict detection).
//
// It runs in steps, each its own function: checkRecords (the set alone), checkRowIdentity and
// checkRowScopes (the set against the rows it names), plan (the merge decisions, reading
// only), applyPlan (the writes), then checkSealed and the sealed-value check of every incoming
// value (the result), and recomputeDerived. The steps share one applier: statements prepared
// once for the set, what each row holds read once, data keys unwrapped once (and wiped when
// the set is done), and every sealed value authenticated once.
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
	var erased []string
	err = s.write(ctx, syncActor, "sync.apply", func(w *wtx) error {
		a := newApplier(w, scope)
		defer a.wipe()
		w.audit.Target = fromDevice
		// A set may touch only rows of its own scope: refuse before anything is written if a
		// row it names already belongs (itself, or through its parent) to another shop.
		named, err := a.checkRowIdentity(recs)
		if err != nil {
			return err
		}
		if err := a.checkRowScopes(named); err != nil {
			return err
		}
		// What hangs from an erased customer is dropped before the merge sees it.
		recs, dropped, err := a.dropErased(recs)
		if err != nil {
			return err
		}
		if err := a.checkInsertOnly(recs); err != nil {
			return err
		}
		before, settings, err := a.transferBefore(recs)
		if err != nil {
			return err
		}
		steps, r, err := a.plan(recs, pushedSeq)
		if err != nil {
			return err
		}
		res = r
		res.Lost += dropped
		touched, err := a.applyPlan(steps)
		if err != nil {
			return err
		}
		if err := a.checkSealed(touched); err != nil {
			return err
		}
		if err := a.checkIncomingSealed(recs); err != nil {
			return err
		}
		if err := a.checkAlerts(touched["alerts"]); err != nil {
			return err
		}
		if err := a.recomputeDerived(touched); err != nil {
			return err
		}
		if err := a.checkIndexKeys(touched["index_keys"], fromDevice); err != nil {
			return err
		}
		if err := a.checkHolds(touched["bulk_holds"]); err != nil {
			return err
		}
		if err := a.checkCampaigns(touched["campaigns"]); err != nil {
			return err
		}
		if res.Erased, err = a.eraseArrived(touched); err != nil {
			return err
		}
		erased = w.erased
		w.audit.Detail = fmt.Sprintf("scope=%s applied=%d duplicates=%d lost=%d conflicts=%d", scope, res.Applied, res.Duplicates, res.Lost, res.Conflicts)
		if res.Erased > 0 {
			w.audit.Detail += fmt.Sprintf(" erased=%d", res.Erased)
		}
		released, err := a.releaseMerged(touched, before, settings)
		if err != nil {
			return err
		}
		if released > 0 {
			// Customers whose rows this device kept back go out with its next sync (transfer.go).
			w.audit.Detail += fmt.Sprintf(" released=%d", released)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(erased) > 0 {
		s.forget(ctx, erased) // wipes the erased customers' cached keys, drops them from the index
	}
	s.mu.Lock()
	s.deks = map[string][]byte{}
	s.mu.Unlock()
	s.refreshIndexes(ctx, recs)
	if len(erased) > 0 {
		// The set is applied and committed: a scrub that cannot run now (a reader holding the
		// log) must not make the engine take the set for refused; the next erasure scrubs.
		_ = s.scrub(ctx)
	}
	return res, nil
}

// applier is one applyRemote's working state, shared by its steps so that nothing is read,
// unwrapped or authenticated twice: statements come from the transaction's cache (w.stmt),
// the clocks are read once per row (and the row checked against its MAC) and its values once, data keys are unwrapped once per customer, and a sealed value authenticated
// as a row's value is not opened again as an incoming one. It lives for one set; wipe clears
// the keys it unwrapped.
type applier struct {
	*wtx
	scope string
	// clocks: row id -> the row's clock, for the rows the set names that this device holds
	// (any table), as the set began.
	clocks map[string]*rowClock
	// history: what this device holds of the columns the set writes of a known row (each
	// cell's clock and value), read once per row by plan; setCols: those columns.
	history map[rowRef]map[string]heldAt
	setCols map[rowRef][]string
	// stamps: the winning writes applyPlan made, per row, by column code.
	stamps map[rowRef]map[int]stamp
	// exists: the row is in its table, as the set began (new rows are inserted last).
	exists map[rowRef]bool
	// From checkSealed on, as the rows stand after applyPlan: data keys by customer id, the
	// sealed values authenticated as rows' values (with the plaintext of indexed ones), and
	// the shop of each row opened.
	deks   map[string][]byte
	opened map[field]openedValue
	shopOf map[rowRef]string
	// regions and blind-index keys of the shops this set reindexes.
	regions map[string]string
	blind   map[[2]string]blind.Key
}

// rowRef names one row.
type rowRef struct{ table, id string }

// openedValue is a sealed value of a row that authenticated, and its plaintext when the
// column has a blind index (the reindex needs it).
type openedValue struct {
	sealed []byte
	plain  string
}

func newApplier(w *wtx, scope string) *applier {
	return &applier{wtx: w, scope: scope, clocks: map[string]*rowClock{}, history: map[rowRef]map[string]heldAt{}, setCols: map[rowRef][]string{}, stamps: map[rowRef]map[int]stamp{},
		exists: map[rowRef]bool{}, deks: map[string][]byte{}, opened: map[field]openedValue{}, shopOf: map[rowRef]string{},
		regions: map[string]string{}, blind: map[[2]string]blind.Key{}}
}

// wipe clears the data keys and blind-index keys this set unwrapped or derived.
func (a *applier) wipe() {
	for id, k := range a.deks {
		clear(k)
		delete(a.deks, id)
	}
	for id, k := range a.blind {
		clear(k)
		delete(a.blind, id)
	}
	clear(a.opened)
}

// queryRow runs a single-row query through a statement prepared once per transaction.
func (a *applier) queryRow(q string, args []any, dest ...any) error {
	st, err := a.stmt(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(a.ctx, args...).Scan(dest...)
}

// exec runs a statement prepared once per transaction.
func (a *applier) exec(q string, args ...any) error {
	st, err := a.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(a.ctx, args...)
	return err
}

// idChunk is how many row ids one batched read names; a shorter last chunk repeats its last
// id, so every chunk runs the same prepared statement.
const idChunk = 64

// idMarks is the parameter list a batched read's "(ids)" stands for.
var idMarks = func() string {
	m := make([]string, idChunk)
	for i := range m {
		m[i] = "?" + strconv.Itoa(i+1)
	}
	return "(" + strings.Join(m, ", ") + ")"
}()

// queryIDs runs q, in which "(ids)" stands for a list of row ids, over ids chunk by chunk
// (one prepared statement, idChunk ids a run) and calls scan for every result row.
func (a *applier) queryIDs(q string, ids []string, scan func(*sql.Rows) error) error {
	st, err := a.stmt(strings.ReplaceAll(q, "(ids)", idMarks))
	if err != nil {
		return err
	}
	args := make([]any, idChunk)
	for len(ids) > 0 {
		n := min(len(ids), idChunk)
		for i := range args {
			args[i] = ids[min(i, n-1)]
		}
		if err := scanAll(st.QueryContext(a.ctx, args...))(scan); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// scanAll calls scan for every row of a query's result and closes it.
func scanAll(rows *sql.Rows, err error) func(scan func(*sql.Rows) error) error {
	return func(scan func(*sql.Rows) error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
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
		case !inScopeKind(r.Table, scope):
			return 0, &RemoteError{"org data (users, shops, incidents, assessments, retention policies, check-ups) travels only in the org scope, shop data only in its shop's scope"}
		case isSealed(r.Table, r.Column) != r.Sealed:
			return 0, &RemoteError{fmt.Sprintf("%s.%s sealed flag is wrong", r.Table, r.Column)}
		case r.Device == "" || r.RowID == "" || len(r.RowID) > 64:
			return 0, &RemoteError{"a record lacks its device or row id"}
		}
		if _, err := rowKeyOf(r.RowID); err != nil {
			return 0, &RemoteError{"a row id is not a UUID"}
		}
		switch v := r.Value.(type) {
		case nil, int64, string:
			if r.Sealed && v != nil {
				return 0, &RemoteError{"a sealed value is not ciphertext"}
			}
		case []byte:
			// A sealed value always carries its nonce and tag; an empty value is NULL. (SQLite
			// reads a zero-length blob back as NULL, which would open as "" unauthenticated.)
			if r.Sealed && len(v) == 0 {
				return 0, &RemoteError{"a sealed value is empty"}
			}
		default:
			return 0, &RemoteError{"a value has an unsupported type"}
		}
		maxHLC = max(maxHLC, r.HLC)
	}
	return maxHLC, nil
}

// checkRowIdentity: a row id names one row of one table, so a record may not reuse another
// table's id (its merge clocks would mix with that row's). It returns the rows named, and
// remembers which of them this device holds a clock of (plan merges only those field by field)
// and which are in their tables.
func (a *applier) checkRowIdentity(recs []ChangeRecord) (map[string]map[string]bool, error) {
	named := map[string]map[string]bool{}
	tableOf := map[string]string{}
	var ids []string // first-named order
	for _, r := range recs {
		t, ok := tableOf[r.RowID]
		if ok && t != r.Table {
			return nil, &RemoteError{"a row id is used for two tables"}
		}
		if !ok {
			tableOf[r.RowID] = r.Table
			ids = append(ids, r.RowID)
		}
		if named[r.Table] == nil {
			named[r.Table] = map[string]bool{}
		}
		named[r.Table][r.RowID] = true
		if ref := (rowRef{r.Table, r.RowID}); !slices.Contains(a.setCols[ref], r.Column) {
			a.setCols[ref] = append(a.setCols[ref], r.Column)
		}
	}
	// Which rows this device holds a clock of, a chunk of ids per query: a clock names its
	// table, so a record may not carry another table's row.
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		k, err := rowKeyOf(id)
		if err != nil {
			return nil, &RemoteError{"a row id is not a UUID"}
		}
		keys[i] = k
	}
	clocks, err := readClocks(a.ctx, a.tx, keys)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		rc := clocks[string(keys[i])]
		if rc == nil {
			continue
		}
		if rc.table.name != tableOf[id] {
			return nil, &RemoteError{"a row id of another table is reused"}
		}
		// The merge decides against this row's clocks and writes over its values: both must
		// be what this device wrote (a clock raised in the file would make it lose every merge).
		if rc.flags&flagTerminal == 0 {
			if err := a.guard(rc.table, id); err != nil {
				return nil, err
			}
		}
		a.clocks[id] = rc
	}
	// Which rows are in their tables, as the set begins (applyPlan writes existing rows in
	// place and inserts the others).
	for table, ids := range named {
		for id := range ids {
			a.exists[rowRef{table, id}] = false
		}
		if err := a.queryIDs("SELECT id FROM "+table+" WHERE id IN (ids)", slices.Collect(maps.Keys(ids)), func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			a.exists[rowRef{table, id}] = true
			return err
		}); err != nil {
			return nil, err
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
func (a *applier) plan(recs []ChangeRecord, pushedSeq int64) ([]step, *ApplyResult, error) {
	res := &ApplyResult{}
	// A staff record merges as a whole: it is MAC'd and owner-signed as one, so a mix of
	// two writes' columns would be neither.
	userWins, err := a.userRowsWin(recs)
	if err != nil {
		return nil, nil, err
	}
	// A row this device has never seen has no field to merge with: its records all win,
	// in order, without a lookup per field (the common case of a first sync).
	type write struct {
		f  field
		at stamp
	}
	inSet := make(map[field]heldAt, len(recs))
	seen := make(map[write]bool, len(recs))
	steps := make([]step, 0, len(recs))
	for _, r := range recs {
		f, at := field{r.Table, r.RowID, r.Column}, stamp{r.HLC, r.Device}
		if seen[write{f, at}] {
			res.Duplicates++
			continue
		}
		cur, ok := inSet[f]
		if rc := a.clocks[r.RowID]; rc != nil && rc.flags&flagTerminal != 0 {
			// The row was erased for good: nothing merges into it again, whatever its clock,
			// and nothing of the record is kept (its key may be gone with the row).
			res.Lost++
			continue
		}
		if a.clocks[r.RowID] != nil {
			// A write this device holds already is a duplicate, also after the set's own
			// newer write of the field (it is decided against that one, not the log).
			dup, h, err := a.heldField(r)
			if err != nil {
				return nil, nil, err
			}
			if dup {
				res.Duplicates++
				continue
			}
			if !ok {
				cur = h
				cur.unpushed = h.ok && h.at.device == a.s.deviceID && h.seq > pushedSeq
			}
		}
		seen[write{f, at}] = true
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

// heldAt is a held field with the local sequence of its write.
type heldAt struct {
	held
	seq int64
}

// heldField returns the newest write this device holds for the record's field, and whether
// it is this very write (a duplicate).
func (a *applier) heldField(r ChangeRecord) (dup bool, h heldAt, err error) {
	hist, err := a.rowHistory(r.Table, r.RowID)
	if err != nil {
		return false, h, err
	}
	h = hist[r.Column]
	if h.ok && h.at == (stamp{r.HLC, r.Device}) {
		return true, h, nil
	}
	return false, h, nil
}

// rowHistory reads what this device holds of the columns the set writes of a row: each cell's
// clock (its own, or the row's) and its current value, from the row itself. A cell whose clock
// is the empty one (a row migrated from the change log, never written there) holds no write.
func (a *applier) rowHistory(table, id string) (map[string]heldAt, error) {
	ref := rowRef{table, id}
	if h, ok := a.history[ref]; ok {
		return h, nil
	}
	rc := a.clocks[id]
	cols := a.setCols[ref]
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := a.queryRow("SELECT "+strings.Join(cols, ", ")+" FROM "+table+" WHERE id = ?", []any{id}, ptrs...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	devs, err := a.devices()
	if err != nil {
		return nil, err
	}
	t := tables[table]
	hist := map[string]heldAt{}
	for i, c := range cols {
		code, _ := colCode(t, c)
		k := rc.cellClock(code)
		if k.hlc == 0 && k.dev == 0 {
			continue
		}
		hist[c] = heldAt{held: held{ok: true, at: stamp{k.hlc, devs.byN[k.dev]}, value: vals[i]}, seq: k.seq}
	}
	a.history[ref] = hist
	return hist, nil
}

// rowExists reports whether a row is in its table, asked once per row.
func (a *applier) rowExists(table, id string) (bool, error) {
	ref := rowRef{table, id}
	if e, ok := a.exists[ref]; ok {
		return e, nil
	}
	var e bool
	if err := a.queryRow("SELECT EXISTS(SELECT 1 FROM "+table+" WHERE id = ?)", []any{id}, &e); err != nil {
		return false, err
	}
	a.exists[ref] = e
	return e, nil
}

// rowUpdate is the winning values the set writes into one existing row, in record order,
// as runs of distinct columns: one UPDATE per run (a column written twice starts a new one,
// so every value the set writes meets the table's constraints as it did field by field).
type rowUpdate struct {
	table string
	runs  [][]col
}

// applyPlan carries out the decisions: each conflict is kept, each winning write stamped in its
// row's clocks, each winning value is written to its row (existing rows updated, one
// statement per row, then new rows inserted whole, in the order the set introduced them).
// It returns the rows written (table -> ids).
func (a *applier) applyPlan(steps []step) (map[string]map[string]bool, error) {
	touched := map[string]map[string]bool{}
	newRows := map[string]*newRow{}
	updates := map[string]*rowUpdate{}
	var order, updated []string
	for _, st := range steps {
		r := st.rec
		if st.v.conflict {
			lost, winner := r, st.cur.at
			if st.v.apply {
				lost = ChangeRecord{HLC: st.cur.at.hlc, Device: st.cur.at.device, Scope: r.Scope, Table: r.Table, RowID: r.RowID, Column: r.Column, Value: st.cur.value, Sealed: r.Sealed}
				winner = stamp{r.HLC, r.Device}
			}
			if err := a.conflict(lost, winner.hlc, winner.device); err != nil {
				return nil, err
			}
		}
		if !st.v.apply {
			continue
		}
		ref := rowRef{r.Table, r.RowID}
		if a.stamps[ref] == nil {
			a.stamps[ref] = map[int]stamp{}
		}
		code, _ := colCode(tables[r.Table], r.Column)
		a.stamps[ref][code] = stamp{r.HLC, r.Device}
		exists, err := a.rowExists(r.Table, r.RowID)
		if err != nil {
			return nil, err
		}
		c := col{name: r.Column, value: r.Value}
		if exists {
			u := updates[r.RowID]
			if u == nil {
				u = &rowUpdate{table: r.Table}
				updates[r.RowID] = u
				updated = append(updated, r.RowID)
			}
			if n := len(u.runs); n == 0 || slices.ContainsFunc(u.runs[n-1], func(x col) bool { return x.name == c.name }) {
				u.runs = append(u.runs, nil)
			}
			u.runs[len(u.runs)-1] = append(u.runs[len(u.runs)-1], c)
		} else {
			p := newRows[r.RowID]
			if p == nil {
				p = &newRow{table: r.Table}
				newRows[r.RowID] = p
				order = append(order, r.RowID)
			}
			p.cols = append(p.cols, c)
		}
		if touched[r.Table] == nil {
			touched[r.Table] = map[string]bool{}
		}
		touched[r.Table][r.RowID] = true
	}
	// An existing row the set makes name a row the set introduces (a sale given the customer
	// it was sent without, transfer.go) is updated once that row is in: the rest first.
	namesNew := func(id string) bool {
		for _, run := range updates[id].runs {
			for _, c := range run {
				if v, ok := c.value.(string); ok && refersTo[updates[id].table+"."+c.name] && newRows[v] != nil {
					return true
				}
			}
		}
		return false
	}
	var late []string
	for _, id := range updated {
		if namesNew(id) {
			late = append(late, id)
			continue
		}
		u := updates[id]
		for _, run := range u.runs {
			if err := a.updateRow(u.table, id, run); err != nil {
				return nil, err
			}
		}
	}
	// New rows go in, in order, as multi-row INSERTs of consecutive rows of one table with the
	// same columns (no table refers to itself, so this meets every reference as row by row).
	for i := 0; i < len(order); {
		p := newRows[order[i]]
		names, args := p.values(order[i])
		j := i + 1
		for ; j < len(order) && j-i < insertBatch; j++ {
			q := newRows[order[j]]
			if q.table != p.table {
				break
			}
			n, v := q.values(order[j])
			if !slices.Equal(n, names) {
				break
			}
			args = append(args, v...)
		}
		row := "(" + placeholders(len(names)) + ")"
		q := "INSERT INTO " + p.table + "(" + strings.Join(names, ", ") + ") VALUES" + strings.TrimSuffix(strings.Repeat(row+",", j-i), ",")
		if err := a.exec(q, args...); err != nil {
			if !constraintFailed(err) {
				return nil, err // the disk or the context, not the set: not a refusal
			}
			return nil, &RemoteError{fmt.Sprintf("a new %s row is incomplete or out of order", p.table)}
		}
		i = j
	}
	for _, id := range late {
		u := updates[id]
		for _, run := range u.runs {
			if err := a.updateRow(u.table, id, run); err != nil {
				return nil, err
			}
		}
	}
	for _, id := range updated {
		if err := a.stampRemote(updates[id].table, id); err != nil {
			return nil, err
		}
	}
	for _, id := range order {
		if err := a.stampRemote(newRows[id].table, id); err != nil {
			return nil, err
		}
	}
	return touched, nil
}

// stampRemote records the winning writes the set made to one row in its clocks, under the
// next local sequence: a cell clock per written cell of a row this device holds; for a new
// row, the row's clock is its earliest write in the set (on the sender it is the row's own
// write, earlier than every later cell's) and the other cells get their own.
func (a *applier) stampRemote(table, id string) error {
	stamps := a.stamps[rowRef{table, id}]
	if table == "users" {
		a.usersLogged = append(a.usersLogged, id)
	}
	key, err := rowKeyOf(id)
	if err != nil {
		return err
	}
	seq := a.nextSeq()
	clockOf := func(sp stamp) (clock, error) {
		n, err := a.devN(sp.device)
		return clock{sp.hlc, n, seq}, err
	}
	if a.clocks[id] != nil {
		if err := a.exec1("UPDATE row_clocks SET seq = ? WHERE id = ?", seq, key); err != nil {
			return fmt.Errorf("row clock: %w", err)
		}
		for code, sp := range stamps {
			k, err := clockOf(sp)
			if err != nil {
				return err
			}
			if err := a.setCell(key, code, k); err != nil {
				return err
			}
		}
		return nil
	}
	var base stamp
	first := true
	for _, sp := range stamps {
		if first || base.after(sp) {
			base, first = sp, false
		}
	}
	bk, err := clockOf(base)
	if err != nil {
		return err
	}
	rc := &rowClock{id: key, table: tables[table], base: bk, seq: seq}
	for code, sp := range stamps {
		if sp == base {
			continue
		}
		if rc.cells == nil {
			rc.cells = map[int]clock{}
		}
		if rc.cells[code], err = clockOf(sp); err != nil {
			return err
		}
	}
	a.newRows = append(a.newRows, rc)
	return nil
}

// updateRow writes a run of distinct columns into an existing row.
func (a *applier) updateRow(table, id string, cols []col) error {
	sets := make([]string, len(cols))
	names := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		sets[i], names[i] = c.name+" = ?", c.name
		args = append(args, c.value)
	}
	if err := a.exec("UPDATE "+table+" SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, id)...); err != nil {
		if !constraintFailed(err) {
			return err // the disk or the context, not the set: not a refusal
		}
		return &RemoteError{fmt.Sprintf("%s.%s: %v", table, strings.Join(names, ","), err)}
	}
	return nil
}

// constraintFailed reports whether err is SQLite refusing what a set asked for (NOT NULL,
// UNIQUE, CHECK, a foreign key, a STRICT column's type): the set's fault, a refusal. Anything
// else (a full disk, an I/O error, a cancelled context) is this device's, and must not mark a
// genuine set as refused for good.
func constraintFailed(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// insertBatch is how many new rows one INSERT carries at most.
const insertBatch = 32

// newRow is a row the set introduces, gathered column by column.
type newRow struct {
	table string
	cols  []col
}

// values returns the row's columns (id first) and their values; a column the set gave twice
// takes its last value.
func (p *newRow) values(id string) ([]string, []any) {
	names, args := []string{"id"}, []any{id}
	at := map[string]int{}
	for _, c := range p.cols {
		if i, ok := at[c.name]; ok {
			args[i] = c.value
			continue
		}
		at[c.name] = len(args)
		names, args = append(names, c.name), append(args, c.value)
	}
	return names, args
}

// checkIncomingSealed: every incoming sealed value must authenticate, also one that lost the
// merge (it would sit in the conflicts). A value checkSealed authenticated
// as its row's value (the same bytes of the same field, so the same key and additional data)
// is not opened again.
func (a *applier) checkIncomingSealed(recs []ChangeRecord) error {
	for _, r := range recs {
		b, ok := r.Value.([]byte)
		if !r.Sealed || !ok {
			continue
		}
		if rc := a.clocks[r.RowID]; rc != nil && rc.flags&flagTerminal != 0 {
			continue // dropped by plan: never stored
		}
		if o, ok := a.opened[field{r.Table, r.RowID, r.Column}]; ok && len(b) > 0 && bytes.Equal(o.sealed, b) {
			continue
		}
		k, err := a.rowKey(r.Table, r.RowID)
		if err != nil {
			return &RemoteError{"a sealed value's row or key is unknown"}
		}
		if _, err := openField(k, r.Table, r.RowID, r.Column, b); err != nil {
			return &RemoteError{"a sealed value fails authentication"}
		}
	}
	return nil
}

// rowKey is Store.rowKey with the set's data keys at hand.
func (a *applier) rowKey(table, id string) ([]byte, error) {
	switch table {
	case "users", "alerts": // staff records, a reviewer's note on an alert: the org key
		k, _, err := a.s.scopeKey(a.ctx, OrgScope, 1)
		return k, err
	case "customers":
		return a.customerKey(id)
	case "bikes", "work_orders":
		var cust string
		if err := a.queryRow("SELECT customer_id FROM "+table+" WHERE id = ?", []any{id}, &cust); err != nil {
			return nil, err
		}
		return a.customerKey(cust)
	}
	return nil, ErrNotFound
}

// customerKey returns a customer's data key, unwrapped once per set.
func (a *applier) customerKey(id string) ([]byte, error) {
	if k, ok := a.deks[id]; ok {
		return k, nil
	}
	c := &custRow{id: id}
	if err := a.queryRow("SELECT shop_id, dek, dek_version FROM customers WHERE id = ?", []any{id}, &c.shopID, &c.dek, &c.dekVersion); err != nil {
		return nil, err
	}
	return a.unwrapDEK(c)
}

// unwrapDEK unwraps a customer's data key from its row as it stands and keeps it for the set.
func (a *applier) unwrapDEK(c *custRow) ([]byte, error) {
	k, err := a.s.unwrapDEK(a.ctx, c)
	if err != nil {
		return nil, err
	}
	a.deks[c.id] = k
	return k, nil
}

// userRowsWin decides, for each staff record the set writes that this device already holds,
// whether the set's write wins the whole row: its newest (HLC, device) against the newest held.
func (a *applier) userRowsWin(recs []ChangeRecord) (map[string]bool, error) {
	in := map[string]stamp{}
	for _, r := range recs {
		if r.Table == "users" {
			if c := (stamp{r.HLC, r.Device}); c.after(in[r.RowID]) {
				in[r.RowID] = c
			}
		}
	}
	devs, err := a.devices()
	if err != nil {
		return nil, err
	}
	have := map[string]stamp{}
	for id := range in {
		rc := a.clocks[id]
		if rc == nil {
			continue
		}
		var newest stamp
		for _, k := range append([]clock{rc.base}, slices.Collect(maps.Values(rc.cells))...) {
			if sp := (stamp{k.hlc, devs.byN[k.dev]}); sp.after(newest) {
				newest = sp
			}
		}
		have[id] = newest
	}
	return rowVerdicts(in, have), nil
}

func (w *wtx) conflict(lost ChangeRecord, winnerHLC uint64, winnerDev string) error {
	c := &conflictRow{table: lost.Table, row: lost.RowID, column: lost.Column, scope: lost.Scope, value: lost.Value, sealed: lost.Sealed,
		hlc: int64(lost.HLC), device: lost.Device, winnerHLC: int64(winnerHLC), winnerDev: winnerDev, recordedAt: w.now}
	mac, err := w.s.conflictMAC(c)
	if err != nil {
		return err
	}
	st, err := w.stmt(`INSERT INTO conflicts(tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at, mac)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, c.table, c.row, c.column, c.scope, c.value, c.sealed, c.hlc, c.device, c.winnerHLC, c.winnerDev, c.recordedAt, mac)
	return err
}

// checkSealed authenticates every sealed value of the touched rows, and that each customer row
// sits in the scope (shop) it claims: a change-set cannot plant garbage or move a customer.
func (a *applier) checkSealed(touched map[string]map[string]bool) error {
	if err := a.checkRowScopes(touched); err != nil {
		return err
	}
	for _, t := range schema {
		if t.key != sealedByOwnKey && t.key != sealedByCustomer {
			continue // staff records: MAC and owner signature below
		}
		if err := a.openRows(&t, touched[t.name]); err != nil {
			return err
		}
	}
	for id := range touched["users"] {
		u, err := scanUser(a.tx.QueryRowContext(a.ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
		if err != nil {
			return err
		}
		if err := a.s.authentic(a.ctx, u); err != nil {
			return &RemoteError{"a user record fails authentication"}
		}
		if err := a.s.ownerSigned(a.ctx, a.tx, u); err != nil {
			return &RemoteError{"a user record is not signed by an active owner device"}
		}
	}
	return nil
}

// openRows authenticates every sealed value of the rows (ids) of one table under the key the
// registry names for each, reading the rows a chunk per query (shop, what the key comes from,
// the sealed values). It keeps what it opened for checkIncomingSealed and recomputeDerived.
func (a *applier) openRows(t *table, ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	pcs := t.personalCols()
	q := "SELECT id, shop_id, customer_id, NULL, 0"
	if t.key == sealedByOwnKey {
		q = "SELECT id, shop_id, id, dek, dek_version"
	}
	for _, pc := range pcs {
		q += ", " + pc.name
	}
	type sealedRow struct {
		cust custRow // for a customer: its key; otherwise the id of the customer whose key it is
		id   string
		shop string
		vals [][]byte
	}
	var got []*sealedRow
	if err := a.queryIDs(q+" FROM "+t.name+" WHERE id IN (ids)", slices.Collect(maps.Keys(ids)), func(rows *sql.Rows) error {
		r := &sealedRow{vals: make([][]byte, len(pcs))}
		dest := []any{&r.id, &r.shop, &r.cust.id, &r.cust.dek, &r.cust.dekVersion}
		for i := range r.vals {
			dest = append(dest, &r.vals[i])
		}
		got = append(got, r)
		return rows.Scan(dest...)
	}); err != nil {
		return err
	}
	unknown := &RemoteError{fmt.Sprintf("a %s row's customer or key is unknown", t.name)}
	if len(got) != len(ids) {
		return unknown // a row is missing
	}
	for _, r := range got {
		var k []byte
		var err error
		if t.key == sealedByOwnKey {
			r.cust.shopID = r.shop
			if k = a.deks[r.id]; k == nil {
				k, err = a.unwrapDEK(&r.cust)
			}
		} else {
			k, err = a.customerKey(r.cust.id)
		}
		if err != nil {
			return unknown
		}
		a.shopOf[rowRef{t.name, r.id}] = r.shop
		for i, pc := range pcs {
			pt, err := openField(k, t.name, r.id, pc.name, r.vals[i])
			if err != nil {
				return &RemoteError{fmt.Sprintf("a sealed %s value fails authentication", t.name)}
			}
			o := openedValue{sealed: r.vals[i]}
			if pc.index != nil {
				o.plain = pt
			}
			a.opened[field{t.name, r.id, pc.name}] = o
		}
	}
	return nil
}

// recomputeDerived is Store.recomputeDerived for the set's touched rows, from the plaintexts
// checkSealed opened: every blind index (one statement per row) and the totals of every job
// and sale whose lines (or itself) were touched.
func (a *applier) recomputeDerived(touched map[string]map[string]bool) error {
	for _, t := range schema {
		idx := t.indexedCols()
		if len(idx) == 0 {
			continue
		}
		var rows []any // id and index values of each row, for setIndexes
		for id := range touched[t.name] {
			vals, err := a.reindexRow(&t, idx, id)
			if err != nil {
				return err
			}
			rows = append(rows, vals...)
		}
		if err := a.setIndexes(&t, idx, rows); err != nil {
			return err
		}
	}
	for _, d := range []struct{ parent, lines, fk, sql string }{
		{"work_orders", "work_order_lines", "work_order_id", jobTotalsSQL},
		{"sales", "sale_lines", "sale_id", saleTotalSQL},
	} {
		ids := map[string]bool{}
		for id := range touched[d.parent] {
			ids[id] = true
		}
		for id := range touched[d.lines] {
			var p string
			if err := a.queryRow("SELECT "+d.fk+" FROM "+d.lines+" WHERE id = ?", []any{id}, &p); err != nil {
				return err
			}
			ids[p] = true
		}
		for id := range ids {
			if err := a.guard(tables[d.parent], id); err != nil {
				return err
			}
			if err := a.exec(d.sql, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// reindexRow computes one row's blind indexes from the plaintexts openRows kept and returns
// the row's id and them, for setIndexes (a row it did not open takes the general path, which
// opens and writes them, and returns nothing).
func (a *applier) reindexRow(t *table, idx []*column, id string) ([]any, error) {
	shop, ok := a.shopOf[rowRef{t.name, id}]
	pts := make([]string, len(idx))
	for i, c := range idx {
		o, opened := a.opened[field{t.name, id, c.name}]
		ok = ok && opened
		pts[i] = o.plain
	}
	if !ok {
		return nil, a.s.reindexRow(a.ctx, a.tx, t, idx, id)
	}
	region, ok := a.regions[shop]
	if !ok {
		var err error
		if region, err = a.s.shopRegion(a.ctx, a.tx, shop); err != nil {
			return nil, err
		}
		a.regions[shop] = region
	}
	vals := make([]any, 0, len(idx)+1)
	vals = append(vals, id)
	for i, c := range idx {
		b, err := blindIndexWith(t.name, c.name, region, pts[i], func(norm string) ([]byte, error) {
			k, err := a.blindKey(shop, c.name)
			if err != nil {
				return nil, err
			}
			return k.Sum(norm), nil
		})
		if err != nil {
			return nil, err
		}
		vals = append(vals, nullBytes(b))
	}
	return vals, nil
}

// setIndexes writes the blind indexes reindexRow computed (rows: id, then one value per index
// column, row after row), insertBatch rows per UPDATE ... FROM (VALUES ...).
func (a *applier) setIndexes(t *table, idx []*column, rows []any) error {
	width := len(idx) + 1
	sets := make([]string, len(idx))
	for i, c := range idx {
		sets[i] = fmt.Sprintf("%s = v.column%d", c.index.column, i+2)
	}
	row := "(" + placeholders(width) + ")"
	for len(rows) > 0 {
		n := min(len(rows)/width, insertBatch)
		q := "UPDATE " + t.name + " SET " + strings.Join(sets, ", ") + " FROM (VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
			") AS v WHERE " + t.name + ".id = v.column1"
		if err := a.exec(q, rows[:n*width]...); err != nil {
			return err
		}
		rows = rows[n*width:]
	}
	return nil
}

// blindKey returns a shop's blind-index key of a field, derived once per set.
func (a *applier) blindKey(shop, column string) (blind.Key, error) {
	if k, ok := a.blind[[2]string{shop, column}]; ok {
		return k, nil
	}
	k, err := a.s.derivedShopKey(a.ctx, a.tx, shop, column)
	if err != nil {
		return nil, err
	}
	a.blind[[2]string{shop, column}] = k
	return k, nil
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
	"erasures":   "SELECT shop_id FROM erasures WHERE id = ?1",
	"index_keys": "SELECT shop_id FROM index_keys WHERE id = ?1",
	// A request belongs to its shop alone. Its subject is a customer id and nothing more (it
	// may name a customer since erased, or moved to another shop): not a row it hangs from.
	"privacy_requests":    "SELECT shop_id FROM privacy_requests WHERE id = ?1",
	"shop_holidays":       "SELECT shop_id FROM shop_holidays WHERE id = ?1",
	"sale_lines":          "SELECT s.shop_id FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.id = ?1",
	"retention_approvals": "SELECT shop_id FROM retention_approvals WHERE id = ?1",
	"consents": `SELECT shop_id FROM consents WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM consents k JOIN customers c ON c.id = k.customer_id WHERE k.id = ?1`,
	// A manager's proposal belongs to their shop (its account's shop is checked where it is
	// read: an account that moved shops is not the old manager's to speak for).
	"staff_proposals": "SELECT shop_id FROM staff_proposals WHERE id = ?1",
	// A training result belongs to the scope it names: its trainee's shop, or the org's for
	// org-wide staff (which only owner devices may send). Not the trainee's current shop: a
	// result from before a move to another shop stays where it was written (and, counting
	// only in the scope of the trainee's shop, counts for no one there, training.go).
	"training_results": "SELECT " + trainingScopeSQL + " FROM training_results WHERE id = ?1",
	// An alert belongs to its scope: the alerted user's shop, or the org's.
	"alerts": "SELECT scope FROM alerts WHERE id = ?1",
	// A held bulk request belongs to its shop; its selection names customers by id only.
	"bulk_holds": "SELECT shop_id FROM bulk_holds WHERE id = ?1",
	// Reminders, the mail server and unsubscribe tokens belong to their shop and, where they
	// name one, to their customer's (and a send to its bike's and job's).
	"reminder_rules": "SELECT shop_id FROM reminder_rules WHERE id = ?1",
	"reminder_sends": `SELECT shop_id FROM reminder_sends WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM reminder_sends r JOIN customers c ON c.id = r.customer_id WHERE r.id = ?1
		UNION ALL SELECT b.shop_id FROM reminder_sends r JOIN bikes b ON b.id = r.bike_id WHERE r.id = ?1
		UNION ALL SELECT w.shop_id FROM reminder_sends r JOIN work_orders w ON w.id = r.work_order_id WHERE r.id = ?1`,
	"shop_mail": "SELECT shop_id FROM shop_mail WHERE id = ?1",
	"unsubscribe_tokens": `SELECT shop_id FROM unsubscribe_tokens WHERE id = ?1
		UNION ALL SELECT c.shop_id FROM unsubscribe_tokens u JOIN customers c ON c.id = u.customer_id WHERE u.id = ?1`,
	// A campaign's row belongs to the shop it goes to; its spec names shops by id only.
	"campaigns": "SELECT shop_id FROM campaigns WHERE id = ?1",
	// A recall belongs to the scope it names (a shop's, or the org's); its serial parts to their
	// shop; a notice to its shop and to those of the bike and customer it names.
	"recalls":        "SELECT scope FROM recalls WHERE id = ?1",
	"recall_serials": "SELECT shop_id FROM recall_serials WHERE id = ?1",
	"recall_notices": `SELECT shop_id FROM recall_notices WHERE id = ?1
		UNION ALL SELECT b.shop_id FROM recall_notices n JOIN bikes b ON b.id = n.bike_id WHERE n.id = ?1
		UNION ALL SELECT c.shop_id FROM recall_notices n JOIN customers c ON c.id = n.customer_id WHERE n.id = ?1`,
}

// checkRowScopes refuses when any of the rows (table -> ids) belongs to a shop other than
// the set's scope, as the rows stand now inside the transaction. Rows that do not exist yet
// pass: run it before applying (the existing shop) and after (the resulting one). It reads a
// chunk of rows per query.
func (a *applier) checkRowScopes(rows map[string]map[string]bool) error {
	for table, ids := range rows {
		q, ok := rowShops[table]
		if !ok {
			continue // org tables: org scope only, checked per record
		}
		if err := a.queryIDs(strings.ReplaceAll(q, "= ?1", "IN (ids)"), slices.Collect(maps.Keys(ids)), func(rows *sql.Rows) error {
			var shop string
			if err := rows.Scan(&shop); err != nil {
				return err
			}
			if shop != a.scope {
				return &RemoteError{fmt.Sprintf("a %s row belongs to another shop than the change-set's scope", table)}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}
