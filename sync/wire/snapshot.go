package wire

import (
	"crypto/cipher"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
)

// A snapshot stands in for the change-sets of one scope that the hub deleted at compaction.
// An owner device builds it from its rows (the values as they stand, each with the clock of
// its last write) once every device reading the scope has pulled past a hub cursor, the
// snapshot's point; a device that joins later starts from it and then pulls the sets after
// the point. A snapshot is split into parts, each sealed under the scope key with its header
// as additional data and signed by the owner device, like a change-set but with its own magic
// and key purpose, so neither can be taken for the other. Every part carries the same header
// fields but its index, and the same list of sequence numbers covered: for each device that
// wrote the scope, the newest of its sets of the scope whose effect the snapshot holds. A
// receiver that imported every part takes those numbers as applied, which is what lets the
// sequence-gap rule accept the sets after a deleted prefix.
const (
	snapMagic  = "SPKSN"
	snapFormat = 1
	// snapPurpose is the HKDF info turning a scope key into the snapshot key.
	snapPurpose = "spoke/snapshot/v1"
	// MaxSnapshotParts bounds one snapshot (at most 32 MiB each).
	MaxSnapshotParts = 4096
	// maxCovered bounds the covered list: one entry per device that wrote the scope.
	maxCovered = 100_000
)

// SnapshotHeader is the clear part of a snapshot part: what the hub needs to store it and
// check it came from an owner device, without reading it.
type SnapshotHeader struct {
	// Version is the snapshot format version; this package reads and writes 1.
	Version uint8
	// Scope is the scope the snapshot holds; its key seals the body.
	Scope string
	// Device is the owner device that built and signed it.
	Device string
	// KeyVersion is the version of the scope key sealing the body.
	KeyVersion uint32
	// ID is random, the same in every part of one snapshot.
	ID [16]byte
	// Point is the hub cursor covered: every set of the scope at or below it.
	Point int64
	// Part is this part's index from 0; Parts how many there are.
	Part, Parts uint32
}

// Covered names the newest set of one device in the scope whose effect a snapshot holds.
type Covered struct {
	Device   string
	ScopeSeq uint64
}

// SnapshotPart is one part's header, the covered list and its share of the records.
type SnapshotPart struct {
	Header  SnapshotHeader
	Covered []Covered
	Changes []Change
}

func checkSnapshotHeader(h *SnapshotHeader) error {
	if h.Version != snapFormat {
		return fail(ErrVersion, "snapshot header: unknown format version (update Spoke)")
	}
	if err := checkID("snapshot header: scope", h.Scope); err != nil {
		return err
	}
	if err := checkID("snapshot header: device", h.Device); err != nil {
		return err
	}
	if h.KeyVersion == 0 {
		return fail(ErrMalformed, "snapshot header: key version is 0")
	}
	if h.ID == ([16]byte{}) {
		return fail(ErrMalformed, "snapshot header: id is zero")
	}
	if h.Point <= 0 {
		return fail(ErrMalformed, "snapshot header: point is not a cursor")
	}
	if h.Parts == 0 || h.Parts > MaxSnapshotParts || h.Part >= h.Parts {
		return fail(ErrMalformed, "snapshot header: part index or count out of range")
	}
	return nil
}

func appendSnapshotHeader(out []byte, h *SnapshotHeader) []byte {
	out = append(out, snapMagic...)
	out = append(out, h.Version)
	out = appendString(out, h.Scope)
	out = appendString(out, h.Device)
	out = binary.BigEndian.AppendUint32(out, h.KeyVersion)
	out = append(out, h.ID[:]...)
	out = binary.BigEndian.AppendUint64(out, uint64(h.Point))
	out = binary.BigEndian.AppendUint32(out, h.Part)
	return binary.BigEndian.AppendUint32(out, h.Parts)
}

// parseSnapshotFrame checks the framing of a sealed part and returns its header and the
// header's length.
func parseSnapshotFrame(b []byte) (SnapshotHeader, int, error) {
	var h SnapshotHeader
	if len(b) > maxSealed {
		return h, 0, fail(ErrTooLarge, "snapshot part is larger than 32 MiB")
	}
	if len(b) < prefixSize || string(b[:len(snapMagic)]) != snapMagic {
		return h, 0, fail(ErrMalformed, "not a snapshot part (bad magic)")
	}
	h.Version = b[len(snapMagic)]
	if h.Version != snapFormat {
		return h, 0, fail(ErrVersion, "snapshot header: unknown format version (update Spoke)")
	}
	r := reader{b: b[prefixSize:]}
	var err error
	if h.Scope, err = r.string("snapshot header: scope", maxString); err != nil {
		return h, 0, err
	}
	if h.Device, err = r.string("snapshot header: device", maxString); err != nil {
		return h, 0, err
	}
	kv, ok1 := r.uint32()
	id, ok2 := r.bytes(16)
	point, ok3 := r.uint64()
	part, ok4 := r.uint32()
	parts, ok5 := r.uint32()
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return h, 0, fail(ErrMalformed, "snapshot header: truncated")
	}
	if point > 1<<62 {
		return h, 0, fail(ErrMalformed, "snapshot header: point is not a cursor")
	}
	h.KeyVersion, h.Point, h.Part, h.Parts = kv, int64(point), part, parts
	copy(h.ID[:], id)
	if err := checkSnapshotHeader(&h); err != nil {
		return h, 0, err
	}
	if len(r.b) < minTail {
		return h, 0, fail(ErrMalformed, "truncated after the snapshot header")
	}
	return h, len(b) - len(r.b), nil
}

func encodeCovered(out []byte, cov []Covered) []byte {
	out = binary.BigEndian.AppendUint32(out, clampUint32(len(cov)))
	for _, c := range cov {
		out = appendString(out, c.Device)
		out = binary.BigEndian.AppendUint64(out, c.ScopeSeq)
	}
	return out
}

func checkCovered(cov []Covered) error {
	if len(cov) > maxCovered {
		return fail(ErrTooLarge, "snapshot: more than 100000 covered devices")
	}
	seen := make(map[string]bool, len(cov))
	for _, c := range cov {
		if err := checkID("snapshot: covered device", c.Device); err != nil {
			return err
		}
		if c.ScopeSeq == 0 || seen[c.Device] {
			return fail(ErrMalformed, "snapshot: covered sequence is 0 or a device is named twice")
		}
		seen[c.Device] = true
	}
	return nil
}

// SealSnapshot validates p, encodes, compresses and seals it under scopeKey with the header as
// additional data, and signs the whole with signer (the owner device's key).
func SealSnapshot(p *SnapshotPart, scopeKey []byte, signer ed25519.PrivateKey) ([]byte, error) {
	if p == nil {
		return nil, fail(ErrMalformed, "snapshot part is nil")
	}
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("wire: signing key must be a 64-byte Ed25519 private key")
	}
	aead, err := snapshotAEAD(scopeKey)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshotHeader(&p.Header); err != nil {
		return nil, err
	}
	if err := checkCovered(p.Covered); err != nil {
		return nil, err
	}
	if len(p.Changes) > maxChanges {
		return nil, fail(ErrTooLarge, "more than 100000 changes")
	}
	for i := range p.Changes {
		if err := validateChange(&p.Changes[i]); err != nil {
			return nil, inChange(i, err)
		}
	}
	if bodySize(p.Changes) > maxBody/2 {
		return nil, fail(ErrTooLarge, "snapshot part body is larger than 32 MiB")
	}
	plain := encodeCovered(nil, p.Covered)
	if len(plain) > maxBody/2 {
		return nil, fail(ErrTooLarge, "snapshot covered list is too large")
	}
	compressed, err := deflate(append(plain, EncodeBody(p.Changes)...))
	if err != nil {
		return nil, err
	}
	hdr := appendSnapshotHeader(nil, &p.Header)
	size := len(hdr) + sealOverhead + len(compressed) + ed25519.SignatureSize
	if size > maxSealed {
		return nil, fail(ErrTooLarge, "sealed snapshot part would be larger than 32 MiB")
	}
	out := make([]byte, 0, size)
	out = append(out, hdr...)
	out = aead.Seal(out, nil, compressed, hdr)
	return append(out, ed25519.Sign(signer, out)...), nil
}

func snapshotAEAD(scopeKey []byte) (cipher.AEAD, error) { return aeadFor(scopeKey, snapPurpose) }

// ParseSnapshotHeader reads the clear header of a sealed part and checks its framing. It
// verifies nothing: that is VerifySnapshot.
func ParseSnapshotHeader(b []byte) (SnapshotHeader, error) {
	h, _, err := parseSnapshotFrame(b)
	if err != nil {
		return SnapshotHeader{}, err
	}
	return h, nil
}

// VerifySnapshot checks the framing of a part and its signature against pub, the key of the
// header's device. The hub calls it on every part it is given.
func VerifySnapshot(b []byte, pub ed25519.PublicKey) (SnapshotHeader, error) {
	h, _, err := verifySnapshotFrame(b, pub)
	return h, err
}

func verifySnapshotFrame(b []byte, pub ed25519.PublicKey) (SnapshotHeader, int, error) {
	h, n, err := parseSnapshotFrame(b)
	if err != nil {
		return SnapshotHeader{}, 0, err
	}
	if err := checkSignature(b, pub); err != nil {
		return SnapshotHeader{}, 0, err
	}
	return h, n, nil
}

// OpenSnapshot verifies a part's signature with pub, asks keyFor for the scope key named by
// its header, decrypts, decompresses and decodes it.
func OpenSnapshot(b []byte, pub ed25519.PublicKey, keyFor func(scope string, version uint32) ([]byte, error)) (*SnapshotPart, error) {
	h, hdrLen, err := verifySnapshotFrame(b, pub)
	if err != nil {
		return nil, err
	}
	plain, err := openBody(b, hdrLen, h.Scope, h.KeyVersion, snapPurpose, "snapshot", keyFor)
	if err != nil {
		return nil, err
	}
	r := reader{b: plain}
	n, ok := r.uint32()
	if !ok {
		return nil, fail(ErrMalformed, "snapshot: truncated covered count")
	}
	if n > maxCovered {
		return nil, fail(ErrTooLarge, "snapshot: more than 100000 covered devices")
	}
	// Each entry is at least a length and a sequence number: the count must fit the input.
	if uint64(n)*10 > uint64(len(r.b)) {
		return nil, fail(ErrMalformed, "snapshot: truncated covered list")
	}
	cov := make([]Covered, n)
	for i := range cov {
		if cov[i].Device, err = r.string("snapshot: covered device", maxString); err != nil {
			return nil, err
		}
		if cov[i].ScopeSeq, ok = r.uint64(); !ok {
			return nil, fail(ErrMalformed, "snapshot: truncated covered sequence")
		}
	}
	if err := checkCovered(cov); err != nil {
		return nil, err
	}
	changes, err := DecodeBody(r.b)
	if err != nil {
		return nil, err
	}
	return &SnapshotPart{Header: h, Covered: cov, Changes: changes}, nil
}
