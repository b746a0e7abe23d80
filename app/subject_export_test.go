package app

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/compliance/subject"
	"spoke/store"
)

const privacyPW = "staff-password-1"

// newPrivacyApp is a two-shop database (North, US; South, DE) with an owner, a manager and a
// salesperson of North, and one North customer with a bike and a job; the GUI on its sign-in
// screen. It returns the customer's id.
func newPrivacyApp(t *testing.T) (*harness, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "North", Region: "US", Currency: "USD", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	owner, err := st.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	shops, _ := owner.Shops(ctx)
	must(owner.AddShop(ctx, "South", "DE", "EUR"))
	must(owner.AddUser(ctx, store.NewUser{Username: "mia", Password: privacyPW, Roles: []store.Role{store.RoleManager}, ShopID: shops[0].ID}))
	must(owner.AddUser(ctx, store.NewUser{Username: "sam", Password: privacyPW, Roles: []store.Role{store.RoleSales}, ShopID: shops[0].ID}))
	sam, err := st.SignIn(ctx, "sam", privacyPW)
	if err != nil {
		t.Fatal(err)
	}
	id := must(sam.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "likes steel frames"}))
	bike := must(sam.AddBike(ctx, id, store.Bike{Make: "Surly", Model: "Straggler", Serial: "SUR123456"}))
	must(sam.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: id, BikeID: bike, Complaint: "rear hub grinds"}))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	fa := test.NewTempApp(t)
	c := &clock{t: time.Now()}
	a := New(fa, Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	return &harness{t: t, a: a, clock: c, dir: dir}, id
}

func (h *harness) openCard(id string) *CardView {
	h.t.Helper()
	h.a.Shell.Show(tabCustomers)
	h.a.Shell.Customers.Open(id, "")
	h.a.Wait()
	if h.a.Shell.Customers.Card == nil {
		h.t.Fatalf("no card: %q", screenText(h.a))
	}
	return h.a.Shell.Customers.Card
}

var guiPass = regexp.MustCompile(`^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$`)

func TestCustomerCardExportsPersonalData(t *testing.T) {
	h, id := newPrivacyApp(t)
	a := h.a
	h.signIn("mia", privacyPW)
	card := h.openCard(id)
	if card.Export == nil || !strings.Contains(screenText(a), "Export personal data…") {
		t.Fatal("no export button for the manager")
	}
	test.Tap(card.Export.Button)
	p := card.Export.Prompt
	if p == nil || !strings.Contains(p.Name.Text, id) || strings.Contains(p.Name.Text, "Ada") || !strings.HasSuffix(p.Name.Text, ".age") {
		t.Fatalf("default name %q", p.Name.Text)
	}
	dir := t.TempDir()
	p.Folder.SetText(dir)
	test.Tap(p.Save)
	a.Wait()
	shown := card.Export.Shown
	if shown == nil {
		t.Fatalf("no passphrase shown: %q / %q", p.Error.Text, screenText(a))
	}
	pass := shown.Passphrase.Text
	if !guiPass.MatchString(pass) || !strings.Contains(shown.Summary.Text, "bikes 1") || !strings.Contains(screenText(a), pass) {
		t.Fatalf("passphrase %q, summary %q", pass, shown.Summary.Text)
	}
	test.Tap(shown.Copy)
	if got := a.FyneApp.Clipboard().Content(); got != pass {
		t.Fatalf("clipboard %q", got)
	}
	path := filepath.Join(dir, p.Name.Text)
	sealed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := subject.Open(sealed, pass)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := subject.Find(files, subject.FileJSON)
	for _, v := range []string{"Ada Lovelace", "ada@example.com", "likes steel frames", "SUR123456", "rear hub grinds"} {
		if !strings.Contains(string(js), v) {
			t.Errorf("export lacks %q", v)
		}
	}
	shown.Close()
	if shown.Passphrase.Text != "" || strings.Contains(screenText(a), pass) {
		t.Fatal("the passphrase stays on screen after Done")
	}
	// A second export to the same file is refused in the prompt, and the first stays.
	test.Tap(card.Export.Button)
	p2 := card.Export.Prompt
	p2.Folder.SetText(dir)
	test.Tap(p2.Save)
	a.Wait()
	if !strings.Contains(p2.Error.Text, "already exists") {
		t.Fatalf("overwrite: %q", p2.Error.Text)
	}
	if after, _ := os.ReadFile(path); string(after) != string(sealed) {
		t.Fatal("the export was overwritten")
	}
	for name, bad := range map[string][2]string{"a path as name": {dir, "../x.age"}, "no name": {dir, " "}, "no folder": {filepath.Join(dir, "missing"), "x.age"}} {
		p2.Folder.SetText(bad[0])
		p2.Name.SetText(bad[1])
		test.Tap(p2.Save)
		a.Wait()
		if p2.Error.Text == "" {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCustomerCardHasNoExportForSales(t *testing.T) {
	h, id := newPrivacyApp(t)
	h.signIn("sam", privacyPW)
	card := h.openCard(id)
	if card.Export != nil || strings.Contains(screenText(h.a), "Export personal data") {
		t.Fatal("a salesperson is offered the data-subject export")
	}
	if h.a.Shell.Privacy != nil {
		t.Fatal("a salesperson sees the privacy desk")
	}
}

func recordsPane(t *testing.T, a *App) *RecordsPane {
	t.Helper()
	if a.Shell.Privacy == nil {
		t.Fatal("no privacy desk")
	}
	a.Shell.Show(tabPrivacy)
	it := a.Shell.Privacy.Panes["records"]
	if it == nil {
		t.Fatal("no records pane")
	}
	a.Shell.Privacy.Tabs.Select(it)
	return it.Content.(*RecordsPane)
}

func TestPrivacyRecordsPane(t *testing.T) {
	h, _ := newPrivacyApp(t)
	a := h.a
	h.signInOwner()
	p := recordsPane(t, a)
	if !strings.Contains(p.Summary.Text, "2 shop(s)") || !strings.Contains(p.Details.Text, "South (DE)") || !strings.Contains(p.Details.Text, "GDPR") {
		t.Fatalf("summary %q / %q", p.Summary.Text, p.Details.Text)
	}
	dir := t.TempDir()
	// The record, in Chinese, as HTML.
	p.Lang.SetSelected(languageNames[langZH])
	test.Tap(p.SaveRecord)
	p.Prompt.Folder.SetText(dir)
	test.Tap(p.Prompt.Save)
	a.Wait()
	b, err := os.ReadFile(filepath.Join(dir, p.Prompt.Name.Text))
	if err != nil {
		t.Fatalf("%v (%q)", err, p.Prompt.Error.Text)
	}
	for _, want := range []string{`lang="zh-Hans"`, "个人信息处理活动记录", "North", "South", "customers.email"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("record lacks %q", want)
		}
	}
	if strings.Contains(string(b), "Ada Lovelace") {
		t.Error("the record holds a customer's name")
	}
	// The notice for South, in English, with a contact.
	p.Lang.SetSelected(languageNames[langEN])
	p.Shop.SetSelected("South")
	p.Contact.SetText("privacy@south.example")
	test.Tap(p.SaveNotice)
	p.Prompt.Folder.SetText(dir)
	test.Tap(p.Prompt.Save)
	a.Wait()
	b, err = os.ReadFile(filepath.Join(dir, p.Prompt.Name.Text))
	if err != nil {
		t.Fatalf("%v (%q)", err, p.Prompt.Error.Text)
	}
	for _, want := range []string{`lang="en"`, "Privacy notice · South", "privacy@south.example", "one month"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	if !strings.Contains(p.Info.Text, "Saved to") {
		t.Errorf("info %q", p.Info.Text)
	}
	// The store audited both.
	recs, err := a.Session().AuditLog(context.Background(), store.AuditFilter{Action: "records."})
	if err != nil || len(recs) != 2 {
		t.Fatalf("audit: %v %d", err, len(recs))
	}
}

func TestPrivacyRecordsPaneManagerAndChinese(t *testing.T) {
	h, _ := newPrivacyApp(t)
	a := h.a
	h.signIn("mia", privacyPW)
	a.SetLanguage(langZH)
	a.Wait()
	p := recordsPane(t, a)
	if !strings.Contains(p.Summary.Text, "1 家门店") || strings.Contains(p.Details.Text, "South") || len(p.Shop.Options) != 1 || p.Shop.Selected != "North" {
		t.Fatalf("manager: %q / %q / %v", p.Summary.Text, p.Details.Text, p.Shop.Options)
	}
	for _, want := range []string{"保存记录…", "保存隐私声明…", "记录与声明", "处理目的"} {
		if !strings.Contains(screenText(a), want) {
			t.Errorf("Chinese pane lacks %q", want)
		}
	}
	if p.Lang.Selected != languageNames[langZH] {
		t.Errorf("document language %q, want the GUI's", p.Lang.Selected)
	}
	dir := t.TempDir()
	test.Tap(p.SaveNotice)
	p.Prompt.Folder.SetText(dir)
	test.Tap(p.Prompt.Save)
	a.Wait()
	b, err := os.ReadFile(filepath.Join(dir, p.Prompt.Name.Text))
	if err != nil || !strings.Contains(string(b), "隐私声明 · North") {
		t.Fatalf("notice: %v (%q)", err, p.Prompt.Error.Text)
	}
}

// TestExportLabelsTranslated: the words picked at run time for the export's counts have
// Chinese entries.
func TestExportLabelsTranslated(t *testing.T) {
	loadTranslations()
	for _, n := range (&store.SubjectData{}).Counts() {
		if l := countLabel(n.Name); catalogs[langZH][l] == "" {
			t.Errorf("%q (%s) untranslated", l, n.Name)
		}
	}
}
