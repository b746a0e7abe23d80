// Package csvimport owns the decoding and validation of customer CSV files
// that shops upload: it turns the bytes of a file into validated Rows and a
// list of per-line errors a shop owner can act on. It reads the customer
// exports of other point-of-sale systems (header.go names them) and bike
// exports (bikes.go), previews an import (PreviewImport: the mapping, and
// which rows are new, updates by the system's own customer id, or candidates
// that share only an e-mail or phone with a stored customer) and re-imports
// by that id.
//
// Import writes the rows through the store's batch write unit (store.Session.Batch), as one
// audited, all-or-nothing transaction; the store never imports this package. Parsing never
// touches the database, and nothing here ever puts a cell value into an error:
// the cells are customers' personal data, and errors are shown on screens
// and written to logs. Errors name line numbers, column names and reasons
// only. Whole-file problems (encoding, header, size) are returned as errors
// from Parse; problems with single lines are LineErrors in the Result.
package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"spoke/store"
	"spoke/store/contact"
)

// DefaultMaxRows is the row limit used when Options.MaxRows is 0.
const DefaultMaxRows = 1_000_000

// Whole-file errors returned by Parse. Their texts are written for a shop
// owner, who sees them as they are; compare with errors.Is, since some are
// wrapped with a line or column number.
var (
	ErrEmpty    = errors.New("the file is empty")
	ErrNotUTF8  = errors.New(`the file is not UTF-8; save it as "CSV UTF-8" and try again`)
	ErrUTF16    = errors.New(`the file is UTF-16 (Excel's "Unicode Text"); save it as "CSV UTF-8" and try again`)
	ErrNoHeader = errors.New("the first line must name the columns and include a name column (or first name and last name)")
	// ErrDuplicateColumn is wrapped with the two column positions and what
	// they both hold, never with the header text itself.
	ErrDuplicateColumn = errors.New("two columns hold the same information; remove one and try again")
	// ErrTooManyRows is wrapped with the limit.
	ErrTooManyRows = errors.New("the file has too many rows; split it and import the parts")
	// ErrUnknownRegion reports an Options.Region phonenumbers does not know:
	// a configuration mistake, not a problem with the file.
	ErrUnknownRegion = errors.New("unknown default phone region")
	// ErrBadSystem reports an Options.System that is not a system name.
	ErrBadSystem = errors.New("the source system name may use only letters, digits and '-' (e.g. shopify)")
	// ErrNeedSystem: a bike file names its customers by the ids of a system
	// its header does not name, and Options.System is not given.
	ErrNeedSystem = errors.New("the file names customers by another system's ids: say which system they come from (e.g. --source shopify, or Exported from in the import screen)")
)

// Row is one validated customer, and optionally one bike, from the file.
// Every field is trimmed; optional fields are "" when absent.
type Row struct {
	// Line is the 1-based physical line on which the record starts (the
	// header is line 1), so a record with a multi-line note still points at
	// the line the owner sees first in a text editor.
	Line int
	// Name is from a name column, or first name and last name joined with a
	// space; required, at most 200 characters.
	Name string
	// Email is normalised with contact.NormalizeEmail.
	Email string
	// Phone is E.164, normalised with contact.NormalizePhone and
	// Options.Region: the mobile number when the file has one, otherwise
	// the phone, otherwise the other (work) number.
	Phone string
	// PhoneAlt is the next of those numbers that differs from Phone: a
	// file's Phone next to its Mobile is kept, not refused.
	PhoneAlt string
	// Address is an address column or street (and house number), address
	// line 2, district, city, state, postcode and country joined with ", "
	// in that order; at most 500 characters. A cell written over several
	// lines (street and town on lines of their own) has its lines joined
	// with ", ".
	Address string
	// Notes may contain line breaks and tabs; at most 4000 characters. When
	// a file gives three different phone numbers, the third is added here
	// on a line of its own ("Other phone: +4930...").
	Notes string
	// Source is the customer's id in the system the file came from,
	// "system:id" (store.NormalizeSource), or "" when the file has no
	// customer id column. A re-import updates the customer with this source.
	Source string
	// BikeMake and BikeModel are free text of at most 100 characters.
	BikeMake  string
	BikeModel string
	// BikeSerial is normalised with contact.NormalizeSerial.
	BikeSerial string
}

// Options tune Parse.
type Options struct {
	// Region is the default phone region for numbers written without a
	// country code, e.g. "US". If empty, such numbers are refused.
	Region string
	// SkipInvalid makes Parse return the good rows of a file that also has
	// bad ones. If false, any bad line means no rows are returned (all
	// errors still are), so that a half-imported file is never a surprise.
	SkipInvalid bool
	// MaxRows caps the number of non-blank records after the header; 0
	// means DefaultMaxRows. More rows fail the whole file.
	MaxRows int
	// System names the system the file comes from, as source references
	// write it ("shopify", or SystemCSV for any other); "" detects it from
	// the header (see the System* constants). A customer id column of a file
	// no signature names is ignored unless System is given.
	System string
}

// LineError describes one problem on one line without containing the value.
type LineError struct {
	// Line is the 1-based line on which the offending record starts.
	Line int
	// Column is one of name, email, phone, address, notes, bike_make,
	// bike_model and bike_serial, or "*" for the whole line. These are
	// Spoke's names, not the file's header text, which would be file
	// content.
	Column string
	// Reason is a fixed sentence for a shop owner, with at most a number
	// in it.
	Reason string
}

// Error returns e.g. "line 7, column email: not a valid e-mail address", or
// "line 7: …" when the problem is the whole line.
func (e LineError) Error() string {
	if e.Column == "" || e.Column == colLine {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
}

// Result is what Parse found in a readable file.
type Result struct {
	// Rows are the valid rows in file order; nil when there were errors
	// and Options.SkipInvalid is false.
	Rows []Row
	// Errors lists every problem, in line order.
	Errors []LineError
	// Converted is "" for UTF-8 input, or "GB18030" when the file was
	// converted from GBK/GB18030.
	Converted string
	// Ignored lists the header text of columns Spoke does not import, so the
	// owner can see what was left out. It is file content: show it to the
	// uploader, but do not log it.
	Ignored []string
	// Columns is the mapping: every column of the file and the Spoke field
	// it goes to. Its Header texts are file content, like Ignored.
	Columns []Column
	// System is the system the source ids are read as ("" when the file has
	// no customer id column).
	System string
}

// Parse reads and validates a whole customer CSV file.
//
// It returns an error only for whole-file problems: an empty file, UTF-16 or
// another unknown encoding (only UTF-8, with or without BOM, and GB18030/GBK
// with Chinese text are read), a header without a name column (or first and
// last name), two columns holding the same information, more rows than
// Options.MaxRows, or an unknown Options.Region. Everything else is a
// LineError in the Result.
//
// Parse reads r completely into memory; bound it (http.MaxBytesReader,
// io.LimitReader) before calling.
func Parse(r io.Reader, opts Options) (*Result, error) {
	var v *validator
	res := &Result{}
	errs, conv, err := scan(r, opts, func(header []string) error {
		var ignored []string
		var err error
		if v, ignored, err = newValidator(header, opts.Region); err != nil {
			return err
		}
		if v.cols[fSourceID] >= 0 {
			if v.system, err = systemOf(opts.System, header); err != nil {
				return err
			}
			if v.system == "" {
				// An id column of a file no signature names could be anything
				// (row numbers of a spreadsheet); re-importing by it could
				// overwrite the wrong customers. It counts only once the user
				// names the system.
				v.cols[fSourceID] = -1
				ignored = ignoredOf(header, v.cols)
			}
		}
		res.Ignored, res.Columns, res.System = ignored, columnsOf(header, v.cols), v.system
		return nil
	}, func(line int, rec []string) []LineError {
		row, errs := v.check(line, rec)
		if len(errs) == 0 {
			res.Rows = append(res.Rows, row)
		}
		return errs
	})
	if err != nil {
		return nil, err
	}
	res.Errors, res.Converted = errs, conv
	if len(res.Errors) > 0 && !opts.SkipInvalid {
		res.Rows = nil
	}
	return res, nil
}

// scan reads a whole file: it decodes it, reads the header with header and
// every non-blank record that has as many fields as the header with row, and
// returns the line errors in line order and the encoding converted from.
func scan(r io.Reader, opts Options, header func([]string) error, row func(line int, rec []string) []LineError) ([]LineError, string, error) {
	if opts.Region != "" && !contact.ValidRegion(opts.Region) {
		return nil, "", ErrUnknownRegion
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}

	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf(fmtReadFailed, err)
	}
	text, converted, err := decode(raw)
	if err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(text) == "" {
		return nil, "", ErrEmpty
	}

	delim := sniffDelimiter(text)
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	// Hand-written files put a space after the comma before a quoted cell;
	// with tabs as delimiter the same option would swallow empty cells.
	cr.TrimLeadingSpace = delim != '\t'

	head, err := cr.Read()
	if err != nil {
		return nil, "", fmt.Errorf(fmtHeaderUnreadable, ErrNoHeader)
	}
	if err := header(head); err != nil {
		return nil, "", err
	}

	var errs []LineError
	records := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// After a misplaced quote the reader's idea of where records
			// start is unreliable, so everything after it would be noise.
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, LineError{Line: line, Column: colLine, Reason: readReason(err)})
			break
		}
		line, _ := cr.FieldPos(0)
		if isBlank(rec) {
			continue
		}
		records++
		if records > maxRows {
			return nil, "", fmt.Errorf(fmtTooManyRows, ErrTooManyRows, maxRows)
		}
		if len(rec) != len(head) {
			errs = append(errs, LineError{
				Line: line, Column: colLine,
				Reason: fmt.Sprintf(reasonFieldCount, len(rec), len(head)),
			})
			continue
		}
		errs = append(errs, row(line, rec)...)
	}
	return errs, converted, nil
}

// Texts that wrap whole-file errors. Like every message here they hold
// numbers at most, never file content.
const (
	fmtReadFailed       = "reading the file: %w"
	fmtHeaderUnreadable = "%w (the first line could not be read)"
	fmtTooManyRows      = "%w (the limit is %d)"
	fmtDuplicateColumn  = "%w (columns %d and %d both hold %s)"
	reasonFieldCount    = "has %d fields, header has %d"
)

// Reasons for a line the csv reader could not read. The reader's own error
// text quotes only positions today, but that is not ours to promise.
const (
	reasonBareQuote  = `a quote mark (") is inside a cell that does not start with one; the rest of the file was not read`
	reasonQuote      = "a quoted cell is not closed properly; the rest of the file was not read"
	reasonUnreadable = "this line could not be read; the rest of the file was not read"
)

func readReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return reasonBareQuote
	case errors.Is(err, csv.ErrQuote):
		return reasonQuote
	}
	return reasonUnreadable
}

// isBlank reports a record with no content, such as ";;;;" rows that
// spreadsheets append after the data.
func isBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// sniffDelimiter picks the delimiter from the first non-blank line: Excel in
// much of Europe writes ";" because "," is the decimal separator there, and
// "Text (Tab delimited)" exports use tabs.
func sniffDelimiter(text string) rune {
	var first string
	for l := range strings.Lines(text) {
		if strings.TrimSpace(l) != "" {
			first = l
			break
		}
	}
	commas := strings.Count(first, ",")
	semis := strings.Count(first, ";")
	tabs := strings.Count(first, "\t")
	switch {
	case semis > commas && semis >= tabs:
		return ';'
	case tabs > commas && tabs > semis:
		return '\t'
	}
	return ','
}

// systemOf returns the system source ids of a file are read as: the one
// given, or the one its header names, or "" (the ids are not read).
func systemOf(given string, header []string) (string, error) {
	if given != "" {
		n, err := store.NormalizeSource(given + ":x")
		if err != nil {
			return "", ErrBadSystem
		}
		return strings.TrimSuffix(n, ":x"), nil
	}
	return detectSystem(header), nil
}

// ignoredOf lists the header texts of the columns cols does not map.
func ignoredOf(header []string, cols [numFields]int) []string {
	var out []string
	for _, c := range columnsOf(header, cols) {
		if c.Field == "" && c.Header != "" {
			out = append(out, c.Header)
		}
	}
	return out
}
