package hubtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the variable holding the test PostgreSQL URL. With it
// unset, PostgreSQL tests skip — unless RequirePostgresEnv is set (as
// scripts/with-postgres.sh does), when they fail: a CI run that meant to
// test PostgreSQL must not pass by skipping.
const (
	PostgresEnv        = "SPOKE_TEST_POSTGRES"
	RequirePostgresEnv = "SPOKE_TEST_REQUIRE_POSTGRES"
)

// PostgresURL creates a throw-away schema in the test PostgreSQL and returns
// a URL whose connections use it; the schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv(RequirePostgresEnv) != "" {
			t.Fatalf("%s is required but not set", PostgresEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL tests (run 'make hubtest', which starts a throw-away PostgreSQL, or set %s=postgres://user@127.0.0.1:5432/db?sslmode=disable)", PostgresEnv, PostgresEnv)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "hubtest_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return withSearchPath(t, base, schema)
}

func withSearchPath(t testing.TB, base, schema string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}
