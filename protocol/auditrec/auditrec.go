// Package auditrec owns the wire form of one audit entry as sync carries it between devices
// (the blob of an "audit"/"entry" change): its fields, their encoding and the shape checks a
// receiver makes before the store re-checks the entry's place in the chain.
//
// It never checks the chain itself or any MAC (the store does, under the org audit key), and
// imports only the standard library, so the store and sync can both use it without either
// importing the other.
package auditrec

import (
	"encoding/json"
	"errors"
)

// Entry is one audit entry as it travels between devices: everything its MAC covers, so a
// receiver re-checks the chain, and the wrapped key of its break-glass reason, outside the MAC
// (the reason's bytes are inside it), so the reason can expire while the chain stays whole.
type Entry struct {
	Seq     int64  `json:"seq"`
	At      int64  `json:"at"`
	User    string `json:"user"`
	Device  string `json:"device"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	Fields  string `json:"fields"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
	Reason  []byte `json:"reason,omitempty"`
	MAC     []byte `json:"mac"`
	// ReasonKey is the key the reason is sealed under, wrapped under the org key (the store
	// owns its format). Absent for a reason sealed the older way (under the org key itself),
	// for an expired one, and in every entry made before it existed: the encoding of an entry
	// without it is byte for byte what it was.
	ReasonKey []byte `json:"reason_key,omitempty"`
	// Role, Shop and Grant are the user's roles, shop and the grant used, when written (an
	// entry from before they were recorded has none; then its encoding is as it was).
	Role  string `json:"role,omitempty"`
	Shop  string `json:"shop,omitempty"`
	Grant string `json:"grant,omitempty"`
}

// MaxSize is the largest encoded entry Decode accepts.
const MaxSize = 64 << 10

// MACSize is the length of an entry's chain link (HMAC-SHA-256).
const MACSize = 32

// Errors of Decode. Their texts are what a receiving spoke records as the reason it refused
// a set, so they name no value.
var (
	ErrTooLarge   = errors.New("audit entry too large")
	ErrMalformed  = errors.New("audit entry does not parse")
	ErrIncomplete = errors.New("audit entry is incomplete")
)

// Encode returns the wire form of e (JSON, one entry).
func Encode(e Entry) []byte {
	b, _ := json.Marshal(e) // a struct of strings, integers and byte slices always marshals
	return b
}

// Decode parses an entry made by Encode; it checks shapes (a sequence number, a whole MAC, a
// device and an action), not the chain. Trailing bytes after the entry are ErrMalformed.
func Decode(b []byte) (Entry, error) {
	var e Entry
	if len(b) > MaxSize {
		return Entry{}, ErrTooLarge
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return Entry{}, ErrMalformed
	}
	if e.Seq < 1 || len(e.MAC) != MACSize || e.Device == "" || e.Action == "" {
		return Entry{}, ErrIncomplete
	}
	if len(e.Reason) == 0 {
		e.Reason = nil // "reason":"" and no reason are the same entry (the MAC covers the string)
	}
	if len(e.ReasonKey) == 0 {
		e.ReasonKey = nil
	} else if e.Reason == nil {
		return Entry{}, ErrIncomplete // a key for no reason
	}
	return e, nil
}
