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
	hashes, _, err := c.st.UnsubscribeHashes(ctx, c.north, 100)
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
