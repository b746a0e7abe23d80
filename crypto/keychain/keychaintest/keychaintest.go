// Package keychaintest is an in-memory stand-in for the OS keychain, for tests of one unit
// that must not touch the machine's real keychain (the real Secret Service has its own tests
// under the keychain build tag). Imported by tests only.
package keychaintest

import (
	"context"
	"errors"
	"sync"

	"spoke/crypto/keychain"
)

// Mem is a keychain held in memory. Down makes it answer like a machine without a usable
// keychain (no bus, no provider).
type Mem struct {
	mu   sync.Mutex
	m    map[string][]byte
	Down bool
}

// New returns an empty keychain.
func New() *Mem { return &Mem{m: map[string][]byte{}} }

// Store keeps a copy of v under account a.
func (k *Mem) Store(_ context.Context, a string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Down {
		return &keychain.BackendError{Op: "store", Err: errors.New("no bus")}
	}
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	k.m[a] = append([]byte(nil), v...)
	return nil
}

// Load returns a copy of what account a holds, or keychain.ErrNotFound.
func (k *Mem) Load(_ context.Context, a string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Down {
		return nil, &keychain.BackendError{Op: "load", Err: errors.New("no bus")}
	}
	v, ok := k.m[a]
	if !ok {
		return nil, keychain.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

// Delete removes account a.
func (k *Mem) Delete(_ context.Context, a string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, a)
	return nil
}

// Len is the number of accounts held.
func (k *Mem) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
