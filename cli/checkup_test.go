package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spoke/compliance/checkup"
)

// TestCLICheckup: run, list, show (table, JSON, HTML in both languages), decide and settings,
// end to end; a changed setting appears in the next run; who may not is refused.
func TestCLICheckup(t *testing.T) {
	c := setupShop(t)
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")

	out := owner.ok("checkup", "run", "--as", "olga")
	if !strings.Contains(out, "Check-up ") || !strings.Contains(out, "backup_none:") || !strings.Contains(out, "not_connected") {
		t.Fatalf("run: %s", out)
	}
	var r checkup.Report
	if err := json.Unmarshal([]byte(owner.ok("checkup", "show", "--as", "olga", "--json")), &r); err != nil {
		t.Fatal(err)
	}
	var backupKey string
	for _, f := range r.Findings {
		if f.Kind == "backup_none" {
			backupKey = f.Key
		}
	}
	if backupKey == "" || r.Trigger != "manual" || r.RunBy != "olga" {
		t.Fatalf("show --json: %+v", r)
	}
	owner.ok("checkup", "decide", backupKey, "accepted", "--as", "olga", "--note", "backups go to the hub's machine")
	if code, _, errs := owner.run("checkup", "decide", "nope:1", "fixed", "--as", "olga"); code != 1 || !strings.Contains(errs, "not in the latest check-up") {
		t.Errorf("unknown key: %d %s", code, errs)
	}
	for _, bad := range [][]string{{"checkup"}, {"checkup", "frobnicate", "--as", "olga"}, {"checkup", "decide", backupKey, "ignored", "--as", "olga"},
		{"checkup", "show", "a", "b", "--as", "olga"}, {"checkup", "show", "--as", "olga", "--html", "x.html", "--json"}, {"checkup", "show", "--as", "olga", "--lang", "fr"}} {
		if code, _, _ := owner.run(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	now = now.Add(time.Minute)
	out = owner.ok("checkup", "settings", "--as", "olga", "--every-days", "30")
	if !strings.Contains(out, "every 30 days") || !strings.Contains(out, "for 14 days") {
		t.Errorf("settings: %s", out)
	}
	now = now.Add(time.Hour)
	out = owner.ok("checkup", "run", "--as", "olga")
	if !strings.Contains(out, "checkup.every_days changed from (not set) to 30 by olga") {
		t.Errorf("the changed setting is not a finding: %s", out)
	}
	if !strings.Contains(out, "accepted") {
		t.Errorf("the accepted finding is not listed as accepted: %s", out)
	}
	list := owner.ok("checkup", "list", "--as", "olga")
	if n := strings.Count(strings.TrimSpace(list), "\n"); n != 2 || !strings.Contains(list, "manual") {
		t.Errorf("list: %s", list)
	}
	// The first run's report, again, as HTML in both languages; an existing file is kept.
	dir := t.TempDir()
	for _, l := range []string{"en", "zh"} {
		p := filepath.Join(dir, "checkup-"+l+".html")
		owner.ok("checkup", "show", r.RunID, "--as", "olga", "--html", p, "--lang", l)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"en": "Security check-up", "zh": "安全检查"}[l]
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), r.RunID) || !strings.Contains(string(b), "backups go to the hub") {
			t.Errorf("%s html lacks its title, run or note", l)
		}
		if code, _, _ := owner.run("checkup", "show", r.RunID, "--as", "olga", "--html", p); code != 1 {
			t.Errorf("overwrote %s", p)
		}
	}
	// Owner only.
	for _, args := range [][]string{{"checkup", "run", "--as", "sam"}, {"checkup", "show", "--as", "sam"}, {"checkup", "list", "--as", "sam"}} {
		if code, _, errs := sam.run(args...); code != 1 || !strings.Contains(errs, "not allowed") {
			t.Errorf("%v: %d %s", args, code, errs)
		}
	}
	// The trail holds every run, read and decision, and no note.
	trail := owner.ok("audit", "--as", "olga", "--json", "--action", "checkup.")
	for _, a := range []string{`"checkup.run"`, `"checkup.read"`, `"checkup.decide"`, `"checkup.list"`} {
		if !strings.Contains(trail, a) {
			t.Errorf("trail lacks %s", a)
		}
	}
	if strings.Contains(c.as("aud", "sales-password-1").ok("audit", "--as", "aud", "--json"), "hub's machine") {
		t.Error("the note reached the auditor")
	}
}

// TestCLIPasswordPolicy: a password that fails the policy signs in, refuses every other
// command on this (unconnected) device until 'spoke user passwd' changes it; new passwords are
// held to the policy.
func TestCLIPasswordPolicy(t *testing.T) {
	c := setupShop(t)
	owner := c.as("olga", "owner-password-1")
	owner.vars["SPOKE_NEW_PASSWORD"] = "too-short1"
	if code, _, errs := owner.run("user", "add", "--as", "olga", "--username", "tim", "--role", "sales"); code != 1 || !strings.Contains(errs, "at least 12 characters") {
		t.Fatalf("short new password: %d %s", code, errs)
	}
	owner.vars["SPOKE_NEW_PASSWORD"] = "password1234"
	if code, _, errs := owner.run("user", "add", "--as", "olga", "--username", "tim", "--role", "sales"); code != 1 || !strings.Contains(errs, "common") {
		t.Fatalf("common new password: %d %s", code, errs)
	}
	sam := c.as("sam", "sales-password-1")
	sam.vars["SPOKE_NEW_PASSWORD"] = "short"
	if code, _, errs := sam.run("user", "passwd", "--as", "sam"); code != 1 || !strings.Contains(errs, "at least 12") {
		t.Fatalf("passwd to a short one: %d %s", code, errs)
	}
	sam.vars["SPOKE_NEW_PASSWORD"] = "sam's longer phrase"
	if out := sam.ok("user", "passwd", "--as", "sam"); !strings.Contains(out, "Changed the password of sam") {
		t.Fatalf("passwd: %s", out)
	}
	sam = c.as("sam", "sam's longer phrase")
	sam.ok("customers", "--as", "sam")
}
