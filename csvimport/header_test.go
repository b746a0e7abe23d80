package csvimport

import (
	"errors"
	"testing"
)

// TestAliasesUnambiguous: aliasIndex is built from a map, so an alias
// listed under two fields would be resolved differently from run to run.
func TestAliasesUnambiguous(t *testing.T) {
	owner := map[string]field{}
	for f, names := range aliases {
		for _, n := range names {
			k := headerKey(n)
			if prev, ok := owner[k]; ok && prev != f {
				t.Errorf("alias %q belongs to fields %d and %d", n, prev, f)
			}
			owner[k] = f
		}
	}
}

func TestHeaderSpellings(t *testing.T) {
	for h, want := range map[string]field{
		"E-mail": fEmail, "e_mail": fEmail, "Email Address": fEmail, " EMAIL ": fEmail, "E-Mail-Adresse": fEmail, "邮箱": fEmail,
		"Mobile": fMobile, "Mobile Phone": fMobile, "Phone Number": fPhone, "Telephone": fPhone, "Tel": fPhone, "Tel.": fPhone, "Cell": fMobile, "手机": fMobile, "电话": fPhone,
		"Work Phone": fPhoneOther, "Default Address Phone": fPhoneOther, "Home Phone": fPhone, "billing_phone": fPhone,
		"physical_address1": fStreet, "Default Address Address1": fStreet, "billing_address_1": fStreet, "Street Address 1": fStreet,
		"House Number": fNumber, "Hausnummer": fNumber, "physical_suburb": fSuburb, "Default Address Zip": fPostcode, "billing_postcode": fPostcode,
		"physical_country_id": fCountry, "Memo": fNotes, "Customer ID": fSourceID, "customer_id": fSourceID, "Square Customer ID": fSourceID, "id": fSourceID,
		"first_name": fFirst, "First Name": fFirst, "LAST-NAME": fLast,
		"Full Name": fName, "Customer": fName, "customer name": fName, "姓名": fName, "\uFEFFname": fName, "ｎａｍｅ": fName,
		"Address": fStreet, "address line 1": fStreet, "Address 2": fStreet2, "地址": fStreet, "Zip": fPostcode, "Postcode": fPostcode,
		"Notes": fNotes, "remarks": fNotes, "备注": fNotes,
		"bike_make": fMake, "Brand": fMake, "bike model": fModel, "Frame Number": fSerial, "serial number": fSerial,
	} {
		if got := aliasIndex[headerKey(h)]; got != want {
			t.Errorf("%q maps to %d, want %d", h, got, want)
		}
	}
}

func TestHeaderNeedsName(t *testing.T) {
	for _, h := range [][]string{{"email", "phone"}, {"Zebulon", "Quixote"}, {""}} {
		if _, _, err := mapHeader(h); !errors.Is(err, ErrNoHeader) {
			t.Errorf("%q: got %v, want ErrNoHeader", h, err)
		}
	}
	for _, h := range [][]string{{"name"}, {"First Name"}, {"Surname", "Email"}} {
		if _, _, err := mapHeader(h); err != nil {
			t.Errorf("%q: got %v", h, err)
		}
	}
}
