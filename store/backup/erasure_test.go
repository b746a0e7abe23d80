package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"spoke/store"
)

// TestErasureRewritesTheFolder: backups taken while a customer existed are deleted once a full
// backup after the erasure has passed its drill; a copy of the folder made before (a disk in a
// drawer) still holds the customer, and a restore of it erases the customer again before the
// database opens when given the configured folder's ledger. A forged ledger is refused.
func TestErasureRewritesTheFolder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	e.backup(t, Full)
	e.change(t, 1)
	e.backup(t, Incremental)
	drawer := copyDir(t, e.bdir)
	res, _ := e.ss.Search(ctx, "", 0)
	victim, other := res[0].ID, res[1].ID
	if _, err := e.ss.EraseCustomer(ctx, victim); err != nil {
		t.Fatal(err)
	}
	r := e.backup(t, Incremental) // asked for an incremental: an erasure makes it a full
	if r.Manifest.Kind != Full || len(r.Rewritten) != 2 {
		t.Fatalf("after the erasure: kind %s, rewrote %v", r.Manifest.Kind, r.Rewritten)
	}
	ms, err := listManifests(e.bdir, mustKey(t, e))
	if err != nil || len(ms) != 1 || ms[0].ID != r.Manifest.ID {
		t.Fatalf("folder holds %d backups (%v)", len(ms), err)
	}
	if r := e.backup(t, Incremental); r.Manifest.Kind != Incremental || len(r.Rewritten) != 0 {
		t.Fatalf("the next backup: %s, rewrote %v", r.Manifest.Kind, r.Rewritten)
	}

	open := func(dir string) *store.Session {
		st, err := store.Open(ctx, dir, store.Options{RecoveryCode: e.code})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ss, err := st.SignIn(ctx, "olga", "owner-password-1")
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	restore := func(from string, o RestoreOptions) (string, *RestoreResult) {
		dst := filepath.Join(t.TempDir(), "restored")
		o.Store = store.Options{KDF: fastKDF}
		r, err := Restore(ctx, from, dst, Credentials{RecoveryCode: e.code}, o)
		if err != nil {
			t.Fatal(err)
		}
		return dst, r
	}
	// The drawer alone knows nothing of the erasure: the customer comes back (the hub's ledger
	// would erase it at the first sync; the README says so).
	dst, _ := restore(drawer, RestoreOptions{})
	if _, err := open(dst).Customer(ctx, victim, ""); err != nil {
		t.Fatalf("the drawer's backup without the ledger: %v", err)
	}
	dst, rr := restore(drawer, RestoreOptions{LedgerFrom: []string{e.bdir}})
	if rr.Erased != 1 {
		t.Fatalf("erased again: %d", rr.Erased)
	}
	ss := open(dst)
	if _, err := ss.Customer(ctx, victim, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased customer back from the drawer: %v", err)
	}
	if _, err := ss.Customer(ctx, other, ""); err != nil {
		t.Fatalf("another customer: %v", err)
	}

	// A ledger file edited (or planted by whoever holds the folder) is refused, not obeyed.
	path := filepath.Join(e.bdir, ledgerFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "x"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}}); !errors.Is(err, ErrManifest) {
		t.Fatalf("restore with a forged ledger: %v", err)
	}
}

func mustKey(t *testing.T, e *env) []byte {
	t.Helper()
	k, err := e.ss.BackupKeys(context.Background(), store.OpBackup, "backup.check")
	if err != nil {
		t.Fatal(err)
	}
	bk, _, err := openFolder(context.Background(), k, e.bdir)
	if err != nil {
		t.Fatal(err)
	}
	return bk
}
