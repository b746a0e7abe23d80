package contact

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds the raw input; a real number with generous formatting
// is well under this, and phonenumbers does regexp work proportional to it.
const maxPhoneInput = 64

// NormalizePhone returns a phone number in E.164 form ("+4915112345678").
//
// A number starting with "+" or "00" is international; any other is read as
// a national number of defaultRegion (an ISO 3166 alpha-2 code such as "US",
// "DE", "CN" or "GB", case ignored). "00" is turned into "+" here rather than
// left to phonenumbers, because phonenumbers only knows it as the exit code
// of some regions, while customers all over the world write it.
//
// The input may contain ASCII digits, one "+" before them, spaces, dashes,
// dots, slashes and parentheses (so "+49 (0) 151 / 123-45.678" works);
// full-width forms from an input method are folded to ASCII first. Letters
// are refused: they would be either an extension, which E.164 cannot hold,
// or a vanity number that a customer record should not contain.
//
// The number must be a possible number according to phonenumbers (its length
// fits the country). Numbers phonenumbers calls possible only for local
// dialling are refused too: without their area code the E.164 form would
// reach nobody. Finally the E.164 form must parse back to itself, so the
// result is stable enough to be hashed into a blind index. On failure it
// returns ErrInvalidPhone and nothing else.
func NormalizePhone(s, defaultRegion string) (out string, err error) {
	// phonenumbers is a large third-party parser fed untrusted input; should
	// it ever panic, the runtime would print the value in the crash report.
	defer func() {
		if recover() != nil {
			out, err = "", ErrInvalidPhone
		}
	}()

	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxPhoneInput {
		return "", ErrInvalidPhone
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+':
			if b.Len() != 0 {
				return "", ErrInvalidPhone
			}
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')':
		default:
			return "", ErrInvalidPhone
		}
	}
	clean := b.String()
	if rest, ok := strings.CutPrefix(clean, "00"); ok {
		clean = "+" + rest
	}

	region := strings.ToUpper(defaultRegion)
	if !strings.HasPrefix(clean, "+") && !ValidRegion(region) {
		return "", ErrInvalidPhone
	}
	e164, ok := toE164(clean, region)
	if !ok {
		return "", ErrInvalidPhone
	}
	// A few national-prefix rules can make the canonical form parse to a
	// different number; refusing those keeps NormalizePhone idempotent.
	if again, ok := toE164(e164, ""); !ok || again != e164 {
		return "", ErrInvalidPhone
	}
	return e164, nil
}

// toE164 parses n and formats it as E.164 if it is a possible number.
func toE164(n, region string) (string, bool) {
	num, err := phonenumbers.Parse(n, region)
	if err != nil || num.GetExtension() != "" ||
		phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
		return "", false
	}
	e := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e) {
		return "", false
	}
	return e, true
}

// isE164 checks the shape E.164 promises (a plus, no leading zero, at most
// 15 digits), which later code and the database constraint rely on.
func isE164(e string) bool {
	if len(e) < 3 || len(e) > 16 || e[0] != '+' || e[1] == '0' {
		return false
	}
	for i := 1; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			return false
		}
	}
	return true
}

// FormatPhone shows an E.164 number the way people in region write it: national format for a
// number of that region ("(206) 555-6622" in the US), international format otherwise
// ("+49 151 03555075"). Anything that does not parse is returned as it is.
func FormatPhone(e164, region string) (out string) {
	defer func() {
		if recover() != nil {
			out = e164
		}
	}()
	if e164 == "" || len(e164) > maxPhoneInput {
		return e164
	}
	n, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return e164
	}
	if phonenumbers.GetRegionCodeForNumber(n) == strings.ToUpper(region) {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
