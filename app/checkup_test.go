package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/compliance/checkup"
	"spoke/store"
)

// showCheckup opens the Administration desk's check-up pane and reloads it.
func showCheckup(t *testing.T, a *App) *CheckupPane {
	t.Helper()
	p := showAdmin[*CheckupPane](t, a, paneCheckup)
	p.Reload()
	a.Wait()
	return p
}

func (p *CheckupPane) findingIndex(key string) int {
	for i, f := range p.report.Findings {
		if f.Key == key {
			return i
		}
	}
	return -1
}

// TestCheckupPane: the owner's sign-in runs the check-up that is due; the pane shows its
// findings by severity; a finding marked fixed with a note comes back open ("was marked
// fixed") after Run now while it is still found; an accepted one stays accepted; the report
// saves as HTML; the schedule saves; the others do not see the pane.
func TestCheckupPane(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	p := showCheckup(t, a)
	if p.report == nil || p.report.Trigger != store.CheckupScheduled {
		t.Fatalf("the sign-in did not run the due check-up: %+v", p.report)
	}
	me := a.st.DeviceID()
	backupKey := "backup_none:" + me
	i := p.findingIndex(backupKey)
	if i < 0 {
		t.Fatalf("no backup finding: %q", screenText(a))
	}
	if text := screenText(a); !strings.Contains(text, "No backups configured") || !strings.Contains(text, "High") {
		t.Fatalf("the pane does not show the finding: %q", text)
	}
	p.List.Select(i)
	a.Wait()
	if !strings.Contains(p.Detail.Text, "No backup folder is set") || p.MarkFixed.Disabled() {
		t.Fatalf("selected: %q", p.Detail.Text)
	}
	test.Type(p.Note, "disk ordered")
	test.Tap(p.MarkFixed)
	a.Wait()
	if !strings.Contains(p.Result.Text, "Marked fixed") {
		t.Fatalf("mark fixed: %q %q", p.Result.Text, p.Error.Text)
	}
	if f := p.report.Finding(backupKey); f == nil || f.Status != checkup.Fixed || f.Note != "disk ordered" {
		t.Fatalf("after marking: %+v", f)
	}
	p.List.Select(p.findingIndex("not_connected"))
	a.Wait()
	test.Tap(p.Accept)
	a.Wait()
	test.Tap(p.RunNow)
	a.Wait()
	if f := p.report.Finding(backupKey); f == nil || f.Status != checkup.Open || !f.Reopened {
		t.Fatalf("still found after Run now: %+v", f)
	}
	if f := p.report.Finding("not_connected"); f == nil || f.Status != checkup.Accepted {
		t.Fatalf("accepted: %+v", f)
	}
	p.List.Select(p.findingIndex(backupKey))
	a.Wait()
	if !strings.Contains(p.Selected.Text, "Open again (was marked fixed)") {
		t.Errorf("the finding does not say it was marked fixed: %q", p.Selected.Text)
	}
	// Save as HTML, in Chinese.
	p.Lang.SetSelected(languageNames[langZH])
	test.Tap(p.Export)
	a.Wait()
	dir := t.TempDir()
	p.Prompt.Folder.SetText(dir)
	p.Prompt.Name.SetText("checkup.html")
	test.Tap(p.Prompt.Save)
	a.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "checkup.html"))
	if err != nil || !strings.Contains(string(b), "安全检查") || !strings.Contains(string(b), p.report.RunID) {
		t.Fatalf("the saved report: %v", err)
	}
	// The schedule.
	p.EveryDays.SetText("30")
	p.SilentDays.SetText("7")
	test.Tap(p.SaveSettings)
	a.Wait()
	if !strings.Contains(p.Result.Text, "Schedule saved") || p.status.Settings.EveryDays != 30 || p.status.Settings.SilentDays != 7 {
		t.Fatalf("schedule: %q %q %+v", p.Result.Text, p.Error.Text, p.status.Settings)
	}
	p.EveryDays.SetText("0")
	test.Tap(p.SaveSettings)
	a.Wait()
	if p.Error.Text == "" {
		t.Error("a schedule of 0 days was taken")
	}
}

// TestCheckupNotice: a critical finding still open is a notice for the owner; accepting it
// clears it. The text says when the check-up is overdue.
func TestCheckupNotice(t *testing.T) {
	ctx := context.Background()
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	if _, err := a.ss.OpenIncident(ctx, store.IncidentInput{Kind: store.IncidentOther, DiscoveredAt: time.Now().Add(-80 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p := showCheckup(t, a)
	test.Tap(p.RunNow)
	a.Wait()
	a.checkNotices()
	a.Wait()
	n := a.Shell.Notices[paneCheckup]
	if n == nil || !strings.Contains(n.Text.Text, "1 critical finding(s)") {
		t.Fatalf("no notice for the critical finding: %q", screenText(a))
	}
	var key string
	for _, f := range p.report.Findings {
		if f.Severity == checkup.Critical {
			key = f.Key
		}
	}
	p.List.Select(p.findingIndex(key))
	a.Wait()
	test.Tap(p.Accept)
	a.Wait()
	if a.Shell.Notices[paneCheckup] != nil {
		t.Fatalf("the notice stayed after accepting: %q", a.Shell.Notices[paneCheckup].Text.Text)
	}
	if got := a.checkupNoticeText(store.CheckupStatus{Overdue: true, LastRun: time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local)}); !strings.Contains(got, "overdue (last run 2026-01-02)") {
		t.Errorf("overdue text: %q", got)
	}
	if got := a.checkupNoticeText(store.CheckupStatus{Overdue: true}); !strings.Contains(got, "No security check-up has run yet") {
		t.Errorf("never run: %q", got)
	}
}

// TestCheckupPaneOwnerOnly: a manager, a salesperson and an auditor of the demo shop see no
// check-up pane; the owner does.
func TestCheckupPaneOwnerOnly(t *testing.T) {
	for _, role := range []string{"manager", "sales", "auditor", "owner"} {
		t.Run(role, func(t *testing.T) {
			h := newDemoApp(t)
			h.signInAs(role, "")
			a := h.a
			a.Wait()
			has := a.Shell.Admin != nil && a.Shell.Admin.Panes[paneCheckup] != nil
			if has != (role == "owner") {
				t.Errorf("%s sees the check-up pane: %v", role, has)
			}
		})
	}
}

// TestPasswordChangeAtSignIn: a password that no longer passes the policy (here a stricter
// minimum) signs in to the new-password screen, not the shell; a mismatch and a password that
// fails are refused there; a good one goes on to the shell, and the check-up lists nothing.
func TestPasswordChangeAtSignIn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "North", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	fa := test.NewTempApp(t)
	a := New(fa, Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF, PasswordMinLength: 20}, ManualIdle: true, QueueUI: true})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	h := &harness{t: t, a: a}
	h.signIn(smallOwner, smallOwnerPW)
	s := a.PasswordChange
	if s == nil || a.Shell != nil {
		t.Fatalf("no new-password screen: %q", screenText(a))
	}
	if !strings.Contains(s.Why.Text, "at least 12 characters") {
		t.Errorf("why: %q", s.Why.Text)
	}
	test.Type(s.Current, smallOwnerPW)
	test.Type(s.New, "a phrase long enough now")
	test.Type(s.Repeat, "a phrase long enough, no")
	test.Tap(s.Change)
	a.Wait()
	if !strings.Contains(s.Error.Text, "differ") {
		t.Fatalf("mismatch: %q", s.Error.Text)
	}
	s.New.SetText("short one")
	s.Repeat.SetText("short one")
	test.Tap(s.Change)
	a.Wait()
	if !strings.Contains(s.Error.Text, "at least 20 characters") || a.Shell != nil {
		t.Fatalf("a short new password: %q", s.Error.Text)
	}
	s.New.SetText("a phrase long enough now")
	s.Repeat.SetText("a phrase long enough now")
	test.Tap(s.Change)
	a.Wait()
	if a.Shell == nil || a.PasswordChange != nil {
		t.Fatalf("not on to the shell: %q %q", s.Error.Text, screenText(a))
	}
	a.Wait()
	r, err := a.ss.CheckupReport(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Kind == "password_weak" {
			t.Errorf("listed after the change: %+v", f)
		}
	}
}
