package cli

import (
	"context"
	"strings"

	"spoke/store"
)

func init() {
	register(command{name: "audit", summary: "show the audit trail (owner, manager, auditor)", run: runAudit})
}

func runAudit(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("audit", env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("limit", 200, "newest N entries")
	action := fs.String("action", "", "only actions starting with this, e.g. customer.")
	all := fs.Bool("all-devices", false, "every device's trail as synced here (an owner's laptop holds them all), newest first")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	recs, err := ss.AuditLog(ctx, store.AuditFilter{Action: *action, Limit: *limit, AllDevices: *all})
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, recs, []string{"SEQ", "TIME", "USER", "ACTION", "OUTCOME", "TARGET", "FIELDS", "DETAIL"}, func(r store.AuditRecord) []any {
		user := r.Username
		if user == "" {
			user = r.UserID
		}
		detail := r.Detail
		if r.Reason != "" {
			detail += " reason: " + r.Reason
		}
		return []any{r.Seq, r.At.Format("2006-01-02 15:04:05"), user, r.Action, r.Outcome, r.Target, strings.Join(r.Fields, ","), detail}
	})
}
