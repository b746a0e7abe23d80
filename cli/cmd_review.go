package cli

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"spoke/store"
)

func init() {
	register(command{name: "review", summary: "the periodic permission review (owner; a shop's manager sees their shop and proposes): " +
		"review [start|decide USER DECISION|complete|propose USER KIND|proposals|confirm ID|reject ID|history|settings]", run: runReview})
}

var reviewSubs = []string{"start", "decide", "complete", "propose", "proposals", "confirm", "reject", "history", "settings", "list"}

func runReview(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		if !slices.Contains(reviewSubs, sub) {
			return errUsage{fmt.Sprintf("spoke review: unknown subcommand %q (one of %s)", sub, strings.Join(reviewSubs, ", "))}
		}
	}
	var c common
	fs := newFlags("review "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "JSON output")
	roles := fs.String("roles", "", "with decide change / propose roles: the new roles, comma-separated")
	date := fs.String("date", "", "with propose leave: the leaving date, YYYY-MM-DD")
	every := fs.Int("every-days", 0, "with settings: how often a review is due, in days (7 to 366)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"decide": 2, "propose": 2, "confirm": 1, "reject": 1}[sub]
	if len(pos) != want {
		return errUsage{reviewUsage(sub)}
	}
	var rs []store.Role
	if *roles != "" {
		for _, r := range strings.Split(*roles, ",") {
			role, err := store.ParseRole(r)
			if err != nil {
				return err
			}
			rs = append(rs, role)
		}
	}
	var leaves time.Time
	if *date != "" {
		if leaves, err = parseLocalTime(*date); err != nil {
			return errUsage{"--date: " + err.Error()}
		}
	}
	switch {
	case sub == "decide" && pos[1] == store.DecisionChange && len(rs) == 0:
		return errUsage{"decide USER change needs --roles ROLE[,ROLE]"}
	case sub == "propose" && pos[1] == store.ProposeLeave && leaves.IsZero():
		return errUsage{"propose USER leave needs --date YYYY-MM-DD"}
	case sub == "settings" && *every == 0:
		return errUsage{reviewUsage(sub)}
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
	case "start":
		id, err := ss.StartReview(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Review %s in progress: decide every account (spoke review decide USER certify|change|deactivate), then spoke review complete\n", id)
		return nil
	case "decide":
		id, err := userID(pos[0])
		if err != nil {
			return err
		}
		if err := ss.DecideAccount(ctx, id, pos[1], rs); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recorded: %s %s\n", pos[0], pos[1])
		return nil
	case "complete":
		r, err := ss.CompleteReview(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Review %s complete: %d account(s) decided; the next is due in %d days\n", r.ID, len(r.Accounts), mustEvery(ctx, ss))
		return nil
	case "propose":
		id, err := userID(pos[0])
		if err != nil {
			return err
		}
		pid, err := ss.ProposeStaffChange(ctx, id, pos[1], rs, leaves)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Proposed %s for %s (proposal %s); the owner confirms it\n", pos[1], pos[0], pid)
		return nil
	case "confirm", "reject":
		if err := ss.DecideProposal(ctx, pos[0], sub == "confirm"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Proposal %s %sed\n", pos[0], strings.TrimSuffix(sub, "e"))
		return nil
	case "settings":
		if err := ss.SetReviewEvery(ctx, *every); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "A permission review is now due every %d days\n", *every)
		return nil
	case "proposals":
		ps, err := ss.StaffProposals(ctx, false)
		if err != nil {
			return err
		}
		names := map[string]string{}
		if dir, err := ss.Staff(ctx); err == nil {
			for _, u := range dir {
				names[u.ID] = u.Username
			}
		}
		return emit(env.Stdout, *asJSON, ps, []string{"ID", "USER", "KIND", "CHANGE", "PROPOSED", "STATUS"}, func(p store.StaffProposal) []any {
			change := rolesText(p.Roles)
			if p.Kind == store.ProposeLeave {
				change = p.LeavesAt.Format("2006-01-02")
			}
			who := names[p.UserID]
			if who == "" {
				who = p.UserID // deactivated since: not in the directory
			}
			return []any{p.ID, who, p.Kind, change, p.ProposedAt.Format("2006-01-02"), p.Status}
		})
	case "history":
		rs, err := ss.Reviews(ctx)
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, rs, []string{"ID", "FROM", "TO", "STARTED", "COMPLETED"}, func(r store.Review) []any {
			done := "in progress"
			if !r.CompletedAt.IsZero() {
				done = r.CompletedAt.Format("2006-01-02 15:04")
			}
			return []any{r.ID, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), r.StartedAt.Format("2006-01-02 15:04"), done}
		})
	}
	status, err := ss.ReviewStatus(ctx)
	if err != nil {
		return err
	}
	r, err := ss.Review(ctx, "")
	if err != nil {
		return err
	}
	if *asJSON {
		return emitOne(env.Stdout, struct {
			Status store.ReviewStatus `json:"status"`
			Review *store.Review      `json:"review"`
		}{status, r})
	}
	state := "due " + status.DueAt.Format("2006-01-02")
	if status.Overdue {
		state = "OVERDUE since " + status.DueAt.Format("2006-01-02")
	}
	if r.ID != "" {
		fmt.Fprintf(env.Stdout, "Review %s in progress (period %s to now); %s; %d undecided\n", r.ID, r.From.Format("2006-01-02"), state, len(r.Undecided()))
	} else {
		fmt.Fprintf(env.Stdout, "No review in progress; %s (every %d days). Preview of the next one:\n", state, status.EveryDays)
	}
	return emit(env.Stdout, false, r.Accounts, []string{"USER", "ROLES", "SHOP", "LAST SIGN-IN", "ROLES LAST USED", "BREAK-GLASS", "FAILED", "TRAINING", "FLAGS", "DECISION"}, func(a store.ReviewAccount) []any {
		decision := "-"
		if a.Decision != nil {
			decision = a.Decision.Decision
			if a.Decision.Decision == store.DecisionChange {
				decision += " to " + rolesText(a.Decision.RolesAfter)
			}
		}
		if len(a.Proposals) > 0 {
			decision += fmt.Sprintf(" (%d proposal(s))", len(a.Proposals))
		}
		training := a.Training
		if training == "" {
			training = "-"
		}
		return []any{a.Username, rolesText(a.Roles), a.ShopID, dateOr(a.LastSignIn, "never"), roleUse(a.RoleLastUsed), a.BreakGlass, a.FailedSignIns, training, strings.Join(a.Flags, ","), decision}
	})
}

func reviewUsage(sub string) string {
	switch sub {
	case "decide":
		return "usage: spoke review decide --as OWNER USER certify|change|deactivate [--roles ROLE[,ROLE]]"
	case "propose":
		return "usage: spoke review propose --as MANAGER USER roles|deactivate|leave [--roles ROLE[,ROLE]] [--date YYYY-MM-DD]"
	case "confirm", "reject":
		return "usage: spoke review " + sub + " --as OWNER PROPOSAL-ID"
	case "settings":
		return "usage: spoke review settings --as OWNER --every-days N"
	}
	return "usage: spoke review [" + sub + "] --as USER [--json]"
}

func mustEvery(ctx context.Context, ss *store.Session) int {
	st, err := ss.ReviewStatus(ctx)
	if err != nil {
		return store.DefaultReviewEveryDays
	}
	return st.EveryDays
}

func rolesText(rs []store.Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

// roleUse is "sales 2026-03-01, mechanic never".
func roleUse(m map[store.Role]time.Time) string {
	var parts []string
	for r, t := range m {
		parts = append(parts, string(r)+" "+dateOr(t, "never"))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Format("2006-01-02")
}
