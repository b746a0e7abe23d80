package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"spoke/compliance/subject"
	"spoke/crypto/keys"
	"spoke/store"
)

// subjectShop is setupShop plus a second shop, one account per role and two customers of the
// first shop with a value planted in every field: A (sam's) and B (sue's).
type subjectShop struct {
	c            *cliT
	a, b         string
	aVals, bVals []string
}

const staffPass = "staff-password-1"

func newSubjectShop(t *testing.T) *subjectShop {
	t.Helper()
	c := setupShop(t)
	ctx := context.Background()
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	signIn := func(u, pw string) *store.Session {
		ss, err := st.SignIn(ctx, u, pw)
		if err != nil {
			t.Fatalf("sign in %s: %v", u, err)
		}
		return ss
	}
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(s string, err error) string { t.Helper(); ok(err); return s }
	owner := signIn("olga", "owner-password-1")
	shops, err := owner.Shops(ctx)
	ok(err)
	north := shops[0].ID
	south := id(owner.AddShop(ctx, "Rose South", "US", "USD"))
	for _, u := range []struct {
		name string
		role store.Role
		shop string
	}{{"mia", store.RoleManager, north}, {"mo", store.RoleManager, south}, {"mike", store.RoleMechanic, north}, {"mark", store.RoleMarketing, ""}} {
		id(owner.AddUser(ctx, store.NewUser{Username: u.name, Password: staffPass, Roles: []store.Role{u.role}, ShopID: u.shop}))
	}
	sam, sue := signIn("sam", "sales-password-1"), signIn("sue", "sales-password-1")
	s := &subjectShop{c: c}
	s.a = id(sam.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101",
		Address: "1 Analytical Way, Portland", Birthday: "1985-12-10", Notes: "likes steel frames"}))
	bike := id(sam.AddBike(ctx, s.a, store.Bike{Make: "Surly", Model: "Straggler", Serial: "SUR123456", Notes: "saddle at 74 cm"}))
	id(sam.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: s.a, BikeID: bike, Complaint: "rear hub grinds on climbs", Notes: "check the freehub",
		Lines: []store.Line{{Kind: "labour", Description: "Hub overhaul", Qty: 1, UnitPrice: 6000}}}))
	id(sam.RecordSale(ctx, store.SaleInput{CustomerID: s.a, PaymentMethod: "card", Lines: []store.Line{{Description: "Chain KMC X11", Qty: 1, UnitPrice: 3499}}}))
	s.aVals = []string{"Ada Lovelace", "ada@example.com", "+14155550101", "1 Analytical Way, Portland", "1985-12-10", "likes steel frames",
		"SUR123456", "saddle at 74 cm", "rear hub grinds on climbs", "check the freehub", "Hub overhaul", "Chain KMC X11"}
	s.b = id(sue.CreateCustomer(ctx, store.CustomerInput{Name: "Grace Hopper", Email: "grace@example.com", Phone: "+1 415 555 0102",
		Address: "2 Compiler Court", Notes: "B note cobol"}))
	bb := id(sue.AddBike(ctx, s.b, store.Bike{Make: "Brompton", Model: "C", Serial: "BROMPTON77", Notes: "B bike fit"}))
	id(sue.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: s.b, BikeID: bb, Complaint: "B squeaky brake", Lines: []store.Line{{Description: "B brake pads", Qty: 2, UnitPrice: 1500}}}))
	id(sue.RecordSale(ctx, store.SaleInput{CustomerID: s.b, PaymentMethod: "cash", Lines: []store.Line{{Description: "B bottle cage", Qty: 1, UnitPrice: 900}}}))
	s.bVals = []string{"Grace Hopper", "grace@example.com", "+14155550102", "2 Compiler Court", "B note cobol", "BROMPTON77", "B bike fit", "B squeaky brake", "B brake pads", "B bottle cage"}
	return s
}

var passLine = regexp.MustCompile(`(?m)^([0-9A-Z]{5}(?:-[0-9A-Z]{5}){4})$`)

func TestCLISubjectExport(t *testing.T) {
	s := newSubjectShop(t)
	dir := t.TempDir()
	to := filepath.Join(dir, subject.DefaultName(s.a, time.Now()))
	out := s.c.as("mia", staffPass).ok("subject", "export", "--as", "mia", s.a, "--to", to)
	m := passLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no passphrase line in:\n%s", out)
	}
	pass := m[1]
	for _, want := range []string{"contact 1", "bikes 1", "work orders 1", "work order lines 1", "sales 1", "sale lines 1", "audit", "subject.json", "subject-zh.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, v := range s.aVals {
		if strings.Contains(out, v) {
			t.Errorf("the terminal shows %q", v)
		}
	}
	sealed, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	files, err := subject.Open(sealed, pass)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{subject.FileJSON, subject.FileHTMLEN, subject.FileHTMLZH} {
		data, ok := subject.Find(files, name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		text := string(data)
		for _, v := range s.aVals {
			want := v
			if name != subject.FileJSON {
				want = strings.ReplaceAll(want, "+", "&#43;")
			}
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks A's %q", name, v)
			}
		}
		for _, v := range append(s.bVals, s.b) {
			if strings.Contains(text, v) {
				t.Errorf("%s holds B's %q", name, v)
			}
		}
	}
	js, _ := subject.Find(files, subject.FileJSON)
	var d store.SubjectData
	if err := json.Unmarshal(js, &d); err != nil || d.CustomerID != s.a || d.Format != store.SubjectFormat {
		t.Fatalf("subject.json: %v", err)
	}
	wrong := "00000-00000-00000-00000-00000"
	if pass == wrong {
		wrong = "11111-11111-11111-11111-11111"
	}
	if _, err := subject.Open(sealed, wrong); !errors.Is(err, subject.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}

	// Refused: another export onto the same file, narrow roles, a manager of another shop.
	if code, _, errs := s.c.as("olga", "owner-password-1").run("subject", "export", "--as", "olga", s.a, "--to", to); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("overwrite: exit %d %s", code, errs)
	}
	for _, u := range []struct{ name, pw string }{{"sam", "sales-password-1"}, {"sue", "sales-password-1"}, {"mike", staffPass}, {"mark", staffPass}, {"aud", "sales-password-1"}, {"mo", staffPass}} {
		p := filepath.Join(dir, u.name+".age")
		code, out, errs := s.c.as(u.name, u.pw).run("subject", "export", "--as", u.name, s.a, "--to", p)
		if code != 1 || !strings.Contains(errs, "not allowed") || passLine.MatchString(out) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", u.name, code, out, errs)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s: a file was written", u.name)
		}
	}
	// The trail: the export with counts and no value, the refusals.
	trail := s.c.as("olga", "owner-password-1").ok("audit", "--as", "olga", "--json", "--action", "subject.export")
	var ok, denied int
	for _, line := range strings.Split(strings.TrimSpace(trail), "\n") {
		var r store.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		for _, v := range append(s.aVals, pass) {
			if strings.Contains(line, v) {
				t.Errorf("audit entry holds %q: %s", v, line)
			}
		}
		switch r.Outcome {
		case "ok":
			ok++
			if r.Target != s.a || !strings.Contains(r.Detail, "bikes=1") || !strings.Contains(r.Detail, "sale_lines=1") {
				t.Errorf("export entry: %+v", r)
			}
		case "denied":
			denied++
		}
	}
	if ok != 1 || denied != 6 {
		t.Fatalf("%d exports, %d denials in the trail:\n%s", ok, denied, trail)
	}
	// Usage errors exit 2.
	for _, args := range [][]string{{"subject"}, {"subject", "export", "--as", "mia", s.a}, {"subject", "export", "--as", "mia", "--to", to}, {"subject", "nope"}} {
		if code, _, _ := s.c.as("mia", staffPass).run(args...); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestCLIRecords(t *testing.T) {
	s := newSubjectShop(t)
	owner, mia := s.c.as("olga", "owner-password-1"), s.c.as("mia", staffPass)
	for _, tc := range []struct {
		format, lang string
		want         []string
	}{
		{"text", "en", []string{"Record of processing activities", "Spoke & Chain", "Rose South", "customers.email"}},
		{"text", "zh", []string{"个人信息处理活动记录", "电子邮箱"}},
		{"html", "zh", []string{`lang="zh-Hans"`, "个人信息处理活动记录", "Rose South"}},
		{"html", "en", []string{`lang="en"`, "Spoke &amp; Chain"}},
		{"json", "en", []string{`"format": "spoke.records/v1"`, `"customers.notes"`}},
	} {
		out := owner.ok("records", "--as", "olga", "--format", tc.format, "--lang", tc.lang)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s/%s lacks %q", tc.format, tc.lang, w)
			}
		}
		for _, f := range store.PersonalFields() {
			if !strings.Contains(out, f.Key()) {
				t.Errorf("%s/%s: %s missing", tc.format, tc.lang, f.Key())
			}
		}
		// A record of the processing, not of anyone's data.
		for _, v := range append(s.aVals, s.bVals...) {
			if strings.Contains(out, v) {
				t.Errorf("%s/%s holds customer data %q", tc.format, tc.lang, v)
			}
		}
	}
	// A manager's record speaks for their shop only.
	if out := mia.ok("records", "--as", "mia"); !strings.Contains(out, "Spoke & Chain") || strings.Contains(out, "Rose South") {
		t.Errorf("manager's record:\n%s", out)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "record.html")
	owner.ok("records", "--as", "olga", "--format", "html", "--to", file)
	if code, _, errs := owner.run("records", "--as", "olga", "--to", file); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("overwrite: %d %s", code, errs)
	}
	// The notice: one shop, both languages.
	for _, l := range []string{"en", "zh"} {
		p := filepath.Join(dir, "notice-"+l+".html")
		mia.ok("records", "notice", "--as", "mia", "--lang", l, "--contact", "privacy@spoke.example", "--to", p)
		b, _ := os.ReadFile(p)
		want := map[string]string{"en": "Privacy notice", "zh": "隐私声明"}[l]
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), "Spoke &amp; Chain") || !strings.Contains(string(b), "privacy@spoke.example") {
			t.Errorf("notice %s", l)
		}
		for _, v := range s.aVals {
			if strings.Contains(string(b), v) {
				t.Errorf("notice holds %q", v)
			}
		}
	}
	if code, _, errs := owner.run("records", "notice", "--as", "olga", "--to", filepath.Join(dir, "n.html")); code != 2 || !strings.Contains(errs, "--shop") {
		t.Errorf("owner of two shops without --shop: %d %s", code, errs)
	}
	owner.ok("records", "notice", "--as", "olga", "--shop", "Rose South", "--lang", "zh", "--to", filepath.Join(dir, "south.html"))
	// Refused: a manager for another shop, narrow roles; bad flags are usage errors.
	if code, _, errs := mia.run("records", "notice", "--as", "mia", "--shop", "Rose South", "--to", filepath.Join(dir, "x.html")); code != 1 || !strings.Contains(errs, "not allowed") {
		t.Errorf("manager for another shop: %d %s", code, errs)
	}
	for _, u := range []struct{ name, pw string }{{"sam", "sales-password-1"}, {"mike", staffPass}, {"mark", staffPass}, {"aud", "sales-password-1"}} {
		if code, _, errs := s.c.as(u.name, u.pw).run("records", "--as", u.name); code != 1 || !strings.Contains(errs, "not allowed") {
			t.Errorf("%s: %d %s", u.name, code, errs)
		}
	}
	for _, args := range [][]string{{"records", "--as", "olga", "--format", "pdf"}, {"records", "--as", "olga", "--lang", "fr"}, {"records", "notice", "--as", "olga"}, {"records", "--as", "olga", "extra"}} {
		if code, _, _ := owner.run(args...); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	trail := owner.ok("audit", "--as", "olga", "--action", "records.")
	if !strings.Contains(trail, "records.export") || !strings.Contains(trail, "records.notice") || !strings.Contains(trail, "denied") {
		t.Errorf("trail:\n%s", trail)
	}
	if !strings.Contains(trail, "shops=2") {
		t.Errorf("the owner's record entry counts no shops:\n%s", trail)
	}
}
