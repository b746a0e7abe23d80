package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"spoke/crypto/keys"
)

// KeyBlobs are the wrapped forms of the master key kept in the database header; a backup
// folder keeps copies so a restore on a new machine needs only the recovery code (or the
// passphrase).
type KeyBlobs struct {
	DatabaseID string
	Recovery   []byte // master key wrapped by the recovery code
	Passphrase []byte // master key wrapped by the passphrase (nil for keychain databases)
}

// KeyBlobs returns the wrapped master-key forms (owner or backup-capable users only).
func (ss *Session) KeyBlobs(ctx context.Context) (*KeyBlobs, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.keys", ""); err != nil {
		return nil, err
	}
	rec, err := getMeta(ctx, ss.s.db, metaMKRecovery)
	if err != nil {
		return nil, err
	}
	pass, err := getMeta(ctx, ss.s.db, metaMKPass)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return &KeyBlobs{DatabaseID: ss.s.dbID, Recovery: rec, Passphrase: pass}, nil
}

// WrapWithMaster wraps a key (e.g. a backup key) under the master key, bound to label.
func (ss *Session) WrapWithMaster(ctx context.Context, key, label []byte) ([]byte, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.keys", ""); err != nil {
		return nil, err
	}
	ss.s.mu.RLock()
	defer ss.s.mu.RUnlock()
	return keys.Wrap(ss.s.mk, key, label)
}

// UnwrapWithMaster opens what WrapWithMaster made.
func (ss *Session) UnwrapWithMaster(ctx context.Context, wrapped, label []byte) ([]byte, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.keys", ""); err != nil {
		return nil, err
	}
	ss.s.mu.RLock()
	defer ss.s.mu.RUnlock()
	return keys.Unwrap(ss.s.mk, wrapped, label)
}

// OpenWithMaster opens a key wrapped under the master key (a backup folder's key) without a
// session: for checks that only unlocking allows anyway (verify against the folder's
// manifests, restore).
func (s *Store) OpenWithMaster(wrapped, label []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return keys.Unwrap(s.mk, wrapped, label)
}

// BackupFolder returns the configured backup folder ("" if none), without a session: verify
// compares the trail with that folder's newest manifest.
func (s *Store) BackupFolder(ctx context.Context) (string, error) {
	v, err := getMeta(ctx, s.db, metaBackupConfig)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var c BackupConfig
	if err := json.Unmarshal(v, &c); err != nil {
		return "", err
	}
	return c.Folder, nil
}

// MasterKeyCopy returns a copy of the unlocked master key, for a restore drill into a scratch
// directory on this machine. The caller wipes it.
func (ss *Session) MasterKeyCopy(ctx context.Context) ([]byte, error) {
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.keys", ""); err != nil {
		return nil, err
	}
	ss.s.mu.RLock()
	defer ss.s.mu.RUnlock()
	return append([]byte(nil), ss.s.mk...), nil
}

// Audit records a backup-related event in the trail (backup, drill, restore): counts, ids and
// outcomes only.
func (ss *Session) Audit(ctx context.Context, action, target, outcome, detail string) error {
	return ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: target, Outcome: outcome, Detail: detail})
}

// AuditSystem records an event with no signed-in user (a restore before anyone signs in).
func (s *Store) AuditSystem(ctx context.Context, action, target, outcome, detail string) error {
	return s.auditAlone(ctx, actor{userID: "system"}, auditEntry{Action: action, Target: target, Outcome: outcome, Detail: detail})
}

// DeletedCustomersIn lists the customers a delta file marks deleted (deleted_at set). Restore
// uses it to re-apply deletions recorded after the point it restores to: the hook where the
// erasure feature will add crypto-shredded customers.
func DeletedCustomersIn(ctx context.Context, deltaPath string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+deltaPath+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT row_id FROM changes WHERE tbl = 'customers' AND col = 'deleted_at' AND value > 0")
	if err != nil {
		return nil, fmt.Errorf("read delta: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ReapplyDeletions marks the given customers deleted again (through the normal write path, so
// the change log and audit record it), skipping ids absent or already deleted. It returns how
// many it deleted.
func (s *Store) ReapplyDeletions(ctx context.Context, ids []string) (int, error) {
	n := 0
	err := s.write(ctx, actor{userID: "system"}, "backup.restore.reapply_deletions", func(w *wtx) error {
		for _, id := range ids {
			c, err := s.loadCust(ctx, w.tx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := w.update("customers", c.shopID, id, []col{plain("deleted_at", w.now), plain("updated_at", w.now)}); err != nil {
				return err
			}
			n++
		}
		w.audit.Detail = fmt.Sprintf("customers=%d", n)
		return nil
	})
	return n, err
}

// BackupConfig is this device's backup folder and schedule, kept in the database header
// (local to the device; it never syncs).
type BackupConfig struct {
	Folder       string        `json:"folder"`
	Full         time.Duration `json:"full"`
	Differential time.Duration `json:"differential"`
	Incremental  time.Duration `json:"incremental"`
	KeepFulls    int           `json:"keep_fulls"`
}

const metaBackupConfig = "backup_config"

// BackupConfig returns the saved configuration (zero if none).
func (ss *Session) BackupConfig(ctx context.Context) (BackupConfig, error) {
	var c BackupConfig
	if _, err := ss.require(ctx, OpBackup, target{any: true}, "backup.config", ""); err != nil {
		return c, err
	}
	v, err := getMeta(ctx, ss.s.db, metaBackupConfig)
	if errors.Is(err, ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(v, &c)
	return c, err
}

// SetBackupConfig saves the configuration (owner and managers), audited.
func (ss *Session) SetBackupConfig(ctx context.Context, c BackupConfig) error {
	if c.Folder == "" || c.Full <= 0 || c.Differential <= 0 || c.Incremental <= 0 || c.KeepFulls < 1 {
		return &FieldError{"schedule", "needs a folder, positive intervals and at least one full kept"}
	}
	return ss.write(ctx, "backup.config", func(w *wtx) error {
		if _, err := ss.allow(OpBackup, target{any: true}); err != nil {
			return err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("full=%s differential=%s incremental=%s keep=%d", c.Full, c.Differential, c.Incremental, c.KeepFulls)
		return setMeta(ctx, w.tx, metaBackupConfig, b)
	})
}

// AuthorizeRestore checks the restore row of the matrix (the owner only). A denial is audited.
func (ss *Session) AuthorizeRestore(ctx context.Context) error {
	_, err := ss.require(ctx, OpRestore, target{any: true}, "backup.restore", "")
	return err
}
