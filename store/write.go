package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"spoke/crypto/seal"
)

// actor is who a write or audit entry is attributed to.
type actor struct {
	userID string
	shopID string
}

// systemActor is the store's own upkeep (creation, schema upgrade, key protection).
func systemActor(*Store) actor { return storeActor }

// wtx is one write transaction: every row it writes is mirrored as change records, and it
// carries the audit entry that commits with it.
type wtx struct {
	s     *Store
	tx    *sql.Tx
	ctx   context.Context
	actor actor
	now   int64 // wall milliseconds of this transaction
	audit auditEntry
	stmts map[string]*sql.Stmt // prepared once per transaction: bulk writes reuse them
	// pending holds change records not yet inserted (changeCols values each).
	pending []any
	// writable remembers, per scope, whether this device may write it (asked once per
	// transaction, not per row: imports write thousands).
	writable map[string]bool
}

// stmt returns a statement prepared in this transaction.
func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st := w.stmts[q]; st != nil {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[q] = st
	return st, nil
}

// newID returns a globally unique, time-ordered row id (UUIDv7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// write runs fn in an immediate transaction and commits it together with its change records,
// the HLC high-water mark and one audit entry (action, plus whatever fn put in w.audit).
// If any part fails, nothing is written: the audit trail fails closed.
func (s *Store) write(ctx context.Context, a actor, action string, fn func(w *wtx) error) error {
	if err := s.trailProblem(); err != nil {
		return err // the trail was wiped or rolled back: nothing more is written to it
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var fromSeq int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&fromSeq); err != nil {
		return err
	}
	w := &wtx{s: s, tx: tx, ctx: ctx, actor: a, now: s.opts.Now().UnixMilli()}
	w.audit = auditEntry{Action: action, Outcome: "ok"}
	defer func() {
		for _, st := range w.stmts {
			st.Close()
		}
	}()
	if err := fn(w); err != nil {
		return err
	}
	if err := w.flushChanges(); err != nil {
		return err
	}
	if err := w.recordUserVersions(fromSeq); err != nil {
		return err
	}
	if err := s.appendAudit(ctx, tx, a, w.audit); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := setMeta(ctx, tx, metaHLC, []byte(strconv.FormatUint(uint64(s.clock.Last()), 10))); err != nil {
		return fmt.Errorf("persist clock: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.maybeRaiseAnchor(ctx)
	return nil
}

// recordUserVersions records the version of every user record this transaction logged a
// change for, before the audit head that covers the summary is written. A local edit has just
// raised it. A merge of another device's (signed) change-set takes the winning record's
// version, which after concurrent edits of one user on two owner devices may be lower than the
// one this device wrote: that record is the user now. Nothing else moves the summary, so a row
// put back into the file stays older than it.
func (w *wtx) recordUserVersions(fromSeq int64) error {
	// A range of the primary key: only this transaction's records are read (DISTINCT would
	// make SQLite walk an index over the whole log).
	rows, err := queryStrings(w.ctx, w.tx, "SELECT row_id FROM changes WHERE seq > ? AND tbl = 'users'", fromSeq)
	if err != nil || len(rows) == 0 {
		return err
	}
	slices.Sort(rows)
	ids := slices.Compact(rows)
	uv, err := loadUserVersions(w.ctx, w.tx)
	if err != nil {
		return err
	}
	changed := false
	for _, id := range ids {
		var v int64
		err := w.tx.QueryRowContext(w.ctx, "SELECT version FROM users WHERE id = ?", id).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if v != uv[id] {
			uv[id], changed = v, true
		}
	}
	if !changed {
		return nil
	}
	return uv.save(w.ctx, w.tx)
}

// col is one column of a row write. What happens to it beyond the row is the schema
// registry's to say (schema.go): Personal columns hold ciphertext already and are logged as
// sealed, Derived ones (blind indexes, totals) are written but never logged (a receiving
// device recomputes them, so they cannot disagree), Business ones are logged as they are.
// unlogged marks a write the change log must not carry even though the column syncs (a
// staff record's sign-in bookkeeping).
type col struct {
	name     string
	value    any
	unlogged bool
}

func plain(name string, v any) col        { return col{name: name, value: v} }
func sealedCol(name string, v []byte) col { return col{name: name, value: nullBytes(v)} }

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// insert writes a new row and one change record per column.
func (w *wtx) insert(table, scope, id string, cols []col) error {
	names := []string{"id"}
	marks := []string{"?"}
	args := []any{id}
	for _, c := range cols {
		names = append(names, c.name)
		marks = append(marks, "?")
		args = append(args, c.value)
	}
	st, err := w.stmt("INSERT INTO " + table + "(" + strings.Join(names, ", ") + ") VALUES(" + strings.Join(marks, ", ") + ")")
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("insert %s %s: %w", table, id, err)
	}
	return w.changes(table, scope, id, cols, true)
}

// update changes columns of an existing row and records each as a change.
func (w *wtx) update(table, scope, id string, cols []col) error {
	if len(cols) == 0 {
		return nil
	}
	sets := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		sets[i] = c.name + " = ?"
		args = append(args, c.value)
	}
	args = append(args, id)
	st, err := w.stmt("UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE id = ?")
	if err != nil {
		return err
	}
	res, err := st.ExecContext(w.ctx, args...)
	if err != nil {
		return fmt.Errorf("update %s %s: %w", table, id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("update %s %s: %w", table, id, ErrNotFound)
	}
	return w.changes(table, scope, id, cols, false)
}

// changes appends one change record per logged column. On insert a NULL column is not
// logged: absent means the column's default, which is what the row holds.
func (w *wtx) changes(table, scope, id string, cols []col, insert bool) error {
	for _, c := range cols {
		class := classOf(table, c.name)
		if class == 0 {
			return fmt.Errorf("store: %s.%s is not in the schema registry", table, c.name)
		}
		if class == Derived || c.unlogged || (insert && c.value == nil) {
			continue
		}
		if !w.mayWrite(scope) { // asked once per transaction and scope
			// Org data (staff accounts, shops) is written only on owner devices, a shop's only
			// on that shop's devices or an owner's: every other device refuses the rest, so a
			// change made here could never leave. (Sign-in bookkeeping is not logged.)
			if scope == OrgScope {
				return ErrOwnerDeviceOnly
			}
			return ErrOtherShopsDevice
		}
		w.pending = append(w.pending, int64(w.s.clock.Now()), w.s.deviceID, scope, table, id, c.name, c.value, class == Personal)
		if len(w.pending) >= changeBatch*changeCols {
			if err := w.flushChanges(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *wtx) mayWrite(scope string) bool {
	ok, seen := w.writable[scope]
	if !seen {
		if w.writable == nil {
			w.writable = map[string]bool{}
		}
		ok = w.s.mayWrite(w.ctx, w.tx, scope)
		w.writable[scope] = ok
	}
	return ok
}

// Change records are inserted changeBatch rows per statement: bulk writes (imports, the demo)
// spend most of their time in per-statement overhead otherwise.
const (
	changeBatch = 64
	changeCols  = 8
)

// flushChanges writes the buffered change records; write calls it before commit.
func (w *wtx) flushChanges() error {
	n := len(w.pending) / changeCols
	if n == 0 {
		return nil
	}
	q := "INSERT INTO changes(hlc, device_id, scope, tbl, row_id, col, value, sealed) VALUES" +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?),", n), ",")
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, w.pending...); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	w.pending = w.pending[:0]
	return nil
}

// sealField seals a personal value of a row under key (a customer's data key or the org key).
// An empty value is stored as NULL: "no e-mail" is not a secret worth a ciphertext.
func sealField(key []byte, table, id, column, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	return seal.Seal(key, []byte(value), seal.FieldAD(table, id, column, dekGeneration))
}

// openField opens what sealField made. NULL opens to "".
func openField(key []byte, table, id, column string, sealed []byte) (string, error) {
	if sealed == nil {
		return "", nil
	}
	pt, err := seal.Open(key, sealed, seal.FieldAD(table, id, column, dekGeneration))
	if err != nil {
		return "", &SealError{Table: table, Row: id, Column: column, Err: err}
	}
	return string(pt), nil
}

// dekGeneration is the key version bound into field additional data. Data keys are never
// rotated in place (a customer's key is replaced only by crypto-shredding), so it is constant;
// the scope key version that wraps a data key is stored separately (customers.dek_version).
const dekGeneration = 1

// SealError names the field that failed authentication; it never carries the value.
type SealError struct {
	Table, Row, Column string
	Err                error
}

func (e *SealError) Error() string {
	return fmt.Sprintf("%s %s column %s: %v", e.Table, e.Row, e.Column, e.Err)
}
func (e *SealError) Unwrap() []error { return []error{e.Err, ErrTampered} }
