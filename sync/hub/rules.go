package hub

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"spoke/protocol"
	"spoke/sync/wire"
)

// The storage rules, each written once for every backend. A backend calls the rule inside its
// own transaction (with its own locks: SQLite's single immediate writer, PostgreSQL's row and
// advisory locks) and hands it a small adapter that runs one statement per method; the
// adapters hold SQL and nothing else. What a rule decides here is what the conformance suite
// (hubtest) checks on every backend.

// errSeqRange is the answer for a sequence number outside 1..MaxInt64 (ValidSeq).
var errSeqRange = errors.New("sequence number out of range")

// StorageErr gives err the operation's context ("revoke device: ..."), except nil and the
// sentinels the Storage contract names for that operation, which callers get as they are.
func StorageErr(op string, err error, contract ...error) error {
	if err == nil {
		return nil
	}
	for _, c := range contract {
		if errors.Is(err, c) {
			return err
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ChangeSetTx is what a storage gives PutChangeSetRule inside its transaction.
type ChangeSetTx interface {
	// Insert stores cs with the digest of its bytes, unless (cs.Device, cs.Seq) is taken:
	// then it stores nothing and returns inserted = false.
	Insert(cs ChangeSet, digest []byte) (cursor int64, inserted bool, err error)
	// Stored returns the cursor and digest of the set stored at (device, seq).
	Stored(device string, seq uint64) (cursor int64, digest []byte, err error)
}

// PutChangeSetRule is Storage.PutChangeSet's rule: a sequence number in range; a (device, seq)
// stored once; the same bytes again are a duplicate with the original cursor, other bytes
// ErrConflict (compared by SHA-256, so the stored body need not be read back).
func PutChangeSetRule(tx ChangeSetTx, cs ChangeSet) (cursor int64, duplicate bool, err error) {
	if !protocol.ValidSeq(cs.Seq) {
		return 0, false, errSeqRange
	}
	digest := sha256.Sum256(cs.Bytes)
	cursor, inserted, err := tx.Insert(cs, digest[:])
	if err != nil || inserted {
		return cursor, false, err
	}
	cursor, old, err := tx.Stored(cs.Device, cs.Seq)
	if err != nil {
		return 0, false, err
	}
	if !bytes.Equal(old, digest[:]) {
		return 0, false, ErrConflict
	}
	return cursor, true, nil
}

// CheckpointTx is what a storage gives PutCheckpointRule inside its transaction.
type CheckpointTx interface {
	// Insert stores c unless (c.Device, c.Seq) is taken (then inserted = false).
	Insert(c protocol.Checkpoint) (inserted bool, err error)
	// Stored returns the head and signature stored at (device, seq).
	Stored(device string, seq uint64) (head, signature []byte, err error)
}

// PutCheckpointRule is Storage.PutCheckpoint's rule: a sequence number in range; the same
// (device, seq) with the same head and signature again is a no-op, with others ErrConflict (a
// checkpoint is never rewritten after the fact).
func PutCheckpointRule(tx CheckpointTx, c protocol.Checkpoint) error {
	if !protocol.ValidSeq(c.Seq) {
		return errSeqRange
	}
	inserted, err := tx.Insert(c)
	if err != nil || inserted {
		return err
	}
	head, sig, err := tx.Stored(c.Device, c.Seq)
	if err != nil {
		return err
	}
	if !bytes.Equal(head, c.Head) || !bytes.Equal(sig, c.Signature) {
		return ErrConflict
	}
	return nil
}

// RevokeTx is what a storage gives RevokeDeviceRule inside its transaction. The rule calls
// Role, then (for an owner) ActiveOwners, then Status: a backend shared by several hubs locks
// the active owner rows in ActiveOwners and the device's row in Status, in that order, so two
// owners revoking each other queue instead of deadlocking or both succeeding.
type RevokeTx interface {
	// Role returns the device's role (it never changes), found = false if there is none.
	Role(id string) (role protocol.Role, found bool, err error)
	// ActiveOwners counts the active owner devices.
	ActiveOwners() (int, error)
	// Status returns the device's status.
	Status(id string) (protocol.Status, error)
	// Revoke marks the device revoked at the time the backend was given.
	Revoke(id string) error
}

// RevokeDeviceRule is Storage.RevokeDevice's rule: an unknown device is ErrNotFound, revoking a
// revoked device is a no-op, and the last active owner device is never revoked (ErrLastOwner:
// with none left nothing could be enrolled or revoked again).
func RevokeDeviceRule(tx RevokeTx, id string) error {
	role, found, err := tx.Role(id)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotFound
	}
	owners := 0
	if role == protocol.RoleOwner {
		if owners, err = tx.ActiveOwners(); err != nil {
			return err
		}
	}
	status, err := tx.Status(id)
	if err != nil || status == protocol.StatusRevoked {
		return err
	}
	if role == protocol.RoleOwner && owners <= 1 {
		return ErrLastOwner
	}
	return tx.Revoke(id)
}

// RedeemTx is what a storage gives RedeemTokenRule inside its transaction.
type RedeemTx interface {
	// Token returns the token (locked against a concurrent redemption where several hubs share
	// the database), found = false if there is none.
	Token(id string) (t Token, found bool, err error)
	// InsertDevice stores d; ErrExists if its id is taken.
	InsertDevice(d Device) error
	// MarkUsed records that the token enrolled device at now.
	MarkUsed(id, device string, now time.Time) error
	// MoveEnvelopes readdresses every envelope for recipient from to recipient to.
	MoveEnvelopes(from, to string) error
}

// RedeemTokenRule is Storage.RedeemToken's rule: any failure of the token (unknown, wrong
// secret, used, expired at now) is the one answer ErrTokenInvalid; the device gets the token's
// role and scopes, and its label unless it brings one; the token is marked used by it, and the
// envelopes left for the token move to it. A taken device id is ErrExists, and the caller's
// rollback leaves the token unused.
func RedeemTokenRule(tx RedeemTx, id string, secretHash []byte, now time.Time, d Device) (Device, error) {
	t, found, err := tx.Token(id)
	if err != nil {
		return Device{}, err
	}
	if !found || !TokenRedeemable(t, secretHash, now) {
		return Device{}, ErrTokenInvalid
	}
	d.Role, d.Scopes = t.Role, t.Scopes
	if len(d.Label) == 0 {
		d.Label = t.Label
	}
	if err := tx.InsertDevice(d); err != nil {
		return Device{}, err
	}
	if err := tx.MarkUsed(id, d.ID, now); err != nil {
		return Device{}, err
	}
	if err := tx.MoveEnvelopes(protocol.TokenRecipient(id), d.ID); err != nil {
		return Device{}, err
	}
	return d, nil
}

// TouchTx is what a storage gives TouchDeviceRule.
type TouchTx interface {
	// MoveLastSeen sets the device's last-seen time to at if that is later than the one it
	// has, and reports whether it did.
	MoveLastSeen(id string, at time.Time) (moved bool, err error)
	// Exists reports whether the device exists.
	Exists(id string) (bool, error)
}

// TouchDeviceRule is Storage.TouchDevice's rule: last seen only moves forward, and an unknown
// device is ErrNotFound. It is best effort: a failed existence check after an update that
// changed nothing is not an error.
func TouchDeviceRule(tx TouchTx, id string, at time.Time) error {
	moved, err := tx.MoveLastSeen(id, at)
	if err != nil || moved {
		return err
	}
	if ok, err := tx.Exists(id); err == nil && !ok {
		return ErrNotFound
	}
	return nil
}

// RosterTx is what a storage gives AppendRosterRule inside its own transaction.
type RosterTx interface {
	// EntryAt returns the entry stored at seq and whether there is one.
	EntryAt(seq uint64) ([]byte, bool, error)
	// Len returns the number of entries stored.
	Len() (uint64, error)
	// Insert stores entry at seq.
	Insert(seq uint64, entry []byte) error
}

// AppendRosterRule is Storage.AppendRosterEntry's rule, written once for every backend: the
// same bytes at a stored seq again are a no-op; other bytes there, or a seq that is not the
// next, are ErrConflict. The backend runs it in a transaction that serialises appends.
func AppendRosterRule(tx RosterTx, seq uint64, entry []byte) error {
	if seq >= maxRosterSeq {
		return ErrConflict
	}
	old, ok, err := tx.EntryAt(seq)
	if err != nil {
		return err
	}
	if ok {
		if !bytes.Equal(old, entry) {
			return ErrConflict
		}
		return nil
	}
	n, err := tx.Len()
	if err != nil {
		return err
	}
	if n != seq {
		return ErrConflict
	}
	return tx.Insert(seq, entry)
}

// maxRosterSeq bounds roster sequence numbers well inside a signed 64-bit column.
const maxRosterSeq = 1 << 62

// Page is how many change-sets one page of f may hold (at most MaxPullLimit), or ok = false
// when f selects nothing: no room, or no scopes without AllScopes (a forgotten filter never
// means everything).
func (f ChangeSetFilter) Page() (limit int, ok bool) {
	if f.Limit <= 0 || (!f.AllScopes && len(f.Scopes) == 0) {
		return 0, false
	}
	return min(f.Limit, MaxPullLimit), true
}

// CheckpointPage is how many checkpoints after seq after one read may return (at most
// MaxPullLimit), or ok = false when it returns none (no room, or after beyond every stored
// seq, which a signed 64-bit column could not even hold).
func CheckpointPage(after uint64, limit int) (int, bool) {
	if limit <= 0 || after >= 1<<63 {
		return 0, false
	}
	return min(limit, MaxPullLimit), true
}

// RosterPage reports whether a read of roster entries from seq from, at most limit of them,
// can return any (limit as given: the server bounds it).
func RosterPage(from uint64, limit int) bool {
	return limit > 0 && from < maxRosterSeq
}

// ReadErr is a single-row read's error in every backend: the driver's noRows is ErrNotFound,
// another error gets op's context.
func ReadErr(op string, err, noRows error) error {
	if errors.Is(err, noRows) {
		return ErrNotFound
	}
	return StorageErr(op, err)
}

// Found splits a single-row read's error inside a rule's adapter: the driver's noRows is
// found = false and no error.
func Found(err, noRows error) (found bool, _ error) {
	if errors.Is(err, noRows) {
		return false, nil
	}
	return err == nil, err
}

// errCursorRange is the answer for a negative cursor.
var errCursorRange = errors.New("cursor out of range")

// PulledTx is what a storage gives SetPulledRule.
type PulledTx interface {
	// RaisePulled sets the device's pulled cursor to cursor if that is higher than the one it
	// has, and reports whether it did.
	RaisePulled(id string, cursor int64) (raised bool, err error)
	// Exists reports whether the device exists.
	Exists(id string) (bool, error)
}

// SetPulledRule is Storage.SetPulled's rule: the pulled cursor only rises, a negative cursor
// is refused, and an unknown device is ErrNotFound.
func SetPulledRule(tx PulledTx, id string, cursor int64) error {
	if cursor < 0 {
		return errCursorRange
	}
	raised, err := tx.RaisePulled(id, cursor)
	if err != nil || raised {
		return err
	}
	ok, err := tx.Exists(id)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// VersionTx is what a storage gives SetDeviceVersionRule.
type VersionTx interface {
	// SetVersion stores the version and last sync time if at is not before the stored last
	// sync, and reports whether it did.
	SetVersion(id, version string, at time.Time) (set bool, err error)
	// Exists reports whether the device exists.
	Exists(id string) (bool, error)
}

// SetDeviceVersionRule is Storage.SetDeviceVersion's rule: the last sync only moves forward
// (an older report changes nothing), and an unknown device is ErrNotFound.
func SetDeviceVersionRule(tx VersionTx, id, version string, at time.Time) error {
	set, err := tx.SetVersion(id, version, at)
	if err != nil || set {
		return err
	}
	ok, err := tx.Exists(id)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// ValidSnapshotID reports whether id is a snapshot id as the API and the storage carry it:
// the header's 16 bytes in lower-case hex.
func ValidSnapshotID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkSnapshotPart checks the header fields of a part as wire.VerifySnapshot would have
// found them, so a storage never holds a part no verified header could have named.
func checkSnapshotPart(p SnapshotPart) error {
	switch {
	case !protocol.ValidID(p.Scope) || !protocol.ValidID(p.Device) || !ValidSnapshotID(p.ID):
		return fmt.Errorf("snapshot part: scope, device or id: %w", errInvalid)
	case p.Point <= 0 || p.KeyVersion == 0:
		return fmt.Errorf("snapshot part: point and key version must be positive: %w", errInvalid)
	case p.Parts == 0 || p.Parts > wire.MaxSnapshotParts || p.Part >= p.Parts:
		return fmt.Errorf("snapshot part: part index or count out of range: %w", errInvalid)
	}
	return nil
}

// SnapshotTx is what a storage gives PutSnapshotPartRule and CommitSnapshotRule inside its
// transaction. A backend shared by several hubs locks the snapshot's row in Snapshot, and
// serialises commits, so a part staged, a stale snapshot deleted and a commit of the same
// snapshot queue instead of interleaving.
type SnapshotTx interface {
	// InsertSnapshot stores a staged snapshot with p's header fields and StagedAt = p.At,
	// unless (p.Scope, p.ID) is taken: then it stores nothing.
	InsertSnapshot(p SnapshotPart) error
	// Snapshot returns the standing of (scope, id), found = false if there is none.
	Snapshot(scope, id string) (s Snapshot, found bool, err error)
	// InsertPart stores p's bytes with their digest and raises the snapshot's StagedAt to
	// p.At, unless (p.Scope, p.ID, p.Part) is taken: then it stores nothing and returns
	// inserted = false.
	InsertPart(p SnapshotPart, digest []byte) (inserted bool, err error)
	// PartDigest returns the digest of a staged part.
	PartDigest(scope, id string, part uint32) ([]byte, error)
	// Committed returns the scope's committed snapshot, found = false if it has none.
	Committed(scope string) (s Snapshot, found bool, err error)
	// DeleteSnapshot deletes a snapshot and its parts.
	DeleteSnapshot(scope, id string) error
	// MarkCommitted records that the snapshot was committed at at.
	MarkCommitted(scope, id string, at time.Time) error
	// DeleteChangeSets deletes the scope's change-sets with cursor <= point and returns how
	// many and the sum of their lengths.
	DeleteChangeSets(scope string, point int64) (deleted, bytes int64, err error)
}

// PutSnapshotPartRule is Storage.PutSnapshotPart's rule: header fields in range; a committed
// snapshot takes no parts; every part of a snapshot agrees on the device, point, key version
// and count (the first part staged sets them); a part index is stored once, the same bytes
// again being a no-op and other bytes ErrConflict (compared by SHA-256).
func PutSnapshotPartRule(tx SnapshotTx, p SnapshotPart) error {
	if err := checkSnapshotPart(p); err != nil {
		return err
	}
	if err := tx.InsertSnapshot(p); err != nil {
		return err
	}
	s, found, err := tx.Snapshot(p.Scope, p.ID)
	if err != nil {
		return err
	}
	if !found {
		// Deleted as stale between the two statements: the upload idled for a day.
		return errors.New("snapshot deleted as stale while a part arrived; upload it again")
	}
	if !s.CommittedAt.IsZero() || s.Device != p.Device || s.Point != p.Point || s.KeyVersion != p.KeyVersion || s.Parts != p.Parts {
		return ErrConflict
	}
	digest := sha256.Sum256(p.Bytes)
	inserted, err := tx.InsertPart(p, digest[:])
	if err != nil || inserted {
		return err
	}
	old, err := tx.PartDigest(p.Scope, p.ID, p.Part)
	if err != nil {
		return err
	}
	if !bytes.Equal(old, digest[:]) {
		return ErrConflict
	}
	return nil
}

// CommitSnapshotRule is Storage.CommitSnapshot's rule: an unknown snapshot is ErrNotFound;
// the scope's committed snapshot again is a no-op (a retried commit whose answer was lost);
// otherwise every part must be staged and the point above the committed snapshot's, or
// ErrConflict. Then the older snapshot goes, this one is committed, and the scope's
// change-sets at or below its point are deleted — all in the caller's one transaction.
func CommitSnapshotRule(tx SnapshotTx, scope, id string, at time.Time) (deleted, freed int64, err error) {
	s, found, err := tx.Snapshot(scope, id)
	if err != nil {
		return 0, 0, err
	}
	if !found {
		return 0, 0, ErrNotFound
	}
	if !s.CommittedAt.IsZero() {
		// Committing a newer snapshot deletes the older one: a committed one is the scope's.
		return 0, 0, nil
	}
	if s.Staged != s.Parts {
		return 0, 0, ErrConflict
	}
	cur, ok, err := tx.Committed(scope)
	if err != nil {
		return 0, 0, err
	}
	if ok {
		if s.Point <= cur.Point {
			return 0, 0, ErrConflict
		}
		if err := tx.DeleteSnapshot(scope, cur.ID); err != nil {
			return 0, 0, err
		}
	}
	if err := tx.MarkCommitted(scope, id, at); err != nil {
		return 0, 0, err
	}
	return tx.DeleteChangeSets(scope, s.Point)
}
