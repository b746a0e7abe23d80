package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/store"
)

// TestCLICampaign: marketing counts an audience, is refused a differencing attempt on the
// planted customer, creates a campaign and sees its counts; the manager resolves the
// recipients (count and ids) and records the send; marketing cannot resolve them. Nothing
// marketing's commands print, and no file of the data dir, holds a planted personal value.
func TestCLICampaign(t *testing.T) {
	ctx := context.Background()
	c := setupShop(t)
	c.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "marketing")
	c.ok("user", "add", "--as", "olga", "--username", "max", "--role", "manager")
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	consent := store.ConsentEvent{Purpose: store.PurposeEmailMarketing, Channel: store.ChannelEmail, Granted: true, Source: store.SourceCounter, Notice: "2026-11"}
	add := func(in store.CustomerInput, make, serial string) {
		id, err := owner.CreateCustomer(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		must(owner.AddBike(ctx, id, store.Bike{Make: make, Model: "X", Type: "road", Serial: serial}))
		must(owner.RecordSale(ctx, store.SaleInput{CustomerID: id, PaymentMethod: "card", SoldAt: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC),
			Lines: []store.Line{{Kind: "part", Description: "bike", Qty: 1, UnitPrice: 120000}}}))
		must(owner.RecordConsent(ctx, id, consent))
	}
	for i := range 12 {
		add(store.CustomerInput{Name: fmt.Sprintf("Rider %d", i)}, "Trek", "")
	}
	// The target: a unique make, and every planted value of leak_test.go.
	add(store.CustomerInput{Name: plants[0], Email: plants[5], Phone: "+1 415 555 0177", Address: plants[12], Notes: plants[14]}, "Moots", plants[17])
	st.Close()
	mia, max := c.as("mia", "sales-password-1"), c.as("max", "sales-password-1")
	var printed []string
	miaOK := func(args ...string) string {
		t.Helper()
		out := mia.ok(args...)
		printed = append(printed, out)
		return out
	}
	out := miaOK("campaign", "count", "--as", "mia", "--make", "trek", "--bought-from", "2026-03-01", "--bought-to", "2026-03-31")
	if !strings.Contains(out, "Total\t12") || !strings.Contains(out, "Spoke & Chain\t12") {
		t.Fatalf("count: %s", out)
	}
	// Adding the one Moots customer: the earlier counts again, however much she spent.
	out = miaOK("campaign", "count", "--as", "mia", "--make", "trek", "--make", "moots", "--bought-from", "2026-03-01", "--bought-to", "2026-03-31")
	if !strings.Contains(out, "Total\t12") || !strings.Contains(out, "Fewer than 5 customers apart from an audience you built on") {
		t.Fatalf("differencing: %s", out)
	}
	out = miaOK("campaign", "count", "--as", "mia", "--make", "moots", "--json")
	if !strings.Contains(out, `"total":-1`) || !strings.Contains(out, `"total_suppressed":true`) {
		t.Fatalf("a count of one: %s", out)
	}
	out = miaOK("campaign", "create", "--as", "mia", "--name", "Spring Treks", "--make", "trek", "--bought-from", "2026-03-01", "--bought-to", "2026-03-31",
		"--subject-en", "Hello {first_name}", "--body-en", "Spring check at {shop}.", "--subject-zh", "{first_name}，您好", "--body-zh", "{shop}春季检修。")
	id := strings.Fields(strings.TrimPrefix(out, "Campaign "))[0]
	out = miaOK("campaign", "list", "--as", "mia")
	if !strings.Contains(out, "Spring Treks") || !strings.Contains(out, "Spoke & Chain:12") {
		t.Fatalf("list: %s", out)
	}
	// Marketing never gets recipients.
	if code, _, stderr := mia.run("campaign", "recipients", id, "--as", "mia"); code == 0 || !strings.Contains(stderr, "not allowed") && !strings.Contains(stderr, "permission") {
		t.Fatalf("marketing's recipients: %d %s", code, stderr)
	}
	out = max.ok("campaign", "recipients", "--as", "max", id)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "12 recipients" || len(lines) != 13 {
		t.Fatalf("recipients: %s", out)
	}
	max.ok("campaign", "sent", id, "--as", "max", "--sent", "11", "--skipped", "1")
	out = miaOK("campaign", "show", "--as", "mia", id)
	if !strings.Contains(out, "Spring Treks") || !strings.Contains(out, "11") || !strings.Contains(out, "<5") || !strings.Contains(out, "max") {
		t.Fatalf("show after the send: %s", out)
	}
	for _, args := range [][]string{{"campaign"}, {"campaign", "show", "--as", "mia"}, {"campaign", "frobnicate", "--as", "mia"},
		{"campaign", "sent", id, "--as", "max", "--sent", "3"}, {"campaign", "count", "--as", "mia", "--spend-min", "1.234"}} {
		if code, _, _ := mia.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	all := strings.Join(printed, "\n")
	for _, p := range plants {
		if strings.Contains(all, p) {
			t.Errorf("marketing's output holds a planted value")
		}
	}
	scanDir(t, c.dir, plants)
}
