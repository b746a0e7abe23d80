package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"

	"spoke/crypto/seal"
)

// A recovery code is 160 random bits written as 32 Crockford base-32 characters in groups of
// four. With that much entropy a slow KDF adds nothing, so HKDF stretches it; what protects a
// backup is that the code exists only on the printed emergency kit.

const recoveryBytes = 20

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ErrBadRecoveryCode means the text is not a well-formed recovery code (typo, wrong length).
var ErrBadRecoveryCode = errors.New("that is not a valid recovery code (32 letters and digits in groups of four)")

// NewRecoveryCode returns a fresh code, formatted for printing.
func NewRecoveryCode() string {
	b := make([]byte, recoveryBytes)
	if _, err := rand.Read(b); err != nil {
		panic("keys: no randomness: " + err.Error())
	}
	s := crockford.EncodeToString(b)
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, "-")
}

// parseRecoveryCode accepts what a person types back: any case, spaces or dashes, and the
// Crockford look-alikes (O for 0, I and L for 1).
func parseRecoveryCode(code string) ([]byte, error) {
	r := strings.NewReplacer("-", "", " ", "", "\t", "", "\n", "", "\r", "",
		"O", "0", "I", "1", "L", "1", "U", "V")
	s := r.Replace(strings.ToUpper(code))
	if len(s) != 32 {
		return nil, ErrBadRecoveryCode
	}
	b, err := crockford.DecodeString(s)
	if err != nil || len(b) != recoveryBytes {
		return nil, ErrBadRecoveryCode
	}
	return b, nil
}

func recoveryKEK(code string, dbID string) ([]byte, error) {
	raw, err := parseRecoveryCode(code)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(raw)
	return hkdf.Key(sha256.New, raw, []byte(dbID), "spoke/recovery/v1", Size)
}

// WrapWithRecoveryCode wraps mk under the recovery code, bound to the database id.
func WrapWithRecoveryCode(mk []byte, code, dbID string) ([]byte, error) {
	kek, err := recoveryKEK(code, dbID)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(kek)
	return Wrap(kek, mk, seal.Label("recovery", dbID))
}

// UnwrapWithRecoveryCode reverses WrapWithRecoveryCode; a wrong code gives ErrWrongPassphrase.
func UnwrapWithRecoveryCode(blob []byte, code, dbID string) ([]byte, error) {
	kek, err := recoveryKEK(code, dbID)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(kek)
	mk, err := Unwrap(kek, blob, seal.Label("recovery", dbID))
	if errors.Is(err, seal.ErrUnauthenticated) {
		return nil, ErrWrongPassphrase
	}
	return mk, err
}

// RecoverySigningKey derives the offline owner key from a recovery code: an Ed25519 key that
// the roster's genesis names as an owner, so a new machine holding only the emergency kit can
// sign roster entries (add itself, revoke a stolen owner device). It is not bound to the
// database id: a new machine that has not restored anything must be able to derive it.
func RecoverySigningKey(code string) (ed25519.PrivateKey, error) {
	raw, err := parseRecoveryCode(code)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(raw)
	seed, err := hkdf.Key(sha256.New, raw, nil, "spoke/recovery-owner-key/v1", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}
