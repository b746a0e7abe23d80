package csvimport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"spoke/store/contact"
)

// Column names used in LineError.
const (
	colLine    = "*"
	colName    = "name"
	colEmail   = "email"
	colPhone   = "phone"
	colAddress = "address"
	colNotes   = "notes"
	colMake    = "bike_make"
	colModel   = "bike_model"
	colSerial  = "bike_serial"
)

// Length limits, in characters (runes).
const (
	maxName    = 200
	maxAddress = 500
	maxNotes   = 4000
	maxBike    = 100
)

// Reasons for LineError. They are fixed sentences so that no value can
// slip into one.
const (
	reasonNameMissing   = "the name is missing"
	reasonControl       = "contains hidden control characters; retype this cell"
	reasonEmail         = "not a valid e-mail address"
	reasonPhone         = "not a valid phone number"
	reasonPhoneNoRegion = "not a valid phone number; write it with the country code, e.g. +44"
	reasonSerial        = "not a valid frame serial number (use only letters, digits and /, at most 64)"
	reasonTooLong       = "is longer than %d characters"
	reasonDuplicate     = "duplicate of line %d"
)

// validator checks data rows against one header and remembers which line
// first used each e-mail, phone and serial.
type validator struct {
	cols   [numFields]int
	region string

	seenEmail, seenPhone, seenSerial map[string]int
}

func newValidator(header []string, region string) (*validator, []string, error) {
	cols, ignored, err := mapHeader(header)
	if err != nil {
		return nil, nil, err
	}
	return &validator{
		cols:       cols,
		region:     region,
		seenEmail:  make(map[string]int),
		seenPhone:  make(map[string]int),
		seenSerial: make(map[string]int),
	}, ignored, nil
}

// check validates one record that has as many fields as the header. It
// reports every problem on the line, not just the first, so the owner can
// fix a line in one go.
func (v *validator) check(line int, rec []string) (Row, []LineError) {
	row := Row{Line: line}
	var errs []LineError
	bad := func(col, reason string) {
		errs = append(errs, LineError{Line: line, Column: col, Reason: reason})
	}
	cell := func(f field) string {
		if i := v.cols[f]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// text applies the checks every free-text field shares and returns
	// whether s is acceptable.
	text := func(col, s string, limit int, multiline bool) bool {
		switch {
		case hasControl(s, multiline):
			bad(col, reasonControl)
		case utf8.RuneCountInString(s) > limit:
			bad(col, fmt.Sprintf(reasonTooLong, limit))
		default:
			return true
		}
		return false
	}

	name := cell(fName)
	if name == "" {
		name = strings.TrimSpace(cell(fFirst) + " " + cell(fLast))
	}
	if name == "" {
		bad(colName, reasonNameMissing)
	} else if text(colName, name, maxName, false) {
		row.Name = name
	}

	if s := cell(fEmail); s != "" {
		if e, err := contact.NormalizeEmail(s); err != nil {
			bad(colEmail, reasonEmail)
		} else {
			row.Email = e
		}
	}

	if s := cell(fPhone); s != "" {
		if p, err := contact.NormalizePhone(s, v.region); err != nil {
			if v.region == "" {
				bad(colPhone, reasonPhoneNoRegion)
			} else {
				bad(colPhone, reasonPhone)
			}
		} else {
			row.Phone = p
		}
	}

	var parts []string
	for _, f := range []field{fStreet, fStreet2, fCity, fState, fPostcode, fCountry} {
		if s := cell(f); s != "" {
			parts = append(parts, s)
		}
	}
	if addr := strings.Join(parts, ", "); text(colAddress, addr, maxAddress, false) {
		row.Address = addr
	}

	if s := cell(fNotes); text(colNotes, s, maxNotes, true) {
		row.Notes = s
	}
	if s := cell(fMake); text(colMake, s, maxBike, false) {
		row.BikeMake = s
	}
	if s := cell(fModel); text(colModel, s, maxBike, false) {
		row.BikeModel = s
	}

	if s := cell(fSerial); s != "" {
		if n, err := contact.NormalizeSerial(s); err != nil {
			bad(colSerial, reasonSerial)
		} else {
			row.BikeSerial = n
		}
	}

	// Duplicates are checked last and only against accepted lines, so
	// "duplicate of line N" always points at a row that will be imported.
	keys := []struct {
		col  string
		val  string
		seen map[string]int
	}{
		{colEmail, row.Email, v.seenEmail},
		{colPhone, row.Phone, v.seenPhone},
		{colSerial, row.BikeSerial, v.seenSerial},
	}
	for _, k := range keys {
		if first, ok := k.seen[k.val]; ok && k.val != "" {
			bad(k.col, fmt.Sprintf(reasonDuplicate, first))
		}
	}
	if len(errs) > 0 {
		return Row{}, errs
	}
	for _, k := range keys {
		if k.val != "" {
			k.seen[k.val] = line
		}
	}
	return row, nil
}

// hasControl reports characters that have no business in a customer record:
// control characters (line breaks and tabs are allowed in multi-line notes
// only), line and paragraph separators, bidirectional overrides and
// isolates, which can make a name display as something else ("Trojan
// Source"), and stray byte order marks from concatenated exports.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case unicode.IsControl(r),
			r == '\u2028', r == '\u2029', r == '\uFEFF',
			r >= '\u202A' && r <= '\u202E',
			r >= '\u2066' && r <= '\u2069':
			return true
		}
	}
	return false
}
