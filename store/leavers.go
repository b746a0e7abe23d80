package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The departing employee (issue 12 part 3). The owner records a leaving date in the signed
// staff record (a shop's manager proposes one: review.go); every device that holds the record
// refuses the account from that date by itself (SignIn, Session.gone), and "at once" also
// deactivates it, which devices apply at their next sync. Until the date the account is
// watched: Leavers gives the owner and the shop's manager a daily summary of what each leaver
// read, exported and deleted. Their customers move to a chosen salesperson in one audited
// step, and LeaverReport lists what they read, exported or deleted (counts and ids, no values).

// SetLeaving records (or, with a zero at, clears) an account's leaving date (owner). With
// atOnce the date is now and the account is deactivated in the same signed record.
func (ss *Session) SetLeaving(ctx context.Context, userID string, at time.Time, atOnce bool) error {
	if err := ss.fresh(ctx, "staff.leave", userID); err != nil {
		return err
	}
	return ss.write(ctx, "staff.leave", func(w *wtx) error {
		var c staffChange
		ms := int64(0)
		switch {
		case atOnce:
			ms = w.now
			off := false
			c.active = &off
		case !at.IsZero():
			ms = at.UnixMilli()
			if ms < w.now-24*time.Hour.Milliseconds() {
				return &FieldError{"leaving", "is in the past; use \"at once\" to end the account now"}
			}
		}
		c.leavesAt = &ms
		if err := w.changeUser(ss, userID, c); err != nil {
			return err
		}
		w.audit.Target = userID
		w.audit.Detail = fmt.Sprintf("leaves_at=%d at_once=%t", ms, atOnce)
		return nil
	})
}

// Leaver is an account with a leaving date (recorded, or proposed by its shop's manager) and
// what it did in the last day: the daily summary the owner and manager see.
type Leaver struct {
	UserID   string    `json:"user_id"`
	Username string    `json:"username"`
	ShopID   string    `json:"shop_id,omitempty"`
	LeavesAt time.Time `json:"leaves_at"`
	Proposed bool      `json:"proposed,omitempty"` // the date is a manager's proposal, not yet confirmed
	Active   bool      `json:"active"`
	// In the last 24 hours:
	Reads     int `json:"reads"` // distinct customers opened (card reads, break-glass, lookups)
	Exports   int `json:"exports"`
	Exported  int `json:"exported"` // customers in those exports
	Deletions int `json:"deletions"`
	Denied    int `json:"denied"`
}

// mayLeavers: the owner sees every shop's leavers, a shop's manager their shop's.
func (ss *Session) mayLeavers(ctx context.Context, action string) (string, error) {
	if err := ss.gone(); err != nil {
		return "", err
	}
	if ss.user.Has(RoleOwner) {
		return "", nil
	}
	if ss.user.Has(RoleManager) && ss.user.ShopID != "" {
		return ss.user.ShopID, nil
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "denied"})
	return "", ErrForbidden
}

// Leavers lists the accounts with a leaving date still to come or passed within the last 30
// days, or proposed by a manager, with their last 24 hours.
func (ss *Session) Leavers(ctx context.Context) ([]Leaver, error) {
	shop, err := ss.mayLeavers(ctx, "leaver.list")
	if err != nil {
		return nil, err
	}
	users, err := ss.s.verifiedUsersVia(ctx, ss.s.db, "1 = 1")
	if err != nil {
		return nil, err
	}
	props, err := ss.s.staffProposals(ctx, ss.s.db, shop, true)
	if err != nil {
		return nil, err
	}
	now := ss.s.opts.Now()
	since := now.Add(-24 * time.Hour).UnixMilli()
	var out []Leaver
	for _, u := range users {
		if shop != "" && u.shopID.String != shop {
			continue
		}
		l := Leaver{UserID: u.id, Username: u.username, ShopID: u.shopID.String, Active: u.active}
		if u.leavesAt > 0 {
			l.LeavesAt = time.UnixMilli(u.leavesAt)
		}
		for _, p := range props {
			if p.UserID == u.id && p.Kind == ProposeLeave && (l.LeavesAt.IsZero() || l.Proposed) {
				l.LeavesAt, l.Proposed = p.LeavesAt, true
			}
		}
		if l.LeavesAt.IsZero() || now.Sub(l.LeavesAt) > 30*24*time.Hour {
			continue
		}
		t, err := ss.s.trailOf(ctx, ss.s.db, u.id, since, now.UnixMilli()+1)
		if err != nil {
			return nil, err
		}
		l.Reads, l.Exports, l.Exported, l.Deletions, l.Denied = len(t.read), t.exports, t.exported, len(t.deleted), t.denied
		out = append(out, l)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "leaver.list", Detail: fmt.Sprintf("leavers=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// LeaverReport is what an account read, exported or deleted over a period: counts and ids.
type LeaverReport struct {
	UserID      string    `json:"user_id"`
	Username    string    `json:"username"`
	ShopID      string    `json:"shop_id,omitempty"`
	LeavesAt    time.Time `json:"leaves_at,omitzero"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	SignIns     int       `json:"sign_ins"`
	Devices     []string  `json:"devices"` // device ids signed in on
	Read        []string  `json:"read"`    // customer ids opened (card, break-glass, lookup)
	BreakGlass  int       `json:"break_glass_reads"`
	Exports     int       `json:"exports"`
	Exported    int       `json:"exported"` // customers in those exports
	Deleted     []string  `json:"deleted"`  // customer ids deleted
	Denied      int       `json:"denied"`
	Customers   int       `json:"customers_owned"` // customers the account still owns
	OpenJobs    int       `json:"open_jobs"`       // open work orders assigned to it
	GeneratedAt time.Time `json:"generated_at"`
}

// trail is one account's entries over a period, summed for reports.
type trail struct {
	signIns, breakGlass, exports, exported, denied int
	devices                                        map[string]bool
	read, deleted                                  map[string]bool
}

// readActions are the audited reads that open one customer's personal data (target: its id).
var readActions = []string{"customer.read", "customer.read.break_glass", "customer.lookup", "customer.lookup_other"}

// trailOf sums one account's entries from since to before until (unix ms), over this device's
// trail and the other devices' copies.
func (s *Store) trailOf(ctx context.Context, q querier, user string, since, until int64) (*trail, error) {
	rows, err := q.QueryContext(ctx, `SELECT device_id, action, outcome, target, detail FROM (`+trailUnion+`) WHERE user_id = ?3`, since, until, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &trail{devices: map[string]bool{}, read: map[string]bool{}, deleted: map[string]bool{}}
	for rows.Next() {
		var dev, action, outcome, target, detail string
		if err := rows.Scan(&dev, &action, &outcome, &target, &detail); err != nil {
			return nil, err
		}
		if outcome == "denied" {
			t.denied++
			continue
		}
		if outcome != "ok" {
			continue
		}
		switch {
		case action == "auth.sign_in":
			t.signIns++
			t.devices[dev] = true
		case slices.Contains(readActions, action) && target != "":
			t.read[target] = true
			if action == "customer.read.break_glass" {
				t.breakGlass++
			}
		case action == "customer.export":
			t.exports++
			t.exported += countIn(detail)
		case action == "customer.delete" && target != "":
			t.deleted[target] = true
		}
	}
	return t, rows.Err()
}

// countIn reads "count=N" from an audit detail (0 when absent).
func countIn(detail string) int {
	for _, f := range strings.Fields(detail) {
		if v, ok := strings.CutPrefix(f, "count="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// LeaverReport lists what an account read, exported or deleted in the last days (30 when 0):
// for the owner, or the manager of the account's shop. Counts and ids only.
func (ss *Session) LeaverReport(ctx context.Context, userID string, days int) (*LeaverReport, error) {
	shop, err := ss.mayLeavers(ctx, "leaver.report")
	if err != nil {
		return nil, err
	}
	if days <= 0 {
		days = 30
	}
	if days > 366 {
		return nil, &FieldError{"days", "at most 366"}
	}
	users, err := ss.s.verifiedUsersVia(ctx, ss.s.db, "1 = 1")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(users, func(u *userRow) bool { return u.id == userID })
	if i < 0 || shop != "" && users[i].shopID.String != shop {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "leaver.report", Target: userID, Outcome: "denied"})
		if i < 0 {
			return nil, fmt.Errorf("account %s: %w", userID, ErrNotFound)
		}
		return nil, ErrForbidden
	}
	u := users[i]
	now := ss.s.opts.Now()
	r := &LeaverReport{UserID: u.id, Username: u.username, ShopID: u.shopID.String, From: now.AddDate(0, 0, -days), To: now, GeneratedAt: now}
	if u.leavesAt > 0 {
		r.LeavesAt = time.UnixMilli(u.leavesAt)
	}
	t, err := ss.s.trailOf(ctx, ss.s.db, u.id, r.From.UnixMilli(), now.UnixMilli()+1)
	if err != nil {
		return nil, err
	}
	r.SignIns, r.BreakGlass, r.Exports, r.Exported, r.Denied = t.signIns, t.breakGlass, t.exports, t.exported, t.denied
	r.Devices, r.Read, r.Deleted = sortedKeys(t.devices), sortedKeys(t.read), sortedKeys(t.deleted)
	if err := ss.s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM customers WHERE owner_id = ?1 AND deleted_at = 0),
		(SELECT COUNT(*) FROM work_orders WHERE mechanic_id = ?1 AND closed_at = 0)`, u.id).Scan(&r.Customers, &r.OpenJobs); err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "leaver.report", Target: u.id,
		Detail: fmt.Sprintf("days=%d read=%d exports=%d deleted=%d", days, len(r.Read), r.Exports, len(r.Deleted))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return r, nil
}

// ReassignCustomers moves every customer owned by from (deleted ones too, so nothing stays
// with a leaver) to to, a salesperson or manager of the same shop, in one write with one audit
// entry (owner, or the manager of that shop). It returns how many customers moved.
func (ss *Session) ReassignCustomers(ctx context.Context, from, to string) (int, error) {
	var ids []string
	err := ss.write(ctx, "customer.reassign", func(w *wtx) error {
		w.audit.Target = from
		if from == to {
			return &FieldError{"to", "is the same account"}
		}
		users, err := ss.s.verifiedUsersVia(ctx, w.tx, "1 = 1")
		if err != nil {
			return err
		}
		find := func(id string) *userRow {
			if i := slices.IndexFunc(users, func(u *userRow) bool { return u.id == id }); i >= 0 {
				return users[i]
			}
			return nil
		}
		src, dst := find(from), find(to)
		if src == nil {
			return fmt.Errorf("account %s: %w", from, ErrNotFound)
		}
		if dst == nil || !dst.active {
			return &FieldError{"to", "no such active account"}
		}
		if dst.leavesAt > 0 {
			return &FieldError{"to", "has a leaving date; choose someone who stays"}
		}
		ds := dst.staff()
		if !slices.Contains(ds.Roles, RoleSales) && !slices.Contains(ds.Roles, RoleManager) {
			return &FieldError{"to", "must be a salesperson or manager"}
		}
		type owned struct{ id, shop string }
		var cs []owned
		rows, err := w.tx.QueryContext(ctx, "SELECT id, shop_id FROM customers WHERE owner_id = ? ORDER BY id", from)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c owned
			if err := rows.Scan(&c.id, &c.shop); err != nil {
				rows.Close()
				return err
			}
			cs = append(cs, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range cs {
			// Soft-deleted customers move too (a restore would hand them back to the leaver).
			if err := ss.s.checkRow(ctx, w.tx, tables["customers"], c.id); err != nil {
				return err
			}
			if c.shop != ds.ShopID {
				return &FieldError{"to", "works at another shop than customer " + c.id}
			}
			if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shop, ownerID: from}); err != nil {
				return err
			}
			if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shop, ownerID: to}); err != nil {
				return err
			}
			if err := w.update("customers", c.shop, c.id, []col{plain("owner_id", to), plain("updated_at", w.now)}); err != nil {
				return err
			}
			ids = append(ids, c.id)
		}
		w.audit.Fields = []string{"owner_id"}
		w.audit.Detail = fmt.Sprintf("to=%s customers=%d", to, len(ids))
		return nil
	})
	if err != nil {
		return 0, err
	}
	ss.s.reindex(ctx, ids, ss, "customer.reassign")
	return len(ids), nil
}
