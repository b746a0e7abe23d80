package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The planted target's personal values: no audience screen, CLI output or file marketing's
// work writes may contain them.
const (
	targetName  = "Zebediah Quux-Marchetti"
	targetEmail = "zeb.quux.marchetti@example.org"
	targetPhone = "+1 415 555 0199"
)

// campaignChain is a chain of two shops (North in USD, South in EUR) with staff and groups of
// customers, each group with bikes of one make and type, a sale on a given day and a spend:
//
//	North: trek road (8, 2026-03-10, 1000.00), giant e-bike (6, 2026-06-10, 600.00),
//	       cube mtb (5, 2026-03-12, 200.00), brompton other (2, 2026-07-20, 200.00),
//	       trek road without consent (4), trek road with
//	       the consent withdrawn (1), and the target: the only Moots gravel bike, bought
//	       2026-03-15, spending 900.00 (rich) or 100.00.
//	South: trek road (7, 2026-04-10, 800.00 EUR).
//
// Every customer but the unconsented ones has a current e-mail marketing consent by e-mail.
type campaignChain struct {
	st                     *Store
	dir                    string
	owner, mkt, mgr, sales *Session
	mgrSouth               *Session
	north, south           string
	target                 string
	trekNorth, giant, cube []string
	unconsented, withdrawn []string
}

func newCampaignChain(t *testing.T, rich bool) *campaignChain {
	t.Helper()
	ctx := context.Background()
	st, _ := newTestStore(t)
	c := &campaignChain{st: st, dir: st.Dir()}
	c.owner = signIn(t, st, "olga", "owner-password-1")
	c.north = must[[]Shop](t)(c.owner.Shops(ctx))[0].ID
	c.south = must[string](t)(c.owner.AddShop(ctx, "South", "DE", "EUR"))
	for _, u := range []struct {
		name string
		role Role
		shop string
	}{{"mia", RoleMarketing, ""}, {"mgr", RoleManager, c.north}, {"sam", RoleSales, c.north}, {"mgrs", RoleManager, c.south}} {
		must[string](t)(c.owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: u.shop}))
	}
	c.mkt, c.mgr, c.sales, c.mgrSouth = signIn(t, st, "mia", staffPW), signIn(t, st, "mgr", staffPW), signIn(t, st, "sam", staffPW), signIn(t, st, "mgrs", staffPW)
	day := func(s string) time.Time { return must[time.Time](t)(time.Parse(time.DateOnly, s)).Add(12 * time.Hour) }
	add := func(n int, shop, name, email, mk, typ, sold string, spend int64, consent int) []string {
		var ids []string
		for i := range n {
			in := CustomerInput{Name: fmt.Sprintf("%s %d", name, i), ShopID: shop}
			if email != "" {
				in.Email = email
			}
			id := must[string](t)(c.owner.CreateCustomer(ctx, in))
			must[string](t)(c.owner.AddBike(ctx, id, Bike{Make: mk, Model: "M", Type: typ}))
			must[string](t)(c.owner.RecordSale(ctx, SaleInput{CustomerID: id, ShopID: shop, PaymentMethod: "card", SoldAt: day(sold),
				Lines: []Line{{Kind: "part", Description: "bike", Qty: 1, UnitPrice: spend}}}))
			switch consent {
			case 1:
				must[string](t)(c.owner.RecordConsent(ctx, id, grant(PurposeEmailMarketing, ChannelEmail)))
			case -1:
				g := grant(PurposeEmailMarketing, ChannelEmail)
				g.At = time.Now().Add(-time.Hour)
				must[string](t)(c.owner.RecordConsent(ctx, id, g))
				must[string](t)(c.owner.RecordConsent(ctx, id, withdraw(PurposeEmailMarketing, ChannelEmail)))
			}
			ids = append(ids, id)
		}
		return ids
	}
	c.trekNorth = add(8, c.north, "Trek Rider", "", "Trek", "road", "2026-03-10", 100000, 1)
	c.giant = add(6, c.north, "Giant Rider", "", "Giant", "e-bike", "2026-06-10", 60000, 1)
	c.cube = add(5, c.north, "Cube Rider", "", "Cube", "mtb", "2026-03-12", 20000, 1)
	add(2, c.north, "Fold Rider", "", "Brompton", "other", "2026-07-20", 20000, 1)
	c.unconsented = add(4, c.north, "Quiet Rider", "", "Trek", "road", "2026-03-10", 100000, 0)
	c.withdrawn = add(1, c.north, "Gone Rider", "", "Trek", "road", "2026-03-10", 100000, -1)
	add(7, c.south, "Süd Fahrer", "", "Trek", "road", "2026-04-10", 80000, 1)
	spend := int64(10000)
	if rich {
		spend = 90000
	}
	c.target = must[string](t)(c.owner.CreateCustomer(ctx, CustomerInput{Name: targetName, Email: targetEmail, Phone: targetPhone, ShopID: c.north}))
	must[string](t)(c.owner.AddBike(ctx, c.target, Bike{Make: "Moots", Model: "Routt", Type: "gravel", Serial: "MOOTS-7731"}))
	must[string](t)(c.owner.RecordSale(ctx, SaleInput{CustomerID: c.target, ShopID: c.north, PaymentMethod: "card", SoldAt: day("2026-03-15"),
		Lines: []Line{{Kind: "part", Description: "bike", Qty: 1, UnitPrice: spend}}}))
	must[string](t)(c.owner.RecordConsent(ctx, c.target, grant(PurposeEmailMarketing, ChannelEmail)))
	return c
}

func emailSpec() AudienceSpec {
	return AudienceSpec{Purpose: PurposeEmailMarketing, Channel: ChannelEmail}
}

// TestAudienceCounts: each attribute narrows as documented; counts are per shop, every
// count under 5 suppressed, with the next smallest shop suppressed too when one alone would be.
func TestAudienceCounts(t *testing.T) {
	ctx := context.Background()
	c := newCampaignChain(t, true)
	// A service for four Treks in North: collected now (closed_at = now).
	for _, id := range c.trekNorth[:4] {
		bikes := must[[]Bike](t)(c.owner.st().bikesOf(ctx, must[*custRow](t)(c.st.loadCust(ctx, c.st.db, id)), true))
		wo := must[string](t)(c.owner.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: id, BikeID: bikes[0].ID, Complaint: "squeaks"}))
		for _, s := range []Status{StatusApproved, StatusInProgress, StatusReady, StatusCollected} {
			if err := c.owner.MoveWorkOrder(ctx, wo, s); err != nil {
				t.Fatalf("move to %s: %v", s, err)
			}
		}
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	spec := func(f func(*AudienceSpec)) AudienceSpec { s := emailSpec(); f(&s); return s }
	for _, tc := range []struct {
		name         string
		spec         AudienceSpec
		north, south int64 // -1 suppressed
		total        int64
	}{
		{"everyone consented", emailSpec(), 22, 7, 29},
		{"make trek", spec(func(s *AudienceSpec) { s.Makes = []string{" TREK "} }), 8, 7, 15},
		{"type e-bike", spec(func(s *AudienceSpec) { s.BikeTypes = []string{"e-bike"} }), 6, -1, 6},
		{"make and type on one bike", spec(func(s *AudienceSpec) { s.Makes = []string{"trek"}; s.BikeTypes = []string{"e-bike"} }), -1, -1, -1},
		{"bought in March", spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-03-31" }), 14, -1, 14},
		{"bought March to April", spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-04-30" }), 14, 7, 21},
		{"bought on the last day (inclusive)", spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-06-10", "2026-06-10" }), 6, -1, 6},
		{"shop South only", spec(func(s *AudienceSpec) { s.Shops = []string{c.south} }), 0, 7, 7},
		{"serviced since yesterday", spec(func(s *AudienceSpec) { s.ServicedAfter = yesterday }), -1, -1, -1},
		{"last service before tomorrow", spec(func(s *AudienceSpec) { s.ServicedBefore = tomorrow }), -1, -1, -1},
		{"last service before yesterday", spec(func(s *AudienceSpec) { s.ServicedBefore = yesterday }), -1, -1, -1},
		{"spend 500 USD or more (South keeps EUR: not selected)", spec(func(s *AudienceSpec) { s.SpendMin, s.SpendCurrency = 50000, "usd" }), 15, 0, 15},
		{"spend up to 700 EUR", spec(func(s *AudienceSpec) { s.SpendMax, s.SpendCurrency = 70000, "EUR" }), 0, 0, -1},
		{"spend 700 to 900 EUR", spec(func(s *AudienceSpec) { s.SpendMin, s.SpendMax, s.SpendCurrency = 70000, 90000, "EUR" }), 0, 7, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := must[*AudienceCounts](t)(c.owner.AudienceCount(ctx, tc.spec))
			byShop := map[string]int64{}
			for _, s := range got.Shops {
				byShop[s.ShopID] = s.Count
				if s.Count >= 0 && s.Count < MinCell {
					t.Errorf("%s shown as %d", s.Shop, s.Count)
				}
			}
			want := map[string]int64{c.north: tc.north, c.south: tc.south}
			for shop, n := range want {
				if g, ok := byShop[shop]; ok && g != n && !(n == 0 && g == -1) || !ok && n > 0 {
					t.Errorf("shop %s: %d, want %d (%+v)", shop, g, n, got.Shops)
				}
			}
			if got.Total != tc.total || got.TotalSuppressed != (tc.total < 0) {
				t.Errorf("total %d, want %d", got.Total, tc.total)
			}
		})
	}
	// The 4 serviced Treks, unsuppressed, for the owner's own check of the service filter: the
	// members themselves (the owner may see them).
	a := must[*audience](t)(c.owner.buildAudience(ctx, spec(func(s *AudienceSpec) { s.ServicedAfter = yesterday }), "campaign.audience"))
	if !sameSet(a.members, c.trekNorth[:4]) {
		t.Fatalf("serviced: %v", a.members)
	}
	a = must[*audience](t)(c.owner.buildAudience(ctx, spec(func(s *AudienceSpec) { s.ServicedBefore = yesterday }), "campaign.audience"))
	if len(a.members) != 0 {
		t.Fatalf("serviced before yesterday: %v", a.members)
	}
	// A manager counts only their shop; naming another is refused.
	got := must[*AudienceCounts](t)(c.mgr.AudienceCount(ctx, emailSpec()))
	if len(got.Shops) != 1 || got.Shops[0].ShopID != c.north || got.Total != 22 {
		t.Fatalf("manager: %+v", got)
	}
	if _, err := c.mgr.AudienceCount(ctx, spec(func(s *AudienceSpec) { s.Shops = []string{c.south} })); !errors.Is(err, ErrForbidden) {
		t.Fatalf("manager, other shop: %v", err)
	}
	// Neither sales nor mechanics count audiences.
	if _, err := c.sales.AudienceCount(ctx, emailSpec()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales: %v", err)
	}
	// Bad specs name their fields.
	for _, bad := range []AudienceSpec{
		{Purpose: "brand_sharing"},
		{Purpose: PurposeEmailMarketing, Channel: ChannelSMS},
		{Purpose: PurposeEmailMarketing, SpendMin: 100},
		{Purpose: PurposeEmailMarketing, BoughtFrom: "2026-13-01"},
		{Purpose: PurposeEmailMarketing, BikeTypes: []string{"unicycle"}},
		{Purpose: PurposeEmailMarketing, Shops: []string{c.north}, SpendMin: 1, SpendCurrency: "EUR"},
	} {
		var fe *FieldError
		var ve *ValidationError
		if _, err := c.mkt.AudienceCount(ctx, bad); !errors.As(err, &ve) && !errors.As(err, &fe) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func (ss *Session) st() *Store { return ss.s }

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestSuppressCounts: complementary suppression, table-driven.
func TestSuppressCounts(t *testing.T) {
	shops := []Shop{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}
	for _, tc := range []struct {
		per   map[string]int64
		shown []int64
		total int64
	}{
		{map[string]int64{"a": 10, "b": 20, "c": 30}, []int64{10, 20, 30}, 60},
		{map[string]int64{"a": 3, "b": 20, "c": 30}, []int64{-1, -1, 30}, 53}, // 3 alone would be 53-50
		{map[string]int64{"a": 3, "b": 2, "c": 30}, []int64{-1, -1, 30}, 35},  // 3+2 = 5 hidden: enough
		{map[string]int64{"a": 0, "b": 7, "c": 9}, []int64{-1, 7, 9}, 16},     // 0 hidden says nothing
		{map[string]int64{"a": 1, "b": 1, "c": 1}, []int64{-1, -1, -1}, -1},
		{map[string]int64{"a": 4, "b": 0, "c": 0}, []int64{-1, -1, -1}, -1},
	} {
		got := suppressCounts(AudienceSpec{}, shops, tc.per)
		var shown []int64
		for _, s := range got.Shops {
			shown = append(shown, s.Count)
		}
		if !slices.Equal(shown, tc.shown) || got.Total != tc.total {
			t.Errorf("%v: shown %v total %d, want %v %d", tc.per, shown, got.Total, tc.shown, tc.total)
		}
	}
}

// attack runs queries as marketing and returns, per query, the total shown or "refused".
func attack(t *testing.T, ss *Session, specs ...AudienceSpec) []string {
	t.Helper()
	var out []string
	for _, sp := range specs {
		got, err := ss.AudienceCount(context.Background(), sp)
		switch {
		case errors.Is(err, ErrAudienceTooClose):
			out = append(out, "refused")
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, fmt.Sprint(got.Total))
		}
	}
	return out
}

// TestTrackerAttacks: marketing tries to learn whether the one Moots customer (a unique
// attribute combination) spent 500.00 or more. Each attack runs in the world where she did
// and the world where she did not, and computes its formula from the answers: it must come
// out the same in both worlds (or an answer it needs be refused in both).
func TestTrackerAttacks(t *testing.T) {
	rich := func(f func(*AudienceSpec)) AudienceSpec {
		s := emailSpec()
		s.SpendMin, s.SpendCurrency = 50000, "USD"
		f(&s)
		return s
	}
	march := func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-03-31" }
	diff := func(n []int64) int64 { return n[0] - n[1] }
	for _, tc := range []struct {
		name    string
		specs   []AudienceSpec
		formula func([]int64) int64 // the attacker's estimate of "she spent 500+" (1 or 0)
	}{
		// (a) Two audiences differing by that person: Treks bought in March spending 500+,
		// then the same with Moots added.
		{"differencing", []AudienceSpec{
			rich(func(s *AudienceSpec) { march(s); s.Makes = []string{"trek"} }),
			rich(func(s *AudienceSpec) { march(s); s.Makes = []string{"trek", "moots"} }),
		}, func(n []int64) int64 { return n[1] - n[0] }},
		// (b) Denning's individual tracker: C = C1 AND C2 with C1 = bought in March spending
		// 500+, C2 = make Moots. T = C1 AND NOT C2 (every other make); count(C1) - count(T).
		{"individual tracker", []AudienceSpec{
			rich(march),
			rich(func(s *AudienceSpec) { march(s); s.Makes = []string{"trek", "giant", "cube", "brompton"} }),
		}, diff},
		// (c) A general tracker padded with T = Giants (6) and NOT T = Treks and Cubes:
		// count(C) = count(C OR T) + count(C OR NOT T) - count(T) - count(NOT T).
		{"general tracker", []AudienceSpec{
			rich(func(s *AudienceSpec) { s.Makes = []string{"giant"} }),
			rich(func(s *AudienceSpec) { s.Makes = []string{"trek", "cube"} }),
			rich(func(s *AudienceSpec) { s.Makes = []string{"giant", "moots"} }),
			rich(func(s *AudienceSpec) { s.Makes = []string{"trek", "cube", "moots"} }),
		}, func(n []int64) int64 { return (n[2] + n[3] - n[0] - n[1]) / 2 }},
		// (a) again, the wider audience first.
		{"differencing, wider first", []AudienceSpec{
			rich(func(s *AudienceSpec) { s.Makes = []string{"trek", "moots"} }),
			rich(func(s *AudienceSpec) { s.Makes = []string{"trek"} }),
		}, diff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			learned := map[bool]string{}
			for _, w := range []bool{true, false} {
				c := newCampaignChain(t, w)
				got := attack(t, c.mkt, tc.specs...)
				var n []int64
				for _, g := range got {
					if g == "refused" {
						learned[w] = "refused"
						break
					}
					v, _ := strconv.ParseInt(g, 10, 64)
					n = append(n, v)
				}
				if learned[w] == "" {
					learned[w] = fmt.Sprint(tc.formula(n))
				}
				checkNoPII(t, c, strings.Join(got, " "))
			}
			if learned[true] != learned[false] || learned[true] == "1" {
				t.Fatalf("the attack tells the worlds apart: rich %s, not %s", learned[true], learned[false])
			}
		})
	}
	// The second of two audiences one person apart is answered with the first's counts, marked so.
	c := newCampaignChain(t, true)
	ctx := context.Background()
	must[*AudienceCounts](t)(c.mkt.AudienceCount(ctx, rich(func(s *AudienceSpec) { s.Makes = []string{"trek"} })))
	got := must[*AudienceCounts](t)(c.mkt.AudienceCount(ctx, rich(func(s *AudienceSpec) { s.Makes = []string{"trek", "moots"} })))
	if !got.Approximate || got.Total != 8 || got.Since.IsZero() {
		t.Fatalf("the near audience: %+v", got)
	}
	// A union of two earlier audiences with the target added: refused (where she is absent
	// the union is answered, which the guard's doc names as not covered).
	c = newCampaignChain(t, true)
	res := attack(t, c.mkt, rich(func(s *AudienceSpec) { s.Makes = []string{"giant"} }), rich(func(s *AudienceSpec) { s.Makes = []string{"trek"} }),
		rich(func(s *AudienceSpec) { s.Makes = []string{"giant", "trek", "moots"} }))
	if res[2] != "refused" {
		t.Fatalf("union with the target: %v", res)
	}
}

// TestAudienceBuildingStillWorks: ordinary audience building (different makes, widening
// windows, asking again) is answered, and the guard does not bind owners and managers.
func TestAudienceBuildingStillWorks(t *testing.T) {
	c := newCampaignChain(t, true)
	spec := func(f func(*AudienceSpec)) AudienceSpec { s := emailSpec(); f(&s); return s }
	got := attack(t, c.mkt,
		spec(func(s *AudienceSpec) { s.Makes = []string{"trek"} }),
		spec(func(s *AudienceSpec) { s.Makes = []string{"giant"} }),
		spec(func(s *AudienceSpec) { s.Makes = []string{"trek", "giant"} }),
		spec(func(s *AudienceSpec) { s.Makes = []string{"trek"} }), // again: the same answer
		spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-03-31" }),
		spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-04-30" }),
		spec(func(s *AudienceSpec) { s.BoughtFrom, s.BoughtTo = "2026-03-01", "2026-06-30" }),
		spec(func(s *AudienceSpec) { s.Makes = []string{"brompton"} }), // under 5: suppressed, not refused
	)
	if want := []string{"15", "6", "21", "15", "14", "21", "27", "-1"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The owner may difference: they see the customers anyway.
	got = attack(t, c.owner, spec(func(s *AudienceSpec) { s.Makes = []string{"trek"} }), spec(func(s *AudienceSpec) { s.Makes = []string{"trek", "moots"} }))
	if !slices.Equal(got, []string{"15", "16"}) {
		t.Fatalf("owner: %v", got)
	}
	// Audiences older than the window no longer bind.
	now := time.Now()
	c.st.opts.Now = func() time.Time { return now.Add(AudienceWindow + time.Hour) }
	defer func() { c.st.opts.Now = time.Now }()
	got = attack(t, c.mkt, spec(func(s *AudienceSpec) { s.Makes = []string{"trek", "moots"} }))
	if got[0] != "16" {
		t.Fatalf("after the window: %v", got)
	}
}

// checkNoPII fails when output or any file in the data dir holds one of the target's personal values.
func checkNoPII(t *testing.T, c *campaignChain, output string) {
	t.Helper()
	for _, v := range []string{targetName, targetEmail, targetPhone, "Zebediah", "MOOTS-7731"} {
		if strings.Contains(output, v) {
			t.Fatalf("output holds a planted personal value")
		}
	}
	scanDirForPII(t, c.dir, targetName, targetEmail, "Zebediah", "zeb.quux", "MOOTS-7731")
}

// TestCampaignFlow: marketing creates a campaign; the rows travel to a device of the shop;
// the manager there resolves the consented members, a withdrawal since creation drops one,
// marketing never gets the members, and the send's counts come back to marketing.
func TestCampaignFlow(t *testing.T) {
	ctx := context.Background()
	c := newCampaignChain(t, true)
	in := CampaignInput{Name: "Spring Trek service", Spec: AudienceSpec{Purpose: PurposeEmailMarketing, Makes: []string{"trek"}},
		SubjectEN: "Hello {first_name}", BodyEN: "Spring check at {shop}: book at the counter.",
		SubjectZH: "{first_name}，您好", BodyZH: "{shop}春季检修。"}
	id := must[string](t)(c.mkt.CreateCampaign(ctx, in))
	camp := must[*Campaign](t)(c.mkt.CampaignByID(ctx, id))
	if len(camp.Shops) != 2 || camp.Shops[0].Audience != 8 || camp.Shops[1].Audience != 7 || camp.Channel != ChannelEmail {
		t.Fatalf("campaign: %+v", camp)
	}
	// Marketing never resolves members; nor does a salesperson.
	for name, ss := range map[string]*Session{"marketing": c.mkt, "sales": c.sales} {
		if _, err := ss.CampaignRecipientsFor(ctx, id, c.north); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The other shop's manager resolves only their own shop's row.
	if _, err := c.mgrSouth.CampaignRecipientsFor(ctx, id, c.north); !errors.Is(err, ErrForbidden) {
		t.Fatalf("south's manager for north: %v", err)
	}
	south := must[[]string](t)(c.mgrSouth.CampaignRecipients(ctx, id))
	if len(south) != 7 {
		t.Fatalf("south: %d", len(south))
	}
	// One North Trek withdraws after the campaign was made: no longer a recipient.
	must[string](t)(c.owner.RecordConsent(ctx, c.trekNorth[0], withdraw(PurposeEmailMarketing, ChannelEmail)))
	got := must[[]string](t)(c.mgr.CampaignRecipients(ctx, id))
	if !sameSet(got, c.trekNorth[1:]) {
		t.Fatalf("recipients %v", got)
	}
	for _, r := range got {
		if err := c.mgr.AuthorizeSend(ctx, r, PurposeEmailMarketing, ChannelEmail); err != nil {
			t.Fatalf("a recipient AuthorizeSend refuses: %v", err)
		}
	}
	if err := c.mgr.RecordCampaignSend(ctx, id, c.north, 6, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.mgr.RecordCampaignSend(ctx, id, c.north, 6, 1); !errors.Is(err, ErrCampaignSent) {
		t.Fatalf("twice: %v", err)
	}
	camp = must[*Campaign](t)(c.mkt.CampaignByID(ctx, id))
	n := camp.Shops[0]
	if n.ShopID != c.north || n.Sent != 6 || n.Skipped != -1 || n.SentBy != "mgr" {
		t.Fatalf("north's send as marketing sees it: %+v", n)
	}
	pending := must[[]Campaign](t)(c.mgrSouth.PendingCampaigns(ctx))
	if len(pending) != 1 || len(pending[0].Shops) != 1 || pending[0].Shops[0].ShopID != c.south {
		t.Fatalf("south's pending: %+v", pending)
	}
	if p := must[[]Campaign](t)(c.mgr.PendingCampaigns(ctx)); len(p) != 0 {
		t.Fatalf("north's pending after the send: %+v", p)
	}
	// Templates: only the two placeholders, plain text.
	for _, bad := range []CampaignInput{
		{Name: "x", Spec: emailSpec(), SubjectEN: "Hi {email}", BodyEN: "b"},
		{Name: "x", Spec: emailSpec(), SubjectEN: "Hi", BodyEN: `<img src="https://t.example/p.gif">`},
		{Name: "x", Spec: emailSpec(), SubjectEN: "Hi"},
		{Name: "", Spec: emailSpec(), SubjectEN: "Hi", BodyEN: "b"},
		{Name: "x", Spec: emailSpec()},
	} {
		var ve *ValidationError
		if _, err := c.mkt.CreateCampaign(ctx, bad); !errors.As(err, &ve) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if s := RenderCampaign(in.SubjectZH, "Ada\r\n", "North"); s != "Ada，您好" {
		t.Fatalf("render: %q", s)
	}
	if _, err := c.sales.CreateCampaign(ctx, in); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales creates: %v", err)
	}
	checkNoPII(t, c, fmt.Sprintf("%+v", camp))
}

// TestCampaignSync: a campaign reaches another device of the shop; rows forged by another
// shop's device or naming a salesperson (or a manager of another shop) as their author, and a
// send recorded by marketing, are refused on apply.
func TestCampaignSync(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	mktID := must[string](t)(owner.AddUser(ctx, NewUser{Username: "mia", Password: staffPW, Roles: []Role{RoleMarketing}}))
	salesID := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: north}))
	mgrSouth := must[string](t)(owner.AddUser(ctx, NewUser{Username: "mgrs", Password: staffPW, Roles: []Role{RoleManager}, ShopID: south}))
	exchange(t, A, B)
	mkt := signIn(t, A.st, "mia", staffPW)
	id := must[string](t)(mkt.CreateCampaign(ctx, CampaignInput{Name: "All", Spec: emailSpec(), SubjectEN: "Hi {first_name}", BodyEN: "News from {shop}"}))
	recs := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, A.pushed, 1<<30))
	var northRecs []ChangeRecord
	for _, r := range recs {
		if r.Table == "campaigns" && r.Scope == north {
			northRecs = append(northRecs, r)
		}
	}
	if len(northRecs) == 0 {
		t.Fatal("no campaign records for north")
	}
	forge := func(scope string, set map[string]any) []ChangeRecord {
		out := slices.Clone(northRecs)
		for i := range out {
			out[i].Scope = scope
			if v, ok := set[out[i].Column]; ok {
				out[i].Value = v
			}
		}
		return out
	}
	now := time.Now().UnixMilli()
	for _, tc := range []struct {
		name  string
		scope string
		set   map[string]any
	}{
		{"a salesperson's campaign", north, map[string]any{"created_by": salesID}},
		{"another shop's manager's campaign", north, map[string]any{"created_by": mgrSouth}},
		{"north's row sent in south's set", south, nil},
		{"a send recorded by marketing", north, map[string]any{"sent_by": mktID, "sent_at": now, "sent": int64(20)}},
		{"a count under 5 kept", north, map[string]any{"audience": int64(3)}},
		{"a tracking pixel", north, map[string]any{"body_en": `<img src="https://t.example/{first_name}.gif">`}},
		{"another placeholder", north, map[string]any{"subject_en": "Hi {email}"}},
		{"a spec not Spoke's", north, map[string]any{"spec": `{"purpose":"email_marketing","channel":"email","names":["Ada"]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := B.st.applyRemote(ctx, A.st.DeviceID(), tc.scope, forge(tc.scope, tc.set), 0)
			if !errors.Is(err, ErrRemote) {
				t.Fatalf("applied: %v", err)
			}
		})
	}
	exchange(t, A, B)
	var n int
	if err := B.st.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaigns WHERE campaign_id = ?", id).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows on B: %d %v", n, err)
	}
	if r := must[*Report](t)(B.st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// scanDirForPII fails when any file under dir holds one of the values in clear.
func scanDirForPII(t *testing.T, dir string, values ...string) {
	t.Helper()
	needles := make([][]byte, len(values))
	for i, v := range values {
		needles[i] = []byte(v)
	}
	hits, scanned := scanDir(t, dir, needles)
	if scanned == 0 {
		t.Fatal("scanned nothing")
	}
	for i, h := range hits {
		if h > 0 {
			t.Fatalf("a planted personal value (#%d) is in clear in the data dir", i)
		}
	}
}

// FuzzParseAudienceSpec: a campaign row's spec, as any device may send it, never panics the
// parser, and a spec it accepts reads back the same from its canonical form.
func FuzzParseAudienceSpec(f *testing.F) {
	for _, s := range []string{`{"purpose":"email_marketing","channel":"email"}`,
		`{"shops":["a"],"makes":["Trek"," trek "],"bike_types":["road"],"bought_from":"2026-01-01","bought_to":"2026-02-01","spend_min":100,"spend_currency":"eur","purpose":"sms_marketing"}`,
		`{"purpose":"service_reminders","serviced_before":"2026-13-40"}`, `{"purpose":"email_marketing"} {}`, `[]`, `{"x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sp, err := ParseAudienceSpec(b)
		if err != nil {
			return
		}
		again, err := ParseAudienceSpec(sp.canonical())
		if err != nil || string(again.canonical()) != string(sp.canonical()) {
			t.Fatalf("canonical form does not read back: %v", err)
		}
	})
}

// TestTemplateProblems: the templates' rules, table-driven.
func TestTemplateProblems(t *testing.T) {
	for _, tc := range []struct {
		s    string
		line bool
		ok   bool
	}{
		{"Hello {first_name}, news from {shop}", true, true},
		{"你好 {first_name}", true, true},
		{"Hi {last_name}", true, false},
		{"Hi {first_name", true, true}, // no closing brace: plain text
		{"two\nlines", true, false},
		{"two\nlines", false, true},
		{`<a href="x">`, false, false},
		{"tab\there", false, true},
		{"bell\a", false, false},
		{"{}", false, false},
	} {
		if got := templateProblem(tc.s, 400, tc.line) == ""; got != tc.ok {
			t.Errorf("%q (line %v): ok %v, want %v", tc.s, tc.line, got, tc.ok)
		}
	}
}
