package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The periodic permission review (issue 12 part 1). Every ReviewEveryDays (90 by default, an
// org setting) the owner goes through every active account: its roles and shop, when it last
// signed in, when each role's powers were last used, break-glass reads, failed sign-ins and
// training in the period, and flags for what needs a second look (dormant, a role unused all
// period, a shared-looking account, still active after a leaving date). For each account the
// owner certifies it, changes its roles or deactivates it; the review is complete only when
// every active account is decided. Decisions and completions are rows (org scope, written on
// owner devices, synced) and audited. A shop's manager sees the review for their shop's staff
// and proposes changes (staff_proposals), which the owner confirms: role changes are
// owner-signed staff records.

// Review periods and flag thresholds.
const (
	DefaultReviewEveryDays = 90
	// DormantAfter: an account with no sign-in for this long is flagged dormant.
	DormantAfter = 30 * 24 * time.Hour
	// sharedOverlaps: sign-ins overlapping a session on another device, in the period, from
	// which an account looks shared.
	sharedOverlaps     = 2
	settingReviewEvery = "review.every_days"
)

// The review decisions and flags.
const (
	DecisionCertify    = "certify"
	DecisionChange     = "change"
	DecisionDeactivate = "deactivate"

	FlagDormant    = "dormant"
	FlagExcessRole = "excess_role" // + ":" + the role
	FlagShared     = "shared"
	FlagLeftActive = "left_active"
	FlagTraining   = "training_overdue"
)

// ReviewDecisions lists the decisions, for forms and flags.
var ReviewDecisions = []string{DecisionCertify, DecisionChange, DecisionDeactivate}

var flagCode = regexp.MustCompile(`^(dormant|shared|left_active|training_overdue|excess_role:(owner|manager|sales|mechanic|marketing|auditor))$`)

// ErrReviewIncomplete means accounts are still undecided.
type ErrReviewIncomplete struct{ Undecided []string }

func (e *ErrReviewIncomplete) Error() string {
	return fmt.Sprintf("the review is not complete: %d account(s) still undecided (%s); certify, change or deactivate each", len(e.Undecided), strings.Join(e.Undecided, ", "))
}

// ErrNoOpenReview means there is no review in progress.
var ErrNoOpenReview = errors.New("no permission review is in progress; start one first")

// ReviewStatus is when the next review is due, and whether one is in progress.
type ReviewStatus struct {
	EveryDays     int       `json:"every_days"`
	LastCompleted time.Time `json:"last_completed,omitzero"`
	DueAt         time.Time `json:"due_at"`
	Overdue       bool      `json:"overdue"`
	OpenID        string    `json:"open_id,omitempty"` // a review started and not completed
}

// ReviewAccount is one account as the review shows it: ids, codes, counts and times only.
type ReviewAccount struct {
	UserID        string             `json:"user_id"`
	Username      string             `json:"username"`
	ShopID        string             `json:"shop_id,omitempty"`
	Roles         []Role             `json:"roles"`
	Active        bool               `json:"active"`
	LeavesAt      time.Time          `json:"leaves_at,omitzero"`
	CreatedAt     time.Time          `json:"created_at"`
	LastSignIn    time.Time          `json:"last_sign_in,omitzero"`
	RoleLastUsed  map[Role]time.Time `json:"role_last_used"`
	BreakGlass    int                `json:"break_glass_reads"`
	FailedSignIns int                `json:"failed_sign_ins"`
	Devices       int                `json:"devices"`
	// SharedSignIns counts sign-ins made while a session of the account, begun on another
	// device less than 30 minutes before, had not signed out.
	SharedSignIns int      `json:"shared_sign_ins"`
	Training      string   `json:"training,omitempty"` // current, due, overdue, blocked ("" unknown)
	Flags         []string `json:"flags,omitempty"`
	// Decision is this review's decision on the account (nil: undecided).
	Decision *ReviewDecision `json:"decision,omitempty"`
	// Proposals are the shop manager's open proposals for the account.
	Proposals []StaffProposal `json:"proposals,omitempty"`
}

// ReviewDecision is the owner's decision on one account in one review.
type ReviewDecision struct {
	Decision    string    `json:"decision"`
	RolesBefore []Role    `json:"roles_before"`
	RolesAfter  []Role    `json:"roles_after"`
	Flags       []string  `json:"flags,omitempty"`
	DecidedBy   string    `json:"decided_by"`
	DecidedAt   time.Time `json:"decided_at"`
}

// Review is one permission review with its accounts.
type Review struct {
	ID          string          `json:"id"`
	From        time.Time       `json:"period_from"`
	To          time.Time       `json:"period_to"`
	StartedBy   string          `json:"started_by"`
	StartedAt   time.Time       `json:"started_at"`
	CompletedBy string          `json:"completed_by,omitempty"`
	CompletedAt time.Time       `json:"completed_at,omitzero"`
	Accounts    []ReviewAccount `json:"accounts"`
}

// Undecided lists the usernames of active accounts without a decision.
func (r *Review) Undecided() []string {
	var out []string
	for _, a := range r.Accounts {
		if a.Active && a.Decision == nil {
			out = append(out, a.Username)
		}
	}
	return out
}

// mayReview: the owner reviews every account; a shop's manager sees their shop's accounts and
// proposes. Anyone else is refused, audited under action.
func (ss *Session) mayReview(ctx context.Context, action string) (shop string, owner bool, err error) {
	if ss.user.Has(RoleOwner) {
		if _, err := ss.require(ctx, OpUsers, target{any: true}, action, ""); err != nil {
			return "", false, err
		}
		return "", true, nil
	}
	if err := ss.gone(); err == nil && ss.user.Has(RoleManager) && ss.user.ShopID != "" {
		return ss.user.ShopID, false, nil
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "denied"})
	return "", false, ErrForbidden
}

// reviewEvery reads the review period (days) from the org settings.
func (s *Store) reviewEvery(ctx context.Context, q querier) (int, error) {
	vals, _, err := s.orgSettings(ctx, q)
	if err != nil {
		return 0, err
	}
	if v, ok := vals[settingReviewEvery]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 7 && n <= 366 {
			return n, nil
		}
		return 0, &TamperError{Table: "org_settings", Row: settingID(settingReviewEvery), Column: "value", Reason: "not a number of days Spoke writes"}
	}
	return DefaultReviewEveryDays, nil
}

// SetReviewEvery sets how often a permission review is due, in days (owner; 7 to 366). The
// org setting's change is recorded by putSetting (settings.go), as every setting's is.
func (ss *Session) SetReviewEvery(ctx context.Context, days int) error {
	return ss.write(ctx, "review.settings", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		if days < 7 || days > 366 {
			return &FieldError{"every", "must be 7 to 366 days"}
		}
		old, err := ss.s.reviewEvery(w.ctx, w.tx)
		if err != nil {
			return err
		}
		w.audit.Target = settingReviewEvery
		w.audit.Detail = fmt.Sprintf("%s=%d->%d", settingReviewEvery, old, days)
		return w.putSetting(ss.user.ID, settingReviewEvery, strconv.Itoa(days))
	})
}

// ReviewStatus says when the next permission review is due (owner, and a shop's manager for
// the banner). A chain that never completed one is due a period after its first account.
func (ss *Session) ReviewStatus(ctx context.Context) (ReviewStatus, error) {
	if _, _, err := ss.mayReview(ctx, "review.status"); err != nil {
		return ReviewStatus{}, err
	}
	return ss.s.reviewStatus(ctx, ss.s.db)
}

func (s *Store) reviewStatus(ctx context.Context, q querier) (ReviewStatus, error) {
	every, err := s.reviewEvery(ctx, q)
	if err != nil {
		return ReviewStatus{}, err
	}
	st := ReviewStatus{EveryDays: every}
	revs, err := s.reviews(ctx, q)
	if err != nil {
		return st, err
	}
	var base int64
	for _, r := range revs {
		if r.CompletedAt.IsZero() {
			if st.OpenID == "" {
				st.OpenID = r.ID
			}
			continue
		}
		if c := r.CompletedAt.UnixMilli(); c > base {
			base = c
			st.LastCompleted = r.CompletedAt
		}
	}
	if base == 0 {
		if err := q.QueryRowContext(ctx, "SELECT COALESCE(MIN(created_at), 0) FROM users").Scan(&base); err != nil {
			return st, err
		}
		if base == 0 {
			base = s.opts.Now().UnixMilli()
		}
	}
	st.DueAt = time.UnixMilli(base).AddDate(0, 0, every)
	st.Overdue = !s.opts.Now().Before(st.DueAt)
	return st, nil
}

// reviews reads every review row (without accounts), each authenticated, newest first.
func (s *Store) reviews(ctx context.Context, q querier) ([]Review, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, period_from, period_to, started_by, started_at, completed_by, completed_at
		FROM permission_reviews ORDER BY started_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	var out []Review
	for rows.Next() {
		var r Review
		var from, to, started, completed int64
		if err := rows.Scan(&r.ID, &from, &to, &r.StartedBy, &started, &r.CompletedBy, &completed); err != nil {
			rows.Close()
			return nil, err
		}
		r.From, r.To, r.StartedAt = time.UnixMilli(from), time.UnixMilli(to), time.UnixMilli(started)
		if completed > 0 {
			r.CompletedAt = time.UnixMilli(completed)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range out {
		if err := s.checkRow(ctx, q, tables["permission_reviews"], r.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StartReview starts a permission review over the period since the last completed one (or the
// review period back), or returns the one in progress (owner).
func (ss *Session) StartReview(ctx context.Context) (string, error) {
	var id string
	err := ss.write(ctx, "review.start", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		st, err := ss.s.reviewStatus(ctx, w.tx)
		if err != nil {
			return err
		}
		if st.OpenID != "" {
			id = st.OpenID
			w.audit.Target, w.audit.Detail = id, "resumed"
			return nil
		}
		from := time.UnixMilli(w.now).AddDate(0, 0, -st.EveryDays).UnixMilli()
		if !st.LastCompleted.IsZero() {
			from = st.LastCompleted.UnixMilli()
		}
		id = newID()
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("from=%d to=%d", from, w.now)
		return w.insert("permission_reviews", OrgScope, id, []col{
			plain("period_from", from), plain("period_to", w.now), plain("started_by", ss.user.ID), plain("started_at", w.now),
		})
	})
	return id, err
}

// Review returns a review with every account, its activity in the period, its flags, this
// review's decision and the open proposals (owner: every account; a shop's manager: their
// shop's accounts). id "" is the review in progress, or, when none is, a preview of the next
// one (ID empty) so a manager can propose before the owner starts it.
func (ss *Session) Review(ctx context.Context, id string) (*Review, error) {
	shop, _, err := ss.mayReview(ctx, "review.read")
	if err != nil {
		return nil, err
	}
	r, err := ss.s.review(ctx, ss.s.db, id, shop)
	if err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "review.read", Target: r.ID, Detail: fmt.Sprintf("accounts=%d", len(r.Accounts))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return r, nil
}

// review builds a review's accounts; shop "" is every shop.
func (s *Store) review(ctx context.Context, q querier, id, shop string) (*Review, error) {
	st, err := s.reviewStatus(ctx, q)
	if err != nil {
		return nil, err
	}
	revs, err := s.reviews(ctx, q)
	if err != nil {
		return nil, err
	}
	var r *Review
	if id == "" {
		id = st.OpenID
	}
	for i := range revs {
		if revs[i].ID == id {
			r = &revs[i]
		}
	}
	now := s.opts.Now()
	switch {
	case r == nil && id != "":
		return nil, fmt.Errorf("review %s: %w", id, ErrNotFound)
	case r == nil:
		from := now.AddDate(0, 0, -st.EveryDays)
		if !st.LastCompleted.IsZero() {
			from = st.LastCompleted
		}
		r = &Review{From: from, To: now}
	}
	// Activity up to now for a review in progress (what the owner decides on), up to its end
	// for a completed one.
	to := now
	if !r.CompletedAt.IsZero() {
		to = r.CompletedAt
	}
	act, err := s.staffActivity(ctx, q, r.From.UnixMilli(), to.UnixMilli()+1)
	if err != nil {
		return nil, err
	}
	users, err := s.verifiedUsersVia(ctx, q, "1 = 1")
	if err != nil {
		return nil, err
	}
	decisions, err := s.reviewDecisions(ctx, q, r.ID)
	if err != nil {
		return nil, err
	}
	props, err := s.staffProposals(ctx, q, shop, true)
	if err != nil {
		return nil, err
	}
	training, err := s.trainingStates(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if shop != "" && u.shopID.String != shop {
			continue
		}
		d := decisions[u.id]
		if !u.active && d == nil {
			continue // deactivated before the review: nothing to decide
		}
		acc := accountOf(u, act[u.id])
		acc.Training = training[u.id]
		acc.Flags = reviewFlags(acc, r.From, now)
		acc.Decision = d
		for _, p := range props {
			if p.UserID == u.id {
				acc.Proposals = append(acc.Proposals, p)
			}
		}
		r.Accounts = append(r.Accounts, acc)
	}
	return r, nil
}

// accountOf builds an account's review line from its record and activity.
func accountOf(u *userRow, a *activity) ReviewAccount {
	st := u.staff()
	acc := ReviewAccount{UserID: u.id, Username: u.username, ShopID: st.ShopID, Roles: st.Roles, Active: u.active,
		CreatedAt: time.UnixMilli(u.createdAt)}
	if u.leavesAt > 0 {
		acc.LeavesAt = time.UnixMilli(u.leavesAt)
	}
	last := u.lastSignIn // this device's bookkeeping, with the trail's sign-ins everywhere
	if a != nil {
		last = max(last, a.lastSignIn)
		acc.BreakGlass, acc.FailedSignIns, acc.Devices, acc.SharedSignIns = a.breakGlass, a.failedSignIns, len(a.devices), a.overlaps
	}
	if last > 0 {
		acc.LastSignIn = time.UnixMilli(last)
	}
	acc.RoleLastUsed = a.roleLastUsed(st.Roles)
	return acc
}

// reviewFlags are an account's flags: what the owner should look at twice.
func reviewFlags(acc ReviewAccount, from, now time.Time) []string {
	var flags []string
	seen := acc.LastSignIn
	if seen.IsZero() {
		seen = acc.CreatedAt
	}
	if acc.Active && now.Sub(seen) >= DormantAfter {
		flags = append(flags, FlagDormant)
	}
	// A role is excess when the account held it over the whole period and used none of its
	// powers; an account too new for the period is not judged yet.
	if !acc.CreatedAt.After(from) {
		for _, r := range acc.Roles {
			if acc.RoleLastUsed[r].IsZero() {
				flags = append(flags, FlagExcessRole+":"+string(r))
			}
		}
	}
	if acc.SharedSignIns >= sharedOverlaps {
		flags = append(flags, FlagShared)
	}
	if acc.Active && !acc.LeavesAt.IsZero() && !now.Before(acc.LeavesAt) {
		flags = append(flags, FlagLeftActive)
	}
	if acc.Training == "overdue" || acc.Training == "blocked" {
		flags = append(flags, FlagTraining)
	}
	return flags
}

// decisionID is the one row id of a review's decision on an account, the same on every device.
func decisionID(review, user string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("spoke:review-decision:"+review+":"+user)).String()
}

// reviewDecisions reads a review's decisions by account, each authenticated and checked.
func (s *Store) reviewDecisions(ctx context.Context, q querier, review string) (map[string]*ReviewDecision, error) {
	out := map[string]*ReviewDecision{}
	if review == "" {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, user_id, decision, roles_before, roles_after, flags, decided_by, decided_at
		FROM review_decisions WHERE review_id = ? ORDER BY id`, review)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id, user, before, after, flags string
		var at int64
		d := &ReviewDecision{}
		if err := rows.Scan(&id, &user, &d.Decision, &before, &after, &flags, &d.DecidedBy, &at); err != nil {
			rows.Close()
			return nil, err
		}
		d.DecidedAt = time.UnixMilli(at)
		var bad string
		if d.RolesBefore, bad = parseRoles(before, "roles_before"); bad == "" {
			d.RolesAfter, bad = parseRoles(after, "roles_after")
		}
		if bad == "" && !slices.Contains(ReviewDecisions, d.Decision) {
			bad = "decision"
		}
		for _, f := range strings.Split(flags, ",") {
			if f != "" && !flagCode.MatchString(f) {
				bad = "flags"
			}
			if f != "" {
				d.Flags = append(d.Flags, f)
			}
		}
		if bad != "" || id != decisionID(review, user) {
			rows.Close()
			if bad == "" {
				bad = "id"
			}
			return nil, &TamperError{Table: "review_decisions", Row: id, Column: bad, Reason: "not a value Spoke writes"}
		}
		out[user] = d
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := s.checkRow(ctx, q, tables["review_decisions"], id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseRoles reads a comma-separated role list; bad names col when a name is not a role.
func parseRoles(s, col string) (roles []Role, bad string) {
	for _, r := range strings.Split(s, ",") {
		if r == "" {
			continue
		}
		if !slices.Contains(Roles, Role(r)) {
			return nil, col
		}
		roles = append(roles, Role(r))
	}
	return roles, ""
}

func roleList(rs []Role) string {
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		names = append(names, string(r))
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

// DecideAccount records the owner's decision on one account in the review in progress:
// certify it as it is, change its roles to roles (DecisionChange), or deactivate it. A change
// or deactivation is made to the signed staff record in the same transaction. Deciding again
// replaces the decision.
func (ss *Session) DecideAccount(ctx context.Context, userID, decision string, roles []Role) error {
	if decision != DecisionCertify {
		// Changing roles or deactivating is a sensitive action: the password again if stale.
		if err := ss.fresh(ctx, "review.decide", userID); err != nil {
			return err
		}
	}
	return ss.write(ctx, "review.decide", func(w *wtx) error {
		w.audit.Target = userID
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		if !slices.Contains(ReviewDecisions, decision) {
			return &FieldError{"decision", "must be one of " + strings.Join(ReviewDecisions, ", ")}
		}
		r, err := ss.s.review(ctx, w.tx, "", "")
		if err != nil {
			return err
		}
		if r.ID == "" {
			return ErrNoOpenReview
		}
		i := slices.IndexFunc(r.Accounts, func(a ReviewAccount) bool { return a.UserID == userID })
		if i < 0 {
			return fmt.Errorf("account %s in this review: %w", userID, ErrNotFound)
		}
		acc := r.Accounts[i]
		after := acc.Roles
		switch decision {
		case DecisionChange:
			if len(roles) == 0 {
				return &FieldError{"role", "a change names the new roles"}
			}
			if err := w.changeUser(ss, userID, staffChange{roles: roles}); err != nil {
				return err
			}
			after = roles
		case DecisionDeactivate:
			off := false
			if err := w.changeUser(ss, userID, staffChange{active: &off}); err != nil {
				return err
			}
		}
		w.audit.Target, w.audit.Fields = userID, nil
		w.audit.Detail = fmt.Sprintf("review=%s decision=%s roles=%s->%s flags=%s", r.ID, decision, roleList(acc.Roles), roleList(after), strings.Join(acc.Flags, ","))
		return w.recordDecision(ss, r.ID, acc, decision, after)
	})
}

// recordDecision writes (or replaces) a review's decision on an account. A second decision
// keeps the roles the review first found.
func (w *wtx) recordDecision(ss *Session, review string, acc ReviewAccount, decision string, after []Role) error {
	id := decisionID(review, acc.UserID)
	before := acc.Roles
	if acc.Decision != nil {
		before = acc.Decision.RolesBefore
	}
	cols := []col{plain("decision", decision), plain("roles_before", roleList(before)), plain("roles_after", roleList(after)),
		plain("flags", strings.Join(acc.Flags, ",")), plain("decided_by", ss.user.ID), plain("decided_at", w.now)}
	if acc.Decision != nil {
		return w.update("review_decisions", OrgScope, id, cols)
	}
	return w.insert("review_decisions", OrgScope, id, append([]col{plain("review_id", review), plain("user_id", acc.UserID)}, cols...))
}

// CompleteReview completes the review in progress once every active account is decided
// (owner). It returns the review as completed.
func (ss *Session) CompleteReview(ctx context.Context) (*Review, error) {
	var out *Review
	err := ss.write(ctx, "review.complete", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		r, err := ss.s.review(ctx, w.tx, "", "")
		if err != nil {
			return err
		}
		if r.ID == "" {
			return ErrNoOpenReview
		}
		w.audit.Target = r.ID
		if und := r.Undecided(); len(und) > 0 {
			return &ErrReviewIncomplete{Undecided: und}
		}
		counts := map[string]int{}
		for _, a := range r.Accounts {
			if a.Decision != nil {
				counts[a.Decision.Decision]++
			}
		}
		n := counts[DecisionCertify] + counts[DecisionChange] + counts[DecisionDeactivate]
		w.audit.Detail = fmt.Sprintf("accounts=%d certified=%d changed=%d deactivated=%d", n,
			counts[DecisionCertify], counts[DecisionChange], counts[DecisionDeactivate])
		r.CompletedBy, r.CompletedAt = ss.user.ID, time.UnixMilli(w.now)
		out = r
		return w.update("permission_reviews", OrgScope, r.ID, []col{
			plain("completed_by", ss.user.ID), plain("completed_at", w.now), plain("accounts", n),
		})
	})
	return out, err
}

// Reviews lists the reviews, newest first, without their accounts (owner).
func (ss *Session) Reviews(ctx context.Context) ([]Review, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "review.list", ""); err != nil {
		return nil, err
	}
	out, err := ss.s.reviews(ctx, ss.s.db)
	if err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "review.list", Detail: fmt.Sprintf("reviews=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// ErrProposalDecided means a proposal was confirmed or rejected already.
var ErrProposalDecided = errors.New("this proposal is decided already")

// staffProposal kinds and states.
const (
	ProposeRoles      = "roles"
	ProposeDeactivate = "deactivate"
	ProposeLeave      = "leave"

	proposalOpen      = "open"
	proposalConfirmed = "confirmed"
	proposalRejected  = "rejected"
)

// ProposalKinds lists the kinds of proposal.
var ProposalKinds = []string{ProposeRoles, ProposeDeactivate, ProposeLeave}

// StaffProposal is a shop manager's proposed change to an account of their shop.
type StaffProposal struct {
	ID         string    `json:"id"`
	ShopID     string    `json:"shop_id"`
	UserID     string    `json:"user_id"`
	Kind       string    `json:"kind"`
	Roles      []Role    `json:"roles,omitempty"`
	LeavesAt   time.Time `json:"leaves_at,omitzero"`
	ProposedBy string    `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
	Status     string    `json:"status"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
}

// ProposeStaffChange records a shop manager's proposal for an account of their shop: new
// roles, a deactivation, or a leaving date. The owner confirms it (DecideProposal); until then
// nothing about the account changes, except that a proposed leaver is watched.
func (ss *Session) ProposeStaffChange(ctx context.Context, userID, kind string, roles []Role, leavesAt time.Time) (string, error) {
	var id string
	err := ss.write(ctx, "staff.propose", func(w *wtx) error {
		w.audit.Target = userID
		if err := ss.gone(); err != nil {
			return err
		}
		if !ss.user.Has(RoleManager) || ss.user.ShopID == "" {
			return ErrForbidden
		}
		var shop sql.NullString
		if err := w.tx.QueryRowContext(ctx, "SELECT shop_id FROM users WHERE id = ?", userID).Scan(&shop); err != nil {
			return fmt.Errorf("account %s: %w", userID, ErrNotFound)
		}
		if shop.String != ss.user.ShopID {
			return ErrForbidden // another shop's, or an org-wide account
		}
		if userID == ss.user.ID {
			return &FieldError{"user", "propose changes for your staff, not yourself"}
		}
		cols := []col{plain("shop_id", shop.String), plain("user_id", userID), plain("kind", kind),
			plain("proposed_by", ss.user.ID), plain("proposed_at", w.now), plain("status", proposalOpen)}
		switch kind {
		case ProposeRoles:
			for _, r := range roles {
				if _, err := ParseRole(string(r)); err != nil {
					return err
				}
				if r == RoleOwner || !needsShop([]Role{r}) {
					return &FieldError{"role", "a manager may propose shop roles only (manager, sales, mechanic)"}
				}
			}
			if len(roles) == 0 {
				return &FieldError{"role", "at least one role is required"}
			}
			cols = append(cols, plain("roles", roleList(roles)))
			w.audit.Detail = "kind=roles roles=" + roleList(roles)
		case ProposeLeave:
			if leavesAt.IsZero() {
				return &FieldError{"leaving", "give the leaving date"}
			}
			cols = append(cols, plain("leaves_at", leavesAt.UnixMilli()))
			w.audit.Detail = fmt.Sprintf("kind=leave leaves_at=%d", leavesAt.UnixMilli())
		case ProposeDeactivate:
			w.audit.Detail = "kind=deactivate"
		default:
			return &FieldError{"kind", "must be one of " + strings.Join(ProposalKinds, ", ")}
		}
		id = newID()
		return w.insert("staff_proposals", shop.String, id, cols)
	})
	return id, err
}

// StaffProposals lists proposals (owner: every shop's; a manager: their shop's), open ones only
// when open is set, newest first.
func (ss *Session) StaffProposals(ctx context.Context, open bool) ([]StaffProposal, error) {
	shop, _, err := ss.mayReview(ctx, "staff.proposals")
	if err != nil {
		return nil, err
	}
	return ss.s.staffProposals(ctx, ss.s.db, shop, open)
}

func (s *Store) staffProposals(ctx context.Context, q querier, shop string, open bool) ([]StaffProposal, error) {
	query := `SELECT p.id, p.shop_id, p.user_id, p.kind, p.roles, p.leaves_at, p.proposed_by, p.proposed_at, p.status, p.decided_by, p.decided_at
		FROM staff_proposals p JOIN users u ON u.id = p.user_id WHERE u.shop_id = p.shop_id`
	// (A proposal for an account that has since moved to another shop is not shown: its
	// manager no longer speaks for it.)
	var args []any
	if shop != "" {
		query += " AND p.shop_id = ?"
		args = append(args, shop)
	}
	if open {
		query += " AND p.status = 'open'"
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY p.proposed_at DESC, p.id DESC", args...)
	if err != nil {
		return nil, err
	}
	var out []StaffProposal
	for rows.Next() {
		var p StaffProposal
		var roles string
		var leaves, at, decided int64
		if err := rows.Scan(&p.ID, &p.ShopID, &p.UserID, &p.Kind, &roles, &leaves, &p.ProposedBy, &at, &p.Status, &p.DecidedBy, &decided); err != nil {
			rows.Close()
			return nil, err
		}
		var bad string
		p.Roles, bad = parseRoles(roles, "roles")
		switch {
		case bad != "":
		case !slices.Contains(ProposalKinds, p.Kind):
			bad = "kind"
		case !slices.Contains([]string{proposalOpen, proposalConfirmed, proposalRejected}, p.Status):
			bad = "status"
		}
		if bad != "" {
			rows.Close()
			return nil, &TamperError{Table: "staff_proposals", Row: p.ID, Column: bad, Reason: "not a value Spoke writes"}
		}
		p.ProposedAt = time.UnixMilli(at)
		if leaves > 0 {
			p.LeavesAt = time.UnixMilli(leaves)
		}
		if decided > 0 {
			p.DecidedAt = time.UnixMilli(decided)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range out {
		if err := s.checkRow(ctx, q, tables["staff_proposals"], p.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DecideProposal confirms (making the change to the signed staff record) or rejects a
// manager's proposal (owner).
func (ss *Session) DecideProposal(ctx context.Context, id string, confirm bool) error {
	if confirm {
		if err := ss.fresh(ctx, "staff.proposal", id); err != nil {
			return err
		}
	}
	return ss.write(ctx, "staff.proposal", func(w *wtx) error {
		w.audit.Target = id
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		ps, err := ss.s.staffProposals(ctx, w.tx, "", false)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ps, func(p StaffProposal) bool { return p.ID == id })
		if i < 0 {
			return fmt.Errorf("proposal %s: %w", id, ErrNotFound)
		}
		p := ps[i]
		if p.Status != proposalOpen {
			return ErrProposalDecided
		}
		status := proposalRejected
		if confirm {
			status = proposalConfirmed
			// Confirmed during a review, the proposal is the owner's decision on the account
			// there too (a leaving date certifies it until then).
			r, err := ss.s.review(ctx, w.tx, "", "")
			if err != nil {
				return err
			}
			if i := slices.IndexFunc(r.Accounts, func(a ReviewAccount) bool { return a.UserID == p.UserID }); r.ID != "" && i >= 0 {
				acc := r.Accounts[i]
				decision, after := DecisionCertify, acc.Roles
				switch p.Kind {
				case ProposeRoles:
					decision, after = DecisionChange, p.Roles
				case ProposeDeactivate:
					decision = DecisionDeactivate
				}
				if err := w.recordDecision(ss, r.ID, acc, decision, after); err != nil {
					return err
				}
			}
			var c staffChange
			switch p.Kind {
			case ProposeRoles:
				c.roles = p.Roles
			case ProposeDeactivate:
				off := false
				c.active = &off
			case ProposeLeave:
				l := p.LeavesAt.UnixMilli()
				c.leavesAt = &l
			}
			if err := w.changeUser(ss, p.UserID, c); err != nil {
				return err
			}
		}
		w.audit.Target, w.audit.Fields = id, nil
		w.audit.Detail = fmt.Sprintf("user=%s kind=%s status=%s", p.UserID, p.Kind, status)
		return w.update("staff_proposals", p.ShopID, id, []col{
			plain("status", status), plain("decided_by", ss.user.ID), plain("decided_at", w.now),
		})
	})
}
