package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"spoke/protocol"
	"spoke/sync/hub"
)

// snapshotLock serialises snapshot commits across hub processes sharing one database, so two
// commits of one scope cannot both find the same older snapshot and both keep theirs (the
// partial unique index on committed snapshots would refuse the second anyway).
const snapshotLock = 0x5350_4b53

// SetPulled implements hub.Storage.
func (s *Storage) SetPulled(ctx context.Context, device string, cursor int64) error {
	return hub.StorageErr("set pulled cursor", hub.SetPulledRule(pulledTx{ctx, s.pool}, device, cursor), hub.ErrNotFound)
}

type pulledTx struct {
	ctx  context.Context
	pool *pgxpool.Pool
}

// RaisePulled is one statement: two hubs raising it at once each only ever raise it.
func (t pulledTx) RaisePulled(id string, cursor int64) (bool, error) {
	tag, err := t.pool.Exec(t.ctx, "UPDATE devices SET pulled = $1 WHERE id = $2 AND pulled < $1", cursor, id)
	return err == nil && tag.RowsAffected() > 0, err
}

func (t pulledTx) Exists(id string) (bool, error) { return touchTx(t).Exists(id) }

// PutSnapshotPart implements hub.Storage. The snapshot's row is locked (Snapshot ... FOR
// UPDATE), so parts of one snapshot, its commit and the stale sweep queue.
func (s *Storage) PutSnapshotPart(ctx context.Context, p hub.SnapshotPart) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return hub.PutSnapshotPartRule(snapshotTx{ctx, tx}, p) })
	return hub.StorageErr("put snapshot part", err, hub.ErrConflict)
}

// CommitSnapshot implements hub.Storage. Commits queue on an advisory lock; the delete of
// change-sets waits for pushes in flight (their EXCLUSIVE lock), whose cursors are above any
// point the server lets through, and readers see the sets either all there or all gone.
func (s *Storage) CommitSnapshot(ctx context.Context, scope, id string, when time.Time) (deleted, freed int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(snapshotLock)); err != nil {
			return err
		}
		deleted, freed, err = hub.CommitSnapshotRule(snapshotTx{ctx, tx}, scope, id, when)
		return err
	})
	if err != nil {
		return 0, 0, hub.StorageErr("commit snapshot", err, hub.ErrConflict, hub.ErrNotFound)
	}
	return deleted, freed, nil
}

// snapshotTx runs the snapshot rules' statements inside one transaction.
type snapshotTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t snapshotTx) InsertSnapshot(p hub.SnapshotPart) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO snapshots(scope, id, device, point, key_version, parts, staged_at)
		VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, id) DO NOTHING`,
		p.Scope, p.ID, p.Device, p.Point, int64(p.KeyVersion), int64(p.Parts), p.At.UTC())
	return err
}

const snapshotCols = `scope, id, device, point, key_version, parts, staged_at, committed_at,
	(SELECT count(*) FROM snapshot_parts p WHERE p.scope = snapshots.scope AND p.id = snapshots.id)`

func scanSnapshot(r pgx.Row) (hub.Snapshot, error) {
	var sn hub.Snapshot
	var kv, parts, n int64
	var committed *time.Time
	err := r.Scan(&sn.Scope, &sn.ID, &sn.Device, &sn.Point, &kv, &parts, &sn.StagedAt, &committed, &n)
	sn.KeyVersion, sn.Parts, sn.Staged = uint32(kv), uint32(parts), uint32(n)
	sn.StagedAt, sn.CommittedAt = sn.StagedAt.UTC(), val(committed)
	return sn, err
}

// Snapshot locks the snapshot's row for the rest of the transaction.
func (t snapshotTx) Snapshot(scope, id string) (hub.Snapshot, bool, error) {
	sn, err := scanSnapshot(t.tx.QueryRow(t.ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = $1 AND id = $2 FOR UPDATE", scope, id))
	found, err := hub.Found(err, pgx.ErrNoRows)
	return sn, found, err
}

func (t snapshotTx) InsertPart(p hub.SnapshotPart, digest []byte) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO snapshot_parts(scope, id, part, digest, body) VALUES($1, $2, $3, $4, $5)
		ON CONFLICT (scope, id, part) DO NOTHING`, p.Scope, p.ID, int64(p.Part), digest, p.Bytes)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	_, err = t.tx.Exec(t.ctx, "UPDATE snapshots SET staged_at = GREATEST(staged_at, $1) WHERE scope = $2 AND id = $3", p.At.UTC(), p.Scope, p.ID)
	return err == nil, err
}

func (t snapshotTx) PartDigest(scope, id string, part uint32) ([]byte, error) {
	var d []byte
	err := t.tx.QueryRow(t.ctx, "SELECT digest FROM snapshot_parts WHERE scope = $1 AND id = $2 AND part = $3", scope, id, int64(part)).Scan(&d)
	return d, err
}

func (t snapshotTx) Committed(scope string) (hub.Snapshot, bool, error) {
	sn, err := scanSnapshot(t.tx.QueryRow(t.ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = $1 AND committed_at IS NOT NULL FOR UPDATE", scope))
	found, err := hub.Found(err, pgx.ErrNoRows)
	return sn, found, err
}

func (t snapshotTx) DeleteSnapshot(scope, id string) error {
	_, err := t.tx.Exec(t.ctx, "DELETE FROM snapshots WHERE scope = $1 AND id = $2", scope, id)
	return err
}

func (t snapshotTx) MarkCommitted(scope, id string, when time.Time) error {
	_, err := t.tx.Exec(t.ctx, "UPDATE snapshots SET committed_at = $1 WHERE scope = $2 AND id = $3", when.UTC(), scope, id)
	return err
}

func (t snapshotTx) DeleteChangeSets(scope string, point int64) (deleted, n int64, err error) {
	err = t.tx.QueryRow(t.ctx, `WITH d AS (DELETE FROM changesets WHERE scope = $1 AND cursor <= $2 RETURNING octet_length(body) AS n)
		SELECT count(*), COALESCE(sum(n), 0)::bigint FROM d`, scope, point).Scan(&deleted, &n)
	return deleted, n, err
}

// Snapshot implements hub.Storage.
func (s *Storage) Snapshot(ctx context.Context, scope, id string) (hub.Snapshot, error) {
	sn, err := scanSnapshot(s.pool.QueryRow(ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = $1 AND id = $2", scope, id))
	return sn, hub.ReadErr("read snapshot", err, pgx.ErrNoRows)
}

// Snapshots implements hub.Storage. The lowest key version of a scope's sets comes from the
// (scope, key_version) index, not a scan of the scope.
func (s *Storage) Snapshots(ctx context.Context, scopes []string, all bool) ([]protocol.SnapshotInfo, error) {
	if !all && len(scopes) == 0 {
		return nil, nil
	}
	q := `SELECT scope, id, point, parts, key_version, device, committed_at,
		LEAST(key_version, COALESCE((SELECT min(c.key_version) FROM changesets c WHERE c.scope = snapshots.scope), key_version))
		FROM snapshots WHERE committed_at IS NOT NULL`
	var args []any
	if !all {
		q += " AND scope = ANY($1)"
		args = append(args, scopes)
	}
	q += " ORDER BY scope"
	return collect("list snapshots", scanSnapshotInfo)(s.pool.Query(ctx, q, args...))
}

func scanSnapshotInfo(r pgx.Row) (protocol.SnapshotInfo, error) {
	var si protocol.SnapshotInfo
	var parts, kv, minKV int64
	err := r.Scan(&si.Scope, &si.ID, &si.Point, &parts, &kv, &si.Device, &si.CommittedAt, &minKV)
	si.Parts, si.KeyVersion, si.MinKeyVersion, si.CommittedAt = uint32(parts), uint32(kv), uint32(minKV), si.CommittedAt.UTC()
	return si, err
}

// SnapshotPart implements hub.Storage.
func (s *Storage) SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT p.body FROM snapshot_parts p JOIN snapshots s ON s.scope = p.scope AND s.id = p.id
		WHERE p.scope = $1 AND p.id = $2 AND p.part = $3 AND s.committed_at IS NOT NULL`, scope, id, int64(part)).Scan(&b)
	return b, hub.ReadErr("read snapshot part", err, pgx.ErrNoRows)
}

// StagedSnapshotBytes implements hub.Storage.
func (s *Storage) StagedSnapshotBytes(ctx context.Context, device string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(sum(octet_length(p.body)), 0)::bigint FROM snapshot_parts p
		JOIN snapshots s ON s.scope = p.scope AND s.id = p.id WHERE s.device = $1 AND s.committed_at IS NULL`, device).Scan(&n); err != nil {
		return 0, fmt.Errorf("read staged snapshot bytes: %w", err)
	}
	return n, nil
}

// DeleteStaleSnapshots implements hub.Storage; the parts go with their snapshot (ON DELETE
// CASCADE). A commit in flight holds its row: the delete waits, re-checks committed_at and
// leaves it alone.
func (s *Storage) DeleteStaleSnapshots(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM snapshots WHERE committed_at IS NULL AND staged_at < $1", before.UTC())
	if err != nil {
		return 0, fmt.Errorf("delete stale snapshots: %w", err)
	}
	return tag.RowsAffected(), nil
}

// NewestCursor implements hub.Storage.
func (s *Storage) NewestCursor(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT GREATEST(COALESCE((SELECT max(cursor) FROM changesets), 0),
		COALESCE((SELECT max(point) FROM snapshots WHERE committed_at IS NOT NULL), 0))`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read newest cursor: %w", err)
	}
	return n, nil
}
