package csvimport_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"spoke/csvimport"
	"spoke/store"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, data []byte, opts csvimport.Options) *csvimport.Result {
	t.Helper()
	res, err := csvimport.Parse(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("line errors: %v", res.Errors)
	}
	return res
}

// TestPOSSamplesMapEveryColumn: every column of each system's customer export either goes to
// the field named here or is one of the listed ignored ones, and the first row comes out whole.
func TestPOSSamplesMapEveryColumn(t *testing.T) {
	tests := []struct {
		file, region, system string
		given                string            // Options.System
		mapped               map[string]string // header -> Spoke field
		ignored              []string
		first                csvimport.Row
	}{
		{
			file: "pos_lightspeed_x.csv", region: "AU", system: csvimport.SystemLightspeedX,
			mapped: map[string]string{"id": "source_id", "first_name": "name (first)", "last_name": "name (last)", "email": "email",
				"phone": "phone (phone_alt after a mobile)", "mobile": "phone (mobile first)", "physical_address1": "address (street)",
				"physical_address2": "address (line 2)", "physical_suburb": "address (district)", "physical_city": "address (city)",
				"physical_postcode": "address (postcode)", "physical_state": "address (state)", "physical_country_id": "address (country)", "note": "notes"},
			ignored: []string{"customer_code", "fax", "website", "twitter", "company_name", "date_of_birth", "sex", "postal_address1", "postal_address2",
				"postal_suburb", "postal_city", "postal_postcode", "postal_state", "postal_country_id", "customer_group_id", "enable_loyalty",
				"loyalty_balance", "year_to_date", "balance"},
			first: csvimport.Row{Line: 2, Name: "Isla Thornbury", Email: "isla.thornbury@example.net", Phone: "+61491570156", PhoneAlt: "+61255501234",
				Address: "14 Wattle Street, Unit 2, Surry Hills, Sydney, NSW, 2010, AU", Notes: "Prefers Saturday pick-ups",
				Source: "lightspeed-x:0adfd74a-153e-11e9-fa42-67b5781ba1fb"},
		},
		{
			file: "pos_lightspeed_r.csv", region: "US", system: csvimport.SystemLightspeedR,
			mapped: map[string]string{"Customer ID": "source_id", "First Name": "name (first)", "Last Name": "name (last)", "Address 1": "address (street)",
				"Address 2": "address (line 2)", "City": "address (city)", "State": "address (state)", "ZIP": "address (postcode)", "Country": "address (country)",
				"Home Phone": "phone (phone_alt after a mobile)", "Work Phone": "phone_alt (other number)", "Mobile Phone": "phone (mobile first)",
				"Email": "email", "Notes": "notes"},
			ignored: []string{"Title", "Company", "Customer Type", "Email 2", "Website", "Birthday", "Created"},
			// The address was written over two lines in one quoted cell; the notes too. With
			// three numbers the mobile is the phone, the home number the second, the work
			// number a line of the notes.
			first: csvimport.Row{Line: 2, Name: "Harriet Vale", Email: "harriet.vale@example.org", Phone: "+19715550123", PhoneAlt: "+15035550142",
				Address: "12 Mill Lane, Apt 4B, Portland, OR, 97205, United States",
				Notes:   "Tubeless on both wheels\ncheck sealant in spring\nOther phone: +15035550199", Source: "lightspeed-r:1001"},
		},
		{
			file: "pos_shopify.csv", region: "US", system: csvimport.SystemShopify,
			mapped: map[string]string{"Customer ID": "source_id", "First Name": "name (first)", "Last Name": "name (last)", "Email": "email",
				"Default Address Address1": "address (street)", "Default Address Address2": "address (line 2)", "Default Address City": "address (city)",
				"Default Address Province Code": "address (state)", "Default Address Country Code": "address (country)", "Default Address Zip": "address (postcode)",
				"Default Address Phone": "phone_alt (other number)", "Phone": "phone (phone_alt after a mobile)", "Note": "notes"},
			ignored: []string{"Accepts Email Marketing", "Default Address Company", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Tax Exempt", "Tags"},
			// Shopify marks ids and numbers as text with a leading apostrophe.
			first: csvimport.Row{Line: 2, Name: "Rowan Ashdown", Email: "rowan.ashdown@example.com", Phone: "+17205550101", PhoneAlt: "+13035550188",
				Address: "221 Larkspur Ave, Suite 5, Boulder, CO, 80302, US", Notes: "Fitted on a 56cm frame", Source: "shopify:7301234567001"},
		},
		{
			file: "pos_square.csv", region: "GB", system: csvimport.SystemSquare,
			mapped: map[string]string{"First Name": "name (first)", "Last Name": "name (last)", "Email Address": "email", "Phone Number": "phone (phone_alt after a mobile)",
				"Street Address 1": "address (street)", "Street Address 2": "address (line 2)", "City": "address (city)", "State": "address (state)",
				"Postal Code": "address (postcode)", "Memo": "notes", "Square Customer ID": "source_id"},
			ignored: []string{"Reference ID", "Nickname", "Company Name", "Birthday", "Creation Source", "First Visit", "Last Visit", "Transaction Count",
				"Total Spend", "Email Subscription Status", "Groups"},
			first: csvimport.Row{Line: 2, Name: "Fenella Quarrie", Email: "quarrie.family@example.co.uk", Phone: "+447700900461",
				Address: "4 Orchard Row, Bristol, BS1 4DJ", Notes: "Brings the kids' bikes in each spring", Source: "square:6Z7V0G3J8H1K2M4N5P6Q7R8S9T"},
		},
		{
			file: "pos_woocommerce.csv", region: "DE", system: csvimport.SystemWooCommerce,
			mapped: map[string]string{"customer_id": "source_id", "first_name": "name (first)", "last_name": "name (last)", "email": "email",
				"billing_phone": "phone (phone_alt after a mobile)", "billing_address_1": "address (street)", "billing_address_2": "address (line 2)",
				"billing_postcode": "address (postcode)", "billing_city": "address (city)", "billing_state": "address (state)", "billing_country": "address (country)"},
			ignored: []string{"user_login", "date_registered", "billing_first_name", "billing_last_name", "billing_company", "billing_email",
				"shipping_first_name", "shipping_last_name", "shipping_company", "shipping_address_1", "shipping_address_2", "shipping_postcode",
				"shipping_city", "shipping_state", "shipping_country", "total_spent", "order_count"},
			first: csvimport.Row{Line: 2, Name: "Greta Holmfirth", Email: "greta.holmfirth@example.de", Phone: "+4915123456789",
				Address: "Lindenweg 7, Hinterhaus, 2. OG, Hamburg, HH, 20095, DE", Source: "woocommerce:57"},
		},
		{
			// No signature: the customer number counts once the user names the system.
			file: "generic_split.csv", region: "DE", system: csvimport.SystemCSV, given: csvimport.SystemCSV,
			mapped: map[string]string{"Kundennummer": "source_id", "Vorname": "name (first)", "Nachname": "name (last)", "Straße": "address (street)",
				"Hausnummer": "address (house number)", "Adresszusatz": "address (line 2)", "PLZ": "address (postcode)", "Ort": "address (city)",
				"Land": "address (country)", "Telefon": "phone (phone_alt after a mobile)", "Mobil": "phone (mobile first)", "E-Mail": "email"},
			first: csvimport.Row{Line: 2, Name: "Wiebke Sandhagen", Email: "wiebke.sandhagen@example.de", Phone: "+4915112345678", PhoneAlt: "+49301234567",
				Address: "Kastanienallee 12a, Hinterhof, Berlin, 10435, Deutschland", Source: "csv:K-2001"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := parse(t, sample(t, tt.file), csvimport.Options{Region: tt.region, System: tt.given})
			if res.System != tt.system {
				t.Errorf("system %q, want %q", res.System, tt.system)
			}
			seen := map[string]bool{}
			for _, c := range res.Columns {
				seen[c.Header] = true
				want, ok := tt.mapped[c.Header]
				switch {
				case ok && c.Field != want:
					t.Errorf("column %d %q -> %q, want %q", c.Position, c.Header, c.Field, want)
				case !ok && !slices.Contains(tt.ignored, c.Header):
					t.Errorf("column %d %q -> %q is neither mapped nor listed as ignored", c.Position, c.Header, c.Field)
				case !ok && c.Field != "":
					t.Errorf("column %d %q -> %q, want ignored", c.Position, c.Header, c.Field)
				}
			}
			for h := range tt.mapped {
				if !seen[h] {
					t.Errorf("column %q missing from the mapping", h)
				}
			}
			if !slices.Equal(res.Ignored, tt.ignored) {
				t.Errorf("ignored %q, want %q", res.Ignored, tt.ignored)
			}
			if len(res.Rows) == 0 || !reflect.DeepEqual(res.Rows[0], tt.first) {
				t.Errorf("first row\n got %+v\nwant %+v", res.Rows, tt.first)
			}
		})
	}
}

// TestReimportUpdatesBySource: a second import of the same export updates the customers it
// made (by source id) instead of adding them again; a changed cell is written, an empty one
// keeps the stored value.
func TestReimportUpdatesBySource(t *testing.T) {
	ctx := context.Background()
	owner, sam, _, _ := staff(t)
	data := sample(t, "pos_lightspeed_r.csv")
	res := parse(t, data, csvimport.Options{Region: "US"})
	p, err := csvimport.PreviewImport(ctx, sam, csvimport.Target{}, res)
	if err != nil || len(p.New) != 3 || len(p.Updates)+len(p.Candidates)+len(p.NotYours) != 0 {
		t.Fatalf("first preview %+v %v", p, err)
	}
	first, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil || first.Added != 3 {
		t.Fatalf("first import %+v %v", first, err)
	}
	c, err := sam.Customer(ctx, first.IDs[0], "")
	if err != nil || c.Phone != "+19715550123" || c.PhoneAlt != "+15035550142" || c.Source != "lightspeed-r:1001" || !strings.HasPrefix(c.Address, "12 Mill Lane, Apt 4B, ") {
		t.Fatalf("imported card %+v %v", c, err)
	}

	// The same file again: three updates, nothing changed, nothing added.
	p, err = csvimport.PreviewImport(ctx, sam, csvimport.Target{}, res)
	if err != nil || !slices.Equal(p.Updates, []int{2, 5, 6}) || len(p.New)+len(p.Candidates) != 0 {
		t.Fatalf("second preview %+v %v", p, err)
	}
	again, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil || again.Added != 0 || again.Unchanged != 3 || again.Updated != 0 {
		t.Fatalf("second import %+v %v", again, err)
	}

	// Tobias moved and his e-mail changed in the POS; Mira's address was emptied there.
	edited := strings.Replace(string(data), "800 Alder St,,Portland,OR,97204,United States,,,(971) 555-0177,tobias.fenn@example.org",
		"55 Birch Ave,,Portland,OR,97209,United States,,,(971) 555-0177,tobias@fenn.example.org", 1)
	edited = strings.Replace(edited, "1003,Mira,Vale,,,Retail,\"12 Mill Lane\nApt 4B\",,Portland,OR,97205,United States,", "1003,Mira,Vale,,,Retail,,,,,,,", 1)
	res = parse(t, []byte(edited), csvimport.Options{Region: "US"})
	third, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil || third.Added != 0 || third.Updated != 1 || third.Unchanged != 2 {
		t.Fatalf("third import %+v %v", third, err)
	}
	found, err := sam.FindCustomers(ctx, store.ByEmail, "tobias@fenn.example.org")
	if err != nil || len(found) != 1 || found[0].ID != first.IDs[1] || !strings.HasPrefix(found[0].Address, "55 Birch Ave") {
		t.Fatalf("updated customer %+v %v", found, err)
	}
	c, err = sam.Customer(ctx, first.IDs[2], "")
	if err != nil || !strings.HasPrefix(c.Address, "12 Mill Lane, Apt 4B") {
		t.Fatalf("an empty cell must keep the stored address: %q %v", c.Address, err)
	}
	all, err := sam.Search(ctx, "vale", 100)
	if err != nil || len(all) != 2 {
		t.Fatalf("after three imports: %d Vales (%v)", len(all), err)
	}
	bySource, err := sam.FindCustomers(ctx, store.BySource, "lightspeed-r:1003")
	if err != nil || len(bySource) != 1 || bySource[0].ID != first.IDs[2] {
		t.Fatalf("lookup by source %+v %v", bySource, err)
	}

	recs, err := owner.AuditLog(ctx, store.AuditFilter{UserID: sam.User().ID, Action: "customer.import", Limit: 10})
	if err != nil || len(recs) != 5 {
		t.Fatalf("audit %d %v", len(recs), err)
	}
	if d := recs[0].Detail; !strings.HasPrefix(d, "customers=0 bikes=0 owner=") || !strings.HasSuffix(d, "updated=1 unchanged=2 candidates_skipped=0 candidates_added=0 not_yours=0") {
		t.Fatalf("audit detail %q", d)
	}
}

// TestFamilyEmailIsCandidate: a row that matches a stored customer only by e-mail (a family
// sharing one) is a candidate: skipped by default, added as new only when asked, never merged.
func TestFamilyEmailIsCandidate(t *testing.T) {
	ctx := context.Background()
	owner, _, _, _ := staff(t)
	west, err := owner.AddShop(ctx, "West", "GB", "GBP")
	if err != nil {
		t.Fatal(err)
	}
	tgt := csvimport.Target{ShopID: west}
	mum, err := owner.CreateCustomer(ctx, store.CustomerInput{Name: "Morag Quarrie", Email: "quarrie.family@example.co.uk", ShopID: west})
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, sample(t, "pos_square.csv"), csvimport.Options{Region: "GB"})
	p, err := csvimport.PreviewImport(ctx, owner, tgt, res)
	if err != nil || !slices.Equal(p.Candidates, []int{2, 3}) || len(p.New)+len(p.Updates) != 0 {
		t.Fatalf("preview %+v %v", p, err)
	}
	skipped, err := csvimport.ImportRows(ctx, owner, tgt, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil || skipped.Added != 0 || skipped.CandidatesSkipped != 2 {
		t.Fatalf("default import %+v %v", skipped, err)
	}
	c, err := owner.Customer(ctx, mum, "")
	if err != nil || c.Name != "Morag Quarrie" || c.Source != "" || c.Phone != "" {
		t.Fatalf("the stored customer was touched: %+v %v", c, err)
	}
	added, err := csvimport.ImportRows(ctx, owner, tgt, res.Rows, csvimport.CandidatesAsNew, nil)
	if err != nil || added.Added != 2 || added.CandidatesAdded != 2 {
		t.Fatalf("import as new %+v %v", added, err)
	}
	found, err := owner.FindCustomers(ctx, store.ByEmail, "quarrie.family@example.co.uk")
	if err != nil || len(found) != 3 {
		t.Fatalf("family: %d customers %v", len(found), err)
	}
	// Now they have source ids: a re-import updates them and still leaves the mother alone.
	p, err = csvimport.PreviewImport(ctx, owner, tgt, res)
	if err != nil || !slices.Equal(p.Updates, []int{2, 3}) || len(p.Candidates) != 0 {
		t.Fatalf("re-import preview %+v %v", p, err)
	}
}

// TestImportNotYours: a salesperson's re-import does not touch another salesperson's
// customer that has the row's source id: the preview says so and the import skips it.
func TestImportNotYours(t *testing.T) {
	ctx := context.Background()
	owner, sam, mike, _ := staff(t)
	res := parse(t, sample(t, "pos_shopify.csv"), csvimport.Options{Region: "US"})
	if _, err := csvimport.ImportRows(ctx, owner, csvimport.Target{ShopID: sam.User().ShopID}, res.Rows, csvimport.SkipCandidates, nil); err != nil {
		t.Fatal(err)
	}
	p, err := csvimport.PreviewImport(ctx, sam, csvimport.Target{}, res)
	if err != nil || !slices.Equal(p.NotYours, []int{2, 3}) {
		t.Fatalf("sam's preview %+v %v", p, err)
	}
	s, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil || s.NotYours != 2 || s.Added+s.Updated+s.Unchanged != 0 {
		t.Fatalf("sam's import %+v %v", s, err)
	}
	if _, err := csvimport.PreviewImport(ctx, mike, csvimport.Target{}, res); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("mechanic preview: %v", err)
	}
}

// TestMalformedFileImportsNothing: a file the reader cannot read to its end, or one with a
// bad line, returns a clear line error and no rows; a row the store refuses rolls back all.
func TestMalformedFileImportsNothing(t *testing.T) {
	ctx := context.Background()
	_, sam, _, _ := staff(t)
	broken := strings.Replace(string(sample(t, "pos_lightspeed_r.csv")), `Retail,"12 Mill Lane`, `Retail,12 "Mill Lane`, 1)
	res, err := csvimport.Parse(strings.NewReader(broken), csvimport.Options{Region: "US"})
	if err != nil || res.Rows != nil || len(res.Errors) != 1 || res.Errors[0].Line != 2 || !strings.Contains(res.Errors[0].Error(), "quote") {
		t.Fatalf("broken quote: %+v %v", res, err)
	}
	if _, err := csvimport.Parse(strings.NewReader("Customer ID,Notes\n1,x\n"), csvimport.Options{}); !errors.Is(err, csvimport.ErrNoHeader) {
		t.Fatalf("no name column: %v", err)
	}
	rows := parse(t, sample(t, "pos_lightspeed_r.csv"), csvimport.Options{Region: "US"}).Rows
	rows[2].Name = ""
	if _, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, rows, csvimport.SkipCandidates, nil); err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Fatalf("refused row: %v", err)
	}
	if got, err := sam.Search(ctx, "portland", 10); err != nil || len(got) != 0 {
		t.Fatalf("after a refused import: %d customers %v", len(got), err)
	}
}

// TestBikeImport: bikes from a separate export attach to their customers by source id; a
// second import of the same file updates them (by serial) instead of adding them again.
func TestBikeImport(t *testing.T) {
	ctx := context.Background()
	owner, sam, mike, _ := staff(t)
	res := parse(t, sample(t, "pos_lightspeed_r.csv"), csvimport.Options{Region: "US"})
	cust, err := csvimport.ImportRows(ctx, sam, csvimport.Target{}, res.Rows, csvimport.SkipCandidates, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := string(sample(t, "bikes_export.csv")) + "9999,ZZ123456,Brompton,C Line,2020,Folding,Black\n"
	br, err := csvimport.ParseBikes(strings.NewReader(data), csvimport.Options{System: csvimport.SystemLightspeedR})
	if err != nil || br.Rows != nil || len(br.Errors) != 1 || br.Errors[0].Line != 5 || br.Errors[0].Column != "bike_type" {
		t.Fatalf("unknown bike type: %+v %v", br, err)
	}
	data = strings.Replace(data, "Folding", "other", 1)
	br, err = csvimport.ParseBikes(strings.NewReader(data), csvimport.Options{System: csvimport.SystemLightspeedR})
	if err != nil || len(br.Errors) != 0 || len(br.Rows) != 4 {
		t.Fatalf("bike file %+v %v", br, err)
	}
	p, err := csvimport.PreviewBikes(ctx, sam, "", br)
	if err != nil || !slices.Equal(p.New, []int{2, 3, 4}) || !slices.Equal(p.NoCustomer, []int{5}) {
		t.Fatalf("bike preview %+v %v", p, err)
	}
	s, err := csvimport.ImportBikes(ctx, sam, "", br.Rows)
	if err != nil || s.Added != 3 || s.NoCustomer != 1 {
		t.Fatalf("bike import %+v %v", s, err)
	}
	again, err := csvimport.ImportBikes(ctx, sam, "", br.Rows)
	if err != nil || again.Added != 0 || again.Updated != 3 {
		t.Fatalf("bike re-import %+v %v", again, err)
	}
	c, err := sam.Customer(ctx, cust.IDs[0], "")
	if err != nil || len(c.Bikes) != 2 || c.Bikes[0].Serial != "WTU1234567" || c.Bikes[0].Year != 2022 || c.Bikes[0].Type != "road" || c.Bikes[1].Type != "e-bike" {
		t.Fatalf("Harriet's bikes %+v %v", c.Bikes, err)
	}
	found, err := sam.FindCustomers(ctx, store.BySerial, "SNX7700123")
	if err != nil || len(found) != 1 || found[0].ID != cust.IDs[1] {
		t.Fatalf("by serial %+v %v", found, err)
	}
	if _, err := csvimport.ImportBikes(ctx, mike, "", br.Rows); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("mechanic bike import: %v", err)
	}
	recs, err := owner.AuditLog(ctx, store.AuditFilter{UserID: sam.User().ID, Action: "bike.import", Limit: 10})
	if err != nil || len(recs) != 3 || recs[0].Detail != "bikes=0 updated=3 no_customer=1 other_customer=0 not_yours=0" ||
		recs[2].Action != "bike.import.preview" || recs[2].Detail != "rows=4 new=3 updates=0 no_customer=1 other_customer=0 not_yours=0" {
		t.Fatalf("bike audit %+v %v", recs, err)
	}
	if _, err := csvimport.ParseBikes(strings.NewReader("Serial Number,Brand\nX1,Trek\n"), csvimport.Options{}); !errors.Is(err, csvimport.ErrNoBikeHeader) {
		t.Fatalf("bike file without a customer column: %v", err)
	}
}
