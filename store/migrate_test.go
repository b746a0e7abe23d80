package store

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The release before row clocks (schema 8) made testdata/release8 (with the store's own API:
// staff, customers edited after creation, a bike with sealed notes, a job with a line, a
// sale): data/ is its database, full.db a snapshot of it and delta.db an incremental after
// that snapshot (an edit, a new customer, a new job line).

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateRelease8 opens a database made by the previous release: the migration keeps
// every cell's newest write exactly (its clock is that write's), the first unlock seals every
// row, the database verifies, every customer reads, the device sends exactly the cells it had
// written, a write after the migration works, and an older backup chain (full + legacy
// incremental) restores to the same data.
func TestMigrateRelease8(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copyFile(t, "testdata/release8/data/"+DBFile, filepath.Join(dir, DBFile))

	// What the change log said, before the migration: each cell's newest write.
	type cell struct{ table, row, col string }
	want := map[cell]stamp{}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := raw.Query("SELECT tbl, row_id, col, hlc, device_id FROM changes")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c cell
		var s stamp
		var h int64
		if err := rows.Scan(&c.table, &c.row, &c.col, &h, &s.device); err != nil {
			t.Fatal(err)
		}
		s.hlc = uint64(h)
		if s.after(want[c]) {
			want[c] = s
		}
	}
	rows.Close()
	raw.Close()
	if len(want) < 50 {
		t.Fatalf("the fixture holds only %d cells", len(want))
	}

	// One fixed clock for the migrated database and the restored chain: the first ordinary
	// unlock records when the training started (training.go), and the chain, opened as a
	// restore (which writes nothing), is given the same record below.
	now := time.Now()
	opts := testOptions()
	opts.Now = func() time.Time { return now }
	st, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, since, err := st.trainingPolicy(ctx, st.db); err != nil || since.UnixMilli() != now.UnixMilli() {
		t.Fatalf("the training's start after the upgrade: %v %v", since, err)
	}
	if v := must[int](t)(schemaVersion(ctx, st.db)); v < ClocksSchema {
		t.Fatalf("schema %d after open", v)
	}
	r := must[*Report](t)(st.Verify(ctx))
	if !r.OK() || r.Rows == 0 {
		t.Fatalf("migrated database: %d rows checked, %v", r.Rows, r.Problems)
	}
	for c, s := range want {
		if got := cellStamp(t, st, c.table, c.row, c.col); got != s {
			t.Fatalf("%s.%s of %s: clock %+v, the change log's newest write was %+v", c.table, c.col, c.row, got, s)
		}
	}
	// This device wrote every cell: it has all of them to send, once each, values from the rows.
	sent := must[[]ChangeRecord](t)(st.LocalChanges(ctx, 0, 1<<30))
	got := map[cell]bool{}
	for _, rec := range sent {
		c := cell{rec.Table, rec.RowID, rec.Column}
		if rec.Table == "org_settings" && rec.RowID == settingID(settingTrainingSince) {
			continue // written by this unlock: when the training started here (training.go)
		}
		if got[c] || want[c] != (stamp{rec.HLC, rec.Device}) {
			t.Fatalf("sent %v twice or with the wrong clock", c)
		}
		got[c] = true
	}
	for c := range want {
		if !got[c] && c.table != "users" { // staff bookkeeping written unlogged stays unlogged
			t.Errorf("cell %v is not sent", c)
		}
	}
	ss := signIn(t, st, "olga", "owner-password-1")
	ids := must[[]string](t)(queryStrings(ctx, st.db, "SELECT id FROM customers"))
	if len(ids) != 3 {
		t.Fatalf("%d customers", len(ids))
	}
	names := map[string]bool{}
	for _, id := range ids {
		c := must[*CustomerCard](t)(ss.Customer(ctx, id, ""))
		names[c.Name] = true
	}
	if !names["Ada King"] || !names["Grace B. Hopper"] || !names["Katherine Johnson"] {
		t.Fatalf("names after the migration: %v", names)
	}
	migrated := must[string](t)(st.DataHash(ctx))

	// An older backup chain restores: the full (migrated on open), then the legacy delta.
	mk := bytes.Clone(st.mk)
	rdir := t.TempDir()
	copyFile(t, "testdata/release8/full.db", filepath.Join(rdir, DBFile))
	rs, err := Open(ctx, rdir, Options{MasterKey: mk, KDF: fastKDF, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if err := rs.ApplyDelta(ctx, "testdata/release8/delta.db"); err != nil {
		t.Fatal(err)
	}
	if err := rs.ensureTrainingSince(ctx); err != nil {
		t.Fatal(err)
	}
	if h := must[string](t)(rs.DataHash(ctx)); h != migrated {
		t.Fatal("the restored chain's data differs from the migrated database's")
	}
	if r := must[*Report](t)(rs.Verify(ctx)); !r.OK() {
		t.Fatalf("restored chain: %v", r.Problems)
	}

	// Work goes on: a write after the migration is sent and verifies; a delta from a parent
	// made before the clocks is refused (the next backup is a full one).
	if err := ss.UpdateCustomer(ctx, ids[0], CustomerInput{Name: "Renamed After Upgrade", Email: "r@example.com"}); err != nil {
		t.Fatal(err)
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("after a write: %v", r.Problems)
	}
	old := must[*Snapshot](t)(FileSnapshot(ctx, "testdata/release8/full.db"))
	if old.SchemaVersion != 8 || old.Counts["changes"] == 0 {
		t.Fatalf("the fixture's snapshot: %+v", old)
	}
	if _, err := ss.BackupDelta(ctx, filepath.Join(t.TempDir(), "d.db"), old); err == nil {
		t.Fatal("a delta from a pre-clock parent was made")
	}
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}
