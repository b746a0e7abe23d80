package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"spoke/store"
)

func init() {
	register(command{name: "retention", summary: "the retention policy: 'retention show' (policy, approval, preview), 'set' (owner), 'approve' (a second person), 'run [--dry-run]' (owner, manager)", run: runRetention})
}

func runRetention(ctx context.Context, env Env, args []string) error {
	sub := "show"
	if len(args) > 0 && (args[0] == "show" || args[0] == "set" || args[0] == "approve" || args[0] == "run") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("retention "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "with show and run: the report as one JSON object")
	dry := fs.Bool("dry-run", false, "with run: preview only, change nothing")
	d := store.DefaultRetention
	inactive := fs.Int("inactive-years", d.InactiveYears, "with set: anonymise customers with no sale, work order or edit for this many years (0: off)")
	deleted := fs.Int("deleted-days", d.DeletedDays, fmt.Sprintf("with set: erase soft-deleted customers this many days after deletion (0: off; at least %d)", store.MinDeletedDays))
	reasons := fs.Int("reason-months", d.ReasonMonths, "with set: expire break-glass reasons after this many months (0: off)")
	audit := fs.Int("audit-years", d.AuditYears, "with set: report audit entries older than this many years (they are never deleted; 0: off)")
	requests := fs.Int("request-log-months", d.RequestLogMonths, fmt.Sprintf("with set: keep the request log this many months (at least %d)", store.MinRequestLogMonths))
	assessments := fs.Int("assessment-years", d.AssessmentYears, fmt.Sprintf("with set: keep impact assessments this many years (at least %d)", store.MinAssessmentYears))
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errUsage{"usage: spoke retention [show|set|approve|run [--dry-run]] --as USER"}
	}
	if *dry && sub != "run" {
		return errUsage{"--dry-run goes with 'retention run'"}
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	for _, n := range []string{"inactive-years", "deleted-days", "reason-months", "audit-years", "request-log-months", "assessment-years"} {
		if setFlags[n] && sub != "set" {
			return errUsage{"--" + n + " goes with 'retention set'"}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	names, err := shopNames(ctx, ss)
	if err != nil {
		return err
	}
	switch sub {
	case "set":
		// Flags not given keep the policy in force (or the defaults).
		p := store.DefaultRetention
		if cur, err := ss.RetentionPolicy(ctx); err != nil {
			return err
		} else if cur != nil {
			p = *cur
		}
		for n, v := range map[string]struct {
			dst *int
			val int
		}{"inactive-years": {&p.InactiveYears, *inactive}, "deleted-days": {&p.DeletedDays, *deleted}, "reason-months": {&p.ReasonMonths, *reasons},
			"audit-years": {&p.AuditYears, *audit}, "request-log-months": {&p.RequestLogMonths, *requests}, "assessment-years": {&p.AssessmentYears, *assessments}} {
			if setFlags[n] {
				*v.dst = v.val
			}
		}
		id, err := ss.SetRetentionPolicy(ctx, p)
		if err != nil {
			return err
		}
		np, err := ss.RetentionPolicy(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Set retention policy %s\n", id)
		printApproval(env.Stdout, np, names)
		return nil
	case "approve":
		if err := ss.ApproveRetention(ctx); err != nil {
			return err
		}
		p, err := ss.RetentionPolicy(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Approved retention policy %s\n", p.ID)
		printApproval(env.Stdout, p, names)
		return nil
	case "run":
		r, err := ss.RunRetention(ctx, store.RetentionRun{DryRun: *dry})
		var failed *store.ErasureFailed
		if err != nil && !errors.As(err, &failed) {
			return err
		}
		if *asJSON {
			if jerr := emitOne(env.Stdout, r); jerr != nil {
				return jerr
			}
		} else {
			printRetention(env.Stdout, r, names, true)
		}
		if failed != nil {
			fmt.Fprintln(env.Stderr, "spoke retention: "+failed.Error())
			return errExit(1)
		}
		return nil
	}
	r, err := ss.RetentionPreview(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return emitOne(env.Stdout, r)
	}
	if r.Policy == nil {
		fmt.Fprintln(env.Stdout, "No retention policy is set. An owner sets one: spoke retention set --as OWNER [--inactive-years N ...]")
		return nil
	}
	p := r.Policy
	fmt.Fprintf(env.Stdout, "Retention policy %s, set %s\n", p.ID, p.SetAt.Local().Format("2006-01-02 15:04"))
	printApproval(env.Stdout, p, names)
	printRetention(env.Stdout, r, names, false)
	return nil
}

func emitOne(w io.Writer, v any) error { return emit(w, true, []any{v}, nil, nil) }

// printApproval says, per shop, whether the policy acts there, and what it still waits for.
func printApproval(w io.Writer, p *store.RetentionPolicy, names map[string]string) {
	if p == nil {
		return
	}
	switch {
	case p.ApprovedBy != "":
		fmt.Fprintf(w, "Approved by a second owner (%s) at %s: in force in every shop\n", p.ApprovedBy, p.ApprovedAt.Local().Format("2006-01-02 15:04"))
		return
	case !p.NeedsOwner && len(p.NeedsShops) == 0:
		fmt.Fprintln(w, "In force: nobody else held the grant when it was set, so no second approval is needed")
		return
	}
	if p.NeedsOwner {
		fmt.Fprintln(w, "Break-glass reasons: wait for another owner's approval (spoke retention approve)")
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return names[ids[i]] < names[ids[j]] })
	for _, id := range ids {
		name := names[id]
		switch {
		case p.ShopApprovals[id] != "":
			fmt.Fprintf(w, "%s: approved by its manager (%s)\n", name, p.ShopApprovals[id])
		case p.ApprovedFor(id):
			fmt.Fprintf(w, "%s: in force (nobody else held the grant there)\n", name)
		default:
			fmt.Fprintf(w, "%s: waits for approval by its manager or another owner (spoke retention approve); runs only preview there\n", name)
		}
	}
}

// printRetention prints what the policy selects (a preview) or did (a run), rule by rule.
func printRetention(w io.Writer, r *store.RetentionReport, names map[string]string, run bool) {
	if r.Policy == nil {
		fmt.Fprintln(w, "No retention policy is set.")
		return
	}
	p := r.Policy
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tWHERE\tSELECTED\tWHAT HAPPENS")
	act := func(s store.RetentionShop, verb string) string {
		switch {
		case !s.Approved:
			return "waits for approval: preview only"
		case !s.Here:
			return "a device of that shop does it"
		case r.DryRun || !run:
			return verb + " (at the next run)"
		case r.EraseError != "":
			return "NOT done: " + r.EraseError
		}
		return verb
	}
	for _, s := range r.Shops {
		if p.InactiveYears > 0 {
			fmt.Fprintf(tw, "customers inactive %d years\t%s\t%d\t%s\n", p.InactiveYears, names[s.ShopID], s.Inactive, act(s, "anonymised"))
		}
		if p.DeletedDays > 0 {
			fmt.Fprintf(tw, "customers deleted %d days ago\t%s\t%d\t%s\n", p.DeletedDays, names[s.ShopID], s.Deleted, act(s, "erased"))
		}
	}
	if p.ReasonMonths > 0 {
		what := "keys deleted: the reasons expire, the audit chain stays whole"
		switch {
		case r.ReasonsHeld:
			what = "waits for another owner's approval"
		case run && !r.DryRun:
			what = fmt.Sprintf("%d expired (keys deleted); the audit chain stays whole", r.ReasonsExpired)
		}
		fmt.Fprintf(tw, "break-glass reasons after %d months\tthis device\t%d\t%s\n", p.ReasonMonths, r.Reasons, what)
		if r.LegacyReasons > 0 {
			fmt.Fprintf(tw, "  sealed before reasons had own keys\tthis device\t%d\tcannot expire (sealed under the org key)\n", r.LegacyReasons)
		}
	}
	if p.AuditYears > 0 {
		fmt.Fprintf(tw, "audit entries older than %d years\tthis device\t%d (+%d copies)\treported only: never deleted, the chain must stay whole\n", p.AuditYears, r.AuditOld, r.AuditCopiesOld)
	}
	fmt.Fprintf(tw, "request log, kept %d months\t-\t-\tkept by the requests desk (never less than %d months)\n", p.RequestLogMonths, store.MinRequestLogMonths)
	fmt.Fprintf(tw, "assessments older than %d years\tall shops\t%d\treported; delete with 'spoke assessments delete ID'\n", p.AssessmentYears, r.AssessmentsOld)
	tw.Flush()
	for _, s := range r.Shops {
		if len(s.InactiveIDs) > 0 {
			fmt.Fprintf(w, "%s, inactive: %s\n", names[s.ShopID], strings.Join(s.InactiveIDs, " "))
		}
		if len(s.DeletedIDs) > 0 {
			fmt.Fprintf(w, "%s, deleted: %s\n", names[s.ShopID], strings.Join(s.DeletedIDs, " "))
		}
	}
}
