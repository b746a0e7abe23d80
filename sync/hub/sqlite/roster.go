package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"spoke/sync/hub"
)

// AppendRosterEntry implements hub.Storage.
func (s *Storage) AppendRosterEntry(ctx context.Context, seq uint64, entry []byte, when time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return hub.AppendRosterRule(rosterTx{ctx, tx, when}, seq, entry)
	})
	return hub.StorageErr("append roster entry", err, hub.ErrConflict)
}

// rosterTx runs hub.AppendRosterRule's queries in an immediate transaction (the single
// writer connection serialises appends).
type rosterTx struct {
	ctx  context.Context
	tx   *sql.Tx
	when time.Time
}

func (r rosterTx) EntryAt(seq uint64) ([]byte, bool, error) {
	var b []byte
	err := r.tx.QueryRowContext(r.ctx, "SELECT entry FROM roster WHERE seq = ?", int64(seq)).Scan(&b)
	found, err := hub.Found(err, sql.ErrNoRows)
	return b, found, err
}

func (r rosterTx) Len() (uint64, error) {
	var n int64
	err := r.tx.QueryRowContext(r.ctx, "SELECT COUNT(*) FROM roster").Scan(&n)
	return uint64(n), err
}

func (r rosterTx) Insert(seq uint64, entry []byte) error {
	_, err := r.tx.ExecContext(r.ctx, "INSERT INTO roster(seq, entry, received_at) VALUES(?, ?, ?)", int64(seq), entry, ms(r.when))
	return err
}

// RosterEntries implements hub.Storage.
func (s *Storage) RosterEntries(ctx context.Context, from uint64, limit int) ([][]byte, error) {
	if !hub.RosterPage(from, limit) {
		return nil, nil
	}
	return collect("read roster", scanBlob)(s.r.QueryContext(ctx, "SELECT entry FROM roster WHERE seq >= ? ORDER BY seq LIMIT ?", int64(from), limit))
}

// RosterLen implements hub.Storage.
func (s *Storage) RosterLen(ctx context.Context) (uint64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM roster").Scan(&n); err != nil {
		return 0, fmt.Errorf("count roster: %w", err)
	}
	return uint64(n), nil
}

// PutRosterHead implements hub.Storage.
func (s *Storage) PutRosterHead(ctx context.Context, device string, head []byte, when time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO roster_heads(device, head, received_at) VALUES(?, ?, ?)
		ON CONFLICT(device) DO UPDATE SET head = excluded.head, received_at = excluded.received_at`, device, head, ms(when))
	if err != nil {
		return fmt.Errorf("put roster head: %w", err)
	}
	return nil
}

// RosterHeads implements hub.Storage.
func (s *Storage) RosterHeads(ctx context.Context) ([][]byte, error) {
	return collect("read roster heads", scanBlob)(s.r.QueryContext(ctx, "SELECT head FROM roster_heads ORDER BY device"))
}
