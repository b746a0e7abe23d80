package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"spoke/compliance/deadline"
)

// The codes of a data-subject request. A request holds nothing else a person typed: its
// subject is a customer's id, its dates and its staff are what the store recorded.
var (
	RequestTypes = func() []string {
		out := make([]string, len(deadline.Types))
		for i, t := range deadline.Types {
			out[i] = string(t)
		}
		return out
	}()
	RequestChannels = []string{"counter", "email", "phone", "post", "web_form"}
	RequestStatuses = []string{"received", "verifying", "in_progress", "extended", "completed", "refused", "withdrawn"}
	VerifyMethods   = []string{"id_document_seen", "email_match", "phone_match", "account_signin", "known_in_person", "other"}
	RequestOutcomes = []string{"fulfilled", "partially_fulfilled", "refused", "withdrawn"}
	RefusalReasons  = []string{"identity_not_verified", "manifestly_unfounded", "excessive", "legal_obligation_to_retain", "no_data_held", "other"}
)

// DueSoonDays: an open request whose next deadline is at most this many days away is due soon.
const DueSoonDays = 3

// requestKeepMonths: CCPA §7101 keeps the records of requests and their answers at least 24
// months; the store counts them from the day the request was closed.
const requestKeepMonths = 24

var (
	// ErrRequestClosed means the request was answered, refused or withdrawn already.
	ErrRequestClosed = errors.New("this request is closed: nothing more can be recorded on it")
	// ErrRequestKept means a request is younger than the 24 months it is kept.
	ErrRequestKept = errors.New("a data-subject request is kept 24 months after it was closed (CCPA §7101): it cannot be deleted yet")
)

// RequestInput is a new data-subject request.
type RequestInput struct {
	ShopID    string        // "": the user's shop (the only one, for an owner of one shop)
	SubjectID string        // the customer's id, or "" for a person the shop did not find
	Type      string        // one of RequestTypes
	Channel   string        // one of RequestChannels
	Received  deadline.Date // zero: now
}

// PrivacyRequest is a data-subject request with its deadlines. Days are the shop's (in its time
// zone, see deadline.Zone); Open, Overdue, DueSoon, Next, DaysLeft and CanExtend are worked out
// when it is read.
type PrivacyRequest struct {
	ID                string     `json:"id"`
	ShopID            string     `json:"shop_id"`
	SubjectID         string     `json:"subject_id,omitempty"`
	Type              string     `json:"type"`
	Channel           string     `json:"channel"`
	Jurisdiction      string     `json:"jurisdiction"`
	Status            string     `json:"status"`
	ReceivedAt        time.Time  `json:"received_at"`
	Received          string     `json:"received"`              // YYYY-MM-DD
	ConfirmDue        string     `json:"confirm_due,omitempty"` // YYYY-MM-DD; "": no duty to confirm
	Due               string     `json:"due"`                   // YYYY-MM-DD: the answer is due by the end of it
	ConfirmDueAt      *time.Time `json:"confirm_due_at,omitempty"`
	DueAt             time.Time  `json:"due_at"`
	ConfirmedAt       *time.Time `json:"confirmed_at,omitempty"`
	VerifyMethod      string     `json:"verify_method,omitempty"`
	VerifiedBy        string     `json:"verified_by,omitempty"`
	VerifiedAt        *time.Time `json:"verified_at,omitempty"`
	ExtendedAt        *time.Time `json:"extended_at,omitempty"`
	ExtensionNoticeAt *time.Time `json:"extension_notice_at,omitempty"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	Outcome           string     `json:"outcome,omitempty"`
	RefusalReason     string     `json:"refusal_reason,omitempty"`
	CreatedBy         string     `json:"created_by"`
	CreatedAt         time.Time  `json:"created_at"`

	Open    bool `json:"open"`
	Overdue bool `json:"overdue"`  // a deadline of an open request has passed
	DueSoon bool `json:"due_soon"` // not overdue, and the next deadline is DueSoonDays away or fewer
	// Next is the open request's next deadline: "confirm" (receipt) or "answer".
	Next string `json:"next,omitempty"`
	// DaysLeft: days from the shop's today to the next deadline's day (negative: overdue).
	DaysLeft int `json:"days_left"`
	// CanExtend: the law allows this request one extension and it was not used (the notice
	// must still have gone out by the first due date).
	CanExtend bool `json:"can_extend"`
}

// RequestFilter narrows Requests.
type RequestFilter struct {
	ShopID      string // "": every shop the user answers for
	OpenOnly    bool
	OverdueOnly bool // open requests with a passed deadline only
	Limit       int  // 0: 500
}

// RequestSummary counts the open requests the user answers for: the overdue banner's numbers.
type RequestSummary struct {
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	DueSoon int `json:"due_soon"`
}

// reqRow is a stored request.
type reqRow struct {
	id, shopID                                                string
	subjectID, verifiedBy                                     sql.NullString
	typ, channel, jurisdiction, status, method, outcome, reas string
	createdBy                                                 string
	receivedAt, confirmDueAt, dueAt, verifiedAt, extendedAt   int64
	noticeAt, confirmedAt, closedAt, createdAt                int64
}

const reqCols = `id, shop_id, subject_id, type, channel, jurisdiction, status, verify_method, outcome, refusal_reason,
	verified_by, created_by, received_at, confirm_due_at, due_at, verified_at, extended_at, extension_notice_at,
	confirmed_at, closed_at, created_at`

func scanReq(sc interface{ Scan(...any) error }) (*reqRow, error) {
	r := &reqRow{}
	err := sc.Scan(&r.id, &r.shopID, &r.subjectID, &r.typ, &r.channel, &r.jurisdiction, &r.status, &r.method, &r.outcome, &r.reas,
		&r.verifiedBy, &r.createdBy, &r.receivedAt, &r.confirmDueAt, &r.dueAt, &r.verifiedAt, &r.extendedAt, &r.noticeAt,
		&r.confirmedAt, &r.closedAt, &r.createdAt)
	return r, err
}

// requestPolicy is the periods this store applies where the law leaves them open.
func (s *Store) requestPolicy() deadline.Policy {
	if s.opts.RequestPolicy == (deadline.Policy{}) {
		return deadline.DefaultPolicy
	}
	return s.opts.RequestPolicy
}

// shopCalendar returns a shop's country, and its working calendar: its zone (the country's, or
// this device's where the country has several) and its holidays.
func (s *Store) shopCalendar(ctx context.Context, q querier, shopID string) (string, deadline.Calendar, error) {
	region, err := s.shopRegion(ctx, q, shopID)
	if err != nil {
		return "", deadline.Calendar{}, err
	}
	cal := deadline.Calendar{Loc: deadline.Zone(region, s.opts.Now().Location()), Holidays: map[deadline.Date]bool{}}
	days, err := queryStrings(ctx, q, "SELECT DISTINCT day FROM shop_holidays WHERE shop_id = ? AND deleted_at = 0", shopID)
	if err != nil {
		return "", cal, err
	}
	for _, d := range days {
		if day, err := deadline.ParseDate(d); err == nil {
			cal.Holidays[day] = true
		}
	}
	return region, cal, nil
}

// requestShop resolves the shop of a request or holiday: the one named, else the user's,
// else the only one.
func (ss *Session) requestShop(ctx context.Context, q querier, shopID string) (string, error) {
	if shopID == "" {
		shopID = ss.user.ShopID
	}
	if shopID == "" {
		var n int
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MIN(id), '') FROM shops").Scan(&n, &shopID); err != nil {
			return "", err
		}
		if n != 1 {
			return "", &FieldError{"shop", "choose a shop"}
		}
	}
	if _, err := ss.s.shopRegion(ctx, q, shopID); err != nil {
		return "", err
	}
	return shopID, nil
}

// NewRequest records a data-subject request received (today, or on in.Received) and its
// deadlines under the shop's jurisdiction. Owner: any shop; manager: their own.
func (ss *Session) NewRequest(ctx context.Context, in RequestInput) (string, error) {
	var id string
	err := ss.write(ctx, "request.new", func(w *wtx) error {
		shop, err := ss.requestShop(ctx, w.tx, in.ShopID)
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpDataSubject, target{shopID: shop}); err != nil {
			return err
		}
		region, cal, err := ss.s.shopCalendar(ctx, w.tx, shop)
		if err != nil {
			return err
		}
		now := time.UnixMilli(w.now)
		var ve ValidationError
		if !slices.Contains(RequestTypes, in.Type) {
			ve.add("type", "must be one of "+strings.Join(RequestTypes, ", "))
		}
		if !slices.Contains(RequestChannels, in.Channel) {
			ve.add("channel", "must be one of "+strings.Join(RequestChannels, ", "))
		}
		received := now
		if today := deadline.DateOf(now, cal.Loc); !in.Received.IsZero() {
			switch {
			case in.Received.After(today):
				ve.add("received", "is in the future")
			case in.Received.Before(today.AddMonths(-requestKeepMonths)):
				ve.add("received", "is more than 24 months ago")
			case in.Received != today:
				received = in.Received.Start(cal.Loc)
			}
		}
		var subject any
		if in.SubjectID != "" {
			// Only an id: a customer of this shop (soft-deleted ones too; the request may be
			// their erasure). The same answer whether the id is unknown or another shop's.
			var sh string
			if _, perr := uuid.Parse(in.SubjectID); perr != nil {
				ve.add("subject", "is not a customer id")
			} else if err := w.tx.QueryRowContext(ctx, "SELECT shop_id FROM customers WHERE id = ?", in.SubjectID).Scan(&sh); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			} else if sh != shop {
				ve.add("subject", "is no customer of this shop: leave it empty for a person not found")
			}
			subject = in.SubjectID
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		j := deadline.For(region)
		clk, err := ss.s.requestPolicy().Compute(j, deadline.Type(in.Type), received, cal)
		if err != nil {
			return err
		}
		var confirmDue int64
		if at := clk.ConfirmAt(cal); !at.IsZero() {
			confirmDue = at.UnixMilli()
		}
		id = newID()
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("type=%s channel=%s jurisdiction=%s due=%s", in.Type, in.Channel, j, clk.Due)
		return w.insert("privacy_requests", shop, id, []col{
			plain("shop_id", shop), plain("subject_id", subject), plain("type", in.Type), plain("channel", in.Channel),
			plain("received_at", received.UnixMilli()), plain("jurisdiction", string(j)), plain("confirm_due_at", confirmDue),
			plain("due_at", clk.DueAt(cal).UnixMilli()), plain("status", "received"), plain("verify_method", ""),
			plain("verified_by", nil), plain("verified_at", int64(0)), plain("extended_at", int64(0)),
			plain("extension_notice_at", int64(0)), plain("confirmed_at", int64(0)), plain("closed_at", int64(0)),
			plain("outcome", ""), plain("refusal_reason", ""), plain("created_by", ss.user.ID), plain("created_at", w.now),
			plain("deleted_at", int64(0)),
		})
	})
	return id, err
}

// loadRequest reads a request (not deleted), refusing one edited in the file.
func (s *Store) loadRequest(ctx context.Context, q querier, id string) (*reqRow, error) {
	r, err := scanReq(q.QueryRowContext(ctx, "SELECT "+reqCols+" FROM privacy_requests WHERE id = ? AND deleted_at = 0", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["privacy_requests"], id); err != nil {
		return nil, err
	}
	return r, nil
}

// onRequest runs one step on an open request the user answers for: fn returns the columns to
// write and the audit detail (codes only).
func (ss *Session) onRequest(ctx context.Context, action, id string, fn func(w *wtx, r *reqRow, cal deadline.Calendar) ([]col, string, error)) error {
	return ss.write(ctx, action, func(w *wtx) error {
		w.audit.Target = id
		r, err := ss.s.loadRequest(ctx, w.tx, id)
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpDataSubject, target{shopID: r.shopID}); err != nil {
			return err
		}
		if r.closedAt != 0 {
			return ErrRequestClosed
		}
		_, cal, err := ss.s.shopCalendar(ctx, w.tx, r.shopID)
		if err != nil {
			return err
		}
		cols, detail, err := fn(w, r, cal)
		if err != nil {
			return err
		}
		w.audit.Detail = detail
		return w.update("privacy_requests", r.shopID, id, cols)
	})
}

// ConfirmReceipt records that the person was told their request arrived (CCPA §7021 asks it
// within 10 business days; good practice everywhere). A request still "received" moves to
// "verifying".
func (ss *Session) ConfirmReceipt(ctx context.Context, id string) error {
	return ss.onRequest(ctx, "request.confirm", id, func(w *wtx, r *reqRow, cal deadline.Calendar) ([]col, string, error) {
		if r.confirmedAt != 0 {
			return nil, "", &FieldError{"confirmed", "receipt was confirmed already"}
		}
		status := r.status
		if status == "received" {
			status = "verifying"
		}
		late := r.confirmDueAt != 0 && w.now > r.confirmDueAt
		return []col{plain("confirmed_at", w.now), plain("status", status)}, fmt.Sprintf("status=%s late=%t", status, late), nil
	})
}

// VerifyIdentity records how the person's identity was checked (one of VerifyMethods), by the
// signed-in user. An open request not yet extended moves to "in_progress".
func (ss *Session) VerifyIdentity(ctx context.Context, id, method string) error {
	return ss.onRequest(ctx, "request.verify", id, func(w *wtx, r *reqRow, cal deadline.Calendar) ([]col, string, error) {
		if !slices.Contains(VerifyMethods, method) {
			return nil, "", &FieldError{"method", "must be one of " + strings.Join(VerifyMethods, ", ")}
		}
		if r.verifiedAt != 0 {
			return nil, "", &FieldError{"verified", "the identity was verified already"}
		}
		status := r.status
		if status == "received" || status == "verifying" {
			status = "in_progress"
		}
		return []col{plain("verify_method", method), plain("verified_by", ss.user.ID), plain("verified_at", w.now), plain("status", status)},
			fmt.Sprintf("method=%s status=%s", method, status), nil
	})
}

// clockOf rebuilds a stored request's clock from its receipt (the deadline package's answer
// for it, as extended).
func (s *Store) clockOf(r *reqRow, cal deadline.Calendar) (deadline.Clock, error) {
	c, err := s.requestPolicy().Compute(deadline.Jurisdiction(r.jurisdiction), deadline.Type(r.typ), time.UnixMilli(r.receivedAt), cal)
	if err != nil {
		return c, err
	}
	c.Extended = r.extendedAt != 0
	return c, nil
}

// ExtendRequest records that the person was told on noticeSent (a day of the shop's; not in the
// future) that the answer will take longer, and extends the deadline, if the law allows it
// (deadline.Policy.Extend decides: GDPR by two months, CCPA by 45 days, once, with the notice
// inside the first period).
func (ss *Session) ExtendRequest(ctx context.Context, id string, noticeSent deadline.Date) error {
	return ss.onRequest(ctx, "request.extend", id, func(w *wtx, r *reqRow, cal deadline.Calendar) ([]col, string, error) {
		if noticeSent.IsZero() {
			return nil, "", &FieldError{"notice", "give the day the person was told"}
		}
		if noticeSent.After(deadline.DateOf(time.UnixMilli(w.now), cal.Loc)) {
			return nil, "", &FieldError{"notice", "is in the future"}
		}
		c, err := ss.s.clockOf(r, cal)
		if err != nil {
			return nil, "", err
		}
		notice := noticeSent.Start(cal.Loc)
		ext, err := ss.s.requestPolicy().Extend(c, cal, notice)
		if err != nil {
			return nil, "", err
		}
		return []col{plain("extended_at", w.now), plain("extension_notice_at", notice.UnixMilli()),
				plain("due_at", ext.DueAt(cal).UnixMilli()), plain("status", "extended")},
			fmt.Sprintf("status=extended due=%s", ext.Due), nil
	})
}

// CloseRequest records the answer: fulfilled, partially_fulfilled, refused or withdrawn. A
// refusal, or a partial answer, needs one of RefusalReasons (GDPR Art. 12(4) and PIPL Art. 50
// want the reasons given); an answer needs the identity verified first, except for a CCPA
// opt-out or limit request, which is not a verifiable one.
func (ss *Session) CloseRequest(ctx context.Context, id, outcome, reason string) error {
	return ss.onRequest(ctx, "request.close", id, func(w *wtx, r *reqRow, cal deadline.Calendar) ([]col, string, error) {
		var ve ValidationError
		if !slices.Contains(RequestOutcomes, outcome) {
			ve.add("outcome", "must be one of "+strings.Join(RequestOutcomes, ", "))
		}
		needsReason := outcome == "refused" || outcome == "partially_fulfilled"
		switch {
		case reason != "" && !slices.Contains(RefusalReasons, reason):
			ve.add("reason", "must be one of "+strings.Join(RefusalReasons, ", "))
		case needsReason && reason == "":
			ve.add("reason", "a refusal needs its reason")
		case !needsReason && reason != "":
			ve.add("reason", "only a refusal or a partial answer takes a reason")
		case reason == "identity_not_verified" && r.verifiedAt != 0:
			ve.add("reason", "the identity was verified")
		}
		if (outcome == "fulfilled" || outcome == "partially_fulfilled") && r.verifiedAt == 0 && deadline.Type(r.typ).NeedsVerification() {
			ve.add("verified", "verify the person's identity before answering")
		}
		if err := ve.orNil(); err != nil {
			return nil, "", err
		}
		status := map[string]string{"fulfilled": "completed", "partially_fulfilled": "completed", "refused": "refused", "withdrawn": "withdrawn"}[outcome]
		return []col{plain("outcome", outcome), plain("refusal_reason", reason), plain("status", status), plain("closed_at", w.now)},
			fmt.Sprintf("outcome=%s reason=%s status=%s late=%t", outcome, reason, status, w.now > r.dueAt), nil
	})
}

// DeleteRequest removes a closed request once it has been kept 24 months (CCPA §7101); a
// younger one is refused with ErrRequestKept. The row stays as a tombstone (so the deletion
// syncs) without its subject.
func (ss *Session) DeleteRequest(ctx context.Context, id string) error {
	return ss.write(ctx, "request.delete", func(w *wtx) error {
		w.audit.Target = id
		r, err := ss.s.loadRequest(ctx, w.tx, id)
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpDataSubject, target{shopID: r.shopID}); err != nil {
			return err
		}
		if r.closedAt == 0 {
			return &FieldError{"status", "an open request is not deleted: close it first"}
		}
		if time.UnixMilli(w.now).Before(time.UnixMilli(r.closedAt).AddDate(0, requestKeepMonths, 0)) {
			return ErrRequestKept
		}
		w.audit.Detail = "status=" + r.status
		return w.update("privacy_requests", r.shopID, id, []col{plain("deleted_at", w.now), plain("subject_id", nil)})
	})
}

// scopeClause limits a query of a shop table to what grant g lets the user see.
func (ss *Session) scopeClause(g Grant, shopID string) (string, []any) {
	q, args := "", []any{}
	if g == ShopOnly {
		q += " AND shop_id = ?"
		args = append(args, ss.user.ShopID)
	}
	if shopID != "" {
		q += " AND shop_id = ?"
		args = append(args, shopID)
	}
	return q, args
}

// requestsOf reads the requests a query selects and works out their deadlines' state at now.
func (ss *Session) requestsOf(ctx context.Context, where string, args []any) ([]PrivacyRequest, error) {
	rows, err := ss.s.db.QueryContext(ctx, "SELECT "+reqCols+" FROM privacy_requests WHERE deleted_at = 0"+where, args...)
	if err != nil {
		return nil, err
	}
	var rs []*reqRow
	for rows.Next() {
		r, err := scanReq(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cals := map[string]deadline.Calendar{}
	now := ss.s.opts.Now()
	out := make([]PrivacyRequest, 0, len(rs))
	for _, r := range rs {
		cal, ok := cals[r.shopID]
		if !ok {
			if _, cal, err = ss.s.shopCalendar(ctx, ss.s.db, r.shopID); err != nil {
				return nil, err
			}
			cals[r.shopID] = cal
		}
		out = append(out, r.view(now, cal))
	}
	return out, nil
}

func msTime(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms)
	return &t
}

// view is the request as shown, with its deadlines' state at now.
func (r *reqRow) view(now time.Time, cal deadline.Calendar) PrivacyRequest {
	day := func(ms int64) string { return deadline.DateOf(time.UnixMilli(ms), cal.Loc).String() }
	p := PrivacyRequest{
		ID: r.id, ShopID: r.shopID, SubjectID: r.subjectID.String, Type: r.typ, Channel: r.channel, Jurisdiction: r.jurisdiction,
		Status: r.status, ReceivedAt: time.UnixMilli(r.receivedAt), Received: day(r.receivedAt), Due: day(r.dueAt),
		ConfirmDueAt: msTime(r.confirmDueAt), DueAt: time.UnixMilli(r.dueAt), ConfirmedAt: msTime(r.confirmedAt),
		VerifyMethod: r.method, VerifiedBy: r.verifiedBy.String, VerifiedAt: msTime(r.verifiedAt), ExtendedAt: msTime(r.extendedAt),
		ExtensionNoticeAt: msTime(r.noticeAt), ClosedAt: msTime(r.closedAt), Outcome: r.outcome, RefusalReason: r.reas,
		CreatedBy: r.createdBy, CreatedAt: time.UnixMilli(r.createdAt), Open: r.closedAt == 0,
	}
	if r.confirmDueAt != 0 {
		p.ConfirmDue = day(r.confirmDueAt)
	}
	if !p.Open {
		return p
	}
	next, nextAt := "answer", r.dueAt
	if r.confirmDueAt != 0 && r.confirmedAt == 0 && r.confirmDueAt < r.dueAt {
		next, nextAt = "confirm", r.confirmDueAt
	}
	p.Next = next
	nowMs := now.UnixMilli()
	p.Overdue = nowMs > r.dueAt || (r.confirmDueAt != 0 && r.confirmedAt == 0 && nowMs > r.confirmDueAt)
	today := deadline.DateOf(now, cal.Loc)
	p.DaysLeft = today.DaysUntil(deadline.DateOf(time.UnixMilli(nextAt), cal.Loc))
	p.DueSoon = !p.Overdue && p.DaysLeft <= DueSoonDays
	// The rule allows it and it was not used: whether in time is the notice's day's to say (a
	// notice sent on the last day may be recorded the day after).
	p.CanExtend = r.extendedAt == 0 && deadline.Extendable(deadline.Jurisdiction(r.jurisdiction), deadline.Type(r.typ))
	return p
}

// Requests lists the data-subject requests the user answers for (owner: every shop; manager:
// theirs): open ones first, the most urgent first, then closed ones, the newest first. The
// read is audited.
func (ss *Session) Requests(ctx context.Context, f RequestFilter) ([]PrivacyRequest, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "request.list", "")
	if err != nil {
		return nil, err
	}
	where, args := ss.scopeClause(g, f.ShopID)
	if f.OpenOnly || f.OverdueOnly {
		where += " AND closed_at = 0"
	}
	out, err := ss.requestsOf(ctx, where, args)
	if err != nil {
		return nil, err
	}
	if f.OverdueOnly {
		out = slices.DeleteFunc(out, func(p PrivacyRequest) bool { return !p.Overdue })
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Open != b.Open:
			return a.Open
		case a.Open && a.DaysLeft != b.DaysLeft:
			return a.DaysLeft < b.DaysLeft
		case a.Open:
			return a.ReceivedAt.Before(b.ReceivedAt)
		}
		return a.ClosedAt.After(*b.ClosedAt)
	})
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	out = out[:min(len(out), limit)]
	overdue := 0
	for _, p := range out {
		if p.Overdue {
			overdue++
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "request.list", Detail: fmt.Sprintf("requests=%d overdue=%d", len(out), overdue)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// OverdueSummary counts the open requests the user answers for that are overdue or due soon:
// what the banner on every screen says. It reads codes and dates only, for a banner refreshed
// on its own, so it is not audited as a read (a denial is).
func (ss *Session) OverdueSummary(ctx context.Context) (RequestSummary, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "request.summary", "")
	if err != nil {
		return RequestSummary{}, err
	}
	where, args := ss.scopeClause(g, "")
	out, err := ss.requestsOf(ctx, where+" AND closed_at = 0", args)
	if err != nil {
		return RequestSummary{}, err
	}
	var sum RequestSummary
	for _, p := range out {
		sum.Open++
		switch {
		case p.Overdue:
			sum.Overdue++
		case p.DueSoon:
			sum.DueSoon++
		}
	}
	return sum, nil
}

// Holiday is a day a shop does not count as a business day.
type Holiday struct {
	ID     string `json:"id"`
	ShopID string `json:"shop_id"`
	Day    string `json:"day"` // YYYY-MM-DD
	Label  string `json:"label"`
}

// Holidays lists a shop's holidays ("" shop: the user's, or the only one), in date order.
func (ss *Session) Holidays(ctx context.Context, shopID string) ([]Holiday, error) {
	shop, err := ss.requestShop(ctx, ss.s.db, shopID)
	if err != nil {
		return nil, err
	}
	if _, err := ss.require(ctx, OpDataSubject, target{shopID: shop}, "holiday.list", shop); err != nil {
		return nil, err
	}
	rows, err := ss.s.db.QueryContext(ctx, "SELECT id, shop_id, day, label FROM shop_holidays WHERE shop_id = ? AND deleted_at = 0 ORDER BY day, id", shop)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Holiday
	seen := map[string]bool{}
	for rows.Next() {
		var h Holiday
		if err := rows.Scan(&h.ID, &h.ShopID, &h.Day, &h.Label); err != nil {
			return nil, err
		}
		if !seen[h.Day] { // two devices may each have added the day
			seen[h.Day] = true
			out = append(out, h)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "holiday.list", Target: shop, Detail: fmt.Sprintf("holidays=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// validHolidayLabel: a holiday's name, 1 to 80 characters, one line.
func validHolidayLabel(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// AddHoliday adds a day to a shop's holiday calendar. Deadlines already recorded stay as they
// were computed (what the person was told stands); requests received from now on count it.
func (ss *Session) AddHoliday(ctx context.Context, shopID string, day deadline.Date, label string) (string, error) {
	var id string
	err := ss.write(ctx, "holiday.add", func(w *wtx) error {
		shop, err := ss.requestShop(ctx, w.tx, shopID)
		if err != nil {
			return err
		}
		w.audit.Target = shop
		if _, err := w.allow(ss, OpDataSubject, target{shopID: shop}); err != nil {
			return err
		}
		label = strings.TrimSpace(label)
		var ve ValidationError
		if day.IsZero() || day.Year < 2000 || day.Year > 2199 {
			ve.add("day", "give a date from 2000 to 2199")
		}
		if !validHolidayLabel(label) {
			ve.add("label", "give the holiday's name, up to 80 characters on one line")
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		var gone string
		var active int
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(deleted_at = 0), 0), COALESCE(MIN(CASE WHEN deleted_at != 0 THEN id END), '') FROM shop_holidays WHERE shop_id = ? AND day = ?",
			shop, day.String()).Scan(&active, &gone); err != nil {
			return err
		}
		w.audit.Detail = "day=" + day.String()
		switch {
		case active > 0:
			return &FieldError{"day", "is a holiday already"}
		case gone != "":
			id = gone // removed before: it comes back
			return w.update("shop_holidays", shop, id, []col{plain("label", label), plain("deleted_at", int64(0))})
		}
		id = newID()
		return w.insert("shop_holidays", shop, id, []col{plain("shop_id", shop), plain("day", day.String()), plain("label", label),
			plain("created_at", w.now), plain("deleted_at", int64(0))})
	})
	return id, err
}

// RemoveHoliday takes a day off a shop's holiday calendar.
func (ss *Session) RemoveHoliday(ctx context.Context, shopID string, day deadline.Date) error {
	return ss.write(ctx, "holiday.remove", func(w *wtx) error {
		shop, err := ss.requestShop(ctx, w.tx, shopID)
		if err != nil {
			return err
		}
		w.audit.Target = shop
		if _, err := w.allow(ss, OpDataSubject, target{shopID: shop}); err != nil {
			return err
		}
		ids, err := queryStrings(ctx, w.tx, "SELECT id FROM shop_holidays WHERE shop_id = ? AND day = ? AND deleted_at = 0", shop, day.String())
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return &FieldError{"day", "is not a holiday of this shop"}
		}
		w.audit.Detail = "day=" + day.String()
		for _, id := range ids {
			if err := w.update("shop_holidays", shop, id, []col{plain("deleted_at", w.now)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// The person's own requests belong in their access export (what they asked, when, how it was
// answered): codes and dates, as stored.
func init() {
	registerSubjectSection(subjectSection{
		order: 20,
		name:  "privacy_requests",
		title: Label{"Your privacy requests", "您的隐私请求"},
		columns: []SectionColumn{
			{"type", Label{"Request", "请求"}}, {"channel", Label{"Received by", "收到渠道"}},
			{"received", Label{"Received", "收到日期"}}, {"due", Label{"Due", "到期日"}},
			{"status", Label{"Status", "状态"}}, {"outcome", Label{"Outcome", "结果"}},
			{"refusal_reason", Label{"Reason", "原因"}},
		},
		collect: func(ctx context.Context, s *Store, q querier, c *custRow) ([][]string, []string, error) {
			rows, err := q.QueryContext(ctx, "SELECT "+reqCols+" FROM privacy_requests WHERE deleted_at = 0 AND subject_id = ? ORDER BY received_at, id", c.id)
			if err != nil {
				return nil, nil, err
			}
			var rs []*reqRow
			for rows.Next() {
				r, err := scanReq(rows)
				if err != nil {
					rows.Close()
					return nil, nil, err
				}
				rs = append(rs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, nil, err
			}
			var out [][]string
			var ids []string
			for _, r := range rs {
				_, cal, err := s.shopCalendar(ctx, q, r.shopID)
				if err != nil {
					return nil, nil, err
				}
				v := r.view(s.opts.Now(), cal)
				out = append(out, []string{v.Type, v.Channel, v.Received, v.Due, v.Status, v.Outcome, v.RefusalReason})
				ids = append(ids, v.ID)
			}
			return out, ids, nil
		},
	})
}
