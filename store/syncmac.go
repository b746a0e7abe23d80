package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
)

// The sync bookkeeping that decides what is sent and what is taken is authenticated under the
// integrity key too: the sync state (the pushed position and the next set sequence: edited,
// this device would skip its own changes or reuse a sequence number) carries a MAC after its
// JSON, and each sender's newest applied scope sequence a MAC in its row. Both were written
// without one before migration 0010: they get one when the database is sealed, and from then
// on one missing is tampering.

func (s *Store) bookkeepingMAC(parts ...[]byte) ([]byte, error) {
	key, err := s.integrityKey()
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte("spoke/bookkeeping/v1\x00"))
	for _, p := range parts {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		h.Write(p)
	}
	return h.Sum(nil)[:macSize], nil
}

// encodeSyncState is the stored form of a sync state: its JSON, a zero byte and its MAC.
func (s *Store) encodeSyncState(b []byte) ([]byte, error) {
	mac, err := s.bookkeepingMAC([]byte("sync_state"), b)
	if err != nil {
		return nil, err
	}
	return append(append(b, 0), mac...), nil
}

// decodeSyncState checks a stored sync state and returns its JSON.
func (s *Store) decodeSyncState(ctx context.Context, q querier, v []byte) ([]byte, error) {
	bad := &TamperError{Table: "meta", Row: metaSyncState, Column: "value", Reason: "the sync state fails authentication"}
	if i := len(v) - macSize - 1; i >= 0 && v[i] == 0 {
		want, err := s.bookkeepingMAC([]byte("sync_state"), v[:i])
		if err != nil {
			return nil, err
		}
		if !hmac.Equal(want, v[i+1:]) {
			return nil, bad
		}
		return v[:i], nil
	}
	if bytes.IndexByte(v, 0) >= 0 {
		return nil, bad
	}
	// No MAC: written before migration 0010, acceptable only until the database is sealed.
	if _, err := getMeta(ctx, q, metaIntegrity); err == nil {
		return nil, &TamperError{Table: "meta", Row: metaSyncState, Column: "value", Reason: "the sync state has no MAC"}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return v, nil
}

func (s *Store) appliedMAC(device, scope string, seq int64) ([]byte, error) {
	return s.bookkeepingMAC([]byte("sync_applied"), []byte(device), []byte(scope), binary.BigEndian.AppendUint64(nil, uint64(seq)))
}

// checkApplied authenticates one sync_applied row.
func (s *Store) checkApplied(ctx context.Context, q querier, device, scope string, seq int64, mac []byte) error {
	if mac == nil {
		if _, err := getMeta(ctx, q, metaIntegrity); errors.Is(err, ErrNotFound) {
			return nil // before the seal
		}
		return &TamperError{Table: "sync_applied", Row: device + "/" + scope, Column: "mac", Reason: "the row has no MAC"}
	}
	want, err := s.appliedMAC(device, scope, seq)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, mac) {
		return &TamperError{Table: "sync_applied", Row: device + "/" + scope, Column: "scope_seq", Reason: "the row fails authentication"}
	}
	return nil
}

// sealBookkeeping gives the sync state and every sync_applied row a MAC (the seal of a
// database upgraded from before migration 0010), inside the sealing transaction.
func (s *Store) sealBookkeeping(ctx context.Context, tx *sql.Tx) error {
	v, err := getMeta(ctx, tx, metaSyncState)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		if i := len(v) - macSize - 1; !(i >= 0 && v[i] == 0) {
			b, err := s.encodeSyncState(v)
			if err != nil {
				return err
			}
			if err := s.putMeta(ctx, tx, metaSyncState, b); err != nil {
				return err
			}
		}
	}
	if err := s.sealConflicts(ctx, tx); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, "SELECT device_id, scope, scope_seq FROM sync_applied WHERE mac IS NULL")
	if err != nil {
		return err
	}
	type applied struct {
		device, scope string
		seq           int64
	}
	var todo []applied
	for rows.Next() {
		var a applied
		if err := rows.Scan(&a.device, &a.scope, &a.seq); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range todo {
		mac, err := s.appliedMAC(a.device, a.scope, a.seq)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sync_applied SET mac = ? WHERE device_id = ? AND scope = ?", mac, a.device, a.scope); err != nil {
			return err
		}
	}
	return nil
}

// verifyBookkeeping is Verify's check of the sync state and every sync_applied row.
func (s *Store) verifyBookkeeping(ctx context.Context, r *Report) error {
	var te *TamperError
	if v, err := getMeta(ctx, s.db, metaSyncState); err == nil {
		if _, err := s.decodeSyncState(ctx, s.db, v); errors.As(err, &te) {
			r.add(te.Table, te.Row, te.Column, te.Reason)
		} else if err != nil {
			return err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	crows, err := s.db.QueryContext(ctx, "SELECT "+conflictCols+" FROM conflicts")
	if err != nil {
		return err
	}
	for crows.Next() {
		c, err := scanConflict(crows)
		if err != nil {
			crows.Close()
			return err
		}
		if err := s.checkConflict(ctx, s.db, c); errors.As(err, &te) {
			r.add(te.Table, te.Row, te.Column, te.Reason)
		} else if err != nil {
			crows.Close()
			return err
		}
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT device_id, scope, scope_seq, mac FROM sync_applied")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var device, scope string
		var seq int64
		var mac []byte
		if err := rows.Scan(&device, &scope, &seq, &mac); err != nil {
			return err
		}
		if err := s.checkApplied(ctx, s.db, device, scope, seq, mac); errors.As(err, &te) {
			r.add(te.Table, te.Row, te.Column, te.Reason)
		} else if err != nil {
			return fmt.Errorf("sync_applied: %w", err)
		}
	}
	return rows.Err()
}

// conflictCols are a kept conflict's columns as its MAC covers them.
const conflictCols = "id, tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at, resolved_at, mac"

// conflictRow is one row of conflicts.
type conflictRow struct {
	id                                   int64
	table, row, column, scope            string
	value                                any
	sealed                               bool
	hlc, winnerHLC, recordedAt, resolved int64
	device, winnerDev                    string
	mac                                  []byte
}

func scanConflict(sc interface{ Scan(...any) error }) (*conflictRow, error) {
	c := &conflictRow{}
	err := sc.Scan(&c.id, &c.table, &c.row, &c.column, &c.scope, &c.value, &c.sealed, &c.hlc, &c.device, &c.winnerHLC, &c.winnerDev, &c.recordedAt, &c.resolved, &c.mac)
	return c, err
}

// macOf is a conflict's MAC over every column but its id.
func (s *Store) conflictMAC(c *conflictRow) ([]byte, error) {
	var b []byte
	for _, v := range []any{c.table, c.row, c.column, c.scope, c.value, c.sealed, c.hlc, c.device, c.winnerHLC, c.winnerDev, c.recordedAt, c.resolved} {
		if x, ok := v.(bool); ok {
			v = map[bool]int64{false: 0, true: 1}[x]
		}
		b = appendValue(b, v)
	}
	return s.bookkeepingMAC([]byte("conflict"), b)
}

// checkConflict authenticates one kept conflict.
func (s *Store) checkConflict(ctx context.Context, q querier, c *conflictRow) error {
	if c.mac == nil {
		if _, err := getMeta(ctx, q, metaIntegrity); errors.Is(err, ErrNotFound) {
			return nil // before the seal
		}
		return &TamperError{Table: "conflicts", Row: fmt.Sprint(c.id), Column: "mac", Reason: "the conflict has no MAC"}
	}
	want, err := s.conflictMAC(c)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, c.mac) {
		return &TamperError{Table: "conflicts", Row: fmt.Sprint(c.id), Column: "mac", Reason: "the kept conflict fails authentication"}
	}
	return nil
}

// sealConflicts gives every conflict kept before migration 0011 its MAC.
func (s *Store) sealConflicts(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT "+conflictCols+" FROM conflicts WHERE mac IS NULL")
	if err != nil {
		return err
	}
	var todo []*conflictRow
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range todo {
		mac, err := s.conflictMAC(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE conflicts SET mac = ? WHERE id = ?", mac, c.id); err != nil {
			return err
		}
	}
	return nil
}
