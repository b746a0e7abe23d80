package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
)

// Incoming change-sets that cannot be applied yet wait here rather than being dropped: a set
// after a gap in its sender's sequence for that scope (the hub dropped or has not yet relayed
// the one before), a set from a device the roster does not list yet (enrolled, not yet
// confirmed by an owner device), a set sealed under a scope key that has not arrived. Sync
// retries them after every pull, in sender order, and reports what still waits.

// MaxHeld and MaxHeldBytes bound the sets held at once, so a hub cannot fill the disk with
// sets from devices that will never be confirmed; past them, new arrivals are refused and
// counted.
var (
	MaxHeld      = 20000
	MaxHeldBytes = int64(256 << 20)
)

// ErrHeldFull means the held-set store is full.
var ErrHeldFull = errors.New("too many change-sets are waiting; the oldest reason must be fixed first")

// HeldSet is one waiting set.
type HeldSet struct {
	ID       int64
	Device   string
	Scope    string
	ScopeSeq uint64
	Bytes    []byte
	Reason   string
}

// hold keeps a set for later. Holding the same bytes twice keeps one copy. When the store is
// full, sets of senders the roster does not list (unauthenticated: anyone, the hub included,
// can make them) are dropped first, oldest first; when that does not make room, ErrHeldFull,
// and sync stops there without moving past the set, so no genuine set is ever skipped.
func (s *Store) hold(ctx context.Context, h HeldSet) error {
	d := sha256.Sum256(h.Bytes)
	var dup int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sync_held WHERE digest = ?", d[:]).Scan(&dup); err != nil || dup > 0 {
		return err // held already (pulled again after a stop)
	}
	room := func() (bool, error) {
		var n int
		var size int64
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(length(bytes)), 0) FROM sync_held").Scan(&n, &size); err != nil {
			return false, err
		}
		return n < MaxHeld && size+int64(len(h.Bytes)) <= MaxHeldBytes, nil
	}
	ok, err := room()
	if err != nil {
		return err
	}
	if !ok {
		if err := s.dropUnconfirmedHeld(ctx); err != nil {
			return err
		}
		if ok, err = room(); err != nil {
			return err
		}
		if !ok {
			return ErrHeldFull
		}
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO sync_held(device_id, scope, scope_seq, digest, bytes, reason, held_at) VALUES(?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(digest) DO UPDATE SET reason = excluded.reason`, h.Device, h.Scope, int64(h.ScopeSeq), d[:], h.Bytes, h.Reason, s.opts.Now().UnixMilli())
	return err
}

// dropUnconfirmedHeld removes the oldest half of the held sets whose sender the roster does not
// list, and audits how many.
func (s *Store) dropUnconfirmedHeld(ctx context.Context) error {
	local, err := s.Roster(ctx)
	if err != nil && !errors.Is(err, ErrNoRoster) {
		return err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, device_id FROM sync_held ORDER BY id")
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var dev string
		if err := rows.Scan(&id, &dev); err != nil {
			rows.Close()
			return err
		}
		if local == nil || local.Member(dev) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	ids = ids[:(len(ids)+1)/2]
	for _, id := range ids {
		if err := s.unhold(ctx, id); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		return s.auditAlone(ctx, syncActor, auditEntry{Action: "sync.held.dropped", Outcome: "refused", Detail: fmt.Sprintf("sets=%d unconfirmed senders", len(ids))})
	}
	return nil
}

// held lists waiting sets in the order they should be tried: by sender, scope and sequence.
// Bytes is left empty (up to MaxHeldBytes would be read at once): HeldBytes reads one set's.
func (s *Store) held(ctx context.Context) ([]HeldSet, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, device_id, scope, scope_seq, reason FROM sync_held ORDER BY device_id, scope, scope_seq, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HeldSet
	for rows.Next() {
		var h HeldSet
		var seq int64
		if err := rows.Scan(&h.ID, &h.Device, &h.Scope, &seq, &h.Reason); err != nil {
			return nil, err
		}
		h.ScopeSeq = uint64(seq)
		out = append(out, h)
	}
	return out, rows.Err()
}

// heldBytes returns the bytes of one held set.
func (s *Store) heldBytes(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, "SELECT bytes FROM sync_held WHERE id = ?", id).Scan(&b)
	return b, err
}

// unhold removes a set that was applied or refused.
func (s *Store) unhold(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sync_held WHERE id = ?", id)
	return err
}

// HeldSummary is what waits, per sender and scope, for the Sync screen and `spoke sync`.
type HeldSummary struct {
	Device string `json:"device"`
	Scope  string `json:"scope"`
	Sets   int    `json:"sets"`
	// Missing is the scope sequence number the sender's next applicable set must carry.
	Missing uint64 `json:"missing"`
	Reason  string `json:"reason"`
}

func (h HeldSummary) String() string {
	return fmt.Sprintf("%d change-set(s) of device %s (scope %s) wait: %s (next expected: %d)", h.Sets, h.Device, h.Scope, h.Reason, h.Missing)
}

// HeldSummaries groups the waiting sets.
func (s *Store) HeldSummaries(ctx context.Context) ([]HeldSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT h.device_id, h.scope, COUNT(*), MIN(h.reason), COALESCE(a.scope_seq, 0) + 1
		FROM sync_held h LEFT JOIN sync_applied a ON a.device_id = h.device_id AND a.scope = h.scope
		GROUP BY h.device_id, h.scope ORDER BY h.device_id, h.scope`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HeldSummary
	for rows.Next() {
		var h HeldSummary
		var next int64
		if err := rows.Scan(&h.Device, &h.Scope, &h.Sets, &h.Reason, &next); err != nil {
			return nil, err
		}
		h.Missing = uint64(next)
		out = append(out, h)
	}
	return out, rows.Err()
}

// appliedSeq returns the newest scope sequence applied from a sender (0 = none yet).
func (s *Store) appliedSeq(ctx context.Context, device, scope string) (uint64, error) {
	var v int64
	var mac []byte
	err := s.db.QueryRowContext(ctx, "SELECT scope_seq, mac FROM sync_applied WHERE device_id = ? AND scope = ?", device, scope).Scan(&v, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := s.checkApplied(ctx, s.db, device, scope, v, mac); err != nil {
		return 0, err
	}
	return uint64(v), nil
}

// markApplied records that a sender's set seq of scope was applied (or refused for good, so
// the sender's later sets are not held behind it forever).
func (s *Store) markApplied(ctx context.Context, device, scope string, seq uint64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur int64
	var mac []byte
	err = tx.QueryRowContext(ctx, "SELECT scope_seq, mac FROM sync_applied WHERE device_id = ? AND scope = ?", device, scope).Scan(&cur, &mac)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if err := s.checkApplied(ctx, tx, device, scope, cur, mac); err != nil {
			return err
		}
	}
	v := max(cur, int64(seq))
	if mac, err = s.appliedMAC(device, scope, v); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_applied(device_id, scope, scope_seq, mac) VALUES(?, ?, ?, ?)
		ON CONFLICT(device_id, scope) DO UPDATE SET scope_seq = excluded.scope_seq, mac = excluded.mac`, device, scope, v, mac); err != nil {
		return err
	}
	return tx.Commit()
}
