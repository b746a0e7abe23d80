package csvimport

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"spoke/store"
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
	colMobile  = "mobile"
	colOther   = "phone_other"
	colSource  = "source_id"
	colYear    = "bike_year"
	colType    = "bike_type"
	colCust    = "customer"
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
	reasonSource        = "not a usable customer id (at most 128 characters, no control characters)"
	reasonYear          = "not a model year (write it as four digits, e.g. 2021)"
	reasonType          = "not a bike type Spoke knows (road, gravel, mtb, hybrid, e-bike, kids, cargo, bmx, other)"
	reasonNoCustomer    = "names no customer (give the customer's id from the customer export, or the Spoke customer id)"
	otherPhoneNote      = "Other phone: "
)

// validator checks data rows against one header and remembers which line
// first used each e-mail, phone and serial.
type validator struct {
	cols   [numFields]int
	region string
	system string // source ids are "system:id"; "" when the file has none

	seenEmail, seenPhone, seenSerial, seenSource map[string]int
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
		seenSource: make(map[string]int),
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
			s := strings.TrimSpace(rec[i])
			if textMarked[f] {
				// Shopify and Excel write ids and numbers as '+1303...
				// so that a spreadsheet keeps them as text.
				s = strings.TrimSpace(strings.TrimPrefix(s, "'"))
			}
			return s
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

	// Mobile first: it is the number that reaches the person. The others
	// are kept, never refused for being a second number.
	var phones []string
	for _, p := range []struct {
		f   field
		col string
	}{{fMobile, colMobile}, {fPhone, colPhone}, {fPhoneOther, colOther}} {
		s := cell(p.f)
		if s == "" {
			continue
		}
		n, err := contact.NormalizePhone(s, v.region)
		switch {
		case err != nil && v.region == "":
			bad(p.col, reasonPhoneNoRegion)
		case err != nil:
			bad(p.col, reasonPhone)
		case !slices.Contains(phones, n):
			phones = append(phones, n)
		}
	}
	if len(phones) > 0 {
		row.Phone = phones[0]
	}
	if len(phones) > 1 {
		row.PhoneAlt = phones[1]
	}

	var parts []string
	for _, f := range []field{fStreet, fStreet2, fSuburb, fCity, fState, fPostcode, fCountry} {
		s := addressCell(cell(f))
		if f == fStreet {
			if n := addressCell(cell(fNumber)); n != "" {
				s = strings.TrimSpace(s + " " + n)
			}
		}
		if s != "" {
			parts = append(parts, s)
		}
	}
	if addr := strings.Join(parts, ", "); text(colAddress, addr, maxAddress, false) {
		row.Address = addr
	}

	notes := cell(fNotes)
	if len(phones) > 2 {
		notes = strings.TrimSpace(notes + "\n" + otherPhoneNote + phones[2])
	}
	if text(colNotes, notes, maxNotes, true) {
		row.Notes = notes
	}

	if s := cell(fSourceID); s != "" && v.system != "" {
		if n, err := store.NormalizeSource(v.system + ":" + s); err != nil {
			bad(colSource, reasonSource)
		} else {
			row.Source = n
		}
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
		{colSource, row.Source, v.seenSource},
		{colSerial, row.BikeSerial, v.seenSerial},
	}
	if row.Source == "" {
		// Without the system's own ids two lines with one e-mail or phone
		// are most likely one person twice. With them they are two
		// records of that system: a family sharing an address or a
		// landline, which is no reason to refuse a line.
		keys = append(keys, struct {
			col  string
			val  string
			seen map[string]int
		}{colEmail, row.Email, v.seenEmail}, struct {
			col  string
			val  string
			seen map[string]int
		}{colPhone, row.Phone, v.seenPhone})
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

// textMarked are the fields whose cells may start with the apostrophe that
// marks a number as text in a spreadsheet.
var textMarked = [numFields]bool{fPhone: true, fMobile: true, fPhoneOther: true, fPostcode: true, fSourceID: true, fSerial: true}

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

// addressCell folds one address cell onto one line: a cell written over
// several lines (a quoted "12 Mill Lane\nYork" from an export) keeps every
// line, joined with ", "; tabs become spaces. Other control characters are
// left for the check that refuses them.
func addressCell(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	var lines []string
	for l := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, ", ")
}
