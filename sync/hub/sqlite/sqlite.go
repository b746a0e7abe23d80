// Package sqlite is the hub's default storage: one SQLite file (modernc.org/sqlite,
// pure Go, so the hub still builds with CGO_ENABLED=0) in the hub's data
// directory, with no set-up at all.
//
// Writes go through a single connection with immediate transactions, so
// SQLite's one-writer rule becomes a queue instead of SQLITE_BUSY errors,
// and change-set cursors are assigned and committed in the same order: a
// reader paging by cursor can never skip one. Reads use a separate pool.
// Several hub processes may open the same file (each queues behind the
// file lock), but one hub per SQLite file is the intended use; a chain that
// outgrows it moves to spoke/sync/hub/postgres.
//
// The package stores what the hub hands it — sealed bytes, public keys,
// hashes — and never logs.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"spoke/protocol"
	"spoke/sync/hub"
)

var _ hub.Storage = (*Storage)(nil)

// Storage is the SQLite implementation of hub.Storage.
type Storage struct {
	w *sql.DB // one connection: the write queue
	r *sql.DB // readers
}

// migrations take the schema from version i (PRAGMA user_version) to i+1, each in the
// transaction that sets the new version, so a file is always at one whole version.
var migrations = []string{schemaV1, schemaV2, schemaV3, schemaV4}

// schemaV1 is the first schema (user_version 1).
const schemaV1 = `
CREATE TABLE IF NOT EXISTS changesets (
	cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
	device      TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	scope       TEXT    NOT NULL,
	key_version INTEGER NOT NULL,
	digest      BLOB    NOT NULL,
	body        BLOB    NOT NULL,
	received_at INTEGER NOT NULL,
	UNIQUE (device, seq)
);
CREATE TABLE IF NOT EXISTS devices (
	id          TEXT PRIMARY KEY,
	label       BLOB,
	role        TEXT    NOT NULL,
	scopes      TEXT    NOT NULL,
	signing_key BLOB    NOT NULL,
	hpke_key    BLOB    NOT NULL,
	cert_serial TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	enrolled_at INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL DEFAULT 0,
	revoked_at  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
	id          TEXT PRIMARY KEY,
	secret_hash BLOB    NOT NULL,
	role        TEXT    NOT NULL,
	scopes      TEXT    NOT NULL,
	label       BLOB,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER NOT NULL DEFAULT 0,
	device      TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS envelopes (
	recipient  TEXT    NOT NULL,
	scope      TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	sender     TEXT    NOT NULL,
	sealed     BLOB    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (recipient, scope, version)
);
CREATE TABLE IF NOT EXISTS checkpoints (
	device      TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	head        BLOB    NOT NULL,
	signature   BLOB    NOT NULL,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (device, seq)
);
CREATE TABLE IF NOT EXISTS roster (
	seq         INTEGER PRIMARY KEY,
	entry       BLOB    NOT NULL,
	received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS roster_heads (
	device      TEXT PRIMARY KEY,
	head        BLOB    NOT NULL,
	received_at INTEGER NOT NULL
);
`

// schemaV2 adds compaction: each device's pulled cursor, and snapshots with their parts
// (deleted with them). At most one snapshot per scope is committed.
const schemaV2 = `
ALTER TABLE devices ADD COLUMN pulled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX changesets_scope_key_version ON changesets (scope, key_version);
CREATE TABLE snapshots (
	scope        TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	device       TEXT    NOT NULL,
	point        INTEGER NOT NULL,
	key_version  INTEGER NOT NULL,
	parts        INTEGER NOT NULL,
	staged_at    INTEGER NOT NULL,
	committed_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, id)
);
CREATE UNIQUE INDEX snapshots_one_committed ON snapshots (scope) WHERE committed_at <> 0;
CREATE INDEX snapshots_device ON snapshots (device);
CREATE TABLE snapshot_parts (
	scope  TEXT    NOT NULL,
	id     TEXT    NOT NULL,
	part   INTEGER NOT NULL,
	digest BLOB    NOT NULL,
	body   BLOB    NOT NULL,
	PRIMARY KEY (scope, id, part),
	FOREIGN KEY (scope, id) REFERENCES snapshots (scope, id) ON DELETE CASCADE
);
`

// schemaV3 adds each device's reported Spoke version and the time of that report (its last
// sync round).
const schemaV3 = `
ALTER TABLE devices ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN last_sync INTEGER NOT NULL DEFAULT 0;
`

// schemaV4 adds one-click unsubscribe: the SHA-256 (32 bytes) of each registered token with
// its scope, and the first click of a hash (seq, increasing in commit order). Nothing else:
// no token, no address, no customer.
const schemaV4 = `
CREATE TABLE unsubscribe_hashes (
	hash          BLOB    PRIMARY KEY,
	scope         TEXT    NOT NULL,
	registered_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unsubscribe_hashes_scope ON unsubscribe_hashes (scope);
CREATE TABLE unsubscribe_clicks (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	hash       BLOB    NOT NULL UNIQUE REFERENCES unsubscribe_hashes (hash) ON DELETE CASCADE,
	scope      TEXT    NOT NULL,
	clicked_at INTEGER NOT NULL
);
CREATE INDEX unsubscribe_clicks_scope ON unsubscribe_clicks (scope, seq);
`

// Open opens (creating if needed, owner-only) the database file at path.
func Open(ctx context.Context, path string) (*Storage, error) {
	// Create the file owner-only; SQLite gives the -wal and -shm files the
	// same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open hub database: %w", err)
	}
	f.Close()
	dsn := func(readOnly bool) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(15000)", "foreign_keys(ON)", "secure_delete(ON)"} {
			q.Add("_pragma", p)
		}
		if readOnly {
			q.Add("_pragma", "query_only(ON)")
		}
		// Immediate write transactions: a deferred one that upgrades to a
		// writer can get SQLITE_BUSY without honouring busy_timeout.
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("open hub database: %w", err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open hub database: %w", err)
	}
	r.SetMaxOpenConns(4)
	s := &Storage{w: w, r: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrate brings the file to the newest schema in one immediate transaction, so several hub
// processes opening it at once queue and the second finds nothing left to do.
func (s *Storage) migrate(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("the database has schema version %d, newer than this spoke-hub knows (%d): update spoke-hub", v, len(migrations))
		}
		if v == len(migrations) {
			return nil
		}
		for ; v < len(migrations); v++ {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("to version %d: %w", v+1, err)
			}
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)))
		return err
	})
	if err != nil {
		return fmt.Errorf("create hub schema: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Storage) Close() error {
	return errors.Join(s.w.Close(), s.r.Close())
}

// Ping checks the database answers.
func (s *Storage) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func ms(t time.Time) int64 { return hub.Millis(t) }

func at(v int64) time.Time { return hub.FromMillis(v) }

func isUnique(err error) bool {
	var se *sqlite3.Error
	return errors.As(err, &se) && (se.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE)
}

// inTx runs fn in an immediate write transaction.
func (s *Storage) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// PutChangeSet implements hub.Storage.
func (s *Storage) PutChangeSet(ctx context.Context, cs hub.ChangeSet) (int64, bool, error) {
	var cursor int64
	var dup bool
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		cursor, dup, err = hub.PutChangeSetRule(changeSetTx{ctx, tx}, cs)
		return err
	})
	if err != nil {
		return 0, false, hub.StorageErr("put change-set", err, hub.ErrConflict)
	}
	return cursor, dup, nil
}

type changeSetTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (c changeSetTx) Insert(cs hub.ChangeSet, digest []byte) (int64, bool, error) {
	var cursor int64
	err := c.tx.QueryRowContext(c.ctx, `INSERT INTO changesets(device, seq, scope, key_version, digest, body, received_at)
		VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(device, seq) DO NOTHING RETURNING cursor`,
		cs.Device, int64(cs.Seq), cs.Scope, int64(cs.KeyVersion), digest, cs.Bytes, ms(cs.ReceivedAt)).Scan(&cursor)
	inserted, err := hub.Found(err, sql.ErrNoRows)
	return cursor, inserted, err
}

func (c changeSetTx) Stored(device string, seq uint64) (cursor int64, digest []byte, err error) {
	err = c.tx.QueryRowContext(c.ctx, "SELECT cursor, digest FROM changesets WHERE device = ? AND seq = ?", device, int64(seq)).Scan(&cursor, &digest)
	return cursor, digest, err
}

// ChangeSets implements hub.Storage. With a byte budget, an inner query
// finds the last cursor of the page from the sets' lengths (length() of a
// blob reads the record header, not the blob), and only the sets up to it
// are read whole.
func (s *Storage) ChangeSets(ctx context.Context, f hub.ChangeSetFilter) ([]hub.ChangeSet, error) {
	limit, ok := f.Page()
	if !ok {
		return nil, nil
	}
	where := "cursor > ?"
	args := []any{f.After}
	if !f.AllScopes {
		where += " AND scope IN (?" + strings.Repeat(", ?", len(f.Scopes)-1) + ")"
		for _, sc := range f.Scopes {
			args = append(args, sc)
		}
	}
	q := "SELECT cursor, device, seq, scope, key_version, body, received_at FROM changesets WHERE " + where
	if f.MaxBytes > 0 {
		// The page is a prefix: a set is in while the bytes up to and
		// including it fit, and the first set always is (nothing before it).
		q += ` AND cursor <= (SELECT MAX(cursor) FROM (
			SELECT cursor, n, SUM(n) OVER (ORDER BY cursor ROWS UNBOUNDED PRECEDING) AS upto FROM (
				SELECT cursor, length(body) AS n FROM changesets WHERE ` + where + ` ORDER BY cursor LIMIT ?))
			WHERE upto - n = 0 OR upto <= ?)`
		args = append(args, args...)
		args = append(args, limit, f.MaxBytes)
	}
	q += " ORDER BY cursor LIMIT ?"
	args = append(args, limit)
	return collect("read change-sets", scanChangeSet)(s.r.QueryContext(ctx, q, args...))
}

func scanChangeSet(r scanner) (hub.ChangeSet, error) {
	var c hub.ChangeSet
	var seq, kv, recv int64
	err := r.Scan(&c.Cursor, &c.Device, &seq, &c.Scope, &kv, &c.Bytes, &recv)
	c.Seq, c.KeyVersion, c.ReceivedAt = uint64(seq), uint32(kv), at(recv)
	return c, err
}

// StoredBytes implements hub.Storage.
func (s *Storage) StoredBytes(ctx context.Context, device string) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT COALESCE(SUM(length(body)), 0) FROM changesets WHERE device = ?", device).Scan(&n); err != nil {
		return 0, fmt.Errorf("read stored bytes: %w", err)
	}
	return n, nil
}

func scopesJSON(scopes []string) string {
	if scopes == nil {
		scopes = []string{}
	}
	b, _ := json.Marshal(scopes)
	return string(b)
}

func parseScopes(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

const deviceCols = "id, label, role, scopes, signing_key, hpke_key, cert_serial, status, enrolled_at, last_seen, revoked_at, pulled, version, last_sync"

func insertDevice(ctx context.Context, tx *sql.Tx, d hub.Device) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO devices("+deviceCols+") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.Label, string(d.Role), scopesJSON(d.Scopes), d.SigningKey, d.HPKEKey, d.CertSerial, string(d.Status),
		ms(d.EnrolledAt), ms(d.LastSeen), ms(d.RevokedAt), d.Pulled, d.Version, ms(d.LastSync))
	if isUnique(err) {
		return hub.ErrExists
	}
	return err
}

type scanner interface{ Scan(...any) error }

// collect reads every row of a query with scan, in order (nil for none); a failure gets op's
// context.
func collect[T any](op string, scan func(scanner) (T, error)) func(*sql.Rows, error) ([]T, error) {
	return func(rows *sql.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		defer rows.Close()
		var out []T
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return out, nil
	}
}

func scanBlob(r scanner) ([]byte, error) {
	var b []byte
	err := r.Scan(&b)
	return b, err
}

func scanDevice(r scanner) (hub.Device, error) {
	var d hub.Device
	var role, scopes, status string
	var enrolled, seen, revoked, synced int64
	if err := r.Scan(&d.ID, &d.Label, &role, &scopes, &d.SigningKey, &d.HPKEKey, &d.CertSerial, &status, &enrolled, &seen, &revoked, &d.Pulled,
		&d.Version, &synced); err != nil {
		return d, err
	}
	var err error
	d.Scopes, err = parseScopes(scopes)
	d.Role, d.Status = protocol.Role(role), protocol.Status(status)
	d.EnrolledAt, d.LastSeen, d.RevokedAt, d.LastSync = at(enrolled), at(seen), at(revoked), at(synced)
	return d, err
}

// AddDevice implements hub.Storage.
func (s *Storage) AddDevice(ctx context.Context, d hub.Device) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return insertDevice(ctx, tx, d) })
	return hub.StorageErr("add device", err, hub.ErrExists)
}

// Device implements hub.Storage.
func (s *Storage) Device(ctx context.Context, id string) (hub.Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, "SELECT "+deviceCols+" FROM devices WHERE id = ?", id))
	return d, hub.ReadErr("read device", err, sql.ErrNoRows)
}

// Devices implements hub.Storage.
func (s *Storage) Devices(ctx context.Context) ([]hub.Device, error) {
	return collect("list devices", scanDevice)(s.r.QueryContext(ctx, "SELECT "+deviceCols+" FROM devices ORDER BY id"))
}

// RevokeDevice implements hub.Storage. The single writer connection serialises revocations.
func (s *Storage) RevokeDevice(ctx context.Context, id string, when time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return hub.RevokeDeviceRule(revokeTx{ctx, tx, when}, id) })
	return hub.StorageErr("revoke device", err, hub.ErrNotFound, hub.ErrLastOwner)
}

type revokeTx struct {
	ctx  context.Context
	tx   *sql.Tx
	when time.Time
}

func (r revokeTx) Role(id string) (protocol.Role, bool, error) {
	var role string
	err := r.tx.QueryRowContext(r.ctx, "SELECT role FROM devices WHERE id = ?", id).Scan(&role)
	found, err := hub.Found(err, sql.ErrNoRows)
	return protocol.Role(role), found, err
}

func (r revokeTx) ActiveOwners() (n int, err error) {
	err = r.tx.QueryRowContext(r.ctx, "SELECT COUNT(*) FROM devices WHERE role = ? AND status = ?",
		string(protocol.RoleOwner), string(protocol.StatusActive)).Scan(&n)
	return n, err
}

func (r revokeTx) Status(id string) (protocol.Status, error) {
	var status string
	err := r.tx.QueryRowContext(r.ctx, "SELECT status FROM devices WHERE id = ?", id).Scan(&status)
	return protocol.Status(status), err
}

func (r revokeTx) Revoke(id string) error {
	_, err := r.tx.ExecContext(r.ctx, "UPDATE devices SET status = ?, revoked_at = ? WHERE id = ?", string(protocol.StatusRevoked), ms(r.when), id)
	return err
}

// TouchDevice implements hub.Storage.
func (s *Storage) TouchDevice(ctx context.Context, id string, when time.Time) error {
	return hub.StorageErr("touch device", hub.TouchDeviceRule(touchTx{ctx, s}, id, when), hub.ErrNotFound)
}

// SetDeviceVersion implements hub.Storage.
func (s *Storage) SetDeviceVersion(ctx context.Context, id, version string, when time.Time) error {
	return hub.StorageErr("set device version", hub.SetDeviceVersionRule(versionTx{ctx, s}, id, version, when), hub.ErrNotFound)
}

type versionTx touchTx

func (t versionTx) SetVersion(id, version string, when time.Time) (bool, error) {
	res, err := t.s.w.ExecContext(t.ctx, "UPDATE devices SET version = ?, last_sync = ? WHERE id = ? AND last_sync <= ?", version, ms(when), id, ms(when))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t versionTx) Exists(id string) (bool, error) { return touchTx(t).Exists(id) }

type touchTx struct {
	ctx context.Context
	s   *Storage
}

func (t touchTx) MoveLastSeen(id string, when time.Time) (bool, error) {
	res, err := t.s.w.ExecContext(t.ctx, "UPDATE devices SET last_seen = ? WHERE id = ? AND last_seen < ?", ms(when), id, ms(when))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t touchTx) Exists(id string) (bool, error) {
	var one int
	err := t.s.r.QueryRowContext(t.ctx, "SELECT 1 FROM devices WHERE id = ?", id).Scan(&one)
	return hub.Found(err, sql.ErrNoRows)
}

// CreateToken implements hub.Storage.
func (s *Storage) CreateToken(ctx context.Context, t hub.Token) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO tokens(id, secret_hash, role, scopes, label, created_by, created_at, expires_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.SecretHash, string(t.Role), scopesJSON(t.Scopes), t.Label, t.CreatedBy,
		ms(t.CreatedAt), ms(t.ExpiresAt))
	if isUnique(err) {
		return hub.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenCols = "id, secret_hash, role, scopes, label, created_by, created_at, expires_at, used_at, device"

func scanToken(r scanner) (hub.Token, error) {
	var t hub.Token
	var role, scopes string
	var created, expires, used int64
	if err := r.Scan(&t.ID, &t.SecretHash, &role, &scopes, &t.Label, &t.CreatedBy, &created, &expires, &used, &t.Device); err != nil {
		return t, err
	}
	var err error
	t.Scopes, err = parseScopes(scopes)
	t.Role = protocol.Role(role)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = at(created), at(expires), at(used)
	return t, err
}

// Token implements hub.Storage.
func (s *Storage) Token(ctx context.Context, id string) (hub.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?", id))
	return t, hub.ReadErr("read token", err, sql.ErrNoRows)
}

// RedeemToken implements hub.Storage.
func (s *Storage) RedeemToken(ctx context.Context, id string, secretHash []byte, now time.Time, d hub.Device) (hub.Device, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		d, err = hub.RedeemTokenRule(redeemTx{ctx, tx}, id, secretHash, now, d)
		return err
	})
	if err != nil {
		return hub.Device{}, hub.StorageErr("redeem token", err, hub.ErrTokenInvalid, hub.ErrExists)
	}
	return d, nil
}

type redeemTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (r redeemTx) Token(id string) (hub.Token, bool, error) {
	t, err := scanToken(r.tx.QueryRowContext(r.ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?", id))
	found, err := hub.Found(err, sql.ErrNoRows)
	return t, found, err
}

func (r redeemTx) InsertDevice(d hub.Device) error { return insertDevice(r.ctx, r.tx, d) }

func (r redeemTx) MarkUsed(id, device string, now time.Time) error {
	_, err := r.tx.ExecContext(r.ctx, "UPDATE tokens SET used_at = ?, device = ? WHERE id = ?", ms(now), device, id)
	return err
}

func (r redeemTx) MoveEnvelopes(from, to string) error {
	_, err := r.tx.ExecContext(r.ctx, "UPDATE envelopes SET recipient = ? WHERE recipient = ?", to, from)
	return err
}

// DeleteExpiredTokens implements hub.Storage.
func (s *Storage) DeleteExpiredTokens(ctx context.Context, now time.Time) (tokens, envelopes int64, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM tokens WHERE used_at = 0 AND expires_at <= ?", ms(now))
		if err != nil {
			return err
		}
		tokens, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `DELETE FROM envelopes WHERE substr(recipient, 1, 6) = 'token:'
			AND substr(recipient, 7) NOT IN (SELECT id FROM tokens WHERE used_at = 0 AND expires_at > ?)`, ms(now))
		if err != nil {
			return err
		}
		envelopes, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("delete expired tokens: %w", err)
	}
	return tokens, envelopes, nil
}

// PutEnvelope implements hub.Storage.
func (s *Storage) PutEnvelope(ctx context.Context, e hub.Envelope) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO envelopes(recipient, scope, version, sender, sealed, updated_at) VALUES(?, ?, ?, ?, ?, ?)
		ON CONFLICT(recipient, scope, version) DO UPDATE SET sender = excluded.sender, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		e.To, e.Scope, int64(e.Version), e.From, e.Sealed, ms(e.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put envelope: %w", err)
	}
	return nil
}

// Envelopes implements hub.Storage.
func (s *Storage) Envelopes(ctx context.Context, to string) ([]hub.Envelope, error) {
	return collect("read envelopes", scanEnvelope)(s.r.QueryContext(ctx, `SELECT recipient, scope, version, sender, sealed, updated_at FROM envelopes
		WHERE recipient = ? ORDER BY scope, version`, to))
}

func scanEnvelope(r scanner) (hub.Envelope, error) {
	var e hub.Envelope
	var v, upd int64
	err := r.Scan(&e.To, &e.Scope, &v, &e.From, &e.Sealed, &upd)
	e.Version, e.UpdatedAt = uint32(v), at(upd)
	return e, err
}

// PutCheckpoint implements hub.Storage.
func (s *Storage) PutCheckpoint(ctx context.Context, c protocol.Checkpoint) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return hub.PutCheckpointRule(checkpointTx{ctx, tx}, c) })
	return hub.StorageErr("put checkpoint", err, hub.ErrConflict)
}

type checkpointTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (t checkpointTx) Insert(c protocol.Checkpoint) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO checkpoints(device, seq, head, signature, received_at) VALUES(?, ?, ?, ?, ?)
		ON CONFLICT(device, seq) DO NOTHING`, c.Device, int64(c.Seq), c.Head, c.Signature, ms(c.ReceivedAt))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t checkpointTx) Stored(device string, seq uint64) (head, sig []byte, err error) {
	err = t.tx.QueryRowContext(t.ctx, "SELECT head, signature FROM checkpoints WHERE device = ? AND seq = ?", device, int64(seq)).Scan(&head, &sig)
	return head, sig, err
}

const checkpointCols = "device, seq, head, signature, received_at"

func scanCheckpoint(r scanner) (protocol.Checkpoint, error) {
	var c protocol.Checkpoint
	var seq, recv int64
	err := r.Scan(&c.Device, &seq, &c.Head, &c.Signature, &recv)
	c.Seq, c.ReceivedAt = uint64(seq), at(recv)
	return c, err
}

// LatestCheckpoint implements hub.Storage.
func (s *Storage) LatestCheckpoint(ctx context.Context, device string) (protocol.Checkpoint, error) {
	c, err := scanCheckpoint(s.r.QueryRowContext(ctx, "SELECT "+checkpointCols+" FROM checkpoints WHERE device = ? ORDER BY seq DESC LIMIT 1", device))
	return c, hub.ReadErr("read checkpoint", err, sql.ErrNoRows)
}

// Checkpoints implements hub.Storage.
func (s *Storage) Checkpoints(ctx context.Context, device string, after uint64, limit int) ([]protocol.Checkpoint, error) {
	limit, ok := hub.CheckpointPage(after, limit)
	if !ok {
		return nil, nil
	}
	return collect("read checkpoints", scanCheckpoint)(s.r.QueryContext(ctx,
		"SELECT "+checkpointCols+" FROM checkpoints WHERE device = ? AND seq > ? ORDER BY seq LIMIT ?", device, int64(after), limit))
}
