package contact

import "strings"

// maxSerialLen bounds a normalised serial; real frame serials are well under
// 20 characters, so anything near this is not a serial.
const maxSerialLen = 64

// NormalizeSerial returns the canonical form of a bike frame serial:
// upper-case, with spaces, dashes and dots removed, because shops and owners
// write the same stamped number inconsistently ("wtu 123-4567" and
// "WTU1234567" are one frame, and a stolen-bike lookup must find both).
//
// Only ASCII letters, digits and "/" may remain (full-width forms from an
// input method are folded to ASCII first). Other letters are refused rather
// than upper-cased, because Unicode case mapping turns some of them into
// ASCII ("ſ" becomes "S") and two different inputs would then collide. The
// result must be 1 to 64 characters long. On failure it returns
// ErrInvalidSerial and nothing else.
func NormalizeSerial(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 4*maxSerialLen {
		return "", ErrInvalidSerial
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r == ' ' || r == '-' || r == '.':
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '/':
			b.WriteRune(r)
		default:
			return "", ErrInvalidSerial
		}
	}
	if b.Len() == 0 || b.Len() > maxSerialLen {
		return "", ErrInvalidSerial
	}
	return b.String(), nil
}
