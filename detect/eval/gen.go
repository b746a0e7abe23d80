package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"spoke/detect"
)

// Scenario kinds, as the issue lists them.
const (
	Departing  = "departing"           // a salesperson reads and exports over the days before leaving
	MassDelete = "mass_delete"         // many customers deleted in minutes
	AfterHours = "after_hours"         // snooping across many customers not theirs after closing
	BreakGlass = "break_glass"         // break-glass reads far beyond need
	Credential = "credential_guessing" // failed sign-ins against accounts
	Probing    = "mechanic_probing"    // a mechanic probing customers unrelated to their jobs
	SlowExfil  = "slow_exfiltration"   // two to three times the normal reading, for two weeks
)

// Kinds are the seven scenarios in the order the table prints them.
var Kinds = []string{Departing, MassDelete, AfterHours, BreakGlass, Credential, Probing, SlowExfil}

// Params shape a trace.
type Params struct {
	Seed       uint64
	Staff      int       // people in the chain (default 20); three shops
	Weeks      int       // default 8
	CleanWeeks int       // weeks before the first scenario (default 4, at least 4)
	Start      time.Time // a Monday (default: a Monday in February 2026, moved by the seed)
	Kinds      []string  // scenarios to inject (default all seven); nil with NoScenarios for none
	// NoScenarios makes a trace of normal days only.
	NoScenarios bool
}

// Scenario labels one injected episode: its users, its first abnormal event and its last.
type Scenario struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Users   []string  `json:"users"`
	ShopID  string    `json:"shop_id,omitempty"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
}

// Leaver is a member of staff with a leaving date, as the owner records it (issue 12): known
// from NoticeAt on.
type Leaver struct {
	UserID   string    `json:"user_id"`
	Leaving  time.Time `json:"leaving"`
	NoticeAt time.Time `json:"notice_at"`
}

// Labels is what the scorer needs of a trace.
type Labels struct {
	Seed      uint64     `json:"seed"`
	Staff     int        `json:"staff"`
	Shops     int        `json:"shops"`
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Scenarios []Scenario `json:"scenarios"`
	Leavers   []Leaver   `json:"leavers,omitempty"`
}

// Trace is a generated audit trail with its shops' hours and its labels.
type Trace struct {
	Events []detect.Event
	Shops  []detect.ShopSpec
	Labels Labels
}

var zones = []string{"Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
	"Asia/Shanghai", "Australia/Sydney", "Europe/Madrid", "America/Chicago", "Asia/Tokyo"}

type gshop struct {
	id       string
	loc      *time.Location
	hours    [7]*[2]int // minutes
	holidays map[string]bool
	custs    []string
	owner    map[string]string // customer → owning user
	counter  []string          // counter devices
	workshop string
	staff    []*person
	spec     detect.ShopSpec
}

type person struct {
	id, name, role, shop string
	sh                   *gshop
	rate                 float64 // interactions per working hour
	workdays             [7]bool
	part                 bool // half shifts
	morning              bool
	ctx                  float64 // share of reads followed by a sale, job or edit
	bg                   float64 // break-glass reads per working day
	typo                 float64
	laptop               string
	newLaptopDay         int // day the laptop is replaced (-1 never)
	newLaptop            string
	joinDay, leaveDay    int // active days [joinDay, leaveDay)
	vacation             int // first day of a week off (-1 none)
	own                  []string
	busy                 map[int]bool // days a scenario uses this person
	evening              float64      // evening sessions per week (owner, manager)
	lateStay             float64      // chance of staying up to an hour after closing
}

type gen struct {
	p      Params
	r      *rand.Rand
	start  time.Time // local midnight of day 0 in the chain's zone
	days   int
	shops  []*gshop
	staff  []*person
	owner  *person
	evs    []detect.Event
	labels Labels
	ids    map[string]bool
}

func (p Params) withDefaults() Params {
	if p.Staff <= 0 {
		p.Staff = 20
	}
	p.Staff = max(p.Staff, 8)
	if p.CleanWeeks < 4 {
		p.CleanWeeks = 4
	}
	if p.Weeks <= 0 {
		p.Weeks = p.CleanWeeks + 4
	}
	p.Weeks = max(p.Weeks, p.CleanWeeks+3)
	if p.Kinds == nil && !p.NoScenarios {
		p.Kinds = Kinds
	}
	if p.NoScenarios {
		p.Kinds = nil
	}
	return p
}

// Generate makes a labelled trace: the chain's normal days, then the scenarios. The same
// Params give the same trace.
func Generate(p Params) *Trace {
	p = p.withDefaults()
	g := &gen{p: p, r: rand.New(rand.NewPCG(p.Seed, 0x5b0ce)), ids: map[string]bool{}}
	g.days = p.Weeks * 7
	g.setup()
	for _, ps := range g.staff {
		for d := 0; d < g.days; d++ {
			g.day(ps, d)
		}
	}
	g.scenarios()
	sort.SliceStable(g.evs, func(i, j int) bool { return g.evs[i].At.Before(g.evs[j].At) })
	seq := map[string]int64{}
	for i := range g.evs {
		seq[g.evs[i].DeviceID]++
		g.evs[i].Seq = seq[g.evs[i].DeviceID]
	}
	g.labels.Seed, g.labels.Staff, g.labels.Shops = p.Seed, p.Staff, len(g.shops)
	g.labels.Start = g.start
	g.labels.End = g.start.AddDate(0, 0, g.days)
	sort.Slice(g.labels.Scenarios, func(i, j int) bool { return g.labels.Scenarios[i].FirstAt.Before(g.labels.Scenarios[j].FirstAt) })
	tr := &Trace{Events: g.evs, Labels: g.labels}
	for _, s := range g.shops {
		tr.Shops = append(tr.Shops, s.spec)
	}
	return tr
}

// --- randomness ---

func (g *gen) u(a, b float64) float64 { return a + g.r.Float64()*(b-a) }
func (g *gen) ui(a, b int) int        { return a + g.r.IntN(b-a+1) }
func (g *gen) chance(x float64) bool  { return g.r.Float64() < x }
func (g *gen) poisson(l float64) int {
	if l <= 0 {
		return 0
	}
	n, t := 0, math.Exp(-l)
	for q := g.r.Float64(); q > t; q *= g.r.Float64() {
		n++
	}
	return n
}
func (g *gen) lognorm(s float64) float64 { return math.Exp(g.r.NormFloat64() * s) }

func (g *gen) id(prefix string) string {
	for {
		s := fmt.Sprintf("%s%012x", prefix, g.r.Uint64()&0xffffffffffff)
		if !g.ids[s] {
			g.ids[s] = true
			return s
		}
	}
}

// --- the chain ---

func (g *gen) setup() {
	main := zones[g.r.IntN(len(zones))]
	start := g.p.Start
	if start.IsZero() {
		start = time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*g.r.IntN(6))
	}
	mloc, _ := time.LoadLocation(main)
	g.start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, mloc)
	for i := range 3 {
		z := main
		if g.chance(0.3) {
			z = zones[g.r.IntN(len(zones))]
		}
		loc, _ := time.LoadLocation(z)
		s := &gshop{id: g.id("shop-"), loc: loc, holidays: map[string]bool{}, owner: map[string]string{}}
		open := []int{540, 570, 600}[g.r.IntN(3)]
		cl := []int{1080, 1110, 1140}[g.r.IntN(3)]
		for wd := time.Monday; wd <= time.Friday; wd++ {
			s.hours[wd] = &[2]int{open, cl}
		}
		if g.chance(0.3) {
			s.hours[time.Monday] = nil
		}
		s.hours[time.Saturday] = &[2]int{[]int{540, 570, 600}[g.r.IntN(3)], []int{840, 900, 960, 1020}[g.r.IntN(4)]}
		if g.chance(0.2) {
			s.hours[time.Sunday] = &[2]int{660, 960}
		}
		for range g.ui(2, 4) {
			d := g.start.AddDate(0, 0, g.r.IntN(g.days))
			s.holidays[d.Format("2006-01-02")] = true
		}
		for range g.ui(1, 2) {
			s.counter = append(s.counter, g.id("dev-"))
		}
		s.workshop = g.id("dev-")
		s.spec = detect.ShopSpec{ShopID: s.id, TZ: z, Open: map[string][]string{}}
		names := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
		for wd, h := range s.hours {
			if h == nil {
				s.spec.Open[names[wd]] = nil
				continue
			}
			s.spec.Open[names[wd]] = []string{hm(h[0]), hm(h[1])}
		}
		for h := range s.holidays {
			s.spec.Holidays = append(s.spec.Holidays, h)
		}
		slices.Sort(s.spec.Holidays)
		g.shops = append(g.shops, s)
		_ = i
	}
	// Staff: the owner, the auditor and marketing for the chain; a manager per shop; the rest
	// sales and mechanics, shop by shop.
	g.owner = g.person("owner", nil)
	g.person("auditor", nil)
	g.person("marketing", nil)
	for _, s := range g.shops {
		g.person("manager", s)
	}
	pattern := []string{"sales", "mechanic", "sales", "sales", "mechanic", "sales", "mechanic", "sales", "mechanic"}
	for i := 0; len(g.staff) < g.p.Staff; i++ {
		g.person(pattern[(i/len(g.shops))%len(pattern)], g.shops[i%len(g.shops)])
	}
	// Customers, owned by the shop's sales staff (and a few by the manager).
	for _, s := range g.shops {
		var owners []*person
		var mgr *person
		for _, ps := range s.staff {
			if ps.role == "sales" {
				owners = append(owners, ps)
			}
			if ps.role == "manager" {
				mgr = ps
			}
		}
		n := 300 + len(owners)*g.ui(150, 350)
		for range n {
			c := g.id("c-")
			o := mgr
			if len(owners) > 0 && g.chance(0.9) {
				o = owners[g.r.IntN(len(owners))]
			}
			s.custs = append(s.custs, c)
			s.owner[c] = o.id
			o.own = append(o.own, c)
		}
	}
	// A new salesperson joins in the third week; another leaves in the clean weeks, with a
	// leaving date recorded two weeks before (an honest leaver: more sensitivity, no misdeed).
	var sales []*person
	for _, ps := range g.staff {
		if ps.role == "sales" {
			sales = append(sales, ps)
		}
	}
	if len(sales) >= 5 {
		nh := sales[len(sales)-1]
		nh.joinDay = g.ui(14, 20)
		leaver := sales[len(sales)-2]
		leaver.leaveDay = g.ui(17, 26)
		g.labels.Leavers = append(g.labels.Leavers, Leaver{UserID: leaver.id,
			Leaving: g.at(leaver.sh, leaver.leaveDay, 0), NoticeAt: g.at(leaver.sh, leaver.leaveDay-14, 0)})
	}
	// Someone gets a new laptop.
	for _, ps := range g.staff {
		if ps.laptop != "" && g.chance(0.15) {
			ps.newLaptopDay, ps.newLaptop = g.ui(10, g.days-5), g.id("dev-")
		}
	}
}

func hm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func (g *gen) person(role string, s *gshop) *person {
	ps := &person{id: g.id("u-"), role: role, rate: g.lognorm(0.35), ctx: g.u(0.4, 0.8),
		typo: g.u(0.02, 0.08), newLaptopDay: -1, leaveDay: 1 << 30, vacation: -1, busy: map[int]bool{}}
	ps.name = fmt.Sprintf("%s%d", role, len(g.staff)+1)
	if s != nil {
		ps.shop, ps.sh = s.id, s
		s.staff = append(s.staff, ps)
	} else {
		ps.sh = g.shops[0]
	}
	ps.bg = g.u(0.02, 0.35) * g.lognorm(0.5)
	switch role {
	case "owner", "auditor", "marketing", "manager":
		ps.laptop = g.id("dev-")
	default:
		if g.chance(0.3) {
			ps.laptop = g.id("dev-")
		}
	}
	// Working days: the shop's open days, less one or two; part-timers three.
	var open []int
	for wd := range 7 {
		if ps.sh.hours[wd] != nil {
			open = append(open, wd)
		}
	}
	g.r.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	n := len(open) - 1
	if role == "sales" || role == "mechanic" {
		if g.chance(0.25) {
			ps.part, ps.morning, n = true, g.chance(0.5), 3
		}
	}
	switch role {
	case "owner":
		n = 4
	case "auditor":
		n = 2
	case "marketing":
		n = 4
	}
	for _, wd := range open[:min(n, len(open))] {
		ps.workdays[wd] = true
	}
	if g.chance(0.5) {
		ps.vacation = g.ui(0, g.days-7)
	}
	switch role {
	case "owner":
		ps.evening = g.u(0.5, 1.5)
	case "manager":
		ps.evening = g.u(0, 0.4)
		ps.lateStay = g.u(0.05, 0.2)
	default:
		ps.lateStay = g.u(0, 0.08)
	}
	g.staff = append(g.staff, ps)
	return ps
}

// at is local time on day d of the trace at minute m of the shop's day.
func (g *gen) at(s *gshop, d, m int) time.Time {
	day := g.start.AddDate(0, 0, d)
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.loc).Add(time.Duration(m) * time.Minute)
}

func (s *gshop) open(g *gen, d int) *[2]int {
	t := g.at(s, d, 0)
	if s.holidays[t.Format("2006-01-02")] {
		return nil
	}
	return s.hours[t.Weekday()]
}

// ev appends an event by ps.
func (g *gen) ev(ps *person, t time.Time, dev, action, target, outcome, detail, grant string) {
	g.evs = append(g.evs, detect.Event{At: t.Round(time.Millisecond), UserID: ps.id, Username: ps.name, DeviceID: dev,
		Action: action, Target: target, Outcome: outcome, Detail: detail, Role: ps.role, ShopID: ps.shop, Grant: grant})
}

func (g *gen) device(ps *person, d int) string {
	lap := ps.laptop
	if ps.newLaptopDay >= 0 && d >= ps.newLaptopDay {
		lap = ps.newLaptop
	}
	switch ps.role {
	case "mechanic":
		if lap != "" && g.chance(0.3) {
			return lap
		}
		return ps.sh.workshop
	case "sales":
		if lap != "" && g.chance(0.5) {
			return lap
		}
		return ps.sh.counter[g.r.IntN(len(ps.sh.counter))]
	}
	return lap
}

var piiGrant = map[string]string{"owner": "all", "manager": "shop", "sales": "own", "mechanic": "assigned"}

// signIn: typos first, now and then a forgotten password, then the sign-in and the index.
func (g *gen) signIn(ps *person, t time.Time, dev string) time.Time {
	if g.chance(0.01) {
		g.evs = append(g.evs, detect.Event{At: t.Add(-40 * time.Second), UserID: detect.UnknownUser, DeviceID: dev,
			Action: "auth.sign_in", Outcome: "failed", Detail: "unknown user"})
	}
	fails := 0
	switch {
	case g.chance(0.004):
		fails = g.ui(3, 6)
	case g.chance(ps.typo):
		fails = 1
		if g.chance(0.2) {
			fails = g.ui(2, 3)
		}
	}
	tt := t.Add(-time.Duration(fails*20) * time.Second)
	for i := 1; i <= fails; i++ {
		det := fmt.Sprintf("failed attempts=%d", i)
		if i == 5 {
			det += "; locked"
		}
		out := "failed"
		if i > 5 {
			out, det = "refused", "locked out"
		}
		g.ev(ps, tt, dev, "auth.sign_in", ps.id, out, det, "")
		tt = tt.Add(time.Duration(g.ui(8, 30)) * time.Second)
	}
	if fails >= 5 {
		t = t.Add(16 * time.Minute)
	}
	g.ev(ps, t, dev, "auth.sign_in", ps.id, "ok", "", "")
	if gr, ok := piiGrant[ps.role]; ok {
		n := len(ps.sh.custs)
		switch ps.role {
		case "owner":
			n = 0
			for _, s := range g.shops {
				n += len(s.custs)
			}
		case "sales":
			n = len(ps.own)
		case "mechanic":
			n = g.ui(3, 15)
		}
		g.ev(ps, t.Add(time.Duration(g.ui(1, 4))*time.Second), dev, "customer.index", "", "ok", fmt.Sprintf("customers=%d", n), gr)
	}
	return t
}

// dayFactor: Saturdays are busy, the season builds up.
func (g *gen) dayFactor(t time.Time, d int) float64 {
	f := 1.0
	switch t.Weekday() {
	case time.Saturday:
		f = 1.6
	case time.Friday:
		f = 1.15
	case time.Monday:
		f = 0.9
	}
	return f * (1 + 0.3*float64(d)/float64(g.days)) * g.u(0.75, 1.25)
}

// pick chooses one of a list, favouring the front (regulars).
func (g *gen) pick(l []string) string {
	if len(l) == 0 {
		return ""
	}
	x := g.r.Float64()
	return l[int(float64(len(l))*x*x)]
}

func (g *gen) other(ps *person) string {
	s := ps.sh
	for range 20 {
		c := s.custs[g.r.IntN(len(s.custs))]
		if s.owner[c] != ps.id {
			return c
		}
	}
	return s.custs[g.r.IntN(len(s.custs))] // a shop where they own (nearly) everyone
}

// day generates one person's normal day d.
func (g *gen) day(ps *person, d int) {
	if d < ps.joinDay || d >= ps.leaveDay {
		return
	}
	s := ps.sh
	date := g.at(s, d, 0)
	h := s.open(g, d)
	works := h != nil && ps.workdays[date.Weekday()] && !(ps.vacation >= 0 && d >= ps.vacation && d < ps.vacation+7) && !g.chance(0.03)
	if ps.role == "owner" || ps.role == "manager" {
		if g.chance(ps.evening / 7) {
			g.evening(ps, d)
		}
	}
	if !works {
		return
	}
	from, to := h[0]-g.ui(5, 30), h[1]+g.ui(-10, 20)
	switch ps.role {
	case "owner":
		from, to = h[0]+g.ui(30, 120), h[0]+g.ui(300, 420)
	case "auditor", "marketing":
		from, to = h[0]+g.ui(0, 60), h[1]-g.ui(0, 90)
	}
	if ps.part {
		mid := (h[0] + h[1]) / 2
		if ps.morning {
			to = mid + g.ui(-20, 20)
		} else {
			from = mid + g.ui(-20, 20)
		}
	}
	if g.chance(ps.lateStay) {
		to += g.ui(20, 60)
	}
	if to <= from+30 {
		return
	}
	// A lunch break splits the day into two sessions, each with its sign-in.
	lunch := (from + to) / 2
	for i, sess := range [][2]int{{from, lunch - 15}, {lunch + g.ui(15, 45), to}} {
		if sess[1] <= sess[0]+10 {
			continue
		}
		if i == 1 && g.chance(0.4) { // stayed signed in over lunch
			g.session(ps, d, sess[0], sess[1], false)
			continue
		}
		g.session(ps, d, sess[0], sess[1], true)
	}
}

// session is a signed-in stretch from minute a to b of day d.
func (g *gen) session(ps *person, d, a, b int, signIn bool) {
	s := ps.sh
	dev := g.device(ps, d)
	t0 := g.at(s, d, a).Add(time.Duration(g.r.IntN(60)) * time.Second)
	if signIn {
		t0 = g.signIn(ps, t0, dev)
	}
	t1 := g.at(s, d, b)
	f := g.dayFactor(t0, d)
	hours := t1.Sub(t0).Hours()
	if hours <= 0 {
		return
	}
	pii := piiGrant[ps.role]
	when := func() time.Time { return t0.Add(time.Duration(g.r.Float64() * float64(t1.Sub(t0)))) }
	switch ps.role {
	case "sales", "manager", "owner":
		base := map[string]float64{"sales": 5.5, "manager": 3, "owner": 1.5}[ps.role]
		n := g.poisson(base * ps.rate * f * hours)
		for range n {
			g.interaction(ps, when(), dev, pii)
		}
		for range g.poisson(0.3 * hours) {
			g.ev(ps, when(), dev, "sale.list", "", "ok", fmt.Sprintf("sales=%d names=%d", g.ui(5, 40), g.ui(5, 40)), pii)
		}
		for range g.poisson(0.2 * hours) {
			g.ev(ps, when(), dev, "work_order.list", "", "ok", fmt.Sprintf("jobs=%d", g.ui(3, 30)), pii)
		}
		if ps.role == "sales" {
			bg := ps.bg
			if g.covering(ps, d) {
				bg = 2*bg + 0.3
			}
			for range g.poisson(bg * hours / 8) {
				t := when()
				c := g.other(ps)
				if g.chance(0.6) {
					g.ev(ps, t, dev, "customer.lookup_other", "", "ok", "matches=1 "+c, "break-glass")
					t = t.Add(time.Duration(g.ui(10, 60)) * time.Second)
				}
				g.ev(ps, t, dev, "customer.read.break_glass", c, "ok", "", "break-glass")
				if g.chance(0.5) {
					g.ev(ps, t.Add(time.Duration(g.ui(2, 15))*time.Minute), dev, "work_order.create", c, "ok", "", "break-glass")
				}
			}
			if g.chance(0.03 * hours / 8) {
				g.ev(ps, when(), dev, "customer.delete", g.pick(ps.own), "denied", "", "request")
			}
			// Now and then an hour of calling their customers back (service reminders):
			// many of their own, no sale.
			if g.chance(0.025 * hours / 8) {
				t, n := when(), g.ui(12, 30)
				for range n {
					c := ps.own[g.r.IntN(len(ps.own))]
					g.ev(ps, t, dev, "customer.read", c, "ok", "", pii)
					if g.chance(0.2) {
						g.ev(ps, t.Add(time.Minute), dev, "customer.update", c, "ok", "", pii)
					}
					t = t.Add(time.Duration(g.ui(90, 300)) * time.Second)
				}
			}
			if g.chance(0.01 * hours / 8) {
				g.ev(ps, when(), dev, "customer.read", g.other(ps), "denied", "", "")
			}
			if g.chance(0.1 * hours / 8) {
				g.ev(ps, when(), dev, "stats.read", "", "ok", "grant=own", "own")
			}
		}
		if ps.role == "manager" || ps.role == "owner" {
			for range g.poisson(map[string]float64{"manager": 1.5, "owner": 3}[ps.role] * hours / 8) {
				g.ev(ps, when(), dev, "stats.read", "", "ok", "grant="+pii, pii)
			}
			if g.chance(0.25 * hours / 8) {
				g.ev(ps, when(), dev, "audit.read", "", "ok", fmt.Sprintf("entries=%d", g.ui(50, 200)), pii)
			}
			if ps.role == "manager" {
				for range g.poisson(3 * hours / 8) {
					g.ev(ps, when(), dev, "work_order.assign", g.id("wo-"), "ok", "mechanic="+g.mechanic(ps.sh), pii)
				}
				if g.chance(0.3 * hours / 8) {
					n := g.ui(1, 3)
					if g.chance(0.05) {
						n = g.ui(4, 8) // a clean-up of duplicates
					}
					t := when()
					for range n {
						g.ev(ps, t, dev, "customer.delete", ps.sh.custs[g.r.IntN(len(ps.sh.custs))], "ok", "", pii)
						t = t.Add(time.Duration(g.ui(20, 240)) * time.Second)
					}
				}
			}
			if g.chance(0.02 * hours / 8) {
				g.ev(ps, when(), dev, "customer.export", "", "ok", fmt.Sprintf("count=%d", g.ui(5, 45)), pii)
			}
		}
	case "mechanic":
		g.ev(ps, t0.Add(time.Minute), dev, "work_order.list", "", "ok", fmt.Sprintf("jobs=%d", g.ui(2, 12)), pii)
		for range g.poisson(1.3 * ps.rate * f * hours) {
			t := when()
			wo := g.id("wo-")
			g.ev(ps, t, dev, "work_order.status", wo, "ok", "open->in_progress", pii)
			if g.chance(0.6) {
				g.ev(ps, t.Add(time.Duration(g.ui(5, 120))*time.Second), dev, "customer.read", ps.sh.custs[g.r.IntN(len(ps.sh.custs))], "ok", "", pii)
			}
			for range g.ui(1, 3) {
				t = t.Add(time.Duration(g.ui(5, 30)) * time.Minute)
				g.ev(ps, t, dev, "work_order.add_line", wo, "ok", "", pii)
			}
			g.ev(ps, t.Add(time.Duration(g.ui(5, 30))*time.Minute), dev, "work_order.status", wo, "ok", "in_progress->done", pii)
		}
		if g.chance(0.03 * hours / 8) {
			g.ev(ps, when(), dev, "customer.read", ps.sh.custs[g.r.IntN(len(ps.sh.custs))], "denied", "", "")
		}
		if g.chance(0.02 * hours / 8) {
			g.ev(ps, when(), dev, "customer.lookup", "", "ok", "matches=0", "")
		}
	case "auditor":
		for range g.poisson(1.0 * hours) {
			g.ev(ps, when(), dev, "audit.read", "", "ok", fmt.Sprintf("entries=%d", g.ui(50, 200)), "no PII")
		}
		for range g.poisson(0.3 * hours) {
			g.ev(ps, when(), dev, "stats.read", "", "ok", "grant=no PII", "no PII")
		}
	case "marketing":
		for range g.poisson(0.6 * hours) {
			g.ev(ps, when(), dev, "stats.read", "", "ok", "grant=all shops", "all shops")
		}
		for range g.poisson(0.3 * hours) {
			g.ev(ps, when(), dev, "consent.audience", g.shops[g.r.IntN(3)].id, "ok", fmt.Sprintf("purpose=email_marketing channel=email customers=%d", g.ui(100, 900)), "all")
		}
	}
	if g.chance(0.7) {
		g.ev(ps, t1.Add(time.Duration(g.ui(0, 120))*time.Second), dev, "auth.sign_out", "", "ok", "", "")
	}
}

// covering reports whether a sales colleague of ps's shop is on holiday on day d: their
// customers then come to ps, through break-glass.
func (g *gen) covering(ps *person, d int) bool {
	for _, o := range ps.sh.staff {
		if o != ps && o.role == "sales" && o.vacation >= 0 && d >= o.vacation && d < o.vacation+7 {
			return true
		}
	}
	return false
}

func (g *gen) mechanic(s *gshop) string {
	for _, ps := range s.staff {
		if ps.role == "mechanic" {
			return ps.id
		}
	}
	return ""
}

// interaction: a customer at the counter or on the phone. Sales serve their own; a manager
// and the owner any of the shop's.
func (g *gen) interaction(ps *person, t time.Time, dev, grant string) {
	s := ps.sh
	if ps.role == "owner" {
		s = g.shops[g.r.IntN(len(g.shops))]
	}
	if g.chance(0.08) { // a new customer
		g.ev(ps, t, dev, "customer.lookup", "", "ok", "matches=0", grant)
		c := g.id("c-")
		t = t.Add(time.Duration(g.ui(1, 4)) * time.Minute)
		g.ev(ps, t, dev, "customer.create", c, "ok", "", grant)
		if ps.role == "sales" {
			ps.own = append(ps.own, c)
		}
		if g.chance(0.7) {
			g.ev(ps, t.Add(time.Duration(g.ui(2, 15))*time.Minute), dev, []string{"sale.create", "work_order.create"}[g.r.IntN(2)], c, "ok", "", grant)
		}
		return
	}
	var c string
	if ps.role == "sales" {
		c = g.pick(ps.own)
	} else {
		c = s.custs[g.r.IntN(len(s.custs))]
	}
	if c == "" {
		return
	}
	if g.chance(0.4) {
		g.ev(ps, t, dev, "customer.lookup", "", "ok", "matches=1 "+c, grant)
		t = t.Add(time.Duration(g.ui(3, 40)) * time.Second)
	}
	g.ev(ps, t, dev, "customer.read", c, "ok", "", grant)
	if g.chance(ps.ctx) {
		t = t.Add(time.Duration(g.ui(2, 20)) * time.Minute)
		a := []string{"sale.create", "sale.create", "work_order.create", "work_order.create", "customer.update", "bike.create"}[g.r.IntN(6)]
		g.ev(ps, t, dev, a, c, "ok", "", grant)
	}
}

// evening: the owner (or a manager) at home after hours: figures, the trail, a customer or two.
func (g *gen) evening(ps *person, d int) {
	s := ps.sh
	if ps.role == "owner" {
		s = g.shops[0]
	}
	t := g.at(s, d, g.ui(19*60+30, 22*60))
	pii := piiGrant[ps.role]
	dev := g.device(ps, d)
	t = g.signIn(ps, t, dev)
	for range g.ui(1, 4) {
		t = t.Add(time.Duration(g.ui(1, 10)) * time.Minute)
		g.ev(ps, t, dev, "stats.read", "", "ok", "grant="+pii, pii)
	}
	if g.chance(0.4) {
		g.ev(ps, t.Add(time.Minute), dev, "audit.read", "", "ok", "entries=200", pii)
	}
	for range g.ui(0, 4) {
		t = t.Add(time.Duration(g.ui(1, 8)) * time.Minute)
		g.ev(ps, t, dev, "customer.read", s.custs[g.r.IntN(len(s.custs))], "ok", "", pii)
	}
}
