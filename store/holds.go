package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Held bulk requests (issue 13). A bulk export of more than BulkLimits.Export customers, or a
// bulk delete of more than BulkLimits.Delete, does not run when asked: it becomes a bulk_holds
// row in its shop's scope, synced, until a second person with the grant approves it (an owner,
// or that shop's manager; never who asked). Where the chain has nobody else with the grant
// (one owner, no manager for the shop), a delay (HoldDelay) takes the approver's place: the
// request becomes runnable HoldDelay after it was asked unless it is cancelled, and every
// owner device shows a notice. Only who asked runs it, on their device (the approval carries
// no data); a request past its expiry cannot run. Every decision is checked here against who
// holds the grant now: when it is made, when it arrives by sync (applyRemote refuses a set
// whose decision was not made by someone who may make it), and when the request is read and
// run. An approved retention policy erases through its own path (retention.go) and is never
// held run by run.

// HoldKind is what a held request does.
type HoldKind string

// The kinds of held request.
const (
	HoldExport HoldKind = "export"
	HoldDelete HoldKind = "delete"
)

// HoldStatus is where a held request stands.
type HoldStatus string

// The statuses of a held request.
const (
	HoldOpen      HoldStatus = "open"
	HoldApproved  HoldStatus = "approved"
	HoldRefused   HoldStatus = "refused"
	HoldExpired   HoldStatus = "expired"
	HoldCancelled HoldStatus = "cancelled"
	HoldDone      HoldStatus = "done"
)

// HoldDelay replaces the second approver where there is none.
var HoldDelay = 24 * time.Hour

// maxHoldLife bounds expires_at - asked_at of any row, an incoming one's included.
const maxHoldLife = 30 * 24 * time.Hour

// BulkLimits are the org's limits over which a bulk action is held, and how long a held
// request lives (owner-set org settings).
type BulkLimits struct {
	Export int           `json:"export"`
	Delete int           `json:"delete"`
	Expiry time.Duration `json:"expiry"`
}

// DefaultBulkLimits apply until an owner sets others.
var DefaultBulkLimits = BulkLimits{Export: 50, Delete: 10, Expiry: 48 * time.Hour}

const (
	settingExportLimit = "bulk.export_limit"
	settingDeleteLimit = "bulk.delete_limit"
	settingHoldHours   = "bulk.hold_hours"
)

func (s *Store) bulkLimits(ctx context.Context) (BulkLimits, error) {
	vals, _, err := s.orgSettings(ctx, s.db)
	if err != nil {
		return BulkLimits{}, err
	}
	l := DefaultBulkLimits
	if n, err := strconv.Atoi(vals[settingExportLimit]); err == nil && n >= 0 {
		l.Export = n
	}
	if n, err := strconv.Atoi(vals[settingDeleteLimit]); err == nil && n >= 0 {
		l.Delete = n
	}
	if n, err := strconv.Atoi(vals[settingHoldHours]); err == nil && n > 0 {
		l.Expiry = time.Duration(n) * time.Hour
	}
	return l, nil
}

// BulkLimits returns the limits in force (owner and managers).
func (ss *Session) BulkLimits(ctx context.Context) (BulkLimits, error) {
	if _, err := ss.require(ctx, OpBulk, target{any: true}, "bulk.limits", ""); err != nil {
		return BulkLimits{}, err
	}
	return ss.s.bulkLimits(ctx)
}

// SetBulkLimits sets the limits (owner, on an owner device). The expiry is whole hours, 1 to
// 720 (30 days).
func (ss *Session) SetBulkLimits(ctx context.Context, l BulkLimits) error {
	return ss.write(ctx, "bulk.limits", func(w *wtx) error {
		if g, err := w.allow(ss, OpUsers, target{any: true}); err != nil || g != All {
			return ErrForbidden
		}
		h := int(l.Expiry / time.Hour)
		var ve ValidationError
		if l.Export < 0 || l.Export > 1000000 {
			ve.add("export", "must be 0 to 1000000")
		}
		if l.Delete < 0 || l.Delete > 1000000 {
			ve.add("delete", "must be 0 to 1000000")
		}
		if h < 1 || h > 720 || l.Expiry%time.Hour != 0 {
			ve.add("expiry", "must be whole hours, 1 to 720")
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("export=%d delete=%d expiry_hours=%d", l.Export, l.Delete, h)
		for _, kv := range [][2]string{{settingExportLimit, strconv.Itoa(l.Export)}, {settingDeleteLimit, strconv.Itoa(l.Delete)}, {settingHoldHours, strconv.Itoa(h)}} {
			if err := w.putSetting(ss.user.ID, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// BulkHold is one held request as the signed-in user sees it.
type BulkHold struct {
	ID          string     `json:"id"`
	ShopID      string     `json:"shop_id"`
	Kind        HoldKind   `json:"kind"`
	Selection   string     `json:"selection"` // shop=ID;owner=ID or ids=ID,ID,...
	Count       int        `json:"count"`
	Format      string     `json:"format,omitempty"`
	RequestedBy string     `json:"requested_by"`
	Requester   string     `json:"requester"` // username
	AskedAt     time.Time  `json:"asked_at"`
	RunnableAt  time.Time  `json:"runnable_at,omitzero"` // the delay's end; zero: an approver decides
	ExpiresAt   time.Time  `json:"expires_at"`
	Status      HoldStatus `json:"status"` // as it stands now (an open request past its expiry: expired)
	DecidedBy   string     `json:"decided_by,omitempty"`
	Decider     string     `json:"decider,omitempty"`
	DecidedAt   time.Time  `json:"decided_at,omitzero"`
	// Approvers are the usernames who may approve it now; for the signed-in user: whether
	// they may approve (or refuse) it, cancel it, or run it now.
	Approvers []string `json:"approvers"`
	MayDecide bool     `json:"may_decide"`
	MayCancel bool     `json:"may_cancel"`
	Runnable  bool     `json:"runnable"`
}

// Delayed reports whether the delay stands in for an approver.
func (h *BulkHold) Delayed() bool { return !h.RunnableAt.IsZero() }

// HoldStateError means the request cannot do what was asked in its state: it says why.
type HoldStateError struct {
	ID     string
	Status HoldStatus
	Reason string
}

func (e *HoldStateError) Error() string {
	return fmt.Sprintf("held request %s (%s): %s", e.ID, e.Status, e.Reason)
}

// ErrSelfApproval means who asked tried to approve their own request.
var ErrSelfApproval = errors.New("a held request is approved by a second person with the grant (an owner, or the shop's manager), not by who asked")

// approves reports whether u may approve or refuse h: not who asked, an owner (every shop)
// or the manager of h's shop, active.
func approves(u *User, requestedBy, shop string) bool {
	if u == nil || u.ID == requestedBy || !u.Active {
		return false
	}
	if g, ok := u.permits(OpBulk, target{any: true}); !ok || g != SecondApprover {
		return false
	}
	g, ok := u.permits(OpCustomerPIIOwn, target{shopID: shop})
	return ok && (g == All || (g == ShopOnly && shop != "" && u.ShopID == shop))
}

// mayAsk reports whether u may ask for a bulk action on shop's customers.
func mayAsk(u *User, shop string) bool {
	if u == nil || !u.Active {
		return false
	}
	if g, ok := u.permits(OpBulk, target{any: true}); !ok || g != SecondApprover {
		return false
	}
	g, ok := u.permits(OpCustomerPIIOwn, target{shopID: shop})
	return ok && (g == All || g == ShopOnly)
}

func staffByID(staff []*User, id string) *User {
	for _, u := range staff {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// askHold records a held request (hold.ask).
func (ss *Session) askHold(ctx context.Context, kind HoldKind, shop, sel string, count int, format string) (*BulkHold, error) {
	lim, err := ss.s.bulkLimits(ctx)
	if err != nil {
		return nil, err
	}
	staff, err := ss.s.grantHolders(ctx)
	if err != nil {
		return nil, err
	}
	second := false
	for _, u := range staff {
		second = second || approves(u, ss.user.ID, shop)
	}
	var id string
	err = ss.write(ctx, "hold.ask", func(w *wtx) error {
		if _, err := w.allow(ss, OpBulk, target{any: true}); err != nil {
			return err
		}
		if !ss.mayAllOf(shop) {
			return ErrForbidden
		}
		id = newID()
		w.audit.Target = id
		runnable := int64(0)
		if !second {
			runnable = w.now + HoldDelay.Milliseconds()
		}
		w.audit.Detail = fmt.Sprintf("kind=%s count=%d shop=%s delayed=%t", kind, count, shop, !second)
		return w.insert("bulk_holds", shop, id, []col{
			plain("shop_id", shop), plain("kind", string(kind)), plain("selection", sel), plain("count", count),
			plain("format", format), plain("requested_by", ss.user.ID), plain("asked_at", w.now),
			plain("runnable_at", runnable), plain("expires_at", w.now+lim.Expiry.Milliseconds()),
			plain("status", string(HoldOpen)), plain("decided_by", ""), plain("decided_at", 0),
		})
	})
	if err != nil {
		return nil, err
	}
	return ss.hold(ctx, id)
}

type holdRow struct {
	id, shop, kind, sel, format, requestedBy, status, decidedBy string
	count                                                       int
	askedAt, runnableAt, expiresAt, decidedAt                   int64
}

const holdCols = "id, shop_id, kind, selection, count, format, requested_by, asked_at, runnable_at, expires_at, status, decided_by, decided_at"

func scanHold(sc interface{ Scan(...any) error }) (*holdRow, error) {
	var h holdRow
	err := sc.Scan(&h.id, &h.shop, &h.kind, &h.sel, &h.count, &h.format, &h.requestedBy, &h.askedAt, &h.runnableAt, &h.expiresAt, &h.status, &h.decidedBy, &h.decidedAt)
	return &h, err
}

// holdProblem says what is wrong with a hold row as staff stand now, "" when nothing: a
// decision made by someone who may not make it, a delay shorter than HoldDelay, a life longer
// than maxHoldLife. Every read and every incoming set goes through it.
func holdProblem(h *holdRow, staff []*User) string {
	if p := holdShape(h); p != "" {
		return p
	}
	return holdDecision(h, staff)
}

// holdShape is what holdProblem finds wrong whoever the staff are.
func holdShape(h *holdRow) string {
	switch {
	case h.kind != string(HoldExport) && h.kind != string(HoldDelete):
		return "its kind is not one Spoke writes"
	case h.format != "" && h.format != "csv" && h.format != "age":
		return "its format is not one Spoke writes"
	case !slices.Contains([]HoldStatus{HoldOpen, HoldApproved, HoldRefused, HoldExpired, HoldCancelled, HoldDone}, HoldStatus(h.status)):
		return "its status is not one Spoke writes"
	}
	if _, err := parseSelection(h.sel); err != nil {
		return "its selection is not one Spoke writes"
	}
	if h.expiresAt <= h.askedAt || h.expiresAt-h.askedAt > maxHoldLife.Milliseconds() {
		return "its expiry is not one Spoke sets"
	}
	if h.runnableAt != 0 && h.runnableAt < h.askedAt+HoldDelay.Milliseconds() {
		return "its delay is shorter than a held request's"
	}
	return ""
}

// holdDecision is what holdProblem finds wrong with the decision, as staff stand now.
func holdDecision(h *holdRow, staff []*User) string {
	decider := staffByID(staff, h.decidedBy)
	switch HoldStatus(h.status) {
	case HoldOpen:
		if h.decidedBy != "" {
			return "an open request names a decision"
		}
	case HoldApproved, HoldRefused:
		if !approves(decider, h.requestedBy, h.shop) {
			return "it was decided by someone who may not approve it"
		}
	case HoldCancelled:
		if h.decidedBy != h.requestedBy && !approves(decider, h.requestedBy, h.shop) {
			return "it was cancelled by someone who may not cancel it"
		}
	case HoldDone:
		if h.decidedBy == "" && h.runnableAt == 0 {
			return "it ran with neither an approval nor a delay"
		}
		if h.decidedBy != "" && !approves(decider, h.requestedBy, h.shop) {
			return "it ran on an approval by someone who may not approve it"
		}
	}
	return ""
}

// checkHolds refuses an incoming set that writes a held request someone could not have
// written: asked by someone without the bulk grant for its shop, or decided (approved,
// refused, cancelled) by someone who may not decide it: the requester approving their own
// request, a salesperson, another shop's manager.
func (a *applier) checkHolds(ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	staff, err := a.s.grantHolders(a.ctx)
	if err != nil {
		return err
	}
	for id := range ids {
		h, err := scanHold(a.tx.QueryRowContext(a.ctx, "SELECT "+holdCols+" FROM bulk_holds WHERE id = ?", id))
		if err != nil {
			return err
		}
		if !mayAsk(staffByID(staff, h.requestedBy), h.shop) {
			return &RemoteError{"a held bulk request was asked by someone without the bulk grant for its shop"}
		}
		if p := holdProblem(h, staff); p != "" {
			return &RemoteError{"a held bulk request: " + p}
		}
	}
	return nil
}

// view turns a row into what the user sees of it.
func (ss *Session) holdView(ctx context.Context, h *holdRow, staff []*User, now int64) *BulkHold {
	out := &BulkHold{ID: h.id, ShopID: h.shop, Kind: HoldKind(h.kind), Selection: h.sel, Count: h.count, Format: h.format,
		RequestedBy: h.requestedBy, Requester: ss.s.username(ctx, h.requestedBy), AskedAt: time.UnixMilli(h.askedAt),
		ExpiresAt: time.UnixMilli(h.expiresAt), Status: HoldStatus(h.status), DecidedBy: h.decidedBy}
	if h.runnableAt > 0 {
		out.RunnableAt = time.UnixMilli(h.runnableAt)
	}
	if h.decidedBy != "" {
		out.Decider, out.DecidedAt = ss.s.username(ctx, h.decidedBy), time.UnixMilli(h.decidedAt)
	}
	if holdDecision(h, staff) != "" && out.Status != HoldDone {
		// Decided by someone who no longer may (deactivated, role changed): it stands open
		// again, and needs a decision by someone who may.
		out.Status, out.DecidedBy, out.Decider, out.DecidedAt = HoldOpen, "", "", time.Time{}
	}
	live := out.Status == HoldOpen || out.Status == HoldApproved
	if live && now >= h.expiresAt {
		out.Status, live = HoldExpired, false
	}
	for _, u := range staff {
		if approves(u, h.requestedBy, h.shop) {
			out.Approvers = append(out.Approvers, u.Username)
		}
	}
	me := staffByID(staff, ss.user.ID)
	out.MayDecide = out.Status == HoldOpen && approves(me, h.requestedBy, h.shop)
	out.MayCancel = live && (ss.user.ID == h.requestedBy || approves(me, h.requestedBy, h.shop))
	mine := ss.user.ID == h.requestedBy
	// The delay stands in for an approver only while there is none: once someone may approve
	// it (a manager appointed since, another owner), it waits for their decision.
	out.Runnable = mine && live && (out.Status == HoldApproved || (h.runnableAt > 0 && now >= h.runnableAt && len(out.Approvers) == 0))
	return out
}

// loadHold reads one request and checks it (row MAC, holdProblem).
func (ss *Session) loadHold(ctx context.Context, q querier, id string) (*holdRow, []*User, error) {
	h, err := scanHold(q.QueryRowContext(ctx, "SELECT "+holdCols+" FROM bulk_holds WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("held request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := ss.s.checkRow(ctx, q, tables["bulk_holds"], id); err != nil {
		return nil, nil, err
	}
	staff, err := ss.s.grantHolders(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p := holdShape(h); p != "" {
		return nil, nil, &TamperError{Table: "bulk_holds", Row: id, Column: "status", Reason: p}
	}
	return h, staff, nil
}

// sees reports whether the user may see a request: who asked, or someone who may approve it.
func (ss *Session) sees(h *holdRow, staff []*User) bool {
	return h.requestedBy == ss.user.ID || approves(staffByID(staff, ss.user.ID), h.requestedBy, h.shop)
}

func (ss *Session) hold(ctx context.Context, id string) (*BulkHold, error) {
	h, staff, err := ss.loadHold(ctx, ss.s.db, id)
	if err != nil {
		return nil, err
	}
	if !ss.sees(h, staff) {
		return nil, ErrForbidden
	}
	return ss.holdView(ctx, h, staff, ss.s.opts.Now().UnixMilli()), nil
}

// Hold returns one held request (who asked, and who may approve it).
func (ss *Session) Hold(ctx context.Context, id string) (*BulkHold, error) {
	if _, err := ss.require(ctx, OpBulk, target{any: true}, "hold.read", id); err != nil {
		return nil, err
	}
	return ss.hold(ctx, id)
}

// Holds lists the held requests the user asked or may approve, newest first. Open and
// approved requests past their expiry are marked expired first (hold.expire, one entry each)
// where this device writes their shop.
func (ss *Session) Holds(ctx context.Context) ([]BulkHold, error) {
	if _, err := ss.require(ctx, OpBulk, target{any: true}, "hold.list", ""); err != nil {
		return nil, err
	}
	if err := ss.expireHolds(ctx); err != nil {
		return nil, err
	}
	ids, err := queryStrings(ctx, ss.s.db, "SELECT id FROM bulk_holds ORDER BY asked_at DESC, id")
	if err != nil {
		return nil, err
	}
	staff, err := ss.s.grantHolders(ctx)
	if err != nil {
		return nil, err
	}
	now := ss.s.opts.Now().UnixMilli()
	var out []BulkHold
	for _, id := range ids {
		h, _, err := ss.loadHold(ctx, ss.s.db, id)
		if err != nil {
			return nil, err
		}
		if ss.sees(h, staff) {
			out = append(out, *ss.holdView(ctx, h, staff, now))
		}
	}
	ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "hold.list", Detail: fmt.Sprintf("holds=%d", len(out)), Grant: SecondApprover})
	return out, nil
}

// expireHolds marks the user's visible requests past their expiry as expired.
func (ss *Session) expireHolds(ctx context.Context) error {
	now := ss.s.opts.Now().UnixMilli()
	ids, err := queryStrings(ctx, ss.s.db, "SELECT id FROM bulk_holds WHERE status IN ('open', 'approved') AND expires_at <= ?", now)
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := ss.write(ctx, "hold.expire", func(w *wtx) error {
			h, staff, err := ss.loadHold(ctx, w.tx, id)
			if err != nil {
				return err
			}
			if !ss.sees(h, staff) {
				return nil
			}
			w.audit.Target = id
			w.audit.Detail = fmt.Sprintf("kind=%s count=%d shop=%s", h.kind, h.count, h.shop)
			return w.update("bulk_holds", h.shop, id, []col{plain("status", string(HoldExpired))})
		})
		if errors.Is(err, ErrOtherShopsDevice) || errors.Is(err, ErrOwnerDeviceOnly) {
			continue // another device writes that shop; it shows expired here all the same
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decide records a decision on an open (or, to cancel, approved) request.
func (ss *Session) decide(ctx context.Context, id string, to HoldStatus) error {
	action := map[HoldStatus]string{HoldApproved: "hold.approve", HoldRefused: "hold.refuse", HoldCancelled: "hold.cancel"}[to]
	if to == HoldApproved {
		if err := ss.fresh(ctx, action, id); err != nil {
			return err
		}
	}
	if _, err := ss.require(ctx, OpBulk, target{any: true}, action, id); err != nil {
		return err
	}
	return ss.write(ctx, action, func(w *wtx) error {
		w.audit.Target = id
		h, staff, err := ss.loadHold(ctx, w.tx, id)
		if err != nil {
			return err
		}
		v := ss.holdView(ctx, h, staff, w.now)
		w.audit.Detail = fmt.Sprintf("kind=%s count=%d shop=%s requested_by=%s", h.kind, h.count, h.shop, h.requestedBy)
		switch {
		case to == HoldCancelled && !v.MayCancel:
			if !ss.sees(h, staff) {
				return ErrForbidden
			}
			return &HoldStateError{ID: id, Status: v.Status, Reason: "only an open or approved request can be cancelled, by who asked or an approver"}
		case to != HoldCancelled && h.requestedBy == ss.user.ID:
			return ErrSelfApproval
		case to != HoldCancelled && !approves(staffByID(staff, ss.user.ID), h.requestedBy, h.shop):
			return ErrForbidden
		case to != HoldCancelled && v.Status != HoldOpen:
			return &HoldStateError{ID: id, Status: v.Status, Reason: "only an open request can be approved or refused"}
		}
		w.audit.Grant = SecondApprover
		return w.update("bulk_holds", h.shop, id, []col{plain("status", string(to)), plain("decided_by", ss.user.ID), plain("decided_at", w.now)})
	})
}

// ApproveHold approves a held request: an owner, or the manager of its shop; never who asked.
// The password must be fresh.
func (ss *Session) ApproveHold(ctx context.Context, id string) error {
	return ss.decide(ctx, id, HoldApproved)
}

// RefuseHold refuses a held request (as ApproveHold).
func (ss *Session) RefuseHold(ctx context.Context, id string) error {
	return ss.decide(ctx, id, HoldRefused)
}

// CancelHold cancels an open or approved request: who asked, or someone who may approve it
// (an owner cancelling a delayed request on their device).
func (ss *Session) CancelHold(ctx context.Context, id string) error {
	return ss.decide(ctx, id, HoldCancelled)
}

// RunHold runs an approved request, or a delayed one whose delay has passed, on the device of
// who asked: an export returns the CSV (audited customer.export with count=N and the hold), a
// deletion deletes (customer.delete per customer, customer.delete_bulk with count=N). The
// password must be fresh. An export whose filter now selects more customers than were
// approved is refused (ask again).
func (ss *Session) RunHold(ctx context.Context, id string) (*BulkResult, error) {
	if err := ss.fresh(ctx, "hold.run", id); err != nil {
		return nil, err
	}
	if _, err := ss.require(ctx, OpBulk, target{any: true}, "hold.run", id); err != nil {
		return nil, err
	}
	h, staff, err := ss.loadHold(ctx, ss.s.db, id)
	if err != nil {
		return nil, err
	}
	if h.requestedBy != ss.user.ID {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "hold.run", Target: id, Outcome: "denied"})
		return nil, &HoldStateError{ID: id, Status: HoldStatus(h.status), Reason: "only who asked runs it, on their own device"}
	}
	v := ss.holdView(ctx, h, staff, ss.s.opts.Now().UnixMilli())
	if !v.Runnable {
		reason := "it waits for a second approver"
		switch {
		case v.Status == HoldExpired:
			reason = "it expired: ask again"
		case v.Status != HoldOpen:
			reason = "it is " + string(v.Status)
		case v.Delayed():
			reason = "it runs after " + v.RunnableAt.UTC().Format("2006-01-02 15:04") + " UTC unless cancelled"
		}
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "hold.run", Target: id, Outcome: "refused", Detail: "status=" + string(v.Status)})
		return nil, &HoldStateError{ID: id, Status: v.Status, Reason: reason}
	}
	sel, err := parseSelection(h.sel)
	if err != nil {
		return nil, err
	}
	if HoldKind(h.kind) == HoldDelete {
		for _, cid := range sel.ids {
			c, err := ss.s.loadCust(ctx, ss.s.db, cid)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if c.shopID != h.shop {
				return nil, &HoldStateError{ID: id, Status: v.Status, Reason: "a customer it names is now in another shop: ask again"}
			}
		}
		n, err := ss.deleteMany(ctx, sel.ids, v)
		return &BulkResult{Count: len(sel.ids), Deleted: n}, err
	}
	rows, err := ss.exportRows(ctx, ExportFilter{ShopID: sel.shop, OwnerID: sel.owner}, "customer.export")
	if err != nil {
		return nil, err
	}
	if len(rows) > h.count {
		return nil, &HoldStateError{ID: id, Status: v.Status, Reason: fmt.Sprintf("it now selects %d customers, more than the %d approved: ask again", len(rows), h.count)}
	}
	data, err := ss.s.exportCSV(ctx, rows)
	if err != nil {
		return nil, err
	}
	err = ss.write(ctx, "customer.export", func(w *wtx) error {
		if _, err := w.allow(ss, OpBulk, target{any: true}); err != nil {
			return err
		}
		w.audit.Target = id
		w.audit.Detail = exportDetail(rows, h.format, id)
		return w.update("bulk_holds", h.shop, id, []col{plain("status", string(HoldDone))})
	})
	if err != nil {
		return nil, err
	}
	return &BulkResult{Count: len(rows), CSV: data}, nil
}

// selection is what a held request acts on: a filter (shop, owner) or customer ids.
type selection struct {
	shop, owner string
	ids         []string
}

// maxSelectionIDs bounds a held deletion's list.
const maxSelectionIDs = 10000

func encodeSelection(s selection) string {
	if len(s.ids) > 0 {
		return "ids=" + strings.Join(s.ids, ",")
	}
	out := "shop=" + s.shop
	if s.owner != "" {
		out += ";owner=" + s.owner
	}
	return out
}

// parseSelection decodes a selection as encodeSelection writes it; anything else (unknown
// keys, repeated keys, ids that are not UUIDs, both a filter and ids) is refused.
func parseSelection(v string) (selection, error) {
	var s selection
	bad := func(why string) (selection, error) {
		return selection{}, fmt.Errorf("held request selection: %s", why)
	}
	if v == "" || len(v) > 400000 {
		return bad("empty or too long")
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(part, "=")
		if !ok || seen[k] {
			return bad("not key=value, or a key twice")
		}
		seen[k] = true
		switch k {
		case "shop", "owner":
			if _, err := uuid.Parse(val); err != nil || len(val) != 36 {
				return bad(k + " is not an id")
			}
			if k == "shop" {
				s.shop = val
			} else {
				s.owner = val
			}
		case "ids":
			dup := map[string]bool{}
			for _, id := range strings.Split(val, ",") {
				if _, err := uuid.Parse(id); err != nil || len(id) != 36 || dup[id] {
					return bad("a customer id is not an id, or is named twice")
				}
				dup[id] = true
				s.ids = append(s.ids, id)
			}
			if len(s.ids) > maxSelectionIDs {
				return bad("too many ids")
			}
		default:
			return bad("unknown key " + strconv.Quote(k))
		}
	}
	if (len(s.ids) > 0) == (s.shop != "" || s.owner != "") || (len(s.ids) == 0 && s.shop == "") {
		return bad("a shop filter or a list of ids, not both")
	}
	return s, nil
}
