package eval

import (
	"fmt"
	"slices"
	"time"

	"spoke/detect"
)

// scenarios injects each kind once, after the clean weeks, each with its own actor where the
// staff allows.
func (g *gen) scenarios() {
	lo := g.p.CleanWeeks * 7
	used := map[*person]bool{}
	for i, k := range g.p.Kinds {
		sc := Scenario{ID: fmt.Sprintf("s%d-%s", i+1, k), Kind: k}
		var ok bool
		for try := 0; try < 20 && !ok; try++ {
			ok = g.inject(&sc, lo, used)
		}
		if ok {
			g.labels.Scenarios = append(g.labels.Scenarios, sc)
		}
	}
}

// actor picks someone of one of the roles who is there all along and not yet an actor (or,
// with too few staff, one who is).
func (g *gen) actor(used map[*person]bool, roles ...string) *person {
	var free, all []*person
	for _, ps := range g.staff {
		if !slices.Contains(roles, ps.role) || ps.joinDay > 0 || ps.leaveDay < g.days {
			continue
		}
		all = append(all, ps)
		if !used[ps] {
			free = append(free, ps)
		}
	}
	if len(free) > 0 {
		return free[g.r.IntN(len(free))]
	}
	if len(all) > 0 {
		return all[g.r.IntN(len(all))]
	}
	return nil
}

// works reports whether ps is at work on day d (as the plan has it; a sick day may still
// have kept them home, and the scenario then has them come in).
func (g *gen) works(ps *person, d int) bool {
	h := ps.sh.open(g, d)
	return h != nil && ps.workdays[g.at(ps.sh, d, 0).Weekday()] && !(ps.vacation >= 0 && d >= ps.vacation && d < ps.vacation+7)
}

func (g *gen) workday(ps *person, lo, hi int) int {
	var ds []int
	for d := lo; d < hi && d < g.days; d++ {
		if g.works(ps, d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return -1
	}
	return ds[g.r.IntN(len(ds))]
}

// within returns a moment of day d's opening hours at least lead minutes before closing.
func (g *gen) within(ps *person, d, lead int) time.Time {
	h := ps.sh.open(g, d)
	a, b := h[0]+20, max(h[0]+21, h[1]-lead)
	return g.at(ps.sh, d, g.ui(a, b)).Add(time.Duration(g.r.IntN(60)) * time.Second)
}

// mark appends ev through f and records the scenario's first and last event.
type marker struct {
	g          *gen
	sc         *Scenario
	first, end time.Time
}

func (m *marker) ev(ps *person, t time.Time, dev, action, target, outcome, detail, grant string) {
	m.g.ev(ps, t, dev, action, target, outcome, detail, grant)
	if m.first.IsZero() || t.Before(m.first) {
		m.first = t
	}
	if t.After(m.end) {
		m.end = t
	}
}

func (m *marker) done(users ...string) bool {
	if m.first.IsZero() {
		return false
	}
	m.sc.FirstAt, m.sc.LastAt = m.first.Round(time.Millisecond), m.end.Round(time.Millisecond)
	for _, u := range users {
		if !slices.Contains(m.sc.Users, u) {
			m.sc.Users = append(m.sc.Users, u)
		}
	}
	return true
}

func (g *gen) inject(sc *Scenario, lo int, used map[*person]bool) bool {
	m := &marker{g: g, sc: sc}
	minute := func(x float64) time.Duration { return time.Duration(x * float64(time.Minute)) }
	switch sc.Kind {
	case Departing:
		ps := g.actor(used, "sales")
		if ps == nil {
			return false
		}
		start := g.workday(ps, lo, g.days-9)
		if start < 0 {
			return false
		}
		leave := start + g.ui(4, 8)
		bursts := g.ui(2, 4)
		for d := start; d < leave && bursts > 0; d++ {
			if !g.works(ps, d) {
				continue
			}
			bursts--
			dev := g.device(ps, d)
			t := g.within(ps, d, 150)
			dur := g.u(40, 150)
			k := int(g.u(20, 90) * dur / 60)
			share := g.u(0.2, 0.6)
			for j := range k {
				tj := t.Add(minute(dur * float64(j) / float64(k))).Add(time.Duration(g.r.IntN(20)) * time.Second)
				if g.chance(share) {
					c := g.other(ps)
					if g.chance(0.5) {
						m.ev(ps, tj, dev, "customer.lookup_other", "", "ok", "matches=1 "+c, "break-glass")
						tj = tj.Add(10 * time.Second)
					}
					m.ev(ps, tj, dev, "customer.read.break_glass", c, "ok", "", "break-glass")
				} else {
					m.ev(ps, tj, dev, "customer.read", ps.own[g.r.IntN(len(ps.own))], "ok", "", "own")
				}
			}
			for range g.ui(1, 2) {
				m.ev(ps, t.Add(minute(g.u(0, dur))), dev, "customer.export", "", "denied", fmt.Sprintf("count=%d", g.ui(20, 49)), "")
			}
		}
		// Gone from the leaving day: no more of their normal days.
		cut := g.at(ps.sh, leave, 0)
		g.evs = slices.DeleteFunc(g.evs, func(e detect.Event) bool { return e.UserID == ps.id && !e.At.Before(cut) })
		ps.leaveDay = leave
		used[ps] = true
		g.labels.Leavers = append(g.labels.Leavers, Leaver{UserID: ps.id, Leaving: cut, NoticeAt: cut.AddDate(0, 0, -g.ui(14, 28))})
		sc.ShopID = ps.shop
		return m.done(ps.id)
	case MassDelete:
		ps := g.actor(used, "manager", "manager", "sales")
		if ps == nil {
			return false
		}
		d := g.workday(ps, lo, g.days-1)
		if d < 0 {
			return false
		}
		t := g.within(ps, d, 30)
		if g.chance(0.3) {
			t = g.at(ps.sh, d, ps.sh.open(g, d)[1]+g.ui(10, 60))
		}
		dev := g.device(ps, d)
		n, dur := g.ui(12, 150), g.u(1, 30)
		out, grant := "ok", "shop"
		if ps.role == "sales" {
			out, grant = "denied", "request"
		}
		for j := range n {
			m.ev(ps, t.Add(minute(dur*float64(j)/float64(n))), dev, "customer.delete", ps.sh.custs[g.r.IntN(len(ps.sh.custs))], out, "", grant)
		}
		used[ps] = true
		sc.ShopID = ps.shop
		return m.done(ps.id)
	case AfterHours:
		ps := g.actor(used, "sales", "sales", "manager")
		if ps == nil {
			return false
		}
		d := g.ui(lo, g.days-2)
		var t time.Time
		if h := ps.sh.open(g, d); h != nil {
			t = g.at(ps.sh, d, min(h[1]+g.ui(90, 240), 23*60+20))
		} else {
			t = g.at(ps.sh, d, g.ui(10*60, 22*60))
		}
		dev := ps.sh.counter[0]
		if g.chance(0.5) {
			dev = g.id("dev-")
		}
		t = g.signIn(ps, t, dev).Add(time.Minute)
		k, dur := g.ui(10, 50), g.u(20, 120)
		for j := range k {
			tj := t.Add(minute(dur * float64(j) / float64(k))).Add(time.Duration(g.r.IntN(30)) * time.Second)
			c := g.other(ps)
			if ps.role == "sales" {
				if g.chance(0.5) {
					m.ev(ps, tj, dev, "customer.lookup_other", "", "ok", "matches=1 "+c, "break-glass")
					tj = tj.Add(15 * time.Second)
				}
				m.ev(ps, tj, dev, "customer.read.break_glass", c, "ok", "", "break-glass")
			} else {
				m.ev(ps, tj, dev, "customer.read", c, "ok", "", "shop")
			}
		}
		g.ev(ps, m.end.Add(time.Minute), dev, "auth.sign_out", "", "ok", "", "")
		used[ps] = true
		sc.ShopID = ps.shop
		return m.done(ps.id)
	case BreakGlass:
		ps := g.actor(used, "sales")
		if ps == nil {
			return false
		}
		d := g.workday(ps, lo, g.days-1)
		if d < 0 {
			return false
		}
		dev := g.device(ps, d)
		t := g.within(ps, d, 130)
		k, dur := g.ui(8, 30), g.u(30, 150)
		for j := range k {
			tj := t.Add(minute(dur * float64(j) / float64(k))).Add(time.Duration(g.r.IntN(60)) * time.Second)
			c := g.other(ps)
			if g.chance(0.5) {
				m.ev(ps, tj, dev, "customer.lookup_other", "", "ok", "matches=1 "+c, "break-glass")
				tj = tj.Add(20 * time.Second)
			}
			m.ev(ps, tj, dev, "customer.read.break_glass", c, "ok", "", "break-glass")
		}
		used[ps] = true
		sc.ShopID = ps.shop
		return m.done(ps.id)
	case Credential:
		s := g.shops[g.r.IntN(len(g.shops))]
		var targets []*person
		cands := []*person{g.owner}
		for _, ps := range s.staff {
			if ps.joinDay == 0 && ps.leaveDay >= g.days {
				cands = append(cands, ps)
			}
		}
		g.r.Shuffle(len(cands)-1, func(i, j int) { cands[i+1], cands[j+1] = cands[j+1], cands[i+1] })
		targets = cands[:min(len(cands), g.ui(1, 3))]
		unknown := g.chance(0.5)
		d := g.ui(lo, g.days-2)
		var t time.Time
		switch x := g.r.Float64(); {
		case x < 0.3:
			t = g.at(s, d, g.ui(22*60, 28*60))
		case x < 0.6:
			t = g.at(s, d, g.ui(19*60, 22*60))
		default:
			t = g.at(s, d, g.ui(10*60, 17*60))
		}
		dev := s.counter[g.r.IntN(len(s.counter))]
		if g.chance(0.6) {
			dev = g.id("dev-")
		}
		n, dur := g.ui(10, 40), g.u(5, 60)
		fails := map[*person]int{}
		locked := map[*person]time.Time{}
		var users []string
		for j := range n {
			tj := t.Add(minute(dur * float64(j) / float64(n))).Add(time.Duration(g.r.IntN(20)) * time.Second)
			if unknown && g.chance(0.3) {
				g.evs = append(g.evs, detect.Event{At: tj, UserID: detect.UnknownUser, DeviceID: dev, Action: "auth.sign_in", Outcome: "failed", Detail: "unknown user"})
				m.first = minTime(m.first, tj)
				m.end = maxTime(m.end, tj)
				users = append(users, detect.UnknownUser)
				continue
			}
			ps := targets[g.r.IntN(len(targets))]
			users = append(users, ps.id)
			if tj.Before(locked[ps]) {
				m.ev(ps, tj, dev, "auth.sign_in", ps.id, "refused", "locked out", "")
				continue
			}
			fails[ps]++
			det := fmt.Sprintf("failed attempts=%d", fails[ps])
			if fails[ps] >= 5 {
				det += "; locked"
				fails[ps] = 0
				locked[ps] = tj.Add(15 * time.Minute)
			}
			m.ev(ps, tj, dev, "auth.sign_in", ps.id, "failed", det, "")
		}
		sc.ShopID = s.id
		return m.done(users...)
	case Probing:
		ps := g.actor(used, "mechanic")
		if ps == nil {
			return false
		}
		d := g.workday(ps, lo, g.days-1)
		if d < 0 {
			return false
		}
		dev := g.device(ps, d)
		t := g.within(ps, d, 130)
		k, dur := g.ui(12, 40), g.u(30, 150)
		for j := range k {
			tj := t.Add(minute(dur * float64(j) / float64(k))).Add(time.Duration(g.r.IntN(40)) * time.Second)
			switch x := g.r.Float64(); {
			case x < 0.6:
				m.ev(ps, tj, dev, "customer.read", ps.sh.custs[g.r.IntN(len(ps.sh.custs))], "denied", "", "")
			case x < 0.85:
				m.ev(ps, tj, dev, "customer.lookup", "", "ok", "matches=0", "")
			default:
				m.ev(ps, tj, dev, "customer.lookup_other", "", "ok", "matches=0", "assigned")
			}
		}
		used[ps] = true
		sc.ShopID = ps.shop
		return m.done(ps.id)
	case SlowExfil:
		ps := g.actor(used, "sales", "sales", "manager")
		if ps == nil {
			return false
		}
		start := g.workday(ps, lo, lo+5)
		if start < 0 || (ps.vacation >= 0 && ps.vacation+7 > start && ps.vacation < start+14) {
			return false
		}
		f := g.u(2, 3)
		base, grant := 5.5, "own"
		if ps.role == "manager" {
			base, grant = 3, "shop"
		}
		for d := start; d < start+14 && d < g.days; d++ {
			if !g.works(ps, d) {
				continue
			}
			h := ps.sh.open(g, d)
			t0, t1 := g.at(ps.sh, d, h[0]+10), g.at(ps.sh, d, h[1]-10)
			if ps.part {
				mid := g.at(ps.sh, d, (h[0]+h[1])/2)
				if ps.morning {
					t1 = mid
				} else {
					t0 = mid
				}
			}
			hours := t1.Sub(t0).Hours()
			dev := g.device(ps, d)
			for range g.poisson((f - 1) * base * ps.rate * g.dayFactor(t0, d) * hours) {
				t := t0.Add(time.Duration(g.r.Float64() * float64(t1.Sub(t0))))
				var c string
				if ps.role == "sales" {
					c = ps.own[g.r.IntN(len(ps.own))]
				} else {
					c = ps.sh.custs[g.r.IntN(len(ps.sh.custs))]
				}
				m.ev(ps, t, dev, "customer.read", c, "ok", "", grant)
			}
		}
		used[ps] = true
		sc.ShopID = ps.shop
		return m.done(ps.id)
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
