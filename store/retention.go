package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Retention (issue 11 part 5). One policy says how long each category is kept:
//
//   - customers with no activity (no sale, work order, bike or customer edit) for N years are
//     anonymised (erased by crypto-shredding, sale amounts and dates kept anonymised);
//   - soft-deleted customers are erased D days after deletion (30 at the least: deletion is
//     recoverable for 30 days);
//   - break-glass reasons expire after M months: their keys are deleted on every device by the
//     entry's age (reasons.go), the chain stays whole;
//   - audit entries are kept K years, and only reported when older: an entry is never deleted,
//     because the chain must stay whole (every later link covers it), and a reason is the only
//     personal value an entry can hold;
//   - the request log is kept at least 24 months (CCPA 11 CCR §7101) and impact assessments at
//     least 3 years (PIPL Art. 56): a shorter policy is refused.
//
// The policy is org data (set on an owner device, by an owner) and is approved once: where a
// second person with the grant exists when it is set (another owner; a manager, for their shop),
// a shop's customers are acted on only once one of them approved it; the org-wide rule
// (reasons) once another owner did. Until then a run only previews. So a run is the policy
// carried out, not a bulk delete someone must approve each time.
//
// A run works under the named system principal System("retention") and writes one audit entry
// (retention.run) with its counts; the app runs it once a day while an owner or manager is
// signed in, and `spoke retention run` on demand. Each device acts on the shops it may write
// (an owner device: every shop; a shop's device: its shop) and on the reason keys it holds.

// The floors a policy may not go under.
const (
	MinRequestLogMonths = 24 // CCPA: 11 CCR §7101(a)
	MinAssessmentYears  = 3  // PIPL Art. 56
	MinDeletedDays      = 30 // a deleted customer is recoverable for 30 days
)

// retentionPrincipal is who a run acts as: no person started it (the schedule), or a person
// asked for it and the policy, approved beforehand, decides what goes.
const retentionPrincipal = System("retention")

var retentionActor, _ = retentionPrincipal.auditActor()

// RetentionPolicy is the policy in force: its rules (0 turns a rule off, where it may be off)
// and who set and approved it.
type RetentionPolicy struct {
	ID               string `json:"id,omitempty"`
	InactiveYears    int    `json:"inactive_years"`
	DeletedDays      int    `json:"deleted_days"`
	ReasonMonths     int    `json:"reason_months"`
	AuditYears       int    `json:"audit_years"`
	RequestLogMonths int    `json:"request_log_months"`
	AssessmentYears  int    `json:"assessment_years"`

	SetBy string    `json:"set_by,omitempty"`
	SetAt time.Time `json:"set_at,omitzero"`
	// NeedsOwner: another active owner existed when it was set; NeedsShops: the shops that had
	// a manager (not the setter) then. Each must approve (an owner's approval covers all).
	NeedsOwner bool      `json:"needs_owner,omitempty"`
	NeedsShops []string  `json:"needs_shops,omitempty"`
	ApprovedBy string    `json:"approved_by,omitempty"` // the second owner
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	// ShopApprovals: shop id -> the manager who approved it for that shop (the shops this
	// device holds).
	ShopApprovals map[string]string `json:"shop_approvals,omitempty"`
}

// DefaultRetention is what the policy form offers before one is set.
var DefaultRetention = RetentionPolicy{InactiveYears: 6, DeletedDays: MinDeletedDays, ReasonMonths: 12, AuditYears: 6,
	RequestLogMonths: MinRequestLogMonths, AssessmentYears: MinAssessmentYears}

func (p *RetentionPolicy) validate() error {
	var ve ValidationError
	if p.InactiveYears < 0 || p.InactiveYears > 50 {
		ve.add("inactive_years", "must be 0 (off) to 50")
	}
	if p.DeletedDays != 0 && (p.DeletedDays < MinDeletedDays || p.DeletedDays > 3650) {
		ve.add("deleted_days", fmt.Sprintf("must be 0 (off) or %d to 3650: a deleted customer is recoverable for %d days", MinDeletedDays, MinDeletedDays))
	}
	if p.ReasonMonths < 0 || p.ReasonMonths > 600 {
		ve.add("reason_months", "must be 0 (off) to 600")
	}
	if p.AuditYears < 0 || p.AuditYears > 50 {
		ve.add("audit_years", "must be 0 (off) to 50")
	}
	if p.RequestLogMonths < MinRequestLogMonths || p.RequestLogMonths > 600 {
		ve.add("request_log_months", fmt.Sprintf("must be at least %d (CCPA 11 CCR §7101)", MinRequestLogMonths))
	}
	if p.AssessmentYears < MinAssessmentYears || p.AssessmentYears > 50 {
		ve.add("assessment_years", fmt.Sprintf("must be at least %d (PIPL Art. 56)", MinAssessmentYears))
	}
	return ve.orNil()
}

// ApprovedFor reports whether the policy may act on a shop's customers: a second owner
// approved it, a manager of that shop did, or nobody else held the grant when it was set.
func (p *RetentionPolicy) ApprovedFor(shop string) bool {
	if p.ApprovedBy != "" || p.ShopApprovals[shop] != "" {
		return true
	}
	return !p.NeedsOwner && !slices.Contains(p.NeedsShops, shop)
}

// ApprovedOrg reports whether the org-wide rule (break-glass reasons) may act: a second owner
// approved it, or there was none when it was set.
func (p *RetentionPolicy) ApprovedOrg() bool { return p.ApprovedBy != "" || !p.NeedsOwner }

// Waiting reports whether some part of the policy still waits for a second person.
func (p *RetentionPolicy) Waiting() bool {
	if !p.ApprovedOrg() {
		return true
	}
	for _, s := range p.NeedsShops {
		if !p.ApprovedFor(s) {
			return true
		}
	}
	return false
}

// ErrSecondPerson means the setter tried to approve their own policy.
var ErrSecondPerson = errors.New("a retention policy is approved by a second person with the grant (another owner, or a manager for their shop), not by who set it")

// ErrNoRetentionPolicy means no policy is set yet.
var ErrNoRetentionPolicy = errors.New("no retention policy is set: an owner sets one first (spoke retention set)")

// grantHolders are the active staff as far as a grant check needs: id, roles, shop.
func (s *Store) grantHolders(ctx context.Context) ([]*User, error) {
	rows, err := s.verifiedUsers(ctx, "active = 1")
	if err != nil {
		return nil, err
	}
	out := make([]*User, 0, len(rows))
	for _, u := range rows {
		g := &User{ID: u.id, Username: u.username, ShopID: u.shopID.String, Active: true}
		for _, r := range strings.Split(u.roles, ",") {
			if r != "" {
				g.Roles = append(g.Roles, Role(r))
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// SetRetentionPolicy sets a new policy (owner). It records who else held the grant then, so
// it waits for their approval; with nobody else it is in force at once.
func (ss *Session) SetRetentionPolicy(ctx context.Context, p RetentionPolicy) (string, error) {
	var id string
	err := ss.write(ctx, "retention.set", func(w *wtx) error {
		if g, err := w.allow(ss, OpDataSubject, target{any: true}); err != nil || g != All {
			return ErrForbidden // the owner: the policy covers every shop
		}
		if err := p.validate(); err != nil {
			return err
		}
		staff, err := ss.s.grantHolders(ctx)
		if err != nil {
			return err
		}
		needsOwner := false
		var needsShops []string
		for _, u := range staff {
			if u.ID == ss.user.ID {
				continue
			}
			if u.Has(RoleOwner) {
				needsOwner = true
			}
			if u.Has(RoleManager) && u.ShopID != "" && !slices.Contains(needsShops, u.ShopID) {
				needsShops = append(needsShops, u.ShopID)
			}
		}
		slices.Sort(needsShops)
		prev, err := ss.s.retentionPolicy(ctx, w.tx)
		if err != nil {
			return err
		}
		prev.recordChanges(w, p)
		id = newID()
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("inactive_years=%d deleted_days=%d reason_months=%d audit_years=%d request_log_months=%d assessment_years=%d needs_owner=%t needs_shops=%d",
			p.InactiveYears, p.DeletedDays, p.ReasonMonths, p.AuditYears, p.RequestLogMonths, p.AssessmentYears, needsOwner, len(needsShops))
		return w.insert("retention_policies", OrgScope, id, []col{
			plain("inactive_years", p.InactiveYears), plain("deleted_days", p.DeletedDays), plain("reason_months", p.ReasonMonths),
			plain("audit_years", p.AuditYears), plain("request_log_months", p.RequestLogMonths), plain("assessment_years", p.AssessmentYears),
			plain("set_by", ss.user.ID), plain("set_at", w.now), plain("needs_owner", boolInt(needsOwner)),
			plain("needs_shops", strings.Join(needsShops, ",")),
		})
	})
	return id, err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ApproveRetention records the signed-in user's approval of the policy in force: another owner
// approves it for every shop and the org-wide rule (on an owner device), a manager for their
// shop (on any device of that shop). The setter cannot approve their own policy.
func (ss *Session) ApproveRetention(ctx context.Context) error {
	return ss.write(ctx, "retention.approve", func(w *wtx) error {
		g, err := w.allow(ss, OpDataSubject, target{any: true})
		if err != nil {
			return err
		}
		p, err := ss.s.retentionPolicy(ctx, w.tx)
		if err != nil {
			return err
		}
		if p == nil {
			return ErrNoRetentionPolicy
		}
		w.audit.Target = p.ID
		if p.SetBy == ss.user.ID {
			return ErrSecondPerson
		}
		if g == All {
			if p.ApprovedBy != "" {
				return fmt.Errorf("retention policy %s: approved already: %w", p.ID, ErrExists)
			}
			w.audit.Detail = "scope=all"
			return w.update("retention_policies", OrgScope, p.ID, []col{plain("approved_by", ss.user.ID), plain("approved_at", w.now)})
		}
		shop := ss.user.ShopID
		if _, err := w.allow(ss, OpDataSubject, target{shopID: shop}); err != nil || shop == "" {
			return ErrForbidden
		}
		if p.ShopApprovals[shop] != "" {
			return fmt.Errorf("retention policy %s for shop %s: approved already: %w", p.ID, shop, ErrExists)
		}
		w.audit.Detail = "scope=" + shop
		return w.insert("retention_approvals", shop, newID(), []col{
			plain("policy_id", p.ID), plain("shop_id", shop), plain("approved_by", ss.user.ID), plain("approved_at", w.now),
		})
	})
}

// RetentionPolicy returns the policy in force, or nil when none is set (owner and managers).
func (ss *Session) RetentionPolicy(ctx context.Context) (*RetentionPolicy, error) {
	if _, err := ss.allow(OpDataSubject, target{any: true}); err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "retention.show", Outcome: "denied"})
		return nil, err
	}
	return ss.s.retentionPolicy(ctx, ss.s.db)
}

// retentionPolicy reads the policy in force (the newest set; two set at once on two owner
// devices: the later, then the higher id), its rows authenticated, with the approvals that
// hold: an owner's by an active owner other than the setter, a shop's by an active manager of
// that shop (or an owner) other than the setter. An approval that does not hold (its author
// deactivated, or a row made up elsewhere) counts for nothing.
func (s *Store) retentionPolicy(ctx context.Context, q querier) (*RetentionPolicy, error) {
	p := &RetentionPolicy{}
	var setAt, approvedAt int64
	var needsOwner int64
	var needsShops string
	err := q.QueryRowContext(ctx, `SELECT id, inactive_years, deleted_days, reason_months, audit_years, request_log_months, assessment_years,
		set_by, set_at, needs_owner, needs_shops, approved_by, approved_at FROM retention_policies ORDER BY set_at DESC, id DESC LIMIT 1`).
		Scan(&p.ID, &p.InactiveYears, &p.DeletedDays, &p.ReasonMonths, &p.AuditYears, &p.RequestLogMonths, &p.AssessmentYears,
			&p.SetBy, &setAt, &needsOwner, &needsShops, &p.ApprovedBy, &approvedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["retention_policies"], p.ID); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		// Only a policy that passed validation is ever written; one that does not came in some
		// other way and decides nothing.
		return nil, &TamperError{Table: "retention_policies", Row: p.ID, Column: "-", Reason: "a policy under the legal floors: " + err.Error()}
	}
	p.SetAt, p.NeedsOwner = time.UnixMilli(setAt), needsOwner != 0
	if needsShops != "" {
		p.NeedsShops = strings.Split(needsShops, ",")
	}
	staff, err := s.grantHolders(ctx)
	if err != nil {
		return nil, err
	}
	holds := func(user, shop string) bool {
		if user == "" || user == p.SetBy {
			return false
		}
		for _, u := range staff {
			if u.ID == user {
				g, ok := u.permits(OpDataSubject, target{shopID: shop})
				return ok && (g == All || (shop != "" && g == ShopOnly))
			}
		}
		return false
	}
	if !holds(p.ApprovedBy, "") {
		p.ApprovedBy = ""
	} else {
		p.ApprovedAt = time.UnixMilli(approvedAt)
	}
	rows, err := q.QueryContext(ctx, "SELECT id, shop_id, approved_by FROM retention_approvals WHERE policy_id = ? ORDER BY approved_at, id", p.ID)
	if err != nil {
		return nil, err
	}
	type approval struct{ id, shop, by string }
	var as []approval
	for rows.Next() {
		var a approval
		if err := rows.Scan(&a.id, &a.shop, &a.by); err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, a := range as {
		if err := s.checkRow(ctx, q, tables["retention_approvals"], a.id); err != nil {
			return nil, err
		}
		if holds(a.by, a.shop) && p.ShopApprovals[a.shop] == "" {
			if p.ShopApprovals == nil {
				p.ShopApprovals = map[string]string{}
			}
			p.ShopApprovals[a.shop] = a.by
		}
	}
	return p, nil
}

// RetentionShop is what the policy selects in one shop.
type RetentionShop struct {
	ShopID string `json:"shop_id"`
	// Approved: the policy may act on this shop's customers. Here: this device writes the
	// shop's data (another device of the shop runs it otherwise).
	Approved bool `json:"approved"`
	Here     bool `json:"here"`
	// Inactive and Deleted count the customers each rule selects; the ids are shown to the owner.
	Inactive    int      `json:"inactive"`
	Deleted     int      `json:"deleted"`
	InactiveIDs []string `json:"inactive_ids,omitempty"`
	DeletedIDs  []string `json:"deleted_ids,omitempty"`
}

// RetentionReport is a run's or a preview's result.
type RetentionReport struct {
	At     time.Time        `json:"at"`
	DryRun bool             `json:"dry_run"`
	Policy *RetentionPolicy `json:"policy"`
	Shops  []RetentionShop  `json:"shops"`
	// Break-glass reasons past ReasonMonths: those whose keys go (Reasons), and those sealed
	// the older way, under the org key, which cannot expire (LegacyReasons).
	Reasons       int  `json:"reasons"`
	LegacyReasons int  `json:"legacy_reasons"`
	ReasonsHeld   bool `json:"reasons_held,omitempty"` // the org-wide rule waits for a second owner
	// Audit entries older than AuditYears, here and in other devices' copies: reported only,
	// never deleted (the chain must stay whole).
	AuditOld       int `json:"audit_old"`
	AuditCopiesOld int `json:"audit_copies_old"`
	// Assessments kept past AssessmentYears: reported; an owner may delete them.
	AssessmentsOld int `json:"assessments_old"`
	// What the run did: customers handed to the erasure, and reason keys deleted.
	Erased         int    `json:"erased"`
	ReasonsExpired int    `json:"reasons_expired"`
	EraseError     string `json:"erase_error,omitempty"`
}

// Due counts the customers the report selects for erasure where the policy acts here.
func (r *RetentionReport) Due() int {
	n := 0
	for _, s := range r.Shops {
		if s.Approved && s.Here {
			n += s.Inactive + s.Deleted
		}
	}
	return n
}

// Held counts the customers selected in shops where the policy still waits for approval.
func (r *RetentionReport) Held() int {
	n := 0
	for _, s := range r.Shops {
		if !s.Approved {
			n += s.Inactive + s.Deleted
		}
	}
	return n
}

// detail is the report as an audit entry's detail: counts only.
func (r *RetentionReport) detail() string {
	var inactive, deleted int
	for _, s := range r.Shops {
		inactive += s.Inactive
		deleted += s.Deleted
	}
	pid := "-"
	if r.Policy != nil {
		pid = r.Policy.ID
	}
	d := fmt.Sprintf("policy=%s dry_run=%t shops=%d inactive=%d deleted=%d held=%d erased=%d reasons_due=%d reasons_expired=%d legacy_reasons=%d audit_old=%d audit_copies_old=%d assessments_old=%d",
		pid, r.DryRun, len(r.Shops), inactive, deleted, r.Held(), r.Erased, r.Reasons, r.ReasonsExpired, r.LegacyReasons, r.AuditOld, r.AuditCopiesOld, r.AssessmentsOld)
	if r.EraseError != "" {
		d += " erase=failed"
	}
	return d
}

// selectRetention computes what the policy selects now, in the shops the user may act on
// (owner: every shop; manager: their own), with ids when withIDs.
func (s *Store) selectRetention(ctx context.Context, q querier, p *RetentionPolicy, shops []string, now time.Time, withIDs bool) (*RetentionReport, error) {
	r := &RetentionReport{At: now, Policy: p}
	if p == nil {
		return r, nil
	}
	inactiveBefore := now.AddDate(-p.InactiveYears, 0, 0).UnixMilli()
	deletedBefore := now.AddDate(0, 0, -p.DeletedDays).UnixMilli()
	for _, shop := range shops {
		rs := RetentionShop{ShopID: shop, Approved: p.ApprovedFor(shop), Here: s.mayWrite(ctx, q, shop)}
		if p.InactiveYears > 0 {
			ids, err := queryStrings(ctx, q, inactiveSQL, shop, inactiveBefore)
			if err != nil {
				return nil, err
			}
			rs.Inactive = len(ids)
			if withIDs {
				rs.InactiveIDs = ids
			}
		}
		if p.DeletedDays > 0 {
			ids, err := queryStrings(ctx, q, "SELECT id FROM customers WHERE shop_id = ? AND deleted_at > 0 AND deleted_at < ? ORDER BY id", shop, deletedBefore)
			if err != nil {
				return nil, err
			}
			rs.Deleted = len(ids)
			if withIDs {
				rs.DeletedIDs = ids
			}
		}
		r.Shops = append(r.Shops, rs)
	}
	if p.ReasonMonths > 0 {
		before := now.AddDate(0, -p.ReasonMonths, 0).UnixMilli()
		var err error
		if r.Reasons, err = reasonsDue(ctx, q, before); err != nil {
			return nil, err
		}
		err = q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit WHERE at < ?1 AND reason IS NOT NULL AND substr(reason, 1, 1) != X'FE')
			+ (SELECT COUNT(*) FROM remote_audit WHERE at < ?1 AND reason IS NOT NULL AND substr(reason, 1, 1) != X'FE')`, before).Scan(&r.LegacyReasons)
		if err != nil {
			return nil, err
		}
		r.ReasonsHeld = !p.ApprovedOrg()
	}
	if p.AuditYears > 0 {
		before := now.AddDate(-p.AuditYears, 0, 0).UnixMilli()
		if err := q.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM audit WHERE at < ?1), (SELECT COUNT(*) FROM remote_audit WHERE at < ?1)", before).Scan(&r.AuditOld, &r.AuditCopiesOld); err != nil {
			return nil, err
		}
	}
	before := now.AddDate(-p.AssessmentYears, 0, 0).UnixMilli()
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM assessments WHERE deleted_at = 0 AND assessed_at < ?", before).Scan(&r.AssessmentsOld); err != nil {
		return nil, err
	}
	return r, nil
}

// inactiveSQL selects a shop's live customers with no activity since ?2: the customer record,
// their bikes, work orders and sales all older, and no job still open.
const inactiveSQL = `SELECT c.id FROM customers c WHERE c.shop_id = ?1 AND c.deleted_at = 0 AND c.created_at < ?2 AND c.updated_at < ?2
	AND NOT EXISTS(SELECT 1 FROM sales s WHERE s.customer_id = c.id AND (s.sold_at >= ?2 OR s.created_at >= ?2))
	AND NOT EXISTS(SELECT 1 FROM work_orders w WHERE w.customer_id = c.id AND (w.created_at >= ?2 OR w.updated_at >= ?2 OR w.closed_at >= ?2 OR w.` + openJobSQL + `))
	AND NOT EXISTS(SELECT 1 FROM bikes b WHERE b.customer_id = c.id AND (b.created_at >= ?2 OR b.updated_at >= ?2))
	ORDER BY c.id`

// retentionShops are the shops the user may run the policy on: every shop for the owner,
// their own for a manager.
func (ss *Session) retentionShops(ctx context.Context, g Grant) ([]string, error) {
	if g == All {
		return queryStrings(ctx, ss.s.db, "SELECT id FROM shops ORDER BY id")
	}
	if ss.user.ShopID == "" {
		return nil, nil
	}
	return []string{ss.user.ShopID}, nil
}

// RetentionPreview shows what the policy selects now, changing nothing: counts per rule, and
// the customer ids for the owner. Owner and managers (their shop).
func (ss *Session) RetentionPreview(ctx context.Context) (*RetentionReport, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "retention.preview", "")
	if err != nil {
		return nil, err
	}
	r, err := ss.retentionSelect(ctx, g)
	if err != nil {
		return nil, err
	}
	r.DryRun = true
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "retention.preview", Detail: r.detail()}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return r, nil
}

func (ss *Session) retentionSelect(ctx context.Context, g Grant) (*RetentionReport, error) {
	p, err := ss.s.retentionPolicy(ctx, ss.s.db)
	if err != nil {
		return nil, err
	}
	shops, err := ss.retentionShops(ctx, g)
	if err != nil {
		return nil, err
	}
	return ss.s.selectRetention(ctx, ss.s.db, p, shops, ss.s.opts.Now(), g == All)
}

// RetentionRun says how a run was asked for.
type RetentionRun struct {
	DryRun    bool // preview only: nothing changes, the run is recorded as one
	Scheduled bool // the daily run (the app), not a person's request
}

// ErasureFailed is a run whose erasure of the selected customers failed: the rest of the run
// (reason keys) went ahead and the audit entry says so.
type ErasureFailed struct {
	Customers int
	Err       error
}

func (e *ErasureFailed) Error() string {
	return fmt.Sprintf("retention run: %d customer(s) due under the policy were NOT erased: %v", e.Customers, e.Err)
}

func (e *ErasureFailed) Unwrap() error { return e.Err }

// RunRetention carries out the policy on this device under System("retention"), on the shops
// the user may act on and this device writes, where it is approved; elsewhere, and with
// DryRun, it only previews. It writes one audit entry (retention.run) with the counts. A failed
// erasure is returned as *ErasureFailed together with the report: never a silent success.
func (ss *Session) RunRetention(ctx context.Context, how RetentionRun) (*RetentionReport, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "retention.run", "")
	if err != nil {
		return nil, err
	}
	r, err := ss.retentionSelect(ctx, g)
	if err != nil {
		return nil, err
	}
	if r.Policy == nil {
		return r, ErrNoRetentionPolicy
	}
	r.DryRun = how.DryRun
	var ids []string
	for _, s := range r.Shops {
		if s.Approved && s.Here {
			inactive, deleted := s.InactiveIDs, s.DeletedIDs
			if g != All { // a manager's report carries no ids: select them again for the run
				full, err := ss.s.selectRetention(ctx, ss.s.db, r.Policy, []string{s.ShopID}, r.At, true)
				if err != nil {
					return nil, err
				}
				inactive, deleted = full.Shops[0].InactiveIDs, full.Shops[0].DeletedIDs
			}
			ids = append(ids, inactive...)
			ids = append(ids, deleted...)
		}
	}
	var failed *ErasureFailed
	if !how.DryRun && len(ids) > 0 {
		if err := ss.s.retentionErase(ctx, retentionPrincipal, ids); err != nil {
			failed = &ErasureFailed{Customers: len(ids), Err: err}
			r.EraseError = err.Error()
		} else {
			r.Erased = len(ids)
		}
	}
	by := "scheduled"
	if !how.Scheduled {
		by = ss.user.ID
	}
	err = ss.s.write(ctx, retentionActor, "retention.run", func(w *wtx) error {
		if !how.DryRun && r.Policy.ReasonMonths > 0 && r.Policy.ApprovedOrg() {
			n, err := expireReasons(ctx, w.tx, r.At.AddDate(0, -r.Policy.ReasonMonths, 0).UnixMilli())
			if err != nil {
				return err
			}
			r.ReasonsExpired = n
		}
		w.audit.Target = r.Policy.ID
		w.audit.Detail = r.detail() + " by=" + by
		if failed != nil {
			w.audit.Outcome = "failed"
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if failed != nil {
		return r, failed
	}
	return r, nil
}

// RetentionDaily is how often the app runs the policy.
const RetentionDaily = 24 * time.Hour

// RunRetentionIfDue runs the policy (as the daily, scheduled run) when no run that changed
// anything was recorded on this device in the last day and a policy is set. It reports whether
// it ran. Checking writes nothing.
func (ss *Session) RunRetentionIfDue(ctx context.Context) (*RetentionReport, bool, error) {
	if _, err := ss.allow(OpDataSubject, target{any: true}); err != nil {
		return nil, false, err
	}
	p, err := ss.s.retentionPolicy(ctx, ss.s.db)
	if err != nil || p == nil {
		return nil, false, err
	}
	last, err := ss.s.lastRetentionRun(ctx)
	if err != nil {
		return nil, false, err
	}
	if !last.IsZero() && ss.s.opts.Now().Sub(last) < RetentionDaily {
		return nil, false, nil
	}
	r, err := ss.RunRetention(ctx, RetentionRun{Scheduled: true})
	return r, true, err
}

func (s *Store) lastRetentionRun(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT MAX(at) FROM audit WHERE action = 'retention.run' AND user_id = ? AND detail LIKE '%dry_run=false%'", retentionActor.userID).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, err
	}
	return time.UnixMilli(at.Int64), nil
}

// RetentionRunRecord is one past run as its audit entry records it (counts only).
type RetentionRunRecord struct {
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
}

// RetentionRuns lists this device's last runs, newest first (owner and managers).
func (ss *Session) RetentionRuns(ctx context.Context, limit int) ([]RetentionRunRecord, error) {
	if _, err := ss.require(ctx, OpDataSubject, target{any: true}, "retention.runs", ""); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 10
	}
	rows, err := ss.s.db.QueryContext(ctx, "SELECT at, outcome, detail FROM audit WHERE action = 'retention.run' AND user_id = ? ORDER BY seq DESC LIMIT ?", retentionActor.userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RetentionRunRecord
	for rows.Next() {
		var r RetentionRunRecord
		var at int64
		if err := rows.Scan(&at, &r.Outcome, &r.Detail); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "retention.runs", Detail: fmt.Sprintf("runs=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// retentionErase erases (crypto-shreds) the customers the policy selected, as p: the one place
// a retention run reaches the erasure (erasure.go), each customer as a data subject's erasure
// would, in one transaction with one audit entry.
func (s *Store) retentionErase(ctx context.Context, p Principal, customerIDs []string) error {
	a, _ := p.auditActor()
	_, err := s.eraseCustomers(ctx, a, "retention.erase", customerIDs)
	return err
}

// recordChanges records each period of p that differs from the policy in force before (nil:
// none was set).
func (old *RetentionPolicy) recordChanges(w *wtx, p RetentionPolicy) {
	var o RetentionPolicy
	if old != nil {
		o = *old
	}
	set := old != nil
	for _, c := range []struct {
		name     string
		old, new int
	}{
		{"retention.inactive_years", o.InactiveYears, p.InactiveYears}, {"retention.deleted_days", o.DeletedDays, p.DeletedDays},
		{"retention.reason_months", o.ReasonMonths, p.ReasonMonths}, {"retention.audit_years", o.AuditYears, p.AuditYears},
		{"retention.request_log_months", o.RequestLogMonths, p.RequestLogMonths}, {"retention.assessment_years", o.AssessmentYears, p.AssessmentYears},
	} {
		was := ""
		if set {
			was = intSetting(c.old)
		}
		w.settingChanged(c.name, was, intSetting(c.new))
	}
}
