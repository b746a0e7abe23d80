package store

import (
	"context"
	"slices"
	"strings"
	"time"
)

// What staff did, read from the audit trail: this device's own chain and every other device's
// copy that arrived by sync (remote_audit), so the owner's laptop sees the sign-ins and reads
// made at the shops' counters. The permission review and the leaver report read it; they show
// counts, times and ids, never a value.

// trailUnion is every entry of this device's trail and of the other devices' copies from ?1
// to before ?2 (unix ms).
const trailUnion = `SELECT user_id, device_id, at, action, outcome, target, detail FROM audit WHERE at >= ?1 AND at < ?2
	UNION ALL SELECT user_id, device_id, at, action, outcome, target, detail FROM remote_audit WHERE at >= ?1 AND at < ?2`

// activity is one account's use of Spoke over a period.
type activity struct {
	lastSignIn    int64
	failedSignIns int
	breakGlass    int
	devices       map[string]bool // devices signed in on
	// actions: ok entries per action, and the newest of each.
	actions map[string]int
	last    map[string]int64
	// overlaps counts sign-ins on one device while a session of the account, begun on another
	// device less than sharedWindow before, had not signed out: a shared-looking account.
	overlaps int
}

// sharedWindow is how recent a session on another device must be for a sign-in to count as a
// second device "at once".
const sharedWindow = 30 * time.Minute

// staffActivity reads every account's activity from since to before until (unix ms).
func (s *Store) staffActivity(ctx context.Context, q querier, since, until int64) (map[string]*activity, error) {
	out := map[string]*activity{}
	get := func(u string) *activity {
		a := out[u]
		if a == nil {
			a = &activity{devices: map[string]bool{}, actions: map[string]int{}, last: map[string]int64{}}
			out[u] = a
		}
		return a
	}
	rows, err := q.QueryContext(ctx, `SELECT user_id, action, outcome, COUNT(*), MAX(at) FROM (`+trailUnion+`)
		GROUP BY user_id, action, outcome`, since, until)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var user, action, outcome string
		var n int
		var last int64
		if err := rows.Scan(&user, &action, &outcome, &n, &last); err != nil {
			rows.Close()
			return nil, err
		}
		a := get(user)
		switch {
		case action == "auth.sign_in" && outcome == "failed":
			a.failedSignIns += n
		case outcome != "ok":
		default:
			a.actions[action] += n
			a.last[action] = max(a.last[action], last)
			if action == "auth.sign_in" {
				a.lastSignIn = max(a.lastSignIn, last)
			}
			if action == "customer.read.break_glass" {
				a.breakGlass += n
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Sign-ins and sign-outs in time order, for devices and overlaps.
	rows, err = q.QueryContext(ctx, `SELECT user_id, device_id, at, action FROM (`+trailUnion+`)
		WHERE action IN ('auth.sign_in', 'auth.sign_out') AND outcome = 'ok' ORDER BY user_id, at`, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	open := map[string]int64{} // the current user's open sessions: device -> sign-in time
	cur := ""
	for rows.Next() {
		var user, dev, action string
		var at int64
		if err := rows.Scan(&user, &dev, &at, &action); err != nil {
			return nil, err
		}
		if user != cur {
			cur, open = user, map[string]int64{}
		}
		a := get(user)
		if action == "auth.sign_out" {
			delete(open, dev)
			continue
		}
		a.devices[dev] = true
		for d, t := range open {
			if d != dev && at-t < sharedWindow.Milliseconds() {
				a.overlaps++
				break
			}
		}
		open[dev] = at
	}
	return out, rows.Err()
}

// rolePowers are, per role, the audited actions (prefixes) that use a power of that role
// beyond what every account does (signing in, building its type-ahead index): what the review
// looks for to tell whether a role was used. An action several of an account's roles grant
// counts for each of them, so a role is called unused only when nothing it grants was done.
var rolePowers = map[Role][]string{
	RoleOwner: {"user.", "device.", "keys.", "restore", "retention.set", "transfer.", "review.", "incident.", "assessment.",
		"staff.", "leaver.", "settings.", "checkup.", "training.settings", "shop.paper"},
	RoleManager: {"backup.", "request.", "subject.", "audit.read", "retention.approve", "holiday.", "work_order.assign",
		"customer.delete", "customer.reassign", "staff.propose", "leaver.", "consent.", "training.status"},
	RoleSales: {"customer.create", "customer.update", "customer.read", "customer.lookup", "customer.import",
		"customer.delete", "sale.", "bike.", "work_order.create", "work_order.print", "consent.record"},
	RoleMechanic:  {"work_order.status", "work_order.add_line", "work_order.list", "work_order.read", "work_order.print"},
	RoleMarketing: {"stats.read", "consent.audience", "campaign."},
	RoleAuditor:   {"audit.read", "store.verify"},
}

// usesRole reports whether action is one of role's powers.
func usesRole(role Role, action string) bool {
	return slices.ContainsFunc(rolePowers[role], func(p string) bool {
		return action == p || strings.HasSuffix(p, ".") && strings.HasPrefix(action, p)
	})
}

// roleLastUsed is, per role of roles, when a is last seen using one of its powers (zero: not in
// the period).
func (a *activity) roleLastUsed(roles []Role) map[Role]time.Time {
	out := map[Role]time.Time{}
	for _, r := range roles {
		var last int64
		if a != nil {
			for action, at := range a.last {
				if usesRole(r, action) {
					last = max(last, at)
				}
			}
		}
		if last > 0 {
			out[r] = time.UnixMilli(last)
		} else {
			out[r] = time.Time{}
		}
	}
	return out
}
