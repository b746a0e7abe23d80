package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"spoke/store"
)

func init() {
	register(command{name: "alerts", summary: "the unusual-behaviour detector's alerts (owner; a shop's manager their shop's; auditor without notes): " +
		"alerts [ack|confirm|dismiss ID --note TEXT [--suspend]|settings --mode alert_only|suspend [--shops FILE]|suspensions|lift USER]", run: runAlerts})
}

var alertSubs = []string{"list", "ack", "confirm", "dismiss", "settings", "suspensions", "lift"}

func runAlerts(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		if !slices.Contains(alertSubs, sub) {
			return errUsage{fmt.Sprintf("spoke alerts: unknown subcommand %q (one of %s)", sub, strings.Join(alertSubs, ", "))}
		}
	}
	var c common
	fs := newFlags("alerts "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "JSON output: one alert per line, then the effectiveness")
	all := fs.Bool("all", false, "with list: decided (confirmed, dismissed) alerts too")
	note := fs.String("note", "", "with ack, confirm, dismiss: the reviewer's note (sealed; never shown to the auditor)")
	suspend := fs.Bool("suspend", false, "with confirm (owner): deactivate the account chain-wide")
	mode := fs.String("mode", "", "with settings: alert_only or suspend (a critical alert suspends the account on the device that saw it)")
	score := fs.Int("score", 0, "with settings: the score from which an alert is critical (50 to 99; default 90)")
	shops := fs.String("shops", "", "with settings: the shops' opening hours as SHOPS.json (see spoke detect) the detector judges off-hours by; \"none\" to learn them")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"ack": 1, "confirm": 1, "dismiss": 1, "lift": 1}[sub]
	if len(pos) != want {
		return errUsage{alertsUsage(sub)}
	}
	if sub == "settings" && *mode == "" && *shops == "" {
		return errUsage{alertsUsage(sub)}
	}
	if *suspend && sub != "confirm" {
		return errUsage{"--suspend goes with confirm"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "ack", "confirm", "dismiss":
		status := map[string]string{"ack": store.AlertAcknowledged, "confirm": store.AlertConfirmed, "dismiss": store.AlertDismissed}[sub]
		if err := ss.DecideAlert(ctx, pos[0], status, *note, *suspend); err != nil {
			return err
		}
		msg := fmt.Sprintf("Alert %s %s", pos[0], status)
		if *suspend {
			msg += "; the account is deactivated on every device with the next sync"
		}
		fmt.Fprintln(env.Stdout, msg)
		return nil
	case "settings":
		if *shops != "" {
			var b []byte
			if *shops != "none" {
				if b, err = os.ReadFile(*shops); err != nil {
					return fmt.Errorf("--shops: %w", err)
				}
			}
			if err := ss.SetShopHours(ctx, string(b)); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, "Opening hours saved; the detector uses them from the next start")
		}
		if *mode != "" {
			if err := ss.SetAlertSettings(ctx, *mode, *score); err != nil {
				return err
			}
		}
		s, err := ss.AlertSettings(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Alerts: %s; critical from score %d\n", s.Mode, s.SuspendScore)
		return nil
	case "suspensions":
		sus, err := ss.Suspensions(ctx)
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, sus, []string{"USER", "ALERT", "SINCE"}, func(x store.Suspension) []any {
			return []any{x.UserID, x.AlertID, x.At.Local().Format("2006-01-02 15:04")}
		})
	case "lift":
		u, err := ss.StaffByUsername(ctx, pos[0])
		if err != nil {
			return err
		}
		if err := ss.LiftSuspension(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Suspension of %s lifted on this device\n", pos[0])
		return nil
	}
	as, err := ss.Alerts(ctx, store.AlertFilter{All: *all})
	if err != nil {
		return err
	}
	// The effectiveness counts every decided alert, listed or not.
	every := as
	if !*all {
		if every, err = ss.Alerts(ctx, store.AlertFilter{All: true}); err != nil {
			return err
		}
	}
	eff := store.EffectivenessOf(every)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, a := range as {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return enc.Encode(map[string]any{"effectiveness": eff})
	}
	if err := emit(env.Stdout, false, as, []string{"ID", "KIND", "USER", "SCORE", "FIRST EVIDENCE", "STATUS", "REASONS"}, func(a store.AlertRecord) []any {
		user := a.Username
		if user == "" {
			user = a.UserID
		}
		status := a.Status
		if a.SuspendedHere {
			status += " (suspended here)"
		}
		return []any{a.ID, a.Kind, user, a.Score, a.FirstAt.Local().Format("2006-01-02 15:04"), status, strings.Join(a.Reasons, "; ")}
	}); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, effectivenessLine(eff))
	return nil
}

// effectivenessLine is "Effectiveness: 67% (2 confirmed, 1 dismissed); bulk_delete 100% (1/1) ...".
func effectivenessLine(e store.AlertEffectiveness) string {
	if e.Overall.Rate < 0 {
		return "Effectiveness: no alert decided yet"
	}
	out := fmt.Sprintf("Effectiveness: %.0f%% (%d confirmed, %d dismissed)", 100*e.Overall.Rate, e.Overall.Confirmed, e.Overall.Dismissed)
	kinds := make([]string, 0, len(e.ByKind))
	for k := range e.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		x := e.ByKind[k]
		out += fmt.Sprintf("; %s %.0f%% (%d/%d)", k, 100*x.Rate, x.Confirmed, x.Confirmed+x.Dismissed)
	}
	return out
}

func alertsUsage(sub string) string {
	switch sub {
	case "ack", "confirm", "dismiss":
		return "usage: spoke alerts " + sub + " --as USER ID [--note TEXT]" + map[bool]string{true: " [--suspend]"}[sub == "confirm"]
	case "settings":
		return "usage: spoke alerts settings --as OWNER [--mode alert_only|suspend [--score N]] [--shops SHOPS.json|none]"
	case "lift":
		return "usage: spoke alerts lift --as OWNER USER"
	}
	return "usage: spoke alerts --as USER [--json] [--all]"
}
