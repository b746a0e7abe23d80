package backup

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/store"
)

// Schedule says how often each kind is due, and how many fulls (with everything that depends on
// them) to keep.
type Schedule struct {
	Full         time.Duration
	Differential time.Duration
	Incremental  time.Duration
	KeepFulls    int
}

// DefaultSchedule: full weekly, differential daily, incremental hourly, four weeks kept.
var DefaultSchedule = Schedule{Full: 7 * 24 * time.Hour, Differential: 24 * time.Hour, Incremental: time.Hour, KeepFulls: 4}

// Options tune a backup.
type Options struct {
	Kind     string // "" = what the schedule would take next
	Schedule Schedule
	NoDrill  bool             // skip the automatic restore drill (tests of the drill itself)
	Now      func() time.Time // tests inject
	// by is whom the backup's and the drill's audit entries name: nil for the signed-in user who
	// asked for it; the scheduler (this package's, only) for a scheduled run no one started.
	// The grant is the session's either way.
	by store.Principal
}

// Result is what Backup did.
type Result struct {
	Manifest *Manifest
	Drill    *Drill
	Pruned   []string
	// Rewritten: the older backups deleted because they held customers erased since (the
	// folder now holds only backups without them).
	Rewritten []string
}

// openFolder reads or creates the folder's key file and returns the backup key.
func openFolder(ctx context.Context, k *store.BackupKeys, dir string) ([]byte, *keyFileData, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("backup folder: %w", err)
	}
	blobs, err := k.Blobs(ctx)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, keyFile)
	var kf keyFileData
	raw, err := readSmall(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		bk := keys.New()
		w, err := k.WrapBackupKey(bk)
		if err != nil {
			return nil, nil, err
		}
		kf = keyFileData{Version: 1, DatabaseID: blobs.DatabaseID, BackupKey: w, RecoveryMK: blobs.Recovery, PassphraseMK: blobs.Passphrase}
		data, _ := json.MarshalIndent(kf, "", "  ")
		if err := writeFileAtomic(path, data); err != nil {
			return nil, nil, err
		}
		return bk, &kf, nil
	case err != nil:
		return nil, nil, err
	}
	if err := json.Unmarshal(raw, &kf); err != nil {
		return nil, nil, fmt.Errorf("%s is damaged", keyFile)
	}
	if kf.DatabaseID != blobs.DatabaseID {
		return nil, nil, fmt.Errorf("that backup folder belongs to another Spoke database; use an empty folder")
	}
	bk, err := k.OpenBackupKey(kf.BackupKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the backup key does not open with this database's master key", keyFile)
	}
	// Keep the passphrase copy current (a changed passphrase must still restore new backups).
	if string(kf.PassphraseMK) != string(blobs.Passphrase) {
		kf.PassphraseMK = blobs.Passphrase
		data, _ := json.MarshalIndent(kf, "", "  ")
		if err := writeFileAtomic(path, data); err != nil {
			return nil, nil, err
		}
	}
	return bk, &kf, nil
}

// NextKind is what the schedule would take now: full if there is none or the last is older
// than Schedule.Full; differential when the last full or differential is older than
// Schedule.Differential; else incremental.
func NextKind(ms []*Manifest, s Schedule, now time.Time) string {
	var lastFull, lastDiff time.Time
	for _, m := range ms {
		switch m.Kind {
		case Full:
			lastFull, lastDiff = m.Created, m.Created
		case Differential:
			lastDiff = m.Created
		}
	}
	switch {
	case lastFull.IsZero() || now.Sub(lastFull) >= s.Full:
		return Full
	case now.Sub(lastDiff) >= s.Differential:
		return Differential
	}
	return Incremental
}

// Backup takes one backup of the signed-in user's database into dir, then (unless disabled)
// drills a restore of it into a scratch directory, records the result, and prunes old chains.
// A first backup is always full; an incremental or differential without a full before it
// becomes a full.
func Backup(ctx context.Context, ss *store.Session, dir string, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Schedule == (Schedule{}) {
		o.Schedule = DefaultSchedule
	}
	// The run checks the user's backup grant itself (a denial is audited): the store and the
	// master key's stand-in come only with it.
	k, err := ss.BackupKeys(ctx, store.OpBackup, "backup.create")
	if err != nil {
		return nil, err
	}
	var st live = k // the run reaches the database in use only through the grant's handle
	by := o.by
	if by == nil {
		by = ss
	}
	bk, _, err := openFolder(ctx, k, dir)
	if err != nil {
		return nil, err
	}
	defer seal.Wipe(bk)
	all, err := listManifests(dir, bk)
	if err != nil {
		return nil, err
	}
	// A trail rolled back below the folder's newest backup is not backed up over it: the next
	// incremental would not continue from its parent, and the rollback must be seen.
	if err := checkTrail(ctx, st, all); err != nil {
		return nil, fmt.Errorf("not backing up: %w", err)
	}
	kind := o.Kind
	if kind == "" {
		kind = NextKind(all, o.Schedule, o.Now())
	}
	// After an erasure the folder's backups still hold the customer: this run takes a full
	// one, and once its drill passes the older ones are deleted (rewriteAfterErasure).
	ledger, err := readLedger(dir, bk)
	if err != nil {
		return nil, err
	}
	erased, err := k.ErasureLedger(ctx)
	if err != nil {
		return nil, err
	}
	confirmed, err := k.ConfirmedErasures(ctx)
	if err != nil {
		return nil, err
	}
	// Every erasure goes into the folder's ledger (a restore erases again whatever it names);
	// only those made here or by an owner device delete the older backups (see
	// store.ConfirmedErasures): the others' older backups age out by pruning.
	pending := ledger.pending(confirmed)
	if len(pending) > 0 && len(all) > 0 {
		kind = Full
	}
	var parent *Manifest
	switch kind {
	case Full:
	case Differential:
		for _, m := range all {
			if m.Kind == Full {
				parent = m
			}
		}
	case Incremental:
		if len(all) > 0 {
			parent = all[len(all)-1]
		}
	default:
		return nil, fmt.Errorf("unknown backup kind %q", kind)
	}
	if kind != Full && (parent == nil || parent.Snapshot.SchemaVersion < store.ClocksSchema) {
		// A delta continues from its parent's row versions, which a database before the
		// clocks (schema 9) does not have: the first backup after the upgrade is a full one.
		kind = Full
	}
	id := uuid.Must(uuid.NewV7()).String()
	m := &Manifest{Version: FormatVersion, ID: id, Kind: kind, Created: o.Now().UTC()}
	dataPath := filepath.Join(dir, id+".data")
	var p *store.Snapshot
	var ref FileRef
	if kind == Full {
		// The snapshot streams from the database's pages through compression and encryption
		// into the folder: no plaintext copy of the database is written anywhere.
		m.Full = id
		ref, err = writeData(dataPath, id, bk, func(w io.Writer) error {
			var err error
			p, _, err = ss.StreamSnapshot(ctx, w)
			return err
		})
	} else {
		// A delta is a small SQLite file built by the store (O(change)), then encoded.
		m.Parent, m.Full = parent.ID, parent.Full
		m.FromChangeSeq, m.FromAuditSeq = parent.Snapshot.ChangeSeq, parent.Snapshot.AuditSeq
		ref, p, err = writeDelta(ctx, ss, dataPath, id, bk, &parent.Snapshot)
	}
	if err != nil {
		st.Audit(ctx, by, store.Event{Action: "backup.create", Target: id, Outcome: "failed", Detail: "kind=" + kind})
		return nil, err
	}
	m.Snapshot, m.Device, m.DatabaseID, m.SchemaVersion = *p, p.DeviceID, p.DatabaseID, p.SchemaVersion
	m.Files = []FileRef{ref}
	// The manifest is written last: a backup without one does not exist.
	if err := writeSigned(filepath.Join(dir, id+".manifest"), m, bk); err != nil {
		os.Remove(filepath.Join(dir, id+".data"))
		return nil, err
	}
	if err := st.Audit(ctx, by, store.Event{Action: "backup.create", Target: id, Detail: fmt.Sprintf("kind=%s customers=%d row_version=%d bytes=%d", kind, p.Counts["customers"], p.ChangeSeq, ref.Size)}); err != nil {
		return nil, err
	}
	res := &Result{Manifest: m}
	if !o.NoDrill {
		res.Drill, err = drill(ctx, st, by, k, dir, bk, m)
		if err != nil {
			return res, err
		}
	}
	// The older backups go only for a full one whose restore drill passed: never leave the
	// folder with nothing that restores. Without a drill they stay, and the next run tries again.
	rewritten := len(pending) > 0 && kind == Full && res.Drill != nil && res.Drill.Passed
	if rewritten {
		res.Rewritten = dropOlder(dir, all, m)
	}
	ledger.record(erased, rewritten || len(all) == 0)
	if err := writeSigned(filepath.Join(dir, ledgerFile), ledger, bk); err != nil {
		return res, fmt.Errorf("backup taken; writing the erasure ledger beside it failed: %w", err)
	}
	if rewritten {
		if err := st.Audit(ctx, by, store.Event{Action: "backup.rewrite", Target: m.ID, Detail: fmt.Sprintf("erasures=%d deleted_backups=%d", len(pending), len(res.Rewritten))}); err != nil {
			return res, err
		}
	}
	res.Pruned, err = prune(dir, bk, o.Schedule.KeepFulls)
	if err != nil {
		return res, err
	}
	// A backup is one of the moments the keychain anchor is raised to the committed head. A
	// keychain that does not answer now is tried again later; a trail that no longer reaches
	// its anchor is reported.
	if err := st.RaiseAnchor(ctx); errors.Is(err, store.ErrRolledBack) {
		return res, err
	}
	return res, nil
}

// writeDelta builds the delta since from in a scratch file and encodes it into path.
func writeDelta(ctx context.Context, ss *store.Session, path, id string, bk []byte, from *store.Snapshot) (FileRef, *store.Snapshot, error) {
	scratch, err := os.MkdirTemp("", "spoke-backup-")
	if err != nil {
		return FileRef{}, nil, err
	}
	defer os.RemoveAll(scratch)
	plain := filepath.Join(scratch, "part.db")
	p, err := ss.BackupDelta(ctx, plain, from)
	if err != nil {
		return FileRef{}, nil, err
	}
	ref, err := writeData(path, id, bk, func(w io.Writer) error {
		f, err := os.Open(plain)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	return ref, p, err
}

// fileAD is the additional data of a format version 1 file (format.go has version 2's).
func fileAD(id, name string) []byte { return seal.Label("spoke/backup-file/v1", id, name) }

// checkFile verifies a file's size and hash against its reference, naming it on mismatch.
func checkFile(dir string, ref FileRef) error {
	f, err := os.Open(filepath.Join(dir, ref.Name))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup file %s is missing", ref.Name)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != ref.Size {
		return fmt.Errorf("backup file %s has %d bytes, its manifest says %d (truncated or replaced)", ref.Name, n, ref.Size)
	}
	if fmt.Sprintf("%x", h.Sum(nil)) != ref.SHA256 {
		return fmt.Errorf("backup file %s does not match its manifest (altered or swapped)", ref.Name)
	}
	return nil
}

// decryptFile authenticates and decodes a backup's data file into dst, a new file.
func decryptFile(dir string, m *Manifest, bk []byte, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = readData(dir, m, m.Files[0], bk, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// prune deletes every backup whose chain starts from a full older than the keep newest fulls.
func prune(dir string, bk []byte, keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	all, err := listManifests(dir, bk)
	if err != nil {
		return nil, err
	}
	var fulls []string
	for _, m := range all {
		if m.Kind == Full {
			fulls = append(fulls, m.ID)
		}
	}
	if len(fulls) <= keep {
		return nil, nil
	}
	drop := map[string]bool{}
	for _, id := range fulls[:len(fulls)-keep] {
		drop[id] = true
	}
	var pruned []string
	for _, m := range all {
		if drop[m.Full] {
			// Manifest first: without it the backup no longer exists, even if a crash
			// leaves its data file behind.
			os.Remove(filepath.Join(dir, m.ID+".manifest"))
			os.Remove(filepath.Join(dir, m.ID+".data"))
			os.Remove(filepath.Join(dir, m.ID+".drill"))
			pruned = append(pruned, m.ID)
		}
	}
	return pruned, nil
}
