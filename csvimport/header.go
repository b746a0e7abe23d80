package csvimport

import (
	"fmt"
	"strings"
	"unicode"
)

// field is what a column holds.
type field int

const (
	fNone field = iota
	fName
	fFirst
	fLast
	fEmail
	fPhone
	fStreet
	fStreet2
	fCity
	fState
	fPostcode
	fCountry
	fNotes
	fMake
	fModel
	fSerial
	numFields
)

// fieldLabel describes a field in the duplicate-column error.
var fieldLabel = [numFields]string{
	fName: "the name", fFirst: "the first name", fLast: "the last name",
	fEmail: "the e-mail address", fPhone: "the phone number",
	fStreet: "the street", fStreet2: "the second address line", fCity: "the city",
	fState: "the state", fPostcode: "the postcode", fCountry: "the country",
	fNotes: "the notes", fMake: "the bike make", fModel: "the bike model",
	fSerial: "the frame serial",
}

// aliases are the header texts each field is recognised by, in the spellings
// the exports of common shop systems, spreadsheets and address books use,
// in English, German and Chinese. They are compared after headerKey, so
// "E-Mail", "e_mail" and "EMAIL" are one entry.
var aliases = map[field][]string{
	fName:     {"name", "full name", "customer", "customer name", "姓名", "名字", "客户", "客户名称", "客户姓名", "kunde", "kundenname"},
	fFirst:    {"first name", "first", "given name", "forename", "vorname"},
	fLast:     {"last name", "last", "surname", "family name", "nachname", "familienname"},
	fEmail:    {"email", "email address", "e-mail address", "mail", "邮箱", "邮件", "电子邮件", "电子邮箱", "邮箱地址", "emailadresse"},
	fPhone:    {"phone", "phone number", "mobile", "mobile phone", "mobile number", "telephone", "telephone number", "tel", "cell", "cell phone", "cellphone", "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "telefon", "telefonnummer", "handy", "mobil", "mobilnummer"},
	fStreet:   {"address", "address 1", "address line 1", "street", "street address", "地址", "街道", "adresse", "anschrift", "strasse", "straße"},
	fStreet2:  {"address 2", "address line 2"},
	fCity:     {"city", "town", "城市", "ort", "stadt"},
	fState:    {"state", "province", "county", "省", "省份", "bundesland"},
	fPostcode: {"postcode", "postal code", "post code", "zip", "zip code", "邮编", "邮政编码", "plz", "postleitzahl"},
	fCountry:  {"country", "国家", "land"},
	fNotes:    {"notes", "note", "comments", "comment", "remarks", "remark", "备注", "notizen", "notiz", "bemerkungen", "bemerkung"},
	fMake:     {"bike make", "make", "brand", "品牌", "marke", "hersteller"},
	fModel:    {"bike model", "model", "型号", "modell"},
	fSerial:   {"bike serial", "serial", "frame serial", "frame number", "serial number", "车架号", "rahmennummer", "seriennummer"},
}

var aliasIndex = func() map[string]field {
	m := make(map[string]field)
	for f, names := range aliases {
		for _, n := range names {
			m[headerKey(n)] = f
		}
	}
	return m
}()

// headerKey folds the ways one header is written: case, surrounding and
// inner spaces, "_", "-" and "." ("Tel.", "E-Mail", "first_name") and
// full-width forms from Chinese input methods.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' || r == '\uFEFF' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mapHeader finds which column holds what. It returns the column index of
// every recognised field and the text of the columns it does not know.
func mapHeader(header []string) ([numFields]int, []string, error) {
	var cols [numFields]int
	for i := range cols {
		cols[i] = -1
	}
	var ignored []string
	for i, h := range header {
		f, ok := aliasIndex[headerKey(h)]
		if !ok {
			if t := strings.TrimSpace(h); t != "" {
				ignored = append(ignored, t)
			}
			continue
		}
		if prev := cols[f]; prev >= 0 {
			// Picking one of the two silently could import the wrong
			// phone number for every customer.
			return cols, nil, fmt.Errorf(fmtDuplicateColumn, ErrDuplicateColumn, prev+1, i+1, fieldLabel[f])
		}
		cols[f] = i
	}
	if cols[fName] < 0 && cols[fFirst] < 0 && cols[fLast] < 0 {
		return cols, nil, ErrNoHeader
	}
	return cols, ignored, nil
}
