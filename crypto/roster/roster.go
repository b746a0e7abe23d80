// Package roster is the owner-signed list of a chain's devices: an append-only, hash-chained
// log of entries (a small transparency log, after Certificate Transparency), each signed by an
// owner device, that says which device holds which keys, role and shops, and which were
// revoked. The hub stores and relays the roster but is never a source of trust: a spoke pins
// a device's keys only from entries it verified here, starting from the genesis entry whose
// hash (the chain id) it learnt from an enrolment code or its own creation.
//
// The genesis entry names the first owner device and, when the database was created with a
// recovery code, an offline owner key derived from that code, which countersigns the genesis:
// a new machine holding only the emergency kit can prove which roster is the real one and
// sign entries (add itself, revoke a stolen owner device).
//
// Owner devices also sign timestamped heads (length and hash of the roster they hold), so a
// hub that withholds newer entries from a device, or shows two devices different rosters,
// shows up as a stale or forked head.
//
// The package only encodes, signs and verifies; it stores nothing and does no I/O.
package roster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Operations an entry performs.
const (
	OpGenesis = "genesis" // the first entry: the first owner device (and the offline owner key)
	OpAdd     = "add"     // a device joins with its keys, role and shops
	OpRevoke  = "revoke"  // a device is revoked for good
	// OpRotate rotates one shop's key (after an erasure): the entry names the shop only, and
	// its number makes the new key version unique (one past it), as a revocation's does, so two
	// owner devices never make two different keys of one version.
	OpRotate = "rotate"
)

// Roles a member has.
const (
	RoleOwner = "owner" // reads and writes every scope, signs roster entries and key envelopes
	RoleShop  = "shop"  // reads the org scope and its shops, writes only its shops
)

// OrgScope is the scope of org-wide data; only owners write it.
const OrgScope = "org"

// RecoveryID is the member id of the offline owner key derived from the recovery code.
const RecoveryID = "recovery"

// Sentinel errors. Every refusal wraps ErrInvalid, so a caller can tell "this roster is not
// to be trusted" from an I/O failure.
var (
	ErrInvalid   = errors.New("roster: entry does not verify")
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalid)
)

func invalid(why string) error { return fmt.Errorf("%w: %s", ErrInvalid, why) }

// Member is a device (or the offline owner key) as the roster pins it.
type Member struct {
	ID         string
	Role       string
	Scopes     []string          // shop scopes of a shop device; empty for owners
	SigningKey ed25519.PublicKey // verifies its change-sets, checkpoints and roster entries
	KEMKey     []byte            // HPKE public key scope keys are sealed to; empty for RecoveryID
}

// Entry is one roster entry.
type Entry struct {
	Seq      uint64
	Prev     [32]byte // hash of entry Seq-1; zero for the genesis
	At       int64    // Unix milliseconds, as the signer's clock said
	Op       string
	Member   Member            // OpGenesis, OpAdd: the member; OpRevoke: only ID is set
	Recovery ed25519.PublicKey // OpGenesis only: the offline owner key, if any
	Signer   string            // the member id whose key made Sig
	Sig      []byte
	CoSig    []byte // OpGenesis with Recovery: the offline owner key's signature
}

const (
	magic         = "SPKR"
	formatVersion = 1
	maxString     = 64
	maxScopes     = 64
	maxKEM        = 4096
	maxEntry      = 16 << 10
)

// ValidID accepts what the hub accepts as an id: 1 to 64 of A-Z a-z 0-9 _ -.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxString {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// body is the signed part of the encoding: everything but the signatures.
func (e *Entry) body() []byte {
	b := append([]byte(magic), formatVersion)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.At))
	b = appendString(b, e.Op)
	b = appendString(b, e.Member.ID)
	b = appendString(b, e.Member.Role)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Member.Scopes)))
	for _, s := range e.Member.Scopes {
		b = appendString(b, s)
	}
	b = appendBytes(b, e.Member.SigningKey)
	b = appendBytes(b, e.Member.KEMKey)
	b = appendBytes(b, e.Recovery)
	b = appendString(b, e.Signer)
	return b
}

// Encode returns the canonical bytes of a signed entry: Decode accepts exactly these.
func (e *Entry) Encode() []byte {
	b := e.body()
	b = appendBytes(b, e.Sig)
	return appendBytes(b, e.CoSig)
}

// Hash is SHA-256 over the whole encoding, signatures included.
func (e *Entry) Hash() [32]byte { return sha256.Sum256(e.Encode()) }

func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func appendBytes(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	v := r.take(8)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (r *reader) u16() int {
	v := r.take(2)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}

func (r *reader) str() string {
	n := r.take(1)
	if n == nil {
		return ""
	}
	return string(r.take(int(n[0])))
}

func (r *reader) bytes(max int) []byte {
	n := r.u16()
	if n > max {
		r.bad = true
		return nil
	}
	v := r.take(n)
	if len(v) == 0 {
		return nil
	}
	return bytes.Clone(v)
}

// Decode parses an encoded entry. It checks the form only; State.Append checks signatures
// and the chain.
func Decode(b []byte) (*Entry, error) {
	if len(b) > maxEntry {
		return nil, ErrMalformed
	}
	r := reader{b: b}
	if string(r.take(len(magic))) != magic {
		return nil, ErrMalformed
	}
	if v := r.take(1); v == nil || v[0] != formatVersion {
		return nil, fmt.Errorf("%w: unknown roster format version (update Spoke)", ErrInvalid)
	}
	e := &Entry{}
	e.Seq = r.u64()
	copy(e.Prev[:], r.take(32))
	e.At = int64(r.u64())
	e.Op = r.str()
	e.Member.ID = r.str()
	e.Member.Role = r.str()
	n := r.u16()
	if n > maxScopes {
		return nil, ErrMalformed
	}
	for range n {
		e.Member.Scopes = append(e.Member.Scopes, r.str())
	}
	e.Member.SigningKey = r.bytes(ed25519.PublicKeySize)
	e.Member.KEMKey = r.bytes(maxKEM)
	e.Recovery = r.bytes(ed25519.PublicKeySize)
	e.Signer = r.str()
	e.Sig = r.bytes(ed25519.SignatureSize)
	e.CoSig = r.bytes(ed25519.SignatureSize)
	if r.bad || len(r.b) != 0 {
		return nil, ErrMalformed
	}
	// Canonical: re-encoding gives the same bytes (no alternative spellings of one entry).
	if !bytes.Equal(e.Encode(), b) {
		return nil, ErrMalformed
	}
	return e, nil
}

// checkMember checks the form of a member being added.
func checkMember(m Member) error {
	switch {
	case !ValidID(m.ID) || m.ID == RecoveryID:
		return invalid("member id")
	case len(m.SigningKey) != ed25519.PublicKeySize:
		return invalid("member signing key")
	case len(m.KEMKey) == 0:
		return invalid("member has no key to seal scope keys to")
	}
	switch m.Role {
	case RoleOwner:
		if len(m.Scopes) != 0 {
			return invalid("an owner device names no shops")
		}
	case RoleShop:
		if len(m.Scopes) == 0 {
			return invalid("a shop device names its shops")
		}
		for _, s := range m.Scopes {
			if !ValidID(s) || s == OrgScope {
				return invalid("shop scope")
			}
		}
		if !slices.IsSorted(m.Scopes) || len(slices.Compact(slices.Clone(m.Scopes))) != len(m.Scopes) {
			return invalid("shop scopes must be sorted and distinct")
		}
	default:
		return invalid("member role")
	}
	return nil
}

// MemberState is a member with its standing in the roster.
type MemberState struct {
	Member
	Active    bool
	AddedAt   uint64 // seq of the entry that added it
	RevokedAt uint64 // seq of the entry that revoked it; 0 while active
}

// CanWrite reports whether the member may write change records of scope.
func (m *MemberState) CanWrite(scope string) bool {
	if !m.Active {
		return false
	}
	if m.Role == RoleOwner {
		return true
	}
	return scope != OrgScope && slices.Contains(m.Scopes, scope)
}

// CanRead reports whether the member may be handed the key of scope.
func (m *MemberState) CanRead(scope string) bool {
	if !m.Active || m.ID == RecoveryID {
		return false
	}
	return m.Role == RoleOwner || scope == OrgScope || slices.Contains(m.Scopes, scope)
}

// State is a verified roster: what its entries add up to.
type State struct {
	id      [32]byte
	hashes  [][32]byte
	ats     []int64
	members map[string]*MemberState
	order   []string
}

// New verifies a genesis entry and starts a state from it. wantID, when not zero, is the
// chain id the caller expects (from an enrolment code); wantRecovery, when set, is the
// offline owner key the caller derived from its recovery code, which must have
// countersigned the genesis.
func New(genesis []byte, wantID [32]byte, wantRecovery ed25519.PublicKey) (*State, error) {
	e, err := Decode(genesis)
	if err != nil {
		return nil, err
	}
	h := e.Hash()
	if wantID != ([32]byte{}) && h != wantID {
		return nil, invalid("the genesis is not the chain's (the hub shows another roster)")
	}
	if e.Seq != 0 || e.Prev != ([32]byte{}) || e.Op != OpGenesis || e.Signer != e.Member.ID || e.Member.Role != RoleOwner {
		return nil, invalid("not a genesis entry")
	}
	if err := checkMember(e.Member); err != nil {
		return nil, err
	}
	msg := e.body()
	if !ed25519.Verify(e.Member.SigningKey, msg, e.Sig) {
		return nil, invalid("genesis signature")
	}
	if len(e.Recovery) != 0 && !ed25519.Verify(e.Recovery, msg, e.CoSig) {
		return nil, invalid("genesis countersignature of the offline owner key")
	}
	if len(e.Recovery) == 0 && len(e.CoSig) != 0 {
		return nil, ErrMalformed
	}
	if wantRecovery != nil && !bytes.Equal(wantRecovery, e.Recovery) {
		return nil, invalid("the genesis was not countersigned by this recovery code's key")
	}
	s := &State{id: h, members: map[string]*MemberState{}}
	s.add(e.Member, 0)
	if len(e.Recovery) != 0 {
		s.add(Member{ID: RecoveryID, Role: RoleOwner, SigningKey: e.Recovery}, 0)
	}
	s.hashes = append(s.hashes, h)
	s.ats = append(s.ats, e.At)
	return s, nil
}

func (s *State) add(m Member, seq uint64) {
	s.members[m.ID] = &MemberState{Member: m, Active: true, AddedAt: seq}
	s.order = append(s.order, m.ID)
}

// ID is the chain id: the genesis entry's hash.
func (s *State) ID() [32]byte { return s.id }

// Len is the number of entries.
func (s *State) Len() uint64 { return uint64(len(s.hashes)) }

// Head is the hash of the last entry.
func (s *State) Head() [32]byte { return s.hashes[len(s.hashes)-1] }

// HashAt returns the hash of entry seq.
func (s *State) HashAt(seq uint64) ([32]byte, bool) {
	if seq >= uint64(len(s.hashes)) {
		return [32]byte{}, false
	}
	return s.hashes[seq], true
}

// LastAt is the signer's time of the newest entry (Unix milliseconds).
func (s *State) LastAt() int64 { return s.ats[len(s.ats)-1] }

// Member returns a member (active or revoked), or nil.
func (s *State) Member(id string) *MemberState { return s.members[id] }

// Members lists members in the order they were added.
func (s *State) Members() []*MemberState {
	out := make([]*MemberState, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.members[id])
	}
	return out
}

// Clone returns an independent copy, so a caller can try entries without changing s.
func (s *State) Clone() *State {
	c := &State{id: s.id, hashes: slices.Clone(s.hashes), ats: slices.Clone(s.ats), members: map[string]*MemberState{}, order: slices.Clone(s.order)}
	for k, v := range s.members {
		m := *v
		c.members[k] = &m
	}
	return c
}

// Append verifies the next entry and applies it: it must follow the head, be signed by an
// active owner, and make a valid change.
func (s *State) Append(b []byte) error {
	e, err := Decode(b)
	if err != nil {
		return err
	}
	if e.Seq != s.Len() || e.Prev != s.Head() {
		return invalid(fmt.Sprintf("entry %d does not follow entry %d", e.Seq, s.Len()-1))
	}
	if e.Op == OpGenesis || len(e.Recovery) != 0 || len(e.CoSig) != 0 {
		return invalid("a second genesis")
	}
	signer := s.members[e.Signer]
	if signer == nil || !signer.Active || signer.Role != RoleOwner {
		return invalid(fmt.Sprintf("entry %d is not signed by an active owner", e.Seq))
	}
	if !ed25519.Verify(signer.SigningKey, e.body(), e.Sig) {
		return invalid(fmt.Sprintf("entry %d signature", e.Seq))
	}
	switch e.Op {
	case OpAdd:
		if err := checkMember(e.Member); err != nil {
			return err
		}
		if s.members[e.Member.ID] != nil {
			return invalid("a device id is added twice")
		}
		for _, m := range s.members {
			if bytes.Equal(m.SigningKey, e.Member.SigningKey) {
				return invalid("a signing key is added twice")
			}
		}
		s.add(e.Member, e.Seq)
	case OpRevoke:
		m := s.members[e.Member.ID]
		switch {
		case m == nil || !m.Active:
			return invalid("revokes a device that is not active")
		case m.ID == RecoveryID:
			return invalid("the offline owner key cannot be revoked")
		case len(e.Member.SigningKey) != 0 || len(e.Member.KEMKey) != 0 || e.Member.Role != "" || len(e.Member.Scopes) != 0:
			return ErrMalformed
		}
		m.Active, m.RevokedAt = false, e.Seq
	case OpRotate:
		if e.Member.ID != "" || len(e.Member.SigningKey) != 0 || len(e.Member.KEMKey) != 0 || e.Member.Role != "" ||
			len(e.Member.Scopes) != 1 || !ValidID(e.Member.Scopes[0]) || e.Member.Scopes[0] == OrgScope {
			return ErrMalformed
		}
	default:
		return invalid("unknown operation")
	}
	s.hashes = append(s.hashes, e.Hash())
	s.ats = append(s.ats, e.At)
	return nil
}

// Genesis makes the first entry of a new chain: root is the first owner device, signing with
// rootKey; recovery, if not nil, is the offline owner key, which countersigns.
func Genesis(root Member, rootKey, recovery ed25519.PrivateKey, at int64) ([]byte, error) {
	root.Role = RoleOwner
	if err := checkMember(root); err != nil {
		return nil, err
	}
	e := &Entry{At: at, Op: OpGenesis, Member: root, Signer: root.ID}
	if recovery != nil {
		e.Recovery = recovery.Public().(ed25519.PublicKey)
	}
	msg := e.body()
	e.Sig = ed25519.Sign(rootKey, msg)
	if recovery != nil {
		e.CoSig = ed25519.Sign(recovery, msg)
	}
	return e.Encode(), nil
}

// Next makes the entry that follows s: op with member, signed by signer with key. It does not
// change s; Append the result to do that (and to check it).
func (s *State) Next(op string, m Member, signer string, key ed25519.PrivateKey, at int64) ([]byte, error) {
	e := &Entry{Seq: s.Len(), Prev: s.Head(), At: at, Op: op, Member: m, Signer: signer}
	switch op {
	case OpRevoke:
		e.Member = Member{ID: m.ID}
	case OpRotate:
		e.Member = Member{Scopes: m.Scopes}
	}
	e.Sig = ed25519.Sign(key, e.body())
	b := e.Encode()
	if err := s.Clone().Append(b); err != nil {
		return nil, err
	}
	return b, nil
}

// String describes a member without keys, for logs and the CLI.
func (m *MemberState) String() string {
	st := "active"
	if !m.Active {
		st = "revoked"
	}
	return fmt.Sprintf("%s %s [%s] %s", m.ID, m.Role, strings.Join(m.Scopes, ","), st)
}
