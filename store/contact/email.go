package contact

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxEmailLen is the RFC 5321 limit on a forward path.
	maxEmailLen = 254
	// maxLocalLen is the RFC 5321 limit on the local part.
	maxLocalLen = 64
	// maxLabelLen is the RFC 1035 limit on one DNS label.
	maxLabelLen = 63
)

// NormalizeEmail returns the canonical form of an e-mail address: trimmed and
// entirely lower-cased. Lower-casing the local part is technically lossy, but
// no mail provider a bike shop's customers use distinguishes case there, and
// matching "Anna@x.de" with "anna@x.de" matters more.
//
// It accepts only a bare addr-spec: exactly one @, a non-empty local part of
// at most 64 bytes, a domain with at least one dot made of letters, digits
// and hyphens, no white space or control characters, at most 254 bytes, and
// net/mail must parse it to exactly itself. That last rule refuses display
// names ("Anna <a@b.c>"), comments and quoted local parts, which would
// otherwise give one mailbox several spellings.
//
// On failure it returns ErrInvalidEmail and nothing else.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 4*maxEmailLen || !utf8.ValidString(s) {
		return "", ErrInvalidEmail
	}
	s = strings.ToLower(s)
	if len(s) > maxEmailLen {
		return "", ErrInvalidEmail
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return "", ErrInvalidEmail
		}
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.Count(s, "@") != 1 || at > maxLocalLen {
		return "", ErrInvalidEmail
	}
	if !validDomain(s[at+1:]) {
		return "", ErrInvalidEmail
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// validDomain accepts host names, including internationalised ones written
// in Unicode, but not IP literals: a customer's address at "[10.0.0.1]" is
// far more likely a typo or an attack than a real mailbox.
func validDomain(d string) bool {
	if !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > maxLabelLen ||
			label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return false
			}
		}
	}
	return true
}
