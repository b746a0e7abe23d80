package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The password policy for staff accounts. Spoke never reads a stored password (only its
// Argon2id hash), so an account whose password predates the policy is found when it is typed:
// SignIn checks the policy with the password in hand and records the result in the sign-in's
// audit entry (detail "password_policy=RULE"), which travels with the device's trail to the
// owner's devices. The security check-up lists the accounts whose latest sign-in failed the
// policy and whose password has not been changed since; on a device that may write staff
// records (an owner device, or one not connected to a hub) the session of such a sign-in may do
// nothing but change the password (ErrPasswordChange). A shop's counter cannot change a staff
// record (they are owner-signed org data), so there the user is told to ask the owner, who
// resets it.

// PasswordMinLength is the shortest password the policy allows, for new passwords and at
// every sign-in alike.
const PasswordMinLength = 12

// The rules a password can fail, as audit details and check-up findings name them.
const (
	PasswordShort    = "short"    // fewer than PasswordMinLength characters
	PasswordCommon   = "common"   // on the embedded list of common passwords
	PasswordUsername = "username" // the account's own username
)

// commonPasswords are passwords of PasswordMinLength or more characters that lists of leaked
// passwords show again and again (lower case; compared ignoring case). Shorter ones fail the
// length rule anyway. A shop may think of others; the list catches the obvious.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		123456789012 1234567890123 12345678901234 123456789012345 1234567890qwerty 1q2w3e4r5t6y
		1q2w3e4r5t6y7u8i 1qaz2wsx3edc 1qaz2wsx3edc4rfv 0987654321qwerty 111111111111 000000000000
		123123123123 121212121212 abcdefghijkl abcdef123456 abc123abc123 aaaaaaaaaaaa qwertyuiopas
		qwertyuiop12 qwertyuiop123 qwerty123456 qwerty1234567 qwertyqwerty asdfghjkl123 asdfghjkl;'
		zxcvbnm12345 qazwsxedcrfv qazwsxedc123 password1234 password12345 password123456 passwordpassword
		password1234! password123! p@ssword1234 p@ssw0rd1234 passw0rd1234 letmein12345 letmein123456
		welcome12345 welcome123456 welcome2024! welcome2025! welcome2026! iloveyou1234 iloveyou12345
		sunshine1234 football1234 baseball1234 superman1234 princess1234 dragon123456 monkey123456
		trustno1trustno1 changeme1234 changeme12345 administrator admin1234567 admin12345678 adminadmin12
		administrator1 rootroot1234 spoke1234567 spokespoke12 spokepassword bicycle12345 bicycleshop1
		bicycleshop123 bikeshop1234 bikeshop12345 cycling12345 mountainbike mountainbike1 roadbike1234
		shimano12345 password2024 password2025 password2026 summer2024!! winter2025!! spring2026!!
		correcthorsebatterystaple`) {
		commonPasswords[p] = true
	}
}

// minPassword is the minimum length in force: PasswordMinLength, or Options.PasswordMinLength
// where that is stricter.
func (o *Options) minPassword() int { return max(o.PasswordMinLength, PasswordMinLength) }

// passwordPolicy returns the first rule pw fails for the account username, or "" when it passes.
func (o *Options) passwordPolicy(username, pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < o.minPassword():
		return PasswordShort
	case commonPasswords[strings.ToLower(pw)]:
		return PasswordCommon
	case username != "" && strings.EqualFold(pw, username):
		return PasswordUsername
	}
	return ""
}

// checkPassword checks a new password for an account against the policy.
func (o *Options) checkPassword(username, p string) error {
	if len(p) > 1024 {
		return &FieldError{"password", "is too long"}
	}
	switch o.passwordPolicy(username, p) {
	case PasswordShort:
		if n := o.minPassword(); n != PasswordMinLength {
			return &FieldError{"password", fmt.Sprintf("must be at least %d characters", n)}
		}
		return &FieldError{"password", "must be at least 12 characters"}
	case PasswordCommon:
		return &FieldError{"password", "is on the list of common passwords: choose a longer phrase of your own"}
	case PasswordUsername:
		return &FieldError{"password", "must not be the username"}
	}
	return nil
}

// PasswordRuleText says in a sentence what a rule asks for (the GUI translates it).
func PasswordRuleText(rule string) string {
	switch rule {
	case PasswordShort:
		return "at least 12 characters"
	case PasswordCommon:
		return "not a common password"
	case PasswordUsername:
		return "not the username"
	}
	return ""
}

// PasswordRule is the policy rule the password typed at this sign-in failed, or "" when it
// passed.
func (ss *Session) PasswordRule() string {
	ss.pwMu.Lock()
	defer ss.pwMu.Unlock()
	return ss.passwordRule
}

// PasswordChangeRequired reports whether this session may do nothing but ChangePassword (its
// password failed the policy, and this device may change it).
func (ss *Session) PasswordChangeRequired() bool { return ss.mustChangePassword() }

// ChangePassword changes the signed-in user's own password: current must be the password in
// use and next must pass the policy (and differ from it). Staff records are owner-signed org
// data, so this works on a device that may write them (an owner device, or one not connected to
// a hub); on a shop's counter it is ErrOwnerDeviceOnly, and the owner resets the password
// there. Audited "user.password" (field password_hash, never a value).
func (ss *Session) ChangePassword(ctx context.Context, current, next string) error {
	if !ss.s.mayWrite(ctx, ss.s.db, OrgScope) {
		return ErrOwnerDeviceOnly
	}
	err := ss.s.write(ctx, ss.actor(), "user.password", func(w *wtx) error {
		w.audit.Target = ss.user.ID
		u, err := scanUser(w.tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", ss.user.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := ss.s.trusted(ctx, u); err != nil {
			return err
		}
		if !u.active {
			return ErrInactive
		}
		if !checkPasswordHash(u.passwordHash, current) {
			return ErrBadCredentials
		}
		if next == current {
			return &FieldError{"password", "must differ from the current one"}
		}
		if err := ss.s.opts.checkPassword(u.username, next); err != nil {
			return err
		}
		u.passwordHash = hashPassword(next, ss.s.opts.KDF)
		u.failed, u.lockedUntil = 0, 0
		w.audit.Fields = []string{"password_hash"}
		return w.writeUser(u, false)
	})
	if errors.Is(err, ErrBadCredentials) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "user.password", Target: ss.user.ID, Outcome: "failed", Detail: "current password wrong"})
	}
	if err != nil {
		return err
	}
	ss.pwMu.Lock()
	ss.passwordRule, ss.mustChange = "", false
	ss.pwMu.Unlock()
	return nil
}
