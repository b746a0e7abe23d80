package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// TestMigratesVersion1: a database made before compaction (schema version 1) opens, keeps
// its devices and change-sets, and gains the pulled cursor and the snapshot tables.
func TestMigratesVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), hub.SQLiteFile)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, "PRAGMA user_version = 1",
		`INSERT INTO devices(id, role, scopes, signing_key, hpke_key, cert_serial, status, enrolled_at) VALUES('old-dev', 'shop', '["shop-1"]', x'01', x'02', 'ab', 'active', 1)`,
		`INSERT INTO changesets(device, seq, scope, key_version, digest, body, received_at) VALUES('old-dev', 1, 'shop-1', 1, x'00', x'0102', 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	for i := range 2 { // and opening the migrated file again changes nothing
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.Device(ctx, "old-dev")
		if err != nil || d.Pulled != int64(i*1) || d.Scopes[0] != "shop-1" || (i == 0) != (d.Version == "") {
			t.Fatalf("device after the migration: %+v %v", d, err)
		}
		if err := st.SetDeviceVersion(ctx, "old-dev", "0.12.0", time.UnixMilli(5)); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPulled(ctx, "old-dev", 1); err != nil {
			t.Fatal(err)
		}
		// Version 4: the unsubscribe tables (registering again is a no-op).
		if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{protocol.UnsubscribeHash("migrated-token")}, 10, time.UnixMilli(5)); err != nil {
			t.Fatalf("unsubscribe tables after the migration: %v", err)
		}
		if n, err := st.NewestCursor(ctx); err != nil || n != 1 {
			t.Fatalf("newest cursor %d %v", n, err)
		}
		var v int
		if err := st.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
			t.Fatalf("user_version %d %v", v, err)
		}
		st.Close()
	}
}
