package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// RegisterUnsubscribeHashes implements hub.Storage. The single writer connection serialises
// registrations.
func (s *Storage) RegisterUnsubscribeHashes(ctx context.Context, scope string, hashes []string, maxPerScope int64, at time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		n, err = hub.RegisterUnsubscribeRule(unsubTx{ctx, tx}, scope, hashes, maxPerScope, at)
		return err
	})
	return n, hub.StorageErr("register unsubscribe hashes", err, hub.ErrConflict, hub.ErrFull)
}

type unsubTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (u unsubTx) Registered(hashes [][]byte) (map[string]string, error) {
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	rows, err := u.tx.QueryContext(u.ctx, "SELECT hash, scope FROM unsubscribe_hashes WHERE hash IN (?"+
		strings.Repeat(", ?", len(hashes)-1)+")", args...)
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
	err := u.tx.QueryRowContext(u.ctx, "SELECT COUNT(*) FROM unsubscribe_hashes WHERE scope = ?", scope).Scan(&n)
	return n, err
}

func (u unsubTx) Insert(scope string, hashes [][]byte, at time.Time) error {
	st, err := u.tx.PrepareContext(u.ctx, "INSERT INTO unsubscribe_hashes(hash, scope, registered_at) VALUES(?, ?, ?)")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, h := range hashes {
		if _, err := st.ExecContext(u.ctx, h, scope, ms(at)); err != nil {
			return err
		}
	}
	return nil
}

func (u unsubTx) ScopeOf(hash []byte) (string, bool, error) {
	var sc string
	err := u.tx.QueryRowContext(u.ctx, "SELECT scope FROM unsubscribe_hashes WHERE hash = ?", hash).Scan(&sc)
	found, err := hub.Found(err, sql.ErrNoRows)
	return sc, found, err
}

func (u unsubTx) InsertClick(hash []byte, scope string, at time.Time) (bool, error) {
	res, err := u.tx.ExecContext(u.ctx, "INSERT INTO unsubscribe_clicks(hash, scope, clicked_at) VALUES(?, ?, ?) ON CONFLICT(hash) DO NOTHING",
		hash, scope, ms(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnsubscribeRegistered implements hub.Storage.
func (s *Storage) UnsubscribeRegistered(ctx context.Context, hash string) (bool, error) {
	b, ok := hub.UnsubscribeHashBytes(hash)
	if !ok {
		return false, nil
	}
	var one int
	err := s.r.QueryRowContext(ctx, "SELECT 1 FROM unsubscribe_hashes WHERE hash = ?", b).Scan(&one)
	found, err := hub.Found(err, sql.ErrNoRows)
	if err != nil {
		return false, fmt.Errorf("read unsubscribe hash: %w", err)
	}
	return found, nil
}

// RecordUnsubscribe implements hub.Storage.
func (s *Storage) RecordUnsubscribe(ctx context.Context, hash string, at time.Time) (bool, error) {
	var rec bool
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
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
	return collect("read unsubscribes", func(r scanner) (protocol.UnsubscribeClick, error) {
		var seq, when int64
		var h []byte
		err := r.Scan(&seq, &h, &when)
		return hub.UnsubscribeClickOf(seq, h, at(when)), err
	})(s.r.QueryContext(ctx, "SELECT seq, hash, clicked_at FROM unsubscribe_clicks WHERE scope = ? AND seq > ? ORDER BY seq LIMIT ?",
		scope, after, limit))
}
