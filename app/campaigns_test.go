package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// Planted personal values of the campaign test's target customer.
var campaignPlants = []string{"Zebulon Quixote-Campaignson", "Quixote-Campaignson", "zebulon.campaign@example.org", "4155550166", "CAMPAIGN-SERIAL-7731"}

// TestCampaignsGUI: marketing builds an audience on the Campaigns screen (live counts, "<5"
// for small groups, a differencing attempt refused), creates a campaign and sees it with
// per-shop counts; no screen it sees and no file of the data dir holds a planted personal
// value. The shop's manager then sees it pending and resolves the recipients as a number.
func TestCampaignsGUI(t *testing.T) {
	ctx := context.Background()
	h := newDemoApp(t)
	a := h.a
	mgr := h.staff("manager", "")
	shopKey := mgr.ShopKey
	var shopName string
	for _, sh := range h.chain.Shops {
		if sh.Key == shopKey {
			shopName = sh.Name
		}
	}
	h.signInAs("owner", "")
	ss := a.ss
	var shopID string
	for _, sh := range a.shops {
		if sh.Name == shopName {
			shopID = sh.ID
		}
	}
	consent := store.ConsentEvent{Purpose: store.PurposeEmailMarketing, Channel: store.ChannelEmail, Granted: true, Source: store.SourceCounter, Notice: "2026-11"}
	add := func(in store.CustomerInput, make, serial string) {
		in.ShopID = shopID
		id, err := ss.CreateCustomer(ctx, in)
		if err == nil {
			_, err = ss.AddBike(ctx, id, store.Bike{Make: make, Model: "X", Type: "road", Serial: serial})
		}
		if err == nil {
			_, err = ss.RecordConsent(ctx, id, consent)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		add(store.CustomerInput{Name: fmt.Sprintf("Moulton Rider %d", i), Email: fmt.Sprintf("moulton%d@example.net", i)}, "Moultonia", "")
	}
	add(store.CustomerInput{Name: campaignPlants[0], Email: campaignPlants[2], Phone: "+1 415 555 0166"}, "Mootsia", campaignPlants[4])
	a.SwitchUser()
	a.Wait()

	h.signInAs("marketing", "")
	if a.Shell.Campaigns == nil {
		t.Fatal("marketing has no Campaigns screen")
	}
	a.Shell.Show(tabCampaigns)
	a.Wait()
	s := a.Shell.Campaigns
	var seen []string
	look := func() { seen = append(seen, screenText(a)) }
	s.Makes.SetText("moultonia")
	test.Tap(s.CountBtn)
	a.Wait()
	look()
	if s.Counted == nil || s.Counted.Total != 7 || !strings.Contains(s.Counts.Text, "Total: 7") {
		t.Fatalf("count: %q %q", s.Counts.Text, s.Error.Text)
	}
	// Live: ticking a bike type recounts (the same customers: the same counts).
	s.Types.SetSelected([]string{"road"})
	a.Wait()
	if s.Counted == nil || s.Counted.Total != 7 || s.Error.Text != "" {
		t.Fatalf("live count: %q %q", s.Counts.Text, s.Error.Text)
	}
	s.Makes.SetText("mootsia")
	test.Tap(s.CountBtn)
	a.Wait()
	look()
	if !strings.Contains(s.Counts.Text, "Total: <5") {
		t.Fatalf("one customer: %q", s.Counts.Text)
	}
	s.Makes.SetText("moultonia, mootsia")
	test.Tap(s.CountBtn)
	a.Wait()
	look()
	if s.Counted == nil || s.Counted.Total != 7 || !strings.Contains(s.Counts.Text, "Fewer than 5 customers apart") {
		t.Fatalf("differencing: %q %q", s.Counts.Text, s.Error.Text)
	}
	s.Makes.SetText("moultonia")
	s.Name.SetText("Moultonia owners")
	s.SubjectEN.SetText("Hello {first_name}")
	s.BodyEN.SetText("News from {shop}.")
	test.Tap(s.Create)
	a.Wait()
	look()
	aud := int64(0)
	for _, sh := range s.Campaigns[0].Shops {
		if sh.ShopID == shopID {
			aud = sh.Audience
		}
	}
	if !strings.Contains(s.Result.Text, "Campaign created") || len(s.Campaigns) != 1 || aud != 7 {
		t.Fatalf("create: %q %q %+v", s.Result.Text, s.Error.Text, s.Campaigns)
	}
	s.Select(s.Campaigns[0].ID)
	look()
	if !s.Recipients.Disabled() {
		t.Fatal("marketing may resolve recipients")
	}
	all := strings.Join(seen, "\n")
	for _, p := range campaignPlants {
		if strings.Contains(all, p) {
			t.Fatalf("marketing's screen shows a planted value")
		}
	}
	filepath.Walk(h.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, v := range campaignPlants {
			if strings.Contains(string(b), v) {
				t.Errorf("a planted value in clear in %s", filepath.Base(p))
			}
		}
		return nil
	})
	id := s.Campaigns[0].ID
	a.SwitchUser()
	a.Wait()

	h.signIn(mgr.Username, mgr.Password)
	a.Shell.Show(tabCampaigns)
	a.Wait()
	s = a.Shell.Campaigns
	s.Select(id)
	if s.Recipients.Disabled() {
		t.Fatal("the manager cannot resolve recipients")
	}
	test.Tap(s.Recipients)
	a.Wait()
	if !strings.Contains(s.Result.Text, "7 customers of "+shopName) {
		t.Fatalf("recipients: %q %q", s.Result.Text, s.Error.Text)
	}
	// Send: through the shop's mail server (loopback, TLS), to the 7, once.
	srv := startMail(t, a.Session(), "")
	if s.Send.Disabled() {
		t.Fatal("the manager cannot send")
	}
	test.Tap(s.Send)
	a.Wait()
	if got := srv.Messages(); len(got) != 7 || !strings.Contains(s.Result.Text, "Sent 7") {
		t.Fatalf("send: %d messages, %q %q", len(got), s.Result.Text, s.ListError.Text)
	}
	if strings.Contains(screenText(a), "moulton0@example.net") {
		t.Fatal("an address is on screen")
	}
}
