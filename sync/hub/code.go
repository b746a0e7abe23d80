package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"spoke/protocol"
)

// NewTokenSecret returns a fresh token id and secret, and the hash the hub
// stores.
func NewTokenSecret() (id string, secret, hash []byte) {
	idb := make([]byte, 16)
	secret = make([]byte, protocol.TokenSecretSize)
	rand.Read(idb)
	rand.Read(secret)
	return hex.EncodeToString(idb), secret, HashTokenSecret(secret)
}

// HashTokenSecret is how token secrets are stored: SHA-256 is enough, since
// the secret is 256 random bits, not a password.
func HashTokenSecret(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}
