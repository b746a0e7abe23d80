package engine

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"spoke/store"
)

func TestAuditAnchoring(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	if _, err := shop.st.SignIn(ctx, "sam", "sales-password-1"); err != nil {
		t.Fatal(err)
	}
	shop.sync(t)
	a.sync(t)
	laptop.sync(t)
	olga := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	anchors, err := VerifyAnchors(ctx, olga, laptop.hc)
	if err != nil {
		t.Fatal(err)
	}
	if len(anchors) != 3 {
		t.Fatalf("anchors %+v", anchors)
	}
	for _, an := range anchors {
		if an.Status != "ok" {
			t.Fatalf("device %s: %s (checkpoint %d, held %d)", an.Device, an.Status, an.Checkpoint, an.Held)
		}
	}
	if r, err := laptop.st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify with copied chains: %v %v", err, r.Problems)
	}

	// The shop's trail is cut back in its database file after the hub saw it.
	dir := shop.st.Dir()
	shop.st.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM audit WHERE seq > 2"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := store.Open(ctx, dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := VerifyOwnAnchor(ctx, st.Replica(), shop.hc)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != "truncated" {
		t.Fatalf("truncated trail reported as %q", got[0].Status)
	}
}

// TestHubCheckpointCatchesFileRollback: the whole database file of a connected device is put
// back to an older copy (nothing inside it is inconsistent). Its next sync holds the trail
// against its own signed checkpoint at the hub, finds it ends below, and the store fails
// closed: no sign-in, no writes.
func TestHubCheckpointCatchesFileRollback(t *testing.T) {
	ctx := context.Background()
	_, a, _, north := chain(t)
	dir := a.st.Dir()
	a.st.Close()
	old := t.TempDir()
	for _, f := range []string{store.DBFile, store.DBFile + "-wal"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			os.WriteFile(filepath.Join(old, f), b, 0o600)
		}
	}
	st, err := store.Open(ctx, dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	o := must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
	must[string](t)(o.CreateCustomer(ctx, store.CustomerInput{Name: "Later", ShopID: north}))
	hc, err := Dial(ctx, st.Replica())
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	if _, err := New(st.Replica(), hc).SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, f := range []string{store.DBFile, store.DBFile + "-wal", store.DBFile + "-shm"} {
		os.Remove(filepath.Join(dir, f))
		if b, err := os.ReadFile(filepath.Join(old, f)); err == nil {
			os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
	}
	st, err = store.Open(ctx, dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(st.Replica(), hc).SyncNow(ctx); !errors.Is(err, store.ErrRolledBack) {
		t.Fatalf("sync after a rollback: %v", err)
	}
	if _, err := st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, store.ErrRolledBack) {
		t.Fatalf("sign-in after a rollback: %v", err)
	}
}
