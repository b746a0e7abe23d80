//go:build keychain

// These tests use the real OS keychain and are built only with -tags keychain,
// which also leaves out the mock tests (keyring.MockInit is permanent).
// On Linux run them inside a throwaway Secret Service, see the package doc.

package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/exec"
	"testing"
	"time"
)

func realCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// uniqueAccount keeps runs from colliding with each other or with a real
// database id in a developer's own keychain.
func uniqueAccount(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	account := "spoke-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = Delete(ctx, account)
	})
	return account
}

func TestRealAvailable(t *testing.T) {
	if !Available(realCtx(t)) {
		t.Fatal("Available() = false; -tags keychain needs a running, unlocked keychain")
	}
}

func TestRealRoundTrip(t *testing.T) {
	ctx := realCtx(t)
	account := uniqueAccount(t)

	if _, err := Load(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load before Store: %v; want ErrNotFound", err)
	}

	for i := range 2 { // the second Store must replace, not add, an item
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			t.Fatal(err)
		}
		if err := Store(ctx, account, key); err != nil {
			t.Fatalf("Store #%d: %v", i+1, err)
		}
		got, err := Load(ctx, account)
		if err != nil {
			t.Fatalf("Load #%d: %v", i+1, err)
		}
		if !bytes.Equal(got, key) {
			t.Fatalf("Load #%d = %x, want %x", i+1, got, key)
		}
	}

	if err := Delete(ctx, account); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Load(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete: %v; want ErrNotFound", err)
	}
	if err := Delete(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v; want ErrNotFound", err)
	}
}

func TestRealBinarySecret(t *testing.T) {
	ctx := realCtx(t)
	account := uniqueAccount(t)
	secret := make([]byte, 256)
	for i := range secret {
		secret[i] = byte(i)
	}
	if err := Store(ctx, account, secret); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, account)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Load = %x, %v", got, err)
	}
}

// TestRealLockedCollection runs a child against its own throwaway GNOME
// Keyring whose login collection is locked and which has no display for an
// unlock prompt: Load must fail as ErrNoKeychain, or at worst at the child's
// deadline, never hang. It leaves the shared test keyring untouched.
func TestRealLockedCollection(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "dbus-send"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", home)
	// Keep any real prompter off the developer's screen.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	script := `echo -n locked-test-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null &&
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/aliases/default >/dev/null &&
exec "$0"`
	const timeout = 5 * time.Second
	rep := runChildLoad(t, timeout, "dbus-run-session", "--", "sh", "-c", script)
	switch {
	case rep.IsNoKeychain:
		if rep.Message != ErrNoKeychain.Error() {
			t.Errorf("message %q; want the plain ErrNoKeychain message", rep.Message)
		}
	case rep.IsDeadline:
		t.Logf("locked keychain blocked until the deadline (a prompter is installed)")
	default:
		t.Fatalf("Load on a locked keychain: %q; want ErrNoKeychain or a deadline", rep.Message)
	}
	if rep.Elapsed > timeout+2*time.Second {
		t.Errorf("Load took %v, past its %v deadline", rep.Elapsed, timeout)
	}
	if rep.Available {
		t.Error("Available() = true for a locked keychain")
	}
}
