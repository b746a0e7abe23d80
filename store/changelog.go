package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
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
