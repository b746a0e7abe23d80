package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"spoke/crypto/seal"
)

// auditEntry is what an action adds to the trail. Fields names columns, never values; Detail
// holds counts and ids only; Reason (break-glass) is free text and is sealed under a key of its
// own, wrapped under the org key (reasons.go).
type auditEntry struct {
	Action  string
	Target  string
	Fields  []string
	Outcome string
	Detail  string
	Reason  string
	// Grant is the access-matrix grant that allowed the action ("" where none was asked:
	// sign-ins, the store's upkeep, a denial).
	Grant Grant
}

// auditCtx is what an entry records of its moment besides the action: the user's roles
// (comma-separated), their shop and the grant used. The MAC covers it from audit/v2 on; an
// entry with none of it keeps the v1 link it had before, byte for byte.
type auditCtx struct {
	role, shop, grant string
}

// auditCols are the columns of an audit row in the order scanAuditRow reads them.
const auditCols = "seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac, role, shop_id, grant_used"

// AuditRecord is one entry of the audit trail as shown to owners, managers and auditors.
type AuditRecord struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	UserID   string    `json:"user_id"`
	Username string    `json:"username,omitempty"`
	DeviceID string    `json:"device_id"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	Fields   []string  `json:"fields,omitempty"`
	Outcome  string    `json:"outcome"`
	Detail   string    `json:"detail,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	// Role, ShopID and Grant are the user's roles, shop and the grant that allowed the action,
	// as recorded when the entry was written ("" in entries from before they were recorded).
	Role   string `json:"role"`
	ShopID string `json:"shop_id"`
	Grant  string `json:"grant,omitempty"`
	// ReasonExpired: the entry had a break-glass reason, expired under the retention policy
	// (its key is gone; the entry and its link are as they were).
	ReasonExpired bool `json:"reason_expired,omitempty"`
}

// auditMAC computes an entry's link: HMAC over the canonical encoding and the previous link,
// so editing, removing or reordering any entry breaks every later link.
func auditMAC(key []byte, seq, at int64, userID, deviceID, action, target, fields, outcome, detail string, reason, prev []byte, c auditCtx) []byte {
	m := hmac.New(sha256.New, key)
	if c == (auditCtx{}) {
		m.Write(seal.Label("audit/v1", strconv.FormatInt(seq, 10), strconv.FormatInt(at, 10),
			userID, deviceID, action, target, fields, outcome, detail, string(reason), string(prev)))
		return m.Sum(nil)
	}
	m.Write(seal.Label("audit/v2", strconv.FormatInt(seq, 10), strconv.FormatInt(at, 10),
		userID, deviceID, action, target, fields, outcome, detail, string(reason), string(prev), c.role, c.shop, c.grant))
	return m.Sum(nil)
}

// headMAC authenticates the head pointer: the newest entry's seq and MAC, and the user-version
// summary (meta user_versions), so putting back an older summary means putting back an older
// head, which means cutting the trail back to it: what the anchors outside the file catch.
func headMAC(key []byte, seq int64, mac, userVersions []byte) []byte {
	d := sha256.Sum256(userVersions)
	m := hmac.New(sha256.New, key)
	m.Write(seal.Label("audit-head/v2", strconv.FormatInt(seq, 10), string(mac), string(d[:])))
	return m.Sum(nil)
}

// headMACv1 is the head of databases from before user versions (no summary in meta yet).
func headMACv1(key []byte, seq int64, mac []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(seal.Label("audit-head/v1", strconv.FormatInt(seq, 10), string(mac)))
	return m.Sum(nil)
}

// checkHead reports whether the authenticated head pointer names entry seq with link mac (and
// the current user-version summary); headSeq is the seq the pointer claims.
func checkHead(ctx context.Context, q querier, key []byte, seq int64, mac []byte) (headSeq int64, ok bool, err error) {
	head, err := getMeta(ctx, q, metaAuditHead)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	uv, err := getMeta(ctx, q, metaUserVersions)
	legacy := errors.Is(err, ErrNotFound)
	if err != nil && !legacy {
		return 0, false, err
	}
	i := bytes.IndexByte(head, ':')
	if i < 0 {
		return 0, false, nil
	}
	headSeq, _ = strconv.ParseInt(string(head[:i]), 10, 64)
	if headSeq != seq {
		return headSeq, false, nil
	}
	if hmac.Equal(head[i+1:], headMAC(key, seq, mac, uv)) {
		return headSeq, true, nil
	}
	return headSeq, legacy && hmac.Equal(head[i+1:], headMACv1(key, seq, mac)), nil
}

// appendAudit adds one entry at the head of the chain inside tx, and moves the authenticated
// head pointer, so dropping the newest entries is detected too.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, a actor, e auditEntry) error {
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return err
	}
	var seq int64
	var prev []byte
	err = tx.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	seq++
	var reason []byte
	if e.Reason != "" {
		if reason, err = s.sealReason(ctx, tx, s.deviceID, seq, e.Reason); err != nil {
			return err
		}
	}
	at := s.opts.Now().UnixMilli()
	fields := strings.Join(e.Fields, ",")
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	c := auditCtx{role: a.roles, shop: a.shopID, grant: string(e.Grant)}
	mac := auditMAC(key, seq, at, a.userID, s.deviceID, e.Action, e.Target, fields, e.Outcome, e.Detail, reason, prev, c)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac, role, shop_id, grant_used)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, at, a.userID, s.deviceID, e.Action, e.Target, fields, e.Outcome, e.Detail, nullBytes(reason), mac, c.role, c.shop, c.grant); err != nil {
		return err
	}
	uv, err := getMeta(ctx, tx, metaUserVersions)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	head := append([]byte(strconv.FormatInt(seq, 10)+":"), headMAC(key, seq, mac, uv)...)
	return setMeta(ctx, tx, metaAuditHead, head)
}

// auditAlone records an entry in its own transaction, committed at synchronous=FULL: for
// outcomes whose action did not commit (denied, failed sign-in), which must still reach the
// trail. The entry of a read that succeeded goes through auditRead instead.
func (s *Store) auditAlone(ctx context.Context, a actor, e auditEntry) error {
	if err := s.trailProblem(); err != nil {
		return err
	}
	if err := s.auditTx(ctx, s.db, a, e, nil); err != nil {
		return err
	}
	s.maybeRaiseAnchor(ctx)
	s.observe(ctx, "")
	return nil
}

// ChainError names the first audit entry whose link does not hold.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	if e.Seq == 0 {
		return "audit chain broken: " + e.Reason
	}
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// verifyAudit walks the whole chain and returns the first broken link, or nil.
func (s *Store) verifyAudit(ctx context.Context) (int64, error) {
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return 0, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+auditCols+" FROM audit ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var prev []byte
	var want, n int64 = 1, 0
	for rows.Next() {
		var seq, at int64
		var user, dev, action, target, fields, outcome, detail string
		var reason, mac []byte
		var c auditCtx
		if err := rows.Scan(&seq, &at, &user, &dev, &action, &target, &fields, &outcome, &detail, &reason, &mac, &c.role, &c.shop, &c.grant); err != nil {
			return n, err
		}
		if seq != want {
			return n, &ChainError{want, fmt.Sprintf("entry missing (next present is %d)", seq)}
		}
		got := auditMAC(key, seq, at, user, dev, action, target, fields, outcome, detail, reason, prev, c)
		if !hmac.Equal(got, mac) {
			return n, &ChainError{seq, "entry altered, reordered or a previous entry removed"}
		}
		// A reason sealed under the org key must open. One under its own key (reasons.go) is
		// checked with its key by verifyReasonKeys, and may have expired: its bytes are covered
		// by the link above either way.
		if reason != nil && reason[0] != reasonOwnKey {
			if _, err := s.openReason(ctx, s.db, dev, seq, reason); err != nil {
				return n, &ChainError{seq, "sealed reason fails authentication"}
			}
		}
		prev, want, n = mac, want+1, n+1
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if n == 0 {
		org, err := hasOrgKey(ctx, s.db)
		if err != nil || !org {
			return 0, err // a replica before its first sync: no audit key, nothing to protect yet
		}
		return 0, &ChainError{0, emptyTrail}
	}
	headSeq, ok, err := checkHead(ctx, s.db, key, n, prev)
	if err != nil {
		return n, err
	}
	if !ok {
		return n, &ChainError{min(headSeq, n) + 1, headMismatch(n, headSeq)}
	}
	return n, nil
}

// AuditFilter narrows the audit trail.
type AuditFilter struct {
	UserID string
	Action string // prefix, e.g. "customer."
	Since  time.Time
	Limit  int
	// AllDevices adds the other devices' trails as synced here (an owner's laptop holds every
	// device's), newest first by time.
	AllDevices bool
}

// AuditLog returns audit entries, newest first: all (owner), their shop's staff (manager),
// or all without break-glass reasons (auditor, who sees no personal data).
func (ss *Session) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	g, err := ss.require(ctx, OpAudit, target{any: true}, "audit.read", "")
	if err != nil {
		return nil, err
	}
	const entryCols = "seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, role, shop_id, grant_used"
	from := "audit"
	if f.AllDevices {
		from = "(SELECT " + entryCols + " FROM audit UNION ALL SELECT " + entryCols + " FROM remote_audit)"
	}
	q := "SELECT a.seq, a.at, a.user_id, COALESCE(u.username, ''), a.device_id, a.action, a.target, a.fields, a.outcome, a.detail, a.reason, a.role, a.shop_id, a.grant_used FROM " + from + " a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1"
	var args []any
	if g == ShopOnly {
		q += " AND u.shop_id = ?"
		args = append(args, ss.user.ShopID)
	}
	if f.UserID != "" {
		q += " AND a.user_id = ?"
		args = append(args, f.UserID)
	}
	if f.Action != "" {
		q += " AND a.action LIKE ? ESCAPE '\\'"
		args = append(args, strings.NewReplacer("%", "\\%", "_", "\\_").Replace(f.Action)+"%")
	}
	if !f.Since.IsZero() {
		q += " AND a.at >= ?"
		args = append(args, f.Since.UnixMilli())
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	order := "a.seq DESC"
	if f.AllDevices {
		order = "a.at DESC, a.device_id, a.seq DESC"
	}
	q += fmt.Sprintf(" ORDER BY %s LIMIT %d", order, f.Limit)
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		var fields string
		var reason []byte
		if err := rows.Scan(&r.Seq, &at, &r.UserID, &r.Username, &r.DeviceID, &r.Action, &r.Target, &fields, &r.Outcome, &r.Detail, &reason, &r.Role, &r.ShopID, &r.Grant); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at)
		r.Detail = withoutToken(r.Detail)
		if fields != "" {
			r.Fields = strings.Split(fields, ",")
		}
		if reason != nil && g != NoPII {
			r.Reason, err = ss.s.openReason(ctx, ss.s.db, r.DeviceID, r.Seq, reason)
			if errors.Is(err, ErrReasonExpired) {
				r.ReasonExpired, err = true, nil
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "audit.read", Detail: fmt.Sprintf("entries=%d", len(out)), Grant: g}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
