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
	"unicode"

	"github.com/google/uuid"

	"spoke/detect"
)

// Alerts: what the unusual-behaviour detector (watch.go) raised, as synced rows (table alerts),
// and their review. A row is in the scope of the alerted user's shop, or the org's for org-wide
// staff, so a shop's devices write their shop's alerts and owner devices receive every one. Its
// id is derived from (user, kind, first evidence), so the same alert raised on the counter and
// on the owner's laptop (over the synced trail) is one row. Reasons are the detector's: counts
// and ids, never a value; the reviewer's note is free text, sealed under the org key.
//
// Who sees what: the owner every alert, a shop's manager their shop's, the auditor every alert
// without the note (OpAudit's NoPII grant); no one else. The owner and a shop's manager decide
// (acknowledge, confirm, dismiss); confirming with suspend (owner) deactivates the account
// through the signed staff record. A critical alert under the suspend setting also suspends the
// account on the device that saw it at once (a local record, see Suspensions).

// Alert statuses.
const (
	AlertOpen         = "open"
	AlertAcknowledged = "acknowledged"
	AlertConfirmed    = "confirmed"
	AlertDismissed    = "dismissed"
)

// AlertStatuses are the statuses in order.
var AlertStatuses = []string{AlertOpen, AlertAcknowledged, AlertConfirmed, AlertDismissed}

// AlertKinds are the kinds the detector raises.
var AlertKinds = []string{detect.KindMassRead, detect.KindOffHours, detect.KindBreakGlass, detect.KindProbing,
	detect.KindCredential, detect.KindBulkExport, detect.KindBulkDelete, detect.KindSlowExfil, detect.KindMassSend}

// Alert modes (the org setting alerts.mode).
const (
	AlertOnly    = "alert_only"
	AlertSuspend = "suspend"
)

// The org settings of alerts.
const (
	settingAlertMode   = "alerts.mode"
	settingAlertSevere = "alerts.suspend_score"
	// settingShopHours holds opening hours as SHOPS.json does (detect.ParseShops); without
	// it the detector learns them.
	settingShopHours = "detect.shops"
)

// DefaultSuspendScore is the score from which an alert is critical.
const DefaultSuspendScore = 90

// NoticeScore is the score from which an open alert is a notice for owners and managers.
const NoticeScore = 70

// ErrSuspended means the account is suspended on this device pending review of an alert.
var ErrSuspended = errors.New("account suspended on this device pending review of an alert: ask the owner to review it (spoke alerts)")

// ErrAlertDecided means the alert was confirmed or dismissed already.
var ErrAlertDecided = errors.New("the alert is decided already")

// AlertRecord is one alert as a reviewer sees it.
type AlertRecord struct {
	ID        string    `json:"id"`
	Scope     string    `json:"scope"` // the shop id, or "org"
	UserID    string    `json:"user_id"`
	Username  string    `json:"username,omitempty"`
	Kind      string    `json:"kind"`
	Score     int       `json:"score"`
	FirstAt   time.Time `json:"first_at"`
	RaisedAt  time.Time `json:"raised_at"`
	Reasons   []string  `json:"reasons"`
	Status    string    `json:"status"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Suspend   bool      `json:"suspend,omitempty"` // confirmed with the account deactivated
	// Note is the reviewer's note; an auditor never gets it (NoteHidden).
	Note       string `json:"note,omitempty"`
	NoteHidden bool   `json:"note_hidden,omitempty"`
	// SuspendedHere: the account is suspended on this device because of this alert.
	SuspendedHere bool `json:"suspended_here,omitempty"`
}

// AlertSettings is what the owner set.
type AlertSettings struct {
	Mode         string `json:"mode"`          // AlertOnly (default) or AlertSuspend
	SuspendScore int    `json:"suspend_score"` // critical from this score (default 90)
}

// alertID is an alert's row id: the same on every device that raises it.
func alertID(userID, kind string, firstAt int64) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("spoke:alert:"+userID+":"+kind+":"+strconv.FormatInt(firstAt, 10))).String()
}

// alertSettings reads the mode and threshold (defaults where unset or unreadable).
func (s *Store) alertSettings(ctx context.Context, q querier) (AlertSettings, error) {
	vals, _, err := s.orgSettings(ctx, q)
	if err != nil {
		return AlertSettings{}, err
	}
	out := AlertSettings{Mode: AlertOnly, SuspendScore: DefaultSuspendScore}
	if vals[settingAlertMode] == AlertSuspend {
		out.Mode = AlertSuspend
	}
	if n, err := strconv.Atoi(vals[settingAlertSevere]); err == nil && n >= 50 && n <= 99 {
		out.SuspendScore = n
	}
	return out, nil
}

// AlertSettings returns the alert settings (owner, manager, auditor: whoever sees alerts).
func (ss *Session) AlertSettings(ctx context.Context) (AlertSettings, error) {
	if _, err := ss.require(ctx, OpAudit, target{any: true}, "alert.settings", ""); err != nil {
		return AlertSettings{}, err
	}
	return ss.s.alertSettings(ctx, ss.s.db)
}

// SetAlertSettings sets what a critical alert does and the score from which it is critical
// (owner; 0 keeps the threshold).
func (ss *Session) SetAlertSettings(ctx context.Context, mode string, suspendScore int) error {
	if mode != AlertOnly && mode != AlertSuspend {
		return &FieldError{"mode", "must be alert_only or suspend"}
	}
	if suspendScore != 0 && (suspendScore < 50 || suspendScore > 99) {
		return &FieldError{"score", "must be between 50 and 99"}
	}
	return ss.write(ctx, "alert.settings", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		if err := w.putSetting(ss.user.ID, settingAlertMode, mode); err != nil {
			return err
		}
		w.audit.Detail = "mode=" + mode
		if suspendScore != 0 {
			w.audit.Detail += fmt.Sprintf(" suspend_score=%d", suspendScore)
			return w.putSetting(ss.user.ID, settingAlertSevere, strconv.Itoa(suspendScore))
		}
		return nil
	})
}

// SetShopHours sets the shops' opening hours the detector judges off-hours by, as SHOPS.json
// holds them (owner; empty: learn them from the trail). It takes effect at the next unlock.
func (ss *Session) SetShopHours(ctx context.Context, shopsJSON string) error {
	if shopsJSON != "" {
		if _, err := detect.ParseShops(strings.NewReader(shopsJSON)); err != nil {
			return &FieldError{"shops", err.Error()}
		}
	}
	return ss.write(ctx, "alert.hours", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		return w.putSetting(ss.user.ID, settingShopHours, shopsJSON)
	})
}

// alertScope is where an alert of a user of shop goes: the shop's scope, or the org's; on a
// shop device that may not write the org scope, an org-wide user's alert goes into the
// device's own shop (its owner devices get it all the same). "" when the device may write
// neither.
func (w *wtx) alertScope(shop string) string {
	scope := shop
	if scope == "" {
		scope = OrgScope
	}
	if w.mayWrite(scope) {
		return scope
	}
	if st, err := w.s.syncState(w.ctx, w.tx); err == nil {
		for _, sc := range st.Scopes {
			if sc != OrgScope && w.mayWrite(sc) {
				return sc
			}
		}
	}
	return ""
}

// errAlertHeld ends a raise that writes nothing (the row is there, or no scope is writable).
var errAlertHeld = errors.New("alert held already")

// raiseAlert writes the row of an alert the detector raised here (once: a row raised by
// another device, or before, stays as it is), and reports whether it wrote it.
func (s *Store) raiseAlert(ctx context.Context, a detect.Alert) (string, bool, error) {
	first := a.FirstAt.UnixMilli()
	id := alertID(a.UserID, a.Kind, first)
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM alerts WHERE id = ?", id).Scan(&n); err != nil || n > 0 {
		return id, false, err
	}
	reasons := cleanReasons(a.Reasons)
	err := s.write(ctx, detectActor, "alert.raised", func(w *wtx) error {
		if err := w.tx.QueryRowContext(ctx, "SELECT count(*) FROM alerts WHERE id = ?", id).Scan(&n); err != nil {
			return err
		}
		scope := w.alertScope(a.ShopID)
		if n > 0 || scope == "" {
			return errAlertHeld
		}
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("user=%s kind=%s score=%d first_at=%d", a.UserID, a.Kind, a.Score, first)
		return w.insert("alerts", scope, id, []col{
			plain("scope", scope), plain("user_id", a.UserID), plain("kind", a.Kind), plain("score", a.Score),
			plain("first_at", first), plain("raised_at", a.RaisedAt.UnixMilli()), plain("reasons", reasons),
			plain("status", AlertOpen), plain("decided_by", ""), plain("decided_at", 0), plain("suspend", 0),
			sealedCol("note", nil),
		})
	})
	if errors.Is(err, errAlertHeld) {
		return id, false, nil
	}
	return id, err == nil, err
}

// alertProblem names the column of an alert row that holds a value Spoke does not write ("":
// none). The id binds user, kind and first evidence: they cannot be changed.
func alertProblem(id, user, kind, status, reasons string, score int, first, suspend int64) string {
	switch {
	case !slices.Contains(AlertKinds, kind):
		return "kind"
	case !slices.Contains(AlertStatuses, status):
		return "status"
	case score < 1 || score > 99:
		return "score"
	case suspend != 0 && suspend != 1:
		return "suspend"
	case len(reasons) > maxReasons || strings.ContainsFunc(reasons, func(c rune) bool { return c != '\n' && unicode.IsControl(c) }):
		return "reasons"
	case id != alertID(user, kind, first):
		return "id"
	}
	return ""
}

// checkAlerts refuses a change-set that leaves an alert row holding a value Spoke does not
// write (an unknown kind or status, a score out of range, control characters in the reasons,
// an id that is not its user's, kind's and first evidence's).
func (a *applier) checkAlerts(ids map[string]bool) error {
	for id := range ids {
		var user, kind, status, reasons string
		var score int
		var first, suspend int64
		err := a.tx.QueryRowContext(a.ctx, "SELECT user_id, kind, status, reasons, score, first_at, suspend FROM alerts WHERE id = ?", id).
			Scan(&user, &kind, &status, &reasons, &score, &first, &suspend)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if bad := alertProblem(id, user, kind, status, reasons, score, first, suspend); bad != "" {
			return &RemoteError{"an alert row holds a value Spoke does not write (" + bad + ")"}
		}
	}
	return nil
}

// maxReasons bounds the reasons kept of an alert (and read from a row).
const maxReasons = 2000

// cleanReasons joins reasons one a line, without control characters.
func cleanReasons(rs []string) string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, strings.Map(func(c rune) rune {
			if unicode.IsControl(c) {
				return ' '
			}
			return c
		}, r))
	}
	j := strings.Join(out, "\n")
	if len(j) > maxReasons {
		j = j[:maxReasons]
	}
	return j
}

// alertsVisible returns the scope a session may see alerts of ("" every scope) and the grant.
func (ss *Session) alertsVisible(ctx context.Context, action string) (string, Grant, error) {
	g, err := ss.require(ctx, OpAudit, target{any: true}, action, "")
	if err != nil {
		return "", Deny, err
	}
	if g == ShopOnly {
		if ss.user.ShopID == "" {
			return "", Deny, ErrForbidden
		}
		return ss.user.ShopID, g, nil
	}
	return "", g, nil
}

// AlertFilter selects alerts.
type AlertFilter struct {
	// All includes decided (confirmed, dismissed) alerts; without it only open and
	// acknowledged ones.
	All bool
}

// Alerts lists alerts, highest score first among the undecided, then newest: every alert
// (owner), their shop's (manager), every alert without the note (auditor). Audited.
func (ss *Session) Alerts(ctx context.Context, f AlertFilter) ([]AlertRecord, error) {
	scope, g, err := ss.alertsVisible(ctx, "alert.list")
	if err != nil {
		return nil, err
	}
	out, err := ss.s.alerts(ctx, ss.s.db, scope, "", f.All, g != NoPII)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].UserID == ss.user.ID && out[i].Note != "" {
			// A reviewer's words about the alerted user are not theirs to read.
			out[i].Note, out[i].NoteHidden = "", true
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "alert.list", Grant: g, Detail: fmt.Sprintf("alerts=%d all=%t", len(out), f.All)}); err != nil {
		return nil, err
	}
	return out, nil
}

// OpenAlertCount is how many open alerts the session may review score NoticeScore or more,
// not counting alerts about the user themselves: for the notice on every screen. It is a count
// only, so it is not a read audit; the list is (Alerts).
func (ss *Session) OpenAlertCount(ctx context.Context) (int, error) {
	scope, g, err := ss.alertsVisible(ctx, "alert.count")
	if err != nil {
		return 0, err
	}
	if g == NoPII {
		return 0, nil // the auditor reads alerts; reviewing them is not theirs
	}
	q := "SELECT count(*) FROM alerts WHERE status = 'open' AND score >= ? AND user_id != ?"
	args := []any{NoticeScore, ss.user.ID}
	if scope != "" {
		q += " AND scope = ?"
		args = append(args, scope)
	}
	var n int
	err = ss.s.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// alerts reads alert rows (scope "" every scope, id "" every row), each authenticated.
func (s *Store) alerts(ctx context.Context, q querier, scope, id string, all, withNote bool) ([]AlertRecord, error) {
	query := `SELECT a.id, a.scope, a.user_id, COALESCE(u.username, ''), a.kind, a.score, a.first_at, a.raised_at, a.reasons,
		a.status, a.decided_by, a.decided_at, a.suspend, a.note FROM alerts a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1`
	var args []any
	if scope != "" {
		query += " AND a.scope = ?"
		args = append(args, scope)
	}
	if id != "" {
		query += " AND a.id = ?"
		args = append(args, id)
	}
	if !all {
		query += " AND a.status IN ('open', 'acknowledged')"
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY a.raised_at DESC, a.id", args...)
	if err != nil {
		return nil, err
	}
	var out []AlertRecord
	var notes [][]byte
	for rows.Next() {
		var r AlertRecord
		var first, raised, decided, suspend int64
		var reasons string
		var note []byte
		if err := rows.Scan(&r.ID, &r.Scope, &r.UserID, &r.Username, &r.Kind, &r.Score, &first, &raised, &reasons,
			&r.Status, &r.DecidedBy, &decided, &suspend, &note); err != nil {
			rows.Close()
			return nil, err
		}
		if bad := alertProblem(r.ID, r.UserID, r.Kind, r.Status, reasons, r.Score, first, suspend); bad != "" {
			rows.Close()
			return nil, &TamperError{Table: "alerts", Row: r.ID, Column: bad, Reason: "not a value Spoke writes"}
		}
		r.FirstAt, r.RaisedAt = time.UnixMilli(first), time.UnixMilli(raised)
		if decided > 0 {
			r.DecidedAt = time.UnixMilli(decided)
		}
		r.Suspend = suspend != 0
		r.Reasons = []string{}
		if reasons != "" {
			r.Reasons = strings.Split(reasons, "\n")
		}
		out = append(out, r)
		notes = append(notes, note)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var org []byte
	for i := range out {
		if err := s.checkRow(ctx, q, tables["alerts"], out[i].ID); err != nil {
			return nil, err
		}
		if notes[i] == nil {
			continue
		}
		if !withNote {
			out[i].NoteHidden = true
			continue
		}
		if org == nil {
			if org, _, err = s.scopeKey(ctx, OrgScope, 1); err != nil {
				return nil, err
			}
		}
		if out[i].Note, err = openField(org, "alerts", out[i].ID, "note", notes[i]); err != nil {
			return nil, &TamperError{Table: "alerts", Row: out[i].ID, Column: "note", Reason: "fails authentication"}
		}
	}
	sus, err := s.suspensions(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if x, ok := sus[out[i].UserID]; ok && x.AlertID == out[i].ID {
			out[i].SuspendedHere = true
		}
	}
	// Undecided first, highest score first; then newest.
	slices.SortStableFunc(out, func(a, b AlertRecord) int {
		da, db := a.Status == AlertConfirmed || a.Status == AlertDismissed, b.Status == AlertConfirmed || b.Status == AlertDismissed
		switch {
		case da != db:
			if da {
				return 1
			}
			return -1
		case !da && a.Score != b.Score:
			return b.Score - a.Score
		}
		return b.RaisedAt.Compare(a.RaisedAt)
	})
	return out, nil
}

// DecideAlert records a review: acknowledged (seen, under review), confirmed (real) or
// dismissed (a false alert), with a note (sealed). Confirming with suspend (owner) also
// deactivates the account chain-wide through the signed staff record. The owner decides every
// alert, a shop's manager their shop's; a decided alert is not decided again.
func (ss *Session) DecideAlert(ctx context.Context, id, status, note string, suspend bool) error {
	action := map[string]string{AlertAcknowledged: "alert.acknowledge", AlertConfirmed: "alert.confirm", AlertDismissed: "alert.dismiss"}[status]
	if action == "" {
		return &FieldError{"status", "must be acknowledged, confirmed or dismissed"}
	}
	if suspend && status != AlertConfirmed {
		return &FieldError{"suspend", "only a confirmed alert suspends the account"}
	}
	if len(note) > 4000 {
		return &FieldError{"note", "at most 4000 characters"}
	}
	return ss.write(ctx, action, func(w *wtx) error {
		w.audit.Target = id
		g, err := w.allow(ss, OpAudit, target{any: true})
		if err != nil {
			return err
		}
		if g == NoPII {
			return ErrForbidden // the auditor sees, does not decide
		}
		scope := ""
		if g == ShopOnly {
			scope = ss.user.ShopID
		}
		as, err := ss.s.alerts(ctx, w.tx, scope, id, true, false)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return fmt.Errorf("alert %s: %w", id, ErrNotFound)
		}
		a := as[0]
		if a.Status == AlertConfirmed || a.Status == AlertDismissed {
			return ErrAlertDecided
		}
		if a.UserID == ss.user.ID {
			return &FieldError{"alert", "an alert about you is for another reviewer to decide"}
		}
		cols := []col{plain("status", status), plain("decided_by", ss.user.ID), plain("decided_at", w.now)}
		if note != "" {
			org, _, err := ss.s.scopeKey(ctx, OrgScope, 1)
			if err != nil {
				return err
			}
			sealed, err := sealField(org, "alerts", id, "note", note)
			if err != nil {
				return err
			}
			cols = append(cols, sealedCol("note", sealed))
		}
		if suspend {
			if err := w.changeUser(ss, a.UserID, staffChange{active: new(bool)}); err != nil {
				return err
			}
			cols = append(cols, plain("suspend", 1))
		}
		w.audit.Target, w.audit.Fields = id, nil
		if note != "" {
			w.audit.Fields = []string{"note"}
		}
		w.audit.Detail = fmt.Sprintf("user=%s kind=%s status=%s suspend=%t", a.UserID, a.Kind, status, suspend)
		return w.update("alerts", a.Scope, id, cols)
	})
}

// Effectiveness is the share of decided alerts that were real: confirmed ÷ (confirmed +
// dismissed), as Microsoft Purview reports it; Rate is -1 while none is decided.
type Effectiveness struct {
	Confirmed int     `json:"confirmed"`
	Dismissed int     `json:"dismissed"`
	Rate      float64 `json:"rate"`
}

func (e *Effectiveness) add(status string) {
	switch status {
	case AlertConfirmed:
		e.Confirmed++
	case AlertDismissed:
		e.Dismissed++
	}
	e.Rate = -1
	if n := e.Confirmed + e.Dismissed; n > 0 {
		e.Rate = float64(e.Confirmed) / float64(n)
	}
}

// AlertEffectiveness is the effectiveness overall and per kind.
type AlertEffectiveness struct {
	Overall Effectiveness            `json:"overall"`
	ByKind  map[string]Effectiveness `json:"by_kind"`
}

// EffectivenessOf computes the effectiveness of a list of alerts (Alerts with All).
func EffectivenessOf(as []AlertRecord) AlertEffectiveness {
	out := AlertEffectiveness{Overall: Effectiveness{Rate: -1}, ByKind: map[string]Effectiveness{}}
	for _, a := range as {
		if a.Status != AlertConfirmed && a.Status != AlertDismissed {
			continue
		}
		out.Overall.add(a.Status)
		e := out.ByKind[a.Kind]
		e.add(a.Status)
		out.ByKind[a.Kind] = e
	}
	return out
}

// Suspension is an account suspended on this device by a critical alert (local, not synced).
type Suspension struct {
	UserID  string    `json:"user_id"`
	AlertID string    `json:"alert_id"`
	At      time.Time `json:"at"`
}

// metaSuspended prefixes the meta key of a suspension: alert id, then unix ms.
const metaSuspended = "suspended:"

// suspensions reads this device's suspensions, each authenticated by the book.
func (s *Store) suspensions(ctx context.Context, q querier) (map[string]Suspension, error) {
	rows, err := q.QueryContext(ctx, "SELECT key FROM meta WHERE substr(key, 1, ?) = ?", len(metaSuspended), metaSuspended)
	if err != nil {
		return nil, err
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]Suspension{}
	for _, k := range keys {
		v, err := s.metaChecked(ctx, q, k)
		if err != nil {
			return nil, err
		}
		alert, at, _ := strings.Cut(string(v), ",")
		ms, _ := strconv.ParseInt(at, 10, 64)
		u := strings.TrimPrefix(k, metaSuspended)
		out[u] = Suspension{UserID: u, AlertID: alert, At: time.UnixMilli(ms)}
	}
	return out, nil
}

// suspended reports whether an account is suspended on this device (a record that fails the
// book is tampering: the sign-in is refused as well).
func (s *Store) suspended(ctx context.Context, userID string) (bool, error) {
	v, err := s.metaChecked(ctx, s.db, metaSuspended+userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return v != nil, nil
}

// suspend suspends an account on this device for a critical alert: a local record, audited,
// and the account's live sessions here end at once. Owners are not suspended (someone must
// review the alert), nor is an account suspended already.
func (s *Store) suspend(ctx context.Context, userID, alertID string) error {
	var roles string
	if err := s.db.QueryRowContext(ctx, "SELECT roles FROM users WHERE id = ?", userID).Scan(&roles); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // an unknown username: nothing to suspend
		}
		return err
	}
	if slices.Contains(strings.Split(roles, ","), string(RoleOwner)) {
		return nil
	}
	if on, err := s.suspended(ctx, userID); err != nil || on {
		return err
	}
	err := s.write(ctx, detectActor, "user.suspend", func(w *wtx) error {
		w.audit.Target = userID
		w.audit.Detail = "alert=" + alertID
		return s.putMeta(ctx, w.tx, metaSuspended+userID, []byte(alertID+","+strconv.FormatInt(w.now, 10)))
	})
	if err != nil {
		return err
	}
	for _, ss := range s.live.all() {
		if ss.user.ID == userID {
			ss.suspended.Store(true)
			ss.wipe()
		}
	}
	return nil
}

// Suspensions lists the accounts suspended on this device (owner).
func (ss *Session) Suspensions(ctx context.Context) ([]Suspension, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "user.suspensions", ""); err != nil {
		return nil, err
	}
	m, err := ss.s.suspensions(ctx, ss.s.db)
	if err != nil {
		return nil, err
	}
	out := make([]Suspension, 0, len(m))
	for _, x := range m {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Suspension) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

// LiftSuspension lifts an account's suspension on this device (owner).
func (ss *Session) LiftSuspension(ctx context.Context, userID string) error {
	return ss.write(ctx, "user.unsuspend", func(w *wtx) error {
		w.audit.Target = userID
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		on, err := ss.s.suspended(ctx, userID)
		if err != nil {
			return err
		}
		if !on {
			return fmt.Errorf("suspension of %s: %w", userID, ErrNotFound)
		}
		return ss.s.dropMeta(ctx, w.tx, metaSuspended+userID)
	})
}
