// Package seal encrypts and authenticates small values (database fields, wrapped keys) with
// AES-256-GCM. It owns the sealed byte format and nothing else: it never chooses keys, never
// logs, and its errors never carry plaintext or key material.
//
// A sealed value is
//
//	version (1 byte, 0x01) || nonce (12 bytes, random) || ciphertext || tag (16 bytes)
//
// The version byte is authenticated together with the caller's additional data, so a value
// cannot be moved to another row, column or key version (see FieldAD) without Open failing.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the format version written in front of every sealed value.
const Version byte = 1

// KeySize is the only key size accepted: AES-256.
const KeySize = 32

const (
	nonceSize = 12
	tagSize   = 16
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = 1 + nonceSize + tagSize
)

var (
	// ErrUnauthenticated means the value was altered, moved, or opened with the wrong key.
	ErrUnauthenticated = errors.New("sealed value failed authentication (altered, moved or wrong key)")
	// ErrMalformed means the bytes are not a sealed value of a known version.
	ErrMalformed = errors.New("sealed value is malformed")
	// ErrKeySize means a key is not 32 bytes.
	ErrKeySize = errors.New("seal: key must be 32 bytes")
)

// NewKey returns a fresh random 256-bit key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics itself instead).
		panic("seal: no randomness: " + err.Error())
	}
	return k
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// fullAD prefixes the caller's additional data with the version byte so it is authenticated.
func fullAD(ad []byte) []byte {
	out := make([]byte, 0, 1+len(ad))
	out = append(out, Version)
	return append(out, ad...)
}

// Seal encrypts plaintext under key, binding ad (which is not stored).
func Seal(key, plaintext, ad []byte) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = Version
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return g.Seal(out, out[1:1+nonceSize], plaintext, fullAD(ad)), nil
}

// Open authenticates and decrypts a value made by Seal with the same key and ad.
// It returns ErrMalformed or ErrUnauthenticated, never partial plaintext.
func Open(key, sealed, ad []byte) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < Overhead {
		return nil, ErrMalformed
	}
	if sealed[0] != Version {
		return nil, ErrMalformed
	}
	pt, err := g.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], fullAD(ad))
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return pt, nil
}

// FieldAD is the additional data for a database field: table|row id|column|key version,
// length-prefixed so that no two different tuples encode to the same bytes.
func FieldAD(table, rowID, column string, keyVersion uint32) []byte {
	return Label("field", table, rowID, column, keyVersionString(keyVersion))
}

func keyVersionString(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return string(b[:])
}

// Label encodes parts unambiguously (each prefixed by its 4-byte length); it is used for
// additional data and key-derivation labels.
func Label(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// Wipe overwrites b with zeros. Go cannot promise no other copy exists; this shortens the
// life of the copies we control.
func Wipe(b []byte) {
	clear(b)
}
