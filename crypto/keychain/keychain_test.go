//go:build !keychain

// These tests use go-keyring's in-memory mock. keyring.MockInit cannot be
// undone, so this file is left out of the real-keychain build (-tags keychain).

package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func useMock(t *testing.T) {
	t.Helper()
	keyring.MockInit()
}

// blockingGet replaces the backend's get with one that blocks like an
// unanswered unlock dialog, and unblocks it when the test ends so the
// lingering goroutine releases the in-flight slot for the next test.
func blockingGet(t *testing.T) (entered <-chan struct{}) {
	t.Helper()
	orig := backend.get
	release := make(chan struct{})
	in := make(chan struct{}, 16)
	backend.get = func(service, user string) (string, error) {
		in <- struct{}{}
		<-release
		return "", keyring.ErrNotFound
	}
	t.Cleanup(func() {
		backend.get = orig
		close(release)
	})
	return in
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	useMock(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		secret []byte
	}{
		{"master key", randomKey(t)},
		{"every byte value", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
		{"empty", []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := "db-" + tt.name
			if err := Store(ctx, account, tt.secret); err != nil {
				t.Fatalf("Store: %v", err)
			}
			got, err := Load(ctx, account)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !bytes.Equal(got, tt.secret) {
				t.Fatalf("Load = %x, want %x", got, tt.secret)
			}
		})
	}
}

func TestStoreReplaces(t *testing.T) {
	useMock(t)
	ctx := context.Background()
	first, second := randomKey(t), randomKey(t)
	if err := Store(ctx, "db-replace", first); err != nil {
		t.Fatal(err)
	}
	if err := Store(ctx, "db-replace", second); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, "db-replace")
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("Load = %x, %v; want %x", got, err, second)
	}
}

func TestNotFound(t *testing.T) {
	useMock(t)
	ctx := context.Background()

	_, err := Load(ctx, "db-never-stored")
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoKeychain) {
		t.Fatalf("Load of missing account: %v; want ErrNotFound only", err)
	}
	if err := Delete(ctx, "db-never-stored"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of missing account: %v; want ErrNotFound", err)
	}

	if err := Store(ctx, "db-delete", randomKey(t)); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ctx, "db-delete"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Load(ctx, "db-delete"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete: %v; want ErrNotFound", err)
	}
}

func TestDamagedEntry(t *testing.T) {
	useMock(t)
	tests := []struct{ name, stored string }{
		{"not base64", "s3cr3t-not-base64!"},
		{"unpadded", "c2VjcmV0"[:7]},
		{"url alphabet", "-_-_"},
		{"non-zero padding bits", "c2VjcmV1"[:6] + "=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := "db-damaged-" + tt.name
			if err := keyring.Set(Service, account, tt.stored); err != nil {
				t.Fatal(err)
			}
			got, err := Load(context.Background(), account)
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("Load = %q, %v; want ErrDamaged", got, err)
			}
			if got != nil {
				t.Errorf("Load returned %q alongside an error", got)
			}
			if strings.Contains(err.Error(), tt.stored) {
				t.Errorf("error %q leaks the stored value", err)
			}
		})
	}
}

func TestBackendFailureIsNoKeychain(t *testing.T) {
	cause := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	t.Cleanup(keyring.MockInit)
	ctx := context.Background()
	secret := []byte("do-not-print-me")

	errs := map[string]error{
		"Store":  Store(ctx, "db-x", secret),
		"Delete": Delete(ctx, "db-x"),
	}
	_, errs["Load"] = Load(ctx, "db-x")
	for op, err := range errs {
		if !errors.Is(err, ErrNoKeychain) {
			t.Errorf("%s: %v; want ErrNoKeychain", op, err)
			continue
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("%s: a broken keychain must not look like an empty one", op)
		}
		if err.Error() != ErrNoKeychain.Error() {
			t.Errorf("%s: message %q; want the plain ErrNoKeychain message", op, err)
		}
		if !errors.Is(err, cause) {
			t.Errorf("%s: the backend's cause is not reachable", op)
		}
		var be *BackendError
		if !errors.As(err, &be) || !strings.Contains(be.Detail(), "ServiceUnknown") {
			t.Errorf("%s: Detail does not carry the cause: %v", op, err)
		}
		if strings.Contains(err.Error(), string(secret)) || strings.Contains(be.Detail(), "ZG8tbm90") {
			t.Errorf("%s: error leaks the secret", op)
		}
	}
	if Available(ctx) {
		t.Error("Available() = true with a failing backend")
	}
}

func TestAvailableWithWorkingKeychain(t *testing.T) {
	useMock(t)
	if !Available(context.Background()) {
		t.Fatal("Available() = false with a working (empty) keychain")
	}
	if _, err := keyring.Get(Service, probeAccount); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("probing wrote to the keychain: %v", err)
	}
}

func TestCancelWhileBlocked(t *testing.T) {
	useMock(t)
	entered := blockingGet(t)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Load(ctx, "db-blocked")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Load = %v; want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Load took %v after its deadline", d)
		}
		<-entered
	})

	// The first call's goroutine still holds the OS call slot, so these
	// calls queue; they must still honour their own contexts.
	t.Run("cancel while queued", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		if _, err := Load(ctx, "db-blocked"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Load = %v; want context.Canceled", err)
		}
	})

	t.Run("Available", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if Available(ctx) {
			t.Fatal("Available() = true while the keychain does not answer")
		}
	})
}

func TestCancelledContextStartsNoCall(t *testing.T) {
	useMock(t)
	orig := backend.get
	t.Cleanup(func() { backend.get = orig })
	var calls atomic.Int32
	backend.get = func(service, user string) (string, error) {
		calls.Add(1)
		return "", keyring.ErrNotFound
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, "db-x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load = %v; want context.Canceled", err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("backend called %d times with a cancelled context", n)
	}
}

func TestBackendPanicIsContained(t *testing.T) {
	useMock(t)
	orig := backend.get
	t.Cleanup(func() { backend.get = orig })
	backend.get = func(service, user string) (string, error) {
		var p *struct{ Name string }
		return p.Name, nil // what go-keyring does when the bus closes mid-prompt
	}
	_, err := Load(context.Background(), "db-x")
	if !errors.Is(err, ErrNoKeychain) {
		t.Fatalf("Load = %v; want ErrNoKeychain", err)
	}
	// The slot must be free again.
	backend.get = orig
	if err := Store(context.Background(), "db-after-panic", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), "db-after-panic"); err != nil {
		t.Fatal(err)
	}
}
