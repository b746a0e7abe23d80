package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// raiseBulkDelete has the signed-in user create and delete twelve customers: the detector on
// the device raises a bulk-delete alert.
func raiseBulkDelete(t *testing.T, a *App) {
	t.Helper()
	ctx := context.Background()
	for i := range 12 {
		id, err := a.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Temp %d", i)})
		if err == nil {
			err = a.ss.DeleteCustomer(ctx, id)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestAlertsPane: a manager's twelve deletions show on the owner's Alerts pane with the
// detector's reasons and a notice; the owner confirms it with a note and the effectiveness
// follows; the auditor sees the alert without the note or the review buttons; a salesperson
// has no pane.
func TestAlertsPane(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	mgr := h.signInAs("manager", "")
	raiseBulkDelete(t, a)
	a.SwitchUser()
	a.Wait()

	h.signInAs("owner", "")
	a.checkNotices()
	a.Wait()
	if n := a.Shell.Notices["alerts"]; n == nil || !strings.Contains(n.Text.Text, "Open alerts") {
		t.Fatalf("owner's notice: %+v", n)
	}
	p := showAdmin[*AlertsPane](t, a, paneAlerts)
	p.Reload()
	a.Wait()
	id := ""
	for _, x := range p.alerts {
		if x.Kind == "bulk_delete" && x.Username == mgr.Username {
			id = x.ID
		}
	}
	if id == "" {
		t.Fatalf("no bulk-delete alert for %s: %+v", mgr.Username, p.alerts)
	}
	if s := screenText(a); !strings.Contains(s, "bulk delete") || !strings.Contains(s, "deleted 11 customers") {
		t.Fatalf("the list does not show the alert: %s", s)
	}
	if !strings.Contains(p.Summary.Text, "no alert decided yet") {
		t.Fatalf("summary %q", p.Summary.Text)
	}
	p.Select(id)
	if p.Confirm.Disabled() {
		t.Fatal("the owner cannot confirm")
	}
	p.Note.SetText("Asked her: clearing test records")
	test.Tap(p.Confirm)
	a.Wait()
	if p.Error.Text != "" || !strings.Contains(p.Result.Text, "confirmed") {
		t.Fatalf("confirm: %q %q", p.Error.Text, p.Result.Text)
	}
	if !strings.Contains(p.Summary.Text, "Effectiveness: 100% (1 confirmed, 0 dismissed)") {
		t.Fatalf("summary %q", p.Summary.Text)
	}
	p.ShowAll.SetChecked(true)
	a.Wait()
	p.Select(id)
	if !strings.Contains(p.Detail.Text, "clearing test records") || !p.Confirm.Disabled() {
		t.Fatalf("detail %q", p.Detail.Text)
	}
	a.SwitchUser()
	a.Wait()

	h.signInAs("auditor", "")
	ap := showAdmin[*AlertsPane](t, a, paneAlerts)
	ap.ShowAll.SetChecked(true)
	a.Wait()
	ap.Select(id)
	if len(ap.alerts) == 0 || strings.Contains(ap.Detail.Text, "clearing") || strings.Contains(screenText(a), "clearing") {
		t.Fatalf("the auditor: %d alerts, detail %q", len(ap.alerts), ap.Detail.Text)
	}
	if ap.Confirm.Visible() || ap.Note.Visible() {
		t.Fatal("the auditor has the review buttons")
	}
	if n := a.Shell.Notices["alerts"]; n != nil && n.Text.Text != "" {
		t.Fatalf("the auditor has the notice: %q", n.Text.Text)
	}
	a.SwitchUser()
	a.Wait()

	h.signInAs("sales", "")
	if a.Shell.Admin != nil && a.Shell.Admin.Panes[paneAlerts] != nil {
		t.Fatal("a salesperson has the Alerts pane")
	}
}

// TestAlertsPaneLiftSuspension: under the suspend setting a manager's critical alert suspends
// her on this computer at once; the owner sees it on the pane and lifts it; she signs in again.
func TestAlertsPaneLiftSuspension(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	ctx := context.Background()
	h.signInAs("owner", "")
	if err := a.ss.SetAlertSettings(ctx, store.AlertSuspend, 80); err != nil {
		t.Fatal(err)
	}
	a.SwitchUser()
	a.Wait()
	mgr := h.signInAs("manager", "")
	for i := range 12 {
		id, err := a.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Temp %d", i)})
		if err == nil {
			err = a.ss.DeleteCustomer(ctx, id)
		}
		if errors.Is(err, store.ErrSuspended) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a.SwitchUser()
	a.Wait()
	h.signIn(mgr.Username, mgr.Password)
	if a.Shell != nil {
		t.Fatal("the suspended manager signed in")
	}
	h.signInAs("owner", "")
	p := showAdmin[*AlertsPane](t, a, paneAlerts)
	p.Reload()
	a.Wait()
	id := ""
	for _, x := range p.alerts {
		if x.SuspendedHere {
			id = x.ID
		}
	}
	if id == "" {
		t.Fatalf("no alert suspended the manager: %+v", p.alerts)
	}
	p.Select(id)
	if p.Lift.Disabled() || !strings.Contains(p.Detail.Text, "suspended here") {
		t.Fatalf("the owner cannot lift the suspension: %q", p.Detail.Text)
	}
	test.Tap(p.Lift)
	a.Wait()
	if p.Error.Text != "" || !strings.Contains(p.Result.Text, "lifted") {
		t.Fatalf("lift: %q %q", p.Error.Text, p.Result.Text)
	}
	a.SwitchUser()
	a.Wait()
	h.signInAs("manager", "")
}
