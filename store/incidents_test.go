package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a wall clock a test moves forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clockFixture is newFixture on a store whose clock the test moves: shops North and South,
// the owner olga, managers mia (North) and mo (South), sales sam, sue (North) and stan (South).
func clockFixture(t *testing.T) (*fixture, *testClock) {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	opts := testOptions()
	opts.Now = clk.Now
	st, _, err := Create(ctx, t.TempDir(), CreateOptions{ShopName: "North", Region: "US", Currency: "USD", OwnerUsername: "olga",
		OwnerName: "Olga Owner", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, users: map[string]*Session{}}
	owner := signIn(t, st, "olga", "owner-password-1")
	f.users["olga"] = owner
	f.north = must[[]Shop](t)(owner.Shops(ctx))[0].ID
	f.south = must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	for _, u := range []struct {
		name string
		role Role
		shop string
	}{{"mia", RoleManager, f.north}, {"mo", RoleManager, f.south}, {"sam", RoleSales, f.north}, {"sue", RoleSales, f.north}, {"stan", RoleSales, f.south}} {
		must[string](t)(owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: u.shop}))
		f.users[u.name] = signIn(t, st, u.name, staffPW)
	}
	return f, clk
}

// TestOpenIncidentOnRevocation: a stolen device's incident counts, per shop it could read,
// the customers held here (a soft-deleted one too), records what protected them, and runs the
// 72-hour clock from discovery; an owner device's covers every shop.
func TestOpenIncidentOnRevocation(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	for i, u := range []string{"sam", "sam", "sue", "stan"} {
		must[string](t)(f.users[u].CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Customer %d", i), Phone: fmt.Sprintf("+1 415 555 01%02d", i)}))
	}
	gone := must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: "Deleted Dora", Phone: "+1 415 555 0199"}))
	if err := owner.DeleteCustomer(ctx, gone); err != nil {
		t.Fatal(err)
	}
	discovered := clk.Now().Add(-5 * time.Hour)
	for _, tc := range []struct {
		name string
		in   IncidentInput
		want map[string]int
		prot string
	}{
		{"shop device stolen", IncidentInput{Kind: IncidentDeviceStolen, DeviceID: "desk-north", Shops: []string{f.north}, HubRevoked: true, RotatedTo: 3, DiscoveredAt: discovered},
			map[string]int{f.north: 4}, "sealed_per_customer_keys,master_key_keychain_or_passphrase,hub_access_revoked,scope_keys_rotated_to_v3"},
		{"owner laptop lost", IncidentInput{Kind: IncidentDeviceLost, DeviceID: "laptop", AllShops: true, HubRevoked: true, RotatedTo: 2, DiscoveredAt: discovered},
			map[string]int{f.north: 4, f.south: 1}, "sealed_per_customer_keys,master_key_keychain_or_passphrase,hub_access_revoked,scope_keys_rotated_to_v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := must[string](t)(owner.OpenIncident(ctx, tc.in))
			var got *Incident
			for _, inc := range must[[]Incident](t)(owner.Incidents(ctx)) {
				if inc.ID == id {
					got = &inc
				}
			}
			if got == nil {
				t.Fatal("the incident is not listed")
			}
			if fmt.Sprint(got.Customers) != fmt.Sprint(tc.want) {
				t.Fatalf("counts %v, want %v", got.Customers, tc.want)
			}
			if strings.Join(got.Protection, ",") != tc.prot {
				t.Fatalf("protection %v", got.Protection)
			}
			if !got.DiscoveredAt.Equal(discovered) || !got.NotifyDueAt.Equal(discovered.Add(72*time.Hour)) || !got.OpenedAt.Equal(clk.Now()) {
				t.Fatalf("times: discovered %v due %v opened %v", got.DiscoveredAt, got.NotifyDueAt, got.OpenedAt)
			}
			if got.Decision != DecisionUndecided || !got.Open() || got.TimeLeft(clk.Now()) != 67*time.Hour || got.Overdue(clk.Now()) {
				t.Fatalf("clock: %+v left %v", got, got.TimeLeft(clk.Now()))
			}
			if !got.Overdue(discovered.Add(72*time.Hour)) || got.TimeLeft(discovered.Add(80*time.Hour)) != -8*time.Hour {
				t.Fatal("past 72 hours the incident must be overdue")
			}
		})
	}
	// Bad input is refused, naming the field.
	for name, in := range map[string]IncidentInput{
		"kind":          {Kind: "fire", DeviceID: "x"},
		"no device":     {Kind: IncidentDeviceLost},
		"future":        {Kind: IncidentOther, DiscoveredAt: clk.Now().Add(time.Hour)},
		"unknown shop":  {Kind: IncidentDeviceLost, DeviceID: "x", Shops: []string{"no-such-shop"}},
		"device spaces": {Kind: IncidentDeviceLost, DeviceID: "a b"},
	} {
		if _, err := owner.OpenIncident(ctx, in); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

// TestIncidentDecisionOwnerOnly: only the owner records the decision (a manager is refused
// and the refusal audited); the decision closes the incident, is not written over, and a
// contradictory reason is refused.
func TestIncidentDecisionOwnerOnly(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	id := must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentDeviceStolen, DeviceID: "desk", Shops: []string{f.north}}))
	for _, u := range []string{"mia", "sam"} {
		if err := f.users[u].DecideIncident(ctx, id, DecisionNoNotification, ReasonUnlikelyRiskEncrypted); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s decided: %v", u, err)
		}
		if _, err := f.users[u].Incidents(ctx); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s listed the register: %v", u, err)
		}
		if _, err := f.users[u].OpenIncident(ctx, IncidentInput{Kind: IncidentOther}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s opened one: %v", u, err)
		}
	}
	if a := lastAuditOf(t, f.st, "incident.decide"); a.Outcome != "denied" || a.Target != id {
		t.Fatalf("the refusal is not audited: %+v", a)
	}
	for _, bad := range [][2]string{{DecisionNoNotification, ReasonRiskToRights}, {DecisionNotifyAuthority, ReasonUnlikelyRiskEncrypted}, {"maybe", ReasonOther}, {DecisionNotifyAuthority, "because"}} {
		if err := owner.DecideIncident(ctx, id, bad[0], bad[1]); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
	clk.Advance(80 * time.Hour)
	if err := owner.DecideIncident(ctx, id, DecisionNoNotification, ReasonUnlikelyRiskEncrypted); err != nil {
		t.Fatal(err)
	}
	if err := owner.DecideIncident(ctx, id, DecisionNotifyAuthority, ReasonRiskToRights); !errors.Is(err, ErrIncidentDecided) {
		t.Fatalf("a decided incident changed: %v", err)
	}
	inc := must[[]Incident](t)(owner.Incidents(ctx))[0]
	if inc.Open() || inc.Decision != DecisionNoNotification || inc.Reason != ReasonUnlikelyRiskEncrypted || inc.DecidedBy != owner.User().ID ||
		!inc.DecidedAt.Equal(clk.Now()) || !inc.ClosedAt.Equal(clk.Now()) || !inc.DecidedLate() || inc.Overdue(clk.Now()) {
		t.Fatalf("after the decision: %+v", inc)
	}
	if a := lastAuditOf(t, f.st, "incident.decide"); a.Outcome != "ok" || !strings.Contains(a.Detail, "late=true") {
		t.Fatalf("decision audit: %+v", a)
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}

// TestIncidentHoldsNoPersonalValue: the incident's row and every audit entry about it hold
// codes, ids, counts and times only: no customer's name, e-mail or phone.
func TestIncidentHoldsNoPersonalValue(t *testing.T) {
	ctx := context.Background()
	f, _ := clockFixture(t)
	owner := f.users["olga"]
	planted := []string{"Zelda Planted", "zelda@example.com", "555 0177", "Yusuf Planted"}
	must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: planted[0], Email: planted[1], Phone: "+1 415 555 0177"}))
	must[string](t)(f.users["stan"].CreateCustomer(ctx, CustomerInput{Name: planted[3], Phone: "030 1234567"}))
	id := must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentDeviceStolen, DeviceID: "desk", AllShops: true, HubRevoked: true, RotatedTo: 2}))
	if err := owner.DecideIncident(ctx, id, DecisionNotifyAuthorityAll, ReasonRiskToRights); err != nil {
		t.Fatal(err)
	}
	must[[]Incident](t)(owner.Incidents(ctx))
	var row string
	if err := f.st.db.QueryRow("SELECT kind || '|' || device_id || '|' || opened_by || '|' || customer_counts || '|' || protection || '|' || decision || '|' || decision_reason || '|' || decided_by FROM incidents WHERE id = ?", id).Scan(&row); err != nil {
		t.Fatal(err)
	}
	trail := must[[]string](t)(queryStrings(ctx, f.st.db, "SELECT action || ' ' || target || ' ' || fields || ' ' || detail FROM audit WHERE action LIKE 'incident.%'"))
	if len(trail) < 3 {
		t.Fatalf("incident entries: %q", trail)
	}
	for _, s := range append(trail, row) {
		for _, p := range planted {
			if strings.Contains(strings.ToLower(s), strings.ToLower(p)) {
				t.Fatalf("a personal value in %q", s)
			}
		}
	}
	if !strings.Contains(row, `"`+f.north+`":1`) || !strings.Contains(row, `"`+f.south+`":1`) {
		t.Fatalf("the counts: %s", row)
	}
}

// TestIncidentOnlyInOrgScope: an incident, assessment or policy row arriving in a shop's set
// is refused (org rows travel only in the org scope, which only owner devices write), and a
// shop device cannot write one.
func TestIncidentOnlyInOrgScope(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	shops := must[[]Shop](t)(owner.Shops(ctx))
	for _, table := range []string{"incidents", "assessments", "retention_policies"} {
		col := map[string]string{"incidents": "kind", "assessments": "topic", "retention_policies": "set_by"}[table]
		recs := []ChangeRecord{{HLC: 1 << 20, Device: a.st.DeviceID(), Scope: shops[0].ID, Table: table, RowID: newID(), Column: col, Value: "other"}}
		if _, err := b.st.applyRemote(ctx, a.st.DeviceID(), shops[0].ID, recs, 0); !errors.Is(err, ErrRemote) {
			t.Fatalf("%s in a shop's set: %v", table, err)
		}
	}
	recs := []ChangeRecord{{HLC: 1 << 20, Device: a.st.DeviceID(), Scope: OrgScope, Table: "retention_approvals", RowID: newID(), Column: "shop_id", Value: shops[0].ID}}
	if _, err := b.st.applyRemote(ctx, a.st.DeviceID(), OrgScope, recs, 0); !errors.Is(err, ErrRemote) {
		t.Fatalf("a shop's approval in the org set: %v", err)
	}
}

func lastAuditOf(t *testing.T, st *Store, action string) AuditRecord {
	t.Helper()
	var r AuditRecord
	if err := st.db.QueryRow("SELECT seq, user_id, action, target, outcome, detail FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1", action).
		Scan(&r.Seq, &r.UserID, &r.Action, &r.Target, &r.Outcome, &r.Detail); err != nil {
		t.Fatalf("no %s entry: %v", action, err)
	}
	return r
}

// FuzzIncidentCodes: whatever an incident row's counts and protection columns hold, parsing
// never panics, and what it accepts is counts and codes only (it re-encodes to a value it
// accepts again).
func FuzzIncidentCodes(f *testing.F) {
	f.Add(`{"01a2":3,"01b3":0}`, "sealed_per_customer_keys,hub_access_revoked,scope_keys_rotated_to_v3", "device_lost", "undecided", "")
	f.Add(`{}`, "", "other", "no_notification", "unlikely_risk_encrypted")
	f.Add(`{"x":-1}`, "scope_keys_rotated_to_v0", "fire", "maybe", "because")
	f.Add(`null`, ",,", "device_stolen", "notify_authority", "risk_to_rights")
	f.Fuzz(func(t *testing.T, counts, prot, kind, decision, reason string) {
		i := Incident{Kind: kind, Decision: decision, Reason: reason}
		if i.parseCodes(counts, prot) != "" {
			return
		}
		for shop, n := range i.Customers {
			if n < 0 || shop == "" {
				t.Fatalf("accepted %q: %d", shop, n)
			}
		}
		for _, c := range i.Protection {
			if !protectionCode.MatchString(c) || strings.Contains(c, ",") {
				t.Fatalf("accepted protection %q", c)
			}
		}
		again := Incident{Kind: kind, Decision: decision, Reason: reason}
		b, _ := json.Marshal(i.Customers)
		if col := again.parseCodes(string(b), strings.Join(i.Protection, ",")); col != "" || fmt.Sprint(again.Customers) != fmt.Sprint(i.Customers) {
			t.Fatalf("re-encoded incident refused at %s", col)
		}
	})
}

// TestPrivacyRowsSync: incidents, assessments, the policy and a manager's approval written
// on one device arrive on another as they were, and verify there.
func TestPrivacyRowsSync(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	shop := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "mia", Password: staffPW, Roles: []Role{RoleManager}, ShopID: shop}))
	inc := must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentDeviceLost, DeviceID: "laptop-2", AllShops: true, HubRevoked: true, RotatedTo: 2}))
	must[string](t)(owner.AddAssessment(ctx, AssessmentInput{Topic: "sensitive_data", Outcome: "proceed"}))
	pol := must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))
	if err := signIn(t, a.st, "mia", staffPW).ApproveRetention(ctx); err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)
	there := signIn(t, b.st, "olga", "owner-password-1")
	incs := must[[]Incident](t)(there.Incidents(ctx))
	if len(incs) != 1 || incs[0].ID != inc || incs[0].Customers[shop] != 0 || len(incs[0].Protection) != 4 {
		t.Fatalf("incidents there: %+v", incs)
	}
	if as := must[[]Assessment](t)(there.Assessments(ctx)); len(as) != 1 {
		t.Fatalf("assessments there: %+v", as)
	}
	p := must[*RetentionPolicy](t)(there.RetentionPolicy(ctx))
	if p == nil || p.ID != pol || !p.ApprovedFor(shop) {
		t.Fatalf("policy there: %+v", p)
	}
	if r := must[*Report](t)(b.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}
