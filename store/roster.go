package store

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
)

// The owner-signed roster of the chain's devices (crypto/roster), as this device verified it.
// Entries are kept in the roster table from the genesis on; the chain id they must start from
// is in the header. The store never takes a device key from anywhere else: sync asks Peer.

const (
	metaRosterID  = "roster_id"
	metaRosterMAC = "roster_mac" // HMAC under a master-key-derived key of (chain id, length, head)

	purposeRosterMAC = "spoke/roster-mac/v1"
)

// rosterMAC authenticates how far this device's roster goes, so removing its newest entries
// from the file (undoing a revocation) or swapping in another chain's list is caught: the
// entries themselves are signed, but their number and the chain are this file's to vouch for.
func (s *Store) rosterMAC(st *roster.State) []byte {
	s.mu.RLock()
	k := keys.Derive(s.mk, purposeRosterMAC)
	s.mu.RUnlock()
	defer seal.Wipe(k)
	id, head := st.ID(), st.Head()
	m := hmac.New(sha256.New, k)
	m.Write(seal.Label(s.dbID, string(id[:]), strconv.FormatUint(st.Len(), 10), string(head[:])))
	return m.Sum(nil)
}

// ErrNoRoster means this device holds no verified roster yet (a new device before its first
// sync, or a database from before rosters).
var ErrNoRoster = errors.New("no verified device roster yet")

// writeGenesis starts the roster of a new chain: this device as its first owner, and the
// offline owner key derived from the recovery code, which countersigns.
func (s *Store) writeGenesis(ctx context.Context, recoveryCode string) error {
	id, err := s.deviceIdentity(ctx)
	if err != nil {
		return err
	}
	var rec ed25519.PrivateKey
	if recoveryCode != "" {
		if rec, err = keys.RecoverySigningKey(recoveryCode); err != nil {
			return err
		}
	}
	g, err := roster.Genesis(roster.Member{ID: s.deviceID, SigningKey: id.SigningPublic(), KEMKey: id.KEMPublic()}, id.Signing, rec, s.opts.Now().UnixMilli())
	if err != nil {
		return err
	}
	_, err = s.appendRoster(ctx, [][]byte{g})
	return err
}

// ensureGenesis gives a database made before rosters existed (a chain's first database, never
// connected) its genesis on open, so it can connect. Without the recovery code, which is
// never stored, it has no offline owner key: the README says how to start a new chain for
// that. A replica, or a database already connected, is left as it is.
func (s *Store) ensureGenesis(ctx context.Context) error { return s.ensureGenesisWith(ctx, "") }

func (s *Store) ensureGenesisWith(ctx context.Context, recoveryCode string) error {
	_, err := s.Roster(ctx)
	if errors.Is(err, ErrTampered) {
		return nil // a damaged list stays as it is: verify names it, sync refuses to use it
	}
	if !errors.Is(err, ErrNoRoster) {
		return err
	}
	if ss, err := s.SyncState(ctx); err != nil || ss.Connected() {
		return err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM scope_keys WHERE scope = ?", OrgScope).Scan(&n); err != nil || n == 0 {
		return err
	}
	return s.writeGenesis(ctx, recoveryCode)
}

// RosterID returns the chain id this device's roster starts from, if it knows one.
func (s *Store) RosterID(ctx context.Context) ([32]byte, bool, error) {
	return s.rosterID(ctx, s.db)
}

// rosterID reads the chain id through q (a transaction's own connection, inside one: another
// connection of the pool could be the one the transaction is waiting for).
func (s *Store) rosterID(ctx context.Context, q querier) ([32]byte, bool, error) {
	var id [32]byte
	v, err := getMeta(ctx, q, metaRosterID)
	if errors.Is(err, ErrNotFound) {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	if len(v) != len(id) {
		return id, false, &SealError{Table: "meta", Row: metaRosterID, Column: "value", Err: ErrTampered}
	}
	copy(id[:], v)
	return id, true, nil
}

// SetRosterID records the chain id from an enrolment code before the roster arrives. A device
// that already has one keeps it: the code of another chain is refused.
func (s *Store) SetRosterID(ctx context.Context, id [32]byte) error {
	old, ok, err := s.RosterID(ctx)
	if err != nil {
		return err
	}
	if ok && old != id {
		return fmt.Errorf("this device belongs to another chain's roster")
	}
	return s.putMeta(ctx, s.db, metaRosterID, id[:])
}

// Roster returns the verified roster (ErrNoRoster when there is none). The result is shared:
// callers only read it. It is read again when another process (the CLI beside the app) has
// appended entries.
func (s *Store) Roster(ctx context.Context) (*roster.State, error) {
	return s.rosterVia(ctx, s.db)
}

// rosterVia is Roster reading through q.
func (s *Store) rosterVia(ctx context.Context, q querier) (*roster.State, error) {
	s.mu.RLock()
	st := s.roster
	s.mu.RUnlock()
	if st != nil {
		var n uint64
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM roster").Scan(&n); err != nil {
			return nil, err
		}
		if n == st.Len() {
			return st, nil
		}
	}
	st, err := s.loadRoster(ctx, q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.roster = st
	s.mu.Unlock()
	return st, nil
}

// loadRoster reads and verifies every entry from the genesis (the chain id checked).
func (s *Store) loadRoster(ctx context.Context, q querier) (*roster.State, error) {
	id, _, err := s.rosterID(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT seq, entry FROM roster ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var st *roster.State
	for rows.Next() {
		var seq int64
		var b []byte
		if err := rows.Scan(&seq, &b); err != nil {
			return nil, err
		}
		if st == nil {
			if seq != 0 {
				return nil, &SealError{Table: "roster", Row: fmt.Sprint(seq), Column: "entry", Err: ErrTampered}
			}
			st, err = roster.New(b, id, nil)
		} else if uint64(seq) != st.Len() {
			err = roster.ErrInvalid
		} else {
			err = st.Append(b)
		}
		if err != nil {
			return nil, &SealError{Table: "roster", Row: fmt.Sprint(seq), Column: "entry", Err: ErrTampered}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, ErrNoRoster
	}
	mac, err := getMeta(ctx, q, metaRosterMAC)
	if err != nil || !hmac.Equal(mac, s.rosterMAC(st)) {
		return nil, &SealError{Table: "meta", Row: metaRosterMAC, Column: "value", Err: ErrTampered}
	}
	return st, nil
}

// AppendRoster verifies entries on top of the roster held (the first of a new device's must be
// the genesis of its chain id) and stores them, all or none. An entry that does not verify
// is roster.ErrInvalid and nothing is stored: a hub that adds, swaps or reorders entries
// changes nothing here.
func (s *Store) AppendRoster(ctx context.Context, entries [][]byte) (*roster.State, error) {
	return s.appendRoster(ctx, entries)
}

func (s *Store) appendRoster(ctx context.Context, entries [][]byte) (*roster.State, error) {
	// Not an audited write: a new device stores its roster before it holds the org key the
	// audit chain is keyed from, and the roster is itself a signed, hash-chained log. What
	// changes it (confirming, revoking, recovering a device) is audited where it is decided.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cur, err := s.loadRoster(ctx, tx)
	if err != nil && !errors.Is(err, ErrNoRoster) {
		return nil, err
	}
	var next *roster.State
	if cur != nil {
		next = cur.Clone()
	}
	for _, b := range entries {
		if next == nil {
			id, ok, err := s.rosterID(ctx, tx)
			if err != nil {
				return nil, err
			}
			if next, err = roster.New(b, id, nil); err != nil {
				return nil, err
			}
			if !ok {
				h := next.ID()
				if err := s.putMeta(ctx, tx, metaRosterID, h[:]); err != nil {
					return nil, err
				}
			}
		} else if err := next.Append(b); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO roster(seq, entry) VALUES(?, ?)", int64(next.Len()-1), b); err != nil {
			return nil, err
		}
	}
	if next != nil {
		if err := s.putMeta(ctx, tx, metaRosterMAC, s.rosterMAC(next)); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.roster = next
	s.mu.Unlock()
	return next, nil
}

// Peer is another device as the verified roster pins it.
type Peer struct {
	DeviceID   string
	SigningKey []byte
	KEMKey     []byte
	Role       string
	Scopes     []string
	Active     bool
}

// Peer returns a device of the verified roster (active or revoked), or ErrNotFound.
func (s *Store) Peer(ctx context.Context, id string) (*Peer, error) {
	st, err := s.Roster(ctx)
	if errors.Is(err, ErrNoRoster) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m := st.Member(id)
	if m == nil || m.ID == roster.RecoveryID {
		return nil, ErrNotFound
	}
	return &Peer{DeviceID: m.ID, SigningKey: m.SigningKey, KEMKey: m.KEMKey, Role: m.Role, Scopes: m.Scopes, Active: m.Active}, nil
}

// Fingerprint is the SHA-256 of a signing key, as enrolment codes carry it.
func Fingerprint(pub ed25519.PublicKey) [32]byte { return sha256.Sum256(pub) }

// verifyRoster is verify's check of the roster table: every entry from the genesis.
func (s *Store) verifyRoster(ctx context.Context, q querier) []Problem {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM roster").Scan(&n); err != nil || n == 0 {
		return nil
	}
	_, err := s.loadRoster(ctx, q)
	var se *SealError
	if errors.As(err, &se) {
		return []Problem{{Table: se.Table, Row: se.Row, Column: se.Column, Reason: "does not verify (edited, reordered or planted)"}}
	}
	if err != nil {
		return []Problem{{Table: "roster", Row: "-", Column: "entry", Reason: err.Error()}}
	}
	return nil
}

// RosterEntries returns the stored entries from seq from on, as signed (for relaying an
// entry the hub lacks).
func (s *Store) RosterEntries(ctx context.Context, from uint64) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT entry FROM roster WHERE seq >= ? ORDER BY seq", int64(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// mayWrite reports whether this device may write change records of scope: an owner device (or
// one not enrolled anywhere) every scope; a shop device, enrolled as one or listed as one in
// the roster, only its own shops. Every other device refuses the rest, so a change made here
// anyway could never leave (the outbox would stick behind it).
func (s *Store) mayWrite(ctx context.Context, q querier, scope string) bool {
	if st, err := s.rosterVia(ctx, q); err == nil {
		if m := st.Member(s.deviceID); m != nil {
			return m.Role != roster.RoleShop || (scope != OrgScope && slices.Contains(m.Scopes, scope))
		}
	}
	ss, err := s.syncState(ctx, q)
	if err != nil || ss.Role != roster.RoleShop {
		return err == nil
	}
	return scope != OrgScope && slices.Contains(ss.Scopes, scope)
}
