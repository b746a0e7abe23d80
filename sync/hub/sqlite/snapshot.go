package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// SetPulled implements hub.Storage.
func (s *Storage) SetPulled(ctx context.Context, device string, cursor int64) error {
	return hub.StorageErr("set pulled cursor", hub.SetPulledRule(pulledTx{ctx, s}, device, cursor), hub.ErrNotFound)
}

type pulledTx struct {
	ctx context.Context
	s   *Storage
}

func (t pulledTx) RaisePulled(id string, cursor int64) (bool, error) {
	res, err := t.s.w.ExecContext(t.ctx, "UPDATE devices SET pulled = ? WHERE id = ? AND pulled < ?", cursor, id, cursor)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t pulledTx) Exists(id string) (bool, error) { return touchTx(t).Exists(id) }

// PutSnapshotPart implements hub.Storage. The single writer connection serialises it with
// commits and the stale sweep.
func (s *Storage) PutSnapshotPart(ctx context.Context, p hub.SnapshotPart) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return hub.PutSnapshotPartRule(snapshotTx{ctx, tx}, p) })
	return hub.StorageErr("put snapshot part", err, hub.ErrConflict)
}

// CommitSnapshot implements hub.Storage, in one immediate transaction.
func (s *Storage) CommitSnapshot(ctx context.Context, scope, id string, when time.Time) (deleted, freed int64, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) (err error) {
		deleted, freed, err = hub.CommitSnapshotRule(snapshotTx{ctx, tx}, scope, id, when)
		return err
	})
	if err != nil {
		return 0, 0, hub.StorageErr("commit snapshot", err, hub.ErrConflict, hub.ErrNotFound)
	}
	return deleted, freed, nil
}

// snapshotTx runs the snapshot rules' statements inside an immediate transaction.
type snapshotTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (t snapshotTx) InsertSnapshot(p hub.SnapshotPart) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO snapshots(scope, id, device, point, key_version, parts, staged_at)
		VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scope, id) DO NOTHING`,
		p.Scope, p.ID, p.Device, p.Point, int64(p.KeyVersion), int64(p.Parts), ms(p.At))
	return err
}

const snapshotCols = `scope, id, device, point, key_version, parts, staged_at, committed_at,
	(SELECT COUNT(*) FROM snapshot_parts p WHERE p.scope = snapshots.scope AND p.id = snapshots.id)`

func scanSnapshot(r scanner) (hub.Snapshot, error) {
	var sn hub.Snapshot
	var kv, parts, staged, committed, n int64
	err := r.Scan(&sn.Scope, &sn.ID, &sn.Device, &sn.Point, &kv, &parts, &staged, &committed, &n)
	sn.KeyVersion, sn.Parts, sn.Staged = uint32(kv), uint32(parts), uint32(n)
	sn.StagedAt, sn.CommittedAt = at(staged), at(committed)
	return sn, err
}

func (t snapshotTx) Snapshot(scope, id string) (hub.Snapshot, bool, error) {
	sn, err := scanSnapshot(t.tx.QueryRowContext(t.ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = ? AND id = ?", scope, id))
	found, err := hub.Found(err, sql.ErrNoRows)
	return sn, found, err
}

func (t snapshotTx) InsertPart(p hub.SnapshotPart, digest []byte) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO snapshot_parts(scope, id, part, digest, body) VALUES(?, ?, ?, ?, ?)
		ON CONFLICT(scope, id, part) DO NOTHING`, p.Scope, p.ID, int64(p.Part), digest, p.Bytes)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = t.tx.ExecContext(t.ctx, "UPDATE snapshots SET staged_at = MAX(staged_at, ?) WHERE scope = ? AND id = ?", ms(p.At), p.Scope, p.ID)
	return err == nil, err
}

func (t snapshotTx) PartDigest(scope, id string, part uint32) ([]byte, error) {
	var d []byte
	err := t.tx.QueryRowContext(t.ctx, "SELECT digest FROM snapshot_parts WHERE scope = ? AND id = ? AND part = ?", scope, id, int64(part)).Scan(&d)
	return d, err
}

func (t snapshotTx) Committed(scope string) (hub.Snapshot, bool, error) {
	sn, err := scanSnapshot(t.tx.QueryRowContext(t.ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = ? AND committed_at <> 0", scope))
	found, err := hub.Found(err, sql.ErrNoRows)
	return sn, found, err
}

func (t snapshotTx) DeleteSnapshot(scope, id string) error {
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM snapshots WHERE scope = ? AND id = ?", scope, id)
	return err
}

func (t snapshotTx) MarkCommitted(scope, id string, when time.Time) error {
	// A commit time of 0 would read as "staged": a clock at the epoch commits at 1 ms.
	_, err := t.tx.ExecContext(t.ctx, "UPDATE snapshots SET committed_at = ? WHERE scope = ? AND id = ?", max(ms(when), 1), scope, id)
	return err
}

func (t snapshotTx) DeleteChangeSets(scope string, point int64) (deleted, n int64, err error) {
	if err := t.tx.QueryRowContext(t.ctx, "SELECT COUNT(*), COALESCE(SUM(length(body)), 0) FROM changesets WHERE scope = ? AND cursor <= ?",
		scope, point).Scan(&deleted, &n); err != nil {
		return 0, 0, err
	}
	_, err = t.tx.ExecContext(t.ctx, "DELETE FROM changesets WHERE scope = ? AND cursor <= ?", scope, point)
	return deleted, n, err
}

// Snapshot implements hub.Storage.
func (s *Storage) Snapshot(ctx context.Context, scope, id string) (hub.Snapshot, error) {
	sn, err := scanSnapshot(s.r.QueryRowContext(ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE scope = ? AND id = ?", scope, id))
	return sn, hub.ReadErr("read snapshot", err, sql.ErrNoRows)
}

// Snapshots implements hub.Storage. The lowest key version of a scope's sets comes from
// the (scope, key_version) index, not a scan of the scope.
func (s *Storage) Snapshots(ctx context.Context, scopes []string, all bool) ([]protocol.SnapshotInfo, error) {
	if !all && len(scopes) == 0 {
		return nil, nil
	}
	q := `SELECT scope, id, point, parts, key_version, device, committed_at,
		MIN(key_version, COALESCE((SELECT MIN(c.key_version) FROM changesets c WHERE c.scope = snapshots.scope), key_version))
		FROM snapshots WHERE committed_at <> 0`
	var args []any
	if !all {
		q += " AND scope IN (?" + strings.Repeat(", ?", len(scopes)-1) + ")"
		for _, sc := range scopes {
			args = append(args, sc)
		}
	}
	q += " ORDER BY scope"
	return collect("list snapshots", scanSnapshotInfo)(s.r.QueryContext(ctx, q, args...))
}

func scanSnapshotInfo(r scanner) (protocol.SnapshotInfo, error) {
	var si protocol.SnapshotInfo
	var parts, kv, committed, minKV int64
	err := r.Scan(&si.Scope, &si.ID, &si.Point, &parts, &kv, &si.Device, &committed, &minKV)
	si.Parts, si.KeyVersion, si.MinKeyVersion, si.CommittedAt = uint32(parts), uint32(kv), uint32(minKV), at(committed)
	return si, err
}

// SnapshotPart implements hub.Storage.
func (s *Storage) SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT p.body FROM snapshot_parts p JOIN snapshots s ON s.scope = p.scope AND s.id = p.id
		WHERE p.scope = ? AND p.id = ? AND p.part = ? AND s.committed_at <> 0`, scope, id, int64(part)).Scan(&b)
	return b, hub.ReadErr("read snapshot part", err, sql.ErrNoRows)
}

// StagedSnapshotBytes implements hub.Storage.
func (s *Storage) StagedSnapshotBytes(ctx context.Context, device string) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(length(p.body)), 0) FROM snapshot_parts p
		JOIN snapshots s ON s.scope = p.scope AND s.id = p.id WHERE s.device = ? AND s.committed_at = 0`, device).Scan(&n); err != nil {
		return 0, fmt.Errorf("read staged snapshot bytes: %w", err)
	}
	return n, nil
}

// DeleteStaleSnapshots implements hub.Storage; the parts go with their snapshot (ON DELETE
// CASCADE).
func (s *Storage) DeleteStaleSnapshots(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM snapshots WHERE committed_at = 0 AND staged_at < ?", ms(before))
	if err != nil {
		return 0, fmt.Errorf("delete stale snapshots: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// NewestCursor implements hub.Storage.
func (s *Storage) NewestCursor(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT MAX(cursor) FROM changesets), 0),
		COALESCE((SELECT MAX(point) FROM snapshots WHERE committed_at <> 0), 0))`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read newest cursor: %w", err)
	}
	return n, nil
}
