package hub

import (
	"errors"
	"fmt"
	"time"

	"spoke/protocol"
)

// Limits on what the hub accepts from a device. They keep rows small and
// logs readable; none of these values is personal.
const (
	maxScopes    = 64
	maxLabelLen  = 512
	maxKeyLen    = 4096
	maxHeadLen   = 128
	maxSealedEnv = 64 << 10
)

var errInvalid = errors.New("invalid")

// validateGrant checks a role and its scopes, as given for a token.
func validateGrant(role protocol.Role, scopes []string) error {
	switch role {
	case protocol.RoleOwner:
		if len(scopes) != 0 {
			return fmt.Errorf("scopes: an owner device has every scope: %w", errInvalid)
		}
	case protocol.RoleShop:
		if len(scopes) == 0 || len(scopes) > maxScopes {
			return fmt.Errorf("scopes: a shop device needs 1 to %d shop scopes: %w", maxScopes, errInvalid)
		}
		seen := map[string]bool{}
		for _, s := range scopes {
			if !protocol.ValidID(s) || s == protocol.OrgScope || seen[s] {
				// "org" is written by owner devices only; shops read it anyway.
				return fmt.Errorf("scopes: each must be a distinct shop scope id: %w", errInvalid)
			}
			seen[s] = true
		}
	default:
		return fmt.Errorf("role: must be %q or %q: %w", protocol.RoleOwner, protocol.RoleShop, errInvalid)
	}
	return nil
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
