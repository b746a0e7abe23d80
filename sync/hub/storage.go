package hub

import (
	"context"
	"errors"
	"slices"
	"time"

	"spoke/protocol"
)

// Sentinel errors shared by every [Storage] implementation, so the server
// (and the conformance suite) can test for them whatever the backend.
var (
	// ErrNotFound means no such device, token, checkpoint, change-set or
	// snapshot (or a snapshot not committed yet, where only committed ones
	// are served).
	ErrNotFound = errors.New("hub: not found")
	// ErrExists means a unique id (a device id, a token id) is already taken.
	ErrExists = errors.New("hub: already exists")
	// ErrConflict means a (device, sequence) pair is already stored with other
	// bytes: a replayed sequence number carrying a different change-set, or an
	// audit checkpoint rewritten after the fact; for snapshots, a part
	// that disagrees with what is staged, or a commit that is incomplete
	// or would go back to an older point.
	ErrConflict = errors.New("hub: sequence already used with different content")
	// ErrTokenInvalid is the single answer for an enrollment token that is
	// unknown, has a wrong secret, has expired or was used already: telling
	// them apart would help someone guessing.
	ErrTokenInvalid = errors.New("hub: the enrollment code is unknown, expired or already used")
	// ErrLastOwner means revoking the device would leave no active owner
	// device, and with it no way to enroll or revoke anything again.
	ErrLastOwner = errors.New("hub: this is the last active owner device")
	// ErrFull means a bounded store is full: a scope already holds as many
	// unsubscribe hashes as the hub keeps per scope.
	ErrFull = errors.New("hub: the scope holds as many entries as the hub keeps")
)

// Device is an enrolled device as the hub knows it: public keys and standing,
// nothing personal.
type Device struct {
	ID string
	// Label is opaque to the hub: a spoke seals the device's display name
	// under the org scope key, since it may name a person. Never logged.
	Label []byte
	Role  protocol.Role
	// Scopes are the shop scopes a shop device writes and reads. Empty for
	// an owner device, which has all of them.
	Scopes []string
	// SigningKey is the device's Ed25519 public key: change-sets and audit
	// checkpoints must verify under it.
	SigningKey []byte
	// HPKEKey is the device's HPKE public key (MLKEM768-X25519): owner
	// devices wrap scope keys to it. Opaque to the hub.
	HPKEKey []byte
	// CertSerial is the serial number (lower-case hex) of the client
	// certificate issued at enrollment: only that certificate is accepted.
	CertSerial string
	Status     protocol.Status
	EnrolledAt time.Time
	// LastSeen is updated at most about once a minute per hub process.
	LastSeen time.Time
	// RevokedAt is zero for an active device.
	RevokedAt time.Time
	// Pulled is the highest cursor the device has passed as after= to a
	// pull: it asks from N only once it durably holds every set <= N it
	// may read. It only rises. A snapshot commit at point P waits until
	// every active device that reads the scope has Pulled >= P.
	Pulled int64
	// Version is the Spoke version the device last reported (POST
	// /v1/version, at the end of each sync round); "" before its first
	// report. LastSync is when it reported it.
	Version  string
	LastSync time.Time
}

// CanWrite reports whether the device may push change-sets for scope.
func (d Device) CanWrite(scope string) bool {
	if d.Role == protocol.RoleOwner {
		return true
	}
	return scope != protocol.OrgScope && slices.Contains(d.Scopes, scope)
}

// CanRead reports whether the device may pull change-sets of scope (and
// so may be handed that scope's key).
func (d Device) CanRead(scope string) bool {
	scopes, all := d.ReadScopes()
	return all || slices.Contains(scopes, scope)
}

// ReadScopes returns the scopes the device may pull, or all = true for an
// owner device (which receives every shop).
func (d Device) ReadScopes() (scopes []string, all bool) {
	if d.Role == protocol.RoleOwner {
		return nil, true
	}
	return append([]string{protocol.OrgScope}, d.Scopes...), false
}

// Token is a one-time enrollment token. The hub keeps only a hash of its
// secret.
type Token struct {
	ID         string
	SecretHash []byte // SHA-256 of the secret in the enrollment code
	Role       protocol.Role
	Scopes     []string
	Label      []byte // handed to the device at enrollment; opaque
	CreatedBy  string // device id of the owner device, or "" for spoke-hub init
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// UsedAt and Device are set once, atomically, when the token is redeemed.
	UsedAt time.Time
	Device string
}

// ChangeSet is a sealed change-set as stored: its clear header fields, copied
// out by the hub so it can filter without parsing, and the bytes as pushed.
type ChangeSet struct {
	Cursor     int64 // assigned by the storage, increasing in commit order
	Device     string
	Seq        uint64
	Scope      string
	KeyVersion uint32
	Bytes      []byte
	ReceivedAt time.Time
}

// ChangeSetFilter selects change-sets to pull.
type ChangeSetFilter struct {
	// After is the cursor already seen; 0 starts from the beginning.
	After int64
	// Scopes are the scopes wanted. An empty list selects nothing unless
	// AllScopes is set: a forgotten filter must never mean "everything".
	Scopes    []string
	AllScopes bool
	// Limit caps the number returned; at most MaxPullLimit.
	Limit int
	// MaxBytes is a byte budget for the page: the sets returned, counted by
	// their Bytes, add up to at most MaxBytes, except that the first set is
	// returned whatever its size (a set bigger than the budget must still
	// move). The page stops before the first set that would go over, so
	// the next page, after the last cursor returned, continues with it.
	// Implementations stop in the query, by the sets' stored lengths,
	// rather than loading bodies they then drop. Zero or less: no budget.
	MaxBytes int64
}

// MaxPullLimit caps one page of change-sets.
const MaxPullLimit = 1000

// Envelope is a scope key wrapped for one device (HPKE to its public key, or,
// before it enrolls, under the one-time secret of its enrollment code). The
// hub cannot open it and keeps one per (recipient, scope, version); a later
// put replaces it, so an owner device can re-wrap after enrollment.
type Envelope struct {
	To        string // device id, or TokenRecipient(token id) before enrollment
	Scope     string
	Version   uint32
	From      string // device id of the sender
	Sealed    []byte
	UpdatedAt time.Time
}

// SnapshotPart is one sealed part of a snapshot as the hub stages it: the
// clear header fields (copied out of the part by the server after it
// verified the signature) and the bytes as uploaded.
type SnapshotPart struct {
	Scope string
	// ID is the header's 16-byte id in lower-case hex (32 characters).
	ID string
	// Device is the owner device that signed the part.
	Device     string
	Point      int64
	KeyVersion uint32
	// Part is this part's index from 0; Parts how many the snapshot has.
	Part, Parts uint32
	Bytes       []byte
	// At is when the hub received the part.
	At time.Time
}

// Snapshot is a snapshot's standing at the hub, staged or committed,
// without its parts.
type Snapshot struct {
	Scope, ID, Device string
	Point             int64
	KeyVersion, Parts uint32
	// Staged is how many of the parts 0..Parts-1 are stored.
	Staged uint32
	// StagedAt is when its newest part arrived.
	StagedAt time.Time
	// CommittedAt is zero while the snapshot is staged.
	CommittedAt time.Time
}

// Storage is everything the hub persists. Implementations must be safe for
// concurrent use, and — for backends shared by several hub processes — correct
// when several Storage values on the same database are used at once: a
// token redeems once, a (device, seq) pair is stored once, and a reader
// paging by cursor never skips a change-set that commits after it read.
//
// Every implementation passes spoke/sync/hub/hubtest's conformance suite.
type Storage interface {
	// PutChangeSet stores cs (Cursor and ReceivedAt are assigned) and returns
	// its cursor. Storing the same bytes for the same (device, seq) again
	// returns the original cursor and duplicate = true; other bytes for a
	// used (device, seq) return ErrConflict.
	PutChangeSet(ctx context.Context, cs ChangeSet) (cursor int64, duplicate bool, err error)
	// ChangeSets returns change-sets with a cursor above f.After in cursor
	// order, at most f.Limit of them and within f.MaxBytes.
	ChangeSets(ctx context.Context, f ChangeSetFilter) ([]ChangeSet, error)
	// StoredBytes returns the total length of the change-sets stored for a
	// device (0 for a device with none): what its push quota counts.
	StoredBytes(ctx context.Context, device string) (int64, error)

	// AddDevice stores a device directly (tests, recovery). Enrollment goes
	// through RedeemToken. ErrExists if the id is taken.
	AddDevice(ctx context.Context, d Device) error
	// Device returns one device, or ErrNotFound.
	Device(ctx context.Context, id string) (Device, error)
	// Devices returns every device, ordered by id.
	Devices(ctx context.Context) ([]Device, error)
	// RevokeDevice marks a device revoked at the given time. Revoking a
	// revoked device is a no-op; revoking the last active owner device is
	// ErrLastOwner.
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// TouchDevice records that the device was seen at the given time.
	TouchDevice(ctx context.Context, id string, at time.Time) error
	// SetDeviceVersion records the version a device reported and, as its
	// LastSync, when. LastSync only moves forward: a report older than the
	// stored one changes nothing. ErrNotFound for an unknown device.
	SetDeviceVersion(ctx context.Context, id, version string, at time.Time) error
	// SetPulled raises the device's Pulled to cursor; a lower or equal
	// cursor changes nothing. ErrNotFound for an unknown device.
	SetPulled(ctx context.Context, device string, cursor int64) error

	// CreateToken stores a new enrollment token (ErrExists if the id is taken).
	CreateToken(ctx context.Context, t Token) error
	// Token returns a token by id, or ErrNotFound.
	Token(ctx context.Context, id string) (Token, error)
	// RedeemToken atomically checks that token id exists, that secretHash
	// matches, that it is unused and not expired at now, marks it used and
	// stores d with the token's role, scopes and (if d has none) label. It
	// moves envelopes addressed to TokenRecipient(id) to d.ID. Any failure
	// of the token is ErrTokenInvalid; a taken device id is ErrExists, and
	// then the token stays unused.
	RedeemToken(ctx context.Context, id string, secretHash []byte, now time.Time, d Device) (Device, error)

	// DeleteExpiredTokens deletes every unused token that expired at or
	// before now, and every envelope addressed to a TokenRecipient that is
	// not a pending token (unused, unexpired at now): the expired tokens'
	// envelopes and any left behind by a put that raced a redemption.
	// Used tokens are kept, as the record of which token enrolled which
	// device; their envelopes moved to the device at redemption. It
	// returns how many tokens and envelopes it deleted.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (tokens, envelopes int64, err error)

	// PutEnvelope stores or replaces the envelope for (To, Scope, Version).
	PutEnvelope(ctx context.Context, e Envelope) error
	// Envelopes returns the envelopes addressed to a recipient, ordered by
	// scope and version.
	Envelopes(ctx context.Context, to string) ([]Envelope, error)

	// PutCheckpoint stores an audit checkpoint. The same (device, seq) with
	// the same head and signature again is a no-op; with others, ErrConflict.
	PutCheckpoint(ctx context.Context, c protocol.Checkpoint) error
	// LatestCheckpoint returns the checkpoint with the highest seq of a
	// device, or ErrNotFound.
	LatestCheckpoint(ctx context.Context, device string) (protocol.Checkpoint, error)
	// Checkpoints returns a device's checkpoints with seq above after, in
	// seq order, at most limit of them.
	Checkpoints(ctx context.Context, device string, after uint64, limit int) ([]protocol.Checkpoint, error)

	// AppendRosterEntry stores roster entry seq. Entries are numbered from 0
	// without gaps: the same bytes for a stored seq again is a no-op; other
	// bytes for a stored seq, or a seq past the end, is ErrConflict. The
	// storage does not judge the bytes; the server checks them first.
	AppendRosterEntry(ctx context.Context, seq uint64, entry []byte, at time.Time) error
	// RosterEntries returns the entries with seq >= from, in order, at most
	// limit of them.
	RosterEntries(ctx context.Context, from uint64, limit int) ([][]byte, error)
	// RosterLen returns the number of roster entries stored.
	RosterLen(ctx context.Context) (uint64, error)
	// PutRosterHead stores an owner device's newest signed roster head,
	// replacing the one it had.
	PutRosterHead(ctx context.Context, device string, head []byte, at time.Time) error
	// RosterHeads returns every owner device's newest head, ordered by device.
	RosterHeads(ctx context.Context) ([][]byte, error)

	// PutSnapshotPart stages one part of an uncommitted snapshot (scope,
	// p.ID). The same bytes for a staged (scope, id, part) again are a
	// no-op. Other bytes for a staged part, header fields (device, point,
	// key version, parts) that disagree with the snapshot's other staged
	// parts, or a snapshot already committed are ErrConflict.
	PutSnapshotPart(ctx context.Context, p SnapshotPart) error
	// Snapshot returns a snapshot's standing, staged or committed, or
	// ErrNotFound.
	Snapshot(ctx context.Context, scope, id string) (Snapshot, error)
	// CommitSnapshot atomically checks that every part 0..Parts-1 of
	// (scope, id) is staged and that its point is above the point of the
	// scope's committed snapshot (else ErrConflict: compaction never goes
	// back), marks it committed at at, deletes the scope's previous
	// committed snapshot with its parts, and deletes the scope's
	// change-sets with cursor <= point, returning how many and their
	// stored bytes (StoredBytes falls by as much). Committing the
	// snapshot that is already the scope's committed one deletes nothing
	// and returns zeros. ErrNotFound for an unknown snapshot. Safe against
	// concurrent pushes, pulls and commits through other handles.
	CommitSnapshot(ctx context.Context, scope, id string, at time.Time) (deleted, freedBytes int64, err error)
	// Snapshots returns the committed snapshots of scopes (all = true:
	// of every scope), ordered by scope, each with MinKeyVersion the
	// lowest key version among the snapshot and the scope's change-sets
	// still stored. An empty scope list without all selects nothing.
	Snapshots(ctx context.Context, scopes []string, all bool) ([]protocol.SnapshotInfo, error)
	// SnapshotPart returns part of a committed snapshot; ErrNotFound for
	// an unknown or uncommitted snapshot or a part out of range.
	SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error)
	// StagedSnapshotBytes returns the bytes of the parts of uncommitted
	// snapshots signed by device: what the server bounds per uploader.
	StagedSnapshotBytes(ctx context.Context, device string) (int64, error)
	// DeleteStaleSnapshots deletes every uncommitted snapshot whose newest
	// part was staged before before (an abandoned upload), with its parts,
	// and returns how many snapshots it deleted.
	DeleteStaleSnapshots(ctx context.Context, before time.Time) (int64, error)
	// NewestCursor returns the highest cursor the hub has assigned to a
	// change-set that is still stored or covered by a committed snapshot
	// (0 for none): no device can have pulled a set beyond it.
	NewestCursor(ctx context.Context) (int64, error)

	// RegisterUnsubscribeHashes registers hashes (protocol.UnsubscribeHash
	// values, lower-case hex) of unsubscribe tokens for scope, at at, in one
	// transaction: a hash already registered for scope is a no-op
	// (idempotent), one registered for another scope refuses the whole
	// request with ErrConflict, and a scope that would hold more than
	// maxPerScope hashes refuses it with ErrFull. It returns how many hashes
	// were new. At most protocol.MaxUnsubscribeHashes per call.
	RegisterUnsubscribeHashes(ctx context.Context, scope string, hashes []string, maxPerScope int64, at time.Time) (added int, err error)
	// UnsubscribeRegistered reports whether a hash is registered (for any
	// scope).
	UnsubscribeRegistered(ctx context.Context, hash string) (bool, error)
	// RecordUnsubscribe records the one-click unsubscribe of a registered
	// hash at at. Only the first click of a hash makes a record, with the
	// next per-hub Seq; later clicks are accepted and return recorded =
	// false. ErrNotFound for a hash never registered. Records commit in Seq
	// order, so a reader paging by Seq never skips one.
	RecordUnsubscribe(ctx context.Context, hash string, at time.Time) (recorded bool, err error)
	// Unsubscribes returns a scope's click records with Seq above after, in
	// Seq order, at most limit (capped at protocol.MaxUnsubscribesLimit + 1,
	// so the server can ask for one more than a page to know whether more
	// follow).
	Unsubscribes(ctx context.Context, scope string, after int64, limit int) ([]protocol.UnsubscribeClick, error)

	// Ping checks that the storage answers (the health endpoint).
	Ping(ctx context.Context) error
	// Close releases the storage.
	Close() error
}
