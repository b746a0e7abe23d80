package store

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// scopeIn is scopeOfRows's expression for a row aliased x.
func scopeIn(table string) string {
	e := scopeOfRows[table]
	if e == "shop_id" {
		return "x.shop_id"
	}
	return strings.NewReplacer("= work_order_id", "= x.work_order_id", "= sale_id", "= x.sale_id").Replace(e)
}

// downgradeClocks turns a database back into what schema 8 held, for tests of older upgrades:
// a change log rebuilt from the rows and their clocks (one record per logged cell), the clock
// tables and the integrity state gone, and the audit trail's integrity tokens stripped (the
// chain re-MAC'd with auditKey). It returns the new newest entry's seq and MAC.
func downgradeClocks(t *testing.T, db *sql.DB, auditKey []byte) (int64, []byte) {
	t.Helper()
	qs := []string{`CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, hlc INTEGER NOT NULL, device_id TEXT NOT NULL,
		scope TEXT NOT NULL, tbl TEXT NOT NULL, row_id TEXT NOT NULL, col TEXT NOT NULL, value ANY, sealed INTEGER NOT NULL) STRICT`,
		"CREATE INDEX changes_field ON changes(row_id, col, hlc)"}
	for code, tb := range schema {
		if !tb.synced {
			continue
		}
		for ci, c := range tb.cols {
			if c.class == Derived {
				continue
			}
			sealed := 0
			if c.class == Personal {
				sealed = 1
			}
			qs = append(qs, fmt.Sprintf(`INSERT INTO changes(hlc, device_id, scope, tbl, row_id, col, value, sealed)
				SELECT COALESCE(cc.hlc, r.hlc), d.id, %s, '%s', x.id, '%s', x.%s, %d
				FROM %s x JOIN row_clocks r ON r.id = unhex(replace(x.id, '-', '')) AND r.tbl = %d
				LEFT JOIN cell_clocks cc ON cc.id = r.id AND cc.col = %d
				JOIN devices d ON d.n = COALESCE(cc.dev, r.dev)
				WHERE x.%s IS NOT NULL OR cc.id IS NOT NULL`,
				scopeIn(tb.name), tb.name, c.name, c.name, sealed, tb.name, code, ci, c.name))
		}
	}
	qs = append(qs, "DROP TABLE row_clocks", "DROP TABLE cell_clocks", "DROP TABLE devices", "DELETE FROM meta WHERE key = 'integrity'",
		"ALTER TABLE conflicts DROP COLUMN mac") // and what migration 11 added
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows, err := db.Query("SELECT seq, at, user_id, device_id, action, target, fields, outcome, detail, reason FROM audit ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		seq, at                                               int64
		user, device, action, target, fields, outcome, detail string
		reason                                                []byte
	}
	var all []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.at, &e.user, &e.device, &e.action, &e.target, &e.fields, &e.outcome, &e.detail, &e.reason); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	rows.Close()
	// and what migration 18 added (an entry's context)
	for _, q := range []string{"ALTER TABLE audit DROP COLUMN role", "ALTER TABLE audit DROP COLUMN shop_id", "ALTER TABLE audit DROP COLUMN grant_used",
		"ALTER TABLE remote_audit DROP COLUMN role", "ALTER TABLE remote_audit DROP COLUMN shop_id", "ALTER TABLE remote_audit DROP COLUMN grant_used"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var prev []byte
	var last int64
	for _, e := range all {
		if e.action == actionSeal {
			t.Fatal("downgradeClocks: the trail holds a seal entry")
		}
		e.detail = withoutToken(e.detail)
		mac := auditMAC(auditKey, e.seq, e.at, e.user, e.device, e.action, e.target, e.fields, e.outcome, e.detail, e.reason, prev, auditCtx{}) // before entries had a context
		if _, err := db.Exec("UPDATE audit SET detail = ?, mac = ? WHERE seq = ?", e.detail, mac, e.seq); err != nil {
			t.Fatal(err)
		}
		prev, last = mac, e.seq
	}
	return last, prev
}
