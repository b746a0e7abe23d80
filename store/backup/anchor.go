package backup

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"spoke/crypto/seal"
	"spoke/store"
)

// CheckTrail compares st's audit trail with the newest backup of it in dir that this device
// made (the ones before a restore belong to the copy it was restored from): each manifest records
// the audit head at its point, authenticated under the folder's backup key, so it is an anchor
// outside the database file. A trail that ends below that head, or holds another entry at its
// seq, was rolled back or replaced: CheckTrail returns the *store.TrailError naming the backup
// and the store fails closed. It returns nil when the trail reaches the head or the folder holds
// no such backup.
func CheckTrail(ctx context.Context, st *store.Store, dir string) error {
	raw, err := readSmall(filepath.Join(dir, keyFile))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s is missing: this is not a Spoke backup folder", keyFile)
	}
	if err != nil {
		return err
	}
	var kf keyFileData
	if err := json.Unmarshal(raw, &kf); err != nil {
		return fmt.Errorf("%s is damaged", keyFile)
	}
	if kf.DatabaseID != st.DatabaseID() {
		return fmt.Errorf("that backup folder belongs to another Spoke database")
	}
	bk, err := st.OpenBackupKey(kf.BackupKey)
	if err != nil {
		return fmt.Errorf("%s: the backup key does not open with this database's master key", keyFile)
	}
	defer seal.Wipe(bk)
	all, err := listManifests(dir, bk)
	if err != nil {
		return err
	}
	return checkTrail(ctx, st, all)
}

// anchored is what the trail check needs of the database in use (a *store.Store, or a backup
// run's *store.BackupKeys).
type anchored interface {
	DeviceID() string
	CheckAuditAnchor(ctx context.Context, source string, seq int64, mac []byte) error
}

// live is what a backup run needs of the database in use, besides its snapshot: the one audit
// entry point and the trail's anchor (store.BackupKeys, handed out with the backup grant).
type live interface {
	anchored
	Audit(ctx context.Context, by store.Principal, e store.Event) error
	RaiseAnchor(ctx context.Context) error
}

// checkTrail compares with the newest of the authenticated manifests all (oldest first) that
// this device made: a restored database is a new device (store.BecomeNewDevice), so the backups
// of the copy it came from, and of any other restore, are not its anchors. No clocks are
// compared: the manifest's device id says whose backup it is.
func checkTrail(ctx context.Context, st anchored, all []*Manifest) error {
	var newest *Manifest
	for _, m := range all {
		if m.Device == st.DeviceID() {
			newest = m
		}
	}
	if newest == nil || newest.Snapshot.AuditSeq == 0 {
		return nil
	}
	mac, err := hex.DecodeString(newest.Snapshot.AuditHead)
	if err != nil {
		return fmt.Errorf("%s.manifest: %w", newest.ID, ErrManifest)
	}
	return st.CheckAuditAnchor(ctx, "backup "+newest.ID, newest.Snapshot.AuditSeq, mac)
}
