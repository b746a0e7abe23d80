package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// actor is who a write or audit entry is attributed to.
type actor struct {
	userID string
	shopID string
	roles  string // comma-separated, sorted: what the audit entry records
}

// systemActor is the store's own upkeep (creation, schema upgrade, key protection).
func systemActor(*Store) actor { return storeActor }

// wtx is one write transaction: every row it writes gets its clock and MAC (clocks.go,
// integrity.go), and it carries the audit entry that commits with it.
type wtx struct {
	s     *Store
	tx    *sql.Tx
	ctx   context.Context
	actor actor
	now   int64 // wall milliseconds of this transaction
	audit auditEntry
	stmts map[string]*sql.Stmt // prepared once per transaction: bulk writes reuse them
	// seq0 is the newest local sequence as the transaction began, seq the last it took.
	seq0, seq int64
	devs      *deviceNames // device numbers, read once (clocks.go)
	// newRows are the clocks of rows inserted here, written with their MACs before commit;
	// pendingAt finds them by key.
	newRows   []*rowClock
	pendingAt map[string]int
	// usersLogged are staff records written with logged columns (recordUserVersions).
	usersLogged []string
	// guarded: rows authenticated before this transaction first wrote over them (guard).
	guarded map[string]bool
	// writable remembers, per scope, whether this device may write it (asked once per
	// transaction, not per row: imports write thousands).
	writable map[string]bool
	// erased are the customers erased here (by the ledger): forgotten in memory after commit.
	erased []string
	// also are further entries this write adds after its own (one per configuration change,
	// settings.go), in the same transaction.
	also []auditEntry
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

// write runs fn in an immediate transaction and commits it together with its rows' clocks and
// MACs, the integrity state, the HLC high-water mark and one audit entry (action, plus whatever fn put in w.audit).
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
	seq, err := maxSeq(ctx, tx)
	if err != nil {
		return err
	}
	w := &wtx{s: s, tx: tx, ctx: ctx, actor: a, now: s.opts.Now().UnixMilli(), seq0: seq, seq: seq}
	w.audit = auditEntry{Action: action, Outcome: "ok"}
	defer func() {
		for _, st := range w.stmts {
			st.Close()
		}
	}()
	if err := w.trackTouched(); err != nil {
		return err
	}
	if err := fn(w); err != nil {
		return err
	}
	// The clock's mark first: writing it makes the book (book.go) of a database that has none
	// yet, before the state it leaves says the database keeps one.
	if err := s.putMeta(ctx, tx, metaHLC, []byte(strconv.FormatUint(uint64(s.clock.Last()), 10))); err != nil {
		return fmt.Errorf("persist clock: %w", err)
	}
	st, err := w.sealRows()
	if err != nil {
		return err
	}
	if err := w.recordUserVersions(); err != nil {
		return err
	}
	if err := w.bindState(st); err != nil {
		return fmt.Errorf("integrity state: %w", err)
	}
	if err := s.appendAudit(ctx, tx, a, w.audit); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for _, e := range w.also {
		if err := s.appendAudit(ctx, tx, a, e); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	// The rows are sealed: forget which this transaction touched, so a later read on this
	// connection does not take a row edited in the file since for one it is writing.
	if err := w.untrack(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.gen.Add(1)
	s.maybeRaiseAnchor(ctx)
	s.observe(ctx, "")
	return nil
}

// col is one column of a row write. What happens to it beyond the row is the schema
// registry's to say (schema.go): Personal columns hold ciphertext already and sync as sealed,
// Derived ones (blind indexes, totals) are written but never given a clock (a receiving
// device recomputes them, so they cannot disagree), Business ones sync as they are.
// unlogged marks a write that takes no cell clock even though the column syncs (a staff
// record's sign-in bookkeeping).
type col struct {
	name     string
	value    any
	unlogged bool
}

func plain(name string, v any) col { return col{name: name, value: v} }

func sealedCol(name string, v []byte) col { return col{name: name, value: nullBytes(v)} }

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// insert writes a new row and its clock.
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
	return w.stampRow(table, scope, id, cols, true)
}

// update changes columns of an existing row and records each as a change.
func (w *wtx) update(table, scope, id string, cols []col) error {
	if len(cols) == 0 {
		return nil
	}
	if t := tables[table]; t != nil && t.synced {
		if err := w.guard(t, id); err != nil {
			return err
		}
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
	return w.stampRow(table, scope, id, cols, false)
}
