package hub_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hub/postgres"
	"spoke/sync/hub/sqlite"
)

// backend opens hub storage for tests: newDB makes a fresh database and
// returns an opener; calling the opener again (with the same or another hub
// directory) gives another handle on the same database, as a second hub
// process would have. pgURL is set for PostgreSQL, for tests that look into
// the tables.
type backend struct {
	name  string
	newDB func(t *testing.T) (open func(dir string) hub.Storage, pgURL string)
}

func sqliteBackend() backend {
	return backend{"sqlite", func(t *testing.T) (func(string) hub.Storage, string) {
		var path string
		return func(dir string) hub.Storage {
			if path == "" {
				path = filepath.Join(dir, hub.SQLiteFile)
			}
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}, ""
	}}
}

func postgresBackend() backend {
	return backend{"postgres", func(t *testing.T) (func(string) hub.Storage, string) {
		url := hubtest.PostgresURL(t)
		return func(string) hub.Storage {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}, url
	}}
}

var allBackends = []backend{sqliteBackend(), postgresBackend()}

// startSQLiteHub is the common case: one hub on SQLite.
func startSQLiteHub(t *testing.T) *hubtest.Hub {
	open, _ := sqliteBackend().newDB(t)
	return hubtest.StartHub(t, open)
}

var rejectLine = regexp.MustCompile(`(?m)^spoke_hub_rejects_total\{reason="([a-z_]+)"\} (\d+)$`)

// scrapeRejects reads the reject counters from /metrics as an owner device.
func scrapeRejects(t *testing.T, owner *hubtest.Device) map[string]int {
	t.Helper()
	text, err := owner.Client.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range rejectLine.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}
