package csvimport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"spoke/store/contact"
)

// vocabulary is every fixed text an error from this package can contain
// (format verbs included, which is harmless). Anything else in an error
// string came from the file.
func vocabulary() string {
	parts := []string{
		"line %d, column %s: %s", "line %d: %s",
		ErrEmpty.Error(), ErrNotUTF8.Error(), ErrUTF16.Error(), ErrNoHeader.Error(),
		ErrDuplicateColumn.Error(), ErrTooManyRows.Error(), ErrUnknownRegion.Error(),
		fmtReadFailed, fmtHeaderUnreadable, fmtTooManyRows, fmtDuplicateColumn, reasonFieldCount,
		reasonBareQuote, reasonQuote, reasonUnreadable,
		reasonNameMissing, reasonControl, reasonEmail, reasonPhone, reasonPhoneNoRegion,
		reasonSerial, reasonTooLong, reasonDuplicate, reasonSource, reasonYear, reasonType, reasonNoCustomer,
		ErrBadSystem.Error(), ErrNoBikeHeader.Error(), ErrNeedSystem.Error(),
		colLine, colName, colEmail, colPhone, colAddress, colNotes, colMake, colModel, colSerial,
		colMobile, colOther, colSource, colYear, colType, colCust,
		contact.ErrInvalidEmail.Error(), contact.ErrInvalidPhone.Error(), contact.ErrInvalidSerial.Error(),
	}
	parts = append(parts, fieldLabel[:]...)
	return strings.ToLower(strings.Join(parts, "\n"))
}

// errorTexts is everything a caller might print or log from a Parse call.
// Result.Ignored is excluded on purpose: it is documented as file content.
func errorTexts(res *Result, err error) []string {
	var out []string
	if err != nil {
		out = append(out, err.Error(), fmt.Sprintf("%+v", err))
	}
	if res != nil {
		for _, e := range res.Errors {
			out = append(out, e.Error(), fmt.Sprintf("%+v", e), e.Column, e.Reason)
		}
	}
	return out
}

// TestNoValueInErrors plants a recognisable customer in every kind of bad
// line and whole-file failure, and checks it never reaches an error.
func TestNoValueInErrors(t *testing.T) {
	const plant = "Zebulon Quixote"
	cp1252 := func(s string) []byte {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	files := map[string][]byte{
		"bad email":         []byte("name,email\n" + plant + ",zebulon.quixote@@example.com\n"),
		"long name":         []byte("name\n" + plant + strings.Repeat(" Quixote", 30) + "\n"),
		"control in name":   []byte("name\nZebulon\x07Quixote\n"),
		"control in notes":  []byte("name,notes\n" + plant + ",Zebulon\x1bQuixote\n"),
		"bidi in make":      []byte("name,make\n" + plant + ",Zebulon\u202eQuixote\n"),
		"ragged":            []byte("name,email\n" + plant + ",zq@example.com,Zebulon\n"),
		"bare quote":        []byte("name,notes\n" + plant + `,Zebulon "Quixote"` + "\n"),
		"unclosed quote":    []byte("name,notes\n" + plant + `,"Zebulon Quixote` + "\n"),
		"duplicate":         []byte("name,email,serial\n" + plant + ",zebulon@example.com,QUIXOTE1\nZebulon Q,ZEBULON@example.com,quixote-1\n"),
		"bad phone":         []byte("name,phone\n" + plant + ",Zebulon Quixote\n"),
		"bad serial":        []byte("name,serial\n" + plant + ",Zebulon_Quixote\n"),
		"missing name":      []byte("name,notes\n," + plant + "\n"),
		"no header":         []byte(plant + ",zebulon@example.com\n"),
		"dup header":        []byte("Name,Zebulon Quixote,Phone,Telephone\n" + plant + ",x,1,2\n"),
		"not utf-8":         cp1252("name\n" + plant + "é\n"),
		"unreadable header": []byte(`"` + plant + "\n"),
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(data), Options{Region: "GB"})
			texts := errorTexts(res, err)
			if len(texts) == 0 {
				t.Fatal("expected this input to fail")
			}
			for _, s := range texts {
				l := strings.ToLower(s)
				if strings.Contains(l, "zebulon") || strings.Contains(l, "quixote") {
					t.Errorf("error text leaks the plant: %q", s)
				}
			}
		})
	}
}
