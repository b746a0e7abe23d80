package postgres_test

import (
	"context"
	"strings"
	"testing"

	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hub/postgres"
)

// TestConformance runs the shared suite against a real PostgreSQL (see
// hubtest.PostgresURL: SPOKE_TEST_POSTGRES, set by scripts/with-postgres.sh).
func TestConformance(t *testing.T) {
	hubtest.Suite{NewDatabase: func(t *testing.T) func() hub.Storage {
		url := hubtest.PostgresURL(t)
		return func() hub.Storage {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	}}.Run(t)
}

// TestOpenBadURLDoesNotEchoIt: a URL holds a password; the error must not.
func TestOpenBadURLDoesNotEchoIt(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:hunter2secret@[::1")
	if err == nil {
		t.Fatal("a broken URL opened")
	}
	if got := err.Error(); strings.Contains(got, "hunter2secret") {
		t.Fatalf("error echoes the password: %s", got)
	}
}
