package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncBookkeepingAuthenticated: the pushed position and a sender's applied sequence edited
// in the file (to skip this device's own changes, or drop a sender's next sets) are refused
// where they are read and named by verify; one written before migration 0010 (no MAC) is
// sealed at the upgrade and then verifies, and a MAC stripped afterwards is tampering.
func TestSyncBookkeepingAuthenticated(t *testing.T) {
	ctx := context.Background()
	t.Run("edited", func(t *testing.T) {
		st, _ := newTestStore(t)
		if err := st.SaveSyncState(ctx, SyncState{NextSetSeq: 5, PushedSeq: 3}); err != nil {
			t.Fatal(err)
		}
		if err := st.markApplied(ctx, "laptop", OrgScope, 7); err != nil {
			t.Fatal(err)
		}
		if got := must[uint64](t)(st.appliedSeq(ctx, "laptop", OrgScope)); got != 7 {
			t.Fatalf("applied %d", got)
		}
		dir := st.Dir()
		st.Close()
		db := rawDB(t, dir)
		for _, q := range []string{
			"UPDATE meta SET value = CAST(replace(CAST(value AS TEXT), '\"pushed_seq\":3', '\"pushed_seq\":9999') AS BLOB) WHERE key = 'sync_state'",
			"UPDATE sync_applied SET scope_seq = 1000 WHERE device_id = 'laptop'",
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		st2, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer st2.Close()
		if _, err := st2.SyncState(ctx); !errors.Is(err, ErrTampered) {
			t.Fatalf("edited sync state read: %v", err)
		}
		if _, err := st2.appliedSeq(ctx, "laptop", OrgScope); !errors.Is(err, ErrTampered) {
			t.Fatalf("edited applied sequence read: %v", err)
		}
		r := must[*Report](t)(st2.Verify(ctx))
		if !hasProblem(r, "meta", "sync_state", "value", "fails authentication") || !hasProblem(r, "sync_applied", "laptop/", "scope_seq", "fails authentication") {
			t.Fatalf("verify: %v", r.Problems)
		}
	})
	t.Run("legacy then sealed", func(t *testing.T) {
		dir := t.TempDir()
		copyFile(t, "testdata/release8/data/"+DBFile, filepath.Join(dir, DBFile))
		db := rawDB(t, dir)
		for _, q := range []string{
			`INSERT INTO meta(key, value) VALUES('sync_state', CAST('{"next_set_seq":4,"pushed_seq":2}' AS BLOB))`,
			"INSERT INTO sync_applied(device_id, scope, scope_seq) VALUES('laptop', 'org', 3)",
			"INSERT INTO conflicts(tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at) VALUES('shops', 'x', 'name', 'org', 'Old Name', 0, 1, 'laptop', 2, 'desk', 3)",
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		st, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		ss := must[SyncState](t)(st.SyncState(ctx))
		if ss.PushedSeq != 2 || ss.NextSetSeq != 4 {
			t.Fatalf("sync state after the upgrade: %+v", ss)
		}
		if got := must[uint64](t)(st.appliedSeq(ctx, "laptop", "org")); got != 3 {
			t.Fatalf("applied after the upgrade: %d", got)
		}
		if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
			t.Fatalf("verify after the upgrade: %v", r.Problems)
		}
		var macs int
		if err := st.db.QueryRow("SELECT COUNT(*) FROM conflicts WHERE mac IS NOT NULL").Scan(&macs); err != nil || macs != 1 {
			t.Fatalf("the kept conflict was not sealed at the upgrade: %d %v", macs, err)
		}
		st.Close()
		db = rawDB(t, dir)
		if _, err := db.Exec(`UPDATE meta SET value = CAST('{"next_set_seq":4,"pushed_seq":99}' AS BLOB) WHERE key = 'sync_state'`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE sync_applied SET mac = NULL"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		st, err = Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.SyncState(ctx); err == nil || !strings.Contains(err.Error(), "no MAC") {
			t.Fatalf("a MAC stripped after the seal: %v", err)
		}
		if _, err := st.appliedSeq(ctx, "laptop", "org"); !errors.Is(err, ErrTampered) {
			t.Fatalf("an applied row's MAC stripped after the seal: %v", err)
		}
	})
}
