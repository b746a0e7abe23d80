package store

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
)

// Role is a staff role from DESIGN.md's access matrix.
type Role string

// The roles.
const (
	RoleOwner     Role = "owner"
	RoleManager   Role = "manager"
	RoleSales     Role = "sales"
	RoleMechanic  Role = "mechanic"
	RoleMarketing Role = "marketing"
	RoleAuditor   Role = "auditor"
)

// Roles lists every role, in the matrix's order.
var Roles = []Role{RoleOwner, RoleManager, RoleSales, RoleMechanic, RoleMarketing, RoleAuditor}

// ParseRole accepts a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", &FieldError{"role", "must be one of owner, manager, sales, mechanic, marketing, auditor"}
}

// Lock-out policy for the shared counter.
const (
	MaxFailedSignIns = 5
	LockOutFor       = 15 * time.Minute
)

// User is a staff account as the session surface shows it.
type User struct {
	ID          string
	Username    string
	DisplayName string
	Roles       []Role
	ShopID      string // "" for org-wide (owner, auditor, marketing)
	Active      bool
	LastSignIn  time.Time
	LockedUntil time.Time
	CreatedAt   time.Time
	// LeavesAt is the leaving date the owner recorded in the signed staff record (zero: none).
	// From then on every device that holds the record refuses the account by itself.
	LeavesAt time.Time
}

// Left reports whether the user's leaving date has come at now.
func (u *User) Left(now time.Time) bool { return !u.LeavesAt.IsZero() && !now.Before(u.LeavesAt) }

// Has reports whether the user holds role r.
func (u *User) Has(r Role) bool { return slices.Contains(u.Roles, r) }

// NewUser is the input for adding a staff account.
type NewUser struct {
	Username    string
	DisplayName string
	Password    string
	Roles       []Role
	ShopID      string
}

func checkUsername(u string) error {
	if len(u) < 2 || len(u) > 64 {
		return &FieldError{"username", "must be 2 to 64 characters"}
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return &FieldError{"username", "may use only lower-case letters, digits, '.', '_' and '-'"}
		}
	}
	return nil
}

// hashPassword makes a PHC-format Argon2id hash.
func hashPassword(pw string, p keys.KDFParams) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	h := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(h))
}

// checkPasswordHash verifies pw against a PHC hash in constant time.
func checkPasswordHash(phc, pw string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t == 0 || t > 64 || m < 8 || m > 4<<20 || p == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// userRow is the stored form of a user, every column of which the MAC covers.
type userRow struct {
	id, username string
	displayName  []byte
	passwordHash string
	roles        string
	shopID       sql.NullString
	active       bool
	failed       int64
	lockedUntil  int64
	lastSignIn   int64
	createdAt    int64
	// version rises with every logged change of the record (roles, shop, active, password,
	// name). The MAC covers it, and the highest version seen per user is kept in meta under the
	// authenticated audit head, so an older, genuinely MAC'd copy of the row put back into the
	// file (re-activating a deactivated account) is refused. Sign-in bookkeeping does not
	// raise it: that is local to a device, and an old lock-out counter gives an attacker who has
	// the file nothing the file's password hashes do not.
	version int64
	// leavesAt is the leaving date (unix ms; 0: none), part of the signed staff facts.
	leavesAt int64
	mac      []byte
	// signer and sig: the owner device that wrote the record's staff facts (everything but
	// sign-in bookkeeping) and its Ed25519 signature over them (staffStatement).
	signer string
	sig    []byte
}

// staffStatement is what an owner device signs of a staff record: who the person is, what
// they may do, and the record's version. Sign-in bookkeeping is local and not signed.
func (u *userRow) staffStatement() []byte {
	if u.leavesAt != 0 {
		// A record with a leaving date signs it too (v2); one without keeps the v1 statement,
		// so every signature made before leaving dates existed still verifies.
		return seal.Label("spoke/staff-record/v2", u.id, u.username, string(u.displayName), u.passwordHash, u.roles,
			u.shopID.String, strconv.FormatBool(u.shopID.Valid), strconv.FormatBool(u.active),
			strconv.FormatInt(u.createdAt, 10), strconv.FormatInt(u.version, 10), strconv.FormatInt(u.leavesAt, 10))
	}
	return seal.Label("spoke/staff-record/v1", u.id, u.username, string(u.displayName), u.passwordHash, u.roles,
		u.shopID.String, strconv.FormatBool(u.shopID.Valid), strconv.FormatBool(u.active),
		strconv.FormatInt(u.createdAt, 10), strconv.FormatInt(u.version, 10))
}

func (u *userRow) macInput() []byte {
	fields := []string{u.id, u.username, string(u.displayName), u.passwordHash, u.roles,
		u.shopID.String, strconv.FormatBool(u.shopID.Valid), strconv.FormatBool(u.active),
		strconv.FormatInt(u.failed, 10), strconv.FormatInt(u.lockedUntil, 10),
		strconv.FormatInt(u.lastSignIn, 10), strconv.FormatInt(u.createdAt, 10)}
	if u.version == 0 {
		// A record written before versions (schema 4); unlock converts it to version 1.
		return seal.Label(append([]string{"user/v1"}, fields...)...)
	}
	if u.leavesAt != 0 {
		return seal.Label(append([]string{"user/v3"}, append(fields, strconv.FormatInt(u.version, 10), strconv.FormatInt(u.leavesAt, 10))...)...)
	}
	return seal.Label(append([]string{"user/v2"}, append(fields, strconv.FormatInt(u.version, 10))...)...)
}

func (s *Store) userMAC(ctx context.Context, u *userRow) ([]byte, error) {
	k, err := s.orgDerived(ctx, purposeUserMAC)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k)
	m.Write(u.macInput())
	return m.Sum(nil), nil
}

const userCols = "id, username, display_name, password_hash, roles, shop_id, active, failed_attempts, locked_until, last_sign_in, created_at, version, mac, signer, sig, leaves_at"

func scanUser(sc interface{ Scan(...any) error }) (*userRow, error) {
	u := &userRow{}
	err := sc.Scan(&u.id, &u.username, &u.displayName, &u.passwordHash, &u.roles, &u.shopID, &u.active, &u.failed, &u.lockedUntil, &u.lastSignIn, &u.createdAt, &u.version, &u.mac, &u.signer, &u.sig, &u.leavesAt)
	return u, err
}

// trusted checks a stored user's MAC and that the record is not older than the newest
// version this database has recorded for that user: what sign-in, the user list and edits
// rely on. A genuine older copy of the row put back into the file fails the second check.
func (s *Store) trusted(ctx context.Context, u *userRow) error {
	uv, err := loadUserVersions(ctx, s.db)
	if err != nil {
		return err
	}
	if err := s.authentic(ctx, u); err != nil {
		return err
	}
	if err := s.ownerSigned(ctx, s.db, u); err != nil {
		return err
	}
	return uv.check(u)
}

// ErrUnsignedStaff means a staff record is not signed by an active owner device of the device
// list: forged by someone who holds only the org key (a shop device, a revoked device), or
// signed by an owner device revoked since and not yet signed again by another.
var ErrUnsignedStaff = fmt.Errorf("the staff record is not signed by an active owner device (sync, or ask the owner to save the account again): %w", ErrTampered)

// ownerSigned checks a staff record's signature against the verified roster, read through q.
// A database without a roster yet (a replica before its first sync holds no staff), and a
// restore, which must reproduce its backup and is signed at its first ordinary unlock, accept
// records from before signatures.
func (s *Store) ownerSigned(ctx context.Context, q querier, u *userRow) error {
	r, err := s.rosterVia(ctx, q)
	if errors.Is(err, ErrNoRoster) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(u.sig) == 0 && u.signer == "" && s.opts.MasterKey != nil {
		return nil
	}
	m := r.Member(u.signer)
	if m == nil || !m.Active || m.Role != roster.RoleOwner || m.ID == roster.RecoveryID ||
		!ed25519.Verify(m.SigningKey, u.staffStatement(), u.sig) {
		return fmt.Errorf("user %s: %w", u.id, ErrUnsignedStaff)
	}
	return nil
}

// authentic checks a stored user's MAC only: the merge of another device's change-set uses it,
// and then records the merged row's version (recordUserVersions).
func (s *Store) authentic(ctx context.Context, u *userRow) error {
	want, err := s.userMAC(ctx, u)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, u.mac) {
		return fmt.Errorf("user %s: %w", u.id, ErrTampered)
	}
	return nil
}

// metaUserVersions holds the newest version of every user record this database has held, as
// canonical JSON ({"id": version}); the audit head's MAC covers it.
const metaUserVersions = "user_versions"

type userVersions map[string]int64

func loadUserVersions(ctx context.Context, q querier) (userVersions, error) {
	v, err := getMeta(ctx, q, metaUserVersions)
	if errors.Is(err, ErrNotFound) {
		return userVersions{}, nil
	}
	if err != nil {
		return nil, err
	}
	uv := userVersions{}
	if err := json.Unmarshal(v, &uv); err != nil {
		return nil, fmt.Errorf("user versions in the header: %w", ErrTampered)
	}
	return uv, nil
}

func (uv userVersions) save(ctx context.Context, s *Store, q querier) error {
	b, err := json.Marshal(uv) // map keys sorted: canonical
	if err != nil {
		return err
	}
	return s.putMeta(ctx, q, metaUserVersions, b)
}

// ReplayError names a user record older than the version recorded for it: an older copy of
// the row was put back.
type ReplayError struct {
	UserID        string
	Version, Want int64
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("user %s: record version %d is older than the recorded version %d (an older copy of the row was put back)", e.UserID, e.Version, e.Want)
}
func (e *ReplayError) Unwrap() error { return ErrTampered }

func (uv userVersions) check(u *userRow) error {
	if want := uv[u.id]; u.version < want {
		return &ReplayError{UserID: u.id, Version: u.version, Want: want}
	}
	return nil
}

// toUser opens a verified row for display.
func (s *Store) toUser(ctx context.Context, u *userRow) (*User, error) {
	org, _, err := s.scopeKey(ctx, OrgScope, 1)
	if err != nil {
		return nil, err
	}
	name, err := openField(org, "users", u.id, "display_name", u.displayName)
	if err != nil {
		return nil, err
	}
	out := &User{ID: u.id, Username: u.username, DisplayName: name, ShopID: u.shopID.String, Active: u.active,
		CreatedAt: time.UnixMilli(u.createdAt)}
	if u.lastSignIn > 0 {
		out.LastSignIn = time.UnixMilli(u.lastSignIn)
	}
	if u.lockedUntil > 0 {
		out.LockedUntil = time.UnixMilli(u.lockedUntil)
	}
	if u.leavesAt > 0 {
		out.LeavesAt = time.UnixMilli(u.leavesAt)
	}
	for _, r := range strings.Split(u.roles, ",") {
		if r != "" {
			out.Roles = append(out.Roles, Role(r))
		}
	}
	return out, nil
}

// writeUser stores every column of u (insert or update) with a fresh MAC, its cells clocked for sync.
func (w *wtx) writeUser(u *userRow, insert bool) error { return w.putUser(u, insert, true) }

// touchUser stores sign-in bookkeeping (failed attempts, lock-out, last sign-in) without
// cell clocks: it is local to the device where the sign-in happened (a shop device may
// not write org-wide data), and the next logged write of the user carries the whole row.
func (w *wtx) touchUser(u *userRow) error { return w.putUser(u, false, false) }

func (w *wtx) putUser(u *userRow, insert, logged bool) error {
	if logged {
		uv, err := loadUserVersions(w.ctx, w.tx)
		if err != nil {
			return err
		}
		u.version = max(u.version, uv[u.id]) + 1
	}
	if logged || insert {
		id, err := w.s.identityVia(w.ctx, w.tx)
		if err != nil {
			return err
		}
		u.signer, u.sig = w.s.deviceID, ed25519.Sign(id.Signing, u.staffStatement())
	}
	mac, err := w.s.userMAC(w.ctx, u)
	if err != nil {
		return err
	}
	u.mac = mac
	var shop any
	if u.shopID.Valid {
		shop = u.shopID.String
	}
	cols := []col{
		plain("username", u.username), sealedCol("display_name", u.displayName),
		plain("password_hash", u.passwordHash), plain("roles", u.roles), plain("shop_id", shop),
		plain("active", u.active), plain("failed_attempts", u.failed), plain("locked_until", u.lockedUntil),
		plain("last_sign_in", u.lastSignIn), plain("created_at", u.createdAt), plain("version", u.version), plain("mac", u.mac),
		plain("signer", u.signer), plain("sig", u.sig), plain("leaves_at", u.leavesAt),
	}
	if insert {
		return w.insert("users", OrgScope, u.id, cols)
	}
	if !logged {
		for i := range cols {
			cols[i].unlogged = true // written, not logged
		}
	}
	return w.update("users", OrgScope, u.id, cols)
}

func (w *wtx) addShop(name, region, currency string) (string, error) {
	id := newID()
	// Shop rows are org-wide (every device needs the names for users and reports); the shop's
	// own scope starts with its customers.
	if err := w.insert("shops", OrgScope, id, []col{
		plain("name", name), plain("region", region), plain("currency", currency), plain("created_at", w.now),
	}); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return "", &FieldError{"shop", "a shop with that name exists"}
		}
		return "", err
	}
	if err := w.s.newScopeKey(w.ctx, w.tx, id); err != nil {
		return "", err
	}
	w.audit.Target = id
	return id, nil
}

func (w *wtx) addUser(n NewUser, defaultShop string) (string, error) {
	if err := checkUsername(n.Username); err != nil {
		return "", err
	}
	if err := w.s.opts.checkPassword(n.Username, n.Password); err != nil {
		return "", err
	}
	if len(n.Roles) == 0 {
		return "", &FieldError{"role", "at least one role is required"}
	}
	roles := make([]string, 0, len(n.Roles))
	shopScoped := false
	for _, r := range n.Roles {
		if _, err := ParseRole(string(r)); err != nil {
			return "", err
		}
		roles = append(roles, string(r))
		if r == RoleManager || r == RoleSales || r == RoleMechanic {
			shopScoped = true
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	shop := n.ShopID
	if shopScoped && shop == "" {
		shop = defaultShop
	}
	if !shopScoped {
		shop = ""
	}
	if shop != "" {
		var one int
		if err := w.tx.QueryRowContext(w.ctx, "SELECT 1 FROM shops WHERE id = ?", shop).Scan(&one); err != nil {
			return "", &FieldError{"shop", "no such shop"}
		}
	}
	id := newID()
	org, _, err := w.s.scopeKey(w.ctx, OrgScope, 1)
	if err != nil {
		return "", err
	}
	display := n.DisplayName
	if display == "" {
		display = n.Username
	}
	dn, err := sealField(org, "users", id, "display_name", display)
	if err != nil {
		return "", err
	}
	u := &userRow{id: id, username: n.Username, displayName: dn, passwordHash: hashPassword(n.Password, w.s.opts.KDF),
		roles: strings.Join(roles, ","), shopID: sql.NullString{String: shop, Valid: shop != ""}, active: true, createdAt: w.now}
	if err := w.writeUser(u, true); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return "", &FieldError{"username", "is taken"}
		}
		return "", err
	}
	w.audit.Target = id
	w.audit.Detail = "roles=" + u.roles
	return id, nil
}

// SignIn checks a username and password and returns a Session bound to that user. Failures are
// audited and counted; after MaxFailedSignIns the account locks for LockOutFor. A user record
// whose MAC does not verify (edited in the file) is refused with ErrTampered.
func (s *Store) SignIn(ctx context.Context, username, password string) (*Session, error) {
	if err := s.trailProblem(); err != nil {
		// The trail was wiped or rolled back (or its anchor altered): fail closed.
		return nil, err
	}
	row := s.db.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so timing does not reveal which names exist.
		s.dummyOnce.Do(func() { s.dummyHash = hashPassword("not a password", s.opts.KDF) })
		checkPasswordHash(s.dummyHash, password)
		s.auditAlone(ctx, actor{userID: "unknown"}, auditEntry{Action: "auth.sign_in", Outcome: "failed", Detail: "unknown user"})
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if err := s.trusted(ctx, u); err != nil {
		detail := "user record fails authentication"
		var re *ReplayError
		if errors.As(err, &re) {
			detail = "user record older than its recorded version"
		}
		s.auditAlone(ctx, actor{userID: u.id}, auditEntry{Action: "auth.sign_in", Target: u.id, Outcome: "refused", Detail: detail})
		return nil, err
	}
	now := s.opts.Now().UnixMilli()
	a := actor{userID: u.id, shopID: u.shopID.String, roles: u.roles}
	switch {
	case !u.active:
		s.auditAlone(ctx, a, auditEntry{Action: "auth.sign_in", Target: u.id, Outcome: "refused", Detail: "inactive"})
		return nil, ErrInactive
	case u.leavesAt != 0 && now >= u.leavesAt:
		// The signed staff record's leaving date has come: refused here by this device alone,
		// with no owner device online and no deactivation synced yet.
		s.auditAlone(ctx, a, auditEntry{Action: "auth.sign_in", Target: u.id, Outcome: "refused", Detail: "left"})
		return nil, ErrLeft
	case u.lockedUntil > now:
		s.auditAlone(ctx, a, auditEntry{Action: "auth.sign_in", Target: u.id, Outcome: "refused", Detail: "locked out"})
		return nil, ErrLockedOut
	}
	if on, err := s.suspended(ctx, u.id); on || err != nil {
		// A critical alert suspended the account on this device (alerts.go).
		s.auditAlone(ctx, a, auditEntry{Action: "auth.sign_in", Target: u.id, Outcome: "refused", Detail: "suspended"})
		if err != nil {
			return nil, err
		}
		return nil, ErrSuspended
	}
	if !checkPasswordHash(u.passwordHash, password) {
		return nil, s.failedSignIn(ctx, a, u, now, "")
	}
	// The password in hand is checked against the policy (password.go): the result goes in the
	// sign-in's entry, which the check-up reads, and where this device may change the staff
	// record the session may do nothing but that until the password is changed.
	rule := s.opts.passwordPolicy(u.username, password)
	err = s.write(ctx, a, "auth.sign_in", func(w *wtx) error {
		u.failed, u.lockedUntil, u.lastSignIn = 0, 0, now
		w.audit.Target = u.id
		if rule != "" {
			w.audit.Detail = "password_policy=" + rule
		}
		return w.touchUser(u)
	})
	if err != nil {
		return nil, err
	}
	user, err := s.toUser(ctx, u)
	if err != nil {
		return nil, err
	}
	ss := &Session{s: s, user: user, passwordRule: rule, mustChange: rule != "" && s.mayWrite(ctx, s.db, OrgScope)}
	ss.leaves.Store(u.leavesAt)
	ss.authAt.Store(now)
	s.live.add(ss)
	return ss, nil
}

// failedSignIn counts a wrong password against the account (a sign-in's or a
// re-authentication's: both are failed sign-ins, in the trail and towards the lock-out) and
// returns ErrBadCredentials, or ErrLockedOut once the account locks.
func (s *Store) failedSignIn(ctx context.Context, a actor, u *userRow, now int64, note string) error {
	err := s.write(ctx, a, "auth.sign_in", func(w *wtx) error {
		u.failed++
		w.audit.Target, w.audit.Outcome = u.id, "failed"
		w.audit.Detail = note + "failed attempts=" + strconv.FormatInt(u.failed, 10)
		if u.failed >= MaxFailedSignIns {
			u.lockedUntil = now + LockOutFor.Milliseconds()
			u.failed = 0
			w.audit.Detail += "; locked"
		}
		return w.touchUser(u)
	})
	if err != nil {
		return err
	}
	if u.lockedUntil > now {
		return ErrLockedOut
	}
	return ErrBadCredentials
}

// signStaffBy signs again, as this owner device, every staff record signed by signer ("" for
// records from before signatures), as logged writes: each gets a new version and travels to
// the other devices. Revocation calls it for the revoked device's records; unlock for old ones.
func (s *Store) signStaffBy(ctx context.Context, a actor, signer string) (int, error) {
	n := 0
	err := s.write(ctx, a, "user.sign", func(w *wtx) error {
		rows, err := w.tx.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE signer = ? ORDER BY id", signer)
		if err != nil {
			return err
		}
		var us []*userRow
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			us = append(us, u)
		}
		rows.Close()
		uv, err := loadUserVersions(ctx, w.tx)
		if err != nil {
			return err
		}
		for _, u := range us {
			// Only a record this database trusts is signed: an older genuine row put back into
			// the file must not be laundered by a fresh signature. Verify names the others.
			if s.authentic(ctx, u) != nil || uv.check(u) != nil {
				continue
			}
			if err := w.putUser(u, false, true); err != nil {
				return err
			}
			n++
		}
		w.audit.Detail = fmt.Sprintf("records=%d", n)
		return nil
	})
	return n, err
}

// SignStaffAgain signs again, as this owner device, the staff records signed by a device that
// was revoked, so every device keeps accepting them (owner only).
func (ss *Session) SignStaffAgain(ctx context.Context, revoked string) (int, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "user.sign", revoked); err != nil {
		return 0, err
	}
	return ss.s.signStaffBy(ctx, ss.actor(), revoked)
}

// signOldStaff signs the records from before staff signatures, on an owner device of the
// roster, at unlock.
func (s *Store) signOldStaff(ctx context.Context) error {
	r, err := s.Roster(ctx)
	if err != nil {
		return nil // no roster yet, or a damaged one (verify names it)
	}
	if m := r.Member(s.deviceID); m == nil || !m.Active || m.Role != roster.RoleOwner {
		return nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE signer = ''").Scan(&n); err != nil || n == 0 {
		return err
	}
	if s.trailProblem() != nil {
		return nil
	}
	_, err = s.signStaffBy(ctx, upgradeActor, "")
	return err
}
