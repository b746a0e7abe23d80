package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"spoke/mail"
	"spoke/mail/smtptest"
	"spoke/store"
)

// TestOneClickUnsubscribeThroughHub: a reminder leaves the owner's device through the loopback
// SMTP server with a one-click link; the device registers the token's hash at the real hub;
// the recipient's mail client POSTs to the hub's public route (no client certificate); the
// shop's counter pulls the click and records the withdrawal, which reaches the owner's device
// as consent history. The hub never holds the token.
func TestOneClickUnsubscribeThroughHub(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	c := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ines Quill", Email: "ines@example.net", ShopID: north}))
	must[string](t)(owner.AddBike(ctx, c, store.Bike{Make: "Giant", Model: "Talon", SoldAt: time.Now().AddDate(0, 0, -41)}))
	must[string](t)(owner.RecordConsent(ctx, c, store.ConsentEvent{Purpose: store.PurposeServiceReminders, Channel: store.ChannelEmail, Granted: true,
		Basis: store.BasisConsent, Source: store.SourceCounter, Notice: "2026-11"}))
	srv := smtptest.Start(t, smtptest.Options{})
	if err := owner.SetMailSettings(ctx, north, store.MailSettings{Settings: mail.Settings{Host: srv.Host, Port: srv.Port, Username: srv.Username,
		Password: srv.Password, From: "service@north.test", FromName: "North", CACertPEM: srv.CAPEM}, UnsubscribeBase: "https://hub.north.test"}); err != nil {
		t.Fatal(err)
	}
	rep := must[*store.SendReport](t)(owner.SendReminders(ctx, north, nil, mail.SMTP{}))
	if rep.Sent != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("send %+v", rep)
	}
	m := regexp.MustCompile(`https://hub\.north\.test/u/([A-Za-z0-9_-]{43})`).FindStringSubmatch(string(srv.Messages()[0].Data))
	if m == nil {
		t.Fatal("no one-click link")
	}
	token := m[1]
	if r := a.sync(t); r.UnsubscribeErr != "" {
		t.Fatalf("relay: %s", r.UnsubscribeErr)
	}
	counter := join(t, a, owner, north)
	counter.sync(t)

	pub := httptest.NewServer(h.srv.PublicHandler())
	defer pub.Close()
	// A mail scanner's GET changes nothing; the one-click POST is recorded.
	if resp, err := http.Get(pub.URL + "/u/" + token); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	if r := counter.sync(t); r.Unsubscribes != 0 {
		t.Fatalf("a GET unsubscribed: %+v", r)
	}
	resp, err := http.Post(pub.URL+"/u/"+token, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST: %v %v", resp, err)
	}
	if r := counter.sync(t); r.Unsubscribes != 1 || r.UnsubscribeErr != "" {
		t.Fatalf("counter round: %+v", r)
	}
	if r := a.sync(t); r.Unsubscribes != 0 {
		t.Fatalf("the owner's device recorded the click again: %+v", r)
	}
	if err := owner.AuthorizeSend(ctx, c, store.PurposeServiceReminders, store.ChannelEmail); !errors.Is(err, store.ErrNoConsent) {
		t.Fatalf("the owner's device still sends: %v", err)
	}
	hist := must[[]store.ConsentEvent](t)(owner.ConsentHistory(ctx, c))
	if len(hist) != 2 || hist[0].Source != store.SourceUnsubscribe || hist[0].Granted {
		t.Fatalf("history %+v", hist)
	}
	// A second click (a replay) adds nothing anywhere.
	if resp, err := http.Post(pub.URL+"/u/"+token, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("replay: %v %v", resp, err)
	}
	if r := counter.sync(t); r.Unsubscribes != 0 {
		t.Fatalf("a replayed click: %+v", r)
	}
	if n := len(must[[]store.ConsentEvent](t)(owner.ConsentHistory(ctx, c))); n != 2 {
		t.Fatalf("events after the replay: %d", n)
	}
}
