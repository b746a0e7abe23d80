// Package postgres is the hub's storage for chains that outgrow one hub
// machine: PostgreSQL through github.com/jackc/pgx/v5, shared by any number
// of hub processes.
//
// Correctness with several processes rests on the database, never on
// process memory:
//   - a (device, seq) pair is unique, so a push stored through one hub is a
//     duplicate (or a replay) through every other;
//   - change-set inserts take an EXCLUSIVE lock on the changesets table for
//     their transaction, so cursors are assigned in commit order. Without it
//     two hubs could commit cursors 8 and 7 in that order, and a device that
//     had already paged past 8 would never see 7. Readers are not blocked
//     (EXCLUSIVE lets plain SELECTs through);
//   - redeeming a token locks its row (SELECT … FOR UPDATE), so one code
//     enrolls one device even when two hubs receive it at once; revoking an
//     owner device locks every active owner row, so two owners revoking each
//     other at once cannot leave none.
//
// Tables are created unqualified, in the first schema of the connection's
// search_path (add ?search_path=NAME to the URL to use a schema of its own).
// The package stores what the hub hands it and never logs.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"spoke/protocol"
	"spoke/sync/hub"
)

var _ hub.Storage = (*Storage)(nil)

// Storage is the PostgreSQL implementation of hub.Storage.
type Storage struct {
	pool *pgxpool.Pool
}

// migrateLock is the advisory lock key (two int4 halves: "spok", "hub1") that
// serialises schema creation when several hubs start at once.
const migrateLockA, migrateLockB = 0x73706f6b, 0x68756231

const schema = `
CREATE TABLE IF NOT EXISTS changesets (
	cursor      BIGSERIAL PRIMARY KEY,
	device      TEXT        NOT NULL,
	seq         BIGINT      NOT NULL,
	scope       TEXT        NOT NULL,
	key_version BIGINT      NOT NULL,
	digest      BYTEA       NOT NULL,
	body        BYTEA       NOT NULL,
	received_at TIMESTAMPTZ NOT NULL,
	UNIQUE (device, seq)
);
CREATE INDEX IF NOT EXISTS changesets_scope_cursor ON changesets (scope, cursor);
CREATE TABLE IF NOT EXISTS devices (
	id          TEXT PRIMARY KEY,
	label       BYTEA,
	role        TEXT        NOT NULL,
	scopes      TEXT[]      NOT NULL,
	signing_key BYTEA       NOT NULL,
	hpke_key    BYTEA       NOT NULL,
	cert_serial TEXT        NOT NULL,
	status      TEXT        NOT NULL,
	enrolled_at TIMESTAMPTZ NOT NULL,
	last_seen   TIMESTAMPTZ,
	revoked_at  TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS tokens (
	id          TEXT PRIMARY KEY,
	secret_hash BYTEA       NOT NULL,
	role        TEXT        NOT NULL,
	scopes      TEXT[]      NOT NULL,
	label       BYTEA,
	created_by  TEXT        NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	used_at     TIMESTAMPTZ,
	device      TEXT        NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS envelopes (
	recipient  TEXT        NOT NULL,
	scope      TEXT        NOT NULL,
	version    BIGINT      NOT NULL,
	sender     TEXT        NOT NULL,
	sealed     BYTEA       NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (recipient, scope, version)
);
CREATE TABLE IF NOT EXISTS checkpoints (
	device      TEXT        NOT NULL,
	seq         BIGINT      NOT NULL,
	head        BYTEA       NOT NULL,
	signature   BYTEA       NOT NULL,
	received_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (device, seq)
);
CREATE TABLE IF NOT EXISTS roster (
	seq         BIGINT PRIMARY KEY,
	entry       BYTEA       NOT NULL,
	received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS roster_heads (
	device      TEXT PRIMARY KEY,
	head        BYTEA       NOT NULL,
	received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL);
`

// schemaVersion is the version migrate brings a database to.
const schemaVersion = 4

// schemaV2 adds compaction: each device's pulled cursor, and snapshots with their parts
// (deleted with them). At most one snapshot per scope is committed.
const schemaV2 = `
ALTER TABLE devices ADD COLUMN IF NOT EXISTS pulled BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS changesets_scope_key_version ON changesets (scope, key_version);
CREATE TABLE IF NOT EXISTS snapshots (
	scope        TEXT        NOT NULL,
	id           TEXT        NOT NULL,
	device       TEXT        NOT NULL,
	point        BIGINT      NOT NULL,
	key_version  BIGINT      NOT NULL,
	parts        BIGINT      NOT NULL,
	staged_at    TIMESTAMPTZ NOT NULL,
	committed_at TIMESTAMPTZ,
	PRIMARY KEY (scope, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_one_committed ON snapshots (scope) WHERE committed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS snapshots_device ON snapshots (device);
CREATE TABLE IF NOT EXISTS snapshot_parts (
	scope  TEXT   NOT NULL,
	id     TEXT   NOT NULL,
	part   BIGINT NOT NULL,
	digest BYTEA  NOT NULL,
	body   BYTEA  NOT NULL,
	PRIMARY KEY (scope, id, part),
	FOREIGN KEY (scope, id) REFERENCES snapshots (scope, id) ON DELETE CASCADE
);
`

// schemaV3 adds each device's reported Spoke version and the time of that report (its last
// sync round).
const schemaV3 = `
ALTER TABLE devices ADD COLUMN IF NOT EXISTS version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_sync TIMESTAMPTZ;
`

// schemaV4 adds one-click unsubscribe: the SHA-256 (32 bytes) of each registered token with
// its scope, and the first click of a hash (seq, increasing in commit order). Nothing else:
// no token, no address, no customer.
const schemaV4 = `
CREATE TABLE IF NOT EXISTS unsubscribe_hashes (
	hash          BYTEA       PRIMARY KEY,
	scope         TEXT        NOT NULL,
	registered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS unsubscribe_hashes_scope ON unsubscribe_hashes (scope);
CREATE TABLE IF NOT EXISTS unsubscribe_clicks (
	seq        BIGSERIAL   PRIMARY KEY,
	hash       BYTEA       NOT NULL UNIQUE REFERENCES unsubscribe_hashes (hash) ON DELETE CASCADE,
	scope      TEXT        NOT NULL,
	clicked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS unsubscribe_clicks_scope ON unsubscribe_clicks (scope, seq);
`

// Open connects to the database at url (a postgres:// URL or a key=value
// string, as pgx accepts) and creates the tables if they are missing.
func Open(ctx context.Context, url string) (*Storage, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included.
		return nil, errors.New("open hub database: the PostgreSQL URL does not parse")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 16 // hub requests are short; a handful of cores keeps 16 busy
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open hub database: %w", err)
	}
	s := &Storage{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Storage) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", int32(migrateLockA), int32(migrateLockB)); err != nil {
			return fmt.Errorf("create hub schema: %w", err)
		}
		if _, err := tx.Exec(ctx, schema); err != nil {
			return fmt.Errorf("create hub schema: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_version").Scan(&n); err != nil {
			return fmt.Errorf("create hub schema: %w", err)
		}
		if n == 0 {
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version(version) VALUES(1)"); err != nil {
				return fmt.Errorf("create hub schema: %w", err)
			}
		}
		var v int
		if err := tx.QueryRow(ctx, "SELECT max(version) FROM schema_version").Scan(&v); err != nil {
			return fmt.Errorf("create hub schema: %w", err)
		}
		if v > schemaVersion {
			return fmt.Errorf("create hub schema: the database has schema version %d, newer than this spoke-hub knows (%d): update spoke-hub", v, schemaVersion)
		}
		if v < 2 {
			if _, err := tx.Exec(ctx, schemaV2); err != nil {
				return fmt.Errorf("create hub schema: to version 2: %w", err)
			}
		}
		if v < 3 {
			if _, err := tx.Exec(ctx, schemaV3); err != nil {
				return fmt.Errorf("create hub schema: to version 3: %w", err)
			}
		}
		if v < 4 {
			if _, err := tx.Exec(ctx, schemaV4); err != nil {
				return fmt.Errorf("create hub schema: to version 4: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE schema_version SET version = $1", schemaVersion); err != nil {
			return fmt.Errorf("create hub schema: %w", err)
		}
		return nil
	})
}

// Close closes the pool.
func (s *Storage) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks the database answers.
func (s *Storage) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ts returns a nullable timestamp argument: the zero time is NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func val(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// collect reads every row of a query with scan, in order (nil for none, as the other backend
// answers); a failure gets op's context.
func collect[T any](op string, scan func(pgx.Row) (T, error)) func(pgx.Rows, error) ([]T, error) {
	return func(rows pgx.Rows, err error) ([]T, error) {
		var out []T
		if err == nil {
			out, err = pgx.AppendRows(out, rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return out, nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// PutChangeSet implements hub.Storage.
func (s *Storage) PutChangeSet(ctx context.Context, cs hub.ChangeSet) (int64, bool, error) {
	var cursor int64
	var dup bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		// Serialise inserts so cursors commit in order (see the package doc).
		if _, err := tx.Exec(ctx, "LOCK TABLE changesets IN EXCLUSIVE MODE"); err != nil {
			return err
		}
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
	tx  pgx.Tx
}

func (c changeSetTx) Insert(cs hub.ChangeSet, digest []byte) (int64, bool, error) {
	var cursor int64
	err := c.tx.QueryRow(c.ctx, `INSERT INTO changesets(device, seq, scope, key_version, digest, body, received_at)
		VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device, seq) DO NOTHING RETURNING cursor`,
		cs.Device, int64(cs.Seq), cs.Scope, int64(cs.KeyVersion), digest, cs.Bytes, cs.ReceivedAt.UTC()).Scan(&cursor)
	inserted, err := hub.Found(err, pgx.ErrNoRows)
	return cursor, inserted, err
}

func (c changeSetTx) Stored(device string, seq uint64) (cursor int64, digest []byte, err error) {
	err = c.tx.QueryRow(c.ctx, "SELECT cursor, digest FROM changesets WHERE device = $1 AND seq = $2", device, int64(seq)).Scan(&cursor, &digest)
	return cursor, digest, err
}

// ChangeSets implements hub.Storage. With a byte budget, an inner query
// finds the last cursor of the page from the sets' lengths (octet_length of
// a TOASTed bytea reads its size from the TOAST pointer, not the value), and
// only the sets up to it are read whole.
func (s *Storage) ChangeSets(ctx context.Context, f hub.ChangeSetFilter) ([]hub.ChangeSet, error) {
	limit, ok := f.Page()
	if !ok {
		return nil, nil
	}
	where := "cursor > $1"
	args := []any{f.After, limit}
	if !f.AllScopes {
		where += " AND scope = ANY($3)"
		args = append(args, f.Scopes)
	}
	q := "SELECT cursor, device, seq, scope, key_version, body, received_at FROM changesets WHERE " + where
	if f.MaxBytes > 0 {
		// The page is a prefix: a set is in while the bytes up to and
		// including it fit, and the first set always is (nothing before it).
		args = append(args, f.MaxBytes)
		q += fmt.Sprintf(` AND cursor <= (SELECT max(cursor) FROM (
			SELECT cursor, n, sum(n) OVER (ORDER BY cursor ROWS UNBOUNDED PRECEDING) AS upto FROM (
				SELECT cursor, octet_length(body) AS n FROM changesets WHERE %s ORDER BY cursor LIMIT $2) l) w
			WHERE upto - n = 0 OR upto <= $%d)`, where, len(args))
	}
	q += " ORDER BY cursor LIMIT $2"
	return collect("read change-sets", scanChangeSet)(s.pool.Query(ctx, q, args...))
}

func scanChangeSet(r pgx.Row) (hub.ChangeSet, error) {
	var c hub.ChangeSet
	var seq, kv int64
	err := r.Scan(&c.Cursor, &c.Device, &seq, &c.Scope, &kv, &c.Bytes, &c.ReceivedAt)
	c.Seq, c.KeyVersion, c.ReceivedAt = uint64(seq), uint32(kv), c.ReceivedAt.UTC()
	return c, err
}

// StoredBytes implements hub.Storage.
func (s *Storage) StoredBytes(ctx context.Context, device string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT COALESCE(sum(octet_length(body)), 0)::bigint FROM changesets WHERE device = $1", device).Scan(&n); err != nil {
		return 0, fmt.Errorf("read stored bytes: %w", err)
	}
	return n, nil
}

const deviceCols = "id, label, role, scopes, signing_key, hpke_key, cert_serial, status, enrolled_at, last_seen, revoked_at, pulled, version, last_sync"

func insertDevice(ctx context.Context, tx pgx.Tx, d hub.Device) error {
	_, err := tx.Exec(ctx, "INSERT INTO devices("+deviceCols+") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		d.ID, d.Label, string(d.Role), nonNil(d.Scopes), d.SigningKey, d.HPKEKey, d.CertSerial, string(d.Status),
		d.EnrolledAt.UTC(), ts(d.LastSeen), ts(d.RevokedAt), d.Pulled, d.Version, ts(d.LastSync))
	if isUnique(err) {
		return hub.ErrExists
	}
	return err
}

func scanDevice(r pgx.Row) (hub.Device, error) {
	var d hub.Device
	var role, status string
	var seen, revoked, synced *time.Time
	if err := r.Scan(&d.ID, &d.Label, &role, &d.Scopes, &d.SigningKey, &d.HPKEKey, &d.CertSerial, &status, &d.EnrolledAt, &seen, &revoked, &d.Pulled,
		&d.Version, &synced); err != nil {
		return d, err
	}
	d.Scopes = orNil(d.Scopes)
	d.Role, d.Status = protocol.Role(role), protocol.Status(status)
	d.EnrolledAt, d.LastSeen, d.RevokedAt, d.LastSync = d.EnrolledAt.UTC(), val(seen), val(revoked), val(synced)
	return d, nil
}

// AddDevice implements hub.Storage.
func (s *Storage) AddDevice(ctx context.Context, d hub.Device) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return insertDevice(ctx, tx, d) })
	return hub.StorageErr("add device", err, hub.ErrExists)
}

// Device implements hub.Storage.
func (s *Storage) Device(ctx context.Context, id string) (hub.Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, "SELECT "+deviceCols+" FROM devices WHERE id = $1", id))
	return d, hub.ReadErr("read device", err, pgx.ErrNoRows)
}

// Devices implements hub.Storage.
func (s *Storage) Devices(ctx context.Context) ([]hub.Device, error) {
	return collect("list devices", scanDevice)(s.pool.Query(ctx, "SELECT "+deviceCols+" FROM devices ORDER BY id"))
}

// RevokeDevice implements hub.Storage.
func (s *Storage) RevokeDevice(ctx context.Context, id string, when time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return hub.RevokeDeviceRule(revokeTx{ctx, tx, when}, id) })
	return hub.StorageErr("revoke device", err, hub.ErrNotFound, hub.ErrLastOwner)
}

type revokeTx struct {
	ctx  context.Context
	tx   pgx.Tx
	when time.Time
}

// Role reads without a lock: a device's role never changes.
func (r revokeTx) Role(id string) (protocol.Role, bool, error) {
	var role string
	err := r.tx.QueryRow(r.ctx, "SELECT role FROM devices WHERE id = $1", id).Scan(&role)
	found, err := hub.Found(err, pgx.ErrNoRows)
	return protocol.Role(role), found, err
}

// ActiveOwners locks every active owner row, always in id order, before anything else: two
// owners revoking each other then queue on the first row instead of deadlocking.
func (r revokeTx) ActiveOwners() (int, error) {
	rows, err := r.tx.Query(r.ctx, "SELECT id FROM devices WHERE role = $1 AND status = $2 ORDER BY id FOR UPDATE",
		string(protocol.RoleOwner), string(protocol.StatusActive))
	if err != nil {
		return 0, err
	}
	owners := 0
	for rows.Next() {
		owners++
	}
	rows.Close()
	return owners, rows.Err()
}

func (r revokeTx) Status(id string) (protocol.Status, error) {
	var status string
	err := r.tx.QueryRow(r.ctx, "SELECT status FROM devices WHERE id = $1 FOR UPDATE", id).Scan(&status)
	return protocol.Status(status), err
}

func (r revokeTx) Revoke(id string) error {
	_, err := r.tx.Exec(r.ctx, "UPDATE devices SET status = $1, revoked_at = $2 WHERE id = $3", string(protocol.StatusRevoked), r.when.UTC(), id)
	return err
}

// TouchDevice implements hub.Storage.
func (s *Storage) TouchDevice(ctx context.Context, id string, when time.Time) error {
	return hub.StorageErr("touch device", hub.TouchDeviceRule(touchTx{ctx, s.pool}, id, when), hub.ErrNotFound)
}

// SetDeviceVersion implements hub.Storage.
func (s *Storage) SetDeviceVersion(ctx context.Context, id, version string, when time.Time) error {
	return hub.StorageErr("set device version", hub.SetDeviceVersionRule(versionTx{ctx, s.pool}, id, version, when), hub.ErrNotFound)
}

type versionTx touchTx

func (t versionTx) SetVersion(id, version string, when time.Time) (bool, error) {
	tag, err := t.pool.Exec(t.ctx, "UPDATE devices SET version = $1, last_sync = $2 WHERE id = $3 AND (last_sync IS NULL OR last_sync <= $2)", version, when.UTC(), id)
	return err == nil && tag.RowsAffected() > 0, err
}

func (t versionTx) Exists(id string) (bool, error) { return touchTx(t).Exists(id) }

type touchTx struct {
	ctx  context.Context
	pool *pgxpool.Pool
}

func (t touchTx) MoveLastSeen(id string, when time.Time) (bool, error) {
	tag, err := t.pool.Exec(t.ctx, "UPDATE devices SET last_seen = $1 WHERE id = $2 AND (last_seen IS NULL OR last_seen < $1)", when.UTC(), id)
	return err == nil && tag.RowsAffected() > 0, err
}

func (t touchTx) Exists(id string) (bool, error) {
	var one int
	err := t.pool.QueryRow(t.ctx, "SELECT 1 FROM devices WHERE id = $1", id).Scan(&one)
	return hub.Found(err, pgx.ErrNoRows)
}

// CreateToken implements hub.Storage.
func (s *Storage) CreateToken(ctx context.Context, t hub.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens(id, secret_hash, role, scopes, label, created_by, created_at, expires_at)
		VALUES($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, t.SecretHash, string(t.Role), nonNil(t.Scopes), t.Label, t.CreatedBy,
		t.CreatedAt.UTC(), t.ExpiresAt.UTC())
	if isUnique(err) {
		return hub.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenCols = "id, secret_hash, role, scopes, label, created_by, created_at, expires_at, used_at, device"

func scanToken(r pgx.Row) (hub.Token, error) {
	var t hub.Token
	var role string
	var used *time.Time
	if err := r.Scan(&t.ID, &t.SecretHash, &role, &t.Scopes, &t.Label, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &used, &t.Device); err != nil {
		return t, err
	}
	t.Scopes = orNil(t.Scopes)
	t.Role = protocol.Role(role)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), val(used)
	return t, nil
}

// Token implements hub.Storage.
func (s *Storage) Token(ctx context.Context, id string) (hub.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = $1", id))
	return t, hub.ReadErr("read token", err, pgx.ErrNoRows)
}

// RedeemToken implements hub.Storage.
func (s *Storage) RedeemToken(ctx context.Context, id string, secretHash []byte, now time.Time, d hub.Device) (hub.Device, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
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
	tx  pgx.Tx
}

// Token locks the token's row, so one code enrolls one device even when two hubs receive it
// at once.
func (r redeemTx) Token(id string) (hub.Token, bool, error) {
	t, err := scanToken(r.tx.QueryRow(r.ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = $1 FOR UPDATE", id))
	found, err := hub.Found(err, pgx.ErrNoRows)
	return t, found, err
}

func (r redeemTx) InsertDevice(d hub.Device) error { return insertDevice(r.ctx, r.tx, d) }

func (r redeemTx) MarkUsed(id, device string, now time.Time) error {
	_, err := r.tx.Exec(r.ctx, "UPDATE tokens SET used_at = $1, device = $2 WHERE id = $3", now.UTC(), device, id)
	return err
}

func (r redeemTx) MoveEnvelopes(from, to string) error {
	_, err := r.tx.Exec(r.ctx, "UPDATE envelopes SET recipient = $1 WHERE recipient = $2", to, from)
	return err
}

// DeleteExpiredTokens implements hub.Storage. A redemption in flight holds
// its token row (FOR UPDATE) and has moved its envelopes: both deletes wait
// for it, then re-check their conditions and leave the now used token and
// the moved envelopes alone.
func (s *Storage) DeleteExpiredTokens(ctx context.Context, now time.Time) (tokens, envelopes int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM tokens WHERE used_at IS NULL AND expires_at <= $1", now.UTC())
		if err != nil {
			return err
		}
		tokens = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM envelopes WHERE starts_with(recipient, 'token:')
			AND substr(recipient, 7) NOT IN (SELECT id FROM tokens WHERE used_at IS NULL AND expires_at > $1)`, now.UTC())
		if err != nil {
			return err
		}
		envelopes = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("delete expired tokens: %w", err)
	}
	return tokens, envelopes, nil
}

// PutEnvelope implements hub.Storage.
func (s *Storage) PutEnvelope(ctx context.Context, e hub.Envelope) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO envelopes(recipient, scope, version, sender, sealed, updated_at) VALUES($1, $2, $3, $4, $5, $6)
		ON CONFLICT (recipient, scope, version) DO UPDATE SET sender = excluded.sender, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		e.To, e.Scope, int64(e.Version), e.From, e.Sealed, e.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("put envelope: %w", err)
	}
	return nil
}

// Envelopes implements hub.Storage.
func (s *Storage) Envelopes(ctx context.Context, to string) ([]hub.Envelope, error) {
	return collect("read envelopes", scanEnvelope)(s.pool.Query(ctx, `SELECT recipient, scope, version, sender, sealed, updated_at FROM envelopes
		WHERE recipient = $1 ORDER BY scope, version`, to))
}

func scanEnvelope(r pgx.Row) (hub.Envelope, error) {
	var e hub.Envelope
	var v int64
	err := r.Scan(&e.To, &e.Scope, &v, &e.From, &e.Sealed, &e.UpdatedAt)
	e.Version, e.UpdatedAt = uint32(v), e.UpdatedAt.UTC()
	return e, err
}

// PutCheckpoint implements hub.Storage.
func (s *Storage) PutCheckpoint(ctx context.Context, c protocol.Checkpoint) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return hub.PutCheckpointRule(checkpointTx{ctx, tx}, c) })
	return hub.StorageErr("put checkpoint", err, hub.ErrConflict)
}

type checkpointTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t checkpointTx) Insert(c protocol.Checkpoint) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO checkpoints(device, seq, head, signature, received_at) VALUES($1, $2, $3, $4, $5)
		ON CONFLICT (device, seq) DO NOTHING`, c.Device, int64(c.Seq), c.Head, c.Signature, c.ReceivedAt.UTC())
	return err == nil && tag.RowsAffected() == 1, err
}

func (t checkpointTx) Stored(device string, seq uint64) (head, sig []byte, err error) {
	err = t.tx.QueryRow(t.ctx, "SELECT head, signature FROM checkpoints WHERE device = $1 AND seq = $2", device, int64(seq)).Scan(&head, &sig)
	return head, sig, err
}

const checkpointCols = "device, seq, head, signature, received_at"

func scanCheckpoint(r pgx.Row) (protocol.Checkpoint, error) {
	var c protocol.Checkpoint
	var seq int64
	err := r.Scan(&c.Device, &seq, &c.Head, &c.Signature, &c.ReceivedAt)
	c.Seq, c.ReceivedAt = uint64(seq), c.ReceivedAt.UTC()
	return c, err
}

// LatestCheckpoint implements hub.Storage.
func (s *Storage) LatestCheckpoint(ctx context.Context, device string) (protocol.Checkpoint, error) {
	c, err := scanCheckpoint(s.pool.QueryRow(ctx, "SELECT "+checkpointCols+" FROM checkpoints WHERE device = $1 ORDER BY seq DESC LIMIT 1", device))
	return c, hub.ReadErr("read checkpoint", err, pgx.ErrNoRows)
}

// Checkpoints implements hub.Storage.
func (s *Storage) Checkpoints(ctx context.Context, device string, after uint64, limit int) ([]protocol.Checkpoint, error) {
	limit, ok := hub.CheckpointPage(after, limit)
	if !ok {
		return nil, nil
	}
	return collect("read checkpoints", scanCheckpoint)(s.pool.Query(ctx,
		"SELECT "+checkpointCols+" FROM checkpoints WHERE device = $1 AND seq > $2 ORDER BY seq LIMIT $3", device, int64(after), limit))
}
