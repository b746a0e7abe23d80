package store

import (
	"errors"
	"fmt"
)

var errNotFoundBase = errors.New("not found")

var (
	// ErrForbidden means the signed-in user's role does not allow the operation.
	ErrForbidden = errors.New("not allowed for your role")
	// ErrOwnerDeviceOnly means a change to org-wide data (staff accounts, roles, shops, the
	// breach register, assessments, the retention policy) was tried on a shop's device; only
	// owner devices write it.
	ErrOwnerDeviceOnly = errors.New("staff accounts and shops (and incidents, assessments, the retention policy) are changed on an owner device (the owner's laptop), not on a shop's counter")
	// ErrOtherShopsDevice means a change to another shop's data was tried on a shop's device.
	ErrOtherShopsDevice = errors.New("this computer is another shop's counter: record this on that shop's computer or the owner's laptop")
	// ErrNotFound means no such record (or none this user may know exists).
	ErrNotFound = errNotFoundBase
	// ErrKeyForgotten is a scope-key version this database deleted for good (after an erasure
	// and compaction); it is also an ErrNotFound.
	ErrKeyForgotten = fmt.Errorf("forgotten for good: %w", errNotFoundBase)
	// ErrReasonRequired means a break-glass read needs a reason first.
	ErrReasonRequired = errors.New("this customer belongs to another salesperson: give a reason to open it (break-glass, audited)")
	// ErrBadCredentials is the single answer for an unknown user or a wrong password.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrLockedOut means too many failed sign-ins; try later or ask the owner.
	ErrLockedOut = errors.New("this account is locked after repeated failed sign-ins; wait or ask the owner to reset it")
	// ErrPasswordChange means the password typed at sign-in fails the policy (password.go) and
	// must be changed before anything else; it is also an ErrForbidden.
	ErrPasswordChange = fmt.Errorf("your password does not meet the password policy (at least 12 characters, not a common password): change it first (spoke user passwd, or the dialog after sign-in): %w", ErrForbidden)
	// ErrInactive means the account was deactivated.
	ErrInactive = errors.New("this account is deactivated")
	// ErrLeft means the account's leaving date has come: the device refuses it by itself.
	ErrLeft = errors.New("this account's leaving date has passed; it can no longer sign in (the owner can change the date under Administration)")
	// ErrTampered means a stored record failed authentication (edited outside Spoke).
	ErrTampered = errors.New("a stored record failed authentication: the database was altered outside Spoke; run 'spoke verify'")
	// ErrExists means a unique value is already taken.
	ErrExists = errors.New("already exists")
	// ErrPassphraseNeeded means the master key is passphrase-protected and none was given.
	ErrPassphraseNeeded = errors.New("this database is protected by a passphrase (no system keychain was used): give it with --passphrase-file FILE or SPOKE_PASSPHRASE")
	// ErrNoDatabase means the data directory holds no Spoke database.
	ErrNoDatabase = errors.New("no Spoke database in this data directory: run 'spoke init' (or 'spoke demo') first")
)

// FieldError says which input field is wrong and why, without its value.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// ValidationError lists every wrong field of one input.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	s := "invalid input"
	for i, f := range e.Fields {
		if i == 0 {
			s += ": "
		} else {
			s += "; "
		}
		s += f.Error()
	}
	return s
}

func (e *ValidationError) add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{field, reason})
}

func (e *ValidationError) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// TamperError names where a stored row, or its clock or MAC, fails its check: table, row id
// and column, never a value. It is an ErrTampered.
type TamperError struct {
	Table, Row, Column, Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("%s %s column %s: %s", e.Table, e.Row, e.Column, e.Reason)
}

func (e *TamperError) Unwrap() error { return ErrTampered }
