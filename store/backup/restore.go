package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/store"
)

// Credentials open a backup folder: the signed-in session (this machine's unlocked database,
// which checks the user's grant: backup to list, check and read the status; restore to
// restore), the recovery code (a new machine), the passphrase, or the master key in this
// machine's keychain.
type Credentials struct {
	Session      *store.Session // the signed-in user of the database in use
	RecoveryCode string
	Passphrase   string
	NoKeychain   bool           // do not try the OS keychain
	Keychain     store.Keychain // the keychain to try (nil: the OS keychain)
}

// ErrNoCredentials means nothing given opens the folder.
var ErrNoCredentials = errors.New("cannot open the backup: give the recovery code (--recovery-code-file or SPOKE_RECOVERY_CODE) or the passphrase, or restore on the machine whose keychain holds the key")

// ErrTargetNotEmpty means a restore was asked into a used folder (existing data is never
// overwritten).
var ErrTargetNotEmpty = errors.New("restore target is not empty")

// unlocked is an opened folder: its backup key, and how to open a restored copy (the master
// key recovered from the credentials, or the session's stand-in that never hands it out).
type unlocked struct {
	mk   []byte
	keys *store.BackupKeys
	bk   []byte
	kf   *keyFileData
}

func (u *unlocked) wipe() {
	seal.Wipe(u.mk)
	seal.Wipe(u.bk)
}

// open opens the restored database in dir under the folder's master key.
func (u *unlocked) open(ctx context.Context, dir string, o store.Options) (*store.Store, error) {
	if u.keys != nil {
		return u.keys.Open(ctx, dir, o)
	}
	o.MasterKey = u.mk
	return store.Open(ctx, dir, o)
}

// readKeyFile reads the folder's key file.
func readKeyFile(dir string) (*keyFileData, error) {
	raw, err := readSmall(filepath.Join(dir, keyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing: this is not a Spoke backup folder", keyFile)
	}
	if err != nil {
		return nil, err
	}
	kf := &keyFileData{}
	if err := json.Unmarshal(raw, kf); err != nil {
		return nil, fmt.Errorf("%s is damaged", keyFile)
	}
	return kf, nil
}

// sessionKeys checks the session's grant for op (a denial audited under action) before
// anything in the folder is read.
func sessionKeys(ctx context.Context, c Credentials, op store.Op, action string) (*store.BackupKeys, error) {
	if c.Session == nil {
		return nil, nil
	}
	return c.Session.BackupKeys(ctx, op, action)
}

// folderKeys opens a folder with the credentials; k, when not nil, is the session's stand-in
// already obtained under its grant.
func folderKeys(ctx context.Context, dir string, c Credentials, k *store.BackupKeys) (*unlocked, error) {
	kf, err := readKeyFile(dir)
	if err != nil {
		return nil, err
	}
	u := &unlocked{kf: kf, keys: k}
	if k != nil {
		if u.bk, err = k.OpenBackupKey(kf.BackupKey); err != nil {
			return nil, fmt.Errorf("the backup key does not open with that key: %w", keys.ErrWrongPassphrase)
		}
		return u, nil
	}
	var mk []byte
	switch {
	case c.RecoveryCode != "":
		mk, err = keys.UnwrapWithRecoveryCode(kf.RecoveryMK, c.RecoveryCode, kf.DatabaseID)
	case c.Passphrase != "" && kf.PassphraseMK != nil:
		mk, err = keys.UnwrapWithPassphrase(kf.PassphraseMK, c.Passphrase)
	case !c.NoKeychain:
		if c.Keychain != nil {
			mk, err = c.Keychain.Load(ctx, kf.DatabaseID)
		} else {
			mk, err = keychain.Load(ctx, kf.DatabaseID)
		}
		if err != nil {
			err = fmt.Errorf("%w (%v)", ErrNoCredentials, err)
		}
	default:
		err = ErrNoCredentials
	}
	if err != nil {
		return nil, err
	}
	u.mk = mk
	if u.bk, err = keys.Unwrap(mk, kf.BackupKey, backupKeyLabel(kf.DatabaseID)); err != nil {
		seal.Wipe(mk)
		return nil, fmt.Errorf("the backup key does not open with that key: %w", keys.ErrWrongPassphrase)
	}
	return u, nil
}

// openWith checks the session's grant (when the credentials are a session), then opens the folder.
func openWith(ctx context.Context, dir string, c Credentials, op store.Op, action string) (*unlocked, error) {
	k, err := sessionKeys(ctx, c, op, action)
	if err != nil {
		return nil, err
	}
	return folderKeys(ctx, dir, c, k)
}

// Entry is one backup as listed.
type Entry struct {
	Manifest *Manifest
	Drill    *Drill
}

// List returns every backup in the folder, oldest first, with its drill result.
func List(ctx context.Context, dir string, c Credentials) ([]Entry, error) {
	return list(ctx, dir, c, "backup.list")
}

func list(ctx context.Context, dir string, c Credentials, action string) ([]Entry, error) {
	u, err := openWith(ctx, dir, c, store.OpBackup, action)
	if err != nil {
		return nil, err
	}
	defer u.wipe()
	bk := u.bk
	ms, err := listManifests(dir, bk)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(ms))
	for i, m := range ms {
		d, err := readDrill(dir, m.ID, bk)
		if err != nil {
			return nil, err
		}
		out[i] = Entry{Manifest: m, Drill: d}
	}
	return out, nil
}

// Check verifies the folder: every manifest authenticates, every chain is complete and in
// order, every file has its recorded size and hash; with readAll it also decrypts and
// authenticates every byte (like restic check --read-data). It returns one line per problem.
func Check(ctx context.Context, dir string, c Credentials, readAll bool) ([]string, error) {
	u, err := openWith(ctx, dir, c, store.OpBackup, "backup.check")
	if err != nil {
		return nil, err
	}
	defer u.wipe()
	bk := u.bk
	ms, err := listManifests(dir, bk)
	if err != nil {
		return []string{err.Error()}, nil
	}
	var problems []string
	if _, err := readLedger(dir, bk); err != nil {
		problems = append(problems, err.Error())
	}
	for _, m := range ms {
		if _, err := chainTo(ms, m); err != nil {
			problems = append(problems, err.Error())
		}
		for _, f := range m.Files {
			var err error
			if readAll {
				// One pass: the file's hash, every chunk, and the decoded size and hash.
				err = readData(dir, m, f, bk, io.Discard)
			} else {
				err = checkFile(dir, f)
			}
			if err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	return problems, nil
}

// RestoreOptions choose what to restore.
type RestoreOptions struct {
	At    string // backup id; "" = the newest
	Store store.Options
	// NoReapply skips re-applying deletions recorded in backups after At (drills restore the
	// exact point).
	NoReapply bool
	// Protect says how the restored database keeps its master key on this machine: in this
	// machine's keychain or under a passphrase given now (as init does), so a restore on a new
	// machine with the recovery code does not stay locked to the old machine's passphrase or
	// keychain. A keychain database also gets its trail anchored there. The zero value keeps
	// the backup's header as it is (restore drills).
	Protect store.Protection
	// ProtectLikeSession (with a session's credentials) protects the restored copy as the
	// database in use keeps its key: in this machine's keychain, or under the same passphrase.
	// It overrides Protect.
	ProtectLikeSession bool
	// LedgerFrom are other backup folders of the same database (the configured one, when
	// restoring a disk kept elsewhere) whose erasure ledgers are applied too.
	LedgerFrom []string
}

// RestoreResult reports a finished restore.
type RestoreResult struct {
	Target     *Manifest
	Applied    []string // backup ids, in order
	Reapplied  int      // deletions from later backups applied again
	Erased     int      // customers erased after the backup, erased again (the folder's ledger)
	Snapshot   *store.Snapshot
	Verify     *store.Report
	Duration   time.Duration
	DatabaseID string
	KeyStore   string // where the restored database's master key is: store.KeyStoreKeychain or store.KeyStorePassphrase
	// Newest is the folder's newest backup when an older one was restored: the restored trail
	// ends below the audit head that backup recorded (a deliberate rollback, reported).
	Newest *Manifest
}

// Restore rebuilds a database from the folder into newDir, which must not exist or be empty:
// the full backup, then the differential and incrementals its chain names, up to opts.At.
// Everything happens in a scratch directory beside newDir, which becomes newDir only after
// the content hash, counts and audit head equal the manifest's and Verify passes; on any
// failure nothing is left at newDir. Deletions recorded in later backups are applied again.
//
// With a session's credentials, Restore checks the user's restore grant (the owner's) first and
// audits a denial; the recovery code or passphrase are a grant of their own (a new machine).
func Restore(ctx context.Context, dir, newDir string, c Credentials, o RestoreOptions) (*RestoreResult, error) {
	k, err := sessionKeys(ctx, c, store.OpRestore, "backup.restore")
	if err != nil {
		return nil, err
	}
	if o.ProtectLikeSession {
		if k == nil {
			return nil, errors.New("ProtectLikeSession needs a session's credentials")
		}
		o.Protect = store.Protection{Keychain: true}
		if k.KeyStore() != store.KeyStoreKeychain {
			blobs, err := k.Blobs(ctx)
			if err != nil {
				return nil, err
			}
			o.Protect = store.Protection{PassphraseWrap: blobs.Passphrase}
		}
	}
	res, err := restore(ctx, dir, newDir, c, k, o)
	if k != nil {
		// The database in use records who restored which backup (the restored copy records
		// the restore too, under system:restore): a restore is a read of everything.
		e := store.Event{Action: "backup.restore", Target: o.At, Outcome: "failed"}
		if err == nil {
			e.Target, e.Outcome, e.Detail = res.Target.ID, "ok", fmt.Sprintf("backups=%d key_store=%s", len(res.Applied), res.KeyStore)
		}
		if aerr := k.Audit(ctx, c.Session, e); aerr != nil && err == nil {
			return res, fmt.Errorf("restored, but the audit entry failed: %w", aerr)
		}
	}
	return res, err
}

func restore(ctx context.Context, dir, newDir string, c Credentials, k *store.BackupKeys, o RestoreOptions) (*RestoreResult, error) {
	start := time.Now()
	if entries, err := os.ReadDir(newDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("restore target %s is not empty: choose a new data directory (existing data is never overwritten): %w", newDir, ErrTargetNotEmpty)
	}
	u, err := folderKeys(ctx, dir, c, k)
	if err != nil {
		return nil, err
	}
	defer u.wipe()
	bk, kf := u.bk, u.kf
	if o.Protect.Keychain {
		// Find out now, not after the restore, that this machine cannot keep the key.
		if err := store.ProbeKeychain(ctx, o.Store, kf.DatabaseID); err != nil {
			return nil, err
		}
	}
	all, err := listManifests(dir, bk)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, errors.New("the backup folder holds no backups")
	}
	target := all[len(all)-1]
	if o.At != "" {
		target = nil
		for _, m := range all {
			if m.ID == o.At {
				target = m
			}
		}
		if target == nil {
			return nil, fmt.Errorf("no backup %s in the folder", o.At)
		}
	}
	chain, err := chainTo(all, target)
	if err != nil {
		return nil, err
	}
	// Every file of the chain is there, in a format this Spoke reads, with its recorded size,
	// before anything is decoded; each is then hashed and authenticated in the one pass that
	// decodes it, into scratch places that are removed unless every check passes.
	for _, m := range chain {
		if _, err := codecOf(m, m.Files[0]); err != nil {
			return nil, err
		}
		if err := statFile(dir, m.Files[0]); err != nil {
			return nil, err
		}
	}
	parent := filepath.Dir(filepath.Clean(newDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(parent, ".spoke-restoring-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(work)
		}
	}()
	parts, err := os.MkdirTemp("", "spoke-restore-parts-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(parts)
	res := &RestoreResult{Target: target, DatabaseID: kf.DatabaseID}
	dbPath := filepath.Join(work, store.DBFile)
	if err := decryptFile(dir, chain[0], bk, dbPath); err != nil {
		return nil, err
	}
	res.Applied = append(res.Applied, chain[0].ID)
	st, err := u.open(ctx, work, o.Store)
	if err != nil {
		return nil, fmt.Errorf("open restored database: %w", err)
	}
	defer st.Close()
	for _, m := range chain[1:] {
		part := filepath.Join(parts, m.ID)
		if err := decryptFile(dir, m, bk, part); err != nil {
			return nil, err
		}
		if err := st.ApplyDelta(ctx, part); err != nil {
			return nil, fmt.Errorf("apply backup %s: %w", m.ID, err)
		}
		os.Remove(part)
		res.Applied = append(res.Applied, m.ID)
	}
	var p *store.Snapshot
	if len(chain) == 1 && target.Files[0].PlainSHA256 != "" && target.SchemaVersion == store.SchemaVersion() {
		// The file decoded to exactly the bytes whose pages were read in the transaction
		// that computed the manifest's Snapshot (readData checked the plaintext hash), and no
		// migration ran on opening it: recomputing the content hash would be a second full
		// pass proving the same thing.
		p = new(store.Snapshot)
		*p = target.Snapshot
	} else {
		// A replayed delta (or a migrated schema) is proved only by the content it produced.
		if p, err = st.Snapshot(ctx); err != nil {
			return nil, err
		}
		if err := sameSnapshot(p, &target.Snapshot); err != nil {
			return nil, fmt.Errorf("restored data differs from backup %s: %w", target.ID, err)
		}
	}
	res.Snapshot = p
	if !o.NoReapply {
		var ids []string
		after := false
		for _, m := range all {
			if after && m.Kind != Full {
				part := filepath.Join(parts, m.ID)
				if err := decryptFile(dir, m, bk, part); err != nil {
					return nil, err
				}
				del, err := store.DeletedCustomersIn(ctx, part)
				if err != nil {
					return nil, err
				}
				ids = append(ids, del...)
				os.Remove(part)
			}
			after = after || m.ID == target.ID
		}
		if res.Reapplied, err = st.ReapplyDeletions(ctx, ids); err != nil {
			return nil, err
		}
	}
	// Customers erased after this backup was taken are erased again before the restored
	// database opens: the folder's ledger names them (the hub's copy does at the first sync).
	if !o.NoReapply {
		ledger, err := readLedger(dir, bk)
		if err != nil {
			return nil, err
		}
		ids := ledger.IDs
		for _, other := range o.LedgerFrom {
			more, err := otherLedger(ctx, other, c, k)
			if err != nil {
				return nil, fmt.Errorf("the erasure ledger of %s: %w", other, err)
			}
			ids = append(ids, more...)
		}
		if res.Erased, err = st.EraseFromLedger(ctx, ids); err != nil {
			return nil, fmt.Errorf("erase again what the folder's ledger names: %w", err)
		}
	}
	r, err := st.Verify(ctx)
	if err != nil {
		return nil, err
	}
	res.Verify = r
	if !r.OK() {
		return nil, fmt.Errorf("restored database fails verification: %s", r.Problems[0])
	}
	if newest := all[len(all)-1]; newest != target {
		res.Newest = newest
	}
	if !o.Protect.IsZero() {
		if err := st.Protect(ctx, o.Protect); err != nil {
			return nil, fmt.Errorf("protect the restored database's key: %w", err)
		}
	}
	res.KeyStore = st.KeyStore()
	// The restored copy records its own restore: work done to it by no one signed in there.
	if err := st.Audit(ctx, store.System("restore"), store.Event{Action: "backup.restore", Target: target.ID, Detail: fmt.Sprintf("backups=%d reapplied_deletions=%d erased_again=%d key_store=%s", len(res.Applied), res.Reapplied, res.Erased, res.KeyStore)}); err != nil {
		return nil, err
	}
	// A restored database is a new device, never the backed-up machine under its old identity.
	if err := st.BecomeNewDevice(ctx, c.RecoveryCode); err != nil {
		return nil, err
	}
	// The restored folder gets a keychain anchor of its own at its first unlock from the keychain
	// (store.anchorAccount is per data directory); the copy it came from keeps its own.
	st.Close()
	if err := os.Remove(newDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(work, newDir); err != nil {
		return nil, err
	}
	ok = true
	res.Duration = time.Since(start)
	return res, nil
}

// sameSnapshot compares what a restore must reproduce.
func sameSnapshot(got, want *store.Snapshot) error {
	if got.ContentHash != want.ContentHash {
		return errors.New("content hash differs")
	}
	if got.ChangeSeq != want.ChangeSeq || got.AuditSeq != want.AuditSeq || got.AuditHead != want.AuditHead {
		return errors.New("change log or audit trail differs")
	}
	for k, v := range want.Counts {
		if got.Counts[k] != v {
			return fmt.Errorf("%s: %d rows, expected %d", k, got.Counts[k], v)
		}
	}
	return nil
}

// drill restores backup m into a scratch directory with the live master key, verifies it as a
// real restore would, wipes it, and records the result in the folder and the audit trail.
func drill(ctx context.Context, st live, by store.Principal, k *store.BackupKeys, dir string, bk []byte, m *Manifest) (*Drill, error) {
	start := time.Now()
	d := &Drill{BackupID: m.ID, At: time.Now().UTC()}
	scratch, err := k.ScratchDir("spoke-drill-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	var res *RestoreResult
	if parent := passedParent(dir, bk, m); parent != nil {
		// The chain up to the parent is proved by the parent's drill: check what this
		// incremental adds, from its own file, in time proportional to the change.
		part := filepath.Join(scratch, "part.db")
		if err = decryptFile(dir, m, bk, part); err == nil {
			err = k.CheckDelta(ctx, part, &parent.Snapshot, &m.Snapshot)
		}
		if err == nil {
			res = &RestoreResult{Snapshot: &m.Snapshot}
		}
		d.DeltaOnly = true
	} else {
		res, err = restore(ctx, dir, filepath.Join(scratch, "db"), Credentials{}, k, RestoreOptions{At: m.ID, NoReapply: true,
			Store: store.Options{KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}}})
	}
	d.Duration = time.Since(start)
	if ctx.Err() != nil {
		// Cancelled (sign-out, quit): no verdict, so nothing is recorded as failed.
		return nil, ctx.Err()
	}
	if err != nil {
		d.Problem = err.Error()
	} else {
		d.Passed, d.Counts = true, res.Snapshot.Counts
	}
	if werr := writeSigned(filepath.Join(dir, m.ID+".drill"), d, bk); werr != nil {
		return d, werr
	}
	outcome := "ok"
	if !d.Passed {
		outcome = "failed"
	}
	if err := st.Audit(ctx, by, store.Event{Action: "backup.drill", Target: m.ID, Outcome: outcome, Detail: fmt.Sprintf("duration_ms=%d customers=%d", d.Duration.Milliseconds(), d.Counts["customers"])}); err != nil {
		return d, err
	}
	return d, nil
}

// passedParent returns the parent of a delta when the parent's own drill passed, and its
// schema has row clocks; nil for a full, or when the chain must be restored to be proved.
func passedParent(dir string, bk []byte, m *Manifest) *Manifest {
	if m.Kind == Full || m.Parent == "" {
		return nil
	}
	all, err := listManifests(dir, bk)
	if err != nil {
		return nil
	}
	for _, p := range all {
		if p.ID != m.Parent {
			continue
		}
		dr, err := readDrill(dir, p.ID, bk)
		if err != nil || dr == nil || !dr.Passed || p.Snapshot.SchemaVersion < store.ClocksSchema {
			return nil
		}
		return p
	}
	return nil
}

// Status summarises a folder for warnings: when the last backup and the last passed drill
// were, and whether either is older than the schedule allows.
type Status struct {
	LastBackup, LastPassedDrill time.Time
	BackupOverdue, DrillOverdue bool
	LastDrillFailed             bool
}

// FolderStatus reads the folder (with credentials) and applies the schedule at now.
func FolderStatus(ctx context.Context, dir string, c Credentials, s Schedule, now time.Time) (*Status, error) {
	if s == (Schedule{}) {
		s = DefaultSchedule
	}
	es, err := list(ctx, dir, c, "backup.status")
	if err != nil {
		return nil, err
	}
	st := &Status{}
	for _, e := range es {
		st.LastBackup = e.Manifest.Created
		if e.Drill != nil {
			st.LastDrillFailed = !e.Drill.Passed
			if e.Drill.Passed {
				st.LastPassedDrill = e.Drill.At
			}
		}
	}
	// The most frequent scheduled kind sets how stale a backup may get (unset kinds ignored).
	limit := time.Duration(0)
	for _, d := range []time.Duration{s.Incremental, s.Differential, s.Full} {
		if d > 0 && (limit == 0 || d < limit) {
			limit = d
		}
	}
	st.BackupOverdue = st.LastBackup.IsZero() || now.Sub(st.LastBackup) > limit
	st.DrillOverdue = st.LastPassedDrill.IsZero() || now.Sub(st.LastPassedDrill) > limit
	return st, nil
}
