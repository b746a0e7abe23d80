package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"spoke/protocol"
	"spoke/sync/hub"
)

// unsubscribeLock serialises unsubscribe registrations across hub processes sharing one
// database, so a hash lands under one scope only and a scope's bound holds exactly.
const unsubscribeLock = 0x5350_4b55

// RegisterUnsubscribeHashes implements hub.Storage.
func (s *Storage) RegisterUnsubscribeHashes(ctx context.Context, scope string, hashes []string, maxPerScope int64, at time.Time) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(unsubscribeLock)); err != nil {
			return err
		}
		n, err = hub.RegisterUnsubscribeRule(unsubTx{ctx, tx}, scope, hashes, maxPerScope, at)
		return err
	})
	return n, hub.StorageErr("register unsubscribe hashes", err, hub.ErrConflict, hub.ErrFull)
}

type unsubTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (u unsubTx) Registered(hashes [][]byte) (map[string]string, error) {
	rows, err := u.tx.Query(u.ctx, "SELECT hash, scope FROM unsubscribe_hashes WHERE hash = ANY($1)", hashes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var h []byte
		var sc string
		if err := rows.Scan(&h, &sc); err != nil {
			return nil, err
		}
		out[string(h)] = sc
	}
	return out, rows.Err()
}

func (u unsubTx) Count(scope string) (int64, error) {
	var n int64
	err := u.tx.QueryRow(u.ctx, "SELECT count(*) FROM unsubscribe_hashes WHERE scope = $1", scope).Scan(&n)
	return n, err
}

func (u unsubTx) Insert(scope string, hashes [][]byte, at time.Time) error {
	_, err := u.tx.Exec(u.ctx, "INSERT INTO unsubscribe_hashes(hash, scope, registered_at) SELECT h, $2, $3 FROM unnest($1::bytea[]) AS h",
		hashes, scope, at.UTC())
	return err
}

func (u unsubTx) ScopeOf(hash []byte) (string, bool, error) {
	var sc string
	err := u.tx.QueryRow(u.ctx, "SELECT scope FROM unsubscribe_hashes WHERE hash = $1", hash).Scan(&sc)
	found, err := hub.Found(err, pgx.ErrNoRows)
	return sc, found, err
}

func (u unsubTx) InsertClick(hash []byte, scope string, at time.Time) (bool, error) {
	// Serialise click inserts so seqs commit in order (a reader paging by seq never skips
	// one), as change-set inserts do; clicks are rare, and plain reads pass the lock.
	if _, err := u.tx.Exec(u.ctx, "LOCK TABLE unsubscribe_clicks IN EXCLUSIVE MODE"); err != nil {
		return false, err
	}
	tag, err := u.tx.Exec(u.ctx, "INSERT INTO unsubscribe_clicks(hash, scope, clicked_at) VALUES($1, $2, $3) ON CONFLICT (hash) DO NOTHING",
		hash, scope, at.UTC())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// UnsubscribeRegistered implements hub.Storage.
func (s *Storage) UnsubscribeRegistered(ctx context.Context, hash string) (bool, error) {
	b, ok := hub.UnsubscribeHashBytes(hash)
	if !ok {
		return false, nil
	}
	var one int
	err := s.pool.QueryRow(ctx, "SELECT 1 FROM unsubscribe_hashes WHERE hash = $1", b).Scan(&one)
	found, err := hub.Found(err, pgx.ErrNoRows)
	if err != nil {
		return false, fmt.Errorf("read unsubscribe hash: %w", err)
	}
	return found, nil
}

// RecordUnsubscribe implements hub.Storage.
func (s *Storage) RecordUnsubscribe(ctx context.Context, hash string, at time.Time) (bool, error) {
	var rec bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		rec, err = hub.RecordUnsubscribeRule(unsubTx{ctx, tx}, hash, at)
		return err
	})
	return rec, hub.StorageErr("record unsubscribe", err, hub.ErrNotFound)
}

// Unsubscribes implements hub.Storage.
func (s *Storage) Unsubscribes(ctx context.Context, scope string, after int64, limit int) ([]protocol.UnsubscribeClick, error) {
	limit, ok := hub.UnsubscribesPage(after, limit)
	if !ok {
		return nil, nil
	}
	return collect("read unsubscribes", func(r pgx.Row) (protocol.UnsubscribeClick, error) {
		var seq int64
		var h []byte
		var when time.Time
		err := r.Scan(&seq, &h, &when)
		return hub.UnsubscribeClickOf(seq, h, when.UTC()), err
	})(s.pool.Query(ctx, "SELECT seq, hash, clicked_at FROM unsubscribe_clicks WHERE scope = $1 AND seq > $2 ORDER BY seq LIMIT $3",
		scope, after, limit))
}
