package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/seal"
)

// SyncState is this device's position in the sync protocol (kept in the header; secrets
// separately, sealed).
type SyncState struct {
	HubAddr      string    `json:"hub_addr,omitempty"`
	HubDeviceID  string    `json:"hub_device_id,omitempty"`
	Role         string    `json:"role,omitempty"` // "owner" or "shop"
	Scopes       []string  `json:"scopes,omitempty"`
	Certificate  string    `json:"certificate,omitempty"` // client certificate PEM (public)
	CA           string    `json:"ca,omitempty"`          // hub CA PEM (public, pinned at enrollment)
	PushedSeq    int64     `json:"pushed_seq"`            // last change seq sealed into a set
	PushedAudit  int64     `json:"pushed_audit"`          // last audit seq sealed into a set
	NextSetSeq   uint64    `json:"next_set_seq"`          // sequence number of the next set
	Cursor       int64     `json:"cursor"`                // hub cursor pulled up to
	LastSync     time.Time `json:"last_sync,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Refused      int64     `json:"refused"` // incoming sets refused so far
	CheckpointAt int64     `json:"checkpoint_at"`
}

const (
	metaSyncState = "sync_state"
	metaIdentity  = "device_identity"
)

// Connected reports whether the device is enrolled with a hub.
func (st SyncState) Connected() bool { return st.HubAddr != "" && st.Certificate != "" }

// SyncState reads the state (zero value before enrollment).
func (s *Store) SyncState(ctx context.Context) (SyncState, error) {
	var st SyncState
	v, err := getMeta(ctx, s.db, metaSyncState)
	if errors.Is(err, ErrNotFound) {
		return SyncState{NextSetSeq: 1}, nil
	}
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(v, &st)
	if st.NextSetSeq == 0 {
		st.NextSetSeq = 1
	}
	return st, err
}

// SaveSyncState writes the state.
func (s *Store) SaveSyncState(ctx context.Context, st SyncState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return setMeta(ctx, s.db, metaSyncState, b)
}

// secretLabel binds a sealed header secret to its name and this database.
func (s *Store) secretLabel(name string) []byte { return seal.Label("meta-secret", name, s.dbID) }

// SetSecret stores a device secret (TLS private key, identity) sealed under the master key.
func (s *Store) SetSecret(ctx context.Context, name string, value []byte) error {
	s.mu.RLock()
	ct, err := seal.Seal(s.mk, value, s.secretLabel(name))
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return setMeta(ctx, s.db, "secret:"+name, ct)
}

// Secret reads a sealed device secret (ErrNotFound if absent).
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	ct, err := getMeta(ctx, s.db, "secret:"+name)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := seal.Open(s.mk, ct, s.secretLabel(name))
	if err != nil {
		return nil, &SealError{Table: "meta", Row: name, Column: "value", Err: err}
	}
	return v, nil
}

// DeleteSecret removes a device secret; removing one that is absent is not an error. The
// database runs with secure_delete, so the sealed bytes are overwritten in the file, not
// left on a free page (copies in the WAL go at the next checkpoint; backups keep theirs).
func (s *Store) DeleteSecret(ctx context.Context, name string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", "secret:"+name); err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return nil
}

// DeviceIdentity returns this device's signing and HPKE keys, creating them on first use.
func (s *Store) DeviceIdentity(ctx context.Context) (*device.Identity, error) {
	b, err := s.Secret(ctx, metaIdentity)
	if err == nil {
		return device.Unmarshal(b)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	id, err := device.New()
	if err != nil {
		return nil, err
	}
	b, err = id.Marshal()
	if err != nil {
		return nil, err
	}
	if err := s.SetSecret(ctx, metaIdentity, b); err != nil {
		return nil, err
	}
	return id, nil
}

// OutboxSet is a sealed change-set waiting to be pushed.
type OutboxSet struct {
	SetSeq        uint64
	Scope         string
	LastChangeSeq int64
	Bytes         []byte
}

// EnqueueBatch stores several sets made from one window of the change log (one per scope),
// and advances the pushed position to lastChangeSeq, all in one transaction: a crash leaves
// either all of them or none.
func (s *Store) EnqueueBatch(ctx context.Context, scopes []string, lastChangeSeq int64, make func(i int, setSeq uint64) ([]byte, error)) error {
	st, err := s.SyncState(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, scope := range scopes {
		b, err := make(i, st.NextSetSeq)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sync_outbox(set_seq, scope, last_change_seq, bytes) VALUES(?, ?, ?, ?)", st.NextSetSeq, scope, lastChangeSeq, b); err != nil {
			return err
		}
		st.NextSetSeq++
	}
	st.PushedSeq = lastChangeSeq
	sb, _ := json.Marshal(st)
	if err := setMeta(ctx, tx, metaSyncState, sb); err != nil {
		return err
	}
	return tx.Commit()
}

// Enqueue seals the next set (make gets its sequence number) and stores it in the outbox
// together with the advanced sync state, in one transaction.
func (s *Store) Enqueue(ctx context.Context, scope string, lastChangeSeq int64, make func(setSeq uint64) ([]byte, error)) error {
	return s.enqueue(ctx, scope, lastChangeSeq, -1, make)
}

// EnqueueAudit is Enqueue for a set of audit entries up to lastAuditSeq.
func (s *Store) EnqueueAudit(ctx context.Context, scope string, lastAuditSeq int64, make func(setSeq uint64) ([]byte, error)) error {
	return s.enqueue(ctx, scope, -1, lastAuditSeq, make)
}

func (s *Store) enqueue(ctx context.Context, scope string, lastChangeSeq, lastAuditSeq int64, make func(setSeq uint64) ([]byte, error)) error {
	st, err := s.SyncState(ctx)
	if err != nil {
		return err
	}
	b, err := make(st.NextSetSeq)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO sync_outbox(set_seq, scope, last_change_seq, bytes) VALUES(?, ?, ?, ?)", st.NextSetSeq, scope, max(lastChangeSeq, 0), b); err != nil {
		return err
	}
	st.NextSetSeq++
	if lastChangeSeq >= 0 {
		st.PushedSeq = lastChangeSeq
	}
	if lastAuditSeq >= 0 {
		st.PushedAudit = lastAuditSeq
	}
	sb, _ := json.Marshal(st)
	if err := setMeta(ctx, tx, metaSyncState, sb); err != nil {
		return err
	}
	return tx.Commit()
}

// Outbox lists the sets waiting to be pushed, in order.
func (s *Store) Outbox(ctx context.Context) ([]OutboxSet, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT set_seq, scope, last_change_seq, bytes FROM sync_outbox ORDER BY set_seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxSet
	for rows.Next() {
		var o OutboxSet
		if err := rows.Scan(&o.SetSeq, &o.Scope, &o.LastChangeSeq, &o.Bytes); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OutboxDone removes a set the hub has stored.
func (s *Store) OutboxDone(ctx context.Context, setSeq uint64) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sync_outbox WHERE set_seq = ?", setSeq)
	return err
}

// PendingChanges counts local changes not yet sealed plus sets not yet pushed.
func (s *Store) PendingChanges(ctx context.Context) (changes, sets int, err error) {
	st, err := s.SyncState(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM changes WHERE seq > ? AND device_id = ?", st.PushedSeq, s.deviceID).Scan(&changes); err != nil {
		return 0, 0, err
	}
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sync_outbox").Scan(&sets)
	return changes, sets, err
}

// Peer is another device as this one knows it.
type Peer struct {
	DeviceID   string
	SigningKey []byte
	KEMKey     []byte
	Name, Role string
	Scopes     []string
	Status     string
}

// SavePeer records or updates another device's public keys and status.
func (s *Store) SavePeer(ctx context.Context, p Peer) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sync_peers(device_id, signing_key, kem_key, name, role, scopes, status) VALUES(?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(device_id) DO UPDATE SET name = excluded.name, role = excluded.role, scopes = excluded.scopes, status = excluded.status`,
		p.DeviceID, p.SigningKey, p.KEMKey, p.Name, p.Role, strings.Join(p.Scopes, ","), p.Status)
	return err
}

// Peer returns a known device. A device's keys never change once recorded (a hub that
// swapped them later is ignored): trust on first use, from the hub's enrolment record.
func (s *Store) Peer(ctx context.Context, id string) (*Peer, error) {
	p := &Peer{DeviceID: id}
	var scopes string
	err := s.db.QueryRowContext(ctx, "SELECT signing_key, kem_key, name, role, scopes, status FROM sync_peers WHERE device_id = ?", id).
		Scan(&p.SigningKey, &p.KEMKey, &p.Name, &p.Role, &scopes, &p.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if scopes != "" {
		p.Scopes = strings.Split(scopes, ",")
	}
	return p, nil
}

// AuditHead returns the newest audit entry's seq and MAC (for checkpoints at the hub).
func (s *Store) AuditHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := s.db.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	return seq, mac, err
}

// AuditMACAt returns the MAC of audit entry seq, to compare with a checkpoint.
func (s *Store) AuditMACAt(ctx context.Context, seq int64) ([]byte, error) {
	var mac []byte
	err := s.db.QueryRowContext(ctx, "SELECT mac FROM audit WHERE seq = ?", seq).Scan(&mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit entry %d: %w", seq, ErrNotFound)
	}
	return mac, err
}

// Record audits a sync event (device-level: no user).
func (s *Store) Record(ctx context.Context, action, target, outcome, detail string) error {
	return s.auditAlone(ctx, actor{userID: "sync"}, auditEntry{Action: action, Target: target, Outcome: outcome, Detail: detail})
}
