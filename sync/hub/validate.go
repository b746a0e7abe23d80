package hub

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Limits on what the hub accepts from a device. They keep rows small and
// logs readable; none of these values is personal.
const (
	maxIDLen     = 64
	maxScopes    = 64
	maxLabelLen  = 512
	maxKeyLen    = 4096
	maxHeadLen   = 128
	maxSealedEnv = 64 << 10
)

var errInvalid = errors.New("invalid")

// ValidID reports whether s can be a device id, token id or scope: 1 to 64
// characters of [A-Za-z0-9_-]. That is the character set of sync/wire's
// header strings, so every header the hub accepts can name a stored device.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidSeq reports whether seq fits the storage columns (signed 64-bit) and
// is not zero, which sync/wire never produces.
func ValidSeq(seq uint64) bool { return seq >= 1 && seq <= math.MaxInt64 }

// validateGrant checks a role and its scopes, as given for a token.
func validateGrant(role Role, scopes []string) error {
	switch role {
	case RoleOwner:
		if len(scopes) != 0 {
			return fmt.Errorf("scopes: an owner device has every scope: %w", errInvalid)
		}
	case RoleShop:
		if len(scopes) == 0 || len(scopes) > maxScopes {
			return fmt.Errorf("scopes: a shop device needs 1 to %d shop scopes: %w", maxScopes, errInvalid)
		}
		seen := map[string]bool{}
		for _, s := range scopes {
			if !ValidID(s) || s == OrgScope || seen[s] {
				// "org" is written by owner devices only; shops read it anyway.
				return fmt.Errorf("scopes: each must be a distinct shop scope id: %w", errInvalid)
			}
			seen[s] = true
		}
	default:
		return fmt.Errorf("role: must be %q or %q: %w", RoleOwner, RoleShop, errInvalid)
	}
	return nil
}

// checkpointContext separates checkpoint signatures from every other use of
// a device's Ed25519 key (change-sets start with "SPKCS").
const checkpointContext = "spoke/audit-checkpoint/v1\x00"

// CheckpointMessage is what a device signs for an audit checkpoint: a fixed
// context string, the device id (length-prefixed), the sequence number and
// the chain head. Spokes sign exactly these bytes; the hub verifies them.
func CheckpointMessage(device string, seq uint64, head []byte) []byte {
	m := make([]byte, 0, len(checkpointContext)+2+len(device)+8+len(head))
	m = append(m, checkpointContext...)
	m = binary.BigEndian.AppendUint16(m, uint16(len(device)))
	m = append(m, device...)
	m = binary.BigEndian.AppendUint64(m, seq)
	return append(m, head...)
}

// SignCheckpoint returns a checkpoint signed with the device's key.
func SignCheckpoint(device string, seq uint64, head []byte, key ed25519.PrivateKey) Checkpoint {
	return Checkpoint{
		Device:    device,
		Seq:       seq,
		Head:      append([]byte(nil), head...),
		Signature: ed25519.Sign(key, CheckpointMessage(device, seq, head)),
	}
}

// VerifyCheckpoint checks a checkpoint's signature with the device's key.
func VerifyCheckpoint(c Checkpoint, pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(c.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(pub, CheckpointMessage(c.Device, c.Seq, c.Head), c.Signature)
}

// Millis returns t as Unix milliseconds for backends that store integers,
// with the zero time as 0 so "never" survives a round trip.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis is the inverse of Millis, in UTC.
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
