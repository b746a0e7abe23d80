package backup

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spoke/crypto/keychain"
	"spoke/crypto/keychain/keychaintest"
	"spoke/crypto/keys"
	"spoke/store"
)

// TestNewMachineRestoreReprotects (item 10): restored on a new machine with the recovery code,
// the database opens with this machine's keychain or the passphrase given now, and no longer
// with the old machine's passphrase.
func TestNewMachineRestoreReprotects(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	e.backup(t, Full)
	const newPass = "the new laptop's passphrase"

	t.Run("new passphrase", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "new-laptop")
		res, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code, NoKeychain: true},
			RestoreOptions{Store: store.Options{KDF: fastKDF}, Protect: store.Protection{Passphrase: newPass}})
		if err != nil {
			t.Fatal(err)
		}
		if res.KeyStore != store.KeyStorePassphrase {
			t.Fatalf("key store %q", res.KeyStore)
		}
		if _, err := store.Open(ctx, dst, store.Options{Passphrase: "pass phrase 1"}); !errors.Is(err, keys.ErrWrongPassphrase) {
			t.Fatalf("the old machine's passphrase: %v", err)
		}
		st, err := store.Open(ctx, dst, store.Options{Passphrase: newPass})
		if err != nil {
			t.Fatalf("the passphrase given at restore: %v", err)
		}
		defer st.Close()
		if r, err := st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("%v %v", err, r.Problems)
		}
		if _, err := st.SignIn(ctx, "olga", "owner-password-1"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("this machine's keychain", func(t *testing.T) {
		kc := keychaintest.New()
		dst := filepath.Join(t.TempDir(), "new-laptop")
		res, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code, NoKeychain: true},
			RestoreOptions{Store: store.Options{KDF: fastKDF, Keychain: kc}, Protect: store.Protection{Keychain: true}})
		if err != nil {
			t.Fatal(err)
		}
		if res.KeyStore != store.KeyStoreKeychain || kc.Len() != 1 {
			t.Fatalf("key store %q, %d keychain entries (the key)", res.KeyStore, kc.Len())
		}
		st, err := store.Open(ctx, dst, store.Options{Keychain: kc})
		if err != nil {
			t.Fatalf("open from this machine's keychain: %v", err)
		}
		if kc.Len() != 2 {
			t.Fatalf("%d keychain entries after the first unlock (key and this folder's anchor)", kc.Len())
		}
		if r, err := st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("%v %v", err, r.Problems)
		}
		st.Close()
		empty := keychaintest.New()
		if _, err := store.Open(ctx, dst, store.Options{Passphrase: "pass phrase 1", Keychain: empty}); err == nil {
			t.Fatal("the old machine's passphrase still opens it")
		}
	})
	t.Run("no keychain answers", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "new-laptop")
		_, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code, NoKeychain: true},
			RestoreOptions{Store: store.Options{KDF: fastKDF, Keychain: &keychaintest.Mem{Down: true}}, Protect: store.Protection{Keychain: true}})
		if !errors.Is(err, keychain.ErrNoKeychain) {
			t.Fatalf("restore without a keychain: %v", err)
		}
		if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
			t.Fatal("a database was left that nothing opens but the recovery code")
		}
	})
}

func copyData(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(filepath.Join(dir, store.DBFile+suffix))
		if err != nil {
			if suffix == "" {
				t.Fatal(err)
			}
			continue
		}
		out, err := os.Create(filepath.Join(dst, store.DBFile+suffix))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(out, src)
		src.Close()
		out.Close()
	}
	return dst
}

func (e *env) reopen(t *testing.T) {
	t.Helper()
	st, err := store.Open(context.Background(), e.data, store.Options{Passphrase: "pass phrase 1", KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ss, err := st.SignIn(context.Background(), "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	e.st, e.ss = st, ss
}

// TestRollbackBelowNewestBackup: in passphrase mode there is no keychain anchor, but the
// backup folder's newest manifest is one: an older genuine copy of the database file put back
// is named by CheckTrail, refused by the next backup, and the store fails closed.
func TestRollbackBelowNewestBackup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	older := e.backup(t, Full).Manifest
	e.st.Close()
	old := copyData(t, e.data)
	e.reopen(t)
	e.change(t, 2)
	newest := e.backup(t, Incremental).Manifest
	if err := CheckTrail(ctx, e.st, e.bdir); err != nil {
		t.Fatalf("honest database: %v", err)
	}
	e.st.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(e.data, store.DBFile+suffix))
	}
	for _, suffix := range []string{"", "-wal"} {
		os.Rename(filepath.Join(old, store.DBFile+suffix), filepath.Join(e.data, store.DBFile+suffix))
	}
	e.reopen(t) // nothing in the file itself is wrong: it is an older genuine copy
	_, err := Backup(ctx, e.ss, e.bdir, Options{Now: func() time.Time { return e.clock.Add(time.Hour) }})
	var te *store.TrailError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "below the anchored seq") || !strings.Contains(err.Error(), "backup "+newest.ID) {
		t.Fatalf("backup over a rolled-back trail: %v", err)
	}
	if te.Anchored != newest.Snapshot.AuditSeq {
		t.Fatalf("named seq %d, the newest backup's head is %d", te.Anchored, newest.Snapshot.AuditSeq)
	}
	if _, err := e.st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, store.ErrRolledBack) {
		t.Fatalf("sign-in after the rollback was found: %v", err)
	}
	r, err := e.st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range r.Problems {
		found = found || p.Table == "audit" && p.Column == "anchor" && strings.Contains(p.Reason, "below the anchored seq")
	}
	if !found {
		t.Fatalf("verify: %v", r.Problems)
	}
	// A fresh unlock checks again.
	e.st.Close()
	st, err := store.Open(ctx, e.data, store.Options{Passphrase: "pass phrase 1", KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := CheckTrail(ctx, st, e.bdir); !errors.Is(err, store.ErrRolledBack) {
		t.Fatalf("check: %v", err)
	}

	// A deliberate restore of the older backup is reported, and is not itself a rollback
	// against the folder: the backups made before it belong to the copy it came from.
	dst := filepath.Join(t.TempDir(), "older")
	later := e.clock.Add(24 * time.Hour)
	res, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{At: older.ID,
		Store: store.Options{KDF: fastKDF, Now: func() time.Time { return later }}, Protect: store.Protection{Passphrase: "pass phrase 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Newest == nil || res.Newest.ID != newest.ID || res.Snapshot.AuditSeq >= res.Newest.Snapshot.AuditSeq {
		t.Fatalf("restoring an older backup: newest %v", res.Newest)
	}
	rst, err := store.Open(ctx, dst, store.Options{Passphrase: "pass phrase 1", KDF: fastKDF, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	if err := CheckTrail(ctx, rst, e.bdir); err != nil {
		t.Fatalf("a restored copy against the folder it came from: %v", err)
	}
}
