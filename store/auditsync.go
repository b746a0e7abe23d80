package store

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"

	"spoke/protocol/auditrec"
)

// localAudit returns this device's audit entries after seq (for pushing), at most limit, all of
// them durable: an entry another device holds cannot be lost here in a power cut.
func (s *Store) localAudit(ctx context.Context, after int64, limit int) ([]auditrec.Entry, error) {
	release, err := s.holdReadAudits(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	// A reason sealed under its own key travels with that key (outside the MAC), so the owner
	// devices' copies read it until it expires there too; an expired one travels without.
	rows, err := s.db.QueryContext(ctx, `SELECT a.seq, a.at, a.user_id, a.device_id, a.action, a.target, a.fields, a.outcome, a.detail, a.reason, a.mac, a.role, a.shop_id, a.grant_used, k.version, k.wrapped
		FROM audit a LEFT JOIN reason_keys k ON k.device_id = a.device_id AND k.seq = a.seq WHERE a.seq > ? ORDER BY a.seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auditrec.Entry
	for rows.Next() {
		var e auditrec.Entry
		var kv sql.NullInt64
		var wrapped []byte
		if err := rows.Scan(&e.Seq, &e.At, &e.User, &e.Device, &e.Action, &e.Target, &e.Fields, &e.Outcome, &e.Detail, &e.Reason, &e.MAC, &e.Role, &e.Shop, &e.Grant, &kv, &wrapped); err != nil {
			return nil, err
		}
		if kv.Valid {
			e.ReasonKey = reasonKeyWire(uint32(kv.Int64), wrapped)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// applyRemoteAudit appends another device's audit entries to its copy of that device's chain.
// Every entry must be the next in sequence and its MAC must chain from the previous one
// under the org audit key: a device cannot send a rewritten or gapped trail.
func (s *Store) applyRemoteAudit(ctx context.Context, device string, entries []auditrec.Entry) (int, error) {
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var lastSeq int64
	var prev []byte
	err = tx.QueryRowContext(ctx, "SELECT seq, mac FROM remote_audit WHERE device_id = ? ORDER BY seq DESC LIMIT 1", device).Scan(&lastSeq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if e.Device != device {
			return 0, &RemoteError{"an audit entry names another device"}
		}
		if e.Seq <= lastSeq {
			continue // already held
		}
		if e.Seq != lastSeq+1 {
			return 0, &RemoteError{fmt.Sprintf("audit trail of the device has a gap before entry %d", e.Seq)}
		}
		want := auditMAC(key, e.Seq, e.At, e.User, e.Device, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, e.Reason, prev, auditCtx{e.Role, e.Shop, e.Grant})
		if !hmac.Equal(want, e.MAC) {
			return 0, &RemoteError{fmt.Sprintf("audit entry %d of the device does not chain", e.Seq)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO remote_audit(device_id, seq, at, user_id, action, target, fields, outcome, detail, reason, mac, role, shop_id, grant_used)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, device, e.Seq, e.At, e.User, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, nullBytes(e.Reason), e.MAC, e.Role, e.Shop, e.Grant); err != nil {
			return 0, err
		}
		if len(e.ReasonKey) > 0 {
			v, wrapped, ok, err := s.checkRemoteReasonKey(ctx, device, e.Seq, e.Reason, e.ReasonKey)
			if err != nil {
				return 0, err
			}
			// The same entry may be held as this device's own (a database restored under a
			// new identity keeps its old entries): one key row serves both.
			if ok {
				if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO reason_keys(device_id, seq, version, wrapped) VALUES(?, ?, ?, ?)", device, e.Seq, v, wrapped); err != nil {
					return 0, err
				}
			}
		}
		lastSeq, prev = e.Seq, e.MAC
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if n > 0 {
		s.observe(ctx, device) // the detector reads the batch in time order
	}
	return n, nil
}

// AuditHeadOf returns the MAC of entry seq of a device's chain (this device's own, or a copy),
// and the highest seq held.
func (s *Store) AuditHeadOf(ctx context.Context, device string, seq int64) (mac []byte, highest int64, err error) {
	if device == s.deviceID {
		err = s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit").Scan(&highest)
		if err == nil {
			err = s.db.QueryRowContext(ctx, "SELECT mac FROM audit WHERE seq = ?", seq).Scan(&mac)
		}
	} else {
		err = s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM remote_audit WHERE device_id = ?", device).Scan(&highest)
		if err == nil {
			err = s.db.QueryRowContext(ctx, "SELECT mac FROM remote_audit WHERE device_id = ? AND seq = ?", device, seq).Scan(&mac)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, highest, nil
	}
	return mac, highest, err
}

// verifyRemoteAudit re-checks every copied chain (part of Verify).
func (s *Store) verifyRemoteAudit(ctx context.Context, r *Report) error {
	key, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT device_id, seq, at, user_id, action, target, fields, outcome, detail, reason, mac, role, shop_id, grant_used FROM remote_audit ORDER BY device_id, seq")
	if err != nil {
		return err
	}
	defer rows.Close()
	var dev string
	var prev []byte
	var want int64
	for rows.Next() {
		var e auditrec.Entry
		if err := rows.Scan(&e.Device, &e.Seq, &e.At, &e.User, &e.Action, &e.Target, &e.Fields, &e.Outcome, &e.Detail, &e.Reason, &e.MAC, &e.Role, &e.Shop, &e.Grant); err != nil {
			return err
		}
		if e.Device != dev {
			dev, prev, want = e.Device, nil, 1
		}
		switch {
		case e.Seq != want:
			r.add("remote_audit", e.Device, fmt.Sprint(want), "entry missing")
		case !hmac.Equal(e.MAC, auditMAC(key, e.Seq, e.At, e.User, e.Device, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, e.Reason, prev, auditCtx{e.Role, e.Shop, e.Grant})):
			r.add("remote_audit", e.Device, fmt.Sprint(e.Seq), "entry altered")
		}
		prev, want = e.MAC, e.Seq+1
	}
	return rows.Err()
}
