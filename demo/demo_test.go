package demo

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestDeterministic(t *testing.T) {
	a := Generate(Options{Customers: 1500, Seed: 7})
	b := Generate(Options{Customers: 1500, Seed: 7})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same options gave different chains")
	}
	if c := Generate(Options{Customers: 1500, Seed: 7, Now: defaultNow}); !reflect.DeepEqual(a, c) {
		t.Fatal("zero Now does not mean the documented default")
	}
	d := Generate(Options{Customers: 1500, Seed: 8})
	if reflect.DeepEqual(a.Customers, d.Customers) || reflect.DeepEqual(a.Sales, d.Sales) {
		t.Fatal("different seeds gave the same chain")
	}
	if n := len(Generate(Options{Customers: 37, Seed: 7}).Customers); n != 37 {
		t.Fatalf("got %d customers, want 37", n)
	}
}

// index holds lookups the invariants share.
type index struct {
	c         *Chain
	now       time.Time
	shops     map[string]*Shop
	staff     map[string]*Staff
	customers map[string]*Customer
}

func newIndex(c *Chain, now time.Time) *index {
	ix := &index{c: c, now: now, shops: map[string]*Shop{}, staff: map[string]*Staff{}, customers: map[string]*Customer{}}
	for i := range c.Shops {
		ix.shops[c.Shops[i].Key] = &c.Shops[i]
	}
	for i := range c.Staff {
		ix.staff[c.Staff[i].Username] = &c.Staff[i]
	}
	for i := range c.Customers {
		ix.customers[c.Customers[i].Key] = &c.Customers[i]
	}
	return ix
}

func validLines(ls []Line) error {
	for _, l := range ls {
		switch {
		case l.Kind != "labour" && l.Kind != "part":
			return fmt.Errorf("line kind %q", l.Kind)
		case l.Qty < 1:
			return fmt.Errorf("line %s qty %d", l.SKU, l.Qty)
		case l.UnitPrice < 0:
			return fmt.Errorf("line %s negative price %d", l.SKU, l.UnitPrice)
		case l.SKU == "" || l.Description == "":
			return fmt.Errorf("line without SKU or description: %+v", l)
		case (l.Kind == "labour") != strings.HasPrefix(l.SKU, "LAB-"):
			return fmt.Errorf("line %s has kind %s", l.SKU, l.Kind)
		}
	}
	return nil
}

var invariants = []struct {
	name  string
	check func(ix *index) error
}{
	{"keys and usernames unique", func(ix *index) error {
		seen := map[string]bool{}
		add := func(k string) error {
			if k == "" || seen[k] {
				return fmt.Errorf("key %q empty or repeated", k)
			}
			seen[k] = true
			return nil
		}
		var errs []error
		for _, s := range ix.c.Shops {
			errs = append(errs, add(s.Key))
		}
		for _, s := range ix.c.Staff {
			errs = append(errs, add("user:"+s.Username))
		}
		for _, c := range ix.c.Customers {
			errs = append(errs, add(c.Key))
			for _, b := range c.Bikes {
				errs = append(errs, add(b.Key), add("serial:"+b.Serial))
			}
		}
		for _, w := range ix.c.WorkOrders {
			errs = append(errs, add(w.Key))
		}
		for _, s := range ix.c.Sales {
			errs = append(errs, add(s.Key))
		}
		return firstErr(errs)
	}},
	{"staff roles and shops", func(ix *index) error {
		perShop := map[string]map[string]int{}
		owners := 0
		for _, s := range ix.c.Staff {
			if s.Username != strings.ToLower(s.Username) || strings.IndexFunc(s.Username, func(r rune) bool { return r > unicode.MaxASCII || r == ' ' }) >= 0 {
				return fmt.Errorf("username %q not lowercase ASCII", s.Username)
			}
			if len(s.Password) < 16 {
				return fmt.Errorf("%s: password %q too short", s.Username, s.Password)
			}
			if s.DisplayName == "" {
				return fmt.Errorf("%s: no display name", s.Username)
			}
			switch s.Role {
			case "owner", "marketing", "auditor":
				if s.ShopKey != "" {
					return fmt.Errorf("org-wide %s %s has shop %s", s.Role, s.Username, s.ShopKey)
				}
				if s.Role == "owner" {
					owners++
					if s.Username != "owner" {
						return fmt.Errorf("owner is %q", s.Username)
					}
				}
			case "manager", "sales", "mechanic":
				if ix.shops[s.ShopKey] == nil {
					return fmt.Errorf("%s: unknown shop %q", s.Username, s.ShopKey)
				}
				if perShop[s.ShopKey] == nil {
					perShop[s.ShopKey] = map[string]int{}
				}
				perShop[s.ShopKey][s.Role]++
			default:
				return fmt.Errorf("%s: role %q", s.Username, s.Role)
			}
		}
		if owners != 1 {
			return fmt.Errorf("%d owners", owners)
		}
		for _, sh := range ix.c.Shops {
			n := perShop[sh.Key]
			if n["manager"] != 1 || n["sales"] < 2 || n["sales"] > 4 || n["mechanic"] < 2 || n["mechanic"] > 3 {
				return fmt.Errorf("shop %s staffing %v", sh.Key, n)
			}
		}
		return nil
	}},
	{"customers: shop, owner, contact details", func(ix *index) error {
		emails, phones := map[string]bool{}, map[string]bool{}
		for i := range ix.c.Customers {
			c := &ix.c.Customers[i]
			sh := ix.shops[c.ShopKey]
			if sh == nil {
				return fmt.Errorf("%s: unknown shop %q", c.Key, c.ShopKey)
			}
			o := ix.staff[c.OwnerUsername]
			if o == nil || o.ShopKey != c.ShopKey || (o.Role != "sales" && o.Role != "manager") {
				return fmt.Errorf("%s: owner %q is not sales or manager of %s", c.Key, c.OwnerUsername, c.ShopKey)
			}
			if c.Name == "" || c.Address == "" {
				return fmt.Errorf("%s: missing name or address", c.Key)
			}
			if c.Email != "" {
				if err := checkEmail(c.Email); err != nil {
					return fmt.Errorf("%s: %v", c.Key, err)
				}
				if emails[c.Email] {
					return fmt.Errorf("%s: duplicate email %s", c.Key, c.Email)
				}
				emails[c.Email] = true
			}
			if err := checkPhone(c.Phone, sh.Region); err != nil {
				return fmt.Errorf("%s: %v", c.Key, err)
			}
			if phones[c.Phone] {
				return fmt.Errorf("%s: duplicate phone %s", c.Key, c.Phone)
			}
			phones[c.Phone] = true
			if c.Birthday != "" {
				b, err := time.Parse(time.DateOnly, c.Birthday)
				if err != nil || !b.Before(ix.now) {
					return fmt.Errorf("%s: birthday %q", c.Key, c.Birthday)
				}
			}
			if c.CreatedAt.After(ix.now) {
				return fmt.Errorf("%s: created in the future", c.Key)
			}
			if i > 0 && c.CreatedAt.Before(ix.c.Customers[i-1].CreatedAt) {
				return fmt.Errorf("%s: keys not in sign-up order", c.Key)
			}
			if len(c.Bikes) < 1 || len(c.Bikes) > 3 {
				return fmt.Errorf("%s: %d bikes", c.Key, len(c.Bikes))
			}
			for _, b := range c.Bikes {
				if b.Make == "" || b.Model == "" || b.FrameSize == "" || b.Colour == "" || b.Serial == "" ||
					typeBit(b.Type) == 0 || b.Year < 2000 || b.Year > ix.now.Year()+1 {
					return fmt.Errorf("%s: bike %+v", c.Key, b)
				}
			}
		}
		return nil
	}},
	{"work orders", func(ix *index) error {
		for i, w := range ix.c.WorkOrders {
			c := ix.customers[w.CustomerKey]
			if c == nil || c.ShopKey != w.ShopKey {
				return fmt.Errorf("%s: customer %s not of shop %s", w.Key, w.CustomerKey, w.ShopKey)
			}
			bi := slices.IndexFunc(c.Bikes, func(b Bike) bool { return b.Key == w.BikeKey })
			if bi < 0 {
				return fmt.Errorf("%s: bike %s is not %s's", w.Key, w.BikeKey, c.Key)
			}
			if y := c.Bikes[bi].Year; y > w.CreatedAt.Year()+1 {
				return fmt.Errorf("%s: %d bike in the shop on %v", w.Key, y, w.CreatedAt)
			}
			if !slices.Contains(statuses, w.Status) {
				return fmt.Errorf("%s: status %q", w.Key, w.Status)
			}
			if w.MechanicUsername == "" {
				if w.Status != "intake" {
					return fmt.Errorf("%s: %s without mechanic", w.Key, w.Status)
				}
			} else if m := ix.staff[w.MechanicUsername]; m == nil || m.Role != "mechanic" || m.ShopKey != w.ShopKey {
				return fmt.Errorf("%s: %q is not a mechanic of %s", w.Key, w.MechanicUsername, w.ShopKey)
			}
			if w.Complaint == "" {
				return fmt.Errorf("%s: no complaint", w.Key)
			}
			if w.Status == "intake" && len(w.Lines) > 0 {
				return fmt.Errorf("%s: intake with lines", w.Key)
			}
			if err := validLines(w.Lines); err != nil {
				return fmt.Errorf("%s: %v", w.Key, err)
			}
			closed := w.Status == "collected" || w.Status == "cancelled"
			switch {
			case w.CreatedAt.Before(c.CreatedAt) || w.CreatedAt.After(ix.now):
				return fmt.Errorf("%s: created %v outside [%v, now]", w.Key, w.CreatedAt, c.CreatedAt)
			case !w.PromisedAt.After(w.CreatedAt):
				return fmt.Errorf("%s: promised before created", w.Key)
			case closed == w.ClosedAt.IsZero():
				return fmt.Errorf("%s: status %s with closed %v", w.Key, w.Status, w.ClosedAt)
			case closed && (w.ClosedAt.Before(w.CreatedAt) || w.ClosedAt.After(ix.now)):
				return fmt.Errorf("%s: closed %v outside [created, now]", w.Key, w.ClosedAt)
			case i > 0 && w.CreatedAt.Before(ix.c.WorkOrders[i-1].CreatedAt):
				return fmt.Errorf("%s: keys not in time order", w.Key)
			}
		}
		return nil
	}},
	{"sales", func(ix *index) error {
		windowStart := ix.now.AddDate(-2, 0, 0)
		for i, s := range ix.c.Sales {
			c := ix.customers[s.CustomerKey]
			if c == nil || c.ShopKey != s.ShopKey {
				return fmt.Errorf("%s: customer %s not of shop %s", s.Key, s.CustomerKey, s.ShopKey)
			}
			if u := ix.staff[s.SellerUsername]; u == nil || u.Role != "sales" || u.ShopKey != s.ShopKey {
				return fmt.Errorf("%s: seller %q is not sales at %s", s.Key, s.SellerUsername, s.ShopKey)
			}
			if !slices.Contains([]string{"card", "cash", "bank_transfer", "gift_card"}, s.PaymentMethod) {
				return fmt.Errorf("%s: payment %q", s.Key, s.PaymentMethod)
			}
			if len(s.Lines) == 0 {
				return fmt.Errorf("%s: no lines", s.Key)
			}
			if err := validLines(s.Lines); err != nil {
				return fmt.Errorf("%s: %v", s.Key, err)
			}
			if !s.At.After(c.CreatedAt) || s.At.After(ix.now) || s.At.Before(windowStart) {
				return fmt.Errorf("%s: at %v outside (%v, now] or the two-year window", s.Key, s.At, c.CreatedAt)
			}
			if i > 0 && s.At.Before(ix.c.Sales[i-1].At) {
				return fmt.Errorf("%s: keys not in time order", s.Key)
			}
		}
		return nil
	}},
	{"every status in every shop", func(ix *index) error {
		if len(ix.c.Customers) < len(ix.c.Shops) {
			return nil // a shop without customers cannot have tickets
		}
		seen := map[string]bool{}
		for _, w := range ix.c.WorkOrders {
			seen[w.ShopKey+"/"+w.Status] = true
		}
		for _, sh := range ix.c.Shops {
			for _, st := range statuses {
				if !seen[sh.Key+"/"+st] {
					return fmt.Errorf("shop %s has no %s work order", sh.Key, st)
				}
			}
		}
		return nil
	}},
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// checkEmail accepts only RFC 2606 example domains, so demo data can never reach a real inbox.
func checkEmail(e string) error {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || strings.Trim(local, "abcdefghijklmnopqrstuvwxyz0123456789._") != "" {
		return fmt.Errorf("email %q malformed", e)
	}
	for _, d := range []string{"example.com", "example.org", "example.net"} {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return nil
		}
	}
	return fmt.Errorf("email %q not on an example domain", e)
}

func checkPhone(p, region string) error {
	prefix, digits := map[string]string{"US": "+1", "DE": "+49", "CN": "+86"}[region], map[string]int{"US": 11, "DE": 13, "CN": 13}[region]
	if !strings.HasPrefix(p, prefix) || len(p) != digits+1 || strings.Trim(p[1:], "0123456789") != "" {
		return fmt.Errorf("phone %q not E.164 for %s", p, region)
	}
	return nil
}

func TestInvariants(t *testing.T) {
	for _, tc := range []struct {
		n    int
		seed uint64
		now  time.Time
	}{
		{0, 1, time.Time{}},
		{1, 1, time.Time{}},
		{2, 3, time.Time{}},
		{5, 1, time.Time{}},
		{5, 99, time.Time{}},
		{1000, 1, time.Time{}},
		{1000, 2, time.Date(2025, 3, 15, 8, 30, 0, 0, time.FixedZone("PDT", -7*3600))},
		{4000, 42, time.Time{}},
	} {
		c := Generate(Options{Customers: tc.n, Seed: tc.seed, Now: tc.now})
		now := tc.now
		if now.IsZero() {
			now = defaultNow
		}
		ix := newIndex(c, now)
		t.Run(fmt.Sprintf("N=%d/seed=%d", tc.n, tc.seed), func(t *testing.T) {
			if len(c.Customers) != tc.n {
				t.Fatalf("%d customers, want %d", len(c.Customers), tc.n)
			}
			if want := map[bool]int{false: 2, true: 3}[tc.n >= 1000]; len(c.Shops) != want {
				t.Fatalf("%d shops, want %d", len(c.Shops), want)
			}
			for _, inv := range invariants {
				if err := inv.check(ix); err != nil {
					t.Errorf("%s: %v", inv.name, err)
				}
			}
		})
	}
}

// TestShape checks the dataset looks like the brief: rates, seasonality and variety.
func TestShape(t *testing.T) {
	c := Generate(Options{Customers: 6000, Seed: 5})
	n := float64(len(c.Customers))
	var emails, birthdays, notes, unusual, latinCN, cnCustomers int
	shopRegion := map[string]string{}
	for _, s := range c.Shops {
		shopRegion[s.Key] = s.Region
	}
	for _, cu := range c.Customers {
		if cu.Email != "" {
			emails++
		}
		if cu.Birthday != "" {
			birthdays++
		}
		if cu.Notes != "" {
			notes++
		}
		if strings.ContainsAny(cu.Name, "-'") {
			unusual++
		}
		if shopRegion[cu.ShopKey] == "CN" {
			cnCustomers++
			if !strings.ContainsFunc(cu.Name, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				latinCN++
			}
		}
	}
	within := func(name string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want in [%.2f, %.2f]", name, got, lo, hi)
		}
	}
	within("work orders per customer", float64(len(c.WorkOrders))/n, 0.5, 0.72)
	within("sales per customer", float64(len(c.Sales))/n, 1.8, 2.3)
	within("email share", float64(emails)/n, 0.8, 0.9)
	within("birthday share", float64(birthdays)/n, 0.55, 0.65)
	within("notes share", float64(notes)/n, 0.25, 0.35)
	within("unusual name share", float64(unusual)/n, 0.004, 0.02)
	within("latin names in Shanghai", float64(latinCN)/float64(cnCustomers), 0.15, 0.26)

	// Spring and summer outsell winter.
	var summer, winter, bikeSales int
	for _, s := range c.Sales {
		switch s.At.Month() {
		case time.May, time.June, time.July:
			summer++
		case time.December, time.January, time.February:
			winter++
		}
		if strings.Contains(s.Lines[0].Description, "(") && s.Lines[0].UnitPrice > 10000 {
			bikeSales++
		}
	}
	if summer < winter*3/2 {
		t.Errorf("summer %d sales vs winter %d: no seasonality", summer, winter)
	}
	if bikeSales == 0 || bikeSales > len(c.Sales)/10 {
		t.Errorf("%d of %d sales are bikes, want a few", bikeSales, len(c.Sales))
	}
	types := map[string]bool{}
	for _, cu := range c.Customers {
		for _, b := range cu.Bikes {
			types[b.Type] = true
		}
	}
	if len(types) != len(typeNames) {
		t.Errorf("bike types present: %v", types)
	}
}

// TestSerialFormatsDisjoint proves serials of different makes cannot collide: two templates
// of the same length must differ in a position where no character fits both.
func TestSerialFormatsDisjoint(t *testing.T) {
	class := func(c byte) string {
		switch c {
		case '#', 'y', 'm':
			return "0123456789"
		case 'a':
			return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		}
		return string(c)
	}
	for i := range makes {
		for j := i + 1; j < len(makes); j++ {
			a, b := makes[i].serial, makes[j].serial
			if len(a) != len(b) {
				continue
			}
			overlap := true
			for k := 0; k < len(a) && overlap; k++ {
				overlap = strings.ContainsAny(class(a[k]), class(b[k]))
			}
			if overlap {
				t.Errorf("serial formats of %s (%s) and %s (%s) can collide", makes[i].name, a, makes[j].name, b)
			}
		}
	}
}

func TestLocalPrice(t *testing.T) {
	for _, tc := range []struct {
		usd  int64
		cur  string
		want int64
	}{
		{6500, "USD", 6500},
		{6500, "EUR", 6000},
		{3499, "EUR", 3199},
		{6500, "CNY", 47000},
		{3499, "CNY", 24900},
		{299, "CNY", 2100},
	} {
		if got := localPrice(tc.usd, tc.cur); got != tc.want {
			t.Errorf("localPrice(%d, %s) = %d, want %d", tc.usd, tc.cur, got, tc.want)
		}
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	b.ReportAllocs()
	var c *Chain
	for b.Loop() {
		c = Generate(Options{Customers: 100_000, Seed: 1})
	}
	counts := c.Counts()
	b.ReportMetric(float64(counts["sales"]+counts["work_orders"]+counts["bikes"]+counts["customers"]), "records/op")
}
