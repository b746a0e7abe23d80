package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

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
	// ScopeSeqs is the last scope sequence number this device used per scope (wire.Header
	// ScopeSeq): receivers find a dropped set by the gap it leaves.
	ScopeSeqs map[string]uint64 `json:"scope_seqs,omitempty"`
	// Owner is the fingerprint of the owner device whose code enrolled this one: it must be
	// an active owner of the roster this device verifies.
	Owner []byte `json:"owner,omitempty"`
	// RosterConfirmed is the newest time an owner device's signed roster head matched the
	// roster held here (an owner device confirms its own).
	RosterConfirmed time.Time `json:"roster_confirmed,omitzero"`
	// RosterAlert says what was wrong with the roster the hub relayed last (planted, swapped
	// or reordered entries, a forked or withheld head); empty when nothing was.
	RosterAlert string `json:"roster_alert,omitempty"`
	// Snapshots is, per scope, the newest compaction snapshot this device verified (imported,
	// built, or checked part 0 of): its id and the key version it is sealed under. Only these,
	// never the hub's listing alone, let it forget older key versions.
	Snapshots map[string]SnapshotSeen `json:"snapshots,omitempty"`
}

// SnapshotSeen is a snapshot this device verified.
type SnapshotSeen struct {
	ID         string `json:"id"`
	KeyVersion uint32 `json:"key_version"`
	// Tried is the bound below which this device last tried to forget key versions of the
	// scope since this snapshot (0: not yet).
	Tried uint32 `json:"tried,omitempty"`
}

// nextScopeSeq advances and returns the scope sequence number for a new set of scope.
func (st *SyncState) nextScopeSeq(scope string) uint64 {
	if st.ScopeSeqs == nil {
		st.ScopeSeqs = map[string]uint64{}
	}
	st.ScopeSeqs[scope]++
	return st.ScopeSeqs[scope]
}

const (
	metaSyncState = "sync_state"
	metaIdentity  = "device_identity"
)

// Connected reports whether the device is enrolled with a hub.
func (st SyncState) Connected() bool { return st.HubAddr != "" && st.Certificate != "" }

// SyncState reads the state (zero value before enrollment).
func (s *Store) SyncState(ctx context.Context) (SyncState, error) { return s.syncState(ctx, s.db) }

func (s *Store) syncState(ctx context.Context, q querier) (SyncState, error) {
	var st SyncState
	v, err := getMeta(ctx, q, metaSyncState)
	if errors.Is(err, ErrNotFound) {
		return SyncState{NextSetSeq: 1}, nil
	}
	if err != nil {
		return st, err
	}
	if v, err = s.decodeSyncState(ctx, q, v); err != nil {
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
	if b, err = s.encodeSyncState(b); err != nil {
		return err
	}
	return s.putMeta(ctx, s.db, metaSyncState, b)
}

// secretLabel binds a sealed header secret to its name and this database.
func (s *Store) secretLabel(name string) []byte { return seal.Label("meta-secret", name, s.dbID) }

// setSecret stores a device secret (TLS private key, identity) sealed under the master key.
func (s *Store) setSecret(ctx context.Context, name string, value []byte) error {
	s.mu.RLock()
	ct, err := seal.Seal(s.mk, value, s.secretLabel(name))
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return s.putMeta(ctx, s.db, "secret:"+name, ct)
}

// secret reads a sealed device secret (ErrNotFound if absent).
func (s *Store) secret(ctx context.Context, name string) ([]byte, error) {
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

// deleteSecret removes a device secret; removing one that is absent is not an error. The
// database runs with secure_delete, so the sealed bytes are overwritten in the file, not
// left on a free page (copies in the WAL go at the next checkpoint; backups keep theirs).
func (s *Store) deleteSecret(ctx context.Context, name string) error {
	if err := s.dropMeta(ctx, s.db, "secret:"+name); err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return nil
}

// deviceIdentity returns this device's signing and HPKE keys, creating them on first use.
func (s *Store) deviceIdentity(ctx context.Context) (*device.Identity, error) {
	return s.identityVia(ctx, s.db)
}

// identityVia is deviceIdentity reading and, the first time, writing through q (inside a
// write, its transaction).
func (s *Store) identityVia(ctx context.Context, q querier) (*device.Identity, error) {
	ct, err := getMeta(ctx, q, "secret:"+metaIdentity)
	if err == nil {
		s.mu.RLock()
		b, err := seal.Open(s.mk, ct, s.secretLabel(metaIdentity))
		s.mu.RUnlock()
		if err != nil {
			return nil, &SealError{Table: "meta", Row: metaIdentity, Column: "value", Err: err}
		}
		return device.Unmarshal(b)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	id, err := device.New()
	if err != nil {
		return nil, err
	}
	b, err := id.Marshal()
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	ct, err = seal.Seal(s.mk, b, s.secretLabel(metaIdentity))
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := s.putMeta(ctx, q, "secret:"+metaIdentity, ct); err != nil {
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

// enqueueBatch stores several sets made from one window of LocalChanges (one per scope),
// and advances the pushed position to lastChangeSeq, all in one transaction: a crash leaves
// either all of them or none.
func (s *Store) enqueueBatch(ctx context.Context, scopes []string, lastChangeSeq int64, make func(i int, setSeq, scopeSeq uint64) ([]byte, error)) error {
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
		b, err := make(i, st.NextSetSeq, st.nextScopeSeq(scope))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sync_outbox(set_seq, scope, last_change_seq, bytes) VALUES(?, ?, ?, ?)", st.NextSetSeq, scope, lastChangeSeq, b); err != nil {
			return err
		}
		st.NextSetSeq++
	}
	st.PushedSeq = lastChangeSeq
	sb, err := s.encodeSyncState(mustJSON(json.Marshal(st)))
	if err != nil {
		return err
	}
	if err := s.putMeta(ctx, tx, metaSyncState, sb); err != nil {
		return err
	}
	return tx.Commit()
}

// mustJSON is json.Marshal of a SyncState, which cannot fail.
func mustJSON(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// advancePushed moves the pushed position to the newest local sequence when this device has
// nothing of its own to send up to it (every row written since is another device's, merged
// here): the next LocalChanges then reads only what was written after. One immediate
// transaction, so no local write can slip between the check and the move.
func (s *Store) advancePushed(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := s.syncState(ctx, tx)
	if err != nil {
		return err
	}
	top, err := maxSeq(ctx, tx)
	if err != nil || top <= st.PushedSeq {
		return err
	}
	devs, err := loadDevices(ctx, tx)
	if err != nil {
		return err
	}
	if me, ok := devs.byID[s.deviceID]; ok {
		n, err := pendingRows(ctx, tx, me, st.PushedSeq)
		if err != nil || n > 0 {
			return err
		}
	}
	st.PushedSeq = top
	b, err := s.encodeSyncState(mustJSON(json.Marshal(st)))
	if err != nil {
		return err
	}
	if err := s.putMeta(ctx, tx, metaSyncState, b); err != nil {
		return err
	}
	return tx.Commit()
}

// enqueueAudit is Enqueue for a set of audit entries up to lastAuditSeq.
func (s *Store) enqueueAudit(ctx context.Context, scope string, lastAuditSeq int64, make func(setSeq, scopeSeq uint64) ([]byte, error)) error {
	return s.enqueue(ctx, scope, -1, lastAuditSeq, make)
}

func (s *Store) enqueue(ctx context.Context, scope string, lastChangeSeq, lastAuditSeq int64, make func(setSeq, scopeSeq uint64) ([]byte, error)) error {
	st, err := s.SyncState(ctx)
	if err != nil {
		return err
	}
	b, err := make(st.NextSetSeq, st.nextScopeSeq(scope))
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
	sb, err := s.encodeSyncState(mustJSON(json.Marshal(st)))
	if err != nil {
		return err
	}
	if err := s.putMeta(ctx, tx, metaSyncState, sb); err != nil {
		return err
	}
	return tx.Commit()
}

// outbox lists the sets waiting to be pushed, in order.
func (s *Store) outbox(ctx context.Context) ([]OutboxSet, error) {
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

// outboxDone removes a set the hub has stored.
func (s *Store) outboxDone(ctx context.Context, setSeq uint64) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sync_outbox WHERE set_seq = ?", setSeq)
	return err
}

// PendingChanges counts rows with local changes not yet sealed, and sets not yet pushed.
func (s *Store) PendingChanges(ctx context.Context) (changes, sets int, err error) {
	st, err := s.SyncState(ctx)
	if err != nil {
		return 0, 0, err
	}
	devs, err := loadDevices(ctx, s.db)
	if err != nil {
		return 0, 0, err
	}
	if me, ok := devs.byID[s.deviceID]; ok {
		if changes, err = pendingRows(ctx, s.db, me, st.PushedSeq); err != nil {
			return 0, 0, err
		}
	}
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sync_outbox").Scan(&sets)
	return changes, sets, err
}

// AuditHead returns the newest audit entry's seq and MAC (for checkpoints at the hub, the
// keychain anchor), first making every read-audit entry durable: a head handed out of the file
// is one no power cut can take back.
func (s *Store) AuditHead(ctx context.Context) (int64, []byte, error) {
	release, err := s.holdReadAudits(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer release()
	return auditHeadIn(ctx, s.db)
}

// auditHeadIn reads the newest entry's seq and MAC, durable or not: for comparisons.
func auditHeadIn(ctx context.Context, q querier) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := q.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	return seq, mac, err
}

// BecomeNewDevice gives a restored database a device identity of its own: a new device id and
// new keys, no hub enrolment, an empty outbox. A restore carrying the old machine's identity
// would rewind its set sequence (its next pushes dropped as duplicates) and, if the old
// machine still runs, two machines would sign as one. The roster and what was applied from
// other devices stay; the device joins the chain again with a code (or `spoke connect
// --recovery-code-file` when the old machine was the only owner device). Changes the old
// machine made and had not synced before the backup stay here but are not sent again.
//
// A database that was never connected has a roster of its own making, whose only owner device
// was the old identity: it starts a new one with this device as owner (and, given the
// recovery code, the offline owner key), so it can still connect as the chain's first device.
func (s *Store) BecomeNewDevice(ctx context.Context, recoveryCode string) error {
	old := s.deviceID
	id := uuid.Must(uuid.NewV7()).String()
	prev, err := s.SyncState(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.dropMeta(ctx, tx, metaSyncState, "secret:*"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sync_outbox"); err != nil {
		return err
	}
	if err := s.putMeta(ctx, tx, metaDeviceID, []byte(id)); err != nil {
		return err
	}
	fresh := !prev.Connected()
	if fresh {
		if _, err := tx.ExecContext(ctx, "DELETE FROM roster"); err != nil {
			return err
		}
		if err := s.dropMeta(ctx, tx, metaRosterID, metaRosterMAC); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.mu.Lock()
	s.deviceID, s.roster = id, nil
	s.mu.Unlock()
	if fresh {
		if err := s.ensureGenesisWith(ctx, recoveryCode); err != nil {
			return err
		}
		// Its staff records were signed by the old identity, which the new list does not name.
		if _, err := s.signStaffBy(ctx, identityActor, old); err != nil {
			return err
		}
	}
	return s.auditAlone(ctx, identityActor, auditEntry{Action: "device.new_identity", Target: id, Detail: "previous=" + old})
}
