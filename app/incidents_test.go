package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/protocol"
	"spoke/store"
)

// showPane opens the Privacy desk on a pane and returns the pane's widget.
func showPane[T any](t *testing.T, a *App, name string) T {
	t.Helper()
	a.Shell.Show(tabPrivacy)
	a.Wait()
	it := a.Shell.Privacy.Panes[name]
	if it == nil {
		t.Fatalf("no %s pane for %s", name, a.user.Username)
	}
	a.Shell.Privacy.Tabs.Select(it)
	a.Wait()
	p, ok := it.Content.(T)
	if !ok {
		t.Fatalf("the %s pane is a %T", name, it.Content)
	}
	return p
}

// TestRevokeStolenOpensIncidentInPane: the Sync screen's Revoke dialog asks whether the device
// was lost or stolen; "stolen" revokes it and opens an incident, which the Privacy desk's
// Incidents pane lists with its customers and 72-hour clock; the owner records the decision
// there (asked to confirm), and it shows as decided.
func TestRevokeStolenOpensIncidentInPane(t *testing.T) {
	ctx := context.Background()
	code := startHub(t)
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Shell.Show(tabSync)
	a.Wait()
	s := a.Shell.Sync
	s.Code.SetText(code.Encode())
	test.Tap(s.Connect)
	a.bg.Wait()
	a.Wait()
	if a.eng == nil {
		t.Fatalf("not connected: %q", s.Error.Text)
	}
	test.Tap(s.AddDevice)
	a.Wait()
	second, err := protocol.DecodeEnrollCode(s.NewCode.Text)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := enrolSecond(t, second)
	waitFor(t, "two devices", func() bool { s.refreshDevices(); a.Wait(); return len(s.devices) == 2 })
	s.AskRevoke(st2.DeviceID())
	if s.RevokeAs == nil || !strings.Contains(screenText(a), "Lost or stolen?") || len(s.RevokeAs.Options) != 3 {
		t.Fatalf("the Revoke dialog asks nothing about loss: %q", screenText(a))
	}
	s.RevokeAs.SetSelected(s.RevokeAs.Options[2]) // stolen
	s.ConfirmRevoke.Confirm()
	a.Wait()
	if !strings.Contains(s.DevicesNote.Text, "Revoked") || !strings.Contains(s.DevicesNote.Text, "incident is open") {
		t.Fatalf("revoke as stolen: %q", s.DevicesNote.Text)
	}

	p := showPane[*IncidentsPane](t, a, "incidents")
	if len(p.incidents) != 1 {
		t.Fatalf("incidents: %+v", p.incidents)
	}
	inc := p.incidents[0]
	if inc.Kind != store.IncidentDeviceStolen || inc.DeviceID != st2.DeviceID() || inc.Total() != 3 || !inc.Open() {
		t.Fatalf("the incident: %+v", inc)
	}
	text := screenText(a)
	for _, want := range []string{"Device stolen", "72h00m left", "1 incident(s), 1 open."} {
		if !strings.Contains(text, want) {
			t.Fatalf("the pane lacks %q:\n%s", want, text)
		}
	}
	if !p.Decide.Disabled() {
		t.Fatal("Decide is enabled with no incident chosen")
	}
	// Past the 72 hours (the screen's clock; the store's stays), the pane says OVERDUE.
	h.clock.Add(73 * time.Hour)
	p.Reload()
	a.Wait()
	if text := screenText(a); !strings.Contains(text, "OVERDUE by 1h00m") || !strings.Contains(text, "1 OVERDUE: decide now") {
		t.Fatalf("overdue:\n%s", text)
	}
	p.List.Select(0)
	a.Wait()
	if p.Decide.Disabled() || !strings.Contains(p.Detail.Text, "North: 3 customer(s)") || !strings.Contains(p.Detail.Text, "sealed under per-customer keys") {
		t.Fatalf("chosen incident: %q", p.Detail.Text)
	}
	p.Decision.SetSelectedIndex(2) // no notification
	p.Reason.SetSelectedIndex(0)   // unlikely: encrypted
	test.Tap(p.Decide)
	if p.ConfirmDecide == nil || !strings.Contains(screenText(a), "cannot be changed") {
		t.Fatalf("no confirmation: %q", screenText(a))
	}
	p.ConfirmDecide.Confirm()
	a.Wait()
	if !strings.Contains(p.Result.Text, "Decision recorded") || p.incidents[0].Open() || !strings.Contains(screenText(a), "decided in time") {
		t.Fatalf("after deciding: %q %q", p.Result.Text, p.Error.Text)
	}
	got, err := a.Session().Incidents(ctx)
	if err != nil || got[0].Decision != store.DecisionNoNotification || got[0].Reason != store.ReasonUnlikelyRiskEncrypted {
		t.Fatalf("stored decision: %+v %v", got, err)
	}
}

// TestAssessmentsPane: the owner records an assessment for every shop; it is listed with its
// review date. A manager sees Assessments and Retention but not Incidents (owner only).
func TestAssessmentsPane(t *testing.T) {
	ctx := context.Background()
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	p := showPane[*AssessmentsPane](t, a, "assessments")
	test.Tap(p.Add)
	if !strings.Contains(p.Error.Text, "Choose a topic") {
		t.Fatalf("empty form: %q", p.Error.Text)
	}
	p.Topic.SetSelectedIndex(1)   // cross-border transfer
	p.Outcome.SetSelectedIndex(1) // with measures
	test.Tap(p.Add)
	a.Wait()
	if !strings.Contains(p.Error.Text, "measures") && !strings.Contains(p.Error.Text, "Measures") {
		t.Fatalf("measures missing: %q", p.Error.Text)
	}
	p.Measures.SetSelected([]string{"Separate consent", "Standard contract filed"})
	test.Tap(p.Add)
	a.Wait()
	if !strings.Contains(p.Result.Text, "Assessment recorded") || len(p.list) != 1 || p.list[0].ShopID != "" ||
		strings.Join(p.list[0].Measures, ",") != "separate_consent,standard_contract_filed" {
		t.Fatalf("after adding: %q %q %+v", p.Result.Text, p.Error.Text, p.list)
	}
	if !strings.Contains(screenText(a), "Transfer outside the country") || !strings.Contains(screenText(a), "All shops") {
		t.Fatalf("the list: %s", screenText(a))
	}
	shops, _ := a.Session().Shops(ctx)
	if _, err := a.Session().AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: shops[0].ID}); err != nil {
		t.Fatal(err)
	}
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signIn("mia", "manager-password-1")
	a.Shell.Show(tabPrivacy)
	a.Wait()
	panes := a.Shell.Privacy.Panes
	if panes["incidents"] != nil || panes["assessments"] == nil || panes["retention"] == nil {
		t.Fatalf("a manager's panes: %v", panes)
	}
}
