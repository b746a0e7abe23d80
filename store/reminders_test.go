package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"spoke/mail"
	"spoke/mail/smtptest"
)

func onDay(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// The rules' due dates, table-driven.
func TestNextDue(t *testing.T) {
	first := ReminderRule{Kind: KindFirstService, Every: 6, Unit: "weeks", Enabled: true}
	yearly := ReminderRule{Kind: KindYearly, Every: 12, Unit: "months", Enabled: true}
	ebike := ReminderRule{Kind: KindEBike, BikeType: "e-bike", Every: 6, Unit: "months", Enabled: true}
	after := ReminderRule{Kind: KindAfterJob, Every: 12, Unit: "months", Enabled: true}
	sold := onDay("2026-03-02")
	cases := []struct {
		name    string
		r       ReminderRule
		h       BikeHistory
		handled []string
		want    string // "" none
	}{
		{"first service six weeks after the sale", first, BikeHistory{SoldAt: sold}, nil, "2026-04-13"},
		{"first service done: no reminder", first, BikeHistory{SoldAt: sold, Jobs: []time.Time{onDay("2026-04-10")}}, nil, ""},
		{"first service sent: not again", first, BikeHistory{SoldAt: sold}, []string{"2026-04-13"}, ""},
		{"a bike not sold here has no first service", first, BikeHistory{}, nil, ""},
		{"disabled rule", ReminderRule{Kind: KindFirstService, Every: 6, Unit: "weeks"}, BikeHistory{SoldAt: sold}, nil, ""},
		{"yearly: first anniversary", yearly, BikeHistory{SoldAt: sold}, nil, "2027-03-02"},
		{"yearly: the next year once sent", yearly, BikeHistory{SoldAt: sold}, []string{"2027-03-02"}, "2028-03-02"},
		{"yearly: a bike that came in is reminded after its job", yearly, BikeHistory{SoldAt: sold, Jobs: []time.Time{onDay("2026-09-01")}}, nil, ""},
		{"after a job: twelve months", after, BikeHistory{Jobs: []time.Time{onDay("2026-01-15"), onDay("2026-05-20")}}, nil, "2027-05-20"},
		{"after a job: once", after, BikeHistory{Jobs: []time.Time{onDay("2026-05-20")}}, []string{"2027-05-20"}, ""},
		{"no job, no after-job reminder", after, BikeHistory{SoldAt: sold}, nil, ""},
		{"e-bike: six months after the sale", ebike, BikeHistory{Type: "e-bike", SoldAt: sold}, nil, "2026-09-02"},
		{"e-bike: six months after the last job", ebike, BikeHistory{Type: "e-bike", SoldAt: sold, Jobs: []time.Time{onDay("2026-10-01")}}, nil, "2027-04-01"},
		{"e-bike: repeats", ebike, BikeHistory{Type: "e-bike", SoldAt: sold}, []string{"2026-09-02"}, "2027-03-02"},
		{"e-bike rule skips a road bike", ebike, BikeHistory{Type: "road", SoldAt: sold}, nil, ""},
		{"month end: 31 January plus one month", ReminderRule{Kind: KindAfterJob, Every: 1, Unit: "months", Enabled: true}, BikeHistory{Jobs: []time.Time{onDay("2026-01-31")}}, nil, "2026-03-03"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := map[string]bool{}
			for _, h := range c.handled {
				done[h] = true
			}
			got, ok := NextDue(c.r, c.h, func(d time.Time) bool { return done[d.Format("2006-01-02")] })
			if c.want == "" {
				if ok {
					t.Fatalf("due %s, want none", got.Format("2006-01-02"))
				}
				return
			}
			if !ok || got.Format("2006-01-02") != c.want {
				t.Fatalf("due %v %v, want %s", got, ok, c.want)
			}
		})
	}
}

// reminderFixture: the access fixture on a clock, with bikes sold a few weeks ago.
type reminderFixture struct {
	*fixture
	now                       time.Time
	cAda, cBea, cCal, cNoMail string
	srv                       *smtptest.Server
}

func newReminderFixture(t *testing.T) *reminderFixture {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	rf := &reminderFixture{fixture: f, now: now, cAda: f.cSam, cBea: f.cSue}
	sold := now.AddDate(0, 0, -40) // the first service (6 weeks) is due in 2 days
	sam, sue := f.users["sam"], f.users["sue"]
	must[string](t)(sam.AddBike(ctx, f.cSam, Bike{Make: "Giant", Model: "Escape", SoldAt: sold}))
	must[string](t)(sue.AddBike(ctx, f.cSue, Bike{Make: "Cube", Model: "Kathmandu", Type: "e-bike", SoldAt: sold}))
	rf.cCal = must[string](t)(sue.CreateCustomer(ctx, CustomerInput{Name: "Cal Withdrawn", Email: "cal@example.com"}))
	must[string](t)(sue.AddBike(ctx, rf.cCal, Bike{Make: "Trek", Model: "FX", SoldAt: sold}))
	rf.cNoMail = must[string](t)(sue.CreateCustomer(ctx, CustomerInput{Name: "Dee Nomail", Phone: "+1 415 555 0199"}))
	must[string](t)(sue.AddBike(ctx, rf.cNoMail, Bike{Make: "Specialized", Model: "Sirrus", SoldAt: sold}))
	grant := ConsentEvent{Purpose: PurposeServiceReminders, Channel: ChannelEmail, Granted: true, Basis: BasisConsent, Source: SourceCounter, Notice: "2026-11"}
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant))
	must[string](t)(sue.RecordConsent(ctx, rf.cNoMail, grant))
	must[string](t)(sue.RecordConsent(ctx, rf.cCal, grant))
	withdraw := grant
	withdraw.Granted = false
	must[string](t)(sue.RecordConsent(ctx, rf.cCal, withdraw))
	// sam's customer Ada has no consent at all.
	rf.srv = smtptest.Start(t, smtptest.Options{})
	if err := f.users["mia"].SetMailSettings(ctx, f.north, MailSettings{Settings: mail.Settings{Host: rf.srv.Host, Port: rf.srv.Port,
		Username: rf.srv.Username, Password: rf.srv.Password, From: "service@north.test", FromName: "North Cycles", CACertPEM: rf.srv.CAPEM},
		Lang: "en", Booking: "https://north.test/book", UnsubscribeBase: "https://hub.north.test"}); err != nil {
		t.Fatal(err)
	}
	return rf
}

// Who sees which customers on the due list.
func TestDueRemindersAccess(t *testing.T) {
	rf := newReminderFixture(t)
	ctx := context.Background()
	cases := []struct {
		user string
		shop string
		want []string // customer ids
		err  error
	}{
		{"sue", "", []string{rf.cBea, rf.cCal, rf.cNoMail}, nil},
		{"sam", "", []string{rf.cAda}, nil},
		{"mia", "", []string{rf.cAda, rf.cBea, rf.cCal, rf.cNoMail}, nil},
		{"olga", rf.north, []string{rf.cAda, rf.cBea, rf.cCal, rf.cNoMail}, nil},
		{"mo", rf.north, nil, ErrForbidden},
		{"mo", "", nil, nil},
		{"mike", rf.north, nil, ErrForbidden},
		{"mark", rf.north, nil, ErrForbidden},
		{"aud", rf.north, nil, ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.user+"/"+c.shop, func(t *testing.T) {
			due, err := rf.users[c.user].DueReminders(ctx, DueOptions{ShopID: c.shop})
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, d := range due {
				if d.Kind != KindFirstService || d.Name == "" {
					t.Fatalf("item %+v", d)
				}
				got[d.CustomerID] = true
			}
			if len(got) != len(c.want) {
				t.Fatalf("customers %v, want %v", got, c.want)
			}
			for _, w := range c.want {
				if !got[w] {
					t.Fatalf("customers %v lack %s", got, w)
				}
			}
		})
	}
	if err := rf.users["sue"].SetReminderRule(ctx, "", ReminderRule{Kind: KindFirstService, Every: 2, Unit: "weeks", Enabled: true}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson changed a rule: %v", err)
	}
	if _, err := rf.users["sue"].MailSettings(ctx, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson read the mail settings: %v", err)
	}
	// A manager's rule change moves the due date: a first service after 8 weeks is not due yet.
	if err := rf.users["mia"].SetReminderRule(ctx, "", ReminderRule{Kind: KindFirstService, Every: 8, Unit: "weeks", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if due := must[[]DueReminder](t)(rf.users["mia"].DueReminders(ctx, DueOptions{})); len(due) != 0 {
		t.Fatalf("due after the rule moved: %+v", due)
	}
}

// A send reaches the loopback SMTP server (STARTTLS, login) only for the consented customer
// with an address; the one-click link then withdraws the consent; nothing of the addresses
// reaches the audit trail.
func TestSendRemindersConsentAndUnsubscribe(t *testing.T) {
	rf := newReminderFixture(t)
	ctx := context.Background()
	sue := rf.users["sue"]
	tr := mail.SMTP{RootCAs: nil}
	rep, err := sue.SendReminders(ctx, "", nil, tr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || rep.NoConsent != 1 || rep.NoAddress != 1 || rep.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	got := rf.srv.Messages()
	if len(got) != 1 || got[0].To[0] != rf.emailSue || !got[0].TLS {
		t.Fatalf("received %+v", got)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	body := string(b)
	if !strings.Contains(body, "Hello Bea,") || !strings.Contains(body, "Cube Kathmandu") || !strings.Contains(body, "https://north.test/book") {
		t.Fatalf("body %q", body)
	}
	lu := m.Header.Get("List-Unsubscribe")
	tok := regexp.MustCompile(`https://hub\.north\.test/u/([A-Za-z0-9_-]{43})`).FindStringSubmatch(lu)
	if tok == nil || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(body, tok[0]) {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	// Sent once: the next run sends nothing new (the two skipped stay on the list).
	rep, err = sue.SendReminders(ctx, "", nil, tr)
	if err != nil || rep.Sent != 0 || len(rf.srv.Messages()) != 1 {
		t.Fatalf("second run %+v %v", rep, err)
	}
	due := must[[]DueReminder](t)(sue.DueReminders(ctx, DueOptions{}))
	if len(due) != 2 {
		t.Fatalf("due after the send: %+v", due)
	}
	// The hub relays the click: the consent is withdrawn, once, by the system principal.
	hashes, mark, err := rf.st.UnsubscribeHashes(ctx, rf.north)
	if err != nil || len(hashes) != 1 || hashes[0] != TokenHash(tok[1]) || mark == 0 {
		t.Fatalf("hashes %v %d %v", hashes, mark, err)
	}
	click := UnsubscribeClick{Seq: 7, Hash: TokenHash(tok[1]), At: time.Now()}
	if n, err := rf.st.ApplyUnsubscribes(ctx, rf.south, []UnsubscribeClick{click}); err != nil || n != 0 {
		t.Fatalf("a click applied in another shop: %d %v", n, err)
	}
	if n, err := rf.st.ApplyUnsubscribes(ctx, rf.north, []UnsubscribeClick{click, {Seq: 8, Hash: strings.Repeat("ab", 32), At: time.Now()}}); err != nil || n != 1 {
		t.Fatalf("apply: %d %v", n, err)
	}
	if n, err := rf.st.ApplyUnsubscribes(ctx, rf.north, []UnsubscribeClick{click}); err != nil || n != 0 {
		t.Fatalf("a replayed click applied again: %d %v", n, err)
	}
	if err := sue.AuthorizeSend(ctx, rf.cBea, PurposeServiceReminders, ChannelEmail); !errors.Is(err, ErrNoConsent) {
		t.Fatalf("a send authorised after the unsubscribe: %v", err)
	}
	hist := must[[]ConsentEvent](t)(sue.ConsentHistory(ctx, rf.cBea))
	if hist[0].Granted || hist[0].Source != SourceUnsubscribe || hist[0].RecordedBy != "system:unsubscribe" {
		t.Fatalf("newest event %+v", hist[0])
	}
	// The mailto: fallback: the counter pastes the token from a reply (Dee's, made here).
	tokDee, err := rf.st.unsubscribeToken(ctx, rf.north, rf.cNoMail, PurposeServiceReminders)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sue.UnsubscribeByToken(ctx, "", tokDee); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a token never sent resolved: %v", err)
	}
	if _, err := sue.UnsubscribeByToken(ctx, "", "short"); err == nil {
		t.Fatal("a malformed token was taken")
	}
	if ok, err := sue.UnsubscribeByToken(ctx, "", tok[1]); err != nil || ok {
		t.Fatalf("a second unsubscribe of a withdrawn consent: %v %v", ok, err)
	}
	// The trail has counts, never an address or a name.
	entries := must[[]AuditRecord](t)(rf.users["olga"].AuditLog(ctx, AuditFilter{}))
	var sendSeen bool
	for _, e := range entries {
		line := e.Action + " " + e.Detail + " " + e.Target
		for _, v := range []string{rf.emailSue, "Bea", "cal@example.com", rf.srv.Password} {
			if strings.Contains(line, v) {
				t.Fatalf("audit names %q: %s", v, line)
			}
		}
		sendSeen = sendSeen || e.Action == "reminder.send" && strings.Contains(e.Detail, "sent=1")
	}
	if !sendSeen {
		t.Fatal("no reminder.send entry with its counts")
	}
}

// A "your bike is ready" notice goes without a marketing consent, but not after a withdrawal.
func TestReadyNotice(t *testing.T) {
	rf := newReminderFixture(t)
	ctx := context.Background()
	mia := rf.users["mia"]
	// Ada has no consent at all; her job moves to ready.
	bikes := must[*CustomerCard](t)(mia.Customer(ctx, rf.cAda, "")).Bikes
	wo := must[string](t)(mia.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: rf.cAda, BikeID: bikes[0].ID, Complaint: "brakes"}))
	for _, s := range []Status{StatusApproved, StatusInProgress, StatusReady} {
		if err := mia.MoveWorkOrder(ctx, wo, s); err != nil {
			t.Fatal(err)
		}
	}
	due := must[[]DueReminder](t)(mia.DueReminders(ctx, DueOptions{}))
	var ready []string
	for _, d := range due {
		if d.Kind == KindReady {
			ready = append(ready, d.ID)
		}
	}
	if len(ready) != 1 {
		t.Fatalf("ready notices %v in %+v", ready, due)
	}
	rep, err := mia.SendReminders(ctx, "", ready, mail.SMTP{})
	if err != nil || rep.Sent != 1 {
		t.Fatalf("ready notice: %+v %v", rep, err)
	}
	msgs := rf.srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ada@example.com" || !strings.Contains(string(msgs[0].Data), "ready to collect") {
		t.Fatalf("received %+v", msgs)
	}
}

// The mail secret is sealed: the file holds neither the user name nor the password, and a
// byte changed in it is caught.
func TestMailSecretSealed(t *testing.T) {
	rf := newReminderFixture(t)
	ctx := context.Background()
	db := rawDB(t, rf.st.Dir())
	var n int
	if err := db.QueryRow("SELECT count(*) FROM shop_mail WHERE instr(CAST(secret AS TEXT), ?) > 0 OR instr(CAST(secret AS TEXT), ?) > 0", rf.srv.Password, rf.srv.Username).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the secret in clear: %d %v", n, err)
	}
	ms := must[*MailSettings](t)(rf.users["mia"].MailSettings(ctx, ""))
	if ms.Password != "" || !ms.HasPassword || ms.Username != rf.srv.Username {
		t.Fatalf("settings %+v", ms)
	}
	if _, err := db.Exec("UPDATE shop_mail SET secret = CAST(substr(secret, 1, 20) || X'00' || substr(secret, 22) AS BLOB)"); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.users["sue"].SendReminders(ctx, "", nil, mail.SMTP{}); err == nil {
		t.Fatal("a send with a tampered secret went ahead")
	}
	if len(rf.srv.Messages()) != 0 {
		t.Fatal("a message left")
	}
}

// A missed yearly reminder does not block the next year's, and a rule changed after a send
// does not send the same reminder again.
func TestDueAfterMissedYearAndRuleChange(t *testing.T) {
	rf := newReminderFixture(t)
	ctx := context.Background()
	sue, mia := rf.users["sue"], rf.users["mia"]
	old := must[string](t)(sue.CreateCustomer(ctx, CustomerInput{Name: "Yara Yearly", Email: "yara@example.com"}))
	must[string](t)(sue.AddBike(ctx, old, Bike{Make: "Ridley", Model: "Kanzo", SoldAt: time.Now().AddDate(-2, 0, -10)}))
	var yearly *DueReminder
	for _, d := range must[[]DueReminder](t)(sue.DueReminders(ctx, DueOptions{})) {
		if d.CustomerID == old {
			yearly = &d
		}
	}
	if yearly == nil || yearly.Kind != KindYearly || time.Since(yearly.Due) > 20*24*time.Hour {
		t.Fatalf("the second anniversary is not due: %+v", yearly)
	}
	must[*SendReport](t)(sue.SendReminders(ctx, "", nil, mail.SMTP{}))
	if err := mia.SetReminderRule(ctx, "", ReminderRule{Kind: KindFirstService, Every: 5, Unit: "weeks", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, d := range must[[]DueReminder](t)(sue.DueReminders(ctx, DueOptions{})) {
		if d.CustomerID == rf.cBea {
			t.Fatalf("Bea's first service, sent, is due again after the rule moved: %+v", d)
		}
	}
}
