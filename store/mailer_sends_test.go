package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"spoke/mail"
	"spoke/mail/smtptest"
)

func setMail(t *testing.T, ss *Session, shop string, srv *smtptest.Server) {
	t.Helper()
	if err := ss.SetMailSettings(context.Background(), shop, MailSettings{Settings: mail.Settings{Host: srv.Host, Port: srv.Port, Username: srv.Username,
		Password: srv.Password, From: "news@shop.test", FromName: "Shop", CACertPEM: srv.CAPEM}, UnsubscribeBase: "https://hub.shop.test"}); err != nil {
		t.Fatal(err)
	}
}

// A campaign is sent by the shop's manager on the shop's device to the consented members
// only, filled with each first name, each message with a one-click unsubscribe of the
// campaign's purpose and no tracking; marketing sees the count, never who; it goes once.
func TestSendCampaign(t *testing.T) {
	ctx := context.Background()
	c := newCampaignChain(t, true)
	srv := smtptest.Start(t, smtptest.Options{})
	setMail(t, c.mgr, c.north, srv)
	var emails []string
	for i := range 6 {
		e := fmt.Sprintf("pina%d@example.net", i)
		id := must[string](t)(c.owner.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Pia%d Rossi", i), Email: e, ShopID: c.north}))
		must[string](t)(c.owner.AddBike(ctx, id, Bike{Make: "Pinarello", Model: "Dogma", Type: "road"}))
		if i < 5 {
			must[string](t)(c.owner.RecordConsent(ctx, id, grant(PurposeEmailMarketing, ChannelEmail)))
			emails = append(emails, e)
		}
	}
	id := must[string](t)(c.mkt.CreateCampaign(ctx, CampaignInput{Name: "Pinarello day", Spec: AudienceSpec{Purpose: PurposeEmailMarketing, Channel: ChannelEmail, Makes: []string{"pinarello"}},
		SubjectEN: "Hello {first_name}", BodyEN: "Pinarello day at {shop}."}))
	if _, err := c.mkt.SendCampaign(ctx, id, c.north, mail.SMTP{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("marketing sent: %v", err)
	}
	rep, err := c.mgr.SendCampaign(ctx, id, c.north, mail.SMTP{})
	if err != nil || rep.Sent != 5 || rep.NoConsent != 0 {
		t.Fatalf("send %+v %v", rep, err)
	}
	got := srv.Messages()
	if len(got) != 5 {
		t.Fatalf("received %d", len(got))
	}
	for _, m := range got {
		d := string(m.Data)
		if !strings.Contains(emails[0]+emails[1]+emails[2]+emails[3]+emails[4], m.To[0]) || !strings.Contains(d, "Hello Pia") ||
			!strings.Contains(d, "List-Unsubscribe-Post: List-Unsubscribe=One-Click") || !strings.Contains(d, "https://hub.shop.test/u/") || strings.Contains(d, "<img") {
			t.Fatalf("message to %s: %s", m.To[0], d)
		}
	}
	if _, err := c.mgr.SendCampaign(ctx, id, c.north, mail.SMTP{}); !errors.Is(err, ErrCampaignSent) || len(srv.Messages()) != 5 {
		t.Fatalf("a second send: %v, %d messages", err, len(srv.Messages()))
	}
	camp := must[*Campaign](t)(c.mkt.CampaignByID(ctx, id))
	for _, s := range camp.Shops {
		if s.ShopID == c.north && s.Sent != 5 {
			t.Fatalf("marketing's count: %+v", s)
		}
	}
	checkNoPII(t, c, fmt.Sprintf("%+v", camp))
	scanDirForPII(t, c.dir, emails...)
	// The one-click unsubscribe withdraws e-mail marketing, not service reminders.
	hashes, _, err := c.st.UnsubscribeHashes(ctx, c.north)
	if err != nil || len(hashes) != 5 {
		t.Fatalf("hashes %d %v", len(hashes), err)
	}
	if n, err := c.st.ApplyUnsubscribes(ctx, c.north, []UnsubscribeClick{{Seq: 1, Hash: hashes[0], At: time.Now()}}); err != nil || n != 1 {
		t.Fatalf("unsubscribe %d %v", n, err)
	}
	again := must[[]string](t)(c.mgr.CampaignRecipientsFor(ctx, id, c.north))
	if len(again) != 4 {
		t.Fatalf("recipients after one unsubscribed: %d", len(again))
	}
}

// A recall notice goes by e-mail under the legal obligation (no consent asked, no
// unsubscribe), one message per customer for all their affected bikes, each bike recorded as
// reached; a shop without a mail server is counted, not skipped silently.
func TestSendRecallNotices(t *testing.T) {
	ctx := context.Background()
	f := newRecallFixture(t)
	c1, _ := f.bike(t, f.north, "Nina North", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	c2, _ := f.bike(t, f.north, "Nils North", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	must[string](t)(f.owner.AddBike(ctx, c2, Bike{Make: "Cube", Model: "Stereo", Year: 2023}))
	f.bike(t, f.south, "Sara South", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	_ = c1
	id := must[string](t)(f.owner.CreateRecall(ctx, RecallInput{Make: "Cube", Models: []string{"Stereo"}, Reference: "C-1", Title: "Brake hose", IssuedOn: "2026-09-09"}))
	srv := smtptest.Start(t, smtptest.Options{})
	setMail(t, f.owner, f.north, srv)
	if _, err := f.users["sal"].SendRecallNotices(ctx, id, mail.SMTP{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson sent recall notices: %v", err)
	}
	rep, err := f.owner.SendRecallNotices(ctx, id, mail.SMTP{})
	if err != nil || rep.Sent != 2 || rep.Failed != 1 || len(rep.Errors) != 1 {
		t.Fatalf("report %+v %v", rep, err)
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("received %d", len(got))
	}
	for _, m := range got {
		d := string(m.Data)
		if strings.Contains(d, "List-Unsubscribe") || !strings.Contains(d, "Brake hose") || !strings.Contains(d, "product safety") {
			t.Fatalf("recall message: %s", d)
		}
	}
	if p := f.progress(t, f.owner, id); p.Reached != 3 || p.Outstanding != 1 {
		t.Fatalf("progress %+v", p)
	}
	// Sent once: the reached are not mailed again.
	if rep, err := f.owner.SendRecallNotices(ctx, id, mail.SMTP{}); err != nil || rep.Sent != 0 || len(srv.Messages()) != 2 {
		t.Fatalf("again %+v %v", rep, err)
	}
}

// The review's attacks on sending, each played out.
func TestSendAttacks(t *testing.T) {
	ctx := context.Background()
	t.Run("two sends of one campaign at once send it once", func(t *testing.T) {
		c := newCampaignChain(t, true)
		srv := smtptest.Start(t, smtptest.Options{})
		setMail(t, c.mgr, c.north, srv)
		for i := range 5 {
			id := must[string](t)(c.owner.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Twin%d Rider", i), Email: fmt.Sprintf("twin%d@example.net", i), ShopID: c.north}))
			must[string](t)(c.owner.AddBike(ctx, id, Bike{Make: "Colnago", Model: "C68"}))
			must[string](t)(c.owner.RecordConsent(ctx, id, grant(PurposeEmailMarketing, ChannelEmail)))
		}
		id := must[string](t)(c.mkt.CreateCampaign(ctx, CampaignInput{Name: "Colnago", Spec: AudienceSpec{Purpose: PurposeEmailMarketing, Channel: ChannelEmail, Makes: []string{"colnago"}},
			SubjectEN: "Hi {first_name}", BodyEN: "At {shop}."}))
		errs := make(chan error, 2)
		for range 2 {
			go func() { _, err := c.mgr.SendCampaign(ctx, id, c.north, mail.SMTP{}); errs <- err }()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) || !(errors.Is(e1, ErrCampaignSent) || errors.Is(e2, ErrCampaignSent)) {
			t.Fatalf("errors %v, %v", e1, e2)
		}
		if n := len(srv.Messages()); n != 5 {
			t.Fatalf("%d messages for 5 recipients", n)
		}
	})
	t.Run("a reminder sent once even when the run repeats", func(t *testing.T) {
		rf := newReminderFixture(t)
		sue := rf.users["sue"]
		errs := make(chan error, 2)
		for range 2 {
			go func() { _, err := sue.SendReminders(ctx, "", nil, mail.SMTP{}); errs <- err }()
		}
		if e1, e2 := <-errs, <-errs; e1 != nil || e2 != nil {
			t.Fatalf("errors %v %v", e1, e2)
		}
		if n := len(rf.srv.Messages()); n != 1 {
			t.Fatalf("%d messages for one consented customer", n)
		}
	})
	t.Run("the password does not follow the server", func(t *testing.T) {
		rf := newReminderFixture(t)
		mia := rf.users["mia"]
		ms := must[*MailSettings](t)(mia.MailSettings(ctx, ""))
		ms.Host, ms.Password = "smtp.attacker.test", ""
		if err := mia.SetMailSettings(ctx, "", *ms); err == nil || !strings.Contains(err.Error(), "password") {
			t.Fatalf("a new host kept the stored password: %v", err)
		}
	})
	t.Run("mail settings written by a salesperson's record are refused at use", func(t *testing.T) {
		rf := newReminderFixture(t)
		// A forged row (as a shop device could send it, its MAC valid) names the salesperson as
		// its author and points at the salesperson's own server.
		if err := rf.users["mia"].write(ctx, "test.forge", func(w *wtx) error {
			return w.update("shop_mail", rf.north, mailRowID(rf.north), []col{plain("set_by", rf.users["sue"].User().ID), plain("host", "smtp.attacker.test")})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := rf.users["sue"].SendReminders(ctx, "", nil, mail.SMTP{}); !errors.Is(err, ErrMailSetter) {
			t.Fatalf("a send went through settings a salesperson set: %v", err)
		}
		if len(rf.srv.Messages()) != 0 {
			t.Fatal("a message left")
		}
	})
	t.Run("a click withdraws even after a newer grant", func(t *testing.T) {
		rf := newReminderFixture(t)
		sue := rf.users["sue"]
		must[*SendReport](t)(sue.SendReminders(ctx, "", nil, mail.SMTP{}))
		hashes, _, _ := rf.st.UnsubscribeHashes(ctx, rf.north)
		g := ConsentEvent{Purpose: PurposeServiceReminders, Channel: ChannelEmail, Granted: true, Basis: BasisConsent, Source: SourceCounter, Notice: "2026-11"}
		must[string](t)(sue.RecordConsent(ctx, rf.cBea, g)) // a grant recorded after the click was made
		if n, err := rf.st.ApplyUnsubscribes(ctx, rf.north, []UnsubscribeClick{{Seq: 1, Hash: hashes[0], At: time.Now().Add(-time.Minute)}}); err != nil || n != 1 {
			t.Fatalf("apply %d %v", n, err)
		}
		if err := sue.AuthorizeSend(ctx, rf.cBea, PurposeServiceReminders, ChannelEmail); !errors.Is(err, ErrNoConsent) {
			t.Fatalf("the click did not take effect: %v", err)
		}
	})
	t.Run("a token row pointed at another customer decides nothing", func(t *testing.T) {
		rf := newReminderFixture(t)
		sue := rf.users["sue"]
		must[*SendReport](t)(sue.SendReminders(ctx, "", nil, mail.SMTP{}))
		hashes, _, _ := rf.st.UnsubscribeHashes(ctx, rf.north)
		// Another device's forgery: the real hash now names Dee (rewritten with a valid MAC,
		// as a set from a shop device would carry it).
		if err := rf.users["mia"].write(ctx, "test.forge", func(w *wtx) error {
			return w.update("unsubscribe_tokens", rf.north, unsubscribeRowID(hashes[0]), []col{plain("customer_id", rf.cNoMail)})
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := rf.st.ApplyUnsubscribes(ctx, rf.north, []UnsubscribeClick{{Seq: 1, Hash: hashes[0], At: time.Now()}, {Seq: 2, Hash: strings.Repeat("cd", 32), At: time.Now()}}); err != nil || n != 0 {
			t.Fatalf("apply %d %v", n, err)
		}
		if err := sue.AuthorizeSend(ctx, rf.cNoMail, PurposeServiceReminders, ChannelEmail); err != nil {
			t.Fatalf("the forged row withdrew another customer's consent: %v", err)
		}
		if cur, _ := rf.st.UnsubscribeCursor(ctx, rf.north); cur != 2 {
			t.Fatalf("the cursor stopped at %d: one bad row holds up the rest", cur)
		}
	})
	t.Run("a consent withdrawn while the batch goes out stops its message", func(t *testing.T) {
		rf := newReminderFixture(t)
		sue := rf.users["sue"]
		tr := withdrawFirst{SMTP: mail.SMTP{}, do: func() {
			w := ConsentEvent{Purpose: PurposeServiceReminders, Channel: ChannelEmail, Basis: BasisConsent, Source: SourcePhone, Notice: "2026-11"}
			must[string](t)(sue.RecordConsent(ctx, rf.cBea, w))
		}}
		rep, err := sue.SendReminders(ctx, "", nil, tr)
		if err != nil || rep.Sent != 0 || rep.NoConsent != 2 || len(rf.srv.Messages()) != 0 {
			t.Fatalf("report %+v %v, %d messages", rep, err, len(rf.srv.Messages()))
		}
	})
}

// withdrawFirst is the real SMTP transport with something happening as the send starts.
type withdrawFirst struct {
	mail.SMTP
	do func()
}

func (w withdrawFirst) Send(ctx context.Context, s mail.Settings, msgs []mail.Message) ([]error, error) {
	w.do()
	return w.SMTP.Send(ctx, s, msgs)
}
