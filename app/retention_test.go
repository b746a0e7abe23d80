package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// TestRetentionPane: the owner sets the policy in the form (a request log under 24 months is
// refused), a manager existed so it waits; the owner cannot approve their own; the manager
// approves it in the pane; the daily run goes at sign-in as system:retention; a preview and
// a run show what the policy selects; the last runs are listed.
func TestRetentionPane(t *testing.T) {
	ctx := context.Background()
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	shops, _ := a.Session().Shops(ctx)
	if _, err := a.Session().AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: shops[0].ID}); err != nil {
		t.Fatal(err)
	}
	p := showPane[*RetentionPane](t, a, "retention")
	if !strings.Contains(p.Approval.Text, "No policy is set yet") || p.Requests.Text != "24" || !p.Approve.Disabled() {
		t.Fatalf("before a policy: %q requests %q", p.Approval.Text, p.Requests.Text)
	}
	p.Requests.SetText("12")
	test.Tap(p.Save)
	a.Wait()
	if !strings.Contains(p.Error.Text, "Request log") || !strings.Contains(p.Error.Text, "24") {
		t.Fatalf("a request log of 12 months: %q", p.Error.Text)
	}
	p.Requests.SetText("24")
	p.Inactive.SetText("4")
	test.Tap(p.Save)
	a.Wait()
	if !strings.Contains(p.Result.Text, "Policy saved") || !strings.Contains(p.Approval.Text, "North: waiting for approval") || !p.Approve.Disabled() {
		t.Fatalf("saved: %q %q %q", p.Result.Text, p.Error.Text, p.Approval.Text)
	}
	test.Tap(p.Preview)
	a.Wait()
	if !strings.Contains(p.Result.Text, "nothing was changed") || !strings.Contains(p.Report.Text, "North: 0 customer(s) inactive for 4 years (waiting for approval: preview only)") {
		t.Fatalf("preview: %q\n%s", p.Result.Text, p.Report.Text)
	}

	// The manager approves; signing in starts the daily run, which goes at once.
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signIn("mia", "manager-password-1")
	mp := showPane[*RetentionPane](t, a, "retention")
	if mp.Approve.Disabled() || mp.Save.Visible() || !mp.Inactive.Disabled() {
		t.Fatalf("the manager's pane: approve disabled %v, save visible %v", mp.Approve.Disabled(), mp.Save.Visible())
	}
	test.Tap(mp.Approve)
	a.Wait()
	if !strings.Contains(mp.Result.Text, "Policy approved") || !strings.Contains(mp.Approval.Text, "North: approved by its manager") {
		t.Fatalf("approved: %q %q %q", mp.Result.Text, mp.Error.Text, mp.Approval.Text)
	}
	waitFor(t, "the daily run", func() bool {
		runs, err := a.Session().RetentionRuns(ctx, 5)
		return err == nil && len(runs) > 0 && strings.Contains(runs[0].Detail, "by=scheduled")
	})
	test.Tap(mp.RunNow)
	a.Wait()
	if !strings.Contains(mp.Result.Text, "Run done") || mp.Error.Text != "" || !strings.Contains(mp.Runs.Text, "by=") {
		t.Fatalf("run now: %q %q\n%s", mp.Result.Text, mp.Error.Text, mp.Runs.Text)
	}
}
