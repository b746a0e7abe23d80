package hub

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"spoke/protocol"
)

// The storage rules of one-click unsubscribe (see unsubscribe.go), written once for every
// backend like those in rules.go. Backends keep a hash as its 32 bytes.

// DefaultMaxUnsubscribeHashes is how many unsubscribe hashes the hub keeps per scope: a
// shop mailing ten thousand customers about five purposes uses 50,000.
const DefaultMaxUnsubscribeHashes = 1_000_000

var errBadHash = errors.New("unsubscribe hash: want 64 lower-case hex characters")

// UnsubscribeHashBytes decodes a protocol.UnsubscribeHash value; ok = false when it is not
// one.
func UnsubscribeHashBytes(h string) (b []byte, ok bool) {
	if !protocol.ValidUnsubscribeHash(h) {
		return nil, false
	}
	b, err := hex.DecodeString(h)
	return b, err == nil
}

// UnsubscribeTx is what a storage gives RegisterUnsubscribeRule inside its transaction (under
// a lock that serialises registrations).
type UnsubscribeTx interface {
	// Registered returns the scope of each of hashes that is registered, keyed by
	// string(hash).
	Registered(hashes [][]byte) (map[string]string, error)
	// Count returns how many hashes scope holds.
	Count(scope string) (int64, error)
	// Insert registers hashes, none of them registered yet, for scope at at.
	Insert(scope string, hashes [][]byte, at time.Time) error
}

// RegisterUnsubscribeRule is Storage.RegisterUnsubscribeHashes's rule: every hash well formed,
// 1 to protocol.MaxUnsubscribeHashes of them; hashes already registered for scope are skipped;
// one registered for another scope refuses everything (ErrConflict); the scope never holds
// more than maxPerScope (ErrFull).
func RegisterUnsubscribeRule(tx UnsubscribeTx, scope string, hashes []string, maxPerScope int64, at time.Time) (int, error) {
	if !protocol.ValidID(scope) {
		return 0, errors.New("unsubscribe hashes: scope is not an id")
	}
	if len(hashes) == 0 || len(hashes) > protocol.MaxUnsubscribeHashes {
		return 0, fmt.Errorf("unsubscribe hashes: 1 to %d per call", protocol.MaxUnsubscribeHashes)
	}
	seen := map[string]bool{}
	var bs [][]byte
	for _, h := range hashes {
		b, ok := UnsubscribeHashBytes(h)
		if !ok {
			return 0, errBadHash
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			bs = append(bs, b)
		}
	}
	have, err := tx.Registered(bs)
	if err != nil {
		return 0, err
	}
	fresh := bs[:0:0]
	for _, b := range bs {
		sc, ok := have[string(b)]
		if ok && sc != scope {
			return 0, ErrConflict
		}
		if !ok {
			fresh = append(fresh, b)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	n, err := tx.Count(scope)
	if err != nil {
		return 0, err
	}
	if n+int64(len(fresh)) > maxPerScope {
		return 0, ErrFull
	}
	if err := tx.Insert(scope, fresh, at); err != nil {
		return 0, err
	}
	return len(fresh), nil
}

// ClickTx is what a storage gives RecordUnsubscribeRule inside its transaction (under a lock
// that makes records commit in Seq order).
type ClickTx interface {
	// ScopeOf returns the scope a hash is registered for, found = false if none.
	ScopeOf(hash []byte) (scope string, found bool, err error)
	// InsertClick records the hash's click for scope at at unless it has one (then
	// inserted = false).
	InsertClick(hash []byte, scope string, at time.Time) (inserted bool, err error)
}

// RecordUnsubscribeRule is Storage.RecordUnsubscribe's rule: an unknown (or malformed) hash is
// ErrNotFound; the first click of a hash makes the record, later ones nothing.
func RecordUnsubscribeRule(tx ClickTx, hash string, at time.Time) (bool, error) {
	b, ok := UnsubscribeHashBytes(hash)
	if !ok {
		return false, ErrNotFound
	}
	scope, found, err := tx.ScopeOf(b)
	if err != nil {
		return false, err
	}
	if !found {
		return false, ErrNotFound
	}
	return tx.InsertClick(b, scope, at)
}

// UnsubscribesPage is how many clicks after seq after one read may return (at most
// protocol.MaxUnsubscribesLimit + 1: the server asks for one more than a page to tell
// whether more follow), or ok = false when it returns none.
func UnsubscribesPage(after int64, limit int) (int, bool) {
	if limit <= 0 || after < 0 {
		return 0, false
	}
	return min(limit, protocol.MaxUnsubscribesLimit+1), true
}

// UnsubscribeClickOf builds a click as the API carries it from a stored row.
func UnsubscribeClickOf(seq int64, hash []byte, at time.Time) protocol.UnsubscribeClick {
	return protocol.UnsubscribeClick{Seq: seq, Hash: hex.EncodeToString(hash), At: at}
}
