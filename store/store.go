package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"spoke/compliance/deadline"
	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
	"spoke/hlc"
	"spoke/store/contact"
)

// Meta keys.
const (
	metaDBID       = "db_id"
	metaDeviceID   = "device_id"
	metaKeyStore   = "key_store" // "keychain" or "passphrase"
	metaMKPass     = "mk_passphrase"
	metaMKRecovery = "mk_recovery"
	metaHLC        = "hlc"
	metaAuditHead  = "audit_head"
	metaMKCheck    = "mk_check" // a value sealed under the master key: proves a key is the right one
)

// Where the master key lives.
const (
	KeyStoreKeychain   = "keychain"
	KeyStorePassphrase = "passphrase"
)

// Options tune a Store. The zero value is production behaviour.
type Options struct {
	// Passphrase unlocks a passphrase-protected database, or at Create chooses passphrase
	// protection instead of the OS keychain.
	Passphrase string
	// RecoveryCode unlocks the database with the emergency-kit code instead.
	RecoveryCode string
	// KDF sets Argon2id cost for new passphrase wraps and password hashes (tests lower it).
	KDF keys.KDFParams
	// Now is the wall clock (tests inject).
	Now func() time.Time
	// Keychain overrides the OS keychain (tests of a single unit).
	Keychain Keychain
	// MasterKey unlocks with a master key already in hand: a restore or restore drill. Such a
	// store is not held to the live database's keychain anchor (a restore is a deliberate
	// rollback to a backup, checked against its manifest) and is not upgraded in place.
	MasterKey []byte
	// RequestPolicy sets the data-subject request periods the law leaves open (PIPL's working
	// days, the period where no law here applies); zero: deadline.DefaultPolicy.
	RequestPolicy deadline.Policy
	// Intn draws security-training quizzes: a number in [0, n) (tests fix it); nil:
	// math/rand/v2's IntN.
	Intn func(n int) int
	// PasswordMinLength makes the password policy stricter than PasswordMinLength (12): a
	// deployment that wants longer passwords, or a test of what happens at sign-in when a
	// password no longer passes. A smaller value changes nothing.
	PasswordMinLength int
}

// Keychain is the part of the OS keychain the store uses.
type Keychain interface {
	Store(ctx context.Context, account string, secret []byte) error
	Load(ctx context.Context, account string) ([]byte, error)
	Delete(ctx context.Context, account string) error
}

type osKeychain struct{}

func (osKeychain) Store(ctx context.Context, a string, s []byte) error {
	return keychain.Store(ctx, a, s)
}

func (osKeychain) Load(ctx context.Context, a string) ([]byte, error) { return keychain.Load(ctx, a) }

func (osKeychain) Delete(ctx context.Context, a string) error { return keychain.Delete(ctx, a) }

func (o *Options) fill() {
	if o.KDF == (keys.KDFParams{}) {
		o.KDF = keys.DefaultKDF
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Keychain == nil {
		o.Keychain = osKeychain{}
	}
}

// Store is one unlocked Spoke database. Use SignIn to get a Session; a Store alone reads and
// writes nothing for callers.
type Store struct {
	db       *sql.DB
	dir      string
	dbID     string
	deviceID string
	keyStore string
	opts     Options
	clock    *hlc.Clock

	mu      sync.RWMutex
	mk      []byte
	scopes  map[string]map[uint32][]byte // unwrapped scope keys
	current map[string]uint32            // newest version per scope
	deks    map[string][]byte            // customer id -> unwrapped data key
	derived map[string][]byte            // purpose -> key derived from the org key
	roster  *roster.State                // verified roster, loaded on first use

	clockWarning string        // set at unlock when the header's clock is ahead of the wall clock
	clockAhead   time.Duration // by how much

	dummyOnce sync.Once
	dummyHash string // compared against for unknown usernames, so timing reveals nothing

	live liveSessions // signed-in sessions, whose search indexes follow incoming sync

	mkFromKeychain bool // unlocked with the key from this machine's keychain

	raiseMu    sync.Mutex // one keychain anchor raise at a time (held across keychain I/O)
	amu        sync.Mutex // guards the anchor state below; never held across I/O
	trailErr   error      // the unlock-time trail check failed: no sign-in, no writes
	anchorErr  error      // an outside anchor (backup, hub) showed a rollback
	lastAnchor time.Time  // when the keychain anchor was last raised

	ra readAudits // the synchronous=NORMAL pool for read-audit entries (readaudit.go)

	watch *watcher // the unusual-behaviour detector (watch.go); nil on a restore's copy

	devs  *deviceNames         // device numbers (clocks.go), cached for row checks
	stmts map[string]*sql.Stmt // statements prepared once on the pool (integrity.go)

	gen atomic.Uint64 // counts committed writes: what a session's training gate keeps its answer by
}

// clockSlack is how far the last write may be dated after the wall clock before unlock warns:
// the same bound sync applies to other devices' clocks.
const clockSlack = 5 * time.Minute

// ClockWarning says, in one sentence, that this computer's clock is behind the database's
// last write, or is "" when it is not.
func (s *Store) ClockWarning() string { return s.clockWarning }

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// DatabaseID identifies this database (the keychain account name).
func (s *Store) DatabaseID() string { return s.dbID }

// DeviceID identifies this device in clocks, change-sets and audit entries.
func (s *Store) DeviceID() string { return s.deviceID }

// KeyStore says where the master key lives: KeyStoreKeychain or KeyStorePassphrase.
func (s *Store) KeyStore() string { return s.keyStore }

// Close makes every read-audit entry durable, raises the keychain anchor to the committed
// audit head, wipes the unlocked keys and closes the database.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.saveWatch(ctx)
	s.RaiseAnchor(ctx)
	s.closeReadAudits(ctx)
	cancel()
	s.mu.Lock()
	seal.Wipe(s.mk)
	for _, m := range s.scopes {
		for _, k := range m {
			seal.Wipe(k)
		}
	}
	for _, k := range s.deks {
		seal.Wipe(k)
	}
	for _, k := range s.derived {
		seal.Wipe(k)
	}
	s.mk, s.scopes, s.deks, s.derived = nil, nil, nil, nil
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.mu.Unlock()
	return s.db.Close()
}

// CreateOptions describe a new database.
type CreateOptions struct {
	ShopName      string
	Region        string // ISO 3166 alpha-2 for phone numbers, e.g. "US"
	Currency      string // ISO 4217, e.g. "USD"
	OwnerUsername string
	OwnerName     string
	OwnerPassword string
}

// Exists reports whether dir holds a Spoke database.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DBFile))
	return err == nil
}

// Create makes a new database in dir with a fresh master key, the first shop and the owner
// account, and returns it unlocked together with the recovery code, which is shown once and
// never stored. Without opts.Passphrase the master key goes to the OS keychain; if none answers,
// Create fails with keychain.ErrNoKeychain rather than store the key anywhere weaker.
func Create(ctx context.Context, dir string, c CreateOptions, opts Options) (*Store, string, error) {
	if c.Region == "" {
		c.Region = "US"
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if !contact.ValidRegion(c.Region) {
		return nil, "", &FieldError{"region", "not a known ISO country code"}
	}
	if err := opts.checkPassword(c.OwnerUsername, c.OwnerPassword); err != nil {
		return nil, "", err
	}
	if err := checkUsername(c.OwnerUsername); err != nil {
		return nil, "", err
	}
	if c.ShopName == "" {
		return nil, "", &FieldError{"shop", "is required"}
	}
	return create(ctx, dir, &c, opts)
}

// CreateReplica makes an empty database for a device joining an existing chain: its own
// master key and recovery code, no keys, shops or users yet; sync brings them.
func CreateReplica(ctx context.Context, dir string, opts Options) (*Store, string, error) {
	return create(ctx, dir, nil, opts)
}

func create(ctx context.Context, dir string, c *CreateOptions, opts Options) (*Store, string, error) {
	opts.fill()
	if Exists(dir) {
		return nil, "", fmt.Errorf("a Spoke database already exists in that data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create data directory: %w", err)
	}
	dbID := uuid.Must(uuid.NewV7()).String()
	mk := keys.New()
	keyStore := KeyStoreKeychain
	if opts.Passphrase != "" {
		keyStore = KeyStorePassphrase
	} else if err := opts.Keychain.Store(ctx, dbID, mk); err != nil {
		return nil, "", err
	}
	s, code, err := createWithKey(ctx, dir, c, opts, dbID, mk, keyStore)
	if err != nil && keyStore == KeyStoreKeychain {
		// No database came of it: leave no orphaned key in the keychain either.
		opts.Keychain.Delete(context.WithoutCancel(ctx), dbID)
		opts.Keychain.Delete(context.WithoutCancel(ctx), anchorAccount(dbID, dir))
	}
	if err == nil && keyStore == KeyStoreKeychain {
		// The creation entry is the first anchored head. Should this write fail, the next
		// unlock from the keychain anchors the trail.
		s.mkFromKeychain = true
		s.raiseAnchor(ctx)
	}
	return s, code, err
}

func createWithKey(ctx context.Context, dir string, c *CreateOptions, opts Options, dbID string, mk []byte, keyStore string) (*Store, string, error) {
	code := keys.NewRecoveryCode()
	recWrap, err := keys.WrapWithRecoveryCode(mk, code, dbID)
	if err != nil {
		return nil, "", err
	}
	var passWrap []byte
	if keyStore == KeyStorePassphrase {
		if passWrap, err = keys.WrapWithPassphrase(mk, opts.Passphrase, opts.KDF); err != nil {
			return nil, "", err
		}
	}

	db, err := openDB(dir, true)
	if err != nil {
		return nil, "", err
	}
	cleanup := func() {
		db.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(filepath.Join(dir, DBFile+suffix))
		}
	}
	if _, err := migrate(ctx, db); err != nil {
		cleanup()
		return nil, "", err
	}
	s := newStore(db, dir, dbID, uuid.Must(uuid.NewV7()).String(), keyStore, mk, opts)
	// A failure here only means those statements are prepared per transaction instead.
	_ = s.prewarm(ctx)
	err = s.bootstrap(ctx, recWrap, passWrap, c)
	if err == nil && c != nil {
		// A new chain: this device is the first owner of its roster. A replica learns its
		// chain's roster from the enrolment code and the hub.
		err = s.writeGenesis(ctx, code)
	}
	if err != nil {
		cleanup()
		return nil, "", err
	}
	if err := s.startWatch(ctx); err != nil {
		s.watch = nil
	}
	return s, code, nil
}

func newStore(db *sql.DB, dir, dbID, deviceID, keyStore string, mk []byte, opts Options) *Store {
	return &Store{
		db: db, dir: dir, dbID: dbID, deviceID: deviceID, keyStore: keyStore, opts: opts, mk: mk,
		clock:   hlc.New(opts.Now, 5*time.Minute),
		scopes:  map[string]map[uint32][]byte{},
		current: map[string]uint32{},
		deks:    map[string][]byte{},
		derived: map[string][]byte{},
	}
}

// bootstrap writes meta, the org and first shop keys, the shop and the owner, in one
// transaction, so a crash leaves either nothing or a whole database.
func (s *Store) bootstrap(ctx context.Context, recWrap, passWrap []byte, c *CreateOptions) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	check, err := seal.Seal(s.mk, []byte(metaMKCheck), seal.Label(metaMKCheck, s.dbID))
	if err != nil {
		return err
	}
	for k, v := range map[string][]byte{
		metaDBID: []byte(s.dbID), metaDeviceID: []byte(s.deviceID),
		metaKeyStore: []byte(s.keyStore), metaMKRecovery: recWrap, metaMKCheck: check,
	} {
		if err := s.putMeta(ctx, tx, k, v); err != nil {
			return err
		}
	}
	if passWrap != nil {
		if err := s.putMeta(ctx, tx, metaMKPass, passWrap); err != nil {
			return err
		}
	}
	if c == nil {
		// A replica: keys, shops and users arrive by sync. Its audit key is derived from the
		// org key, so its trail starts with the import of that key (keys.import); until then it
		// holds nothing a trail would protect.
		return tx.Commit()
	}
	if err := s.newScopeKey(ctx, tx, OrgScope); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// The owner and first shop go through the normal write path so they get clocks, MACs
	// and audit entries like every later write.
	return s.write(ctx, systemActor(s), "store.init", func(w *wtx) error {
		shopID, err := w.addShop(c.ShopName, c.Region, c.Currency)
		if err != nil {
			return err
		}
		owner, err := w.addUser(NewUser{
			Username: c.OwnerUsername, DisplayName: c.OwnerName, Password: c.OwnerPassword,
			Roles: []Role{RoleOwner},
		}, shopID)
		if err != nil {
			return err
		}
		// The training starts with the database (training.go).
		return w.putTrainingSince(owner)
	})
}

// Open unlocks an existing database: from the OS keychain, or with opts.Passphrase, or with
// opts.RecoveryCode. A wrong passphrase or code returns keys.ErrWrongPassphrase.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	opts.fill()
	if !Exists(dir) {
		return nil, ErrNoDatabase
	}
	db, err := openDB(dir, false)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s, err := unlock(ctx, db, dir, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := s.checkTrail(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.upgradeUsers(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("upgrade user records: %w", err)
	}
	if opts.MasterKey != nil {
		// A restore or drill: it must reproduce its backup exactly, so nothing is written.
		return s, nil
	}
	if err := s.sealIfNew(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("seal rows: %w", err)
	}
	if err := s.ensureGenesis(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("start the device list: %w", err)
	}
	if err := s.signOldStaff(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sign staff records: %w", err)
	}
	if err := s.ensureTrainingSince(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("start the training: %w", err)
	}
	// Only after the trail was checked: an entry written before would give a wiped or
	// rolled-back trail a fresh, valid head.
	if s.clockAhead > 0 && s.trailProblem() == nil {
		s.auditAlone(ctx, clockActor, auditEntry{Action: "clock.behind", Outcome: "warning", Detail: fmt.Sprintf("ahead_ms=%d", s.clockAhead.Milliseconds())})
	}
	// The detector last: it reads the trail as unlock left it. Its failure fails no unlock.
	if err := s.startWatch(ctx); err != nil {
		s.watch = nil
	}
	return s, nil
}

// upgradeUsers converts user records from before versions (schema 4) to version 1 with the
// version in their MAC, and records those versions, in one audited transaction. Every device
// converts its own copy the same way, so nothing of it is logged for sync. A record whose old
// MAC fails is left for verify to name. Restores are not converted (they must equal their
// backup); the next ordinary unlock does it.
func (s *Store) upgradeUsers(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE version = 0").Scan(&n); err != nil || n == 0 {
		return err
	}
	if s.opts.MasterKey != nil || s.trailProblem() != nil {
		return nil
	}
	if org, err := hasOrgKey(ctx, s.db); err != nil || !org {
		return err
	}
	return s.write(ctx, systemActor(s), "store.upgrade", func(w *wtx) error {
		rows, err := w.tx.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE version = 0")
		if err != nil {
			return err
		}
		var old []*userRow
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			old = append(old, u)
		}
		rows.Close()
		uv, err := loadUserVersions(ctx, w.tx)
		if err != nil {
			return err
		}
		converted := 0
		for _, u := range old {
			if uv[u.id] > 0 || s.authentic(ctx, u) != nil {
				continue
			}
			u.version = 1
			if u.mac, err = s.userMAC(ctx, u); err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(ctx, "UPDATE users SET version = 1, mac = ? WHERE id = ?", u.mac, u.id); err != nil {
				return err
			}
			uv[u.id] = 1
			converted++
		}
		w.audit.Detail = fmt.Sprintf("user records converted to versions: %d", converted)
		return uv.save(ctx, s, w.tx)
	})
}

func unlock(ctx context.Context, db *sql.DB, dir string, opts Options) (*Store, error) {
	meta := map[string][]byte{}
	for _, k := range []string{metaDBID, metaDeviceID, metaKeyStore, metaMKRecovery} {
		v, err := getMeta(ctx, db, k)
		if err != nil {
			return nil, fmt.Errorf("read database header %s: %w", k, err)
		}
		meta[k] = v
	}
	dbID, keyStore := string(meta[metaDBID]), string(meta[metaKeyStore])
	var mk []byte
	var err error
	fromKeychain := false
	switch {
	case opts.MasterKey != nil:
		mk = append([]byte(nil), opts.MasterKey...)
	case opts.RecoveryCode != "":
		mk, err = keys.UnwrapWithRecoveryCode(meta[metaMKRecovery], opts.RecoveryCode, dbID)
	case keyStore == KeyStorePassphrase:
		if opts.Passphrase == "" {
			return nil, ErrPassphraseNeeded
		}
		var blob []byte
		if blob, err = getMeta(ctx, db, metaMKPass); err != nil {
			return nil, fmt.Errorf("read wrapped key: %w", err)
		}
		mk, err = keys.UnwrapWithPassphrase(blob, opts.Passphrase)
	case keyStore == KeyStoreKeychain:
		mk, err = opts.Keychain.Load(ctx, dbID)
		fromKeychain = true
	default:
		return nil, fmt.Errorf("unknown key store in database header")
	}
	if err != nil {
		return nil, err
	}
	if len(mk) != keys.Size {
		return nil, keys.ErrBadWrap
	}
	s := newStore(db, dir, dbID, string(meta[metaDeviceID]), keyStore, mk, opts)
	// A failure here only means those statements are prepared per transaction instead.
	_ = s.prewarm(ctx)
	s.mkFromKeychain = fromKeychain
	check, err := getMeta(ctx, db, metaMKCheck)
	if err != nil {
		return nil, fmt.Errorf("read database header: %w", err)
	}
	if _, err := seal.Open(mk, check, seal.Label(metaMKCheck, dbID)); err != nil {
		return nil, fmt.Errorf("unlock: %w", keys.ErrWrongPassphrase)
	}
	// What was read before the key was there (ids, key store, wraps) and the clock's mark.
	if err := s.checkHeader(ctx, db); err != nil {
		return nil, err
	}
	if v, err := getMeta(ctx, db, metaHLC); err == nil {
		if ts, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			// The clock never runs backwards, so it takes the header's reading; but a header
			// dated after this computer's clock means the clock was set back (or the file came
			// from a machine whose clock ran fast): say so rather than trust it silently.
			last := hlc.Timestamp(ts)
			s.clock.Observe(last)
			if ahead := last.Wall().Sub(opts.Now()); ahead > clockSlack {
				s.clockWarning = fmt.Sprintf("the database's last change is dated %s, %s after this computer's clock: check the date and time settings (changes made now sort after it)",
					last.Wall().Local().Format("2006-01-02 15:04"), ahead.Round(time.Minute))
				s.clockAhead = ahead
			}
		}
	}
	return s, nil
}
