package store

import (
	"context"
	"slices"
	"testing"
)

// TestSchemaRegistryMatchesDatabase: every column of every synced table in the migrated
// database is declared in the registry and every declared column exists, so a column added by
// a migration but not classified (personal? derived?) fails here instead of syncing in clear.
func TestSchemaRegistryMatchesDatabase(t *testing.T) {
	st, _ := newTestStore(t)
	db := st.db
	ctx := context.Background()
	var names []string
	for _, tb := range schema {
		names = append(names, tb.name)
		rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", tb.name)
		if err != nil {
			t.Fatal(err)
		}
		var inDB []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			inDB = append(inDB, n)
		}
		rows.Close()
		if len(inDB) == 0 {
			t.Errorf("registry table %s does not exist", tb.name)
			continue
		}
		if !tb.synced {
			continue
		}
		for _, n := range inDB {
			if n != "id" && classOf(tb.name, n) == 0 {
				t.Errorf("%s.%s is in the database but not in the registry", tb.name, n)
			}
		}
		for _, c := range tb.cols {
			if !slices.Contains(inDB, c.name) {
				t.Errorf("%s.%s is in the registry but not in the database", tb.name, c.name)
			}
		}
	}
	// Every table holding rows of the database (bar the device's own bookkeeping) is content.
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// Not content: the change log and conflicts (covered by count and seq, authenticated by
	// Verify), other devices' audit copies, the device list and sync bookkeeping.
	notContent := map[string]bool{"changes": true, "conflicts": true, "remote_audit": true, "roster": true,
		"sync_applied": true, "sync_held": true, "sync_outbox": true}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if !slices.Contains(names, n) && !notContent[n] {
			t.Errorf("table %s is neither in the registry nor listed as device bookkeeping", n)
		}
	}
}

// TestSchemaClasses pins the classification the privacy promise rests on: which columns are
// sealed, which never leave the device, which carry blind indexes.
func TestSchemaClasses(t *testing.T) {
	for _, tc := range []struct {
		table, col string
		want       Class
	}{
		{"customers", "name", Personal}, {"customers", "email", Personal}, {"customers", "phone", Personal},
		{"customers", "address", Personal}, {"customers", "birthday", Personal}, {"customers", "notes", Personal},
		{"customers", "email_bidx", Derived}, {"customers", "phone_bidx", Derived}, {"customers", "shop_id", Business},
		{"bikes", "serial", Personal}, {"bikes", "serial_bidx", Derived}, {"bikes", "frame_size", Business},
		{"work_orders", "complaint", Personal}, {"work_orders", "notes", Personal}, {"work_orders", "total", Derived},
		{"users", "display_name", Personal}, {"users", "password_hash", Business},
		{"sales", "total", Derived}, {"sale_lines", "unit_price", Business},
	} {
		if got := classOf(tc.table, tc.col); got != tc.want {
			t.Errorf("%s.%s: class %d, want %d", tc.table, tc.col, got, tc.want)
		}
	}
	for table, cols := range syncColumns {
		for _, c := range cols {
			if classOf(table, c) == Derived {
				t.Errorf("%s.%s is derived but would sync", table, c)
			}
		}
	}
}

// TestDerivedNeverLogged: no change record, after a day's writes, carries a derived column,
// and every personal column's records are sealed.
func TestDerivedNeverLogged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rows, err := f.st.db.QueryContext(ctx, "SELECT DISTINCT tbl, col, sealed FROM changes")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var tbl, c string
		var sealed bool
		rows.Scan(&tbl, &c, &sealed)
		n++
		switch class := classOf(tbl, c); {
		case class == 0:
			t.Errorf("change log carries %s.%s, unknown to the registry", tbl, c)
		case class == Derived:
			t.Errorf("change log carries derived %s.%s", tbl, c)
		case (class == Personal) != sealed:
			t.Errorf("%s.%s logged with sealed=%v", tbl, c, sealed)
		}
	}
	if n == 0 {
		t.Fatal("the fixture wrote nothing")
	}
}
