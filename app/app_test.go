package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/assets"
	"spoke/store"
	"spoke/store/backup"
)

func TestTranslationsAreComplete(t *testing.T) {
	loadTranslations()
	en, zh := catalogs[langEN], catalogs[langZH]
	for k := range en {
		if zh[k] == "" {
			t.Errorf("no Chinese for %q", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("Chinese key missing from en.json: %q", k)
		}
	}
	// Every literal the code translates is in the files.
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`\bT\("((?:[^"\\]|\\.)*)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			var key string
			if err := json.Unmarshal([]byte(`"`+m[1]+`"`), &key); err != nil {
				t.Fatal(err)
			}
			if _, ok := en[key]; !ok {
				t.Errorf("%s: %q is not in en.json", f, key)
			}
		}
	}
	// Labels picked at run time.
	var labels []string
	for _, r := range store.Roles {
		labels = append(labels, roleLabel(r))
	}
	for _, s := range store.Statuses {
		labels = append(labels, statusLabel(s))
	}
	for _, m := range store.PaymentMethods {
		labels = append(labels, paymentLabel(m))
	}
	for _, k := range []string{backup.Full, backup.Incremental, backup.Differential} {
		labels = append(labels, kindLabel(k))
	}
	for _, st := range []string{"active", "revoked", "unconfirmed"} {
		labels = append(labels, deviceStatusLabel(st))
	}
	for _, st := range anchorStatuses {
		labels = append(labels, anchorLabel(st))
	}
	for _, tbl := range []string{"customers", "bikes", "work_orders", "work_order_lines", "sales", "sale_lines", "shops", "users"} {
		labels = append(labels, tableLabel(tbl))
	}
	for _, l := range fieldLabels {
		labels = append(labels, l)
	}
	labels = append(labels, fieldLabel("lines[0]"), fieldLabel("schedule"), fieldLabel("updated_at"),
		"needs a folder, positive intervals and at least one full kept")
	for _, l := range labels {
		if zh[l] == "" {
			t.Errorf("label %q untranslated", l)
		}
	}
	if _, err := assets.Translations.ReadFile("translations/zh-Hans.json"); err != nil {
		t.Fatal(err)
	}
}

func TestSignInAndFailedSignInLockOut(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	sales := h.staff("sales", "")
	for i := 1; i < store.MaxFailedSignIns; i++ {
		h.signIn(sales.Username, "wrong password 123")
		if a.Shell != nil || !strings.Contains(a.SignIn.Error.Text, "Wrong username or password") {
			t.Fatalf("attempt %d: %q", i, a.SignIn.Error.Text)
		}
		if a.SignIn.Password.Text != "" {
			t.Fatal("password left in the field after a failed sign-in")
		}
	}
	h.signIn(sales.Username, "wrong password 123")
	if !strings.Contains(a.SignIn.Error.Text, "locked") {
		t.Fatalf("after %d failures: %q", store.MaxFailedSignIns, a.SignIn.Error.Text)
	}
	// Even the right password is refused while locked out.
	h.signIn(sales.Username, sales.Password)
	if a.Shell != nil || !strings.Contains(a.SignIn.Error.Text, "locked") {
		t.Fatalf("locked account signed in: %q", a.SignIn.Error.Text)
	}
	// Another user signs in fine, by tapping the demo list.
	mgr := h.staff("manager", "")
	for i, s := range h.chain.Staff {
		if s.Username == mgr.Username {
			a.SignIn.DemoStaff.Select(i)
		}
	}
	a.Wait()
	if a.Shell == nil || !strings.Contains(a.Shell.Who.Text, mgr.Username) {
		t.Fatalf("manager not signed in: %q", screenText(a))
	}
	// The owner clears the lock-out with a password reset.
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signInAs("owner", "")
	a.Shell.Show(tabUsers)
	a.Wait()
	u := a.Shell.Users
	if !u.SelectUser(sales.Username) {
		t.Fatalf("no %s in %v", sales.Username, u.Usernames())
	}
	if !strings.Contains(screenText(a), "locked out") {
		t.Fatal("users list does not show the lock-out")
	}
	test.Type(u.NewPass, "a brand new password")
	test.Tap(u.ResetPass)
	a.Wait()
	if !strings.Contains(u.Info.Text, "Password reset") {
		t.Fatalf("reset: %q %q", u.Info.Text, u.Error.Text)
	}
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signIn(sales.Username, "a brand new password")
	if a.Shell == nil {
		t.Fatalf("reset password does not work: %q", a.SignIn.Error.Text)
	}
}

func TestSearchNarrowsAsYouType(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("owner", "")
	cs := a.Shell.Customers
	if n := len(cs.results); n != 200 {
		t.Fatalf("empty search lists %d customers, want the first 200", n)
	}
	counts := []int{}
	var last []string
	for _, r := range "lil" {
		test.Type(cs.Search, string(r))
		a.Wait()
		counts = append(counts, len(cs.results))
		last = cs.ResultNames()
	}
	if counts[0] < counts[1] || counts[1] < counts[2] || counts[2] == 0 {
		t.Fatalf("results do not narrow: %v", counts)
	}
	for _, n := range last {
		if !strings.Contains(strings.ToLower(n), "li") {
			t.Fatalf("%q does not match", n)
		}
	}
	if !strings.Contains(screenText(a), last[0]) {
		t.Fatal("first result not on screen")
	}
	// Chinese names are searchable too.
	if _, err := a.Session().CreateCustomer(context.Background(), store.CustomerInput{Name: "王小明", ShopID: a.shops[0].ID}); err != nil {
		t.Fatal(err)
	}
	cs.Search.SetText("")
	test.Type(cs.Search, "王")
	a.Wait()
	if len(cs.results) == 0 || !strings.Contains(cs.results[0].Name, "王") {
		t.Fatalf("Chinese search: %v", cs.ResultNames())
	}
	// Ctrl+F puts the cursor in the search field from anywhere.
	a.Shell.Show(tabBoard)
	a.W.Canvas().(fyne.Shortcutable).TypedShortcut(scFind)
	if a.Shell.Current() != tabCustomers || a.W.Canvas().Focused() != cs.Search {
		t.Fatal("Ctrl+F did not focus the search")
	}
}

func TestCreateAndEditCustomerWithValidation(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("sales", "shop1")
	cs := a.Shell.Customers
	a.W.Canvas().(fyne.Shortcutable).TypedShortcut(scNewCustomer)
	f := cs.Form
	if f == nil {
		t.Fatal("Ctrl+N did not open the form")
	}
	test.Tap(f.Save)
	a.Wait()
	if f.FieldErrors["name"].Text != "is required" || !f.FieldErrors["name"].Visible() {
		t.Fatalf("name error %q", f.FieldErrors["name"].Text)
	}
	test.Type(f.Name, "Zoë Testperson")
	test.Type(f.Email, "zoe@@example")
	test.Type(f.Phone, "12")
	test.Type(f.Birthday, "1990-13-45")
	test.Tap(f.Save)
	a.Wait()
	for field, want := range map[string]string{"email": "e-mail", "phone": "phone number", "birthday": "date"} {
		if l := f.FieldErrors[field]; !strings.Contains(l.Text, want) || !l.Visible() {
			t.Errorf("%s error %q", field, l.Text)
		}
	}
	if f.FieldErrors["name"].Visible() {
		t.Error("name still marked wrong")
	}
	if cs.Card != nil {
		t.Fatal("invalid customer saved")
	}
	f.Email.SetText("zoe@example.com")
	f.Phone.SetText("(503) 555-0199")
	f.Birthday.SetText("1990-03-04")
	test.Tap(f.Save)
	a.Wait()
	if cs.Card == nil {
		t.Fatalf("not saved: %q", screenText(a))
	}
	// Shown as people in the shop's country write it; stored in E.164.
	if got := cs.Card.Details["phone"].Text; got != "(503) 555-0199" {
		t.Fatalf("phone shown as %q", got)
	}
	if found, err := a.ss.FindCustomers(context.Background(), store.ByPhone, "+15035550199"); err != nil || len(found) != 1 || found[0].Phone != "+15035550199" {
		t.Fatalf("phone not stored in E.164: %v %v", found, err)
	}
	// Edit: a bad phone is reported on the phone field and changes nothing.
	test.Tap(cs.Card.Edit)
	f = cs.Form
	f.Phone.SetText("not a phone")
	test.Tap(f.Save)
	a.Wait()
	if !f.FieldErrors["phone"].Visible() || f.FieldErrors["email"].Visible() {
		t.Fatalf("errors: phone %q email %q", f.FieldErrors["phone"].Text, f.FieldErrors["email"].Text)
	}
	f.Phone.SetText("+49 30 1234567")
	f.Notes.SetText("prefers e-mail")
	test.Tap(f.Save)
	a.Wait()
	if cs.Card == nil || cs.Card.Details["phone"].Text != "+49 30 1234567" || cs.Card.Details["notes"].Text != "prefers e-mail" {
		t.Fatalf("edit not shown: %q", screenText(a))
	}
	// The new customer is found by search.
	test.Tap(cs.Card.Back)
	test.Type(cs.Search, "Zoë Test")
	a.Wait()
	if !slices.Contains(cs.ResultNames(), "Zoë Testperson") {
		t.Fatalf("search: %v", cs.ResultNames())
	}
}

// otherCustomer finds, through the owner's session, a customer of another salesperson of
// the same shop as the given sales user.
func otherCustomer(t *testing.T, h *harness, sales string) store.CustomerSummary {
	t.Helper()
	st := h.a.Store()
	ss, err := st.SignIn(context.Background(), h.staff("owner", "").Username, h.staff("owner", "").Password)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.SignOut(context.Background())
	all, err := ss.Search(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	me, err := ss.StaffByUsername(context.Background(), sales)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(x, y store.CustomerSummary) int { return strings.Compare(x.ID, y.ID) })
	for _, c := range all {
		if c.ShopID == me.ShopID && c.OwnerID != me.ID && c.Owner != "" && c.Phone != "" && strings.HasSuffix(c.Owner, ".sales") {
			return c
		}
	}
	t.Fatal("no colleague's customer")
	return store.CustomerSummary{}
}

func TestBreakGlassNeedsAReasonAndShowsABanner(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	me := h.signInAs("sales", "shop1")
	other := otherCustomer(t, h, me.Username)
	cs := a.Shell.Customers
	test.Type(cs.OtherValue, other.Phone)
	test.Tap(cs.OtherFind)
	a.Wait()
	if !cs.OtherOpen.Visible() || !strings.Contains(cs.OtherResult.Text, other.Owner) {
		t.Fatalf("lookup: %q", cs.OtherResult.Text)
	}
	if strings.Contains(screenText(a), other.Name) {
		t.Fatal("the lookup showed the customer's name before a reason")
	}
	test.Tap(cs.OtherOpen)
	bg := cs.BreakGlass
	if bg == nil {
		t.Fatal("no reason asked")
	}
	test.Tap(bg.Open)
	a.Wait()
	if cs.Card != nil || !strings.Contains(bg.Error.Text, "reason") {
		t.Fatalf("opened without a reason: %q", bg.Error.Text)
	}
	test.Type(bg.Reason, "abc")
	test.Tap(bg.Open)
	a.Wait()
	if cs.Card != nil {
		t.Fatal("opened with a 3-letter reason")
	}
	test.Type(bg.Reason, " customer at the counter asks for their bike")
	test.Tap(bg.Open)
	a.Wait()
	if cs.Card == nil || cs.Card.Banner == nil || !cs.Card.Banner.Visible() || !strings.Contains(cs.Card.Banner.Text, "BREAK-GLASS") {
		t.Fatalf("no banner: %q", screenText(a))
	}
	if _, ok := cs.Card.Details["email"]; ok || cs.Card.Customer.Email != "" {
		t.Fatal("break-glass view shows the e-mail")
	}
	if !strings.Contains(screenText(a), other.Name) {
		t.Fatal("name not shown after break-glass")
	}
	// The read is in the trail, with the reason.
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signInAs("owner", "")
	a.Shell.Show(tabAudit)
	au := a.Shell.Audit
	test.Type(au.Action, "customer.read.break")
	test.Tap(au.Apply)
	a.Wait()
	if len(au.records) == 0 || !strings.Contains(au.records[0].Reason, "customer at the counter") || !strings.Contains(screenText(a), "reason: abc customer") {
		t.Fatalf("audit: %v %+v\n%s", au.Actions(), au.records, screenText(a))
	}
}

// TestSalesUserSeesOnlyOwnCustomers walks a salesperson's screens and checks that no other
// salesperson's customer appears anywhere.
func TestSalesUserSeesOnlyOwnCustomers(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	me := h.signInAs("sales", "shop1")
	other := otherCustomer(t, h, me.Username)
	ss := a.Session()
	own, err := ss.Search(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range own {
		if c.Owner != me.Username {
			t.Fatalf("index holds %s's customer", c.Owner)
		}
	}
	cs := a.Shell.Customers
	screens := []string{screenText(a)}
	for _, q := range []string{other.Name, other.Phone, strings.Fields(other.Name)[0]} {
		cs.Search.SetText(q)
		a.Wait()
		for _, r := range cs.results {
			if r.Owner != me.Username {
				t.Fatalf("search %q lists %s's customer", q, r.Owner)
			}
		}
	}
	cs.Search.SetText("")
	a.Wait()
	screens = append(screens, screenText(a))
	a.Shell.Show(tabBoard)
	a.Wait()
	screens = append(screens, screenText(a))
	for _, c := range a.Shell.Board.Cards {
		if !slices.ContainsFunc(own, func(o store.CustomerSummary) bool { return o.ID == c.Item.CustomerID }) {
			t.Fatal("board shows a job of another salesperson's customer")
		}
	}
	a.Shell.Show(tabSales)
	a.Wait()
	screens = append(screens, screenText(a))
	for _, n := range a.Shell.Sales.RecentNames() {
		if n != "" && !slices.ContainsFunc(own, func(o store.CustomerSummary) bool { return o.Name == n }) {
			t.Fatalf("recent sales show %q", n)
		}
	}
	a.Shell.Show(tabDashboard)
	a.Wait()
	screens = append(screens, screenText(a))
	for _, s := range screens {
		if strings.Contains(s, other.Name) && !slices.ContainsFunc(own, func(o store.CustomerSummary) bool { return o.Name == other.Name }) {
			t.Fatalf("%s's customer on screen", other.Owner)
		}
	}
	if a.Shell.HasTab(tabUsers) || a.Shell.HasTab(tabAudit) {
		t.Fatal("sales user got admin tabs")
	}
}

func TestWorkOrderCreatedAndMovedAcrossTheBoard(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("manager", "shop1")
	cs := a.Shell.Customers
	// A customer with a bike, from the search list.
	var card *CardView
	for _, r := range cs.results {
		cs.Open(r.ID, "")
		a.Wait()
		if cs.Card != nil && len(cs.Card.NewJobs) > 0 {
			card = cs.Card
			break
		}
	}
	if card == nil {
		t.Fatal("no customer with a bike")
	}
	name := card.Customer.Name
	test.Tap(card.NewJobs[0]) // one click from the bike
	b := a.Shell.Board
	if a.Shell.Current() != tabBoard || b.NewForm == nil || b.NewForm.card == nil {
		t.Fatal("new work order form not preset")
	}
	f := b.NewForm
	if f.Bike.Selected == "" || strings.HasPrefix(f.Bike.Selected, "No particular") {
		t.Fatalf("bike not preselected: %q", f.Bike.Selected)
	}
	test.Tap(f.Create)
	if !strings.Contains(f.Error.Text, "Complaint") {
		t.Fatalf("empty complaint accepted: %q", f.Error.Text)
	}
	test.Type(f.Complaint, "rear brake rubs")
	f.Mechanic.SetSelectedIndex(1)
	test.Tap(f.Create)
	a.Wait()
	job := b.Job
	if job == nil || job.WO.Status != store.StatusIntake || job.WO.Mechanic == "" {
		t.Fatalf("job not opened: %q", screenText(a))
	}
	woID := job.WO.ID
	// Lines with live totals.
	test.Type(job.Desc, "Brake pads")
	job.Kind.SetSelected("Part")
	job.Qty.SetText("2")
	test.Type(job.Price, "12.50")
	if !strings.Contains(job.LineTotal.Text, "25.00") {
		t.Fatalf("live line total %q", job.LineTotal.Text)
	}
	test.Tap(job.AddLine)
	a.Wait()
	job = b.Job
	if job.WO.Total != 2500 || !strings.Contains(job.Total.Text, "25.00") {
		t.Fatalf("total %d %q", job.WO.Total, job.Total.Text)
	}
	// Move it along the board with the cards' arrows.
	test.Tap(job.Back)
	a.Wait()
	if b.ColumnOf(woID) != store.StatusIntake {
		t.Fatalf("new job in column %q", b.ColumnOf(woID))
	}
	if !strings.Contains(screenText(a), name) {
		t.Fatal("job's customer not on the board")
	}
	for _, want := range []store.Status{store.StatusEstimate, store.StatusApproved, store.StatusInProgress, store.StatusWaitingParts} {
		test.Tap(b.Cards[woID].Next)
		a.Wait()
		if got := b.ColumnOf(woID); got != want {
			t.Fatalf("moved to %q, want %q", got, want)
		}
	}
	// From the job view: back to in progress, then ready and collected.
	b.OpenJob(b.Cards[woID].Item.CustomerID, woID)
	a.Wait()
	if b.Job.Moves[store.StatusReady] != nil {
		t.Fatal("waiting for parts may not jump to ready")
	}
	test.Tap(b.Job.Moves[store.StatusInProgress])
	a.Wait()
	test.Tap(b.Job.Moves[store.StatusReady])
	a.Wait()
	test.Tap(b.Job.Moves[store.StatusCollected])
	a.Wait()
	if b.Job.WO.Status != store.StatusCollected || len(b.Job.Moves) != 0 {
		t.Fatalf("status %q", b.Job.WO.Status)
	}
	test.Tap(b.Job.Back)
	a.Wait()
	if b.ColumnOf(woID) != store.StatusCollected {
		t.Fatalf("collected job in %q", b.ColumnOf(woID))
	}
}

func TestMechanicSeesAssignedJobsWithNameAndPhoneOnly(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	me := h.signInAs("mechanic", "shop1")
	if a.Shell.Current() != tabBoard || a.Shell.HasTab(tabSales) || a.Shell.HasTab(tabDashboard) {
		t.Fatalf("mechanic tabs: current %q", a.Shell.Current())
	}
	b := a.Shell.Board
	if len(b.Cards) == 0 {
		t.Fatal("no jobs on the mechanic's board")
	}
	var open *JobCard
	for _, c := range b.Cards {
		if c.Item.Mechanic != me.Username {
			t.Fatalf("job of %q on %s's board", c.Item.Mechanic, me.Username)
		}
		if c.Status != store.StatusCollected && c.Item.CustomerName != "" {
			open = c
		}
	}
	if open == nil || b.NewBtn.Visible() {
		t.Fatal("no open job, or mechanics may open jobs")
	}
	test.Tap(open.Open)
	a.Wait()
	if b.Job == nil {
		t.Fatalf("job not opened: %q", b.Error.Text)
	}
	cs := a.Shell.Customers
	cs.Open(open.Item.CustomerID, "")
	a.Wait()
	if cs.Card == nil || !cs.Card.Customer.Minimal || cs.Card.Customer.Email != "" || cs.Card.Customer.Address != "" {
		t.Fatal("mechanic sees more than name and phone")
	}
	if cs.Card.Edit.Visible() || cs.Card.NewSale.Visible() {
		t.Fatal("mechanic may edit or sell")
	}
}

func TestIdleLockHidesPersonalData(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	me := h.signInAs("owner", "")
	cs := a.Shell.Customers
	first := cs.results[0]
	cs.Open(first.ID, "")
	a.Wait()
	if !strings.Contains(screenText(a), first.Name) {
		t.Fatal("card not shown")
	}
	h.clock.Add(4 * time.Minute)
	a.CheckIdle()
	if a.Shell == nil {
		t.Fatal("locked too early")
	}
	test.Type(cs.Card.Back, "") // no-op: activity comes from taps and keys
	test.Tap(cs.Card.Back)      // activity resets the timer
	h.clock.Add(4 * time.Minute)
	a.CheckIdle()
	if a.Shell == nil {
		t.Fatal("activity did not reset the idle timer")
	}
	h.clock.Add(2 * time.Minute)
	a.CheckIdle()
	a.Wait()
	if a.Shell != nil || a.SignIn == nil || a.Session() != nil {
		t.Fatal("not locked after 6 idle minutes")
	}
	text := screenText(a)
	if strings.Contains(text, first.Name) || strings.Contains(text, first.Phone) {
		t.Fatal("personal data still on screen after the idle lock")
	}
	if !strings.Contains(a.SignIn.Notice.Text, "Locked after 5 minutes") || a.SignIn.User.Selected != me.Username {
		t.Fatalf("lock notice %q user %q", a.SignIn.Notice.Text, a.SignIn.User.Selected)
	}
	// The configured timeout applies.
	h.signIn(me.Username, me.Password)
	a.Shell.Show(tabSettings)
	a.Shell.Settings.Idle.SetSelected("1 minutes")
	h.clock.Add(61 * time.Second)
	a.CheckIdle()
	a.Wait()
	if a.Shell != nil {
		t.Fatal("1-minute idle setting ignored")
	}
}

func TestFastUserSwitchKeepsNothingOnScreen(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("owner", "")
	cs := a.Shell.Customers
	first := cs.results[0]
	cs.Open(first.ID, "")
	a.Wait()
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	if a.Session() != nil || a.SignIn.User.Selected != "" || strings.Contains(screenText(a), first.Name) {
		t.Fatal("previous user's data or name kept after the switch")
	}
	h.signInAs("mechanic", "shop1")
	if strings.Contains(screenText(a), first.Name) && first.Name != "" {
		for _, c := range a.Shell.Board.Cards {
			if c.Item.CustomerName == first.Name {
				return // the mechanic's own job for the same customer
			}
		}
		t.Fatal("owner's customer on the mechanic's screen")
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("owner", "")
	a.Shell.Show(tabBoard)
	a.Wait()
	if !strings.Contains(screenText(a), "Work orders") {
		t.Fatal("English tab missing")
	}
	a.Shell.Language.SetSelected("简体中文")
	a.Wait()
	text := screenText(a)
	for _, want := range []string{"客户", "工单", "接车", "维修中", "锁定"} {
		if !strings.Contains(text, want) {
			t.Errorf("Chinese screen lacks %q", want)
		}
	}
	if strings.Contains(text, "Work orders") || a.Shell.Current() != tabBoard {
		t.Fatal("still English, or left the board")
	}
	// Chinese customer names render with the embedded CJK font: a glyph is drawn, not a box.
	if a.FyneApp.Settings().Theme().Font(fyne.TextStyle{}) != cjkFont {
		t.Fatal("theme does not use the CJK font")
	}
	a.Shell.Language.SetSelected("English")
	a.Wait()
	if !strings.Contains(screenText(a), "Work orders") {
		t.Fatal("did not switch back")
	}
	// The choice is remembered.
	a.SetLanguage(langZH)
	if a.FyneApp.Preferences().String(prefLang) != langZH {
		t.Fatal("language not saved")
	}
}

func TestRecordSale(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("sales", "shop1")
	cs := a.Shell.Customers
	cust := cs.results[0]
	cs.Open(cust.ID, "")
	a.Wait()
	test.Tap(cs.Card.NewSale)
	s := a.Shell.Sales
	if s.customerID != cust.ID {
		t.Fatal("sale not for the open customer")
	}
	test.Type(s.Lines[0].Desc, "Chain lube")
	test.Type(s.Lines[0].Price, "9.99")
	l := s.addLine()
	test.Type(l.Desc, "Bottle cage")
	l.Qty.SetText("2")
	test.Type(l.Price, "15")
	if !strings.Contains(s.Total.Text, "39.99") {
		t.Fatalf("live total %q", s.Total.Text)
	}
	test.Tap(s.Record)
	a.Wait()
	if !strings.Contains(s.Done.Text, "39.99") || len(s.recent) == 0 || s.recent[0].CustomerID != cust.ID || s.recent[0].Total != 3999 {
		t.Fatalf("sale: %q %q", s.Done.Text, s.Error.Text)
	}
	// A line without a price is refused with the line named.
	test.Type(s.Lines[0].Desc, "Mystery")
	s.Lines[0].Price.SetText("abc")
	test.Tap(s.Record)
	if !strings.Contains(s.Error.Text, "Line 1") {
		t.Fatalf("error %q", s.Error.Text)
	}
}

func TestMarketingSeesOnlySuppressedAggregates(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("marketing", "")
	for _, tab := range []string{tabCustomers, tabBoard, tabSales, tabUsers, tabAudit, tabImport} {
		if a.Shell.HasTab(tab) {
			t.Fatalf("marketing has the %s tab", tab)
		}
	}
	d := a.Shell.Dashboard
	a.Wait()
	if a.Shell.Current() != tabDashboard || d.Stats == nil {
		t.Fatal("no dashboard")
	}
	suppressed := 0
	for _, b := range append(append([]Bar{}, d.NewCustomers.Bars...), d.WorkOrders.Bars...) {
		if b.Suppressed {
			suppressed++
			if b.Value != -1 {
				t.Fatal("suppressed bar carries a value")
			}
		} else if b.Value > 0 && b.Value < store.MinCell {
			t.Fatalf("group of %d shown to marketing", b.Value)
		}
	}
	if suppressed == 0 || !strings.Contains(screenText(a), "<5") {
		t.Fatal("no suppressed group drawn")
	}
}

func TestUsersAdministration(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("owner", "")
	a.Shell.Show(tabUsers)
	a.Wait()
	u := a.Shell.Users
	test.Type(u.Username, "new.sales")
	test.Type(u.DisplayName, "新 销售")
	test.Type(u.Password, "short")
	test.Tap(u.Add)
	a.Wait()
	if !strings.Contains(u.Error.Text, "Password") {
		t.Fatalf("short password accepted: %q", u.Error.Text)
	}
	u.Password.SetText("long enough password")
	test.Tap(u.Add)
	a.Wait()
	if !slices.Contains(u.Usernames(), "new.sales") {
		t.Fatalf("not added: %q", u.Error.Text)
	}
	u.SelectUser("new.sales")
	u.Role.SetSelected("Mechanic")
	test.Tap(u.ChangeRole)
	a.Wait()
	i := slices.Index(u.Usernames(), "new.sales")
	if !slices.Equal(u.users[i].Roles, []store.Role{store.RoleMechanic}) {
		t.Fatalf("roles %v (%q)", u.users[i].Roles, u.Error.Text)
	}
	test.Tap(u.Toggle)
	a.Wait()
	if u.users[i].Active {
		t.Fatal("not deactivated")
	}
	// A deactivated account leaves the sign-in picker.
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	if slices.Contains(a.SignIn.User.Options, "new.sales") {
		t.Fatal("deactivated account offered at sign-in")
	}
}

func TestAuditTrailFiltersAndVerify(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("auditor", "")
	if a.Shell.Current() != tabAudit || a.Shell.HasTab(tabCustomers) {
		t.Fatal("auditor's first screen is not the trail")
	}
	au := a.Shell.Audit
	a.Wait()
	au.Since.SetSelected("All time")
	a.Wait()
	test.Type(au.Action, "auth.")
	test.Tap(au.Apply)
	a.Wait()
	if len(au.records) == 0 {
		t.Fatal("no sign-ins listed")
	}
	for _, act := range au.Actions() {
		if !strings.HasPrefix(act, "auth.") {
			t.Fatalf("filter let %q through", act)
		}
	}
	test.Tap(au.Verify)
	a.Wait()
	if !strings.HasPrefix(au.Result.Text, "All good") {
		t.Fatalf("verify: %q", au.Result.Text)
	}
}

func TestImportCSVWithProgressAndLineErrors(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("sales", "shop1")
	a.Shell.Show(tabImport)
	im := a.Shell.Import
	csv := "name,email,phone,bike_make\nIma Porter,ima@example.com,(503) 555-0101,Trek\nBad Email,not-an-email,,\n,,,\nOtto Import,,+1 503 555 0102,\n"
	path := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Type(im.Path, path)
	test.Tap(im.Check)
	a.Wait()
	if len(im.lineErrors) == 0 || !strings.Contains(screenText(a), "Line 3, column email") {
		t.Fatalf("no line report: %q", im.Status.Text)
	}
	if strings.Contains(screenText(a), "not-an-email") {
		t.Fatal("a cell value is in the error report")
	}
	if !im.Import.Disabled() {
		t.Fatal("import possible with bad lines")
	}
	test.Tap(im.Skip)
	test.Tap(im.Check)
	a.Wait()
	test.Tap(im.Import)
	if im.ConfirmImport == nil || !strings.Contains(screenText(a), "Add 2 new customer(s)") {
		t.Fatalf("no confirmation: %q", screenText(a))
	}
	im.ConfirmImport.Confirm()
	a.Wait()
	if im.Progress.Value != 1 || !strings.Contains(im.Status.Text, "Imported 2") {
		t.Fatalf("import: %v %q", im.Progress.Value, im.Status.Text)
	}
	a.Shell.Show(tabCustomers)
	test.Type(a.Shell.Customers.Search, "Ima Port")
	a.Wait()
	if !slices.Contains(a.Shell.Customers.ResultNames(), "Ima Porter") {
		t.Fatal("imported customer not searchable")
	}
}
