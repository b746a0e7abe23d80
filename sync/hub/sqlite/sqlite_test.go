package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hub/sqlite"
)

func TestConformance(t *testing.T) {
	hubtest.Suite{NewDatabase: func(t *testing.T) func() hub.Storage {
		path := filepath.Join(t.TempDir(), hub.SQLiteFile)
		return func() hub.Storage {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	}}.Run(t)
}

// TestFileIsOwnerOnly: the database holds public keys and sealed bytes only,
// but its file is still nobody else's to read.
func TestFileIsOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), hub.SQLiteFile)
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
