package eval

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"spoke/detect"
)

// RunResult is one trace's result.
type RunResult struct {
	Seed   uint64
	Staff  int
	Events int
	Result Result
}

// Evaluate generates and scores one trace per seed and staff size.
func Evaluate(seeds []uint64, staff []int, weeks int, cfg detect.Config, o Options) ([]RunResult, error) {
	var out []RunResult
	for _, n := range staff {
		for _, seed := range seeds {
			tr := Generate(Params{Seed: seed, Staff: n, Weeks: weeks})
			alerts, err := Run(tr, cfg, o)
			if err != nil {
				return nil, err
			}
			out = append(out, RunResult{Seed: seed, Staff: n, Events: len(tr.Events), Result: Score(tr.Labels, alerts)})
		}
	}
	return out, nil
}

// Summary aggregates runs.
type Summary struct {
	Runs, Scenarios, Found int
	False                  int
	ShopWeeks              float64
	PerKind                map[string]*KindSummary
}

// KindSummary is one scenario kind over runs.
type KindSummary struct {
	N, Found int
	TTDs     []time.Duration
}

// Summarize adds runs up.
func Summarize(runs []RunResult) Summary {
	s := Summary{PerKind: map[string]*KindSummary{}}
	for _, k := range Kinds {
		s.PerKind[k] = &KindSummary{}
	}
	for _, r := range runs {
		s.Runs++
		s.False += len(r.Result.False)
		s.ShopWeeks += r.Result.ShopWeeks
		for _, f := range r.Result.Scenarios {
			k := s.PerKind[f.Scenario.Kind]
			if k == nil {
				k = &KindSummary{}
				s.PerKind[f.Scenario.Kind] = k
			}
			k.N++
			s.Scenarios++
			if f.Found {
				k.Found++
				s.Found++
				k.TTDs = append(k.TTDs, f.TTD)
			}
		}
	}
	return s
}

// Recall over all scenarios of the runs.
func (s Summary) Recall() float64 {
	if s.Scenarios == 0 {
		return 0
	}
	return float64(s.Found) / float64(s.Scenarios)
}

// FalsePerShopWeek over the runs.
func (s Summary) FalsePerShopWeek() float64 {
	if s.ShopWeeks == 0 {
		return 0
	}
	return float64(s.False) / s.ShopWeeks
}

func dur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return fmt.Sprintf("%.1fd", d.Hours()/24)
}

// Print writes the table of one set of runs: per scenario kind found and time to detection
// (median and worst), then recall and false alerts per shop-week.
func (s Summary) Print(w io.Writer, title string) {
	fmt.Fprintf(w, "%s: %d traces, %d scenarios\n", title, s.Runs, s.Scenarios)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  scenario\tfound\tmedian TTD\tworst TTD")
	for _, k := range Kinds {
		ks := s.PerKind[k]
		if ks == nil || ks.N == 0 {
			continue
		}
		med, worst := "-", "-"
		if len(ks.TTDs) > 0 {
			t := slices.Clone(ks.TTDs)
			slices.Sort(t)
			med, worst = dur(t[len(t)/2]), dur(t[len(t)-1])
		}
		fmt.Fprintf(tw, "  %s\t%d/%d\t%s\t%s\n", k, ks.Found, ks.N, med, worst)
	}
	tw.Flush()
	fmt.Fprintf(w, "  recall %.2f (%d/%d); false alerts %d over %.0f shop-weeks = %.2f per shop-week\n",
		s.Recall(), s.Found, s.Scenarios, s.False, s.ShopWeeks, s.FalsePerShopWeek())
}

// PrintRuns writes one line per trace.
func PrintRuns(w io.Writer, runs []RunResult) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  seed\tstaff\tevents\tfound\tfalse\tper shop-week\tmissed")
	for _, r := range runs {
		found := 0
		var missed []string
		for _, f := range r.Result.Scenarios {
			if f.Found {
				found++
			} else {
				missed = append(missed, f.Scenario.Kind)
			}
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%d/%d\t%d\t%.2f\t%s\n", r.Seed, r.Staff, r.Events, found, len(r.Result.Scenarios),
			len(r.Result.False), r.Result.FalsePerShopWeek(), strings.Join(missed, ","))
	}
	tw.Flush()
}

// FalseKinds counts false alerts by kind.
func FalseKinds(runs []RunResult) string {
	m := map[string]int{}
	for _, r := range runs {
		for _, a := range r.Result.False {
			m[a.Kind]++
		}
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
