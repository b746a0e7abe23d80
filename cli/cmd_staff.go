package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"spoke/store"
)

func init() {
	register(command{name: "staff", summary: "the departing employee: staff leave USER --date D|--now|--clear (owner), staff leavers, " +
		"staff report USER [--days N], staff reassign FROM --to USER (owner, or the shop's manager)", run: runStaff})
}

var staffSubs = []string{"leave", "leavers", "report", "reassign"}

func runStaff(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || !slices.Contains(staffSubs, args[0]) {
		return errUsage{"usage: spoke staff leave|leavers|report|reassign ... (one of " + strings.Join(staffSubs, ", ") + ")"}
	}
	sub, args := args[0], args[1:]
	var c common
	fs := newFlags("staff "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "JSON output")
	date := fs.String("date", "", "with leave: the leaving date, YYYY-MM-DD (the account is refused from then on, on every device)")
	now := fs.Bool("now", false, "with leave: at once: deactivate the account now (devices apply it at their next sync)")
	clear := fs.Bool("clear", false, "with leave: remove the leaving date")
	days := fs.Int("days", 30, "with report: how many days back")
	to := fs.String("to", "", "with reassign: the salesperson or manager who takes the customers")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"leave": 1, "report": 1, "reassign": 1}[sub]
	if len(pos) != want {
		return errUsage{staffUsage(sub)}
	}
	var leaves time.Time
	switch sub {
	case "leave":
		n := 0
		for _, b := range []bool{*date != "", *now, *clear} {
			if b {
				n++
			}
		}
		if n != 1 {
			return errUsage{"give exactly one of --date YYYY-MM-DD, --now or --clear"}
		}
		if *date != "" {
			if leaves, err = parseLocalTime(*date); err != nil {
				return errUsage{"--date: " + err.Error()}
			}
		}
	case "reassign":
		if *to == "" {
			return errUsage{staffUsage(sub)}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	userID := func(name string) (string, error) {
		u, err := ss.StaffByUsername(ctx, name)
		return u.ID, err
	}
	switch sub {
	case "leave":
		id, err := userID(pos[0])
		if err != nil {
			return err
		}
		if err := ss.SetLeaving(ctx, id, leaves, *now); err != nil {
			return err
		}
		switch {
		case *now:
			fmt.Fprintf(env.Stdout, "%s is deactivated now; every device applies it at its next sync. Next: spoke staff reassign %s --to USER, spoke staff report %s\n", pos[0], pos[0], pos[0])
			if r, err := ss.LeaverReport(ctx, id, 30); err == nil && len(r.Devices) > 0 {
				fmt.Fprintf(env.Stdout, "Devices they signed in on in the last 30 days: %s (revoke a personal one with: spoke devices revoke --as OWNER DEVICE)\n", strings.Join(r.Devices, ", "))
			}
		case *clear:
			fmt.Fprintf(env.Stdout, "%s has no leaving date now\n", pos[0])
		default:
			fmt.Fprintf(env.Stdout, "%s leaves on %s: every device refuses the account from then on by itself; until then their activity is summarised daily (spoke staff leavers)\n", pos[0], leaves.Format("2006-01-02"))
		}
		return nil
	case "reassign":
		from, err := userID(pos[0])
		if err != nil {
			return err
		}
		dst, err := userID(*to)
		if err != nil {
			return err
		}
		n, err := ss.ReassignCustomers(ctx, from, dst)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Moved %d customer(s) from %s to %s\n", n, pos[0], *to)
		return nil
	case "report":
		id, err := userID(pos[0])
		if err != nil {
			return err
		}
		r, err := ss.LeaverReport(ctx, id, *days)
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(env.Stdout, r)
		}
		w := env.Stdout
		fmt.Fprintf(w, "What %s did from %s to %s (counts and ids, no values)\n", r.Username, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"))
		if !r.LeavesAt.IsZero() {
			fmt.Fprintf(w, "Leaving date:          %s\n", r.LeavesAt.Format("2006-01-02"))
		}
		fmt.Fprintf(w, "Sign-ins:              %d on %d device(s): %s\n", r.SignIns, len(r.Devices), strings.Join(r.Devices, ", "))
		fmt.Fprintf(w, "Customers read:        %d (break-glass reads: %d)\n", len(r.Read), r.BreakGlass)
		fmt.Fprintf(w, "Exports:               %d (%d customers)\n", r.Exports, r.Exported)
		fmt.Fprintf(w, "Customers deleted:     %d\n", len(r.Deleted))
		fmt.Fprintf(w, "Denied attempts:       %d\n", r.Denied)
		fmt.Fprintf(w, "Customers still owned: %d; open jobs assigned: %d\n", r.Customers, r.OpenJobs)
		for _, l := range []struct {
			label string
			ids   []string
		}{{"Read", r.Read}, {"Deleted", r.Deleted}} {
			if len(l.ids) > 0 {
				fmt.Fprintf(w, "%s: %s\n", l.label, strings.Join(l.ids, " "))
			}
		}
		return nil
	}
	ls, err := ss.Leavers(ctx)
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, ls, []string{"USER", "SHOP", "LEAVES", "STATE", "READ 24H", "EXPORTS 24H", "DELETED 24H", "DENIED 24H"}, func(l store.Leaver) []any {
		state := "active"
		switch {
		case !l.Active:
			state = "deactivated"
		case l.Proposed:
			state = "proposed by manager"
		}
		return []any{l.Username, l.ShopID, l.LeavesAt.Format("2006-01-02"), state, l.Reads, fmt.Sprintf("%d (%d customers)", l.Exports, l.Exported), l.Deletions, l.Denied}
	})
}

func staffUsage(sub string) string {
	switch sub {
	case "leave":
		return "usage: spoke staff leave --as OWNER USER --date YYYY-MM-DD | --now | --clear"
	case "report":
		return "usage: spoke staff report --as OWNER|MANAGER USER [--days N] [--json]"
	case "reassign":
		return "usage: spoke staff reassign --as OWNER|MANAGER FROM --to USER"
	}
	return "usage: spoke staff leavers --as OWNER|MANAGER [--json]"
}
