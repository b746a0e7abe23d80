package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"spoke/protocol"
	"spoke/sync/hub/hubtest"
)

// TestMigratesVersion1: a database made before compaction (schema version 1) opens, keeps
// its devices, and gains the pulled cursor and the snapshot tables.
func TestMigratesVersion1(t *testing.T) {
	ctx := context.Background()
	url := hubtest.PostgresURL(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schema, "INSERT INTO schema_version(version) VALUES(1)",
		`INSERT INTO devices(id, role, scopes, signing_key, hpke_key, cert_serial, status, enrolled_at) VALUES('old-dev', 'shop', '{shop-1}', '\x01', '\x02', 'ab', 'active', now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)

	for i := range 2 { // and opening the migrated database again changes nothing
		st, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.Device(ctx, "old-dev")
		if err != nil || d.Pulled != int64(i*3) || (i == 0) != (d.Version == "") {
			t.Fatalf("device after the migration: %+v %v", d, err)
		}
		if err := st.SetDeviceVersion(ctx, "old-dev", "0.12.0", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPulled(ctx, "old-dev", 3); err != nil {
			t.Fatal(err)
		}
		// Version 4: the unsubscribe tables (registering again is a no-op).
		if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{protocol.UnsubscribeHash("migrated-token")}, 10, time.UnixMilli(5)); err != nil {
			t.Fatalf("unsubscribe tables after the migration: %v", err)
		}
		if _, err := st.Snapshots(ctx, nil, true); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := st.pool.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil || v != schemaVersion {
			t.Fatalf("schema version %d %v", v, err)
		}
		st.Close()
	}
}
