package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"spoke/crypto/keychain"
)

// fakeKeychain is an in-memory keychain for unit tests of the store's keychain path (the real
// Secret Service is tested with -tags keychain).
type fakeKeychain struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (f *fakeKeychain) Store(_ context.Context, a string, s []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[a] = append([]byte(nil), s...)
	return nil
}

func (f *fakeKeychain) Load(_ context.Context, a string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[a]
	if !ok {
		return nil, keychain.ErrNotFound
	}
	return append([]byte(nil), v...), nil // a copy, as a real keychain hands out
}

func (f *fakeKeychain) Delete(_ context.Context, a string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, a)
	return nil
}

func TestKeychainMode(t *testing.T) {
	ctx := context.Background()
	kc := &fakeKeychain{m: map[string][]byte{}}
	dir := t.TempDir()
	st, _, err := Create(ctx, dir, CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, Options{Keychain: kc, KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	// The master key, and the anchor of the audit trail's head.
	if _, ok := kc.m[st.anchorAccount()]; st.KeyStore() != KeyStoreKeychain || len(kc.m) != 2 || !ok {
		t.Fatalf("key store %s, %d keychain entries", st.KeyStore(), len(kc.m))
	}
	st.Close()
	st, err = Open(ctx, dir, Options{Keychain: kc, KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	kc.m = map[string][]byte{}
	if _, err := Open(ctx, dir, Options{Keychain: kc, KDF: fastKDF}); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("missing keychain entry: %v", err)
	}
	// A failed create leaves no key behind.
	bad := filepath.Join(t.TempDir(), "x")
	os.WriteFile(bad, []byte("not a directory"), 0o600)
	if _, _, err := Create(ctx, filepath.Join(bad, "data"), CreateOptions{ShopName: "N", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, Options{Keychain: kc, KDF: fastKDF}); err == nil {
		t.Fatal("created under a file")
	}
	if len(kc.m) != 0 {
		t.Fatal("a failed create left a key in the keychain")
	}
}
