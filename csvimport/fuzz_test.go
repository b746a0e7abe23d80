package csvimport

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"spoke/store"
	"spoke/store/contact"
)

// FuzzParse checks, for any input: Parse does not panic; whole-file
// failures are the documented errors; every returned Row would pass
// validation again; and no error text contains a word from the file.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for i, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i))
		f.Add(b, uint8(i)|0x80)
	}
	f.Add(gbk(f, chineseCSV), uint8(3))

	regions := []string{"", "US", "DE", "CN", "GB"}
	vocab := vocabulary()
	sentinels := []error{ErrEmpty, ErrNotUTF8, ErrUTF16, ErrNoHeader, ErrDuplicateColumn, ErrTooManyRows}
	columns := []string{colLine, colName, colEmail, colPhone, colAddress, colNotes, colMake, colModel, colSerial, colMobile, colOther, colSource}

	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{Region: regions[int(mode&0x7F)%len(regions)], SkipInvalid: mode&0x80 != 0}
		res, err := Parse(bytes.NewReader(data), opts)

		if err != nil {
			if res != nil {
				t.Fatal("result and error together")
			}
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("undocumented error %v", err)
			}
		} else {
			checkResult(t, res, opts, columns)
		}

		// Whole cells made of letters only, six or more of them, are
		// exactly the maximal letter runs of the text; runs that occur in
		// our own messages cannot be told apart from them and are skipped.
		var words []string
		for _, text := range candidateTexts(data) {
			for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if utf8.RuneCountInString(w) >= 6 && !strings.Contains(vocab, strings.ToLower(w)) {
					words = append(words, w)
				}
			}
		}
		for _, s := range errorTexts(res, err) {
			for _, w := range words {
				if strings.Contains(s, w) {
					t.Fatalf("error %q contains file content %q", s, w)
				}
			}
		}
	})
}

// candidateTexts is the input as raw UTF-8 and, when Parse would convert
// it, as converted text.
func candidateTexts(data []byte) []string {
	out := []string{string(data)}
	if text, conv, err := decode(data); err == nil && conv != "" {
		out = append(out, text)
	}
	return out
}

func checkResult(t *testing.T, res *Result, opts Options, columns []string) {
	t.Helper()
	if len(res.Errors) > 0 && !opts.SkipInvalid && res.Rows != nil {
		t.Fatal("rows returned despite errors without SkipInvalid")
	}
	if res.Converted != "" && res.Converted != "GB18030" {
		t.Fatalf("converted = %q", res.Converted)
	}
	for i, e := range res.Errors {
		if e.Line < 1 || e.Reason == "" || !slices.Contains(columns, e.Column) {
			t.Fatalf("malformed error %+v", e)
		}
		if i > 0 && e.Line < res.Errors[i-1].Line {
			t.Fatalf("errors out of order: %v", res.Errors)
		}
	}
	seen := map[string]bool{}
	unique := func(kind, v string) {
		if v == "" {
			return
		}
		if seen[kind+v] {
			t.Fatalf("duplicate %s in rows", kind)
		}
		seen[kind+v] = true
	}
	for i, r := range res.Rows {
		if r.Line < 2 || (i > 0 && r.Line <= res.Rows[i-1].Line) {
			t.Fatalf("bad line numbers %d", r.Line)
		}
		if r.Name == "" || r.Name != strings.TrimSpace(r.Name) {
			t.Fatalf("bad name %q", r.Name)
		}
		for _, c := range []struct {
			s         string
			max       int
			multiline bool
		}{
			{r.Name, 200, false}, {r.Address, 500, false}, {r.Notes, 4000, true},
			{r.BikeMake, 100, false}, {r.BikeModel, 100, false},
		} {
			if !utf8.ValidString(c.s) || utf8.RuneCountInString(c.s) > c.max || c.s != strings.TrimSpace(c.s) {
				t.Fatalf("bad text field %q", c.s)
			}
			for _, ch := range c.s {
				if unicode.IsControl(ch) && !(c.multiline && (ch == '\n' || ch == '\t')) {
					t.Fatalf("control character in %q", c.s)
				}
			}
		}
		if r.Email != "" {
			if e, err := contact.NormalizeEmail(r.Email); err != nil || e != r.Email {
				t.Fatalf("email %q does not re-normalise", r.Email)
			}
		}
		if r.Phone != "" {
			if p, err := contact.NormalizePhone(r.Phone, ""); err != nil || p != r.Phone {
				t.Fatalf("phone %q does not re-normalise", r.Phone)
			}
		}
		if r.BikeSerial != "" {
			if s, err := contact.NormalizeSerial(r.BikeSerial); err != nil || s != r.BikeSerial {
				t.Fatalf("serial %q does not re-normalise", r.BikeSerial)
			}
		}
		if r.Source == "" {
			unique("email", r.Email)
			unique("phone", r.Phone)
		} else if s, err := store.NormalizeSource(r.Source); err != nil || s != r.Source {
			t.Fatalf("source %q does not re-normalise", r.Source)
		}
		if r.PhoneAlt != "" {
			if p, err := contact.NormalizePhone(r.PhoneAlt, ""); err != nil || p != r.PhoneAlt || p == r.Phone {
				t.Fatalf("second phone %q does not re-normalise or repeats the first", r.PhoneAlt)
			}
		}
		unique("source", r.Source)
		unique("serial", r.BikeSerial)
	}
}

// FuzzParseBikes checks, for any input: ParseBikes does not panic; whole-file
// failures are the documented errors; every row names a customer, has a make,
// a serial that re-normalises, a plausible year and a known type; and no error
// text contains a word from the file.
func FuzzParseBikes(f *testing.F) {
	for _, name := range []string{"bikes_export.csv", "standard.csv", "pos_lightspeed_r.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
		f.Add(b, uint8(0x81))
	}
	f.Add([]byte("Spoke ID;Serial;Make;Year;Type\ncust-1;'AB 12;Trek;2020;E-Bike\n"), uint8(2))
	systems := []string{"", "lightspeed-r", "shopify", "Bad System"}
	vocab := vocabulary()
	sentinels := []error{ErrEmpty, ErrNotUTF8, ErrUTF16, ErrNoHeader, ErrNoBikeHeader, ErrDuplicateColumn, ErrTooManyRows, ErrBadSystem, ErrNeedSystem}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{System: systems[int(mode&0x7F)%len(systems)], SkipInvalid: mode&0x80 != 0}
		res, err := ParseBikes(bytes.NewReader(data), opts)
		var texts []string
		if err != nil {
			if res != nil {
				t.Fatal("result and error together")
			}
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("undocumented error %v", err)
			}
			texts = append(texts, err.Error())
		} else {
			if len(res.Errors) > 0 && !opts.SkipInvalid && res.Rows != nil {
				t.Fatal("rows returned despite errors")
			}
			for _, e := range res.Errors {
				texts = append(texts, e.Error())
			}
			serials := map[string]bool{}
			for _, r := range res.Rows {
				if (r.CustomerSource == "") == (r.CustomerID == "") || r.Make == "" {
					t.Fatalf("row without one customer or a make: %+v", r)
				}
				if r.CustomerSource != "" {
					if s, err := store.NormalizeSource(r.CustomerSource); err != nil || s != r.CustomerSource {
						t.Fatalf("source %q does not re-normalise", r.CustomerSource)
					}
				}
				if r.Serial != "" {
					if s, err := contact.NormalizeSerial(r.Serial); err != nil || s != r.Serial || serials[s] {
						t.Fatalf("serial %q does not re-normalise or repeats", r.Serial)
					}
					serials[r.Serial] = true
				}
				if r.Year != 0 && r.Year < 1900 || r.Type != "" && !slices.Contains(store.BikeTypes, r.Type) {
					t.Fatalf("bad year or type %+v", r)
				}
				for _, s := range []string{r.Make, r.Model, r.CustomerID} {
					if hasControl(s, false) || utf8.RuneCountInString(s) > 100 {
						t.Fatalf("bad text %q", s)
					}
				}
			}
		}
		for _, text := range candidateTexts(data) {
			for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if utf8.RuneCountInString(w) < 6 || strings.Contains(vocab, strings.ToLower(w)) {
					continue
				}
				for _, s := range texts {
					if strings.Contains(s, w) {
						t.Fatalf("error %q contains file content %q", s, w)
					}
				}
			}
		}
	})
}

// FuzzAddressCell: folding a multi-line address cell keeps every non-blank
// line's text, in order, on one line.
func FuzzAddressCell(f *testing.F) {
	f.Add("12 Mill Lane\nYork YO1 7HH")
	f.Add("Flat 3\r\n\r\n Riverside House\t2 ")
	f.Fuzz(func(t *testing.T, s string) {
		got := addressCell(s)
		if strings.ContainsAny(got, "\r\n\t") {
			t.Fatalf("%q folds to %q, still on several lines", s, got)
		}
		for l := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" && !strings.Contains(got, l) {
				t.Fatalf("%q folds to %q, losing %q", s, got, l)
			}
		}
	})
}
