package detect

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var testLoc = func() *time.Location { l, _ := time.LoadLocation("Europe/Berlin"); return l }()

// testShops: shop s1 opens 09:00-18:30 Monday to Saturday.
func testShops() []Shop {
	s := Shop{ID: "s1", Loc: testLoc}
	for wd := time.Monday; wd <= time.Saturday; wd++ {
		s.Open[wd] = &Hours{From: 9 * 60, To: 18*60 + 30}
	}
	return []Shop{s}
}

// day0 is a Monday; days of history run from it.
var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, testLoc)

func at(day int, hhmm string) time.Time {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return day0.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func read(t time.Time, user, cust, grant string) Event {
	return Event{At: t, UserID: user, Username: "name-" + user, DeviceID: "dev-" + user, Action: "customer.read", Target: cust, Outcome: "ok", Role: "sales", ShopID: "s1", Grant: grant}
}

// history is three weeks of ordinary days for sales users u1..u3 (and a mechanic m1): a
// sign-in, and about eight of their own customers read and served, every working day.
func history() []Event {
	var out []Event
	for d := range 21 {
		if at(d, "12:00").Weekday() == time.Sunday {
			continue
		}
		for ui, u := range []string{"u1", "u2", "u3"} {
			out = append(out, Event{At: at(d, "09:05"), UserID: u, Username: "name-" + u, DeviceID: "dev-" + u, Action: "auth.sign_in", Target: u, Outcome: "ok", Role: "sales", ShopID: "s1"})
			for i := range 8 + (d+ui)%3 {
				c := fmt.Sprintf("c-%s-%d", u, (d*7+i)%60)
				t := at(d, "09:30").Add(time.Duration(i*50+ui*7) * time.Minute)
				out = append(out, read(t, u, c, "own"))
				if i%2 == 0 {
					out = append(out, Event{At: t.Add(5 * time.Minute), UserID: u, Username: "name-" + u, DeviceID: "dev-" + u, Action: "sale.create", Target: c, Outcome: "ok", Role: "sales", ShopID: "s1", Grant: "own"})
				}
			}
			if d%6 == 2 {
				out = append(out, Event{At: at(d, "15:00"), UserID: u, Username: "name-" + u, DeviceID: "dev-" + u, Action: "customer.read.break_glass", Target: "c-other", Outcome: "ok", Role: "sales", ShopID: "s1", Grant: "break-glass"})
			}
		}
		out = append(out, Event{At: at(d, "10:00"), UserID: "m1", DeviceID: "dev-m1", Action: "work_order.status", Target: "wo", Outcome: "ok", Role: "mechanic", ShopID: "s1", Grant: "assigned"})
		out = append(out, Event{At: at(d, "10:05"), UserID: "m1", DeviceID: "dev-m1", Action: "customer.read", Target: fmt.Sprintf("c-job-%d", d), Outcome: "ok", Role: "mechanic", ShopID: "s1", Grant: "assigned"})
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out
}

func replay(d *Detector, evs []Event) []Alert {
	var out []Alert
	for _, ev := range evs {
		out = append(out, d.Observe(ev)...)
	}
	return out
}

// burst: n events from at, one every step.
func burst(n int, start time.Time, step time.Duration, mk func(i int, t time.Time) Event) []Event {
	var out []Event
	for i := range n {
		out = append(out, mk(i, start.Add(time.Duration(i)*step)))
	}
	return out
}

func kinds(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Kind+":"+a.UserID)
	}
	slices.Sort(out)
	return out
}

func TestDetector(t *testing.T) {
	h := history()
	if got := replay(New(Config{}, testShops()), h); len(got) != 0 {
		t.Fatalf("three ordinary weeks raise alerts: %v", got)
	}
	day := 22 // a Tuesday after the history
	ev := func(user, action, target, outcome, detail, grant string) func(int, time.Time) Event {
		return func(i int, t time.Time) Event {
			tg := strings.ReplaceAll(target, "#", fmt.Sprint(i))
			return Event{At: t, UserID: user, Username: "name-" + user, DeviceID: "dev-" + user, Action: action, Target: tg, Outcome: outcome, Detail: detail, Role: "sales", ShopID: "s1", Grant: grant}
		}
	}
	failed := func(user, dev string) func(int, time.Time) Event {
		return func(i int, t time.Time) Event {
			return Event{At: t, UserID: user, DeviceID: dev, Action: "auth.sign_in", Target: user, Outcome: "failed", Detail: fmt.Sprintf("failed attempts=%d", i+1)}
		}
	}
	cases := []struct {
		name   string
		events []Event
		want   []string // kind:user, sorted
		reason string   // a reason must contain this
	}{
		{name: "an ordinary day", events: burst(9, at(day, "10:00"), 40*time.Minute, ev("u1", "customer.read", "c-u1-#", "ok", "", "own"))},
		{name: "60 customers in 40 minutes", events: burst(60, at(day, "11:00"), 40*time.Second, ev("u1", "customer.read", "c-x-#", "ok", "", "own")),
			want: []string{"mass_read:u1"}, reason: "read 20 customers"},
		{name: "one customer read 60 times is not 60 customers", events: burst(60, at(day, "11:00"), 40*time.Second, ev("u1", "customer.read", "c-same", "ok", "", "own"))},
		{name: "11 deletions in 5 minutes", events: burst(11, at(day, "11:00"), 30*time.Second, ev("u2", "customer.delete", "c-#", "ok", "", "shop")),
			want: []string{"bulk_delete:u2"}, reason: "deleted 11 customers in 5 minutes; the limit is 10"},
		{name: "10 deletions are within the limit", events: burst(10, at(day, "11:00"), 30*time.Second, ev("u2", "customer.delete", "c-#", "ok", "", "shop"))},
		{name: "15 deletions refused", events: burst(15, at(day, "11:00"), 10*time.Second, ev("u2", "customer.delete", "c-#", "denied", "", "request")),
			want: []string{"bulk_delete:u2"}, reason: "tried to delete 11 customers in 2 minutes (11 refused)"},
		{name: "an export of 60", events: burst(1, at(day, "11:00"), time.Minute, ev("u3", "customer.export", "", "ok", "count=60", "shop")),
			want: []string{"bulk_export:u3"}, reason: "exported 60 customers in 1 export(s)"},
		{name: "an export of 49", events: burst(1, at(day, "11:00"), time.Minute, ev("u3", "customer.export", "", "ok", "count=49", "shop"))},
		{name: "two exports of 30 within the hour", events: burst(2, at(day, "11:00"), 20*time.Minute, ev("u3", "customer.export", "", "ok", "count=30", "shop")),
			want: []string{"bulk_export:u3"}, reason: "exported 60 customers in 2 export(s)"},
		{name: "reminders to 200, then a campaign to 150 within the hour", events: slices.Concat(
			burst(1, at(day, "11:00"), time.Minute, ev("u3", "reminder.send", "", "ok", "count=230 sent=200 no_consent=30", "shop")),
			burst(1, at(day, "11:30"), time.Minute, ev("u3", "campaign.send", "", "ok", "sent=150", "shop"))),
			want: []string{"mass_send:u3"}, reason: "sent 350 messages to customers in 2 send(s)"},
		{name: "a day's reminders to 120", events: burst(1, at(day, "11:00"), time.Minute, ev("u3", "reminder.send", "", "ok", "count=130 sent=120", "shop"))},
		{name: "60 tickets printed in 40 minutes", events: burst(60, at(day, "11:00"), 40*time.Second, ev("u1", "work_order.print", "wo-#", "ok", "doc=ticket lines=2", "shop")),
			want: []string{"mass_read:u1"}},
		{name: "a recall listing 80 owners", events: burst(1, at(day, "11:00"), time.Minute, ev("u3", "recall.matches", "r-1", "ok", "bikes=90 customers=80", "shop")),
			want: []string{"bulk_export:u3"}, reason: "exported 80 customers"},
		{name: "a recall listing 12 owners", events: burst(1, at(day, "11:00"), time.Minute, ev("u3", "recall.matches", "r-1", "ok", "bikes=12 customers=12", "shop"))},
		{name: "8 failed sign-ins", events: burst(8, at(day, "02:00"), 30*time.Second, failed("u1", "dev-x")),
			want: []string{"credential_guessing:u1"}, reason: "failed sign-ins for their account"},
		{name: "3 typos", events: burst(3, at(day, "09:00"), 20*time.Second, failed("u1", "dev-u1"))},
		{name: "unknown usernames from one device", events: burst(9, at(day, "02:00"), time.Minute, failed(UnknownUser, "dev-x")),
			want: []string{"credential_guessing:unknown"}, reason: "usernames that do not exist"},
		{name: "three accounts tried from one device", events: slices.Concat(
			burst(3, at(day, "02:00"), time.Minute, failed("u1", "dev-x")),
			burst(3, at(day, "02:05"), time.Minute, failed("u2", "dev-x")),
			burst(3, at(day, "02:10"), time.Minute, failed("u3", "dev-x"))),
			want: []string{"credential_guessing:u3"}, reason: "from device dev-x within the hour, for 3 accounts"},
		{name: "break-glass spree", events: burst(6, at(day, "11:00"), 5*time.Minute, ev("u1", "customer.read.break_glass", "c-o-#", "ok", "", "break-glass")),
			want: []string{"break_glass:u1"}, reason: "break-glass reads"},
		{name: "after closing, others' customers", events: burst(12, at(day, "22:00"), 3*time.Minute, ev("u1", "customer.read", "c-o-#", "ok", "", "shop")),
			want: []string{"off_hours:u1"}, reason: "outside opening hours (Tue 22:"},
		{name: "refused reads", events: burst(8, at(day, "11:00"), 3*time.Minute, ev("u2", "customer.read", "c-#", "denied", "", "")),
			want: []string{"probing:u2"}, reason: "(5 refused, 0 unusual)"},
		{name: "unknown actions are ignored", events: burst(500, at(day, "11:00"), time.Second, ev("u1", "campaign.send", "c-#", "ok", "", ""))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(Config{}, testShops())
			replay(d, h)
			got := replay(d, c.events)
			if !slices.Equal(kinds(got), c.want) {
				for _, a := range got {
					t.Logf("%+v", a)
				}
				t.Fatalf("alerts %v, want %v", kinds(got), c.want)
			}
			if c.reason != "" && !slices.ContainsFunc(got, func(a Alert) bool { return strings.Contains(strings.Join(a.Reasons, "; "), c.reason) }) {
				t.Fatalf("no reason with %q: %+v", c.reason, got)
			}
			for _, a := range got {
				if a.Score < 50 || a.Score > 99 || a.FirstAt.After(a.RaisedAt) || a.RaisedAt.Before(c.events[0].At) {
					t.Fatalf("alert out of shape: %+v", a)
				}
			}
		})
	}
}

// A leaving date lowers the thresholds: what passes for anyone else is an alert for a leaver.
func TestLeaver(t *testing.T) {
	day := 22
	events := burst(16, at(day, "11:00"), 3*time.Minute, func(i int, t time.Time) Event { return read(t, "u1", fmt.Sprintf("c-u1-%d", i), "own") })
	for _, leaving := range []bool{false, true} {
		d := New(Config{}, testShops())
		if leaving {
			d.SetLeaving("u1", at(day+10, "00:00"))
		}
		got := replay(d, slices.Concat(history(), events))
		want := []string(nil)
		if leaving {
			want = []string{"mass_read:u1"}
		}
		if !slices.Equal(kinds(got), want) {
			t.Fatalf("leaving %v: alerts %v, want %v", leaving, kinds(got), want)
		}
		if leaving && !strings.Contains(strings.Join(got[0].Reasons, "; "), "leaving on 2026-04-03") {
			t.Fatalf("reasons %v", got[0].Reasons)
		}
	}
	// Cleared, the date no longer counts.
	d := New(Config{}, testShops())
	d.SetLeaving("u1", at(day+10, "00:00"))
	d.SetLeaving("u1", time.Time{})
	if got := replay(d, slices.Concat(history(), events)); len(got) != 0 {
		t.Fatalf("a cleared leaving date still counts: %v", kinds(got))
	}
}

// One alert per user and kind per episode: a second burst the same afternoon is the same
// episode; one after a quiet day is a new one.
func TestEpisodes(t *testing.T) {
	b := func(start time.Time, tag string) []Event {
		return burst(40, start, 30*time.Second, func(i int, t time.Time) Event { return read(t, "u1", fmt.Sprintf("c-%s-%d", tag, i), "own") })
	}
	d := New(Config{}, testShops())
	replay(d, history())
	if got := kinds(replay(d, b(at(22, "10:00"), "a"))); !slices.Equal(got, []string{"mass_read:u1"}) {
		t.Fatalf("first burst: %v", got)
	}
	if got := replay(d, b(at(22, "14:00"), "b")); len(got) != 0 {
		t.Fatalf("the same episode raised again: %v", kinds(got))
	}
	if got := kinds(replay(d, b(at(24, "10:00"), "c"))); !slices.Equal(got, []string{"mass_read:u1"}) {
		t.Fatalf("a new episode after a quiet day: %v", got)
	}
}

// Streaming with no look-ahead: the alerts of any prefix of the trail are the alerts the full
// replay raised by then.
func TestNoLookAhead(t *testing.T) {
	evs := slices.Concat(history(),
		burst(60, at(22, "11:00"), 40*time.Second, func(i int, t time.Time) Event { return read(t, "u1", fmt.Sprintf("c-x-%d", i), "own") }),
		burst(12, at(22, "11:30"), time.Minute, func(i int, t time.Time) Event {
			return Event{At: t, UserID: "u2", DeviceID: "d", Action: "customer.delete", Target: fmt.Sprint(i), Outcome: "ok", Role: "manager", ShopID: "s1"}
		}))
	slices.SortStableFunc(evs, func(a, b Event) int { return a.At.Compare(b.At) })
	type raised struct {
		i int
		a Alert
	}
	var full []raised
	d := New(Config{}, testShops())
	for i, ev := range evs {
		for _, a := range d.Observe(ev) {
			full = append(full, raised{i, a})
		}
	}
	if len(full) < 2 {
		t.Fatalf("expected alerts, got %d", len(full))
	}
	for _, cut := range []int{full[0].i, full[0].i + 1, full[len(full)-1].i, len(evs)} {
		var want []Alert
		for _, r := range full {
			if r.i < cut {
				want = append(want, r.a)
			}
		}
		got := replay(New(Config{}, testShops()), evs[:cut])
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("prefix of %d events: %v, want %v", cut, kinds(got), kinds(want))
		}
	}
}

// Without shop hours the detector learns them, and then off-hours reads are noticed.
func TestLearnedHoursInDetector(t *testing.T) {
	d := New(Config{}, nil)
	replay(d, history())
	got := replay(d, burst(12, at(22, "22:00"), 3*time.Minute, func(i int, t time.Time) Event { return read(t, "u1", fmt.Sprintf("c-o-%d", i), "shop") }))
	if !slices.Contains(kinds(got), "off_hours:u1") {
		t.Fatalf("alerts %v", kinds(got))
	}
}
