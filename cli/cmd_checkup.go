package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"spoke/compliance/checkup"
	"spoke/compliance/docfile"
	"spoke/store"
)

func init() {
	register(command{name: "checkup", summary: "the periodic security check-up (owner): 'checkup run', 'checkup list', 'checkup show [RUN] [--html FILE]', 'checkup decide KEY fixed|accepted', 'checkup settings'", run: runCheckup})
}

const checkupUsage = `usage: spoke checkup run --as OWNER [--json]
       spoke checkup list --as OWNER [--json]
       spoke checkup show [RUN] --as OWNER [--json | --html FILE [--lang en|zh]]
       spoke checkup decide KEY fixed|accepted --as OWNER [--note TEXT]
       spoke checkup settings --as OWNER [--every-days N] [--silent-days N]`

func runCheckup(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errUsage{checkupUsage}
	}
	sub, args := args[0], args[1:]
	var c common
	fs := newFlags("checkup "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	html := fs.String("html", "", "with show: write the report as an HTML document to this file (it must not exist yet)")
	lang := fs.String("lang", "en", "with show --html: en or zh")
	note := fs.String("note", "", "with decide: why (sealed; it may hold anything you type, so keep names out of it)")
	every := fs.Int("every-days", 0, "with settings: a check-up is due this many days after the last (default 91)")
	silent := fs.Int("silent-days", 0, "with settings: a device not synced for longer is a finding (default 14)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var l checkup.Lang
	switch sub {
	case "run", "list", "settings":
		if len(pos) != 0 {
			return errUsage{checkupUsage}
		}
	case "show":
		if len(pos) > 1 || (*html != "" && *asJSON) {
			return errUsage{checkupUsage}
		}
		if l, err = checkup.ParseLang(*lang); err != nil {
			return errUsage{err.Error()}
		}
	case "decide":
		if len(pos) != 2 || (pos[1] != string(checkup.Fixed) && pos[1] != string(checkup.Accepted)) {
			return errUsage{checkupUsage}
		}
	default:
		return errUsage{checkupUsage}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "run":
		r, err := ss.RunCheckup(ctx)
		if err != nil {
			return err
		}
		return printCheckup(env, r, *asJSON)
	case "list":
		runs, err := ss.CheckupRuns(ctx, 0)
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, runs, []string{"RUN", "AT", "BY", "TRIGGER", "VERSION", "FINDINGS", "OPEN (C/H/M/L/I)"}, func(r store.CheckupRunInfo) []any {
			var open []string
			for _, s := range checkup.Severities {
				open = append(open, fmt.Sprint(r.Open[s]))
			}
			return []any{r.ID, r.At.Local().Format("2006-01-02 15:04"), r.RunBy, r.Trigger, r.Version, r.Findings, strings.Join(open, "/")}
		})
	case "show":
		id := ""
		if len(pos) == 1 {
			id = pos[0]
		}
		r, err := ss.CheckupReport(ctx, id)
		if err != nil {
			return err
		}
		if *html != "" {
			b, err := r.HTML(l, clockNow(env))
			if err != nil {
				return err
			}
			if err := docfile.WriteNew(*html, b, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Wrote the check-up report %s (%d findings)\n", r.RunID, len(r.Findings))
			return nil
		}
		return printCheckup(env, r, *asJSON)
	case "decide":
		if err := ss.DecideCheckupFinding(ctx, pos[0], pos[1], *note); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recorded: %s %s\n", pos[0], pos[1])
		return nil
	}
	cur, err := ss.CheckupSettings(ctx)
	if err != nil {
		return err
	}
	if *every != 0 || *silent != 0 {
		if *every != 0 {
			cur.EveryDays = *every
		}
		if *silent != 0 {
			cur.SilentDays = *silent
		}
		if err := ss.SetCheckupSettings(ctx, cur); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "A check-up is due every %d days; a device not synced for %d days is a finding\n", cur.EveryDays, cur.SilentDays)
	return nil
}

// printCheckup prints a report: a summary line and one row per finding, most urgent first, or
// the report as one JSON object.
func printCheckup(env Env, r *checkup.Report, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(r)
	}
	var counts []string
	for _, c := range r.Counts() {
		if c.Open > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.Open, c.Severity))
		}
	}
	open := "nothing open"
	if len(counts) > 0 {
		open = strings.Join(counts, ", ") + " open"
	}
	fmt.Fprintf(env.Stdout, "Check-up %s of %s (%s, by %s): %d findings, %s\n", r.RunID, r.At.Local().Format("2006-01-02 15:04"), r.Trigger, r.RunBy, len(r.Findings), open)
	if len(r.Findings) == 0 {
		return nil
	}
	return emit(env.Stdout, false, r.Findings, []string{"SEVERITY", "STATUS", "KEY", "FINDING"}, func(f checkup.Finding) []any {
		st := string(f.Status)
		if f.Reopened && f.Status == checkup.Open {
			st = "open (was marked fixed)"
		}
		return []any{f.Severity, st, f.Key, f.Title(checkup.EN) + ": " + f.Detail(checkup.EN)}
	})
}
