package store

import (
	"context"
	"errors"
	"time"
)

// Sensitive actions (a bulk export or delete and running or approving a held one, an erasure,
// a restore, adding a device, changing roles) ask for the password again when it was last
// typed (at sign-in, or by Reauthenticate) more than ReauthAfter ago: a counter left signed in
// must not let the next person at it take the customer list.

// ReauthAfter is how long a typed password counts as fresh for a sensitive action.
var ReauthAfter = 5 * time.Minute

// ErrReauthRequired means the action is sensitive and the password was typed too long ago: ask
// for it (Session.Reauthenticate) and try again. The GUI shows a password dialog; the CLI signs
// in afresh for every command, so there it never arises.
var ErrReauthRequired = errors.New("this action needs your password again: type it to confirm it is you")

// fresh returns ErrReauthRequired (audited as refused under action) when the password is stale.
func (ss *Session) fresh(ctx context.Context, action, targetID string) error {
	if err := ss.gone(); err != nil {
		return err
	}
	if ss.s.opts.Now().UnixMilli()-ss.authAt.Load() <= ReauthAfter.Milliseconds() {
		return nil
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: targetID, Outcome: "refused", Detail: "reauthentication required"})
	return ErrReauthRequired
}

// Reauthenticate checks the signed-in user's password again. Right, the sensitive actions of
// the next ReauthAfter go ahead (audited auth.reauth); wrong, it counts as a failed sign-in
// (audited auth.sign_in failed, towards the lock-out): ErrBadCredentials or ErrLockedOut.
func (ss *Session) Reauthenticate(ctx context.Context, password string) error {
	if err := ss.gone(); err != nil {
		return err
	}
	s := ss.s
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", ss.user.ID))
	if err != nil {
		return err
	}
	if err := s.trusted(ctx, u); err != nil {
		return err
	}
	now := s.opts.Now().UnixMilli()
	a := ss.actor()
	if !u.active {
		return ErrInactive
	}
	if u.lockedUntil > now {
		s.auditAlone(ctx, a, auditEntry{Action: "auth.reauth", Target: u.id, Outcome: "refused", Detail: "locked out"})
		return ErrLockedOut
	}
	if !checkPasswordHash(u.passwordHash, password) {
		return s.failedSignIn(ctx, a, u, now, "reauthentication; ")
	}
	err = s.write(ctx, a, "auth.reauth", func(w *wtx) error {
		w.audit.Target = u.id
		if u.failed == 0 {
			return nil
		}
		u.failed = 0
		return w.touchUser(u)
	})
	if err != nil {
		return err
	}
	ss.authAt.Store(now)
	return nil
}
