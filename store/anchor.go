package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// Audit anchors. The trail's authenticated head sits in the database file, so whoever can
// replace the file can also put back an older, genuine trail with its head. An anchor is the
// head (seq and that entry's MAC) recorded outside the file: in this machine's keychain, where
// the database keeps its master key there; in the backup folder's manifests; at the hub. A trail
// that ends below an anchor, or holds another entry at its seq, was rolled back or replaced.
//
// The keychain anchor is raised only to a head that is durable (AuditHead first makes the
// read-audit entries committed at synchronous=NORMAL durable, readaudit.go), and only at
// sign-out (the GUI's lock), Close, a backup and at most every anchorEvery during writes: a
// keychain write costs milliseconds and may wait on an OS dialog, so never per entry, and never
// because of a read.

const (
	anchorEvery    = 5 * time.Minute
	maxAnchorHeads = 8 // lineages kept: this database and copies restored from its backups
	purposeAnchor  = "spoke/audit-anchor/v1"
	anchorMagic    = "A1"
)

// ErrRolledBack means the audit trail was wiped, cut short or replaced by an older copy.
var ErrRolledBack = errors.New("the audit trail was wiped or rolled back (an older copy of the database, or entries removed); run 'spoke verify'")

// TrailError says how the audit trail disagrees with its own head or with an anchor. It names
// sequence numbers and the anchor's source only.
type TrailError struct {
	Source   string // "keychain", "backup ID", "hub"; "" for the head inside the file
	Ends     int64  // the last seq the trail holds
	Anchored int64  // the seq the head or anchor records
	Reason   string
}

func (e *TrailError) Error() string { return "audit trail: " + e.Reason }

// Unwrap makes a TrailError both ErrRolledBack and ErrTampered.
func (e *TrailError) Unwrap() []error { return []error{ErrRolledBack, ErrTampered} }

func belowAnchor(source string, ends, anchored int64) *TrailError {
	return &TrailError{Source: source, Ends: ends, Anchored: anchored,
		Reason: fmt.Sprintf("trail ends at seq %d below the anchored seq %d (%s)", ends, anchored, source)}
}

func forkedFromAnchor(source string, ends, anchored int64) *TrailError {
	return &TrailError{Source: source, Ends: ends, Anchored: anchored,
		Reason: fmt.Sprintf("entry %d is not the one anchored (%s): the trail was replaced by another copy", anchored, source)}
}

// anchorHead is one anchored head: a seq and the MAC of the entry at that seq.
type anchorHead struct {
	seq int64
	mac []byte
}

// anchorAccount names the keychain entry of a database in one data directory: the database id
// and a hash of the directory's absolute path. A restore of the database into another folder
// (same id, a new device identity) has an entry of its own, so copying it over the folder in
// use is caught by that folder's anchor, and no number of restores pushes the live head out.
func anchorAccount(dbID, dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	h := sha256.Sum256([]byte(dir))
	return dbID + "/anchor/" + hex.EncodeToString(h[:8])
}

func (s *Store) anchorAccount() string { return anchorAccount(s.dbID, s.dir) }

// anchorTag authenticates an anchor value under a key derived from the master key, bound to the
// database id, so an entry written by anything but this database's holder is refused.
func (s *Store) anchorTag(body []byte) []byte {
	s.mu.RLock()
	k := keys.Derive(s.mk, purposeAnchor)
	s.mu.RUnlock()
	defer seal.Wipe(k)
	m := hmac.New(sha256.New, k)
	m.Write(seal.Label("audit-anchor/v1", s.dbID, string(body)))
	return m.Sum(nil)
}

func (s *Store) encodeAnchor(heads []anchorHead) []byte {
	body := []byte(anchorMagic)
	for _, h := range heads {
		body = binary.BigEndian.AppendUint64(body, uint64(h.seq))
		body = append(body, h.mac...)
	}
	return append(body, s.anchorTag(body)...)
}

var errAnchorDamaged = errors.New("anchor damaged")

func (s *Store) decodeAnchor(v []byte) ([]anchorHead, error) {
	const entry = 8 + sha256.Size
	if len(v) < len(anchorMagic)+sha256.Size || !bytes.HasPrefix(v, []byte(anchorMagic)) {
		return nil, errAnchorDamaged
	}
	body, tag := v[:len(v)-sha256.Size], v[len(v)-sha256.Size:]
	if !hmac.Equal(tag, s.anchorTag(body)) || (len(body)-len(anchorMagic))%entry != 0 {
		return nil, errAnchorDamaged
	}
	var heads []anchorHead
	for p := body[len(anchorMagic):]; len(p) > 0; p = p[entry:] {
		heads = append(heads, anchorHead{seq: int64(binary.BigEndian.Uint64(p)), mac: append([]byte(nil), p[8:entry]...)})
	}
	return heads, nil
}

// usesKeychainAnchor: databases whose master key lives in the keychain anchor their trail
// there. A restore (opened with a master key in hand) is a deliberate rollback to a backup
// whose manifests vouch for it, so it is not held to the live database's anchor.
func (s *Store) usesKeychainAnchor() bool {
	return s.keyStore == KeyStoreKeychain && s.opts.MasterKey == nil
}

// loadAnchor reads the keychain anchor: found is false when there is none; a value that does
// not authenticate is errAnchorDamaged.
func (s *Store) loadAnchor(ctx context.Context) (heads []anchorHead, found bool, err error) {
	v, err := s.opts.Keychain.Load(ctx, s.anchorAccount())
	if errors.Is(err, keychain.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	heads, err = s.decodeAnchor(v)
	return heads, true, err
}

// entryMAC returns the MAC of audit entry seq, or nil if the trail has no such entry.
func entryMAC(ctx context.Context, q querier, seq int64) ([]byte, error) {
	var mac []byte
	err := q.QueryRowContext(ctx, "SELECT mac FROM audit WHERE seq = ?", seq).Scan(&mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return mac, err
}

// reaches returns the index of the highest anchored head the trail holds, or -1.
func (s *Store) reaches(ctx context.Context, heads []anchorHead) (int, error) {
	best := -1
	for i, h := range heads {
		mac, err := entryMAC(ctx, s.db, h.seq)
		if err != nil {
			return -1, err
		}
		if mac != nil && hmac.Equal(mac, h.mac) && (best < 0 || h.seq > heads[best].seq) {
			best = i
		}
	}
	return best, nil
}

// compareHead checks the trail against one anchored head.
func (s *Store) compareHead(ctx context.Context, source string, seq int64, mac []byte) (*TrailError, error) {
	ends, _, err := auditHeadIn(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if ends < seq {
		return belowAnchor(source, ends, seq), nil
	}
	got, err := entryMAC(ctx, s.db, seq)
	if err != nil {
		return nil, err
	}
	if got == nil || !hmac.Equal(got, mac) {
		return forkedFromAnchor(source, ends, seq), nil
	}
	return nil, nil
}

// checkKeychainAnchor compares the trail with the heads anchored in this machine's keychain.
// With no anchor yet (a database from before anchors, or unlocked here by the recovery code),
// a database whose key came from this keychain is anchored now.
func (s *Store) checkKeychainAnchor(ctx context.Context) (*TrailError, error) {
	heads, found, err := s.loadAnchor(ctx)
	switch {
	case errors.Is(err, errAnchorDamaged):
		return &TrailError{Source: "keychain", Reason: "the audit anchor in the keychain fails authentication (altered)"}, nil
	case err != nil && !s.mkFromKeychain:
		return nil, nil // no usable keychain here: the key came from the passphrase or the code
	case err != nil:
		return nil, fmt.Errorf("read the audit anchor: %w", err)
	case !found:
		if s.mkFromKeychain {
			s.raiseAnchor(ctx)
		}
		return nil, nil
	}
	i, err := s.reaches(ctx, heads)
	if err != nil || i >= 0 {
		return nil, err
	}
	// Name it against the most recently raised head: this database's own, in the usual case of
	// a single copy.
	h := heads[len(heads)-1]
	return s.compareHead(ctx, "keychain", h.seq, h.mac)
}

// RaiseAnchor moves this database's keychain anchor up to the committed audit head. It does
// nothing for a passphrase-protected database (it has no keychain entry). A trail that no longer
// reaches its anchor (the file was swapped underneath) is not anchored: the store fails closed.
// Sync can call it after a checkpoint; the store calls it at sign-out, Close, backup and every
// few minutes of writes.
func (s *Store) RaiseAnchor(ctx context.Context) error {
	if !s.usesKeychainAnchor() {
		return nil
	}
	return s.raiseAnchor(ctx)
}

func (s *Store) raiseAnchor(ctx context.Context) error {
	s.raiseMu.Lock()
	defer s.raiseMu.Unlock()
	s.amu.Lock()
	s.lastAnchor = s.opts.Now()
	err := s.trailState()
	s.amu.Unlock()
	if err != nil {
		return err
	}
	s.mu.RLock()
	closed := s.mk == nil
	s.mu.RUnlock()
	if closed {
		return nil
	}
	seq, mac, err := s.AuditHead(ctx)
	if err != nil || seq == 0 {
		return err
	}
	heads, _, err := s.loadAnchor(ctx)
	if err != nil {
		return err
	}
	if len(heads) > 0 {
		i, err := s.reaches(ctx, heads)
		if err != nil {
			return err
		}
		if i < 0 {
			h := heads[len(heads)-1]
			te, err := s.compareHead(ctx, "keychain", h.seq, h.mac)
			if err != nil {
				return err
			}
			if te != nil {
				// The file was swapped underneath this store: fail closed.
				s.amu.Lock()
				s.trailErr = te
				s.amu.Unlock()
				return te
			}
		}
		if i >= 0 {
			if heads[i].seq >= seq {
				return nil
			}
			heads = append(heads[:i:i], heads[i+1:]...)
		}
	}
	heads = append(heads, anchorHead{seq: seq, mac: mac})
	if len(heads) > maxAnchorHeads {
		heads = heads[len(heads)-maxAnchorHeads:]
	}
	return s.opts.Keychain.Store(ctx, s.anchorAccount(), s.encodeAnchor(heads))
}

// maybeRaiseAnchor raises the keychain anchor when the last raise is anchorEvery old; writes
// call it after they commit.
func (s *Store) maybeRaiseAnchor(ctx context.Context) {
	if !s.usesKeychainAnchor() {
		return
	}
	s.amu.Lock()
	due := s.opts.Now().Sub(s.lastAnchor) >= anchorEvery
	s.amu.Unlock()
	if due && s.raiseMu.TryLock() {
		// A raise already under way (a keychain dialog open) is not waited for.
		s.raiseMu.Unlock()
		s.raiseAnchor(ctx)
	}
}

// CheckAuditAnchor compares this database's audit trail with a head recorded outside the file
// (seq and the MAC of the entry at seq), already authenticated by the caller: a backup
// manifest, a signed hub checkpoint. A trail that ends below it or holds another entry there is
// reported as a *TrailError naming the source, and the store fails closed (no sign-in, no
// writes) until it is opened again.
func (s *Store) CheckAuditAnchor(ctx context.Context, source string, seq int64, mac []byte) error {
	if seq <= 0 {
		return nil
	}
	te, err := s.compareHead(ctx, source, seq, mac)
	if err != nil {
		return err
	}
	if te != nil {
		s.amu.Lock()
		if s.anchorErr == nil {
			s.anchorErr = te
		}
		s.amu.Unlock()
		return te
	}
	return nil
}

// trailState is the audit trail's standing: nil, or why sign-in and writes are refused.
// The caller holds amu.
func (s *Store) trailState() error {
	if s.trailErr != nil {
		return s.trailErr
	}
	if s.anchorErr != nil {
		return s.anchorErr
	}
	return nil
}

func (s *Store) trailProblem() error {
	s.amu.Lock()
	defer s.amu.Unlock()
	return s.trailState()
}

// checkTrail is the unlock-time check of the audit trail, cheap enough for every Open: the
// trail holds entries once the database has its org key, its newest entry is the authenticated
// head, and it reaches the keychain anchor. A failure does not stop Open (verify must be able
// to name it) but makes the store refuse sign-in and writes.
func (s *Store) checkTrail(ctx context.Context) error {
	te, err := s.headProblem(ctx)
	if err == nil && te == nil && s.usesKeychainAnchor() {
		te, err = s.checkKeychainAnchor(ctx)
	}
	if err != nil {
		return err
	}
	var bad error
	if te != nil {
		bad = te
	} else if err := checkSchema(ctx, s.db); err != nil {
		var ie *TamperError
		if !errors.As(err, &ie) {
			return err
		}
		bad = ie
	} else if _, err := s.checkState(ctx, s.db); err != nil {
		// The rows' integrity state is not the one the last write left: fail closed too.
		var ie *TamperError
		if !errors.As(err, &ie) {
			return err
		}
		bad = ie
	}
	s.amu.Lock()
	s.trailErr = bad
	s.lastAnchor = s.opts.Now()
	s.amu.Unlock()
	return nil
}

// hasOrgKey reports whether the database holds the org scope key (a replica before its first
// sync has none, hence no audit key and no trail yet).
func hasOrgKey(ctx context.Context, q querier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM scope_keys WHERE scope = ?", OrgScope).Scan(&n)
	return n > 0, err
}

// headProblem checks, in one read transaction, that the trail is not empty and that its newest
// entry is the head the header authenticates.
func (s *Store) headProblem(ctx context.Context) (te *TrailError, err error) {
	err = s.readTx(ctx, func(q querier) error {
		te, err = s.headProblemIn(ctx, q)
		return err
	})
	return te, err
}

func (s *Store) headProblemIn(ctx context.Context, q querier) (*TrailError, error) {
	org, err := hasOrgKey(ctx, q)
	if err != nil || !org {
		return nil, err
	}
	var seq int64
	var mac []byte
	err = q.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return &TrailError{Reason: emptyTrail}, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		// A damaged org key: nothing can be checked or signed in with; verify names it.
		return nil, nil
	}
	headSeq, ok, err := checkHead(ctx, q, key, seq, mac)
	if err != nil || ok {
		return nil, err
	}
	return &TrailError{Ends: seq, Anchored: headSeq, Reason: headMismatch(seq, headSeq)}, nil
}

const emptyTrail = "trail is empty: its entries were deleted (a database always holds at least its creation entry)"

func headMismatch(ends, head int64) string {
	return fmt.Sprintf("trail ends at entry %d but its authenticated head is entry %d (entries removed from the end, or the head replaced)", ends, head)
}
