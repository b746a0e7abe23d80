// Package device holds a device's long-term identity: an Ed25519 key that signs its
// change-sets and audit checkpoints, and an HPKE key (MLKEM768X25519, hybrid post-quantum:
// key envelopes sit at the hub for years) that other devices seal scope keys to. It also seals
// enrollment envelopes under the one-time secret inside an enrollment code. It never stores
// anything; the store keeps the serialized identity wrapped under the master key.
package device

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// Identity is a device's private keys.
type Identity struct {
	Signing ed25519.PrivateKey
	KEM     hpke.PrivateKey
}

var (
	kem  = hpke.MLKEM768X25519()
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// ErrBadIdentity means serialized identity bytes do not parse.
var ErrBadIdentity = errors.New("device identity is damaged")

// ErrEnvelope means an envelope does not open: not for this device, altered, or wrong secret.
var ErrEnvelope = errors.New("key envelope does not open (not for this device, or altered)")

// New makes a fresh identity.
func New() (*Identity, error) {
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, err
	}
	return &Identity{Signing: sk, KEM: k}, nil
}

// SigningPublic returns the Ed25519 public key.
func (id *Identity) SigningPublic() ed25519.PublicKey { return id.Signing.Public().(ed25519.PublicKey) }

// KEMPublic returns the serialized HPKE public key.
func (id *Identity) KEMPublic() []byte { return id.KEM.PublicKey().Bytes() }

// Marshal serializes the private keys (wrap them before storing).
func (id *Identity) Marshal() ([]byte, error) {
	kb, err := id.KEM.Bytes()
	if err != nil {
		return nil, err
	}
	out := append([]byte{1}, id.Signing.Seed()...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(kb)))
	return append(out, kb...), nil
}

// Unmarshal parses what Marshal made.
func Unmarshal(b []byte) (*Identity, error) {
	if len(b) < 1+ed25519.SeedSize+2 || b[0] != 1 {
		return nil, ErrBadIdentity
	}
	seed := b[1 : 1+ed25519.SeedSize]
	n := int(binary.BigEndian.Uint16(b[1+ed25519.SeedSize:]))
	rest := b[1+ed25519.SeedSize+2:]
	if len(rest) != n {
		return nil, ErrBadIdentity
	}
	k, err := kem.NewPrivateKey(rest)
	if err != nil {
		return nil, ErrBadIdentity
	}
	return &Identity{Signing: ed25519.NewKeyFromSeed(seed), KEM: k}, nil
}

// SealTo seals plaintext to a device's HPKE public key; info binds the purpose and ids.
func SealTo(kemPublic, info, plaintext []byte) ([]byte, error) {
	pk, err := kem.NewPublicKey(kemPublic)
	if err != nil {
		return nil, fmt.Errorf("device public key: %w", err)
	}
	return hpke.Seal(pk, kdf, aead, info, plaintext)
}

// Open opens an envelope sealed to this identity.
func (id *Identity) Open(info, ciphertext []byte) ([]byte, error) {
	pt, err := hpke.Open(id.KEM, kdf, aead, info, ciphertext)
	if err != nil {
		return nil, ErrEnvelope
	}
	return pt, nil
}

func secretKey(secret []byte) []byte { return keys.Derive(secret, "spoke/enrollment-envelope/v1") }

// SealWithSecret seals plaintext under a key derived from an enrollment code's one-time
// secret, which the hub never sees.
func SealWithSecret(secret, info, plaintext []byte) ([]byte, error) {
	if len(secret) < 16 {
		return nil, errors.New("enrollment secret too short")
	}
	return seal.Seal(secretKey(secret), plaintext, info)
}

// OpenWithSecret opens what SealWithSecret made.
func OpenWithSecret(secret, info, ciphertext []byte) ([]byte, error) {
	if len(secret) < 16 {
		return nil, ErrEnvelope
	}
	pt, err := seal.Open(secretKey(secret), ciphertext, info)
	if err != nil {
		return nil, ErrEnvelope
	}
	return pt, nil
}
