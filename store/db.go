package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DBFile is the database's file name inside the data directory. It is fixed and says nothing
// about the shop or its customers.
const DBFile = "spoke.db"

// Every connection's pragmas. journal_mode=WAL is what lets two pools choose their own
// synchronous: the setting is per connection, and in WAL mode it only decides whether a commit
// waits for an fsync of the log.
const (
	syncFull   = "FULL"   // every pool that writes data: customers, clocks, staff, keys
	syncNormal = "NORMAL" // the read-audit pool only (readaudit.go)
)

// openDB opens (creating if asked) the database with the pragmas DESIGN.md requires, every
// commit durable (synchronous=FULL).
func openDB(dir string, create bool) (*sql.DB, error) {
	return openPool(dir, create, syncFull, 4)
}

// openPool opens a pool of at most conns connections, each with the pragmas DESIGN.md
// requires and the given synchronous level (applied by the driver to every new connection).
func openPool(dir string, create bool, synchronous string, conns int) (*sql.DB, error) {
	path := filepath.Join(dir, DBFile)
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(" + synchronous + ")",
		"foreign_keys(ON)",
		"busy_timeout(10000)",
		"secure_delete(ON)",
		"temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	// Immediate write transactions: a deferred one that upgrades to a writer can get
	// SQLITE_BUSY without honouring busy_timeout.
	q.Set("_txlock", "immediate")
	mode := "rw"
	if create {
		mode = "rwc"
		// Create the file owner-only; SQLite gives the -wal and -shm files the same mode.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create database: %w", err)
		}
		f.Close()
	}
	q.Set("mode", mode)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// migrate applies every embedded migration newer than PRAGMA user_version, each in its own
// transaction together with the version bump.
func migrate(ctx context.Context, db *sql.DB) (int, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if current > len(names) {
		return current, fmt.Errorf("database schema version %d is newer than this Spoke (%d): update Spoke", current, len(names))
	}
	for i, name := range names {
		v := i + 1
		if !strings.HasPrefix(filepath.Base(name), fmt.Sprintf("%04d_", v)) {
			return current, fmt.Errorf("migration %s out of sequence", name)
		}
		if v <= current {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return current, err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return current, err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return current, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(v)); err != nil {
			tx.Rollback()
			return current, err
		}
		if err := tx.Commit(); err != nil {
			return current, fmt.Errorf("migration %d: %w", v, err)
		}
		current = v
	}
	return current, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	names, _ := fs.Glob(migrationFS, "migrations/*.sql")
	return len(names)
}

func getMeta(ctx context.Context, q querier, key string) ([]byte, error) {
	var v []byte
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return v, err
}

// setMeta writes a meta value that authenticates itself (the integrity state, the audit head);
// every other key is written with putMeta, which keeps its MAC in the book (book.go).
func setMeta(ctx context.Context, q querier, key string, value []byte) error {
	if booked(key) {
		return bookedError(key)
	}
	return writeMeta(ctx, q, key, value)
}

// writeMeta writes a meta value as it is.
func writeMeta(ctx context.Context, q querier, key string, value []byte) error {
	_, err := q.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// readTx runs fn on one connection inside one read transaction, so everything it reads is one
// consistent snapshot while writers go on.
func (s *Store) readTx(ctx context.Context, fn func(q querier) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	return fn(conn)
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryStrings runs a one-column query and returns its values.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
