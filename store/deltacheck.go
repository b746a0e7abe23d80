package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
)

// CheckDelta proves, without the chain it continues, that a delta file (from BackupDelta) is
// what this database wrote between the snapshots from and to: every row it carries has a clock
// and a MAC under this database's integrity key and a version inside (from, to]; every clock
// it carries has its row; its audit entries continue the chain from from's head to to's,
// entry by entry under the audit key; its integrity state authenticates, records to's newest
// version and counts, and is the one its newest write's entry names (or from's, when it holds
// no write). It reads the delta only: what a restore drill of an incremental needs once its
// parent's drill has passed, in time proportional to the change.
func (k *BackupKeys) CheckDelta(ctx context.Context, path string, from, to *Snapshot) error {
	return k.s.checkDelta(ctx, path, from, to)
}

func (s *Store) checkDelta(ctx context.Context, path string, from, to *Snapshot) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("delta: %s: %w", fmt.Sprintf(format, args...), ErrTampered)
	}
	key, err := s.integrityKey()
	if err != nil {
		return err
	}
	// The state it brings the database to.
	b, err := getMeta(ctx, db, metaIntegrity)
	if err != nil {
		return bad("no integrity state")
	}
	st, mac, ok := parseState(b)
	if !ok || !hmac.Equal(st.mac(key), mac) {
		return bad("the integrity state fails authentication")
	}
	d := sha256.Sum256(st.body())
	if hex.EncodeToString(d[:]) != to.ContentHash || st.maxSeq != to.ChangeSeq {
		return bad("the integrity state is not the manifest's")
	}
	for code, t := range schema {
		if t.synced && st.count(code) != to.Counts[t.name] {
			return bad("%s counts differ from the manifest's", t.name)
		}
	}
	// Every row it carries, with its clock and MAC.
	devs, err := loadDevices(ctx, db)
	if err != nil {
		return err
	}
	rows := 0
	err = eachRow(ctx, db, func(t *table, rc *rowClock, names []string, vals []any) error {
		id, _ := rowIDOf(rc.id)
		rows++
		switch {
		case rc.seq <= from.ChangeSeq || rc.seq > to.ChangeSeq:
			return bad("%s %s has version %d outside (%d, %d]", t.name, id, rc.seq, from.ChangeSeq, to.ChangeSeq)
		case vals == nil && rc.flags&flagTerminal == 0:
			return bad("%s %s: a clock without its row", t.name, id)
		case rc.mac == nil || !macOK(rc.mac, rowMACTags(key, t, names, vals, rc, devs, false)):
			return bad("%s %s fails authentication", t.name, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for code, t := range schema {
		if !t.synced {
			continue
		}
		if gone, err := t.missing(ctx, db, "main"); err != nil || gone {
			if err != nil {
				return err
			}
			continue
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.name+" x WHERE NOT EXISTS(SELECT 1 FROM row_clocks r WHERE r.id = unhex(replace(x.id, '-', '')) AND r.tbl = ?)", code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return bad("%d %s rows without a clock", n, t.name)
		}
	}
	// The audit entries since from, chained on from's head.
	akey, err := s.orgDerived(ctx, purposeAudit)
	if err != nil {
		return err
	}
	prev, err := hex.DecodeString(from.AuditHead)
	if err != nil {
		return bad("the parent's audit head does not parse")
	}
	// A delta written before audit entries recorded their context has no such columns: its
	// entries are all v1.
	ctxCols := "'', '', ''"
	if ok, err := hasColumn(ctx, db, "audit", "grant_used"); err != nil {
		return err
	} else if ok {
		ctxCols = "role, shop_id, grant_used"
	}
	ar, err := db.QueryContext(ctx, "SELECT seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac, "+ctxCols+" FROM audit ORDER BY seq")
	if err != nil {
		return err
	}
	defer ar.Close()
	want, parentState := from.AuditSeq+1, from.ContentHash
	lastToken := ""
	for ar.Next() {
		var seq, at int64
		var user, dev, action, target, fields, outcome, detail string
		var reason, m []byte
		var c auditCtx
		if err := ar.Scan(&seq, &at, &user, &dev, &action, &target, &fields, &outcome, &detail, &reason, &m, &c.role, &c.shop, &c.grant); err != nil {
			return err
		}
		if seq != want || !hmac.Equal(m, auditMAC(akey, seq, at, user, dev, action, target, fields, outcome, detail, reason, prev, c)) {
			return bad("audit entry %d does not continue the chain", seq)
		}
		if i := strings.Index(detail, tokenKey); i >= 0 {
			lastToken = strings.Fields(detail[i:])[0]
		}
		prev, want = m, want+1
	}
	if err := ar.Err(); err != nil {
		return err
	}
	if want-1 != to.AuditSeq || hex.EncodeToString(prev) != to.AuditHead {
		return bad("the audit entries end at %d, the manifest's head is %d", want-1, to.AuditSeq)
	}
	switch {
	case lastToken != "" && lastToken != tokenKey+st.token():
		return bad("the newest write's audit entry names another integrity state")
	case lastToken == "" && to.ContentHash != parentState:
		return bad("no write since the parent, yet another integrity state")
	}
	return nil
}

// hasColumn reports whether table has column in the database q reads.
func hasColumn(ctx context.Context, q querier, table, column string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, column).Scan(&n)
	return n > 0, err
}
