package roster

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
)

// Head is an owner device's signed statement "at time At the roster I hold has Len entries
// ending in Hash". Owner devices sign one on every sync; the hub keeps the newest per owner
// device. A device whose roster is shorter than a verified head knows entries are being
// withheld from it; one whose entry at Len-1 differs knows the hub shows rosters that fork.
type Head struct {
	ID     [32]byte // chain id (genesis hash)
	Len    uint64
	Hash   [32]byte
	At     int64 // Unix milliseconds
	Signer string
	Sig    []byte
}

const headMagic = "SPKH"

func (h *Head) body() []byte {
	b := append([]byte(headMagic), formatVersion)
	b = append(b, h.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, h.Len)
	b = append(b, h.Hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.At))
	return appendString(b, h.Signer)
}

// Encode returns the canonical bytes of a signed head.
func (h *Head) Encode() []byte { return appendBytes(h.body(), h.Sig) }

// DecodeHead parses an encoded head (form only; State.CheckHead verifies it).
func DecodeHead(b []byte) (*Head, error) {
	if len(b) > 512 {
		return nil, ErrMalformed
	}
	r := reader{b: b}
	if string(r.take(len(headMagic))) != headMagic {
		return nil, ErrMalformed
	}
	if v := r.take(1); v == nil || v[0] != formatVersion {
		return nil, ErrMalformed
	}
	h := &Head{}
	copy(h.ID[:], r.take(32))
	h.Len = r.u64()
	copy(h.Hash[:], r.take(32))
	h.At = int64(r.u64())
	h.Signer = r.str()
	h.Sig = r.bytes(ed25519.SignatureSize)
	if r.bad || len(r.b) != 0 || !bytes.Equal(h.Encode(), b) {
		return nil, ErrMalformed
	}
	return h, nil
}

// SignHead signs the state's current head as signer.
func (s *State) SignHead(signer string, key ed25519.PrivateKey, at int64) []byte {
	h := &Head{ID: s.id, Len: s.Len(), Hash: s.Head(), At: at, Signer: signer}
	h.Sig = ed25519.Sign(key, h.body())
	return h.Encode()
}

// HeadStatus is what a head says about the roster a device holds.
type HeadStatus int

const (
	// HeadCurrent: the head matches this roster or a prefix of it.
	HeadCurrent HeadStatus = iota
	// HeadAhead: a verified head names more entries than this roster has: they are being
	// withheld, or are still on their way.
	HeadAhead
	// HeadForked: the head's entry differs from this roster's at the same position: the
	// hub shows different rosters to different devices.
	HeadForked
	// HeadUnverified: the head is not signed by an active owner this roster knows (a forged
	// head, one by an owner added in entries this device has not seen, or a revoked one's).
	HeadUnverified
)

// CheckHead compares a head with the state.
func (s *State) CheckHead(h *Head) HeadStatus {
	if h.ID != s.id {
		return HeadUnverified
	}
	m := s.members[h.Signer]
	if m == nil || m.Role != RoleOwner || !m.Active || !ed25519.Verify(m.SigningKey, h.body(), h.Sig) {
		return HeadUnverified
	}
	if h.Len == 0 {
		return HeadUnverified
	}
	if h.Len > s.Len() {
		return HeadAhead
	}
	if s.hashes[h.Len-1] != h.Hash {
		return HeadForked
	}
	return HeadCurrent
}
