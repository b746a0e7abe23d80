package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// One-click unsubscribe (RFC 8058) through the hub. A shop device derives an opaque token per
// (customer, purpose): 32 random-looking bytes, base64url without padding (43 characters). It
// puts https://HUB/u/TOKEN in a mail's List-Unsubscribe header and registers only
// UnsubscribeHash(token) with the hub, under the shop's scope:
//
//	PUT  /v1/unsubscribe-tokens      UnsubscribeTokensRequest (a device that writes the scope) → 204;
//	                                 409 conflict when a hash is registered under another scope,
//	                                 507 quota when the scope would hold more than the hub keeps
//	GET  /v1/unsubscribes?scope=S&after=SEQ&limit=N
//	                                 → UnsubscribesResponse (a device that reads the scope)
//	GET  /u/{token}                  → a small HTML page with one button (no client certificate);
//	                                 a GET never unsubscribes: mail scanners fetch links
//	POST /u/{token}                  body List-Unsubscribe=One-Click (form-urlencoded or multipart)
//	                                 → 200 and a confirmation page; the first POST for a hash records
//	                                 one click, later ones nothing new; 404 for an unknown token
//
// The hub keeps the hashes and, per hash, the time of its first click: never the token, an
// address or a customer id. The shop's devices list the clicks and turn each into a consent
// withdrawal.
const (
	PathUnsubscribeTokens = "/v1/unsubscribe-tokens"
	PathUnsubscribes      = "/v1/unsubscribes"
	// PathUnsubscribe is the public prefix: PathUnsubscribe + token is the link in a mail.
	PathUnsubscribe = "/u/"
)

const (
	// UnsubscribeTokenLen is the length of a token: 32 bytes in base64url without padding.
	UnsubscribeTokenLen = 43
	// UnsubscribeHashLen is the length of a hash: SHA-256 in lower-case hex.
	UnsubscribeHashLen = 64
	// MaxUnsubscribeHashes is how many hashes one UnsubscribeTokensRequest may carry.
	MaxUnsubscribeHashes = 1000
	// MaxUnsubscribesLimit caps one page of clicks (GET /v1/unsubscribes limit=).
	MaxUnsubscribesLimit = 1000
)

// UnsubscribeTokensRequest registers hashes of unsubscribe tokens for a scope. Registering a
// hash again for the same scope is a no-op.
type UnsubscribeTokensRequest struct {
	Scope string `json:"scope"`
	// Hashes are UnsubscribeHash(token) values: lower-case hex SHA-256, 64 characters each,
	// 1 to MaxUnsubscribeHashes of them.
	Hashes []string `json:"hashes"`
}

// UnsubscribeClick is the first one-click unsubscribe of a hash: Seq is the hub's increasing
// number for it (pass the last one seen as after=), At when the hub received it.
type UnsubscribeClick struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// UnsubscribesResponse lists a scope's clicks in Seq order; More says another page follows.
type UnsubscribesResponse struct {
	Clicks []UnsubscribeClick `json:"clicks"`
	More   bool               `json:"more"`
}

// UnsubscribeHash is what the hub keeps of a token: the hex SHA-256 of its bytes.
func UnsubscribeHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ValidUnsubscribeToken reports whether token is exactly 43 characters of the base64url
// alphabet (A-Z a-z 0-9 - _), without padding.
func ValidUnsubscribeToken(token string) bool {
	if len(token) != UnsubscribeTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidUnsubscribeHash reports whether h is a lower-case hex SHA-256 (64 characters).
func ValidUnsubscribeHash(h string) bool {
	if len(h) != UnsubscribeHashLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
