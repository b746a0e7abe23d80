package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

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
	if err := ss.trainingGate(ctx, "sync.conflicts", ""); err != nil {
		return nil, err // losing values are customers' sealed fields, opened
	}
	rows, err := ss.s.db.QueryContext(ctx, "SELECT "+conflictCols+" FROM conflicts WHERE resolved_at = 0 ORDER BY id")
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
		c, err := scanConflict(rows)
		if err == nil {
			err = ss.s.checkConflict(ctx, ss.s.db, c) // fail closed: an edited conflict is not shown
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, raw{c: Conflict{ID: c.id, Table: c.table, RowID: c.row, Column: c.column, Device: c.device, WinnerDev: c.winnerDev, RecordedAt: c.recordedAt},
			scope: c.scope, value: c.value, sealed: c.sealed})
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
	ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "sync.conflicts.read", Detail: fmt.Sprintf("conflicts=%d", len(out))})
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
		c, err := scanConflict(w.tx.QueryRowContext(ctx, "SELECT "+conflictCols+" FROM conflicts WHERE id = ? AND resolved_at = 0", id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err == nil {
			err = w.s.checkConflict(ctx, w.tx, c) // an edited conflict is not put back anywhere
		}
		if err != nil {
			return err
		}
		tbl, row, column, scope, value := c.table, c.row, c.column, c.scope, c.value
		w.audit.Target = row
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: scope, ownerID: ""}); err != nil || !(ss.user.Has(RoleOwner) || ss.user.Has(RoleManager)) {
			return ErrForbidden
		}
		w.audit.Fields = []string{column}
		if err := w.update(tbl, scope, row, []col{plain(column, value)}); err != nil {
			return err
		}
		if err := w.s.recomputeDerived(ctx, w.tx, map[string]map[string]bool{tbl: {row: true}}); err != nil {
			return err
		}
		c.resolved = w.now
		mac, err := w.s.conflictMAC(c)
		if err != nil {
			return err
		}
		_, err = w.tx.ExecContext(ctx, "UPDATE conflicts SET resolved_at = ?, mac = ? WHERE id = ?", c.resolved, mac, id)
		return err
	})
}
