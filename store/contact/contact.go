// Package contact owns the canonical form of customer contact fields:
// e-mail addresses, phone numbers and bike frame serials. The same
// normalisers feed the blind indexes (an HMAC over the normalised value, so
// two spellings of one address must normalise identically) and the
// validation of forms and imports (so what is indexed is what was accepted).
//
// The package never stores, logs or echoes a value: every failure is one of
// the fixed sentinel errors below, because the values are customers'
// personal data and error strings end up in logs and on screens.
package contact

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Sentinel errors. They deliberately carry no detail about the rejected
// value; compare with errors.Is.
var (
	// ErrInvalidEmail reports an address NormalizeEmail refuses.
	ErrInvalidEmail = errors.New("not a valid e-mail address")
	// ErrInvalidPhone reports a number NormalizePhone refuses.
	ErrInvalidPhone = errors.New("not a valid phone number")
	// ErrInvalidSerial reports a frame serial NormalizeSerial refuses.
	ErrInvalidSerial = errors.New("not a valid frame serial number")
)

// ValidRegion reports whether r is a region phonenumbers knows, such as
// "US", "DE", "CN" or "GB". Case is ignored so that configuration written as
// "de" behaves like NormalizePhone, which also ignores it.
func ValidRegion(r string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(r)]
}

// foldRune maps the full-width forms a Chinese or Japanese input method
// produces ("１３８", "ＷＴＵ", "＋") and the non-breaking spaces that
// spreadsheets paste onto their ASCII equivalents, so that a value typed with
// an IME indexes the same as one typed on a Western keyboard.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000 || r == 0x00A0 || r == 0x202F:
		return ' '
	}
	return r
}
