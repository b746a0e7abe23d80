package training

import (
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	req := []string{"a", "b"}
	start := day("2026-01-01")
	both := map[string]time.Time{"a": day("2026-02-01"), "b": day("2026-03-01")}
	off := Policy{PeriodMonths: 12, GraceDays: 14, Enforce: false}
	cases := []struct {
		name   string
		p      Policy
		passes map[string]time.Time
		now    string
		state  string
		last   string // "" = zero
		due    string
	}{
		{"new account: due at once", DefaultPolicy, nil, "2026-01-01", StateDue, "", "2026-01-01"},
		{"new account, last day of grace", DefaultPolicy, nil, "2026-01-14", StateDue, "", "2026-01-01"},
		{"new account past the grace: blocked", DefaultPolicy, nil, "2026-01-15", StateBlocked, "", "2026-01-01"},
		{"past the grace, not enforced: overdue", off, nil, "2026-01-15", StateOverdue, "", "2026-01-01"},
		{"one of two lessons does not complete it", DefaultPolicy, map[string]time.Time{"a": day("2026-01-02")}, "2026-01-20", StateBlocked, "", "2026-01-01"},
		{"a failed-only lesson (no pass) counts nothing", DefaultPolicy, map[string]time.Time{"a": day("2026-01-02"), "b": {}}, "2026-01-03", StateDue, "", "2026-01-01"},
		{"complete: current", DefaultPolicy, both, "2026-06-01", StateCurrent, "2026-02-01", "2027-02-01"},
		{"due a period after the oldest pass", DefaultPolicy, both, "2027-02-01", StateDue, "2026-02-01", "2027-02-01"},
		{"blocked after its grace", DefaultPolicy, both, "2027-02-15", StateBlocked, "2026-02-01", "2027-02-01"},
		{"a shorter period", Policy{PeriodMonths: 6, GraceDays: 0, Enforce: true}, both, "2026-08-01", StateBlocked, "2026-02-01", "2026-08-01"},
		{"extra lessons do not count", DefaultPolicy, map[string]time.Time{"a": day("2026-02-01"), "x": day("2026-02-01")}, "2026-02-02", StateBlocked, "", "2026-01-01"},
		{"a nonsense period is at least a month", Policy{PeriodMonths: 0, GraceDays: -3, Enforce: true}, both, "2026-03-01", StateBlocked, "2026-02-01", "2026-03-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Evaluate(c.p, start, req, c.passes, day(c.now))
			if s.State != c.state || !s.DueAt.Equal(day(c.due)) {
				t.Fatalf("got %s due %v, want %s due %s", s.State, s.DueAt, c.state, c.due)
			}
			if c.last == "" && !s.LastPassed.IsZero() || c.last != "" && !s.LastPassed.Equal(day(c.last)) {
				t.Fatalf("last passed %v, want %q", s.LastPassed, c.last)
			}
		})
	}
}
