package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/mail"
	"spoke/mail/smtptest"
	"spoke/store"
)

// TestRemindersScreen: a manager's due list shows a bike sold six weeks ago; Send selected
// e-mails that customer (consented) through the loopback SMTP server and the line leaves the
// list; a customer without consent stays on it to be called, and Called takes it off.
func TestRemindersScreen(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("manager", "")
	ctx := context.Background()
	ss := a.Session()
	srv := startMail(t, ss, "")
	sold := time.Now().AddDate(0, 0, -41)
	yes := must[string](t)(ss.CreateCustomer(ctx, store.CustomerInput{Name: "Quentin Remindme", Email: "quentin@example.net"}))
	must[string](t)(ss.AddBike(ctx, yes, store.Bike{Make: "Brompton", Model: "C Line", SoldAt: sold}))
	must[string](t)(ss.RecordConsent(ctx, yes, store.ConsentEvent{Purpose: store.PurposeServiceReminders, Channel: store.ChannelEmail, Granted: true,
		Basis: store.BasisConsent, Source: store.SourceCounter, Notice: "2026-11"}))
	no := must[string](t)(ss.CreateCustomer(ctx, store.CustomerInput{Name: "Ursula Callme", Email: "ursula@example.net"}))
	must[string](t)(ss.AddBike(ctx, no, store.Bike{Make: "Moulton", Model: "TSR", SoldAt: sold}))

	a.Shell.Show(tabReminders)
	a.Wait()
	s := a.Shell.Reminders
	find := func(id string) int {
		for i, d := range s.Due {
			if d.CustomerID == id {
				return i
			}
		}
		return -1
	}
	iy, in := find(yes), find(no)
	if iy < 0 || in < 0 || s.Due[iy].Consent != "granted" || s.Due[in].Consent != "none" || s.Due[iy].Kind != store.KindFirstService {
		t.Fatalf("due list: %d %d %+v", iy, in, s.Due)
	}
	if !strings.Contains(screenText(a), "Quentin Remindme") && len(s.Due) < 20 {
		t.Fatalf("the list does not show the customer: %q", screenText(a))
	}
	s.List.Select(iy)
	test.Tap(s.SendOne)
	a.Wait()
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "quentin@example.net" {
		t.Fatalf("received %+v (result %q, error %q)", got, s.Result.Text, s.Error.Text)
	}
	if find(yes) >= 0 {
		t.Fatal("the sent reminder is still on the list")
	}
	s.List.Select(find(no))
	s.selected = find(no)
	test.Tap(s.SendOne)
	a.Wait()
	if len(srv.Messages()) != 1 || !strings.Contains(s.Result.Text, "1 without consent") {
		t.Fatalf("a customer without consent was mailed: %q", s.Result.Text)
	}
	s.List.Select(find(no))
	s.selected = find(no)
	test.Tap(s.Called)
	a.Wait()
	if find(no) >= 0 {
		t.Fatal("the called reminder is still on the list")
	}
}

// TestMailPane: the owner's Mail and reminders pane saves a server (the password is not shown
// again) and a rule; a salesperson has no such pane.
func TestMailPane(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("manager", "")
	p := showAdmin[*MailPane](t, a, paneMail)
	p.Host.SetText("smtp.example.test")
	p.From.SetText("service@shop.example")
	p.FromName.SetText("Shop")
	p.User.SetText("login")
	p.Password.SetText("pa55word-smtp")
	p.Unsubscribe.SetText("http://plain.example")
	test.Tap(p.Save)
	a.Wait()
	if !strings.Contains(p.Error.Text, "https") {
		t.Fatalf("a plain-http unsubscribe address was taken: %q", p.Error.Text)
	}
	p.Unsubscribe.SetText("https://hub.example.com")
	test.Tap(p.Save)
	a.Wait()
	if p.Error.Text != "" || p.Password.Text != "" || !strings.Contains(p.Status.Text, "password stored: yes") {
		t.Fatalf("save: %q %q", p.Error.Text, p.Status.Text)
	}
	p.Rules[0].Every.SetText("8")
	test.Tap(p.SaveRules)
	a.Wait()
	if !strings.Contains(p.Result.Text, "1 rule(s) saved") {
		t.Fatalf("rules: %q %q", p.Result.Text, p.Error.Text)
	}
	if strings.Contains(screenText(a), "pa55word-smtp") {
		t.Fatal("the password is on screen")
	}
	a.SwitchUser()
	a.Wait()
	h.signInAs("sales", "")
	if mayMail(a) {
		t.Fatal("a salesperson may set the mail server")
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestReadyNoticeFromBoard: moving a job to ready on the board e-mails the customer at once.
func TestReadyNoticeFromBoard(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("manager", "")
	ctx := context.Background()
	ss := a.Session()
	srv := startMail(t, ss, "")
	c := must[string](t)(ss.CreateCustomer(ctx, store.CustomerInput{Name: "Rhoda Readyjob", Email: "rhoda@example.net"}))
	wo := must[string](t)(ss.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: c, Complaint: "puncture"}))
	for _, st := range []store.Status{store.StatusApproved, store.StatusInProgress} {
		if err := ss.MoveWorkOrder(ctx, wo, st); err != nil {
			t.Fatal(err)
		}
	}
	a.Shell.Show(tabBoard)
	a.Wait()
	a.Shell.Board.Move(wo, store.StatusReady)
	a.Wait()
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "rhoda@example.net" || !strings.Contains(string(got[0].Data), "ready to collect") {
		t.Fatalf("received %+v; board says %q", got, a.Shell.Board.Error.Text)
	}
}

// startMail starts a loopback SMTP server (STARTTLS, login) and sets it as the mail server of
// a shop ("" the user's own) through ss.
func startMail(t *testing.T, ss *store.Session, shopID string) *smtptest.Server {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	if err := ss.SetMailSettings(context.Background(), shopID, store.MailSettings{Settings: mail.Settings{Host: srv.Host, Port: srv.Port, Username: srv.Username,
		Password: srv.Password, From: "service@demo.test", FromName: "Demo", CACertPEM: srv.CAPEM}}); err != nil {
		t.Fatal(err)
	}
	return srv
}
