package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Service reminders (issue 14): rules per shop say when a bike is due (the first service some
// weeks after the shop sold it new, the yearly service, the e-bike check, "see you in twelve
// months" after a job), and the due list is what the counter calls or sends today. What became
// of each reminder is a reminder_sends row whose id is derived from (kind, bike or job, due
// day): a reminder sent on one device is handled on every device once the row arrives, and
// the next one of a repeating rule comes up after it. "Your bike is ready" notices are on the
// same list: a job in status ready without a handled notice.

// ReminderKind names a rule.
type ReminderKind string

// The kinds. KindReady is the "your bike is ready" notice, not a rule.
const (
	KindFirstService ReminderKind = "first_service"
	KindYearly       ReminderKind = "yearly_service"
	KindEBike        ReminderKind = "ebike_check"
	KindAfterJob     ReminderKind = "after_job"
	KindReady        ReminderKind = "ready"
)

// ReminderKinds lists the rules' kinds in the order screens show them.
var ReminderKinds = []ReminderKind{KindFirstService, KindYearly, KindEBike, KindAfterJob}

// ReminderRule is one shop's rule of one kind. BikeType "" applies to every type.
type ReminderRule struct {
	Kind     ReminderKind `json:"kind"`
	BikeType string       `json:"bike_type,omitempty"`
	Every    int          `json:"every"`
	Unit     string       `json:"unit"` // "weeks" or "months"
	Enabled  bool         `json:"enabled"`
	SetBy    string       `json:"set_by,omitempty"`
	SetAt    time.Time    `json:"set_at,omitzero"`
}

// DefaultRules are a shop's rules until someone changes them: the first service six weeks
// after a new bike's sale, the yearly service, the e-bike check every six months, and twelve
// months after a job.
var DefaultRules = []ReminderRule{
	{Kind: KindFirstService, Every: 6, Unit: "weeks", Enabled: true},
	{Kind: KindYearly, Every: 12, Unit: "months", Enabled: true},
	{Kind: KindEBike, BikeType: "e-bike", Every: 6, Unit: "months", Enabled: true},
	{Kind: KindAfterJob, Every: 12, Unit: "months", Enabled: true},
}

func (r *ReminderRule) validate() error {
	var ve ValidationError
	if !slices.Contains(ReminderKinds, r.Kind) {
		ve.add("kind", "must be first_service, yearly_service, ebike_check or after_job")
	}
	if r.Unit != "weeks" && r.Unit != "months" {
		ve.add("unit", "must be weeks or months")
	}
	if r.Every < 1 || (r.Unit == "weeks" && r.Every > 520) || (r.Unit == "months" && r.Every > 120) {
		ve.add("every", "must be between 1 and 520 weeks or 120 months")
	}
	if r.BikeType != "" && !slices.Contains(BikeTypes, r.BikeType) {
		ve.add("bike_type", "must be one of "+strings.Join(BikeTypes, ", "))
	}
	return ve.orNil()
}

// after returns t moved on by n of the rule's periods.
func (r ReminderRule) after(t time.Time, n int) time.Time {
	if r.Unit == "weeks" {
		return t.AddDate(0, 0, 7*r.Every*n)
	}
	return t.AddDate(0, r.Every*n, 0)
}

// BikeHistory is what a rule looks at: the bike's type, when the shop sold it new (zero: not
// sold here), and when its collected jobs were closed, oldest first.
type BikeHistory struct {
	Type   string
	SoldAt time.Time
	Jobs   []time.Time
}

// maxRepeats bounds how far a repeating rule looks for its next unhandled date.
const maxRepeats = 60

// NextDue is a rule's next due date for a bike, skipping dates handled says were dealt with
// (sent, called, dismissed), or false when the rule does not apply:
//   - first_service: the sale plus the period, once, and only while no job was collected since;
//   - yearly_service: each anniversary period of the sale, for a bike sold here that has had
//     no job since its sale (a bike that comes in is reminded after its job instead);
//   - ebike_check: the newer of the sale and the last job, plus the period, repeating;
//   - after_job: the last collected job plus the period, once per job.
func NextDue(r ReminderRule, h BikeHistory, handled func(due time.Time) bool) (time.Time, bool) {
	if !r.Enabled || (r.BikeType != "" && r.BikeType != h.Type) {
		return time.Time{}, false
	}
	var last time.Time
	if n := len(h.Jobs); n > 0 {
		last = h.Jobs[n-1]
	}
	jobSinceSale := !last.IsZero() && !h.SoldAt.IsZero() && last.After(h.SoldAt)
	once := func(d time.Time) (time.Time, bool) {
		if handled(d) {
			return time.Time{}, false
		}
		return d, true
	}
	repeat := func(anchor time.Time) (time.Time, bool) {
		for i := 1; i <= maxRepeats; i++ {
			if d := r.after(anchor, i); !handled(d) {
				return d, true
			}
		}
		return time.Time{}, false
	}
	switch r.Kind {
	case KindFirstService:
		if h.SoldAt.IsZero() || jobSinceSale {
			return time.Time{}, false
		}
		return once(r.after(h.SoldAt, 1))
	case KindYearly:
		if h.SoldAt.IsZero() || jobSinceSale {
			return time.Time{}, false
		}
		return repeat(h.SoldAt)
	case KindEBike:
		anchor := h.SoldAt
		if last.After(anchor) {
			anchor = last
		}
		if anchor.IsZero() {
			return time.Time{}, false
		}
		return repeat(anchor)
	case KindAfterJob:
		if last.IsZero() {
			return time.Time{}, false
		}
		return once(r.after(last, 1))
	}
	return time.Time{}, false
}

// reminderID is the row id of what became of a reminder: the same on every device.
func reminderID(kind ReminderKind, subject string, due time.Time) string {
	h := sha256.Sum256([]byte("spoke/reminder/v1\x00" + string(kind) + "\x00" + subject + "\x00" + due.UTC().Format("2006-01-02")))
	u, _ := uuid.FromBytes(h[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

// ruleID is the row id of a shop's rule of a kind.
func ruleID(shopID string, kind ReminderKind) string {
	h := sha256.Sum256([]byte("spoke/reminder-rule/v1\x00" + shopID + "\x00" + string(kind)))
	u, _ := uuid.FromBytes(h[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

// shopAdmin is the check for a shop's settings (rules, mail server): the owner for any
// shop, a manager for their own; a salesperson's Own grant is not enough.
func (ss *Session) shopAdmin(shopID string) (Grant, error) {
	g, err := ss.allow(OpCustomerWrite, target{shopID: shopID})
	if err != nil {
		return g, err
	}
	if g != All && g != ShopOnly {
		return Deny, ErrForbidden
	}
	return g, nil
}

// reminderShop picks the shop a reminder call is about: the one named, else the user's own,
// else the chain's only shop.
func (ss *Session) reminderShop(shopID string) (string, error) {
	if shopID == "" {
		shopID = ss.user.ShopID
	}
	if shopID == "" {
		var n int
		if err := ss.s.db.QueryRow("SELECT count(*), COALESCE(MIN(id), '') FROM shops").Scan(&n, &shopID); err != nil {
			return "", err
		}
		if n != 1 {
			return "", &FieldError{"shop", "choose a shop"}
		}
	}
	return shopID, nil
}

// ReminderRules returns a shop's rules: the stored ones, and the defaults for kinds nobody
// changed. Whoever may see the shop's due list may read them.
func (ss *Session) ReminderRules(ctx context.Context, shopID string) ([]ReminderRule, error) {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return nil, err
	}
	if _, err := ss.require(ctx, OpCustomerPIIOwn, target{shopID: shopID, ownerID: ss.user.ID}, "reminder.rules", shopID); err != nil {
		return nil, err
	}
	return ss.s.reminderRules(ctx, ss.s.db, shopID)
}

func (s *Store) reminderRules(ctx context.Context, q querier, shopID string) ([]ReminderRule, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, kind, bike_type, every, unit, enabled, set_by, set_at FROM reminder_rules WHERE shop_id = ?", shopID)
	if err != nil {
		return nil, err
	}
	stored := map[ReminderKind]ReminderRule{}
	var ids []string
	for rows.Next() {
		var r ReminderRule
		var id string
		var enabled int64
		var at int64
		if err := rows.Scan(&id, &r.Kind, &r.BikeType, &r.Every, &r.Unit, &enabled, &r.SetBy, &at); err != nil {
			rows.Close()
			return nil, err
		}
		r.Enabled, r.SetAt = enabled == 1, time.UnixMilli(at).UTC()
		if id == ruleID(shopID, r.Kind) {
			stored[r.Kind], ids = r, append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := s.checkRow(ctx, q, tables["reminder_rules"], id); err != nil {
			return nil, err
		}
	}
	out := make([]ReminderRule, 0, len(DefaultRules))
	for _, d := range DefaultRules {
		if r, ok := stored[d.Kind]; ok {
			out = append(out, r)
		} else {
			out = append(out, d)
		}
	}
	return out, nil
}

// SetReminderRule changes one of a shop's rules (owner, or the shop's manager).
func (ss *Session) SetReminderRule(ctx context.Context, shopID string, r ReminderRule) error {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return err
	}
	return ss.write(ctx, "reminder.rule", func(w *wtx) error {
		w.audit.Target = shopID
		g, err := ss.shopAdmin(shopID)
		if err != nil {
			return err
		}
		w.audit.Grant = g
		if err := r.validate(); err != nil {
			return err
		}
		id := ruleID(shopID, r.Kind)
		cols := []col{plain("bike_type", r.BikeType), plain("every", r.Every), plain("unit", r.Unit), plain("enabled", boolInt(r.Enabled)),
			plain("set_by", ss.user.ID), plain("set_at", w.now)}
		var have int
		if err := w.tx.QueryRowContext(ctx, "SELECT count(*) FROM reminder_rules WHERE id = ?", id).Scan(&have); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("kind=%s every=%d unit=%s enabled=%t", r.Kind, r.Every, r.Unit, r.Enabled)
		if have > 0 {
			return w.update("reminder_rules", shopID, id, cols)
		}
		return w.insert("reminder_rules", shopID, id, append([]col{plain("shop_id", shopID), plain("kind", string(r.Kind))}, cols...))
	})
}

// DueReminder is one line of the counter's due list. Name and Phone are there for the call;
// HasEmail and Consent say whether an e-mail may go.
type DueReminder struct {
	ID          string       `json:"id"` // the reminder_sends id it will get
	Kind        ReminderKind `json:"kind"`
	Due         time.Time    `json:"due"`
	CustomerID  string       `json:"customer_id"`
	Name        string       `json:"name"`
	Phone       string       `json:"phone,omitempty"`
	BikeID      string       `json:"bike_id,omitempty"`
	Bike        string       `json:"bike,omitempty"` // make and model
	WorkOrderID string       `json:"work_order_id,omitempty"`
	HasEmail    bool         `json:"has_email"`
	// Consent is the service-reminder consent by e-mail: "granted", "withdrawn" or "none".
	Consent string `json:"consent"`
}

// DueOptions narrow the due list.
type DueOptions struct {
	ShopID string        // "": the user's shop
	Within time.Duration // how far ahead to look; 0: 14 days
	// Overdue is how far back a missed reminder stays on the list; 0: 180 days.
	Overdue time.Duration
}

// DueReminders is the counter's list for a shop: every bike whose earliest rule is due within
// the window and not handled yet, and every job ready for collection without a notice. A
// salesperson sees their own customers, a manager the shop's, the owner any shop's; others
// are refused. Audited as a read of the customers it lists (count, not names).
func (ss *Session) DueReminders(ctx context.Context, o DueOptions) ([]DueReminder, error) {
	shopID, err := ss.reminderShop(o.ShopID)
	if err != nil {
		return nil, err
	}
	g, err := ss.require(ctx, OpCustomerPIIOwn, target{shopID: shopID, ownerID: ss.user.ID}, "reminder.due", shopID)
	if err != nil {
		return nil, err
	}
	ownOnly := g == Own
	within, overdue := o.Within, o.Overdue
	if within <= 0 {
		within = 14 * 24 * time.Hour
	}
	if overdue <= 0 {
		overdue = 180 * 24 * time.Hour
	}
	now := ss.s.opts.Now()
	until, from := now.Add(within), now.Add(-overdue)
	items, err := ss.s.dueItems(ctx, shopID, ownOnly, ss.user.ID, from, until)
	if err != nil {
		return nil, err
	}
	// Names and phones for the call, consent for the send: opened for the listed customers only.
	custs := map[string]*custRow{}
	for i := range items {
		it := &items[i]
		c := custs[it.CustomerID]
		if c == nil {
			if c, err = ss.s.loadCust(ctx, ss.s.db, it.CustomerID); err != nil {
				return nil, err
			}
			custs[it.CustomerID] = c
		}
		o, err := ss.s.openFields(ctx, c, fieldsIndexed, false)
		if err != nil {
			return nil, err
		}
		it.Name, it.Phone, it.HasEmail = o.name, o.phone, o.email != ""
		ev, err := sendDecision(ctx, ss.s.db, c.id, PurposeServiceReminders, ChannelEmail)
		if err != nil {
			return nil, err
		}
		switch {
		case ev == nil:
			it.Consent = "none"
		case ev.Granted:
			it.Consent = "granted"
		default:
			it.Consent = "withdrawn"
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "reminder.due", Target: shopID, Grant: g,
		Fields: []string{"customers.name", "customers.phone"}, Detail: fmt.Sprintf("due=%d customers=%d", len(items), len(custs))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return items, nil
}

// dueItems computes the list over business columns only (no value is opened here).
func (s *Store) dueItems(ctx context.Context, shopID string, ownOnly bool, userID string, from, until time.Time) ([]DueReminder, error) {
	rules, err := s.reminderRules(ctx, s.db, shopID)
	if err != nil {
		return nil, err
	}
	// Sent, called or dismissed: handled. A failed send, or one skipped for want of consent or
	// an address, stays on the list for the counter to call or try again.
	handled := map[string]bool{}
	near := map[string][]int64{} // kind|bike: the due dates handled
	hrows, err := s.db.QueryContext(ctx, "SELECT id, kind, bike_id, due_at FROM reminder_sends WHERE shop_id = ? AND outcome IN ('sent', 'called', 'dismissed')", shopID)
	if err != nil {
		return nil, err
	}
	for hrows.Next() {
		var id, kind, bike string
		var due int64
		if err := hrows.Scan(&id, &kind, &bike, &due); err != nil {
			hrows.Close()
			return nil, err
		}
		handled[id] = true
		near[kind+"|"+bike] = append(near[kind+"|"+bike], due)
	}
	hrows.Close()
	// isHandled: the reminder itself was handled; or one of the same kind for the bike within
	// half a period of it (a rule changed since: its dates moved, the customer was reminded);
	// or its date is past the list's reach (a missed year does not block the next).
	isHandled := func(r ReminderRule, bike string, due time.Time) bool {
		if handled[reminderID(r.Kind, bike, due)] || due.Before(from) {
			return true
		}
		half := r.after(due, 1).Sub(due) / 2
		for _, d := range near[string(r.Kind)+"|"+bike] {
			if diff := due.Sub(time.UnixMilli(d)); diff < half && diff > -half {
				return true
			}
		}
		return false
	}
	own, args := "", []any{shopID}
	if ownOnly {
		own, args = " AND c.owner_id = ?", append(args, userID)
	}
	// Each bike with its collected jobs' closing times.
	rows, err := s.db.QueryContext(ctx, `SELECT b.id, b.customer_id, b.type, b.make, b.model, b.sold_at,
		COALESCE((SELECT group_concat(w.closed_at) FROM (SELECT closed_at FROM work_orders w WHERE w.bike_id = b.id AND w.status = 'collected' AND w.closed_at > 0 ORDER BY closed_at) w), '')
		FROM bikes b JOIN customers c ON c.id = b.customer_id
		WHERE b.shop_id = ? AND b.deleted_at = 0 AND c.deleted_at = 0`+own+` ORDER BY b.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []DueReminder
	for rows.Next() {
		var id, cust, typ, make_, model, jobs string
		var sold int64
		if err := rows.Scan(&id, &cust, &typ, &make_, &model, &sold, &jobs); err != nil {
			rows.Close()
			return nil, err
		}
		h := BikeHistory{Type: typ}
		if sold > 0 {
			h.SoldAt = time.UnixMilli(sold).UTC()
		}
		for _, j := range strings.Split(jobs, ",") {
			var ms int64
			if _, err := fmt.Sscan(j, &ms); err == nil && ms > 0 {
				h.Jobs = append(h.Jobs, time.UnixMilli(ms).UTC())
			}
		}
		var best *DueReminder
		for _, r := range rules {
			d, ok := NextDue(r, h, func(due time.Time) bool { return isHandled(r, id, due) })
			if !ok || d.After(until) {
				continue
			}
			if best == nil || d.Before(best.Due) {
				best = &DueReminder{ID: reminderID(r.Kind, id, d), Kind: r.Kind, Due: d, CustomerID: cust, BikeID: id, Bike: strings.TrimSpace(make_ + " " + model)}
			}
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Jobs ready for collection.
	wrows, err := s.db.QueryContext(ctx, `SELECT w.id, w.customer_id, COALESCE(w.bike_id, ''), w.updated_at, COALESCE(b.make, ''), COALESCE(b.model, '')
		FROM work_orders w JOIN customers c ON c.id = w.customer_id LEFT JOIN bikes b ON b.id = w.bike_id
		WHERE w.shop_id = ? AND w.status = 'ready' AND c.deleted_at = 0`+own+` ORDER BY w.updated_at, w.id`, args...)
	if err != nil {
		return nil, err
	}
	for wrows.Next() {
		var id, cust, bike, make_, model string
		var at int64
		if err := wrows.Scan(&id, &cust, &bike, &at, &make_, &model); err != nil {
			wrows.Close()
			return nil, err
		}
		if rid := reminderID(KindReady, id, time.Time{}); !handled[rid] {
			out = append(out, DueReminder{ID: rid, Kind: KindReady, Due: time.UnixMilli(at).UTC(), CustomerID: cust, BikeID: bike, WorkOrderID: id, Bike: strings.TrimSpace(make_ + " " + model)})
		}
	}
	wrows.Close()
	if err := wrows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b DueReminder) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// ReminderOutcome is what became of a reminder.
type ReminderOutcome string

// The outcomes.
const (
	OutcomeSent      ReminderOutcome = "sent"
	OutcomeCalled    ReminderOutcome = "called"
	OutcomeNoConsent ReminderOutcome = "no_consent"
	OutcomeNoAddress ReminderOutcome = "no_address"
	OutcomeFailed    ReminderOutcome = "failed"
	OutcomeDismissed ReminderOutcome = "dismissed"
)

// MarkReminder records what the counter did with a due reminder by hand (called the customer,
// or dismissed it), so it leaves the list on every device.
func (ss *Session) MarkReminder(ctx context.Context, shopID, reminderID string, outcome ReminderOutcome) error {
	if outcome != OutcomeCalled && outcome != OutcomeDismissed {
		return &FieldError{"outcome", "a reminder is marked called or dismissed by hand"}
	}
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return err
	}
	due, err := ss.DueReminders(ctx, DueOptions{ShopID: shopID, Within: 366 * 24 * time.Hour})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(due, func(d DueReminder) bool { return d.ID == reminderID })
	if i < 0 {
		return fmt.Errorf("reminder %s: %w (not due, handled already, or not yours)", reminderID, ErrNotFound)
	}
	d := due[i]
	return ss.write(ctx, "reminder.mark", func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, d.CustomerID)
		if err != nil {
			return err
		}
		w.audit.Target = d.CustomerID
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("kind=%s outcome=%s", d.Kind, outcome)
		return w.recordReminder(d, "phone", outcome, ss.user.ID)
	})
}

// recordReminder writes (or, a failed send retried, rewrites) what became of a reminder.
func (w *wtx) recordReminder(d DueReminder, channel string, outcome ReminderOutcome, by string) error {
	var shop string
	err := w.tx.QueryRowContext(w.ctx, "SELECT shop_id FROM customers WHERE id = ?", d.CustomerID).Scan(&shop)
	if err != nil {
		return err
	}
	cols := []col{plain("channel", channel), plain("outcome", string(outcome)), plain("sent_by", by), plain("at", w.now)}
	var have int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT count(*) FROM reminder_sends WHERE id = ?", d.ID).Scan(&have); err != nil {
		return err
	}
	if have > 0 {
		return w.update("reminder_sends", shop, d.ID, cols)
	}
	return w.insert("reminder_sends", shop, d.ID, append([]col{plain("shop_id", shop), plain("customer_id", d.CustomerID), plain("bike_id", d.BikeID),
		plain("work_order_id", d.WorkOrderID), plain("kind", string(d.Kind)), plain("due_at", d.Due.UnixMilli())}, cols...))
}

// ErrNoMailServer means the shop has no mail server set.
var ErrNoMailServer = errors.New("this shop has no mail server set: the owner or manager sets one (spoke mail set)")
