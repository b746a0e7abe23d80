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

// ClocksSchema is the first schema version with row clocks and the integrity state
// (migration 0009): from it on, a Snapshot costs what changed, not the database.
const ClocksSchema = 9

// snapshotOf computes a Snapshot from any connection to a Spoke database (a live one inside a
// read transaction, or a snapshot file). It reads no keys and decrypts nothing. A sealed
// database's content hash is the digest of its integrity state (integrity.go), which every
// write keeps current and Verify and the restore drill recompute from every row, and its
// counts are the state's: no table is scanned. A database not sealed yet (before the clocks,
// or migrated and not yet written) is hashed table by table as before.
func snapshotOf(ctx context.Context, q querier) (*Snapshot, error) {
	p := &Snapshot{Counts: map[string]int64{}}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&p.SchemaVersion); err != nil {
		return nil, err
	}
	state, err := getMeta(ctx, q, metaIntegrity)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	st, _, ok := parseState(state)
	if !ok {
		if err := legacyContent(ctx, q, p); err != nil {
			return nil, err
		}
	} else {
		d := sha256.Sum256(st.body())
		p.ContentHash = fmt.Sprintf("%x", d)
		p.ChangeSeq = st.maxSeq
		for code, t := range schema {
			if t.synced {
				p.Counts[t.name] = st.count(code)
			}
		}
	}
	var mac []byte
	err = q.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&p.AuditSeq, &mac)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	p.AuditHead = fmt.Sprintf("%x", mac)
	for k, dst := range map[string]*string{metaDBID: &p.DatabaseID, metaDeviceID: &p.DeviceID} {
		v, err := getMeta(ctx, q, k)
		if err != nil {
			return nil, err
		}
		*dst = string(v)
	}
	return p, nil
}

// legacyContent hashes every content table of the registry, in its order, each by its primary
// key (two databases with the same content give the same hash whatever their page layout), and
// counts its rows: the Snapshot of a database that has no integrity state.
func legacyContent(ctx context.Context, q querier, p *Snapshot) error {
	h := sha256.New()
	for _, t := range schema {
		if t.late {
			gone, err := t.missing(ctx, q, "main")
			some := false
			if err == nil && !gone {
				err = q.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM "+t.name+")").Scan(&some)
			}
			if err != nil {
				return fmt.Errorf("hash %s: %w", t.name, err)
			}
			if !some {
				continue // not there yet, or empty: hashed as the older database was
			}
		}
		rows, err := q.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.order)
		if err != nil {
			return fmt.Errorf("hash %s: %w", t.name, err)
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
				return err
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
			return err
		}
		p.Counts[t.name] = n
	}
	p.ContentHash = fmt.Sprintf("%x", h.Sum(nil))
	if p.SchemaVersion < ClocksSchema {
		var changes int64
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM changes").Scan(&changes, &p.ChangeSeq); err != nil {
			return err
		}
		p.Counts["changes"] = changes
		return nil
	}
	var err error
	p.ChangeSeq, err = maxSeq(ctx, q)
	return err
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

// uuidText is the SQL expression of a row_clocks id (16 bytes) as the row's text id.
const uuidText = `lower(substr(hex(r.id), 1, 8) || '-' || substr(hex(r.id), 9, 4) || '-' || substr(hex(r.id), 13, 4) || '-' || substr(hex(r.id), 17, 4) || '-' || substr(hex(r.id), 21))`

// deltaSchema is what a delta carries: the rows written since its parent (whole, with their
// clocks and MACs), the audit entries since, and the small tables whole (scope keys, the
// header with the integrity state, device numbers, kept conflicts, break-glass reasons' keys).
func deltaSchema() string {
	var b strings.Builder
	for _, t := range schema {
		if t.synced {
			fmt.Fprintf(&b, "CREATE TABLE delta.%s AS SELECT * FROM main.%s WHERE 0;\n", t.name, t.name)
		}
	}
	for _, t := range []string{"row_clocks", "cell_clocks", "devices", "audit", "scope_keys", "meta", "conflicts", "reason_keys"} {
		fmt.Fprintf(&b, "CREATE TABLE delta.%s AS SELECT * FROM main.%s WHERE 0;\n", t, t)
	}
	return b.String()
}

// BackupDelta writes to dst (a new SQLite file) every row written after from.ChangeSeq (its
// version, row_clocks.seq, says so: an index range), with its clocks, every audit entry after
// from.AuditSeq, and the small tables, taken in one read transaction together with the
// Snapshot it brings the database to. It reads what changed, not the database.
func (ss *Session) BackupDelta(ctx context.Context, dst string, from *Snapshot) (*Snapshot, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.delta", ""); err != nil {
		return nil, err
	}
	if from.SchemaVersion < ClocksSchema {
		return nil, fmt.Errorf("delta: the parent backup predates row clocks; make a full backup")
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
	fromSeq, toSeq := strconv.FormatInt(from.ChangeSeq, 10), strconv.FormatInt(p.ChangeSeq, 10)
	qs := []string{
		deltaSchema(),
		"INSERT INTO delta.row_clocks SELECT * FROM main.row_clocks WHERE seq > " + fromSeq + " AND seq <= " + toSeq,
		"INSERT INTO delta.cell_clocks SELECT c.* FROM delta.row_clocks r JOIN main.cell_clocks c ON c.id = r.id",
		"INSERT INTO delta.audit SELECT * FROM main.audit WHERE seq > " + strconv.FormatInt(from.AuditSeq, 10) + " AND seq <= " + strconv.FormatInt(p.AuditSeq, 10),
		"INSERT INTO delta.devices SELECT * FROM main.devices",
		"INSERT INTO delta.scope_keys SELECT * FROM main.scope_keys",
		"INSERT INTO delta.meta SELECT * FROM main.meta",
		"INSERT INTO delta.conflicts SELECT * FROM main.conflicts",
		"INSERT INTO delta.reason_keys SELECT * FROM main.reason_keys",
	}
	for code, t := range schema {
		if t.synced {
			qs = append(qs, "INSERT INTO delta."+t.name+" SELECT x.* FROM delta.row_clocks r JOIN main."+t.name+" x ON x.id = "+uuidText+
				" WHERE r.tbl = "+strconv.Itoa(code))
		}
	}
	for _, q := range qs {
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

// ApplyDelta brings this database to a delta's Snapshot in one transaction: the rows it carries
// replace this database's (parents first), with their clocks and MACs as the source had them,
// and the audit entries, scope keys, header (integrity state included), device numbers and
// conflicts are copied. It writes no audit entry of its own: the result is the source database
// at that moment, which the restore then verifies in full. A delta made before row clocks
// (it carries a change log) is replayed as it was then (legacyDelta). Used by restore; the
// store must be unlocked.
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
	var legacy bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM delta.sqlite_schema WHERE name = 'changes')").Scan(&legacy); err != nil {
		return fmt.Errorf("read delta: %w", err)
	}
	if legacy {
		err = s.legacyDelta(ctx, tx)
	} else {
		err = applyRows(ctx, tx)
	}
	if err != nil {
		return err
	}
	// Break-glass reasons' keys as they stood at the delta (one expired since the parent is
	// gone here too); a delta from before they existed leaves the parent's.
	var keyed bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM delta.sqlite_schema WHERE name = 'reason_keys')").Scan(&keyed); err != nil {
		return fmt.Errorf("read delta: %w", err)
	}
	if keyed {
		for _, q := range []string{"DELETE FROM main.reason_keys", "INSERT INTO main.reason_keys(device_id, seq, version, wrapped) SELECT device_id, seq, version, wrapped FROM delta.reason_keys"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("apply delta: %w", err)
			}
		}
	}
	// The rows came in as the source wrote them: nothing for this connection's next write to
	// re-MAC (the touched-row triggers, integrity.go, may have seen them).
	var tracked bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM temp.sqlite_master WHERE name = 'touched')").Scan(&tracked); err != nil {
		return err
	}
	if tracked {
		if _, err := tx.ExecContext(ctx, "DELETE FROM temp.touched"); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Keys, users and device numbers may have changed underneath the caches.
	s.mu.Lock()
	s.deks = map[string][]byte{}
	s.devs = nil
	s.mu.Unlock()
	return nil
}

// columnsOf is a delta table's column list, each checked to be a plain name.
func columnsOf(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	cols, err := queryStrings(ctx, tx, "SELECT name FROM pragma_table_info(?, 'delta')", table)
	if err != nil {
		return nil, fmt.Errorf("read delta: %w", err)
	}
	for _, c := range cols {
		if !isIdent(c) {
			return nil, fmt.Errorf("delta names an unknown table or column")
		}
	}
	return cols, nil
}

// auditCopy is the statement copying a delta's audit entries: the columns the delta has (one
// from before entries recorded their context has fewer; those stay at their defaults).
func auditCopy(ctx context.Context, tx *sql.Tx) (string, error) {
	cols, err := columnsOf(ctx, tx, "audit")
	if err != nil {
		return "", err
	}
	list := strings.Join(cols, ", ")
	return "INSERT INTO main.audit(" + list + ") SELECT " + list + " FROM delta.audit", nil
}

// applyRows copies a delta's rows and small tables into this database.
func applyRows(ctx context.Context, tx *sql.Tx) error {
	var qs []string
	qs = append(qs, "INSERT OR IGNORE INTO main.scope_keys SELECT * FROM delta.scope_keys",
		"INSERT OR REPLACE INTO main.devices SELECT * FROM delta.devices")
	for _, t := range schema {
		if !t.synced {
			continue
		}
		if gone, err := t.missing(ctx, tx, "delta"); err != nil || gone {
			if err != nil {
				return err
			}
			continue // a delta from a Spoke before the table
		}
		cols, err := columnsOf(ctx, tx, t.name)
		if err != nil {
			return err
		}
		sets := make([]string, 0, len(cols))
		for _, c := range cols {
			if c != "id" {
				sets = append(sets, c+" = excluded."+c)
			}
		}
		list := strings.Join(cols, ", ")
		qs = append(qs, "INSERT INTO main."+t.name+"("+list+") SELECT "+list+" FROM delta."+t.name+" WHERE true ON CONFLICT(id) DO UPDATE SET "+strings.Join(sets, ", "))
	}
	audit, err := auditCopy(ctx, tx)
	if err != nil {
		return err
	}
	qs = append(qs,
		"DELETE FROM main.cell_clocks WHERE id IN (SELECT id FROM delta.row_clocks)",
		"INSERT OR REPLACE INTO main.row_clocks SELECT * FROM delta.row_clocks",
		"INSERT INTO main.cell_clocks SELECT * FROM delta.cell_clocks",
		audit,
		"INSERT OR REPLACE INTO main.conflicts SELECT * FROM delta.conflicts",
		"INSERT INTO main.meta SELECT * FROM delta.meta WHERE true ON CONFLICT(key) DO UPDATE SET value = excluded.value")
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("apply delta: %w", err)
		}
	}
	return nil
}

// legacyDelta replays a delta made before row clocks (schema 8 and older): rows are rebuilt
// from its change records in order, derived columns recomputed with this store's keys, the
// records turned into clocks as migration 0009 turns a change log, and the audit entries, scope
// keys, header and whole staff rows copied.
func (s *Store) legacyDelta(ctx context.Context, tx *sql.Tx) error {
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
	if err := legacyClocks(ctx, tx); err != nil {
		return err
	}
	ucols, err := columnsOf(ctx, tx, "users")
	if err != nil {
		return err
	}
	usersCopy := "INSERT INTO main.users(" + strings.Join(ucols, ", ") + ") SELECT " + strings.Join(ucols, ", ") +
		` FROM delta.users WHERE true ON CONFLICT(id) DO UPDATE SET
			failed_attempts = excluded.failed_attempts, locked_until = excluded.locked_until,
			last_sign_in = excluded.last_sign_in, mac = excluded.mac`
	if slices.Contains(ucols, "version") {
		usersCopy += ", version = excluded.version"
	}
	audit, err := auditCopy(ctx, tx)
	if err != nil {
		return err
	}
	for _, q := range []string{
		audit,
		"INSERT INTO main.meta SELECT * FROM delta.meta WHERE true ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		usersCopy,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("apply delta: %w", err)
		}
	}
	return nil
}

// legacyClocks turns a legacy delta's change records into clocks, as migration 0009 does: a
// row's version is its newest record's seq, each cell's clock its newest write.
func legacyClocks(ctx context.Context, tx *sql.Tx) error {
	var codes []string
	for ti, t := range schema {
		for ci, c := range t.cols {
			if c.class != Derived {
				codes = append(codes, fmt.Sprintf("('%s', '%s', %d, %d)", t.name, c.name, ti, ci))
			}
		}
	}
	for _, q := range []string{
		"CREATE TEMP TABLE IF NOT EXISTS legacy_codes (tbl TEXT NOT NULL, col TEXT NOT NULL, t INTEGER NOT NULL, c INTEGER NOT NULL, PRIMARY KEY (tbl, col))",
		"DELETE FROM temp.legacy_codes",
		"INSERT INTO temp.legacy_codes VALUES " + strings.Join(codes, ", "),
		"INSERT OR IGNORE INTO main.devices(id) SELECT DISTINCT device_id FROM delta.changes ORDER BY device_id",
		`INSERT INTO main.row_clocks(id, tbl, hlc, dev, base_seq, seq)
			SELECT unhex(replace(ch.row_id, '-', '')), MIN(k.t), 0, 0, MIN(ch.seq), MAX(ch.seq)
			FROM delta.changes ch JOIN temp.legacy_codes k ON k.tbl = ch.tbl AND k.col = ch.col
			GROUP BY ch.row_id
			ON CONFLICT(id) DO UPDATE SET seq = max(seq, excluded.seq)`,
		`INSERT INTO main.cell_clocks(id, col, hlc, dev, seq)
			SELECT unhex(replace(n.row_id, '-', '')), k.c, n.hlc, d.n, n.seq
			FROM (SELECT row_id, tbl, col, hlc, device_id, seq,
					row_number() OVER (PARTITION BY row_id, col ORDER BY hlc DESC, device_id DESC) AS rn
				FROM delta.changes) n
			JOIN temp.legacy_codes k ON k.tbl = n.tbl AND k.col = n.col
			JOIN main.devices d ON d.id = n.device_id
			WHERE n.rn = 1
			ON CONFLICT(id, col) DO UPDATE SET hlc = excluded.hlc, dev = excluded.dev, seq = excluded.seq
				WHERE excluded.hlc > cell_clocks.hlc OR (excluded.hlc = cell_clocks.hlc AND excluded.seq > cell_clocks.seq)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("apply delta clocks: %w", err)
		}
	}
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
