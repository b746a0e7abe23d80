package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// movableClock is a wall clock a test moves forward, shared by every command of a test.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *movableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestCLIRevokeStolenOpensIncident: revoking a shop's device as stolen opens an incident that
// counts the shop's customers on it, runs the 72-hour clock from the discovery time given, is
// listed with the time left (then OVERDUE), and only the owner records the decision.
func TestCLIRevokeStolenOpensIncident(t *testing.T) {
	code, _ := startHub(t)
	clk := &movableClock{now: time.Now().Truncate(time.Minute)}
	shop := setupShop(t)
	shop.now = clk.Now
	owner := shop.as("olga", "owner-password-1")
	sam := shop.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email\nAda Lovelace,ada@example.com\nGrace Hopper,grace@example.com\nKatherine Johnson,kj@example.com\n")))
	shop.vars["SPOKE_NEW_PASSWORD"] = "manager-password-1"
	shop.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	owner.ok("connect", "--as", "olga", "--code", code)
	addCode := strings.TrimSpace(owner.ok("devices", "add", "--as", "olga", "--shop", "Spoke & Chain"))
	desk := &cliT{t: t, dir: filepath.Join(t.TempDir(), "desk"), now: clk.Now, vars: map[string]string{"SPOKE_PASSPHRASE": "desk passphrase", "SPOKE_PASSWORD": "owner-password-1"}}
	desk.ok("connect", "--code", addCode)
	deskID := ""
	for _, l := range strings.Split(owner.ok("devices", "--as", "olga"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == "shop" {
			deskID = f[0]
		}
	}
	if deskID == "" {
		t.Fatal("the shop device is not listed")
	}
	discovered := clk.Now().Add(-2 * time.Hour)
	if c, _, _ := owner.run("devices", "revoke", "--as", "olga", deskID, "--lost", "--stolen"); c != 2 {
		t.Fatalf("--lost and --stolen together: exit %d", c)
	}
	if c, _, _ := owner.run("devices", "--as", "olga", "--stolen"); c != 2 {
		t.Fatalf("--stolen without revoke: exit %d", c)
	}
	out := owner.ok("devices", "revoke", "--as", "olga", deskID, "--stolen", "--discovered", discovered.Local().Format("2006-01-02 15:04"))
	if !strings.Contains(out, "Revoked "+deskID) || !strings.Contains(out, "Opened incident") || !strings.Contains(out, "3 customer(s) in 1 shop(s)") ||
		!strings.Contains(out, discovered.Add(72*time.Hour).Local().Format("2006-01-02 15:04")) {
		t.Fatalf("revoke --stolen:\n%s", out)
	}
	var inc struct {
		ID          string         `json:"id"`
		Kind        string         `json:"kind"`
		DeviceID    string         `json:"device_id"`
		Customers   map[string]int `json:"customers"`
		Protection  []string       `json:"protection"`
		Discovered  time.Time      `json:"discovered_at"`
		NotifyDueAt time.Time      `json:"notify_due_at"`
		Decision    string         `json:"decision"`
	}
	if err := json.Unmarshal([]byte(owner.ok("incidents", "--as", "olga", "--json")), &inc); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range inc.Customers {
		total += n
	}
	if inc.Kind != "device_stolen" || inc.DeviceID != deskID || len(inc.Customers) != 1 || total != 3 || !inc.Discovered.Equal(discovered) ||
		!inc.NotifyDueAt.Equal(discovered.Add(72*time.Hour)) || inc.Decision != "undecided" ||
		!strings.HasPrefix(strings.Join(inc.Protection, ","), "sealed_per_customer_keys,master_key_keychain_or_passphrase,hub_access_revoked,scope_keys_rotated_to_v") {
		t.Fatalf("the incident: %+v", inc)
	}
	if out := owner.ok("incidents", "--as", "olga"); !strings.Contains(out, "70h00m left") || !strings.Contains(out, "device_stolen") {
		t.Fatalf("incidents:\n%s", out)
	}
	clk.Advance(71 * time.Hour)
	if out := owner.ok("incidents", "--as", "olga"); !strings.Contains(out, "OVERDUE by 1h00m") {
		t.Fatalf("incidents past 72 hours:\n%s", out)
	}
	mia := shop.as("mia", "manager-password-1")
	if c, _, errs := mia.run("incidents", "decide", "--as", "mia", inc.ID, "--decision", "no_notification", "--reason", "unlikely_risk_encrypted"); c != 1 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("a manager decided: exit %d %s", c, errs)
	}
	if c, _, _ := mia.run("incidents", "--as", "mia"); c != 1 {
		t.Fatal("a manager listed the register")
	}
	if c, _, _ := owner.run("incidents", "decide", "--as", "olga", inc.ID, "--decision", "no_notification"); c != 2 {
		t.Fatal("decide without --reason is a usage error")
	}
	if c, _, errs := owner.run("incidents", "decide", "--as", "olga", inc.ID, "--decision", "no_notification", "--reason", "risk_to_rights"); c != 1 || !strings.Contains(errs, "reason") {
		t.Fatalf("a contradictory reason: exit %d %s", c, errs)
	}
	owner.ok("incidents", "decide", "--as", "olga", inc.ID, "--decision", "no_notification", "--reason", "unlikely_risk_encrypted")
	if out := owner.ok("incidents", "--as", "olga"); !strings.Contains(out, "decided late") || !strings.Contains(out, "no_notification (unlikely_risk_encrypted)") {
		t.Fatalf("after the decision:\n%s", out)
	}
	// The trail names the incident and counts, never a customer.
	trail := owner.ok("audit", "--as", "olga", "--json")
	if !strings.Contains(trail, "incident.open") || !strings.Contains(trail, "incident.decide") {
		t.Fatalf("trail lacks the incident entries")
	}
	for _, l := range strings.Split(trail, "\n") {
		if strings.Contains(l, "incident.") && (strings.Contains(l, "Ada") || strings.Contains(l, "example.com")) {
			t.Fatalf("a personal value in %s", l)
		}
	}
}

// TestCLIRetention: the owner sets the policy (floors refused), a manager existed so it waits
// for them; the setter cannot approve; the manager does; a dry run previews, the run reports
// the erasure it could not do (exit 1, never silent success); usage errors exit 2.
func TestCLIRetention(t *testing.T) {
	clk := &movableClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local)}
	shop := newCLI(t)
	shop.now = clk.Now
	shop.vars["SPOKE_PASSWORD"] = "owner-password-1"
	shop.ok("init", "--shop", "Spoke & Chain", "--owner", "olga", "--region", "US")
	shop.vars["SPOKE_NEW_PASSWORD"] = "manager-password-1"
	shop.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	owner, mia := shop.as("olga", "owner-password-1"), shop.as("mia", "manager-password-1")
	owner.ok("import", "--as", "olga", writeFile(t, "in.csv", []byte("name\nAda Lovelace\nGrace Hopper\n")))

	if out := owner.ok("retention", "--as", "olga"); !strings.Contains(out, "No retention policy") {
		t.Fatalf("show before set: %s", out)
	}
	for _, bad := range [][]string{{"retention", "show", "extra"}, {"retention", "run", "--inactive-years", "3"}, {"retention", "show", "--dry-run"}} {
		if c, _, _ := owner.run(append(bad, "--as", "olga")...); c != 2 {
			t.Fatalf("%v: exit %d", bad, c)
		}
	}
	if c, _, errs := owner.run("retention", "set", "--as", "olga", "--request-log-months", "12"); c != 1 || !strings.Contains(errs, "request_log_months") {
		t.Fatalf("a request log under 24 months: exit %d %s", c, errs)
	}
	if c, _, errs := owner.run("retention", "set", "--as", "olga", "--assessment-years", "2"); c != 1 || !strings.Contains(errs, "assessment_years") {
		t.Fatalf("assessments under 3 years: exit %d %s", c, errs)
	}
	if c, _, _ := mia.run("retention", "set", "--as", "mia"); c != 1 {
		t.Fatal("a manager set the policy")
	}
	out := owner.ok("retention", "set", "--as", "olga", "--inactive-years", "5", "--reason-months", "6")
	if !strings.Contains(out, "Set retention policy") || !strings.Contains(out, "waits for approval by its manager") {
		t.Fatalf("set: %s", out)
	}
	if c, _, errs := owner.run("retention", "approve", "--as", "olga"); c != 1 || !strings.Contains(errs, "second person") {
		t.Fatalf("the setter approved: exit %d %s", c, errs)
	}
	clk.Advance(6 * 366 * 24 * time.Hour)
	out = owner.ok("retention", "run", "--as", "olga")
	if !strings.Contains(out, "waits for approval: preview only") {
		t.Fatalf("a run before approval: %s", out)
	}
	if out := mia.ok("retention", "approve", "--as", "mia"); !strings.Contains(out, "approved by its manager") {
		t.Fatalf("approve: %s", out)
	}
	out = owner.ok("retention", "run", "--as", "olga", "--dry-run")
	if !strings.Contains(out, "customers inactive 5 years") || !strings.Contains(out, "anonymised (at the next run)") || !strings.Contains(out, "inactive: ") ||
		!strings.Contains(out, "never deleted, the chain must stay whole") {
		t.Fatalf("dry run: %s", out)
	}
	if out := mia.ok("retention", "show", "--as", "mia"); strings.Contains(out, "inactive: ") || !strings.Contains(out, "customers inactive 5 years") {
		t.Fatalf("a manager's preview shows ids or no rule: %s", out)
	}
	out = owner.ok("retention", "run", "--as", "olga")
	if !regexp.MustCompile(`customers inactive 5 years +Spoke & Chain +2 +anonymised`).MatchString(out) {
		t.Fatalf("the run: %s", out)
	}
	var rep map[string]any
	_, js, _ := owner.run("retention", "run", "--as", "olga", "--json")
	if err := json.Unmarshal([]byte(js), &rep); err != nil || rep["erase_error"] != nil && rep["erase_error"] != "" || rep["erased"].(float64) != 0 {
		t.Fatalf("a second run --json (nothing left to erase): %v %s", err, js)
	}
	// Six years on, the owner's security training is long overdue: it would close the list.
	owner.ok("training", "settings", "--as", "olga", "--enforce", "off")
	if got := customersJSON(t, owner.ok("customers", "--as", "olga", "--json")); len(got) != 0 {
		t.Fatalf("customers left after the run: %v", got)
	}
	owner.ok("verify")
}

// TestCLIAssessments: record, list and (refused, too young) delete an impact assessment.
func TestCLIAssessments(t *testing.T) {
	shop := setupShop(t)
	owner := shop.as("olga", "owner-password-1")
	if c, _, _ := owner.run("assessments", "add", "--as", "olga", "--topic", "sensitive_data"); c != 2 {
		t.Fatal("add without --outcome is a usage error")
	}
	if c, _, errs := owner.run("assessments", "add", "--as", "olga", "--topic", "vibes", "--outcome", "proceed"); c != 1 || !strings.Contains(errs, "topic") {
		t.Fatalf("an unknown topic: exit %d %s", c, errs)
	}
	out := owner.ok("assessments", "add", "--as", "olga", "--topic", "cross_border_transfer", "--outcome", "proceed_with_measures", "--measures", "separate_consent,standard_contract_filed")
	if !strings.Contains(out, "Recorded assessment") {
		t.Fatalf("add: %s", out)
	}
	id := strings.Fields(out)[2]
	id = strings.TrimSuffix(id, ";")
	list := owner.ok("assessments", "--as", "olga")
	if !strings.Contains(list, "cross_border_transfer") || !strings.Contains(list, "all shops") || !strings.Contains(list, "separate_consent,standard_contract_filed") {
		t.Fatalf("list: %s", list)
	}
	if c, _, errs := owner.run("assessments", "delete", "--as", "olga", id); c != 1 || !strings.Contains(errs, "kept until") {
		t.Fatalf("a young assessment deleted: exit %d %s", c, errs)
	}
	if c, _, _ := shop.as("sam", "sales-password-1").run("assessments", "--as", "sam"); c != 1 {
		t.Fatal("a salesperson listed assessments")
	}
}

// FuzzParseLocalTime: --discovered and --assessed never panic, and a time they accept prints
// back in the first layout and parses to the same minute.
func FuzzParseLocalTime(f *testing.F) {
	for _, s := range []string{"2026-03-02 09:15", "2026-03-02", "2026-03-02T09:15", "2026-03-02T09:15:00+01:00", "", "yesterday", "2026-13-40 25:61"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseLocalTime(s)
		if err != nil {
			if err.Error() != "not a time: give 'YYYY-MM-DD HH:MM' (local time)" {
				t.Fatalf("the error is not the fixed one (it must not repeat the input): %v", err)
			}
			return
		}
		again, err := parseLocalTime(at.Local().Format("2006-01-02 15:04"))
		if err != nil || !again.Equal(at.Local().Truncate(time.Minute)) && at.Second() == 0 && at.Nanosecond() == 0 {
			t.Fatalf("%q -> %v -> %v %v", s, at, again, err)
		}
	})
}
