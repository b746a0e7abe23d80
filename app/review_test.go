package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/demo"
	"spoke/store"
)

// showAdmin opens the Administration desk on a pane and returns the pane's widget.
func showAdmin[T any](t *testing.T, a *App, name string) T {
	t.Helper()
	a.Shell.ShowAdminPane(name)
	a.Wait()
	it := a.Shell.Admin.Panes[name]
	if it == nil {
		t.Fatalf("no %s pane for %s", name, a.user.Username)
	}
	p, ok := it.Content.(T)
	if !ok {
		t.Fatalf("the %s pane is a %T", name, it.Content)
	}
	return p
}

// newDemoAppOneClock is newDemoApp with the store on the app's clock, so a test can move
// both 91 days on.
func newDemoAppOneClock(t *testing.T) *harness {
	t.Helper()
	tmpl, chain := demoTemplate(t)
	dir := copyDir(t, tmpl)
	fa := test.NewTempApp(t)
	c := &clock{t: time.Now()}
	a := New(fa, Options{DataDir: dir, Passphrase: demoPass, Store: store.Options{KDF: fastKDF, Now: c.Now}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	a.demo = &demo.Created{Chain: chain}
	a.showSignIn("", "")
	a.Wait()
	return &harness{t: t, a: a, clock: c, chain: chain, dir: dir}
}

// TestReviewPaneEndToEnd: 91 days on the owner sees the overdue notice; a manager proposes a
// leaving date for one of her staff from the pane; the owner starts the review, sees the
// flags, confirms the proposal, decides every account with the buttons and completes it; the
// notice is gone after.
func TestReviewPaneEndToEnd(t *testing.T) {
	h := newDemoAppOneClock(t)
	a := h.a
	h.clock.Add(91 * 24 * time.Hour)
	h.signInAs("manager", "")
	shop := a.user.ShopID
	mp := showAdmin[*ReviewPane](t, a, paneReview)
	mp.Reload()
	a.Wait()
	if n := a.Shell.Notices["review"]; n == nil || !strings.Contains(n.Text.Text, "overdue") {
		t.Fatalf("manager's notice: %+v", n)
	}
	if mp.Start.Visible() || strings.Contains(screenText(a), "Certify as is") {
		t.Fatal("the manager sees the owner's buttons")
	}
	var victim *store.ReviewAccount
	for i, acc := range mp.review.Accounts {
		if acc.ShopID != shop {
			t.Fatalf("manager sees %s of another shop", acc.Username)
		}
		if victim == nil && acc.UserID != a.user.ID && len(acc.Roles) == 1 && acc.Roles[0] == store.RoleSales {
			victim = &mp.review.Accounts[i]
		}
	}
	if victim == nil {
		t.Fatal("no salesperson in the manager's shop")
	}
	name := victim.Username
	mp.Select(victim.UserID)
	mp.LeaveDate.SetText(a.opts.Now().Add(10 * 24 * time.Hour).Format("2006-01-02"))
	test.Tap(mp.ProposeLeave)
	a.Wait()
	if mp.Error.Text != "" || !strings.Contains(mp.Result.Text, "Proposal") {
		t.Fatalf("propose: %q %q", mp.Error.Text, mp.Result.Text)
	}
	a.SwitchUser()
	a.Wait()

	h.signInAs("owner", "")
	p := showAdmin[*ReviewPane](t, a, paneReview)
	if n := a.Shell.Notices["review"]; n == nil {
		t.Fatal("no overdue notice for the owner")
	}
	test.Tap(p.Start)
	a.Wait()
	if p.review == nil || p.review.ID == "" {
		t.Fatalf("not started: %q", p.Error.Text)
	}
	if !strings.Contains(screenText(a), "unused role") {
		t.Errorf("no excess-role flag on screen")
	}
	acc := p.Account(name)
	p.Select(acc.UserID)
	test.Tap(p.Confirm)
	a.Wait()
	if acc := p.Account(name); acc.Decision == nil || acc.LeavesAt.IsZero() {
		t.Fatalf("the confirmed proposal: %+v", acc)
	}
	for _, acc := range p.review.Accounts {
		if acc.Decision != nil || !acc.Active {
			continue
		}
		p.Select(acc.UserID)
		test.Tap(p.Certify)
		a.Wait()
		if p.Error.Text != "" {
			t.Fatalf("certify %s: %s", acc.Username, p.Error.Text)
		}
	}
	test.Tap(p.Complete)
	a.Wait()
	if p.Error.Text != "" || p.review.ID != "" {
		t.Fatalf("complete: %q", p.Error.Text)
	}
	if n := a.Shell.Notices["review"]; n != nil {
		t.Fatalf("notice after the review: %q", n.Text.Text)
	}
}

// TestLeaversPane: the owner sets a leaving date, sees the leaver with their day's reads in
// the list and the notice, reads the report (ids and counts, no names), moves their customers
// to a colleague (asked to confirm), and ends the account at once.
func TestLeaversPane(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	sales := h.staff("sales", "")
	h.signIn(sales.Username, sales.Password)
	if a.Shell == nil {
		t.Fatal("sales sign-in failed")
	}
	a.SwitchUser()
	a.Wait()
	h.signInAs("owner", "")
	p := showAdmin[*LeaversPane](t, a, paneLeavers)
	p.Person.SetSelected(sales.Username)
	p.Date.SetText(a.opts.Now().Add(14 * 24 * time.Hour).Format("2006-01-02"))
	test.Tap(p.SetDate)
	a.Wait()
	if p.Error.Text != "" || len(p.leavers) != 1 || p.leavers[0].Username != sales.Username {
		t.Fatalf("set date: %q %+v", p.Error.Text, p.leavers)
	}
	if n := a.Shell.Notices["leavers"]; n == nil || !strings.Contains(n.Text.Text, sales.Username) {
		t.Fatalf("leavers notice %+v", n)
	}
	test.Tap(p.Report)
	a.Wait()
	if p.LastReport == nil || p.LastReport.Customers == 0 || !strings.Contains(p.ReportText.Text, "Customers still owned") {
		t.Fatalf("report %+v %q", p.LastReport, p.ReportText.Text)
	}
	owned := p.LastReport.Customers
	if len(p.To.Options) == 0 {
		t.Fatal("nobody to take the customers")
	}
	p.To.SetSelected(p.To.Options[0])
	test.Tap(p.Reassign)
	a.Wait()
	if p.ConfirmReassign == nil {
		t.Fatalf("no confirmation: %q", p.Error.Text)
	}
	p.ConfirmReassign.Confirm()
	a.Wait()
	if p.Error.Text != "" || !strings.Contains(p.Result.Text, "moved") {
		t.Fatalf("reassign: %q %q", p.Error.Text, p.Result.Text)
	}
	test.Tap(p.Report)
	a.Wait()
	if p.LastReport.Customers != 0 {
		t.Fatalf("%d of %d customers still with the leaver", p.LastReport.Customers, owned)
	}
	// No customer's name anywhere on the pane.
	for _, c := range h.chain.Customers[:50] {
		if c.Name != "" && strings.Contains(screenText(a), c.Name) {
			t.Fatalf("a customer's name on the leavers pane")
		}
	}
	test.Tap(p.AtOnce)
	a.Wait()
	p.ConfirmAtOnce.Confirm()
	a.Wait()
	if p.Error.Text != "" || p.leavers[0].Active {
		t.Fatalf("at once: %q %+v", p.Error.Text, p.leavers)
	}
	a.SwitchUser()
	a.Wait()
	if slices.Contains(a.SignIn.User.Options, sales.Username) {
		t.Fatalf("the sign-in screen still offers the leaver after 'at once'")
	}
}
