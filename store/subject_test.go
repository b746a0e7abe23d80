package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// subjectFixture plants distinct values on two customers of the north shop: A (sue's) and B
// (sam's), with a bike, a job with lines and a sale each.
type subjectFixture struct {
	*fixture
	a, b           string
	aVals, bVals   []string
	aBike, aJob    string
	breakGlassWhy  string
	aSale, bSaleID string
}

func newSubjectFixture(t *testing.T) *subjectFixture {
	t.Helper()
	ctx := context.Background()
	f := &subjectFixture{fixture: newFixture(t), breakGlassWhy: "customer at the counter asks about gears"}
	sue, sam := f.users["sue"], f.users["sam"]
	f.a = f.cSue
	must[struct{}](t)(struct{}{}, sue.UpdateCustomer(ctx, f.a, CustomerInput{Name: "Bea Suecustomer", Email: f.emailSue, Phone: "+1 415 555 0102",
		Address: "12 Alder Lane, Portland", Birthday: "1984-02-29", Notes: "private note: prefers calls after 5"}))
	f.aBike = must[string](t)(sue.AddBike(ctx, f.a, Bike{Make: "Surly", Model: "Straggler", Serial: "SRL7788AZ", Notes: "saddle 74.5cm"}))
	f.aJob = must[string](t)(sue.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.a, BikeID: f.aBike, Complaint: "creaks under load near the bottom bracket",
		Notes: "owner rides in the rain", Lines: []Line{{Kind: "labour", Description: "BB overhaul", Qty: 1, UnitPrice: 4500}}}))
	f.aSale = must[string](t)(sue.RecordSale(ctx, SaleInput{CustomerID: f.a, PaymentMethod: "card", Lines: []Line{{Description: "Schwalbe Marathon 700x38", Qty: 2, UnitPrice: 3999}}}))
	f.aVals = []string{"Bea Suecustomer", f.emailSue, "+14155550102", "12 Alder Lane, Portland", "1984-02-29", "private note: prefers calls after 5",
		"WTU123X4567", "SRL7788AZ", "saddle 74.5cm", "gears skip", "creaks under load near the bottom bracket", "owner rides in the rain",
		"BB overhaul", "Schwalbe Marathon 700x38"}

	f.b = f.cSam
	must[struct{}](t)(struct{}{}, sam.UpdateCustomer(ctx, f.b, CustomerInput{Name: "Ada Samcustomer", Email: "ada@example.com", Phone: "+1 415 555 0101",
		Address: "99 Birch Road", Notes: "B's secret note"}))
	bb := must[string](t)(sam.AddBike(ctx, f.b, Bike{Make: "Brompton", Model: "C Line", Serial: "BRMP000111", Notes: "B bike note"}))
	must[string](t)(sam.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.b, BikeID: bb, Complaint: "B flat tyre again", Lines: []Line{{Description: "B inner tube", Qty: 1, UnitPrice: 800}}}))
	f.bSaleID = must[string](t)(sam.RecordSale(ctx, SaleInput{CustomerID: f.b, PaymentMethod: "cash", Lines: []Line{{Description: "B bell brass", Qty: 1, UnitPrice: 1200}}}))
	f.bVals = []string{"Ada Samcustomer", "ada@example.com", "+14155550101", "99 Birch Road", "B's secret note", "BRMP000111", "B bike note",
		"B flat tyre again", "B inner tube", "B bell brass"}
	// Sam opens A by break-glass: the person may learn that, when and why.
	if _, err := sam.Customer(ctx, f.a, f.breakGlassWhy); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSubjectExportHoldsEveryValueOfTheCustomerAndNoneOfAnother(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	d, err := f.users["mia"].SubjectExport(ctx, f.a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, v := range f.aVals {
		if !strings.Contains(js, mustJSONString(v)) {
			t.Errorf("export of A lacks %q", v)
		}
	}
	for _, v := range f.bVals {
		if strings.Contains(js, v) {
			t.Errorf("export of A holds B's %q", v)
		}
	}
	if strings.Contains(js, f.b) || strings.Contains(js, f.bSaleID) {
		t.Error("export of A names B's rows")
	}
	if d.Format != SubjectFormat || d.CustomerID != f.a || d.Shop.ID != f.north || len(d.Bikes) != 2 || len(d.WorkOrders) != 2 || len(d.Sales) != 1 {
		t.Fatalf("export: format %q shop %q bikes %d jobs %d sales %d", d.Format, d.Shop.ID, len(d.Bikes), len(d.WorkOrders), len(d.Sales))
	}
	// The trail about A: its creation, the edits, the break-glass read with its reason, staff
	// by role only.
	var bg *SubjectAccess
	about := map[string]bool{}
	for i, e := range d.Audit {
		about[e.About] = true
		if e.Action == "customer.read.break_glass" {
			bg = &d.Audit[i]
		}
	}
	if bg == nil || bg.Reason != f.breakGlassWhy || bg.ByRole != "sales" {
		t.Fatalf("break-glass entry: %+v", bg)
	}
	for _, k := range []string{"customer", "work_order"} {
		if !about[k] {
			t.Errorf("no audit entry about a %s in %v", k, about)
		}
	}
	for _, u := range []string{"sam", "sue", "mia", "olga"} {
		if strings.Contains(js, f.users[u].User().ID) || strings.Contains(js, `"`+u+`"`) {
			t.Errorf("export names staff member %s", u)
		}
	}
}

func mustJSONString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func TestSubjectExportAccess(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user, want string
	}{
		{"olga", "ok"}, {"mia", "ok"}, {"mo", "forbidden"}, {"sam", "forbidden"}, {"sue", "forbidden"},
		{"stan", "forbidden"}, {"mike", "forbidden"}, {"mark", "forbidden"}, {"aud", "forbidden"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			d, err := f.users[tc.user].SubjectExport(ctx, f.a)
			if got := outcome(err); got != tc.want {
				t.Fatalf("%s: %s, want %s", tc.user, got, tc.want)
			}
			if err != nil && d != nil {
				t.Fatal("data returned with an error")
			}
			last := lastEntry(t, f.st, "subject.export")
			wantOutcome := map[string]string{"ok": "ok", "forbidden": "denied"}[tc.want]
			if last.Outcome != wantOutcome || last.UserID != f.users[tc.user].User().ID || last.Target != f.a {
				t.Fatalf("audit entry: %+v", last)
			}
		})
	}
	if _, err := f.users["olga"].SubjectExport(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

// lastEntry returns the newest entry with that action, read as the owner would.
func lastEntry(t *testing.T, st *Store, action string) AuditRecord {
	t.Helper()
	var r AuditRecord
	var fields string
	err := st.db.QueryRow("SELECT seq, user_id, action, target, fields, outcome, detail FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1", action).
		Scan(&r.Seq, &r.UserID, &r.Action, &r.Target, &fields, &r.Outcome, &r.Detail)
	if err != nil {
		t.Fatal(err)
	}
	r.Fields = strings.Split(fields, ",")
	return r
}

func TestSubjectExportAuditHoldsCountsNoValues(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	d := must[*SubjectData](t)(f.users["olga"].SubjectExport(ctx, f.a))
	var row []string
	var seq int64
	var reason []byte
	var cols [8]string
	if err := f.st.db.QueryRow("SELECT seq, at, user_id, device_id, action, target, fields, outcome, detail, reason FROM audit WHERE action = 'subject.export' ORDER BY seq DESC LIMIT 1").
		Scan(&seq, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7], &reason); err != nil {
		t.Fatal(err)
	}
	if reason != nil {
		t.Fatal("the export's entry carries a reason")
	}
	row = cols[:]
	all := strings.Join(row, "|")
	for _, v := range append(f.aVals, f.bVals...) {
		if strings.Contains(all, v) {
			t.Errorf("audit entry holds %q", v)
		}
	}
	if cols[7] != d.CountsString() || !strings.Contains(cols[7], "bikes=2 work_orders=2 work_order_lines=1 sales=1 sale_lines=1") {
		t.Fatalf("detail %q, counts %q", cols[7], d.CountsString())
	}
	if !strings.Contains(cols[5], "bikes.serial") || !strings.Contains(cols[5], "work_orders.complaint") {
		t.Fatalf("fields %q", cols[5])
	}
}

func TestSubjectExportSectionsHook(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	const consentID = "11111111-1111-4111-8111-111111111111"
	saved := subjectSections
	t.Cleanup(func() { subjectSections = saved })
	subjectSections = nil // this test's section alone (consent.go registers the real one)
	registerSubjectSection(subjectSection{order: 1, name: "consents", title: Label{"Consents", "同意"},
		columns: []SectionColumn{{"purpose", Label{"Purpose", "目的"}}, {"note", Label{"Note", "备注"}}},
		collect: func(ctx context.Context, s *Store, q querier, c *custRow) ([][]string, []string, error) {
			if c.id != f.a {
				return nil, nil, nil
			}
			return [][]string{{"email_marketing", `granted "at the counter"`}}, []string{consentID}, nil
		}})
	if err := f.st.Audit(ctx, f.users["olga"], Event{Action: "consent.record", Target: consentID}); err != nil {
		t.Fatal(err)
	}
	d := must[*SubjectData](t)(f.users["olga"].SubjectExport(ctx, f.a))
	if len(d.Sections) != 1 || d.Sections[0].Name != "consents" || len(d.Sections[0].Rows) != 1 {
		t.Fatalf("sections: %+v", d.Sections)
	}
	b := must[[]byte](t)(json.Marshal(d))
	var back struct {
		Sections []struct {
			Name string              `json:"name"`
			Rows []map[string]string `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Sections[0].Rows[0]["note"] != `granted "at the counter"` {
		t.Fatalf("section JSON: %s", b)
	}
	if !strings.Contains(d.CountsString(), "consents=1") {
		t.Fatalf("counts %q", d.CountsString())
	}
	// A row id the section names pulls its audit entries in, labelled with the section.
	if !slices.ContainsFunc(d.Audit, func(e SubjectAccess) bool { return e.About == "consents" && e.Target == consentID }) {
		t.Fatal("no audit entry about the section's row")
	}
	bad := SubjectSection{Name: "x", Columns: []SectionColumn{{Key: "a"}}, Rows: [][]string{{"1", "2"}}}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("a row with the wrong number of values was marshalled")
	}
}

func TestSubjectExportSoftDeletedAndTampered(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	olga := f.users["olga"]
	if err := olga.DeleteCustomer(ctx, f.a); err != nil {
		t.Fatal(err)
	}
	d := must[*SubjectData](t)(olga.SubjectExport(ctx, f.a))
	if d.Contact.DeletedAt.IsZero() || d.Contact.Name != "Bea Suecustomer" {
		t.Fatalf("soft-deleted export: %+v", d.Contact)
	}
	// A bike edited in the file fails the export instead of reaching the person.
	if _, err := rawDB(t, f.st.dir).Exec("UPDATE bikes SET make = 'Forged' WHERE id = ?", f.aBike); err != nil {
		t.Fatal(err)
	}
	var te *TamperError
	if _, err := olga.SubjectExport(ctx, f.a); !errors.As(err, &te) {
		t.Fatalf("tampered bike: %v", err)
	}
}

func TestPrivacyShops(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user, shop string
		doc        PrivacyDoc
		want       string
		n          int
	}{
		{"olga", "", DocRecord, "ok", 2}, {"olga", f.south, DocNotice, "ok", 1}, {"mia", "", DocRecord, "ok", 1},
		{"mia", f.north, DocNotice, "ok", 1}, {"mia", f.south, DocNotice, "forbidden", 0}, {"mo", f.north, DocRecord, "forbidden", 0},
		{"sam", "", DocNotice, "forbidden", 0}, {"mark", "", DocRecord, "forbidden", 0}, {"aud", "", DocRecord, "forbidden", 0},
		{"olga", "00000000-0000-4000-8000-000000000000", DocRecord, "notfound", 0},
	} {
		shops, err := f.users[tc.user].PrivacyShops(ctx, tc.doc, tc.shop)
		if got := outcome(err); got != tc.want || len(shops) != tc.n {
			t.Errorf("%s %s %s: %s with %d shops, want %s with %d", tc.user, tc.doc, tc.shop, got, len(shops), tc.want, tc.n)
			continue
		}
		if tc.want == "notfound" {
			continue
		}
		if tc.user == "mia" && tc.want == "ok" && shops[0].ID != f.north {
			t.Errorf("mia got %s", shops[0].Name)
		}
		f.st.flushReadAudits(ctx)
		last := lastEntry(t, f.st, string(tc.doc))
		wantOutcome := map[string]string{"ok": "ok", "forbidden": "denied"}[tc.want]
		if last.Outcome != wantOutcome || last.UserID != f.users[tc.user].User().ID {
			t.Errorf("%s %s: audit %+v", tc.user, tc.doc, last)
		}
	}
	if _, err := f.users["olga"].PrivacyShops(ctx, "records.other", ""); err == nil {
		t.Error("an unknown document was accepted")
	}
}

func TestPersonalFieldsListTheRegistry(t *testing.T) {
	fs := PersonalFields()
	n := 0
	for _, t := range schema {
		n += len(t.personalCols())
	}
	if len(fs) != n || n == 0 {
		t.Fatalf("%d fields for %d personal columns", len(fs), n)
	}
	for _, f := range fs {
		if !isSealed(f.Table, f.Column) {
			t.Errorf("%s is not a sealed column", f.Key())
		}
		want := "customer"
		if tables[f.Table].key == sealedByOrg {
			want = "staff"
		}
		if f.Subject != want {
			t.Errorf("%s: subject %q", f.Key(), f.Subject)
		}
	}
}

// FuzzSubjectSectionJSON: whatever a section's JSON decodes to encodes back to JSON that
// decodes to the same section.
func FuzzSubjectSectionJSON(f *testing.F) {
	for _, s := range []string{`{"name":"consents","rows":[{"purpose":"sms","at":"2026-01-01"},{"purpose":"email","at":""}]}`,
		`{"name":"x","rows":[]}`, `{"name":"x","rows":[{}]}`, `{"name":"x","rows":[{"a":"1","a":"2"}]}`, `{"rows":[{"a":1}]}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s SubjectSection
		if json.Unmarshal(b, &s) != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode: %v", b, err)
		}
		var back SubjectSection
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("%s became %s", out, again)
		}
	})
}
