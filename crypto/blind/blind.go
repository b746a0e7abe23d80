// Package blind computes blind indexes: keyed HMAC-SHA-256 digests of normalised values
// (e-mail, phone, frame serial), truncated to 16 bytes, so the store can find exact matches and
// duplicates without holding the plaintext. Normalising is the caller's job (store/contact);
// this package only keys and hashes. Each field gets its own HKDF-derived key, so an e-mail
// index cannot be compared with a phone index, and each shop's scope key gives its own keys.
package blind

import (
	"crypto/hmac"
	"crypto/sha256"

	"spoke/crypto/keys"
)

// Size is the stored length of a blind index. 128 bits keeps accidental collisions out of
// reach for any shop while giving away less than a full digest.
const Size = 16

// Key is a per-field blind-index key derived from a scope key.
type Key []byte

// DeriveKey derives the blind-index key for field (e.g. "email") from a scope key.
func DeriveKey(scopeKey []byte, field string) Key {
	return Key(keys.Derive(scopeKey, "spoke/blind-index/v1/"+field))
}

// Sum returns the blind index of an already normalised value.
func (k Key) Sum(normalised string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(normalised))
	return m.Sum(nil)[:Size]
}
