// Package keychain owns the hand-off of a database's master key to and from
// the operating system's keychain (macOS Keychain, Windows Credential
// Manager, or a freedesktop Secret Service such as GNOME Keyring on Linux),
// under service [Service] and one account per database id.
//
// It never generates, derives or caches keys, never falls back to a
// passphrase by itself (the caller decides that after [Available] or
// [ErrNoKeychain]), and never puts a secret into an error, a log line or a
// string it returns.
//
// Every call may block on an OS unlock dialog, so every call takes a context
// and returns ctx.Err() as soon as the context ends. The OS call itself cannot
// be interrupted: it keeps running in a background goroutine until the OS
// answers. Consequently a [Store] or [Delete] that returned a context error
// may still take effect later. At most one OS call runs at a time, so retries
// while a dialog is open queue behind it (bounded by their own contexts)
// instead of stacking dialogs and goroutines.
//
// Tests: `go test ./crypto/keychain/` needs no keychain; it uses go-keyring's
// in-memory mock, plus child processes that point the real Linux backend at a
// missing or provider-less D-Bus. To exercise a real Secret Service on Linux:
//
//	apt-get install -y --no-install-recommends gnome-keyring dbus
//	dbus-run-session -- sh -c 'echo -n test-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null && go test -tags keychain ./crypto/keychain/...'
//
// On first use --unlock creates $HOME/.local/share/keyrings/login.keyring
// with that password, so later runs must pass the same one (or a different
// HOME). The keychain build tag leaves out the mock tests, because keyring.MockInit
// replaces go-keyring's provider for the whole test binary and cannot be undone.
package keychain

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// Service is the keychain service name under which every Spoke database key
// is stored; the account is the database id.
const Service = "spoke"

// probeAccount is only ever read, never written, so probing leaves no trace
// in the user's keychain.
const probeAccount = "spoke-availability-probe"

// ErrNoKeychain means there is no usable OS keychain: no D-Bus, no Secret
// Service, a locked or refused collection, or an unsupported platform. Its
// message is meant to be shown to the user as is.
var ErrNoKeychain = errors.New("no system keychain is available (on Linux: a Secret Service such as GNOME Keyring must be running and unlocked); start Spoke with a passphrase instead (--passphrase-file FILE or SPOKE_PASSPHRASE)")

// ErrNotFound means the keychain works but holds no key for this database.
var ErrNotFound = errors.New("the system keychain holds no key for this database")

// ErrDamaged means the keychain holds an entry for this database that Spoke
// did not write or that was altered, so it cannot be the key.
var ErrDamaged = errors.New("keychain entry for this database is damaged")

// BackendError is returned (as error) for every keychain failure other than
// "not found". errors.Is(err, ErrNoKeychain) is true for it; its Error is
// exactly ErrNoKeychain's plain message so the UI can show it unchanged, and
// the backend's own error stays reachable through errors.As, errors.Is and
// Detail for logs. Backend errors come from the OS or D-Bus and do not carry
// the secret.
type BackendError struct {
	// Op is the keychain operation that failed: "store", "load", "delete" or "probe".
	Op string
	// Err is the error reported by go-keyring or the OS.
	Err error
}

// Error returns the user-facing message of ErrNoKeychain.
func (e *BackendError) Error() string { return ErrNoKeychain.Error() }

// Unwrap exposes both the ErrNoKeychain sentinel and the backend's cause.
func (e *BackendError) Unwrap() []error { return []error{ErrNoKeychain, e.Err} }

// Detail returns the technical cause, for logs and bug reports.
func (e *BackendError) Detail() string {
	return fmt.Sprintf("keychain %s: %v", e.Op, e.Err)
}

// backend is the slice of go-keyring this package uses. It is a variable so
// tests can simulate a call that blocks on an unlock dialog, which
// go-keyring's own mock cannot do.
var backend = struct {
	set func(service, user, password string) error
	get func(service, user string) (string, error)
	del func(service, user string) error
}{keyring.Set, keyring.Get, keyring.Delete}

// inflight admits one OS call at a time; see the package doc.
var inflight = make(chan struct{}, 1)

// Store saves secret as the key for account, replacing any previous one.
// The secret is stored base64-encoded because keychain items are strings.
func Store(ctx context.Context, account string, secret []byte) error {
	enc := base64.StdEncoding.EncodeToString(secret)
	set := backend.set
	_, err := call(ctx, "store", func() (string, error) {
		return "", set(Service, account, enc)
	})
	return err
}

// Load returns the key stored for account. It fails with an error matching
// ErrNotFound when the keychain works but has no entry, ErrNoKeychain when
// the keychain cannot be used, ErrDamaged when the entry is not valid
// base64, or ctx.Err() when ctx ends first.
func Load(ctx context.Context, account string) ([]byte, error) {
	get := backend.get
	enc, err := call(ctx, "load", func() (string, error) {
		return get(Service, account)
	})
	if err != nil {
		return nil, err
	}
	secret, decErr := base64.StdEncoding.Strict().DecodeString(enc)
	if decErr != nil {
		// decErr is deliberately dropped: a decoder error describes the
		// stored bytes, and those bytes are (almost) the secret.
		return nil, fmt.Errorf("keychain load %q: %w", account, ErrDamaged)
	}
	return secret, nil
}

// Delete removes the key stored for account. It fails with an error matching
// ErrNotFound when there is none.
func Delete(ctx context.Context, account string) error {
	del := backend.del
	_, err := call(ctx, "delete", func() (string, error) {
		return "", del(Service, account)
	})
	return err
}

// Available reports whether an OS keychain answers, by reading an account
// that is never written: "not found" proves a working keychain. It returns
// false when ctx ends first, so callers should bound it with a deadline.
func Available(ctx context.Context) bool {
	get := backend.get
	_, err := call(ctx, "probe", func() (string, error) {
		return get(Service, probeAccount)
	})
	return err == nil || errors.Is(err, ErrNotFound)
}

type result struct {
	val string
	err error
}

// call runs fn, one go-keyring call, in its own goroutine and waits for it
// or for ctx, translating go-keyring's errors into this package's.
func call(ctx context.Context, op string, fn func() (string, error)) (string, error) {
	// A context that has already ended must not start an OS call, which
	// could open a dialog nobody is waiting for.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case inflight <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	// Buffered so the goroutine can always finish and release inflight,
	// even when nobody is waiting for its answer any more.
	done := make(chan result, 1)
	go func() {
		defer func() { <-inflight }()
		var r result
		defer func() {
			// go-keyring's Secret Service code dereferences a nil D-Bus
			// signal if the bus closes while a prompt is open; that must
			// not take the whole application down.
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("keyring backend panicked: %v", p)}
			}
			done <- r
		}()
		r.val, r.err = fn()
	}()
	select {
	case r := <-done:
		return r.val, mapErr(op, r.err)
	case <-ctx.Done():
		// An answer that raced the deadline is still the truth about
		// whether a Store or Delete happened, so prefer it.
		select {
		case r := <-done:
			return r.val, mapErr(op, r.err)
		default:
			return "", ctx.Err()
		}
	}
}

func mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("keychain %s: %w", op, ErrNotFound)
	default:
		return &BackendError{Op: op, Err: err}
	}
}
