package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// Break-glass reasons. A reason is free text about why someone opened another's customer, so
// it may hold personal data, and the retention policy expires it after some months; yet the
// audit chain's MAC covers it, and an entry must never change. So each reason is sealed under a
// key of its own (random, 256 bits), that key is wrapped under the org key's newest version and
// kept outside the chain in reason_keys, by the entry's device and sequence number, and the
// sealed bytes (0xFE in front) stay in the chain as before. Expiring a reason deletes its key
// row: every link still verifies, the reason reads as expired, and its bytes open under no key
// the database holds. The key travels with the entry to owner devices (auditrec.Entry's
// reason_key, outside the MAC), which keep it beside their copy of the trail and expire it the
// same way, by the entry's age.
//
// Reasons sealed before this format (under the org key itself: the bare sealed bytes for
// version 1, or 0xFF and the version) read as before and cannot expire: their key is the org
// key, which everything else needs too.
//
// What still holds an expired reason's key, and until when: a backup taken before the expiry
// (a restore brings the key back, and the next retention run on the restored database expires
// it again, as it goes by age), and the hub's audit sets that carried it (sealed under the scope
// key; replaced when the scope is compacted), which anyone holding that set's scope key and the
// org key version the reason key is wrapped under could open, until those versions are
// forgotten (scopesnap.go: a version no live reason key needs is not kept).
const (
	reasonVersioned = 0xFF // an org-key reason of version > 1: 0xFF, the version (4 bytes), the sealed bytes
	reasonOwnKey    = 0xFE // a reason under its own key: 0xFE, the sealed bytes (a sealed value starts with 0x01)
)

// ErrReasonExpired means a break-glass reason's key is gone: the retention policy expired it.
var ErrReasonExpired = errors.New("the break-glass reason has expired (its key was deleted under the retention policy)")

func reasonAD(device string, seq int64) []byte {
	return seal.Label("audit-reason/v2", device, strconv.FormatInt(seq, 10))
}

func reasonKeyLabel(device string, seq int64, version uint32) []byte {
	return seal.Label("reason-key", device, strconv.FormatInt(seq, 10), strconv.FormatUint(uint64(version), 10))
}

// sealReason seals the reason of entry seq of device's trail under a new key of its own, and
// stores that key, wrapped under the org key, in reason_keys inside tx.
func (s *Store) sealReason(ctx context.Context, tx *sql.Tx, device string, seq int64, reason string) ([]byte, error) {
	k := keys.New()
	defer seal.Wipe(k)
	ct, err := seal.Seal(k, []byte(reason), reasonAD(device, seq))
	if err != nil {
		return nil, err
	}
	org, v, err := s.scopeKey(ctx, OrgScope, 0)
	if err != nil {
		return nil, err
	}
	wrapped, err := keys.Wrap(org, k, reasonKeyLabel(device, seq, v))
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO reason_keys(device_id, seq, version, wrapped) VALUES(?, ?, ?, ?)", device, seq, v, wrapped); err != nil {
		return nil, fmt.Errorf("reason key: %w", err)
	}
	return append([]byte{reasonOwnKey}, ct...), nil
}

// openReason opens the reason of entry seq of device's trail, sealed here or on another
// device, in either format. A reason whose key has expired is ErrReasonExpired.
func (s *Store) openReason(ctx context.Context, q querier, device string, seq int64, b []byte) (string, error) {
	if len(b) > 0 && b[0] == reasonOwnKey {
		var v uint32
		var wrapped []byte
		err := q.QueryRowContext(ctx, "SELECT version, wrapped FROM reason_keys WHERE device_id = ? AND seq = ?", device, seq).Scan(&v, &wrapped)
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrReasonExpired
		}
		if err != nil {
			return "", err
		}
		return s.openOwnReason(ctx, device, seq, b, v, wrapped)
	}
	v := uint32(1)
	if len(b) > 5 && b[0] == reasonVersioned {
		v, b = binary.BigEndian.Uint32(b[1:5]), b[5:]
	}
	k, _, err := s.scopeKey(ctx, OrgScope, v)
	if err != nil {
		return "", err
	}
	pt, err := seal.Open(k, b, seal.FieldAD("audit", strconv.FormatInt(seq, 10), "reason", v))
	if err != nil {
		return "", &SealError{Table: "audit", Row: strconv.FormatInt(seq, 10), Column: "reason", Err: err}
	}
	return string(pt), nil
}

// openOwnReason opens a reason (0xFE and its sealed bytes) with its wrapped key.
func (s *Store) openOwnReason(ctx context.Context, device string, seq int64, b []byte, v uint32, wrapped []byte) (string, error) {
	org, _, err := s.scopeKey(ctx, OrgScope, v)
	if err != nil {
		return "", err
	}
	row := device + "/" + strconv.FormatInt(seq, 10)
	k, err := keys.Unwrap(org, wrapped, reasonKeyLabel(device, seq, v))
	if err != nil {
		return "", &SealError{Table: "reason_keys", Row: row, Column: "wrapped", Err: err}
	}
	defer seal.Wipe(k)
	pt, err := seal.Open(k, b[1:], reasonAD(device, seq))
	if err != nil {
		return "", &SealError{Table: "audit", Row: row, Column: "reason", Err: err}
	}
	return string(pt), nil
}

// reasonKeyWire is a reason key as it travels with its entry: the org key version (4 bytes,
// big-endian) and the wrapped key.
func reasonKeyWire(v uint32, wrapped []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, v), wrapped...)
}

// checkRemoteReasonKey checks the reason key another device sent with entry seq: it must
// belong to a reason sealed under its own key and open it. ok is false (keep the entry, drop
// the key: the reason reads as expired here) when the org key version it is wrapped under is
// not held here, so a lagging device's trail is never stuck on it.
func (s *Store) checkRemoteReasonKey(ctx context.Context, device string, seq int64, reason, rk []byte) (v uint32, wrapped []byte, ok bool, err error) {
	if len(reason) == 0 || reason[0] != reasonOwnKey {
		return 0, nil, false, &RemoteError{fmt.Sprintf("audit entry %d carries a reason key for a reason not sealed under its own key", seq)}
	}
	if len(rk) <= 4 || len(rk) > 4+keys.Size+seal.Overhead+64 {
		return 0, nil, false, &RemoteError{fmt.Sprintf("audit entry %d carries a malformed reason key", seq)}
	}
	v, wrapped = binary.BigEndian.Uint32(rk[:4]), rk[4:]
	if _, _, err := s.scopeKey(ctx, OrgScope, v); errors.Is(err, ErrNotFound) {
		return 0, nil, false, nil
	} else if err != nil {
		return 0, nil, false, err
	}
	if _, err := s.openOwnReason(ctx, device, seq, reason, v, wrapped); err != nil {
		var se *SealError
		if errors.As(err, &se) {
			return 0, nil, false, &RemoteError{fmt.Sprintf("audit entry %d's reason key does not open its reason", seq)}
		}
		return 0, nil, false, err
	}
	return v, wrapped, true, nil
}

// expireReasons deletes, inside tx, the key of every break-glass reason of an entry (this
// device's trail or a copy of another's) made before before, and returns how many went.
func expireReasons(ctx context.Context, tx *sql.Tx, before int64) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM reason_keys WHERE (device_id, seq) IN (
		SELECT device_id, seq FROM audit WHERE at < ?1 AND reason IS NOT NULL
		UNION ALL SELECT device_id, seq FROM remote_audit WHERE at < ?1 AND reason IS NOT NULL)`, before)
	if err != nil {
		return 0, fmt.Errorf("expire reasons: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// expireReasonsOf deletes, inside tx, the key of every break-glass reason recorded about one
// customer (entries naming it as their target, here and in copies of other devices' trails),
// and returns how many went: for the erasure of that customer, since a reason is free text
// and may hold their personal data. The entries and the chain stay whole.
func expireReasonsOf(ctx context.Context, tx *sql.Tx, customerID string) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM reason_keys WHERE (device_id, seq) IN (
		SELECT device_id, seq FROM audit WHERE target = ?1 AND reason IS NOT NULL
		UNION ALL SELECT device_id, seq FROM remote_audit WHERE target = ?1 AND reason IS NOT NULL)`, customerID)
	if err != nil {
		return 0, fmt.Errorf("expire reasons: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// reasonsDue counts the reason keys expireReasons would delete.
func reasonsDue(ctx context.Context, q querier, before int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM reason_keys WHERE (device_id, seq) IN (
		SELECT device_id, seq FROM audit WHERE at < ?1 AND reason IS NOT NULL
		UNION ALL SELECT device_id, seq FROM remote_audit WHERE at < ?1 AND reason IS NOT NULL)`, before).Scan(&n)
	return n, err
}

// verifyReasonKeys checks every kept reason key: it belongs to an entry held here (this
// device's trail or a copy), whose reason is sealed under its own key, and opens it. A key
// deleted in the file cannot be told from an expired one (that is what expiry is).
func (s *Store) verifyReasonKeys(ctx context.Context, r *Report) error {
	rows, err := s.db.QueryContext(ctx, `SELECT k.device_id, k.seq, k.version, k.wrapped,
		COALESCE((SELECT a.reason FROM audit a WHERE a.device_id = k.device_id AND a.seq = k.seq),
			(SELECT a.reason FROM remote_audit a WHERE a.device_id = k.device_id AND a.seq = k.seq))
		FROM reason_keys k ORDER BY k.device_id, k.seq`)
	if err != nil {
		return err
	}
	type kept struct {
		device          string
		seq             int64
		v               uint32
		wrapped, reason []byte
	}
	var all []kept
	for rows.Next() {
		var k kept
		if err := rows.Scan(&k.device, &k.seq, &k.v, &k.wrapped, &k.reason); err != nil {
			rows.Close()
			return err
		}
		all = append(all, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range all {
		row := k.device + "/" + strconv.FormatInt(k.seq, 10)
		if len(k.reason) == 0 || k.reason[0] != reasonOwnKey {
			r.add("reason_keys", row, "-", "a reason key for no entry with a reason sealed under its own key (planted or moved)")
			continue
		}
		if _, err := s.openOwnReason(ctx, k.device, k.seq, k.reason, k.v, k.wrapped); err != nil {
			var se *SealError
			if !errors.As(err, &se) && !errors.Is(err, ErrNotFound) {
				return err
			}
			r.add("reason_keys", row, "wrapped", "the reason key does not open its reason (edited, moved or planted)")
		}
	}
	return nil
}
