package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"spoke/store"
)

func init() {
	register(command{name: "incidents", summary: "the breach register with its 72-hour clock (owner); 'incidents decide ID' records the decision to notify or not; 'incidents open' records another incident", run: runIncidents})
}

func runIncidents(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "decide" || args[0] == "open" || args[0] == "list") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("incidents "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	decision := fs.String("decision", "", "with decide: "+strings.Join(store.IncidentDecisions, ", "))
	reason := fs.String("reason", "", "with decide: "+strings.Join(store.IncidentReasons, ", "))
	kind := fs.String("kind", store.IncidentOther, "with open: "+strings.Join(store.IncidentKinds, ", ")+" (a lost or stolen device: revoke it with 'spoke devices revoke --lost|--stolen')")
	device := fs.String("device", "", "with open: the device concerned, if any")
	discovered := fs.String("discovered", "", "with open: when it was discovered, 'YYYY-MM-DD HH:MM' local time (default: now)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "decide":
		if len(pos) != 1 || *decision == "" || *reason == "" {
			return errUsage{"usage: spoke incidents decide --as OWNER ID --decision " + strings.Join(store.IncidentDecisions, "|") + " --reason " + strings.Join(store.IncidentReasons, "|")}
		}
	case "open":
		if len(pos) != 0 {
			return errUsage{"usage: spoke incidents open --as OWNER --kind KIND [--device ID] [--discovered 'YYYY-MM-DD HH:MM']"}
		}
	default:
		if len(pos) != 0 {
			return errUsage{"usage: spoke incidents --as OWNER [--json]"}
		}
	}
	var at time.Time
	if *discovered != "" {
		if at, err = parseLocalTime(*discovered); err != nil {
			return errUsage{"--discovered: " + err.Error()}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "decide":
		if err := ss.DecideIncident(ctx, pos[0], *decision, *reason); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recorded for incident %s: %s (%s); the incident is closed\n", pos[0], *decision, *reason)
		return nil
	case "open":
		in := store.IncidentInput{Kind: *kind, DeviceID: *device, DiscoveredAt: at}
		id, err := ss.OpenIncident(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Opened incident %s; decide within 72 hours of discovery: spoke incidents decide --as OWNER %s --decision D --reason R\n", id, id)
		return nil
	}
	incs, err := ss.Incidents(ctx)
	if err != nil {
		return err
	}
	now := clockNow(env)
	return emit(env.Stdout, *asJSON, incs, []string{"ID", "KIND", "DEVICE", "CUSTOMERS", "DISCOVERED", "NOTIFY BY", "CLOCK", "DECISION", "PROTECTION"}, func(i store.Incident) []any {
		dev := i.DeviceID
		if dev == "" {
			dev = "-"
		}
		decided := i.Decision
		if !i.Open() {
			decided += " (" + i.Reason + ")"
		}
		return []any{i.ID, i.Kind, dev, i.Total(), i.DiscoveredAt.Local().Format("2006-01-02 15:04"), i.NotifyDueAt.Local().Format("2006-01-02 15:04"),
			incidentClock(i, now), decided, strings.Join(i.Protection, ",")}
	})
}

// incidentClock is the 72-hour clock as the list shows it: time left, OVERDUE, or how it closed.
func incidentClock(i store.Incident, now time.Time) string {
	switch {
	case !i.Open() && i.DecidedLate():
		return "decided late"
	case !i.Open():
		return "decided in time"
	case i.Overdue(now):
		return "OVERDUE by " + hoursMinutes(-i.TimeLeft(now))
	}
	return hoursMinutes(i.TimeLeft(now)) + " left"
}

// hoursMinutes prints a duration as "69h05m".
func hoursMinutes(d time.Duration) string {
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// parseLocalTime reads "YYYY-MM-DD HH:MM" (local time), "YYYY-MM-DD" or RFC 3339.
func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("not a time: give 'YYYY-MM-DD HH:MM' (local time)")
}

// clockNow is the store's clock as commands see it (tests inject one).
func clockNow(env Env) time.Time {
	if env.Options.Now != nil {
		return env.Options.Now()
	}
	return time.Now()
}
