package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"spoke/store/search"
)

// Session is the signed-in user's handle on the store: the only way to read or write records.
// Every method checks DESIGN.md's access matrix, audits, and (for writes) clocks and MACs the rows.
type Session struct {
	s    *Store
	user *User

	mu    sync.RWMutex
	index *search.Index
	cards map[string]CustomerSummary // what the index may show, per customer id
	// While BuildIndex runs (building > 0), the customers a write or a sync touched meanwhile
	// (missed): the finished index looks at them again, so a customer deleted or moved away
	// during the build does not stay findable. closed: signed out; no index is installed.
	building int
	missed   map[string]bool
	closed   bool

	// ended is set when the account was deactivated (or given a leaving date that has come) by
	// a staff record that arrived while the session was open: from then on every operation is
	// refused, as a fresh sign-in would be.
	ended atomic.Bool
	// leaves is the account's leaving date (unix ms, 0: none) as the newest staff record says:
	// set at sign-in, updated when a record arrives by sync.
	leaves   atomic.Int64
	training trainingState // drawn quizzes and the training gate's last answer (training.go)
	// passwordRule is the policy rule the password typed at sign-in failed ("" none);
	// mustChange: this device may change it, so until ChangePassword nothing else is allowed.
	// Both change once, under pwMu, when the password is changed.
	pwMu         sync.Mutex
	passwordRule string
	mustChange   bool
	// suspended is set when a critical alert suspended the account on this device
	// (alerts.go): every later operation is refused.
	suspended atomic.Bool
	// authAt is when the user last typed their password (unix ms): the sign-in, or the last
	// Reauthenticate. Sensitive actions ask for it again after ReauthAfter (reauth.go).
	authAt atomic.Int64
}

// mustChangePassword reports whether only ChangePassword is allowed.
func (ss *Session) mustChangePassword() bool {
	ss.pwMu.Lock()
	defer ss.pwMu.Unlock()
	return ss.mustChange
}

// wipe forgets the session's index of personal data (the session has ended).
func (ss *Session) wipe() {
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Wipe()
	}
	ss.index, ss.cards = nil, nil
	ss.mu.Unlock()
}

// ErrSignedOut means the session signed out while the operation ran.
var ErrSignedOut = errors.New("signed out")

// User returns the signed-in user.
func (ss *Session) User() User { return *ss.user }

// ReplicaFor returns the store's sync port for a device operation (enrolment, listing,
// revocation, anchor checks) when the user holds the devices grant (the owner's); a denial is
// audited under action. It is the only way from a session to the port, so no other grant
// reaches the keys it carries.
func (ss *Session) ReplicaFor(ctx context.Context, action string) (*Replica, error) {
	if _, err := ss.require(ctx, OpDevices, target{any: true}, action, ""); err != nil {
		return nil, err
	}
	if action == "device.add" { // an enrolment code: a new device gets the keys
		if err := ss.fresh(ctx, action, ""); err != nil {
			return nil, err
		}
	}
	return ss.s.Replica(), nil
}

func (ss *Session) actor() actor {
	return actor{userID: ss.user.ID, shopID: ss.user.ShopID, roles: roleList(ss.user.Roles)}
}

// SignOut wipes the session's in-memory index of personal data and records the sign-out.
func (ss *Session) SignOut(ctx context.Context) error {
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Wipe()
	}
	ss.index, ss.cards, ss.closed = nil, nil, true
	ss.mu.Unlock()
	ss.s.live.remove(ss)
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "auth.sign_out", Target: ss.user.ID}); err != nil {
		return err
	}
	// Lock and sign-out anchor the trail's head outside the file (where there is a keychain).
	return ss.s.RaiseAnchor(ctx)
}

// gone reports why the session may do nothing more: its account was deactivated while it was
// open, or its leaving date has come (nil: neither).
func (ss *Session) gone() error {
	if ss.ended.Load() {
		return ErrInactive
	}
	if ss.suspended.Load() {
		return ErrSuspended
	}
	if l := ss.leaves.Load(); l > 0 && ss.s.opts.Now().UnixMilli() >= l {
		return ErrLeft
	}
	return nil
}

// permits is the user's grant for op on t while the session lasts (none once it is gone).
func (ss *Session) permits(op Op, t target) (Grant, bool) {
	if ss.gone() != nil {
		return Deny, false
	}
	return ss.user.permits(op, t)
}

// require checks op on t and records a denial in the audit trail.
func (ss *Session) require(ctx context.Context, op Op, t target, action, targetID string) (Grant, error) {
	if err := ss.gone(); err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: targetID, Outcome: "refused", Detail: "account ended"})
		return Deny, err
	}
	if ss.mustChangePassword() {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: targetID, Outcome: "denied", Detail: "password change required"})
		return Deny, ErrPasswordChange
	}
	g, ok := ss.permits(op, t)
	if ok && g != Request {
		return g, nil
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: targetID, Outcome: "denied"})
	return Deny, ErrForbidden
}

// allow checks op on t without auditing: for use inside a write, whose denial Session.write
// records after the transaction is rolled back (a second writer inside it would deadlock).
func (ss *Session) allow(op Op, t target) (Grant, error) {
	if err := ss.gone(); err != nil {
		return Deny, err
	}
	if ss.mustChangePassword() {
		return Deny, ErrPasswordChange
	}
	g, ok := ss.permits(op, t)
	if ok && g != Request {
		return g, nil
	}
	return Deny, ErrForbidden
}

// allow is Session.allow inside a write: the grant it finds is the one the write's audit entry
// records (the first asked; a write checks the same op again for a second row).
func (w *wtx) allow(ss *Session, op Op, t target) (Grant, error) {
	g, err := ss.allow(op, t)
	if err == nil && w.audit.Grant == "" {
		w.audit.Grant = g
	}
	return g, err
}

// write runs a write attributed to the session's user. A denied write is rolled back and then
// recorded as denied, with the target the write had named.
func (ss *Session) write(ctx context.Context, action string, fn func(w *wtx) error) error {
	var tgt string
	err := ss.s.write(ctx, ss.actor(), action, func(w *wtx) error {
		err := fn(w)
		tgt = w.audit.Target
		return err
	})
	if errors.Is(err, ErrForbidden) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: tgt, Outcome: "denied"})
	}
	return err
}

// HasStaff reports whether the database has any staff account (active or not): a database
// without one (a replica just made for a new machine) holds nothing a person could reach.
func (s *Store) HasStaff(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n > 0, err
}
