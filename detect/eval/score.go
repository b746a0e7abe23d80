package eval

import (
	"slices"
	"time"

	"spoke/detect"
)

// Found is one scenario's result.
type Found struct {
	Scenario Scenario
	Found    bool
	// TTD is the time from the scenario's first abnormal event to the first alert that found
	// it.
	TTD  time.Duration
	Kind string // the kind of that alert
}

// Result is a trace's score, as the issue defines it.
type Result struct {
	Scenarios []Found
	// Recall is found scenarios over all.
	Recall float64
	// False alerts: those that name nobody of a scenario within an hour before it to a day
	// after it.
	False     []detect.Alert
	Alerts    int
	ShopWeeks float64
}

// FalsePerShopWeek is false alerts / (shops x weeks).
func (r Result) FalsePerShopWeek() float64 {
	if r.ShopWeeks == 0 {
		return 0
	}
	return float64(len(r.False)) / r.ShopWeeks
}

// deadline is the last raised_at that finds the scenario: an hour after its first abnormal
// event, or its last event for slow exfiltration.
func deadline(s Scenario) time.Time {
	if s.Kind == SlowExfil {
		return s.LastAt
	}
	return s.FirstAt.Add(time.Hour)
}

// Score scores alerts against a trace's labels:
//   - a scenario is found when an alert names one of its users with raised_at between its
//     first abnormal event and one hour later (slow exfiltration: before its last event);
//   - a false alert is one that names nobody of a scenario within an hour before it to a day
//     after it, that is: no scenario of that user whose span, from an hour before its first
//     event to a day after its last, holds the alert's raised_at;
//   - per shop-week = false alerts / (shops x weeks of the trace).
func Score(l Labels, alerts []detect.Alert) Result {
	res := Result{Alerts: len(alerts), ShopWeeks: float64(l.Shops) * l.End.Sub(l.Start).Hours() / (24 * 7)}
	for _, s := range l.Scenarios {
		f := Found{Scenario: s}
		end := deadline(s)
		for _, a := range alerts {
			if !slices.Contains(s.Users, a.UserID) || a.RaisedAt.Before(s.FirstAt) || a.RaisedAt.After(end) {
				continue
			}
			if ttd := a.RaisedAt.Sub(s.FirstAt); !f.Found || ttd < f.TTD {
				f.Found, f.TTD, f.Kind = true, ttd, a.Kind
			}
		}
		res.Scenarios = append(res.Scenarios, f)
	}
	found := 0
	for _, f := range res.Scenarios {
		if f.Found {
			found++
		}
	}
	if len(res.Scenarios) > 0 {
		res.Recall = float64(found) / float64(len(res.Scenarios))
	}
	for _, a := range alerts {
		explained := false
		for _, s := range l.Scenarios {
			if slices.Contains(s.Users, a.UserID) && !a.RaisedAt.Before(s.FirstAt.Add(-time.Hour)) && !a.RaisedAt.After(s.LastAt.Add(24*time.Hour)) {
				explained = true
				break
			}
		}
		if !explained {
			res.False = append(res.False, a)
		}
	}
	return res
}
