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
	// Added for the exports of other point-of-sale systems.
	fMobile     // the primary phone when present
	fPhoneOther // a work or second number
	fNumber     // the house number, after the street
	fSuburb     // a district or suburb, after the second address line
	fSourceID   // the system's own customer id
	fYear       // bike files only
	fType       // bike files only
	fSpokeID    // bike files only: a Spoke customer id
	numFields
)

// fieldLabel describes a field in the duplicate-column error.
var fieldLabel = [numFields]string{
	fName: "the name", fFirst: "the first name", fLast: "the last name",
	fEmail: "the e-mail address", fPhone: "the phone number",
	fStreet: "the street", fStreet2: "the second address line", fCity: "the city",
	fState: "the state", fPostcode: "the postcode", fCountry: "the country",
	fNotes: "the notes", fMake: "the bike make", fModel: "the bike model",
	fSerial: "the frame serial", fMobile: "the mobile number", fPhoneOther: "the other phone number",
	fNumber: "the house number", fSuburb: "the district", fSourceID: "the customer id",
	fYear: "the model year", fType: "the bike type", fSpokeID: "the Spoke customer id",
}

// fieldName is the Spoke field a column goes to, as the mapping preview names it.
var fieldName = [numFields]string{
	fName: "name", fFirst: "name (first)", fLast: "name (last)", fEmail: "email",
	fPhone: "phone (phone_alt after a mobile)", fMobile: "phone (mobile first)", fPhoneOther: "phone_alt (other number)",
	fStreet: "address (street)", fNumber: "address (house number)", fStreet2: "address (line 2)",
	fSuburb: "address (district)", fCity: "address (city)", fState: "address (state)",
	fPostcode: "address (postcode)", fCountry: "address (country)", fNotes: "notes",
	fMake: "bike_make", fModel: "bike_model", fSerial: "bike_serial", fSourceID: "source_id",
	fYear: "bike_year", fType: "bike_type", fSpokeID: "customer_id",
}

// aliases are the header texts each field is recognised by, in the spellings
// the exports of common shop systems, spreadsheets and address books use,
// in English, German and Chinese. They are compared after headerKey, so
// "E-Mail", "e_mail" and "EMAIL" are one entry.
//
// The customer exports of Lightspeed Retail X-Series (id, first_name,
// physical_address1, physical_suburb, physical_postcode, mobile, note ...),
// Lightspeed Retail R-Series (Customer ID, Address 1, Home Phone, Work Phone,
// Mobile Phone ...), Shopify (Customer ID, Default Address Address1, Default
// Address Zip, Default Address Phone, Phone, Note ...), Square (Square Customer
// ID, Street Address 1, Postal Code, Phone Number, Memo ...) and WooCommerce
// (customer_id, billing_address_1, billing_postcode, billing_phone ...) map
// through these; testdata holds a sample of each.
var aliases = map[field][]string{
	fName:       {"name", "full name", "customer", "customer name", "姓名", "名字", "客户", "客户名称", "客户姓名", "kunde", "kundenname"},
	fFirst:      {"first name", "first", "given name", "forename", "vorname"},
	fLast:       {"last name", "last", "surname", "family name", "nachname", "familienname"},
	fEmail:      {"email", "email address", "e-mail address", "mail", "邮箱", "邮件", "电子邮件", "电子邮箱", "邮箱地址", "emailadresse"},
	fPhone:      {"phone", "phone number", "telephone", "telephone number", "tel", "home phone", "phone home", "landline", "billing phone", "电话", "电话号码", "联系电话", "telefon", "telefonnummer", "festnetz"},
	fMobile:     {"mobile", "mobile phone", "mobile number", "phone mobile", "cell", "cell phone", "cellphone", "手机", "手机号", "手机号码", "handy", "mobil", "mobilnummer", "mobiltelefon"},
	fPhoneOther: {"work phone", "phone work", "business phone", "office phone", "other phone", "phone 2", "alternate phone", "default address phone", "telefon geschäftlich", "办公电话"},
	fStreet:     {"address", "address 1", "address line 1", "street", "street address", "street address 1", "street name", "streetname", "physical address 1", "billing address 1", "default address address 1", "地址", "街道", "adresse", "anschrift", "strasse", "straße"},
	fNumber:     {"house number", "street number", "billing house number", "hausnummer", "huisnummer", "门牌号"},
	fStreet2:    {"address 2", "address line 2", "street address 2", "physical address 2", "billing address 2", "default address address 2", "adresszusatz"},
	fSuburb:     {"suburb", "physical suburb", "district", "区", "区县", "ortsteil"},
	fCity:       {"city", "town", "physical city", "billing city", "default address city", "城市", "ort", "stadt"},
	fState:      {"state", "province", "county", "region", "physical state", "billing state", "default address province code", "省", "省份", "bundesland"},
	fPostcode:   {"postcode", "postal code", "post code", "zip", "zip code", "physical postcode", "billing postcode", "default address zip", "邮编", "邮政编码", "plz", "postleitzahl"},
	fCountry:    {"country", "physical country id", "billing country", "default address country code", "国家", "land"},
	fNotes:      {"notes", "note", "memo", "comments", "comment", "remarks", "remark", "备注", "notizen", "notiz", "bemerkungen", "bemerkung"},
	fMake:       {"bike make", "make", "brand", "品牌", "marke", "hersteller"},
	fModel:      {"bike model", "model", "型号", "modell"},
	fSerial:     {"bike serial", "serial", "frame serial", "frame number", "serial number", "车架号", "rahmennummer", "seriennummer"},
	fSourceID:   {"id", "customer id", "square customer id", "customer number", "customer no", "kundennummer", "kundennr", "客户编号"},
}

// bikeAliases are the header texts of a bike file: fields of their own, and
// the bike and customer-id fields of aliases.
var bikeAliases = map[field][]string{
	fYear:    {"year", "model year", "bike year", "年份", "baujahr", "modelljahr"},
	fType:    {"type", "bike type", "category", "类型", "typ", "kategorie"},
	fSpokeID: {"spoke id", "spoke customer id"},
}

var aliasIndex = keyIndex(aliases)

// bikeIndex recognises the columns of a bike file.
var bikeIndex = func() map[string]field {
	m := keyIndex(bikeAliases)
	for _, f := range []field{fMake, fModel, fSerial, fSourceID} {
		for _, n := range aliases[f] {
			m[headerKey(n)] = f
		}
	}
	return m
}()

func keyIndex(table map[field][]string) map[string]field {
	m := make(map[string]field)
	for f, names := range table {
		for _, n := range names {
			m[headerKey(n)] = f
		}
	}
	return m
}

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

// mapHeader finds which column holds what in a customer file. It returns the
// column index of every recognised field and the text of the columns it does
// not know.
func mapHeader(header []string) ([numFields]int, []string, error) {
	cols, ignored, err := mapColumns(header, aliasIndex)
	if err != nil {
		return cols, nil, err
	}
	if cols[fName] < 0 && cols[fFirst] < 0 && cols[fLast] < 0 {
		return cols, nil, ErrNoHeader
	}
	return cols, ignored, nil
}

// mapColumns maps a header through one alias index.
func mapColumns(header []string, index map[string]field) ([numFields]int, []string, error) {
	var cols [numFields]int
	for i := range cols {
		cols[i] = -1
	}
	var ignored []string
	for i, h := range header {
		f, ok := index[headerKey(h)]
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
	return cols, ignored, nil
}

// Column is one column of a file as the mapping preview shows it.
type Column struct {
	// Position is 1-based.
	Position int
	// Header is the file's header text: file content, to show to the
	// uploader and never to log.
	Header string
	// Field is the Spoke field the column goes to (e.g. "email", "address
	// (postcode)", "source_id"), or "" when it is ignored.
	Field string
}

// columnsOf lists every column of header with the field it maps to.
func columnsOf(header []string, cols [numFields]int) []Column {
	out := make([]Column, len(header))
	for i, h := range header {
		out[i] = Column{Position: i + 1, Header: strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))}
	}
	for f, i := range cols {
		if i >= 0 {
			out[i].Field = fieldName[f]
		}
	}
	return out
}

// Systems whose exports Detect recognises, as they are written in a source
// reference ("shopify:4012345678").
const (
	SystemLightspeedX = "lightspeed-x"
	SystemLightspeedR = "lightspeed-r"
	SystemShopify     = "shopify"
	SystemSquare      = "square"
	SystemWooCommerce = "woocommerce"
	// SystemCSV is the system name for a file from any other system: its
	// customer id column is read only when Options.System names a system.
	SystemCSV = "csv"
)

// detectSystem names the system whose customer export header looks like, by
// columns only that system writes; "" when none.
func detectSystem(header []string) string {
	has := map[string]bool{}
	for _, h := range header {
		has[headerKey(h)] = true
	}
	switch {
	case has["squarecustomerid"]:
		return SystemSquare
	case has["physicaladdress1"] || has["customercode"]:
		return SystemLightspeedX
	case has["defaultaddressaddress1"] || has["acceptsemailmarketing"]:
		return SystemShopify
	case has["billingaddress1"] || has["userlogin"]:
		return SystemWooCommerce
	case has["customerid"] && (has["homephone"] || has["workphone"]):
		return SystemLightspeedR
	}
	return ""
}
