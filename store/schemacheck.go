package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
)

// The database's own schema is checked too: a trigger, index or view planted in the file would
// run inside every write, and the write would then MAC what it changed as its own. At unlock
// and in Verify the schema must be exactly what the migrations make, which is computed once
// per process by running them on an empty in-memory database.

type schemaObject struct{ kind, name, table, sql string }

var (
	wantSchemaOnce sync.Once
	wantSchema     []schemaObject
	wantSchemaErr  error
)

// readSchema lists a database's objects (SQLite's own excluded).
func readSchema(ctx context.Context, q querier) ([]schemaObject, error) {
	rows, err := q.QueryContext(ctx, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.kind, &o.name, &o.table, &o.sql); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// expectedSchema is the schema every migration together makes.
func expectedSchema(ctx context.Context) ([]schemaObject, error) {
	wantSchemaOnce.Do(func() {
		db, err := sql.Open("sqlite", "file:spoke-schema?mode=memory")
		if err != nil {
			wantSchemaErr = err
			return
		}
		defer db.Close()
		db.SetMaxOpenConns(1) // one in-memory database
		if _, err := migrate(ctx, db); err != nil {
			wantSchemaErr = err
			return
		}
		wantSchema, wantSchemaErr = readSchema(ctx, db)
	})
	return wantSchema, wantSchemaErr
}

// checkSchema names the first object that differs from what the migrations make.
func checkSchema(ctx context.Context, q querier) error {
	want, err := expectedSchema(ctx)
	if err != nil {
		return fmt.Errorf("expected schema: %w", err)
	}
	got, err := readSchema(ctx, q)
	if err != nil {
		return err
	}
	for _, o := range got {
		if !slices.Contains(want, o) {
			return &TamperError{Table: "sqlite_schema", Row: o.name, Column: o.kind, Reason: "not what Spoke's migrations make (planted or edited in the file)"}
		}
	}
	for _, o := range want {
		if !slices.Contains(got, o) {
			return &TamperError{Table: "sqlite_schema", Row: o.name, Column: o.kind, Reason: "missing (dropped or edited in the file)"}
		}
	}
	return nil
}
