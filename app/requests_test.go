package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/compliance/deadline"
	"spoke/store"
)

func dateOf(t time.Time) deadline.Date { return deadline.DateOf(t, time.Local) }

const requestsStaffPW = "staff-password-1"

// newRequestsApp is newSmallApp for a Berlin shop (GDPR) whose store runs on the harness's
// clock, with a manager ("mia") and a salesperson ("sam") besides the owner.
func newRequestsApp(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF, Now: c.Now}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "Berlin", Region: "DE", Currency: "EUR", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	shops, _ := ss.Shops(ctx)
	for _, u := range []struct {
		name string
		role store.Role
	}{{"mia", store.RoleManager}, {"sam", store.RoleSales}} {
		if _, err := ss.AddUser(ctx, store.NewUser{Username: u.name, Password: requestsStaffPW, Roles: []store.Role{u.role}, ShopID: shops[0].ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ss.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	a := New(test.NewTempApp(t), Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF, Now: c.Now}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	return &harness{t: t, a: a, clock: c, dir: dir}
}

func requestsPane(t *testing.T, a *App) *RequestsPane {
	t.Helper()
	if a.Shell == nil || a.Shell.Privacy == nil || a.Shell.Privacy.Panes[paneRequests] == nil {
		t.Fatal("no Requests pane")
	}
	return a.Shell.Privacy.Panes[paneRequests].Content.(*RequestsPane)
}

// TestRequestsPane records a request for a customer through the form, sees it listed with
// its deadline, is refused an answer before the identity is checked and a refusal without a
// reason, verifies, and closes it.
func TestRequestsPane(t *testing.T) {
	h := newRequestsApp(t)
	a := h.a
	h.signInOwner()
	a.Shell.ShowRequests()
	a.Wait()
	if a.Shell.Current() != tabPrivacy {
		t.Fatalf("on %s", a.Shell.Current())
	}
	p := requestsPane(t, a)
	if !strings.Contains(screenText(a), "No requests recorded.") || !p.CloseBtn.Disabled() {
		t.Fatalf("empty desk: %q", screenText(a))
	}
	// The form: what, how, for whom.
	test.Tap(p.NewSave)
	if !strings.Contains(p.NewError.Text, "Choose what is asked") {
		t.Fatalf("saved without a type: %q", p.NewError.Text)
	}
	p.NewType.SetCode("access")
	p.NewChannel.SetCode("email")
	test.Type(p.Search, "Ada")
	a.Wait()
	if len(p.found) != 1 {
		t.Fatalf("picker found %d", len(p.found))
	}
	p.Results.Select(0)
	if p.subjectID == "" || !strings.Contains(p.Subject.Text, "Ada Lovelace") {
		t.Fatalf("subject %q", p.Subject.Text)
	}
	subject := p.subjectID
	test.Tap(p.NewSave)
	a.Wait()
	if p.NewError.Text != "Request recorded." || len(p.requests) != 1 {
		t.Fatalf("after saving: %q, %d requests", p.NewError.Text, len(p.requests))
	}
	r := p.requests[0]
	if r.SubjectID != subject || r.Jurisdiction != "gdpr" || r.Type != "access" || r.Channel != "email" {
		t.Fatalf("recorded %+v", r)
	}
	screen := screenText(a)
	for _, want := range []string{"Access (a copy of the data)", shortSubject(subject), r.Received, r.Due, "Received", "due in "} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the list lacks %q:\n%s", want, screen)
		}
	}
	if r.DaysLeft < 27 || r.DaysLeft > 31 || r.Overdue || r.DueSoon {
		t.Fatalf("due %s, %d days left", r.Due, r.DaysLeft)
	}
	if strings.Contains(screen, "Ada Lovelace") {
		t.Fatal("the subject's name stays on the desk after saving")
	}
	// The steps on the selected request.
	p.List.Select(0)
	if p.CloseBtn.Disabled() || p.VerifyBtn.Disabled() || p.ExtendBtn.Disabled() || !strings.Contains(p.Selected.Text, "GDPR") {
		t.Fatalf("selected: %q", p.Selected.Text)
	}
	p.Outcome.SetCode("fulfilled")
	test.Tap(p.CloseBtn)
	a.Wait()
	if !strings.Contains(p.Message.Text, "verify the person's identity before answering") {
		t.Fatalf("answered unverified: %q", p.Message.Text)
	}
	p.Outcome.SetCode("refused")
	test.Tap(p.CloseBtn)
	a.Wait()
	if !strings.Contains(p.Message.Text, "Reason: a refusal needs its reason") {
		t.Fatalf("refused without a reason: %q", p.Message.Text)
	}
	test.Tap(p.VerifyBtn)
	if !strings.Contains(p.Message.Text, "Choose how the identity was checked") {
		t.Fatalf("verified without a method: %q", p.Message.Text)
	}
	p.VerifyMethod.SetCode("id_document_seen")
	test.Tap(p.VerifyBtn)
	a.Wait()
	if p.requests[0].Status != "in_progress" || !p.VerifyBtn.Disabled() || !strings.Contains(p.Selected.Text, "ID document seen") {
		t.Fatalf("after verifying: %+v %q", p.requests[0], p.Selected.Text)
	}
	test.Tap(p.ConfirmBtn)
	a.Wait()
	p.Outcome.SetCode("fulfilled")
	test.Tap(p.CloseBtn)
	a.Wait()
	r = p.requests[0]
	if r.Open || r.Status != "completed" || r.Outcome != "fulfilled" || !p.CloseBtn.Disabled() || !p.ConfirmBtn.Disabled() {
		t.Fatalf("after closing: %+v", r)
	}
	if !strings.Contains(screenText(a), "Fulfilled") {
		t.Fatalf("the list does not say how it closed:\n%s", screenText(a))
	}
	recs, err := a.Session().AuditLog(context.Background(), store.AuditFilter{Action: "request.", Limit: 20})
	var steps []string
	for _, e := range recs {
		if e.Action != "request.list" {
			if e.Target != r.ID {
				t.Fatalf("%s names %s", e.Action, e.Target)
			}
			steps = append(steps, e.Action)
		}
	}
	if err != nil || strings.Join(steps, " ") != "request.close request.confirm request.verify request.new" {
		t.Fatalf("trail: %v %v", err, steps)
	}
	// Holidays.
	p.HolidayDay.SetText("2030-12-25")
	p.HolidayLabel.SetText("Christmas Day")
	test.Tap(p.HolidayAdd)
	a.Wait()
	if !strings.Contains(p.Holidays.Text, "2030-12-25  Christmas Day") {
		t.Fatalf("holidays: %q (%q)", p.Holidays.Text, p.HolidayNote.Text)
	}
}

// TestRequestsBanner: on the store's (injected) clock a request comes due and then overdue,
// and the banner above every screen says so to the owner and the manager, in both languages,
// with a button to the desk; a salesperson sees neither banner nor desk.
func TestRequestsBanner(t *testing.T) {
	h := newRequestsApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	if a.Shell.requestsBanner.Visible() {
		t.Fatal("a banner with no requests")
	}
	if _, err := a.Session().NewRequest(context.Background(), store.RequestInput{Type: "erasure", Channel: "counter"}); err != nil {
		t.Fatal(err)
	}
	a.checkRequests()
	a.Wait()
	if a.Shell.requestsBanner.Visible() {
		t.Fatalf("a month ahead, banner: %q", a.Shell.RequestsWarning.Text)
	}
	h.clock.Add(29 * 24 * time.Hour) // two or three days left (a month is 28 to 31 days)
	a.checkRequests()
	a.Wait()
	if !a.Shell.requestsBanner.Visible() || !strings.Contains(a.Shell.RequestsWarning.Text, "1 privacy request(s) due within 3 days") {
		t.Fatalf("due soon: %v %q", a.Shell.requestsBanner.Visible(), a.Shell.RequestsWarning.Text)
	}
	h.clock.Add(4 * 24 * time.Hour)
	a.checkRequests()
	a.Wait()
	if !strings.Contains(a.Shell.RequestsWarning.Text, "1 privacy request(s) OVERDUE") {
		t.Fatalf("overdue: %q", a.Shell.RequestsWarning.Text)
	}
	// On every screen: it sits above the tabs.
	a.Shell.Show(tabSettings)
	a.Wait()
	if !strings.Contains(screenText(a), "OVERDUE") {
		t.Fatal("the banner is not on the settings screen")
	}
	test.Tap(a.Shell.RequestsOpen)
	a.Wait()
	if a.Shell.Current() != tabPrivacy || a.Shell.Privacy.Tabs.Selected() != a.Shell.Privacy.Panes[paneRequests] {
		t.Fatalf("the button opened %s", a.Shell.Current())
	}
	if p := requestsPane(t, a); len(p.requests) != 1 || !p.requests[0].Overdue || !strings.Contains(screenText(a), "OVERDUE") {
		t.Fatalf("the desk: %+v", p.requests)
	}
	a.SetLanguage(langZH)
	a.Wait()
	if zh := a.Shell.RequestsWarning.Text; zh == "" || strings.Contains(zh, "OVERDUE") || !a.Shell.requestsBanner.Visible() {
		t.Fatalf("Chinese banner: %q", zh)
	}
	a.SetLanguage(langEN)
	a.Wait()
	// Answered: the banner goes after the change.
	p := requestsPane(t, a)
	p.List.Select(0)
	p.Outcome.SetCode("withdrawn")
	test.Tap(p.CloseBtn)
	a.Wait()
	if a.Shell.requestsBanner.Visible() {
		t.Fatalf("after closing: %q", a.Shell.RequestsWarning.Text)
	}
	if _, err := a.Session().NewRequest(context.Background(), store.RequestInput{Type: "access", Channel: "email", Received: dateOf(h.clock.Now().AddDate(0, -2, 0))}); err != nil {
		t.Fatal(err)
	}
	// The manager sees it at sign-in; the salesperson nothing.
	a.SwitchUser()
	a.Wait()
	h.signIn("mia", requestsStaffPW)
	if a.Shell == nil || !a.Shell.requestsBanner.Visible() || !strings.Contains(a.Shell.RequestsWarning.Text, "OVERDUE") {
		t.Fatal("the manager sees no banner")
	}
	a.SwitchUser()
	a.Wait()
	h.signIn("sam", requestsStaffPW)
	if a.Shell == nil || a.Shell.requestsBanner.Visible() || a.Shell.HasTab(tabPrivacy) {
		t.Fatal("the salesperson sees the banner or the desk")
	}
}

// TestRequestLabelsTranslated: every code the desk shows has its Chinese name, and every
// refusal of the rules it translates is in both files.
func TestRequestLabelsTranslated(t *testing.T) {
	loadTranslations()
	zh := catalogs[langZH]
	var codes []string
	for _, list := range [][]string{store.RequestTypes, store.RequestChannels, store.RequestStatuses, store.VerifyMethods,
		store.RequestOutcomes, store.RefusalReasons, {"gdpr", "ccpa", "pipl", "default"}} {
		codes = append(codes, list...)
	}
	for _, c := range codes {
		if l, ok := requestLabels[c]; !ok || zh[l] == "" {
			t.Errorf("code %s: label %q untranslated", c, l)
		}
	}
	for _, tbl := range []string{"privacy_requests", "shop_holidays"} {
		if zh[tableLabel(tbl)] == "" {
			t.Errorf("table %s untranslated", tbl)
		}
	}
	a := &App{lang: langZH}
	for _, err := range []error{store.ErrRequestClosed, store.ErrRequestKept} {
		if a.requestErrText(err) == err.Error() {
			t.Errorf("%q untranslated", err)
		}
	}
	for _, reason := range []string{"receipt was confirmed already", "the identity was verified already", "is in the future",
		"a refusal needs its reason", "only a refusal or a partial answer takes a reason", "the identity was verified",
		"verify the person's identity before answering", "is no customer of this shop: leave it empty for a person not found",
		"is not a customer id", "is more than 24 months ago", "give the day the person was told", "is a holiday already",
		"is not a holiday of this shop", "give the holiday's name, up to 80 characters on one line", "give a date from 2000 to 2199",
		"an open request is not deleted: close it first"} {
		if zh[reason] == "" {
			t.Errorf("reason %q untranslated", reason)
		}
	}
}
