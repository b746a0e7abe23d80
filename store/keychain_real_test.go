//go:build keychain

package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"spoke/crypto/keychain"
)

// TestRealKeychainStore runs against the real Secret Service (gnome-keyring in a dbus session;
// .ci/run starts one): the master key goes to the keychain, the database opens without a
// passphrase, and the key's bytes are in no file of the data directory.
func TestRealKeychainStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, _, err := Create(ctx, dir, CreateOptions{ShopName: "Keychain Cycles", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, Options{KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	id := st.DatabaseID()
	t.Cleanup(func() { keychain.Delete(context.Background(), id) })
	if st.KeyStore() != KeyStoreKeychain {
		t.Fatalf("key store %q", st.KeyStore())
	}
	st.Close()
	st, err = Open(ctx, dir, Options{KDF: fastKDF})
	if err != nil {
		t.Fatalf("open from the keychain: %v", err)
	}
	signIn(t, st, "olga", "owner-password-1")
	st.Close()
	mk, err := keychain.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, mk) {
				t.Errorf("master key bytes found in %s", filepath.Base(p))
			}
		}
		return nil
	})
	// Without the keychain entry the database does not open, and says why.
	if err := keychain.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{KDF: fastKDF}); err == nil {
		t.Fatal("opened without the keychain entry")
	}
}

// TestRealKeychainAnchor: the audit anchor lives in the real Secret Service beside the key
// (account DBID/anchor); an older genuine copy of the file put back is below it: verify names
// it and sign-in fails closed.
func TestRealKeychainAnchor(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, _, err := Create(ctx, dir, CreateOptions{ShopName: "Keychain Cycles", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, Options{KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	id := st.DatabaseID()
	t.Cleanup(func() {
		keychain.Delete(context.Background(), id)
		keychain.Delete(context.Background(), anchorAccount(id, dir))
	})
	st.Close()
	old := copyDBFiles(t, dir)
	st, err = Open(ctx, dir, Options{KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	ss := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	st.Close()
	if _, err := keychain.Load(ctx, anchorAccount(id, dir)); err != nil {
		t.Fatalf("no anchor in the keychain: %v", err)
	}
	putBack(t, old, dir)
	st, err = Open(ctx, dir, Options{KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(r, "audit", "-", "anchor", "below the anchored seq") {
		t.Fatalf("verify: %v", r.Problems)
	}
	failsClosed(t, st)
}
