package wire

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

const (
	magic = "SPKCS"
	// formatVersion is what Seal writes. Version 2 added ScopeSeq; version 1
	// sets (without it) still open.
	formatVersion    = 2
	minFormatVersion = 1
	prefixSize       = len(magic) + 1
	keySize          = 32
	// sealOverhead is what AES-GCM with a random nonce adds: nonce and tag.
	sealOverhead = 12 + 16
	// minTail is the least that must follow the header: an empty
	// ciphertext (which still fails authentication) and the signature.
	minTail = sealOverhead + ed25519.SignatureSize
	// keyPurpose is the HKDF info that turns a scope key into the change-set
	// key; a new format version that changes the body must change it too.
	keyPurpose = "spoke/change-set/v1"
)

// Header is the clear part of a change-set: what the hub needs to route,
// deduplicate and verify a push without reading it.
type Header struct {
	// Version is the format version; this package writes 2 and reads 1 and 2.
	// A newer one is ErrVersion: the receiver holds the set and asks for an
	// update rather than misreading it.
	Version uint8
	// Scope is "org" or a shop id: which scope key seals the body.
	Scope string
	// Device is the id of the device that sealed and signed the set.
	Device string
	// Seq is the device's sequence number for this set, from 1 without
	// gaps; the hub makes pushes idempotent by (Device, Seq).
	Seq uint64
	// KeyVersion is the version of the scope key that seals the body.
	KeyVersion uint32
	// ScopeSeq (version 2) numbers the device's sets of this scope from 1
	// without gaps. A receiver reads only some scopes, so it checks for
	// missing sets by this number, not by Seq: a hub that drops one set
	// shows up as a gap that holds the device's later sets of the scope.
	ScopeSeq uint64
}

// ChangeSet is a header and its change records, in order.
type ChangeSet struct {
	Header  Header
	Changes []Change
}

func checkHeader(h *Header) error {
	if h.Version < minFormatVersion || h.Version > formatVersion {
		return fail(ErrVersion, "header: unknown format version (update Spoke)")
	}
	if (h.Version >= 2) != (h.ScopeSeq != 0) {
		return fail(ErrMalformed, "header: scope sequence number is 0, or set in a version 1 header")
	}
	if err := checkID("header: scope", h.Scope); err != nil {
		return err
	}
	if err := checkID("header: device", h.Device); err != nil {
		return err
	}
	// Zero is what a forgotten field holds; both counters start at 1.
	if h.Seq == 0 {
		return fail(ErrMalformed, "header: sequence number is 0")
	}
	if h.KeyVersion == 0 {
		return fail(ErrMalformed, "header: key version is 0")
	}
	return nil
}

// appendHeader writes the magic and the canonical header of a checked h.
func appendHeader(out []byte, h *Header) []byte {
	out = append(out, magic...)
	out = append(out, h.Version)
	out = appendString(out, h.Scope)
	out = appendString(out, h.Device)
	out = binary.BigEndian.AppendUint64(out, h.Seq)
	out = binary.BigEndian.AppendUint32(out, h.KeyVersion)
	if h.Version >= 2 {
		out = binary.BigEndian.AppendUint64(out, h.ScopeSeq)
	}
	return out
}

// parseFrame checks the framing of a sealed set and returns its header and
// the header's length (magic included), which is where the ciphertext starts.
func parseFrame(b []byte) (Header, int, error) {
	var h Header
	if len(b) > maxSealed {
		return h, 0, fail(ErrTooLarge, "sealed set is larger than 32 MiB")
	}
	if len(b) < prefixSize {
		return h, 0, fail(ErrMalformed, "truncated before the end of the magic")
	}
	if string(b[:len(magic)]) != magic {
		return h, 0, fail(ErrMalformed, "not a change-set (bad magic)")
	}
	h.Version = b[len(magic)]
	if h.Version < minFormatVersion || h.Version > formatVersion {
		return h, 0, fail(ErrVersion, "header: unknown format version (update Spoke)")
	}
	r := reader{b: b[prefixSize:]}
	var err error
	if h.Scope, err = r.string("header: scope", maxString); err != nil {
		return h, 0, err
	}
	if h.Device, err = r.string("header: device", maxString); err != nil {
		return h, 0, err
	}
	var ok bool
	if h.Seq, ok = r.uint64(); !ok {
		return h, 0, fail(ErrMalformed, "header: truncated sequence number")
	}
	if h.KeyVersion, ok = r.uint32(); !ok {
		return h, 0, fail(ErrMalformed, "header: truncated key version")
	}
	if h.Version >= 2 {
		if h.ScopeSeq, ok = r.uint64(); !ok {
			return h, 0, fail(ErrMalformed, "header: truncated scope sequence number")
		}
	}
	if err := checkHeader(&h); err != nil {
		return h, 0, err
	}
	if len(r.b) < minTail {
		return h, 0, fail(ErrMalformed, "truncated after the header")
	}
	return h, len(b) - len(r.b), nil
}

// bodyAEAD returns AES-256-GCM with random nonces under the change-set key
// derived from scopeKey.
func bodyAEAD(scopeKey []byte) (cipher.AEAD, error) { return aeadFor(scopeKey, keyPurpose) }

// aeadFor returns AES-256-GCM with random nonces under the key HKDF derives
// from scopeKey for purpose.
func aeadFor(scopeKey []byte, purpose string) (cipher.AEAD, error) {
	if len(scopeKey) != keySize {
		return nil, errors.New("wire: scope key must be 32 bytes")
	}
	k, err := hkdf.Key(sha256.New, scopeKey, nil, purpose, keySize)
	if err != nil {
		return nil, fmt.Errorf("wire: derive change-set key: %w", err)
	}
	block, err := aes.NewCipher(k)
	clear(k) // the cipher keeps its own schedule; drop our copy early
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	// The nonce is random (96 bits) rather than a counter: many devices seal
	// under one scope key with no shared state, and each change-set is one
	// message, so the collision bound is far beyond any shop's volume.
	return cipher.NewGCMWithRandomNonce(block)
}

// Seal validates cs, encodes and compresses its changes, seals them under
// scopeKey with the header as additional data, and signs the whole with
// signer. It refuses anything Open would refuse (ErrMalformed, ErrTooLarge,
// ErrVersion), so every set it returns can be opened.
func Seal(cs *ChangeSet, scopeKey []byte, signer ed25519.PrivateKey) ([]byte, error) {
	if cs == nil {
		return nil, fail(ErrMalformed, "change-set is nil")
	}
	if len(signer) != ed25519.PrivateKeySize {
		// ed25519.Sign would panic on it.
		return nil, errors.New("wire: signing key must be a 64-byte Ed25519 private key")
	}
	aead, err := bodyAEAD(scopeKey)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(&cs.Header); err != nil {
		return nil, err
	}
	if len(cs.Changes) > maxChanges {
		return nil, fail(ErrTooLarge, "more than 100000 changes")
	}
	for i := range cs.Changes {
		if err := validateChange(&cs.Changes[i]); err != nil {
			return nil, inChange(i, err)
		}
	}
	// Sized before it is built: 100,000 valid changes could ask for 100 GB.
	if bodySize(cs.Changes) > maxBody {
		return nil, fail(ErrTooLarge, "body is larger than 64 MiB")
	}
	compressed, err := deflate(EncodeBody(cs.Changes))
	if err != nil {
		return nil, err
	}
	hdr := appendHeader(nil, &cs.Header)
	size := len(hdr) + sealOverhead + len(compressed) + ed25519.SignatureSize
	if size > maxSealed {
		return nil, fail(ErrTooLarge, "sealed set would be larger than 32 MiB")
	}
	out := make([]byte, 0, size)
	out = append(out, hdr...)
	// hdr is a separate slice: AEAD additional data must not overlap dst.
	out = aead.Seal(out, nil, compressed, hdr)
	return append(out, ed25519.Sign(signer, out)...), nil
}

// ParseHeader reads the clear header of a sealed set and checks its framing
// (size, magic, version, field syntax, room for a ciphertext and a
// signature). It does not verify anything: that is VerifySignature.
func ParseHeader(b []byte) (Header, error) {
	h, _, err := parseFrame(b)
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

// VerifySignature checks the framing of b and its trailing Ed25519 signature
// against pub, the key enrolled for the header's device. The hub calls it on
// every push so that forged or altered sets are refused before storage.
func VerifySignature(b []byte, pub ed25519.PublicKey) error {
	_, _, err := verifyFrame(b, pub)
	return err
}

// verifyFrame is VerifySignature returning the header and its length.
func verifyFrame(b []byte, pub ed25519.PublicKey) (Header, int, error) {
	h, hdrLen, err := parseFrame(b)
	if err != nil {
		return Header{}, 0, err
	}
	if err := checkSignature(b, pub); err != nil {
		return Header{}, 0, err
	}
	return h, hdrLen, nil
}

// checkSignature checks the trailing Ed25519 signature of a framed message
// (a change-set or a snapshot part) against pub.
func checkSignature(b []byte, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		// ed25519.Verify would panic on it.
		return fail(ErrBadSignature, "public key is not 32 bytes")
	}
	n := len(b) - ed25519.SignatureSize
	if !ed25519.Verify(pub, b[:n], b[n:]) {
		return ErrBadSignature
	}
	return nil
}

// openBody asks keyFor for the scope key, decrypts the ciphertext between a
// verified message's header (its first hdrLen bytes, the additional data) and
// its signature under the key derived for purpose, and decompresses it. what
// names the message in an error.
func openBody(b []byte, hdrLen int, scope string, version uint32, purpose, what string, keyFor func(scope string, version uint32) ([]byte, error)) ([]byte, error) {
	if keyFor == nil {
		return nil, errors.New("wire: no scope key lookup given")
	}
	key, err := keyFor(scope, version)
	if err != nil {
		return nil, fmt.Errorf("wire: scope key for the %s: %w", what, err)
	}
	aead, err := aeadFor(key, purpose)
	if err != nil {
		return nil, err
	}
	compressed, err := aead.Open(nil, nil, b[hdrLen:len(b)-ed25519.SignatureSize], b[:hdrLen])
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return inflate(compressed)
}

// Open verifies b's signature with pub, asks keyFor for the scope key named
// by the header, decrypts, decompresses (at most 64 MiB) and decodes. An
// error from keyFor is returned wrapped; ErrUnauthenticated means the key is
// wrong or the set was altered by a signer without the scope key.
func Open(b []byte, pub ed25519.PublicKey, keyFor func(scope string, version uint32) ([]byte, error)) (*ChangeSet, error) {
	h, hdrLen, err := verifyFrame(b, pub)
	if err != nil {
		return nil, err
	}
	body, err := openBody(b, hdrLen, h.Scope, h.KeyVersion, keyPurpose, "change-set", keyFor)
	if err != nil {
		return nil, err
	}
	changes, err := DecodeBody(body)
	if err != nil {
		return nil, err
	}
	return &ChangeSet{Header: h, Changes: changes}, nil
}

// Compressors are pooled: flate.NewWriter allocates over 1 MB of tables,
// which would dwarf a typical change-set of a few kilobytes.
var deflaters sync.Pool // of *flate.Writer

func deflate(body []byte) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, len(body)/2+64))
	zw, _ := deflaters.Get().(*flate.Writer)
	if zw == nil {
		var err error
		// Most of a body is ids, names and field ciphertexts; ciphertexts do
		// not compress, so a higher level buys little and costs CPU on the
		// counter PC.
		if zw, err = flate.NewWriter(buf, flate.BestSpeed); err != nil {
			return nil, fmt.Errorf("wire: compress: %w", err)
		}
	} else {
		zw.Reset(buf)
	}
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("wire: compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("wire: compress: %w", err)
	}
	zw.Reset(io.Discard) // drop the reference to buf before pooling
	deflaters.Put(zw)
	return buf.Bytes(), nil
}

// Decompressors are pooled for the same reason as compressors, on a smaller
// scale (tens of kilobytes each).
var (
	inflaters   sync.Pool // of io.ReadCloser from flate.NewReader
	emptyReader = bytes.NewReader(nil)
)

// inflate decompresses a body, refusing more than maxBody bytes of output
// and anything after the end of the compressed stream.
func inflate(compressed []byte) ([]byte, error) {
	src := bytes.NewReader(compressed) // an io.ByteReader: flate reads no further than its stream
	zr, _ := inflaters.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(src)
	} else if err := zr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("wire: decompress: %w", err)
	}
	defer func() {
		zr.(flate.Resetter).Reset(emptyReader, nil) // drop the reference to compressed
		inflaters.Put(zr)
	}()
	// Memory follows the bytes actually produced, in steps, up to one byte
	// past the limit: a hostile stream cannot reserve memory it does not
	// fill, and a bomb costs at most about maxBody before it is refused.
	out := make([]byte, 0, min(2*len(compressed)+512, maxBody+1))
	for {
		if len(out) == cap(out) {
			if len(out) > maxBody {
				break
			}
			out = slices.Grow(out, min(2*cap(out), maxBody+1)-len(out))
		}
		n, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail(ErrMalformed, "compressed body is corrupt")
		}
	}
	if len(out) > maxBody {
		return nil, fail(ErrTooLarge, "decompressed body is larger than 64 MiB")
	}
	if src.Len() != 0 {
		return nil, fail(ErrMalformed, "data after the compressed body")
	}
	return out, nil
}
