package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"spoke/store"
)

// Money per currency: spoke report revenue, and the owner's exchange rates (spoke rates).

func init() {
	register(command{name: "report", summary: "reports from the aggregates: revenue [--convert-to CUR] (per currency; converted only with the owner's rates)", run: runReport})
	register(command{name: "rates", summary: "the owner's exchange rates for converted totals: show, set CUR=RATE... --base CUR [--on DATE]", run: runRates})
}

func runReport(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "revenue" {
		return errUsage{"usage: spoke report revenue --as USER [--convert-to CUR] [--json]"}
	}
	var c common
	fs := newFlags("report revenue", env, &c, true)
	to := fs.String("convert-to", "", "also a chain-wide total in this currency, with the owner's rates")
	asJSON := fs.Bool("json", false, "the report as one JSON object")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errUsage{"usage: spoke report revenue --as USER [--convert-to CUR] [--json]"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := ss.RevenueReport(ctx, *to)
	if err != nil {
		return err
	}
	if *asJSON {
		return emit(env.Stdout, true, []*store.RevenueReport{rep}, nil, nil)
	}
	if err := emit(env.Stdout, false, rep.ByMonth, []string{"MONTH", "CURRENCY", "REVENUE"}, func(c store.Cell) []any {
		return []any{c.Key, c.Currency, cellMoney(c)}
	}); err != nil {
		return err
	}
	for _, t := range rep.Totals {
		note := ""
		if slices.Contains(rep.Partial, t.Currency) {
			note = fmt.Sprintf(" (months with fewer than %d sales left out)", store.MinCell)
		}
		fmt.Fprintf(env.Stdout, "Total %s: %s%s\n", t.Currency, cellMoney(t), note)
	}
	if len(rep.Currencies) > 1 {
		fmt.Fprintln(env.Stdout, "Amounts in different currencies are not added together.")
	}
	if cv := rep.Converted; cv != nil {
		switch {
		case len(cv.Missing) > 0:
			fmt.Fprintf(env.Stdout, "Not converted to %s: no rate for %s. The owner enters it: spoke rates set %s=RATE --base CUR\n",
				cv.To, strings.Join(cv.Missing, ", "), cv.Missing[0])
		default:
			on := "rates as entered"
			if cv.RatesOn != "" {
				on = "rates of " + cv.RatesOn
			}
			hidden := ""
			if cv.Hidden {
				hidden = " (months with groups under " + fmt.Sprint(store.MinCell) + " left out)"
			}
			fmt.Fprintf(env.Stdout, "Converted total %s: %s (%s)%s\n", cv.To, cellMoney(store.Cell{Value: cv.Total}), on, hidden)
		}
	}
	return nil
}

// cellMoney writes minor units as 1234.56, or <5 for a suppressed cell.
func cellMoney(c store.Cell) string {
	if c.Suppressed {
		return "<" + fmt.Sprint(store.MinCell)
	}
	return money(c.Value)
}

func runRates(ctx context.Context, env Env, args []string) error {
	set := len(args) > 0 && args[0] == "set"
	if set {
		args = args[1:]
	} else if len(args) > 0 && args[0] == "show" {
		args = args[1:]
	}
	var c common
	fs := newFlags("rates", env, &c, true)
	base := fs.String("base", "", "the currency the rates are in (set)")
	on := fs.String("on", "", "the day the rates hold for, YYYY-MM-DD (set; default today)")
	asJSON := fs.Bool("json", false, "the rates as one JSON object")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if set && (len(pos) == 0 || *base == "") || !set && len(pos) != 0 {
		return errUsage{"usage: spoke rates [show] --as USER | spoke rates set CUR=RATE... --base CUR [--on YYYY-MM-DD] --as USER"}
	}
	var rates map[string]string
	if set {
		if rates, err = store.ParseRates(pos); err != nil {
			return err
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if set {
		if err := ss.SetRates(ctx, *base, *on, rates); err != nil {
			return err
		}
	}
	r, err := ss.Rates(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return emit(env.Stdout, true, []*store.FXRates{r}, nil, nil)
	}
	if r == nil {
		fmt.Fprintln(env.Stdout, "No exchange rates entered: converted totals name the missing rate")
		return nil
	}
	fmt.Fprintf(env.Stdout, "Rates in %s, of %s (entered by %s %s)\n", r.Base, r.On, r.SetBy, r.SetAt.Local().Format("2006-01-02 15:04"))
	for _, cur := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Rates {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(env.Stdout, "1 %s = %s %s\n", cur, r.Rates[cur], r.Base)
	}
	return nil
}
