package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"spoke/sync/hub"
)

// rosterLock serialises roster appends across hub processes sharing one database, so two
// owners appending at once get one entry each in turn, never a gap or a silent overwrite.
const rosterLock = 0x5350_4b52

// AppendRosterEntry implements hub.Storage.
func (s *Storage) AppendRosterEntry(ctx context.Context, seq uint64, entry []byte, when time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(rosterLock)); err != nil {
			return err
		}
		return hub.AppendRosterRule(rosterTx{ctx, tx, when}, seq, entry)
	})
	return hub.StorageErr("append roster entry", err, hub.ErrConflict)
}

// rosterTx runs hub.AppendRosterRule's queries under the advisory lock.
type rosterTx struct {
	ctx  context.Context
	tx   pgx.Tx
	when time.Time
}

func (r rosterTx) EntryAt(seq uint64) ([]byte, bool, error) {
	var b []byte
	err := r.tx.QueryRow(r.ctx, "SELECT entry FROM roster WHERE seq = $1", int64(seq)).Scan(&b)
	found, err := hub.Found(err, pgx.ErrNoRows)
	return b, found, err
}

func (r rosterTx) Len() (uint64, error) {
	var n int64
	err := r.tx.QueryRow(r.ctx, "SELECT count(*) FROM roster").Scan(&n)
	return uint64(n), err
}

func (r rosterTx) Insert(seq uint64, entry []byte) error {
	_, err := r.tx.Exec(r.ctx, "INSERT INTO roster(seq, entry, received_at) VALUES($1, $2, $3)", int64(seq), entry, r.when.UTC())
	return err
}

// RosterEntries implements hub.Storage.
func (s *Storage) RosterEntries(ctx context.Context, from uint64, limit int) ([][]byte, error) {
	if !hub.RosterPage(from, limit) {
		return nil, nil
	}
	return collectBlobs("read roster")(s.pool.Query(ctx, "SELECT entry FROM roster WHERE seq >= $1 ORDER BY seq LIMIT $2", int64(from), limit))
}

// RosterLen implements hub.Storage.
func (s *Storage) RosterLen(ctx context.Context) (uint64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM roster").Scan(&n); err != nil {
		return 0, fmt.Errorf("count roster: %w", err)
	}
	return uint64(n), nil
}

// PutRosterHead implements hub.Storage.
func (s *Storage) PutRosterHead(ctx context.Context, device string, head []byte, when time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO roster_heads(device, head, received_at) VALUES($1, $2, $3)
		ON CONFLICT (device) DO UPDATE SET head = excluded.head, received_at = excluded.received_at`, device, head, when.UTC())
	if err != nil {
		return fmt.Errorf("put roster head: %w", err)
	}
	return nil
}

// RosterHeads implements hub.Storage.
func (s *Storage) RosterHeads(ctx context.Context) ([][]byte, error) {
	return collectBlobs("read roster heads")(s.pool.Query(ctx, "SELECT head FROM roster_heads ORDER BY device"))
}

// collectBlobs reads a one-column query of blobs; none is an empty list, not nil, as before.
func collectBlobs(op string) func(pgx.Rows, error) ([][]byte, error) {
	return func(rows pgx.Rows, err error) ([][]byte, error) {
		if err == nil {
			var out [][]byte
			if out, err = pgx.CollectRows(rows, pgx.RowTo[[]byte]); err == nil {
				return out, nil
			}
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
}
