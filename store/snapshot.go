package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"spoke/crypto/keys"
)

// Snapshot describes the database at one consistent moment: what a backup records and what a
// restore must reproduce.
type Snapshot struct {
	ChangeSeq     int64            `json:"change_seq"` // highest change-log seq included
	AuditSeq      int64            `json:"audit_seq"`  // highest audit seq included
	AuditHead     string           `json:"audit_head"` // hex MAC of the newest audit entry
	Counts        map[string]int64 `json:"counts"`
	ContentHash   string           `json:"content_hash"` // hex SHA-256 over every content table
	SchemaVersion int              `json:"schema_version"`
	DatabaseID    string           `json:"database_id"`
	DeviceID      string           `json:"device_id"`
}

// Every content table of the registry (schema.go) is hashed, in its order, each by its primary
// key, so two databases with the same content give the same hash whatever their page layout.
// The change log is covered by count and highest seq (hashing millions of rows per backup
// would dominate its cost); Verify authenticates its sealed values.

// snapshotOf computes a Snapshot from any connection to a Spoke database (a live one inside a read
// transaction, or a snapshot file). It reads no keys and decrypts nothing.
func snapshotOf(ctx context.Context, q querier) (*Snapshot, error) {
	p := &Snapshot{Counts: map[string]int64{}}
	h := sha256.New()
	for _, t := range schema {
		rows, err := q.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.order)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", t.name, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		late := make([]bool, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
			late[i] = isLate(t.name, cols[i])
		}
		var n int64
		h.Write([]byte(t.name))
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			for i, v := range vals {
				if late[i] && (v == nil || v == int64(0) || v == "") {
					continue // a column added by a later migration hashes as absent at its default
				}
				hashValue(h, v)
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		p.Counts[t.name] = n
	}
	p.ContentHash = fmt.Sprintf("%x", h.Sum(nil))
	var changes int64
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM changes").Scan(&changes, &p.ChangeSeq); err != nil {
		return nil, err
	}
	p.Counts["changes"] = changes
	var mac []byte
	err := q.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&p.AuditSeq, &mac)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	p.AuditHead = fmt.Sprintf("%x", mac)
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&p.SchemaVersion); err != nil {
		return nil, err
	}
	for k, dst := range map[string]*string{metaDBID: &p.DatabaseID, metaDeviceID: &p.DeviceID} {
		v, err := getMeta(ctx, q, k)
		if err != nil {
			return nil, err
		}
		*dst = string(v)
	}
	return p, nil
}

// hashValue writes a type-tagged, length-prefixed value so no two rows collide by shape.
func hashValue(h interface{ Write([]byte) (int, error) }, v any) {
	var b [9]byte
	switch x := v.(type) {
	case nil:
		h.Write([]byte{0})
	case int64:
		b[0] = 1
		binary.BigEndian.PutUint64(b[1:], uint64(x))
		h.Write(b[:])
	case float64:
		b[0] = 2
		binary.BigEndian.PutUint64(b[1:], math.Float64bits(x))
		h.Write(b[:])
	case string:
		b[0] = 3
		binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
		h.Write(b[:])
		h.Write([]byte(x))
	case []byte:
		b[0] = 4
		binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
		h.Write(b[:])
		h.Write(x)
	default:
		h.Write([]byte(fmt.Sprintf("?%T:%v", x, x)))
	}
}

// Snapshot returns the live database's current Snapshot (in one read transaction).
func (s *Store) Snapshot(ctx context.Context) (p *Snapshot, err error) {
	err = s.readTx(ctx, func(q querier) error {
		p, err = snapshotOf(ctx, q)
		return err
	})
	return p, err
}

// FileSnapshot computes the Snapshot of a database file without unlocking it.
func FileSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return snapshotOf(ctx, db)
}

// BackupSnapshot writes a consistent copy of the whole database to dst (VACUUM INTO: the app
// keeps working meanwhile; never a raw copy of live files) and returns its Snapshot. Owner and
// managers may back up (DESIGN.md). The snapshot holds only what the database holds: sealed
// personal data, wrapped keys.
func (ss *Session) BackupSnapshot(ctx context.Context, dst string) (*Snapshot, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.snapshot", ""); err != nil {
		return nil, err
	}
	// Its manifest anchors the trail: only durable entries go into it (readaudit.go).
	release, err := ss.s.holdReadAudits(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if _, err := ss.s.db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return FileSnapshot(ctx, dst)
}

// StreamSnapshot writes a consistent copy of the whole database to w, page by page, exactly as
// a database file holding it would read (pages still in the write-ahead log included), and
// returns the Snapshot of that same moment: both are read in one read transaction, so the app
// keeps working meanwhile and the copy and its Snapshot cannot disagree. Nothing is written to
// disk on the way (a backup compresses and encrypts as it reads). It returns the number of bytes
// written too. Owner and managers may back up (DESIGN.md); the copy holds only what the database
// holds: sealed personal data, wrapped keys.
func (ss *Session) StreamSnapshot(ctx context.Context, w io.Writer) (*Snapshot, int64, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.snapshot", ""); err != nil {
		return nil, 0, err
	}
	// Its manifest anchors the trail: only durable entries go into it (readaudit.go).
	release, err := ss.s.holdReadAudits(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	var p *Snapshot
	var n int64
	err = ss.s.readTx(ctx, func(q querier) error {
		var err error
		if p, err = snapshotOf(ctx, q); err != nil {
			return err
		}
		// sqlite_dbpage reads through this connection's pager, so it sees the transaction's
		// snapshot, whatever a writer or a checkpoint does to the files meanwhile.
		rows, err := q.QueryContext(ctx, "SELECT pgno, data FROM sqlite_dbpage('main') ORDER BY pgno")
		if err != nil {
			return fmt.Errorf("snapshot pages: %w", err)
		}
		defer rows.Close()
		var want int64 = 1
		for rows.Next() {
			var pgno int64
			var page sql.RawBytes
			if err := rows.Scan(&pgno, &page); err != nil {
				return err
			}
			if pgno != want || len(page) == 0 {
				return fmt.Errorf("snapshot pages: page %d read where %d was due", pgno, want)
			}
			want++
			k, err := w.Write(page)
			n += int64(k)
			if err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot: %w", err)
	}
	return p, n, nil
}

// deltaTables are what a delta carries: everything that changes outside the change log's own
// replay (the audit trail, new scope keys, the header) plus the change log itself.
const deltaSchema = `
CREATE TABLE delta.changes AS SELECT * FROM main.changes WHERE 0;
CREATE TABLE delta.audit AS SELECT * FROM main.audit WHERE 0;
CREATE TABLE delta.scope_keys AS SELECT * FROM main.scope_keys WHERE 0;
CREATE TABLE delta.meta AS SELECT * FROM main.meta WHERE 0;
CREATE TABLE delta.users AS SELECT * FROM main.users WHERE 0;`

// BackupDelta writes to dst (a new SQLite file) every change record after from.ChangeSeq,
// every audit entry after from.AuditSeq, all scope keys and the header, taken in one read
// transaction together with the Snapshot it brings the database to.
func (ss *Session) BackupDelta(ctx context.Context, dst string, from *Snapshot) (*Snapshot, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.delta", ""); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("delta file exists: %s", filepath.Base(dst))
	}
	release, err := ss.s.holdReadAudits(ctx) // only durable entries go into a backup
	if err != nil {
		return nil, err
	}
	defer release()
	conn, err := ss.s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS delta", dst); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE delta")
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	// Read first, so the main database's snapshot is fixed before anything else.
	p, err := snapshotOf(ctx, conn)
	if err != nil {
		return nil, err
	}
	if p.DatabaseID != from.DatabaseID {
		return nil, fmt.Errorf("delta: the backup chain belongs to another database")
	}
	for _, q := range []string{
		deltaSchema,
		"INSERT INTO delta.changes SELECT * FROM main.changes WHERE seq > " + strconv.FormatInt(from.ChangeSeq, 10) + " AND seq <= " + strconv.FormatInt(p.ChangeSeq, 10),
		"INSERT INTO delta.audit SELECT * FROM main.audit WHERE seq > " + strconv.FormatInt(from.AuditSeq, 10) + " AND seq <= " + strconv.FormatInt(p.AuditSeq, 10),
		"INSERT INTO delta.scope_keys SELECT * FROM main.scope_keys",
		"INSERT INTO delta.meta SELECT * FROM main.meta",
		// Whole user rows: sign-in bookkeeping (lock-out, last sign-in) is not in the change
		// log, and a restore must bring it back too.
		"INSERT INTO delta.users SELECT * FROM main.users",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("delta: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	committed = true
	return p, nil
}

// ApplyDelta replays a delta file (from BackupDelta) onto this database in one transaction:
// rows are rebuilt from the change records in order, derived columns (blind indexes, totals)
// recomputed with this store's keys, and the change log, audit entries, scope keys and header
// copied. It writes no new change records or audit entries: the result is the source database
// at the delta's Snapshot. Used by restore; the store must be unlocked.
func (s *Store) ApplyDelta(ctx context.Context, path string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS delta", "file:"+path+"?mode=ro"); err != nil {
		return fmt.Errorf("open delta: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE delta")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO main.scope_keys SELECT * FROM delta.scope_keys"); err != nil {
		return fmt.Errorf("apply scope keys: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT tbl, row_id, col, value FROM delta.changes ORDER BY seq")
	if err != nil {
		return fmt.Errorf("read delta: %w", err)
	}
	type rowChange struct {
		table, id string
		cols      []col
	}
	var groups []*rowChange
	for rows.Next() {
		var tbl, id, column string
		var v any
		if err := rows.Scan(&tbl, &id, &column, &v); err != nil {
			rows.Close()
			return err
		}
		if !replayable(tbl) || !isIdent(column) {
			rows.Close()
			return fmt.Errorf("delta names an unknown table or column")
		}
		if n := len(groups); n > 0 && groups[n-1].table == tbl && groups[n-1].id == id {
			groups[n-1].cols = append(groups[n-1].cols, col{name: column, value: v})
		} else {
			groups = append(groups, &rowChange{table: tbl, id: id, cols: []col{{name: column, value: v}}})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	touched := map[string]map[string]bool{}
	for _, g := range groups {
		if err := upsertRow(ctx, tx, g.table, g.id, g.cols); err != nil {
			return err
		}
		if touched[g.table] == nil {
			touched[g.table] = map[string]bool{}
		}
		touched[g.table][g.id] = true
	}
	if err := s.recomputeDerived(ctx, tx, touched); err != nil {
		return err
	}
	// Whole user rows by the delta's own columns (a delta from before a migration lacks the
	// newer ones): sign-in bookkeeping, and a MAC and version rewritten by the upgrade, are not in
	// the change log.
	ucols, err := queryStrings(ctx, tx, "SELECT name FROM pragma_table_info('users', 'delta')")
	if err != nil {
		return fmt.Errorf("read delta: %w", err)
	}
	for _, c := range ucols {
		if !isIdent(c) {
			return fmt.Errorf("delta names an unknown table or column")
		}
	}
	usersCopy := "INSERT INTO main.users(" + strings.Join(ucols, ", ") + ") SELECT " + strings.Join(ucols, ", ") +
		` FROM delta.users WHERE true ON CONFLICT(id) DO UPDATE SET
			failed_attempts = excluded.failed_attempts, locked_until = excluded.locked_until,
			last_sign_in = excluded.last_sign_in, mac = excluded.mac`
	if slices.Contains(ucols, "version") {
		usersCopy += ", version = excluded.version"
	}
	for _, q := range []string{
		"INSERT INTO main.changes SELECT * FROM delta.changes",
		"INSERT INTO main.audit SELECT * FROM delta.audit",
		"INSERT INTO main.meta SELECT * FROM delta.meta WHERE true ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		usersCopy,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("apply delta: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Keys and users may have changed underneath the caches.
	s.mu.Lock()
	s.deks = map[string][]byte{}
	s.mu.Unlock()
	return nil
}

func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// upsertRow updates an existing row's columns, or inserts the row from them.
func upsertRow(ctx context.Context, tx *sql.Tx, table, id string, cols []col) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		names, marks, args := "id", "?", []any{id}
		seen := map[string]int{}
		for _, c := range cols {
			if i, ok := seen[c.name]; ok {
				args[i] = c.value
				continue
			}
			seen[c.name] = len(args)
			names += ", " + c.name
			marks += ", ?"
			args = append(args, c.value)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+"("+names+") VALUES("+marks+")", args...); err != nil {
			return fmt.Errorf("replay insert into %s: %w", table, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	for _, c := range cols {
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET "+c.name+" = ? WHERE id = ?", c.value, id); err != nil {
			return fmt.Errorf("replay update of %s.%s: %w", table, c.name, err)
		}
	}
	return nil
}

// unwrapDEK unwraps a customer's data key without the cache (rows may be mid-replay).
func (s *Store) unwrapDEK(ctx context.Context, c *custRow) ([]byte, error) {
	sk, _, err := s.scopeKey(ctx, c.shopID, c.dekVersion)
	if err != nil {
		return nil, err
	}
	k, err := keys.Unwrap(sk, c.dek, dekLabel(c.id, c.dekVersion))
	if err != nil {
		return nil, &SealError{Table: "customers", Row: c.id, Column: "dek", Err: err}
	}
	return k, nil
}

// DataHash hashes the replicated tables only (not the header, audit trail or change log, which
// are per device): two devices that converged have equal data hashes.
func (s *Store) DataHash(ctx context.Context) (string, error) {
	h := sha256.New()
	for _, t := range schema {
		if !t.synced {
			continue
		}
		rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.order)
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			for i, v := range vals {
				// Lock-out counters and sign-in times are per device by nature.
				if t.name == "users" && (cols[i] == "failed_attempts" || cols[i] == "locked_until" || cols[i] == "last_sign_in" || cols[i] == "mac") {
					continue
				}
				hashValue(h, v)
			}
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// rawValue reads one stored column as it is on disk (sealed values stay sealed): for sync
// tests that compare what devices hold, never for showing data.
func (s *Store) rawValue(ctx context.Context, table, id, column string, dst *any) error {
	cols, ok := syncColumns[table]
	if !ok || !slices.Contains(cols, column) {
		return fmt.Errorf("unknown column %s.%s", table, column)
	}
	return s.db.QueryRowContext(ctx, "SELECT "+column+" FROM "+table+" WHERE id = ?", id).Scan(dst)
}
