package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/store"
)

// TestCLIReviewAndLeaver: the permission review from the command line (status, start, decide,
// complete, a manager's proposal) and the leaver's steps (leaving date, report, reassignment,
// at once), with usage errors for mistyped commands.
func TestCLIReviewAndLeaver(t *testing.T) {
	c := setupShop(t)
	clock := time.Now()
	c.now = func() time.Time { return clock }
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	c.vars["SPOKE_NEW_PASSWORD"] = "sales-password-1"
	owner.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email\nAda Lovelace,ada@example.com\nBob Byron,bob@example.com\n")))

	// Overdue after 91 days; the preview shows flags before the review starts.
	clock = clock.Add(91 * 24 * time.Hour)
	c.now = func() time.Time { return clock }
	owner, sam = c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	sue, mia := c.as("sue", "sales-password-1"), c.as("mia", "sales-password-1")
	if out := owner.ok("review", "--as", "olga"); !strings.Contains(out, "OVERDUE") || !strings.Contains(out, "dormant") {
		t.Fatalf("status: %s", out)
	}
	mia.ok("review", "propose", "sue", "leave", "--as", "mia", "--date", clock.Add(10*24*time.Hour).Format("2006-01-02"))
	owner.ok("review", "start", "--as", "olga")
	var got struct {
		Status struct{ Overdue bool } `json:"status"`
		Review struct {
			Accounts []struct {
				Username  string   `json:"username"`
				Flags     []string `json:"flags"`
				Proposals []struct {
					ID string `json:"id"`
				} `json:"proposals"`
			} `json:"accounts"`
		} `json:"review"`
	}
	if err := json.Unmarshal([]byte(owner.ok("review", "--as", "olga", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	prop := ""
	for _, a := range got.Review.Accounts {
		if a.Username == "sue" && len(a.Proposals) == 1 {
			prop = a.Proposals[0].ID
		}
	}
	if prop == "" {
		t.Fatalf("no proposal for sue: %+v", got)
	}
	owner.ok("review", "confirm", prop, "--as", "olga")
	for _, u := range []string{"olga", "sam", "mia", "aud"} {
		owner.ok("review", "decide", u, "certify", "--as", "olga")
	}
	if code, _, errs := owner.run("review", "complete", "--as", "olga"); code != 0 {
		t.Fatalf("complete: %d %s", code, errs)
	}
	if out := owner.ok("review", "--as", "olga"); strings.Contains(out, "OVERDUE") {
		t.Fatalf("still overdue: %s", out)
	}

	// The leaver: report, reassignment, at once. (91 days on, sam's security training is long
	// overdue: it would close the customers to him.)
	owner.ok("training", "settings", "--as", "olga", "--enforce", "off")
	sam.ok("customers", "--as", "sam")
	if out := owner.ok("staff", "leavers", "--as", "olga"); !strings.Contains(out, "sue") {
		t.Fatalf("leavers: %s", out)
	}
	owner.ok("staff", "leave", "sam", "--as", "olga", "--date", clock.Add(5*24*time.Hour).Format("2006-01-02"))
	if out := owner.ok("staff", "report", "sam", "--as", "olga"); !strings.Contains(out, "Customers still owned: 2") {
		t.Fatalf("report: %s", out)
	}
	if out := owner.ok("staff", "reassign", "sam", "--to", "mia", "--as", "olga"); !strings.Contains(out, "Moved 2 customer(s)") {
		t.Fatalf("reassign: %s", out)
	}
	owner.ok("staff", "leave", "sam", "--now", "--as", "olga")
	if code, _, errs := sam.run("customers", "--as", "sam"); code == 0 || !strings.Contains(errs, "deactivated") {
		t.Fatalf("sam after leaving at once: %d %s", code, errs)
	}

	for _, tc := range []struct {
		name string
		cli  *cliT
		args []string
		code int
		want string
	}{
		{"mistyped", owner, []string{"review", "strat", "--as", "olga"}, 2, "unknown subcommand"},
		{"no decision", owner, []string{"review", "decide", "sam", "--as", "olga"}, 2, "usage"},
		{"change without roles", owner, []string{"review", "decide", "mia", "change", "--as", "olga"}, 2, "--roles"},
		{"bad decision", owner, []string{"review", "decide", "mia", "approve", "--as", "olga"}, 1, "decision"},
		{"sales starts", sue, []string{"review", "start", "--as", "sue"}, 1, "not allowed"},
		{"leave twice over", owner, []string{"staff", "leave", "sue", "--now", "--clear", "--as", "olga"}, 2, "exactly one"},
		{"manager sets date", mia, []string{"staff", "leave", "sue", "--date", "2031-01-01", "--as", "mia"}, 1, "not allowed"},
		{"no staff sub", owner, []string{"staff", "--as", "olga"}, 2, "usage"},
		{"reassign without to", owner, []string{"staff", "reassign", "sue", "--as", "olga"}, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := tc.cli.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// TestCLIAuditIntoDetect: the trail a real database writes, printed by spoke audit --json
// (role, shop_id and grant on every line), is what spoke detect reads: a manager deleting
// twelve customers in a row is one bulk-delete alert naming her, with the numbers.
func TestCLIAuditIntoDetect(t *testing.T) {
	c := setupShop(t)
	owner := c.as("olga", "owner-password-1")
	c.vars["SPOKE_NEW_PASSWORD"] = "sales-password-1"
	owner.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	mia := c.as("mia", "sales-password-1")
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&csv, "Person %c%c,p%d@example.com\n", 'A'+i, 'a'+i, i)
	}
	mia.ok("import", "--as", "mia", writeFile(t, "in.csv", []byte(csv.String())))
	// (Deleting is not a CLI command yet: the manager's screen does it through the store.)
	ctx := context.Background()
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, "mia", "sales-password-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range customersJSON(t, mia.ok("customers", "--as", "mia", "--json")) {
		if err := ss.DeleteCustomer(ctx, cu["id"].(string)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	trail := owner.ok("audit", "--as", "olga", "--json", "--limit", "1000")
	for _, l := range strings.Split(strings.TrimSpace(trail), "\n") {
		if !strings.Contains(l, `"role":`) || !strings.Contains(l, `"shop_id":`) {
			t.Fatalf("a line without role or shop_id: %s", l)
		}
		if strings.Contains(l, `"customer.delete"`) && (!strings.Contains(l, `"role":"manager"`) || !strings.Contains(l, `"grant":"shop"`)) {
			t.Fatalf("a deletion without the manager's role and grant: %s", l)
		}
	}
	code, out, errs := detectCLI(t, "", "--events", writeFile(t, "trail.jsonl", []byte(trail)), "--json")
	if code != 0 {
		t.Fatalf("detect: %d %s", code, errs)
	}
	found := false
	for _, a := range alertsOf(t, out) {
		if a.Username == "mia" && a.Kind == "bulk_delete" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no bulk-delete alert for mia: %s", out)
	}
}
