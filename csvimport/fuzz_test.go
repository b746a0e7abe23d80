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
	columns := []string{colLine, colName, colEmail, colPhone, colAddress, colNotes, colMake, colModel, colSerial}

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
		unique("email", r.Email)
		unique("phone", r.Phone)
		unique("serial", r.BikeSerial)
	}
}
