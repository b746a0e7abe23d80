package engine

import (
	"context"
	"database/sql"
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
	anchors, err := VerifyAnchors(ctx, laptop.st, laptop.hc, true)
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
	got, err := VerifyAnchors(ctx, st, shop.hc, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != "truncated" {
		t.Fatalf("truncated trail reported as %q", got[0].Status)
	}
}
