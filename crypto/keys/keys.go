// Package keys holds Spoke's key hierarchy operations: wrapping the master key under a
// passphrase (Argon2id) or a recovery code, wrapping scope and customer data keys under their
// parent, and deriving purpose-bound sub-keys (HKDF-SHA-256). It composes crypto/seal and
// golang.org/x/crypto; it never stores anything, never logs, and never returns key material in
// an error.
//
// The hierarchy (see DESIGN.md):
//
//	master key (MK, per database; OS keychain, or passphrase-wrapped; also recovery-code-wrapped)
//	└── scope keys (one per shop, one "org"), versioned, wrapped by MK
//	    ├── customer data keys (DEK, one per customer), wrapped by the shop's scope key
//	    │   └── sealed fields of that customer, their bikes, work orders and sales
//	    └── derived: blind-index keys, audit-chain key, user-record MAC key
package keys

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"

	"spoke/crypto/seal"
)

// Size is the size of every symmetric key in the hierarchy.
const Size = seal.KeySize

var (
	// ErrWrongPassphrase means a passphrase- or recovery-wrapped key did not open.
	ErrWrongPassphrase = errors.New("the passphrase or recovery code is wrong")
	// ErrBadWrap means a wrapped key blob is damaged or of an unknown format.
	ErrBadWrap = errors.New("wrapped key is damaged or of an unknown format")
)

// New returns a fresh random 256-bit key.
func New() []byte { return seal.NewKey() }

// Wrap seals key under kek, bound to label (e.g. seal.Label("scope", "shop-id", "3")), so a
// wrapped key cannot be swapped for another one's.
func Wrap(kek, key, label []byte) ([]byte, error) {
	return seal.Seal(kek, key, append([]byte("spoke/wrap/v1"), label...))
}

// Unwrap opens a key made by Wrap with the same kek and label.
func Unwrap(kek, wrapped, label []byte) ([]byte, error) {
	k, err := seal.Open(kek, wrapped, append([]byte("spoke/wrap/v1"), label...))
	if err != nil {
		return nil, err
	}
	if len(k) != Size {
		seal.Wipe(k)
		return nil, ErrBadWrap
	}
	return k, nil
}

// Derive returns a 32-byte sub-key of key for one purpose (HKDF-SHA-256, info = purpose).
// Purposes are fixed strings in the code, e.g. "spoke/audit-chain/v1".
func Derive(key []byte, purpose string) []byte {
	out, err := hkdf.Key(sha256.New, key, nil, purpose, Size)
	if err != nil {
		panic("keys: hkdf: " + err.Error()) // only for absurd lengths, never at 32 bytes
	}
	return out
}

// KDFParams are Argon2id parameters; they are stored with each passphrase-wrapped key so they
// can be raised later without breaking old databases.
type KDFParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultKDF follows OWASP's Argon2id guidance (about 0.2 s on the shop machines we measured).
var DefaultKDF = KDFParams{Time: 3, Memory: 64 * 1024, Threads: 2}

const (
	pwMagic   = "SPKPW1"
	saltSize  = 16
	maxMemKiB = 4 * 1024 * 1024
)

// WrapWithPassphrase wraps mk under a key stretched from passphrase with Argon2id.
// Blob: magic || time u32 || memory u32 || threads u8 || salt 16 || sealed(mk).
func WrapWithPassphrase(mk []byte, passphrase string, p KDFParams) ([]byte, error) {
	if passphrase == "" {
		return nil, errors.New("the passphrase is empty")
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	hdr := []byte(pwMagic)
	hdr = binary.BigEndian.AppendUint32(hdr, p.Time)
	hdr = binary.BigEndian.AppendUint32(hdr, p.Memory)
	hdr = append(hdr, p.Threads)
	hdr = append(hdr, salt...)
	kek := argon2.IDKey([]byte(passphrase), salt, p.Time, p.Memory, p.Threads, Size)
	defer seal.Wipe(kek)
	ct, err := seal.Seal(kek, mk, hdr)
	if err != nil {
		return nil, err
	}
	return append(hdr, ct...), nil
}

// UnwrapWithPassphrase reverses WrapWithPassphrase. A wrong passphrase gives ErrWrongPassphrase.
func UnwrapWithPassphrase(blob []byte, passphrase string) ([]byte, error) {
	hl := len(pwMagic) + 4 + 4 + 1 + saltSize
	if len(blob) < hl+seal.Overhead || string(blob[:len(pwMagic)]) != pwMagic {
		return nil, ErrBadWrap
	}
	o := len(pwMagic)
	p := KDFParams{
		Time:    binary.BigEndian.Uint32(blob[o:]),
		Memory:  binary.BigEndian.Uint32(blob[o+4:]),
		Threads: blob[o+8],
	}
	// Refuse absurd parameters from a tampered file rather than allocate gigabytes.
	if p.Time == 0 || p.Time > 64 || p.Memory < 8 || p.Memory > maxMemKiB || p.Threads == 0 {
		return nil, ErrBadWrap
	}
	salt := blob[o+9 : hl]
	kek := argon2.IDKey([]byte(passphrase), salt, p.Time, p.Memory, p.Threads, Size)
	defer seal.Wipe(kek)
	mk, err := seal.Open(kek, blob[hl:], blob[:hl])
	if errors.Is(err, seal.ErrUnauthenticated) {
		return nil, ErrWrongPassphrase
	}
	if err != nil || len(mk) != Size {
		return nil, ErrBadWrap
	}
	return mk, nil
}
