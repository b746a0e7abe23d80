package eval

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"spoke/detect"
)

func TestScore(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	l := Labels{Shops: 3, Start: t0.AddDate(0, 0, -35), End: t0.AddDate(0, 0, 21), Scenarios: []Scenario{
		{ID: "a", Kind: MassDelete, Users: []string{"u1"}, FirstAt: t0, LastAt: t0.Add(10 * time.Minute)},
		{ID: "b", Kind: SlowExfil, Users: []string{"u2"}, FirstAt: t0, LastAt: t0.AddDate(0, 0, 14)},
		{ID: "c", Kind: Credential, Users: []string{"u3", detect.UnknownUser}, FirstAt: t0, LastAt: t0.Add(time.Hour)},
	}}
	al := func(user string, at time.Time) detect.Alert {
		return detect.Alert{UserID: user, Kind: "k", RaisedAt: at, FirstAt: at}
	}
	cases := []struct {
		name   string
		alerts []detect.Alert
		found  []bool // a, b, c
		ttd    time.Duration
		false_ int
	}{
		{"none", nil, []bool{false, false, false}, 0, 0},
		{"at the first event", []detect.Alert{al("u1", t0)}, []bool{true, false, false}, 0, 0},
		{"an hour after", []detect.Alert{al("u1", t0.Add(time.Hour))}, []bool{true, false, false}, time.Hour, 0},
		{"too late to find, within a day: not false", []detect.Alert{al("u1", t0.Add(time.Hour+time.Second))}, []bool{false, false, false}, 0, 0},
		{"the earliest alert counts", []detect.Alert{al("u1", t0.Add(50*time.Minute)), al("u1", t0.Add(5*time.Minute))}, []bool{true, false, false}, 5 * time.Minute, 0},
		{"an hour before: not found, not false", []detect.Alert{al("u1", t0.Add(-time.Hour))}, []bool{false, false, false}, 0, 0},
		{"just over an hour before: false", []detect.Alert{al("u1", t0.Add(-time.Hour-time.Second))}, []bool{false, false, false}, 0, 1},
		{"a day after the last event: not false", []detect.Alert{al("u1", t0.Add(10*time.Minute+24*time.Hour))}, []bool{false, false, false}, 0, 0},
		{"a day and a second after: false", []detect.Alert{al("u1", t0.Add(10*time.Minute+24*time.Hour+time.Second))}, []bool{false, false, false}, 0, 1},
		{"someone else: false", []detect.Alert{al("u9", t0)}, []bool{false, false, false}, 0, 1},
		{"slow: found before its last event", []detect.Alert{al("u2", t0.AddDate(0, 0, 14))}, []bool{false, true, false}, 0, 0},
		{"slow: not after it", []detect.Alert{al("u2", t0.AddDate(0, 0, 14).Add(time.Second))}, []bool{false, false, false}, 0, 0},
		{"a scenario of several users: any of them", []detect.Alert{al(detect.UnknownUser, t0.Add(time.Minute))}, []bool{false, false, true}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Score(l, c.alerts)
			for i, f := range r.Scenarios {
				if f.Found != c.found[i] {
					t.Fatalf("scenario %s found %v, want %v", f.Scenario.ID, f.Found, c.found[i])
				}
			}
			if c.found[0] && r.Scenarios[0].TTD != c.ttd {
				t.Fatalf("time to detection %v, want %v", r.Scenarios[0].TTD, c.ttd)
			}
			if len(r.False) != c.false_ {
				t.Fatalf("%d false alerts, want %d", len(r.False), c.false_)
			}
			n := 0
			for _, f := range c.found {
				if f {
					n++
				}
			}
			if r.Recall != float64(n)/3 {
				t.Fatalf("recall %v", r.Recall)
			}
			if r.ShopWeeks != 24 {
				t.Fatalf("shop-weeks %v, want 3 x 8", r.ShopWeeks)
			}
		})
	}
}

func digest(tr *Trace) [32]byte {
	b, _ := json.Marshal(tr.Events)
	l, _ := json.Marshal(tr.Labels)
	return sha256.Sum256(append(b, l...))
}

func TestGenerate(t *testing.T) {
	p := Params{Seed: 7, Staff: 14, Weeks: 7}
	tr := Generate(p)
	if digest(tr) != digest(Generate(p)) {
		t.Fatal("the same parameters give another trace")
	}
	if digest(tr) == digest(Generate(Params{Seed: 8, Staff: 14, Weeks: 7})) {
		t.Fatal("another seed gives the same trace")
	}
	if !slices.IsSortedFunc(tr.Events, func(a, b detect.Event) int { return a.At.Compare(b.At) }) {
		t.Fatal("events out of time order")
	}
	roles := map[string]map[string]bool{}
	for _, ev := range tr.Events {
		if ev.UserID == detect.UnknownUser {
			continue
		}
		if roles[ev.Role] == nil {
			roles[ev.Role] = map[string]bool{}
		}
		roles[ev.Role][ev.UserID] = true
	}
	for _, r := range []string{"owner", "manager", "sales", "mechanic", "marketing", "auditor"} {
		if len(roles[r]) == 0 {
			t.Errorf("no %s in the trace", r)
		}
	}
	if len(roles["manager"]) != 3 || len(tr.Shops) != 3 {
		t.Errorf("%d managers, %d shops", len(roles["manager"]), len(tr.Shops))
	}
	var kinds []string
	for _, s := range tr.Labels.Scenarios {
		kinds = append(kinds, s.Kind)
		if s.FirstAt.Before(tr.Labels.Start.AddDate(0, 0, 28)) {
			t.Errorf("scenario %s starts within the first four weeks", s.ID)
		}
		if s.LastAt.Before(s.FirstAt) || len(s.Users) == 0 {
			t.Errorf("scenario %+v", s)
		}
	}
	slices.Sort(kinds)
	want := slices.Clone(Kinds)
	slices.Sort(want)
	if !slices.Equal(kinds, want) {
		t.Errorf("scenarios %v", kinds)
	}
	// Every event is a line spoke detect reads, and its shops file parses.
	for _, ev := range tr.Events[:2000] {
		b, _ := json.Marshal(ev)
		if _, err := detect.ParseEvent(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	for _, sp := range tr.Shops {
		if _, err := sp.Shop(); err != nil {
			t.Fatal(err)
		}
	}
	if clean := Generate(Params{Seed: 7, Staff: 14, Weeks: 7, NoScenarios: true}); len(clean.Labels.Scenarios) != 0 {
		t.Fatal("NoScenarios has scenarios")
	}
}

// The harness on one fixed seed: every scenario kind is found, within its deadline, and false
// alerts stay under the one per shop-week. (The many-seed table is spoke-eval's.)
func TestHarnessFindsEachKind(t *testing.T) {
	tr := Generate(Params{Seed: 7, Staff: 14, Weeks: 7})
	alerts, err := Run(tr, detect.DefaultConfig(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := Score(tr.Labels, alerts)
	for _, f := range r.Scenarios {
		if !f.Found {
			t.Errorf("%s not found", f.Scenario.Kind)
		} else if f.Scenario.Kind != SlowExfil && f.TTD > time.Hour {
			t.Errorf("%s found after %v", f.Scenario.Kind, f.TTD)
		}
	}
	if r.FalsePerShopWeek() > 1 {
		t.Errorf("%.2f false alerts per shop-week", r.FalsePerShopWeek())
	}
	for _, a := range alerts {
		if a.UserID == "" || a.Kind == "" || len(a.Reasons) == 0 || a.Score < 1 || a.Score > 99 || a.FirstAt.After(a.RaisedAt) {
			t.Fatalf("alert out of shape: %+v", a)
		}
	}
}
