package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"spoke/crypto/keys"
)

// fastKDF keeps Argon2id honest but cheap in tests; production uses keys.DefaultKDF.
var fastKDF = keys.KDFParams{Time: 1, Memory: 64, Threads: 1}

const testPass = "correct horse battery staple"

func testOptions() Options { return Options{Passphrase: testPass, KDF: fastKDF} }

// newTestStore creates a database with one shop ("North") and the owner "olga".
func newTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, code, err := Create(context.Background(), dir, CreateOptions{
		ShopName: "North", Region: "US", Currency: "USD", OwnerUsername: "olga", OwnerName: "Olga Owner", OwnerPassword: "owner-password-1",
	}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, code
}

func signIn(t testing.TB, st *Store, user, pw string) *Session {
	t.Helper()
	ss, err := st.SignIn(context.Background(), user, pw)
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	return ss
}

// rawDB opens the database file directly, as an attacker with the file would.
func rawDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
