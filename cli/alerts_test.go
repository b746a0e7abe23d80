package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"spoke/crypto/keys"
	"spoke/store"
)

// TestCLIAlerts: a manager's twelve deletions become a bulk-delete alert that spoke alerts
// lists with its reasons; the auditor sees it without the note; the owner confirms it with a
// note; the effectiveness follows; a salesperson sees nothing; usage errors exit 2.
func TestCLIAlerts(t *testing.T) {
	ctx := context.Background()
	c := setupShop(t)
	c.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, "mia", "sales-password-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		id, err := ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i)})
		if err == nil {
			err = ss.DeleteCustomer(ctx, id)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	owner, aud, sam := c.as("olga", "owner-password-1"), c.as("aud", "sales-password-1"), c.as("sam", "sales-password-1")
	out := owner.ok("alerts", "--as", "olga")
	if !strings.Contains(out, "bulk_delete") || !strings.Contains(out, "deleted 11 customers") || !strings.Contains(out, "no alert decided yet") {
		t.Fatalf("alerts: %s", out)
	}
	var a store.AlertRecord
	line := strings.SplitN(owner.ok("alerts", "--as", "olga", "--json"), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &a); err != nil || a.Kind != "bulk_delete" {
		t.Fatalf("json %q: %v", line, err)
	}
	owner.ok("alerts", "confirm", a.ID, "--as", "olga", "--note", "cleared out old records, not real")
	if out := owner.ok("alerts", "--as", "olga"); strings.Contains(out, a.ID) {
		t.Fatalf("a decided alert is listed without --all: %s", out)
	}
	if out := owner.ok("alerts", "--as", "olga", "--all"); !strings.Contains(out, "confirmed") || !strings.Contains(out, "Effectiveness: 100% (1 confirmed, 0 dismissed); bulk_delete 100% (1/1)") {
		t.Fatalf("all: %s", out)
	}
	if out := owner.ok("alerts", "--as", "olga", "--all", "--json"); !strings.Contains(out, "cleared out old records") {
		t.Fatalf("the owner does not get the note: %s", out)
	}
	if out := aud.ok("alerts", "--as", "aud", "--all", "--json"); !strings.Contains(out, a.ID) || strings.Contains(out, "cleared out") || !strings.Contains(out, `"note_hidden":true`) {
		t.Fatalf("auditor: %s", out)
	}
	if code, _, _ := sam.run("alerts", "--as", "sam"); code != 1 {
		t.Fatalf("a salesperson lists alerts: exit %d", code)
	}
	if code, _, _ := aud.run("alerts", "dismiss", a.ID, "--as", "aud"); code != 1 {
		t.Fatalf("the auditor decides: exit %d", code)
	}
	if out := owner.ok("alerts", "settings", "--as", "olga", "--mode", "suspend", "--score", "85"); !strings.Contains(out, "suspend; critical from score 85") {
		t.Fatalf("settings: %s", out)
	}
	shops := writeFile(t, "shops.json", []byte(`[{"shop_id": "s1", "tz": "Europe/Berlin", "open": {"mon": ["09:00", "18:30"]}}]`))
	if out := owner.ok("alerts", "settings", "--as", "olga", "--shops", shops); !strings.Contains(out, "Opening hours saved") {
		t.Fatalf("hours: %s", out)
	}
	bad := writeFile(t, "bad.json", []byte(`[{"shop_id": "s1", "tz": "Mars/Olympus"}]`))
	if code, _, errs := owner.run("alerts", "settings", "--as", "olga", "--shops", bad); code != 1 || !strings.Contains(errs, "shops") {
		t.Fatalf("bad hours: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"alerts", "bogus", "--as", "olga"},
		{"alerts", "confirm", "--as", "olga"},
		{"alerts", "settings", "--as", "olga"},
		{"alerts", "dismiss", a.ID, "--as", "olga", "--suspend"},
	} {
		if code, _, _ := owner.run(args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := owner.run("alerts", "settings", "--as", "olga", "--mode", "block"); code == 0 {
		t.Fatal("an unknown mode was taken")
	}
}
