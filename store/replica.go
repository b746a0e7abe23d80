package store

import (
	"context"

	"spoke/crypto/device"
	"spoke/crypto/roster"
	"spoke/protocol/auditrec"
)

// Replica is the store as sync sees it: the narrow port the sync engine reaches the database
// through (the engine declares the interface it consumes on its side). It carries what a device
// needs to take part in the chain: the cells it wrote and its audit trail to send, remote changes to
// apply, the outbox and held sets, the device list, and the device's own secrets and scope keys,
// which leave the store only through here and only to seal and open what sync carries. Nothing
// here reads or shows personal data. The GUI and CLI pass it to the engine and call nothing on
// it (a test holds them to that).
type Replica struct{ s *Store }

// Replica returns the store's port for sync.
func (s *Store) Replica() *Replica { return &Replica{s: s} }

// Audit is Store.Audit: the one audit entry point.
func (r *Replica) Audit(ctx context.Context, by Principal, e Event) error {
	return r.s.Audit(ctx, by, e)
}

// DeviceID is this device's id.
func (r *Replica) DeviceID() string { return r.s.DeviceID() }

// Dir is the data directory (the engine's tests reopen it).
func (r *Replica) Dir() string { return r.s.Dir() }

// HasStaff reports whether the database has any staff account (Join refuses one that has).
func (r *Replica) HasStaff(ctx context.Context) (bool, error) { return r.s.HasStaff(ctx) }

// SyncState is this device's position in the sync protocol.
func (r *Replica) SyncState(ctx context.Context) (SyncState, error) { return r.s.SyncState(ctx) }

// SaveSyncState stores it.
func (r *Replica) SaveSyncState(ctx context.Context, st SyncState) error {
	return r.s.SaveSyncState(ctx, st)
}

// Secret reads a device secret (TLS private key, enrolment secret) sealed under the master key
// (ErrNotFound if absent).
func (r *Replica) Secret(ctx context.Context, name string) ([]byte, error) {
	return r.s.secret(ctx, name)
}

// SetSecret stores a device secret sealed under the master key.
func (r *Replica) SetSecret(ctx context.Context, name string, value []byte) error {
	return r.s.setSecret(ctx, name, value)
}

// DeleteSecret removes a device secret (absent is not an error).
func (r *Replica) DeleteSecret(ctx context.Context, name string) error {
	return r.s.deleteSecret(ctx, name)
}

// DeviceIdentity returns this device's signing and HPKE keys, creating them on first use.
func (r *Replica) DeviceIdentity(ctx context.Context) (*device.Identity, error) {
	return r.s.deviceIdentity(ctx)
}

// ScopeKey returns a scope key (version 0 = newest) for sealing or opening change-sets.
func (r *Replica) ScopeKey(ctx context.Context, scope string, version uint32) ([]byte, uint32, error) {
	return r.s.scopeKey(ctx, scope, version)
}

// ImportScopeKeys stores scope keys received from another device, wrapped under the master key.
func (r *Replica) ImportScopeKeys(ctx context.Context, ks []ScopeKey) error {
	return r.s.importScopeKeys(ctx, ks)
}

// Scopes lists the scopes this database holds keys for.
func (r *Replica) Scopes(ctx context.Context) ([]string, error) { return r.s.Scopes(ctx) }

// AdvancePushed moves the pushed position past rows merged from other devices when this
// device has nothing of its own to send.
func (r *Replica) AdvancePushed(ctx context.Context) error { return r.s.advancePushed(ctx) }

// LocalChanges returns the cells this device wrote after seq.
func (r *Replica) LocalChanges(ctx context.Context, after int64, limit int) ([]ChangeRecord, error) {
	return r.s.LocalChanges(ctx, after, limit)
}

// applyRemote applies another device's change records.
func (r *Replica) ApplyRemote(ctx context.Context, fromDevice, scope string, recs []ChangeRecord, pushedSeq int64) (*ApplyResult, error) {
	return r.s.applyRemote(ctx, fromDevice, scope, recs, pushedSeq)
}

// localAudit returns this device's audit entries after seq, for copying to other devices.
func (r *Replica) LocalAudit(ctx context.Context, after int64, limit int) ([]auditrec.Entry, error) {
	return r.s.localAudit(ctx, after, limit)
}

// applyRemoteAudit keeps another device's audit entries.
func (r *Replica) ApplyRemoteAudit(ctx context.Context, device string, entries []auditrec.Entry) (int, error) {
	return r.s.applyRemoteAudit(ctx, device, entries)
}

// AuditHead returns this device's audit head.
func (r *Replica) AuditHead(ctx context.Context) (int64, []byte, error) { return r.s.AuditHead(ctx) }

// AuditHeadOf returns the link of a device's copied entry seq.
func (r *Replica) AuditHeadOf(ctx context.Context, device string, seq int64) ([]byte, int64, error) {
	return r.s.AuditHeadOf(ctx, device, seq)
}

// CheckAuditAnchor compares this device's trail with a head recorded outside the file.
func (r *Replica) CheckAuditAnchor(ctx context.Context, source string, seq int64, mac []byte) error {
	return r.s.CheckAuditAnchor(ctx, source, seq, mac)
}

// enqueueBatch puts sealed change-sets in the outbox.
func (r *Replica) EnqueueBatch(ctx context.Context, scopes []string, lastChangeSeq int64, make func(i int, setSeq, scopeSeq uint64) ([]byte, error)) error {
	return r.s.enqueueBatch(ctx, scopes, lastChangeSeq, make)
}

// enqueueAudit puts a sealed audit set in the outbox.
func (r *Replica) EnqueueAudit(ctx context.Context, scope string, lastAuditSeq int64, make func(setSeq, scopeSeq uint64) ([]byte, error)) error {
	return r.s.enqueueAudit(ctx, scope, lastAuditSeq, make)
}

// outbox lists the sets waiting to be pushed.
func (r *Replica) Outbox(ctx context.Context) ([]OutboxSet, error) { return r.s.outbox(ctx) }

// outboxDone drops a pushed set.
func (r *Replica) OutboxDone(ctx context.Context, setSeq uint64) error {
	return r.s.outboxDone(ctx, setSeq)
}

// PendingChanges counts what waits to be sent.
func (r *Replica) PendingChanges(ctx context.Context) (changes, sets int, err error) {
	return r.s.PendingChanges(ctx)
}

// hold keeps a set that cannot be applied yet.
func (r *Replica) Hold(ctx context.Context, h HeldSet) error { return r.s.hold(ctx, h) }

// held lists the held sets.
func (r *Replica) Held(ctx context.Context) ([]HeldSet, error) { return r.s.held(ctx) }

// heldBytes returns a held set's bytes.
func (r *Replica) HeldBytes(ctx context.Context, id int64) ([]byte, error) {
	return r.s.heldBytes(ctx, id)
}

// unhold drops a held set.
func (r *Replica) Unhold(ctx context.Context, id int64) error { return r.s.unhold(ctx, id) }

// appliedSeq is the highest set seq applied from a device in a scope.
func (r *Replica) AppliedSeq(ctx context.Context, device, scope string) (uint64, error) {
	return r.s.appliedSeq(ctx, device, scope)
}

// markApplied records it.
func (r *Replica) MarkApplied(ctx context.Context, device, scope string, seq uint64) error {
	return r.s.markApplied(ctx, device, scope, seq)
}

// Roster returns the verified device list.
func (r *Replica) Roster(ctx context.Context) (*roster.State, error) { return r.s.Roster(ctx) }

// RosterEntries returns the device list's entries from index from.
func (r *Replica) RosterEntries(ctx context.Context, from uint64) ([][]byte, error) {
	return r.s.RosterEntries(ctx, from)
}

// AppendRoster verifies and appends device-list entries.
func (r *Replica) AppendRoster(ctx context.Context, entries [][]byte) (*roster.State, error) {
	return r.s.AppendRoster(ctx, entries)
}

// SetRosterID records the chain's device-list id.
func (r *Replica) SetRosterID(ctx context.Context, id [32]byte) error {
	return r.s.SetRosterID(ctx, id)
}

// Peer returns a device of the verified list.
func (r *Replica) Peer(ctx context.Context, id string) (*Peer, error) { return r.s.Peer(ctx, id) }

// BecomeNewDevice gives this database a new device identity (a refused recovery).
func (r *Replica) BecomeNewDevice(ctx context.Context, recoveryCode string) error {
	return r.s.BecomeNewDevice(ctx, recoveryCode)
}

// RawValue reads one synced column as it is on disk (sealed values stay sealed): for sync tests
// that compare what devices hold, never for showing data.
func (r *Replica) RawValue(ctx context.Context, table, id, column string, dst *any) error {
	return r.s.rawValue(ctx, table, id, column, dst)
}

// ExportScopes reads scopes' rows for snapshots, rowsPerPart rows a part, from one read
// transaction (see exportScopes).
func (r *Replica) ExportScopes(ctx context.Context, scopes []string, rowsPerPart int, fn func(ScopeExport) error) error {
	return r.s.exportScopes(ctx, scopes, rowsPerPart, fn)
}

// ForgetScopeKeys deletes the versions of a scope's key below below that no row needs.
func (r *Replica) ForgetScopeKeys(ctx context.Context, scope string, below uint32) ([]uint32, error) {
	return r.s.forgetScopeKeys(ctx, scope, below)
}

// PendingRotations lists the shops whose key is to be rotated after erasures (Store.PendingRotations).
func (r *Replica) PendingRotations(ctx context.Context) ([]string, error) {
	return r.s.PendingRotations(ctx)
}

// RotateShopKey makes version v of a shop's key after an erasure (Store.RotateShopKey).
func (r *Replica) RotateShopKey(ctx context.Context, shop string, v uint32) (uint32, error) {
	return r.s.RotateShopKey(ctx, shop, v)
}

// RewrapAfterErasure re-wraps a shop's customer keys under version v (Store.RewrapAfterErasure).
func (r *Replica) RewrapAfterErasure(ctx context.Context, shop string, v uint32) (int, error) {
	return r.s.RewrapAfterErasure(ctx, shop, v)
}

// RotationUnderway returns the version of a shop's unfinished rotation (Store.RotationUnderway).
func (r *Replica) RotationUnderway(ctx context.Context, shop string) (uint32, error) {
	return r.s.RotationUnderway(ctx, shop)
}

// UnsubscribeHashes returns a shop's token hashes to register at the hub (Store.UnsubscribeHashes).
func (r *Replica) UnsubscribeHashes(ctx context.Context, shop string) ([]string, int64, error) {
	return r.s.UnsubscribeHashes(ctx, shop)
}

// MarkUnsubscribeRegistered records that the hub holds a shop's hashes up to mark.
func (r *Replica) MarkUnsubscribeRegistered(ctx context.Context, shop string, mark int64) error {
	return r.s.MarkUnsubscribeRegistered(ctx, shop, mark)
}

// UnsubscribeCursor is the newest relayed click of a shop applied here.
func (r *Replica) UnsubscribeCursor(ctx context.Context, shop string) (int64, error) {
	return r.s.UnsubscribeCursor(ctx, shop)
}

// ApplyUnsubscribes records relayed clicks as withdrawals (Store.ApplyUnsubscribes).
func (r *Replica) ApplyUnsubscribes(ctx context.Context, shop string, clicks []UnsubscribeClick) (int, error) {
	return r.s.ApplyUnsubscribes(ctx, shop, clicks)
}
