package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// KeyBlobs are the wrapped forms of the master key kept in the database header; a backup
// folder keeps copies so a restore on a new machine needs only the recovery code (or the
// passphrase).
type KeyBlobs struct {
	DatabaseID string
	Recovery   []byte // master key wrapped by the recovery code
	Passphrase []byte // master key wrapped by the passphrase (nil for keychain databases)
}

// BackupKeys lends the unlocked master key to a backup operation without handing it out: it
// wraps and opens a backup folder's key under it and opens a restored copy of the database
// with it. It is obtained only through a session that holds the operation's grant (OpBackup
// to back up, list, check and drill; OpRestore to restore), and the key never leaves the
// store: the backup package, the GUI and the CLI see only what it wraps and opens.
type BackupKeys struct {
	s  *Store
	op Op

	mu      sync.Mutex
	scratch map[string]bool // drill directories made by ScratchDir
}

// BackupKeys checks op (OpBackup or OpRestore) for the signed-in user, auditing a denial under
// action, and returns the master key's narrow stand-in for that operation.
func (ss *Session) BackupKeys(ctx context.Context, op Op, action string) (*BackupKeys, error) {
	if op != OpBackup && op != OpRestore {
		return nil, fmt.Errorf("backup keys for %q: %w", op, ErrForbidden)
	}
	if _, err := ss.require(ctx, op, target{any: true}, action, ""); err != nil {
		return nil, err
	}
	if op == OpRestore {
		if err := ss.fresh(ctx, action, ""); err != nil {
			return nil, err
		}
	}
	return &BackupKeys{s: ss.s, op: op, scratch: map[string]bool{}}, nil
}

// Audit records an entry of the backup run in the trail of the database in use (Store.Audit).
func (k *BackupKeys) Audit(ctx context.Context, by Principal, e Event) error {
	return k.s.Audit(ctx, by, e)
}

// RaiseAnchor raises the trail's anchor after a backup (Store.RaiseAnchor).
func (k *BackupKeys) RaiseAnchor(ctx context.Context) error { return k.s.RaiseAnchor(ctx) }

// DeviceID is this device's id: a folder's manifests name the device that made them.
func (k *BackupKeys) DeviceID() string { return k.s.deviceID }

// CheckAuditAnchor compares the trail with a backup's recorded head (Store.CheckAuditAnchor).
func (k *BackupKeys) CheckAuditAnchor(ctx context.Context, source string, seq int64, mac []byte) error {
	return k.s.CheckAuditAnchor(ctx, source, seq, mac)
}

// ScratchDir makes a new, empty directory for a restore drill and remembers it: under the
// backup grant Open opens nothing else (it, or a directory directly inside it).
func (k *BackupKeys) ScratchDir(pattern string) (string, error) {
	d, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	if d, err = filepath.Abs(d); err != nil {
		return "", err
	}
	k.mu.Lock()
	k.scratch[d] = true
	k.mu.Unlock()
	return d, nil
}

// Blobs returns the wrapped master-key forms a backup folder keeps copies of.
func (k *BackupKeys) Blobs(ctx context.Context) (*KeyBlobs, error) {
	rec, err := getMeta(ctx, k.s.db, metaMKRecovery)
	if err != nil {
		return nil, err
	}
	pass, err := getMeta(ctx, k.s.db, metaMKPass)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return &KeyBlobs{DatabaseID: k.s.dbID, Recovery: rec, Passphrase: pass}, nil
}

// ErasureLedger returns the pseudonymous ids of every customer erased (the folder keeps a copy).
func (k *BackupKeys) ErasureLedger(ctx context.Context) ([]string, error) {
	return k.s.ErasureLedger(ctx)
}

// ConfirmedErasures returns the erasures that may rewrite the backup folder at once
// (Store.ConfirmedErasures).
func (k *BackupKeys) ConfirmedErasures(ctx context.Context) ([]string, error) {
	return k.s.ConfirmedErasures(ctx)
}

// KeyStore says where the database in use keeps its master key (KeyStoreKeychain or
// KeyStorePassphrase): a restored copy is protected the same way.
func (k *BackupKeys) KeyStore() string { return k.s.keyStore }

// WrapBackupKey wraps a backup folder's key under the master key, bound to this database. It
// wraps nothing else.
func (k *BackupKeys) WrapBackupKey(backupKey []byte) ([]byte, error) {
	k.s.mu.RLock()
	defer k.s.mu.RUnlock()
	return keys.Wrap(k.s.mk, backupKey, backupKeyLabel(k.s.dbID))
}

// OpenBackupKey opens what WrapBackupKey made.
func (k *BackupKeys) OpenBackupKey(wrapped []byte) ([]byte, error) { return k.s.OpenBackupKey(wrapped) }

// Open opens the database in dir (a copy restored from a backup of this database, or a
// restore drill's scratch copy) with this database's master key.
func (k *BackupKeys) Open(ctx context.Context, dir string, o Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if sameDir(abs, k.s.dir) {
		return nil, fmt.Errorf("open the database in use through backup keys: %w", ErrForbidden)
	}
	k.mu.Lock()
	mine := k.scratch[abs] || k.scratch[filepath.Dir(abs)]
	k.mu.Unlock()
	if k.op != OpRestore && !mine {
		// A backup grant (a manager's) opens only the drill copies it made itself, never a
		// directory a caller names: that could be another copy of this database's keys.
		return nil, fmt.Errorf("open a directory other than a drill's under the backup grant: %w", ErrForbidden)
	}
	k.s.mu.RLock()
	o.MasterKey = append([]byte(nil), k.s.mk...)
	k.s.mu.RUnlock()
	defer seal.Wipe(o.MasterKey)
	return Open(ctx, dir, o)
}

// sameDir reports whether two paths name the same directory (symlinks resolved).
func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}

// backupKeyLabel binds a backup folder's key, wrapped under the master key, to its database.
func backupKeyLabel(dbID string) []byte { return seal.Label("backup-key", dbID) }

// OpenBackupKey opens a backup folder's key wrapped under this database's master key, without a
// session: for the check that only unlocking allows anyway (verify compares the trail with the
// folder's manifests). It opens nothing else: the label is the backup key's.
func (s *Store) OpenBackupKey(wrapped []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return keys.Unwrap(s.mk, wrapped, backupKeyLabel(s.dbID))
}

// BackupFolder returns the configured backup folder ("" if none), without a session: verify
// compares the trail with that folder's newest manifest.
func (s *Store) BackupFolder(ctx context.Context) (string, error) {
	v, err := s.metaChecked(ctx, s.db, metaBackupConfig)
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

// DeletedCustomersIn lists the customers a delta file marks deleted (deleted_at set). Restore
// uses it to re-apply deletions recorded after the point it restores to: the hook where the
// erasure feature will add crypto-shredded customers.
func DeletedCustomersIn(ctx context.Context, deltaPath string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+deltaPath+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// A delta since row clocks carries the customer rows written since its parent; an older
	// one, their change records.
	q := "SELECT id FROM customers WHERE deleted_at > 0"
	var legacy bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = 'changes')").Scan(&legacy); err != nil {
		return nil, fmt.Errorf("read delta: %w", err)
	}
	if legacy {
		q = "SELECT DISTINCT row_id FROM changes WHERE tbl = 'customers' AND col = 'deleted_at' AND value > 0"
	}
	rows, err := db.QueryContext(ctx, q)
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
	err := s.write(ctx, restoreActor, "backup.restore.reapply_deletions", func(w *wtx) error {
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
	v, err := ss.s.metaChecked(ctx, ss.s.db, metaBackupConfig)
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
		if _, err := w.allow(ss, OpBackup, target{any: true}); err != nil {
			return err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("full=%s differential=%s incremental=%s keep=%d", c.Full, c.Differential, c.Incremental, c.KeepFulls)
		var old BackupConfig
		if v, err := ss.s.metaChecked(ctx, w.tx, metaBackupConfig); err == nil {
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		old.recordChanges(w, c)
		return ss.s.putMeta(ctx, w.tx, metaBackupConfig, b)
	})
}

// recordChanges records each value of the schedule that c changes. A folder's path may hold a
// person's name (a home folder), so it is recorded as set, changed or removed, never as a path.
func (old BackupConfig) recordChanges(w *wtx, c BackupConfig) {
	folder := func(f string) string {
		if f == "" {
			return ""
		}
		return "(a folder)"
	}
	switch {
	case old.Folder != "" && c.Folder != "" && old.Folder != c.Folder:
		w.settingChanged("backup.folder", "(a folder)", "(another folder)")
	default:
		w.settingChanged("backup.folder", folder(old.Folder), folder(c.Folder))
	}
	w.settingChanged("backup.full", durationSetting(old.Full), durationSetting(c.Full))
	w.settingChanged("backup.differential", durationSetting(old.Differential), durationSetting(c.Differential))
	w.settingChanged("backup.incremental", durationSetting(old.Incremental), durationSetting(c.Incremental))
	if old.KeepFulls != c.KeepFulls {
		w.settingChanged("backup.keep_fulls", intOrEmpty(old.KeepFulls), intSetting(c.KeepFulls))
	}
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return intSetting(n)
}
