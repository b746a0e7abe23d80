package protocol

import (
	"math"
	"time"
)

// Role is what an enrolled device may do.
type Role string

const (
	// RoleOwner is the owner's device: it reads and writes every scope,
	// creates enrollment tokens, lists and revokes devices.
	RoleOwner Role = "owner"
	// RoleShop is a shop device: it writes only its own scopes and reads
	// them plus the org-wide scope.
	RoleShop Role = "shop"
)

// Status is a device's standing at the hub.
type Status string

const (
	// StatusActive devices may push and pull.
	StatusActive Status = "active"
	// StatusRevoked devices are refused from the moment of revocation on.
	StatusRevoked Status = "revoked"
)

// OrgScope is the scope of org-wide data (users, roles). Every device may
// read it; only owner devices may write it. It matches store.OrgScope.
const OrgScope = "org"

// TokenRecipient is the envelope recipient that stands for the device that
// will redeem token id. Storage moves such envelopes to the device id when
// the token is redeemed. The ':' cannot occur in a device id.
func TokenRecipient(tokenID string) string { return "token:" + tokenID }

// Lifetimes of an enrollment code (POST /v1/tokens, TokenRequest.TTLSeconds).
const (
	// DefaultTokenTTL is how long a code stays valid when the request names no TTL.
	DefaultTokenTTL = 24 * time.Hour
	// MaxTokenTTL is the longest an enrollment code stays valid. A spoke
	// never keeps a code's one-time secret longer.
	MaxTokenTTL = 30 * 24 * time.Hour
)

// Reject reasons: the codes of refusals (ErrorResponse.Code) and the values of the reason
// label of the hub's spoke_hub_rejects_total.
// Every refusal the hub makes is counted under exactly one of them.
const (
	RejectBadSignature   = "bad_signature"   // the signature does not verify with the device's key
	RejectUnknownDevice  = "unknown_device"  // a CA-signed certificate whose device or serial is not enrolled
	RejectRevoked        = "revoked"         // the device was revoked
	RejectDeviceMismatch = "device_mismatch" // the header names another device than the certificate
	RejectReplay         = "replay"          // a used (device, seq) with other bytes
	RejectScope          = "scope"           // a scope the device may not write, or an owner-only call
	RejectMalformed      = "malformed"       // bytes or JSON that do not parse
	RejectTooLarge       = "too_large"       // a body over the size limit
	RejectNoCertificate  = "no_certificate"  // an authenticated endpoint called without a client certificate
	RejectBadToken       = "bad_token"       // an enrollment token that is unknown, expired or used
	RejectTLS            = "tls_handshake"   // TLS below 1.3, plain HTTP, or a certificate from another CA
	RejectRateLimited    = "rate_limited"    // a device pushing faster than its rate (429)
	RejectQuota          = "quota"           // a push that would take a device over its stored-bytes quota (507)
)

// maxIDLen is the longest device id, token id or scope.
const maxIDLen = 64

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
