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
// holds counts and ids only; Reason (break-glass) is free text and is sealed under the org key.
type auditEntry struct {
	Action  string
	Target  string
	Fields  []string
	Outcome string
	Detail  string
	Reason  string
}

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
}

// auditMAC computes an entry's link: HMAC over the canonical encoding and the previous link,
// so editing, removing or reordering any entry breaks every later link.
func auditMAC(key []byte, seq, at int64, userID, deviceID, action, target, fields, outcome, detail string, reason, prev []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(seal.Label("audit/v1", strconv.FormatInt(seq, 10), strconv.FormatInt(at, 10),
		userID, deviceID, action, target, fields, outcome, detail, string(reason), string(prev)))
	return m.Sum(nil)
}

func headMAC(key []byte, seq int64, mac []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(seal.Label("audit-head/v1", strconv.FormatInt(seq, 10), string(mac)))
	return m.Sum(nil)
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
		org, _, err := s.scopeKey(ctx, OrgScope, 1)
		if err != nil {
			return err
		}
		if reason, err = seal.Seal(org, []byte(e.Reason), seal.FieldAD("audit", strconv.FormatInt(seq, 10), "reason", 1)); err != nil {
			return err
		}
	}
	at := s.opts.Now().UnixMilli()
	fields := strings.Join(e.Fields, ",")
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	mac := auditMAC(key, seq, at, a.userID, s.deviceID, e.Action, e.Target, fields, e.Outcome, e.Detail, reason, prev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, at, a.userID, s.deviceID, e.Action, e.Target, fields, e.Outcome, e.Detail, nullBytes(reason), mac); err != nil {
		return err
	}
	head := append([]byte(strconv.FormatInt(seq, 10)+":"), headMAC(key, seq, mac)...)
	return setMeta(ctx, tx, metaAuditHead, head)
}

// auditAlone records an entry in its own transaction: for outcomes whose action did not
// commit (denied, failed sign-in), which must still reach the trail.
func (s *Store) auditAlone(ctx context.Context, a actor, e auditEntry) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.appendAudit(ctx, tx, a, e); err != nil {
		return err
	}
	return tx.Commit()
}

// ChainError names the first audit entry whose link does not hold.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// verifyAudit walks the whole chain and returns the first broken link, or nil.
func (s *Store) verifyAudit(ctx context.Context) (int64, error) {
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return 0, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac FROM audit ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var prev []byte
	var want, n int64 = 1, 0
	org, _, err := s.scopeKey(ctx, OrgScope, 1)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var seq, at int64
		var user, dev, action, target, fields, outcome, detail string
		var reason, mac []byte
		if err := rows.Scan(&seq, &at, &user, &dev, &action, &target, &fields, &outcome, &detail, &reason, &mac); err != nil {
			return n, err
		}
		if seq != want {
			return n, &ChainError{want, fmt.Sprintf("entry missing (next present is %d)", seq)}
		}
		got := auditMAC(key, seq, at, user, dev, action, target, fields, outcome, detail, reason, prev)
		if !hmac.Equal(got, mac) {
			return n, &ChainError{seq, "entry altered, reordered or a previous entry removed"}
		}
		if reason != nil {
			if _, err := seal.Open(org, reason, seal.FieldAD("audit", strconv.FormatInt(seq, 10), "reason", 1)); err != nil {
				return n, &ChainError{seq, "sealed reason fails authentication"}
			}
		}
		prev, want, n = mac, want+1, n+1
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	head, err := getMeta(ctx, s.db, metaAuditHead)
	if errors.Is(err, ErrNotFound) {
		if n == 0 {
			return 0, nil
		}
		return n, &ChainError{n, "head pointer missing"}
	}
	if err != nil {
		return n, err
	}
	i := bytes.IndexByte(head, ':')
	if i < 0 {
		return n, &ChainError{n, "head pointer damaged"}
	}
	headSeq, _ := strconv.ParseInt(string(head[:i]), 10, 64)
	if headSeq != n || !hmac.Equal(head[i+1:], headMAC(key, n, prev)) {
		return n, &ChainError{min(headSeq, n) + 1, fmt.Sprintf("trail ends at entry %d but its authenticated head is entry %d (entries removed from the end?)", n, headSeq)}
	}
	return n, nil
}
