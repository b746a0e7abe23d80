package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/mail/smtptest"
	"spoke/store"
)

// The counter's reminder flow from the command line: the mail server set (its password from a
// file, never echoed), the due list, a send that reaches the loopback SMTP server only for the
// consented customer, and the mistakes a user makes getting a clear usage error.
func TestCLIReminders(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email,phone\nAda Lovelace,ada@example.com,(415) 555-0101\nGrace Hopper,grace@example.com,(415) 555-0102\n")))
	ctx := context.Background()
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, "sam", "sales-password-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.BuildIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var ada string
	found, err := ss.Search(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range found {
		if _, err := ss.AddBike(ctx, x.ID, store.Bike{Make: "Surly", Model: "Straggler", SoldAt: time.Now().AddDate(0, 0, -40)}); err != nil {
			t.Fatal(err)
		}
		if x.Name == "Ada Lovelace" {
			ada = x.ID
		}
	}
	st.Close()
	sam.ok("consent", "grant", ada, "--as", "sam", "--purpose", "service_reminders", "--channel", "email", "--notice", "2026-11")

	srv := smtptest.Start(t, smtptest.Options{})
	ca := writeFile(t, "ca.pem", []byte(srv.CAPEM))
	pw := writeFile(t, "smtp-pw", []byte(srv.Password+"\n"))
	out := owner.ok("mail", "set", "--as", "olga", "--host", srv.Host, "--port", strconv.Itoa(srv.Port), "--from", "service@shop.test", "--from-name", "Spoke & Chain",
		"--user", srv.Username, "--smtp-password-file", pw, "--ca-file", ca, "--unsubscribe-url", "https://hub.shop.test")
	if !strings.Contains(out, "Mail server set") {
		t.Fatalf("mail set: %s", out)
	}
	if out := owner.ok("mail", "show", "--as", "olga"); strings.Contains(out, srv.Password) || !strings.Contains(out, "password stored: yes") || !strings.Contains(out, "one click") {
		t.Fatalf("mail show: %s", out)
	}
	owner.ok("mail", "test", "--as", "olga", "--to", "owner@shop.test")
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("test messages: %d", n)
	}
	due := sam.ok("reminders", "--as", "sam")
	if !strings.Contains(due, "Ada Lovelace") || !strings.Contains(due, "Grace Hopper") || !strings.Contains(due, "first_service") {
		t.Fatalf("due list: %s", due)
	}
	if out := sam.ok("reminders", "--send", "--as", "sam"); !strings.Contains(out, "Sent 1; not sent: 1 without consent") {
		t.Fatalf("send: %s", out)
	}
	got := srv.Messages()
	if len(got) != 2 || got[1].To[0] != "ada@example.com" {
		t.Fatalf("received %+v", got)
	}
	if due := sam.ok("reminders", "--as", "sam"); strings.Contains(due, "Ada Lovelace") || !strings.Contains(due, "Grace Hopper") {
		t.Fatalf("due after the send: %s", due)
	}
	if out := owner.ok("reminders", "rules", "--as", "olga"); !strings.Contains(out, "6 weeks") {
		t.Fatalf("rules: %s", out)
	}
	owner.ok("reminders", "rule", "first_service", "--as", "olga", "--every", "8", "--unit", "weeks")
	if due := sam.ok("reminders", "--as", "sam"); strings.Contains(due, "Grace Hopper") {
		t.Fatalf("due after the rule moved: %s", due)
	}
	for _, tc := range []struct {
		name string
		cli  *cliT
		args []string
		code int
		want string
	}{
		{"unknown subcommand", sam, []string{"reminders", "snd", "--as", "sam"}, 2, "unknown reminders command"},
		{"bad window", sam, []string{"reminders", "--as", "sam", "--within", "0"}, 2, "--within"},
		{"mark without outcome", sam, []string{"reminders", "mark", "--as", "sam", "x"}, 2, "usage"},
		{"a salesperson's rule", sam, []string{"reminders", "rule", "yearly_service", "--as", "sam", "--every", "6", "--unit", "months"}, 1, "not allowed"},
		{"a bad unit", owner, []string{"reminders", "rule", "yearly_service", "--as", "olga", "--every", "6", "--unit", "days"}, 1, "unit"},
		{"a malformed token", sam, []string{"reminders", "unsubscribe", "--as", "sam", "nope"}, 1, "43 characters"},
		{"mail without a subcommand", owner, []string{"mail", "--as", "olga"}, 2, "usage"},
		{"an auditor's mail settings", c.as("aud", "sales-password-1"), []string{"mail", "show", "--as", "aud"}, 1, "not allowed"},
		{"a plain-http unsubscribe address", owner, []string{"mail", "set", "--as", "olga", "--host", "h", "--from", "a@b.c", "--unsubscribe-url", "http://hub"}, 1, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := tc.cli.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	// Neither the SMTP password nor a customer's address is anywhere in the data folder's files
	// in clear (the database seals the one and the other).
	filepath.Walk(c.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, v := range []string{srv.Password, "ada@example.com"} {
			if strings.Contains(string(b), v) {
				t.Errorf("%s holds %q in clear", filepath.Base(p), v)
			}
		}
		return nil
	})
}

// The shop side of a campaign and a recall from the command line: marketing creates the
// campaign and never sees an address; the owner sends it and the recall notices through the
// loopback SMTP server.
func TestCLICampaignAndRecallSend(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	c.vars["SPOKE_NEW_PASSWORD"] = "sales-password-1"
	owner.ok("user", "add", "--as", "olga", "--username", "mark", "--role", "marketing")
	mark := c.as("mark", "sales-password-1")
	var csv strings.Builder
	csv.WriteString("name,email,phone,bike_make,bike_model\n")
	for i := range 6 {
		fmt.Fprintf(&csv, "Rider%d Lovelace,rider%d@example.com,(415) 555-01%02d,Cube,Stereo\n", i, i, i)
	}
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte(csv.String())))
	for _, m := range customersJSON(t, sam.ok("customers", "--as", "sam", "--json")) {
		sam.ok("consent", "grant", m["id"].(string), "--as", "sam", "--purpose", "email_marketing", "--notice", "2026-11")
	}
	srv := smtptest.Start(t, smtptest.Options{})
	owner.ok("mail", "set", "--as", "olga", "--host", srv.Host, "--port", strconv.Itoa(srv.Port), "--from", "news@shop.test", "--from-name", "Spoke & Chain",
		"--user", srv.Username, "--smtp-password-file", writeFile(t, "pw", []byte(srv.Password)), "--ca-file", writeFile(t, "ca.pem", []byte(srv.CAPEM)))
	out := mark.ok("campaign", "create", "--as", "mark", "--name", "Autumn", "--subject-en", "Hi {first_name}", "--body-en", "Autumn check at {shop}.")
	id := strings.Fields(out)[1] // "Campaign ID created; ..."
	if code, _, errs := mark.run("campaign", "send", "--as", "mark", id); code == 0 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("marketing sent: %d %s", code, errs)
	}
	if out := owner.ok("campaign", "send", "--as", "olga", id, "--shop", "Spoke & Chain"); !strings.Contains(out, "Sent 6;") {
		t.Fatalf("campaign send: %s", out)
	}
	if n := len(srv.Messages()); n != 6 {
		t.Fatalf("campaign messages: %d", n)
	}
	if out := mark.ok("campaign", "show", "--as", "mark", id); strings.Contains(out, "@example.com") || strings.Contains(out, "Lovelace") {
		t.Fatalf("marketing sees a personal value: %s", out)
	}
	rec := owner.ok("recall", "create", "--as", "olga", "--make", "Cube", "--model", "Stereo", "--reference", "C-9", "--title", "Fork", "--issued", "2026-11-30")
	rid := ""
	for _, f := range strings.Fields(rec) {
		if len(f) == 36 && strings.Count(f, "-") == 4 {
			rid = f
		}
	}
	if rid == "" {
		t.Fatalf("recall id in %q", rec)
	}
	if out := owner.ok("recall", "send", "--as", "olga", rid); !strings.Contains(out, "Sent 6 recall notice(s)") {
		t.Fatalf("recall send: %s", out)
	}
	if n := len(srv.Messages()); n != 12 {
		t.Fatalf("messages after the recall: %d", n)
	}
}
