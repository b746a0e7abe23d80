package engine

import (
	"context"

	"spoke/crypto/device"
	"spoke/crypto/roster"
	"spoke/protocol/auditrec"
	"spoke/store"
)

// Replica is everything the engine needs of the local database, declared here, where it is
// consumed: the change log and audit trail to send, remote changes to apply, the outbox and
// held sets, the device list, this device's secrets and scope keys, and the one audit entry
// point. (*store.Store).Replica() provides it; nothing in the engine reaches the store another
// way, so what sync can touch is this list.
type Replica interface {
	DeviceID() string
	HasStaff(ctx context.Context) (bool, error)
	Audit(ctx context.Context, by store.Principal, e store.Event) error

	SyncState(ctx context.Context) (store.SyncState, error)
	SaveSyncState(ctx context.Context, st store.SyncState) error
	Secret(ctx context.Context, name string) ([]byte, error)
	SetSecret(ctx context.Context, name string, value []byte) error
	DeleteSecret(ctx context.Context, name string) error
	DeviceIdentity(ctx context.Context) (*device.Identity, error)
	BecomeNewDevice(ctx context.Context, recoveryCode string) error

	ScopeKey(ctx context.Context, scope string, version uint32) ([]byte, uint32, error)
	ImportScopeKeys(ctx context.Context, ks []store.ScopeKey) error
	Scopes(ctx context.Context) ([]string, error)

	ExportScopes(ctx context.Context, scopes []string, rowsPerPart int, fn func(store.ScopeExport) error) error
	ForgetScopeKeys(ctx context.Context, scope string, below uint32) ([]uint32, error)
	PendingRotations(ctx context.Context) ([]string, error)
	RotationUnderway(ctx context.Context, shop string) (uint32, error)
	RotateShopKey(ctx context.Context, shop string, v uint32) (uint32, error)
	RewrapAfterErasure(ctx context.Context, shop string, v uint32) (int, error)

	LocalChanges(ctx context.Context, after int64, limit int) ([]store.ChangeRecord, error)
	AdvancePushed(ctx context.Context) error
	ApplyRemote(ctx context.Context, fromDevice, scope string, recs []store.ChangeRecord, pushedSeq int64) (*store.ApplyResult, error)
	LocalAudit(ctx context.Context, after int64, limit int) ([]auditrec.Entry, error)
	ApplyRemoteAudit(ctx context.Context, device string, entries []auditrec.Entry) (int, error)
	AuditHead(ctx context.Context) (int64, []byte, error)
	AuditHeadOf(ctx context.Context, device string, seq int64) ([]byte, int64, error)
	CheckAuditAnchor(ctx context.Context, source string, seq int64, mac []byte) error

	EnqueueBatch(ctx context.Context, scopes []string, lastChangeSeq int64, make func(i int, setSeq, scopeSeq uint64) ([]byte, error)) error
	EnqueueAudit(ctx context.Context, scope string, lastAuditSeq int64, make func(setSeq, scopeSeq uint64) ([]byte, error)) error
	Outbox(ctx context.Context) ([]store.OutboxSet, error)
	OutboxDone(ctx context.Context, setSeq uint64) error
	PendingChanges(ctx context.Context) (changes, sets int, err error)
	Hold(ctx context.Context, h store.HeldSet) error
	Held(ctx context.Context) ([]store.HeldSet, error)
	HeldBytes(ctx context.Context, id int64) ([]byte, error)
	Unhold(ctx context.Context, id int64) error
	AppliedSeq(ctx context.Context, device, scope string) (uint64, error)
	MarkApplied(ctx context.Context, device, scope string, seq uint64) error

	Roster(ctx context.Context) (*roster.State, error)
	RosterEntries(ctx context.Context, from uint64) ([][]byte, error)
	AppendRoster(ctx context.Context, entries [][]byte) (*roster.State, error)
	SetRosterID(ctx context.Context, id [32]byte) error
	Peer(ctx context.Context, id string) (*store.Peer, error)
	SaveHubView(ctx context.Context, v store.HubView) error

	UnsubscribeHashes(ctx context.Context, shop string) ([]string, int64, error)
	MarkUnsubscribeRegistered(ctx context.Context, shop string, mark int64) error
	UnsubscribeCursor(ctx context.Context, shop string) (int64, error)
	ApplyUnsubscribes(ctx context.Context, shop string, clicks []store.UnsubscribeClick) (int, error)
}

var _ Replica = (*store.Replica)(nil)

// The principals of the engine's work that no person started: the sync round (the background
// loop, and "Sync now", which only wakes it), a new database joining with a code alone, and an
// owner machine joining with the recovery code.
const (
	syncPrincipal     = store.System("sync")
	enrolPrincipal    = store.System("enrolment")
	recoveryPrincipal = store.System("recovery-code")
)
