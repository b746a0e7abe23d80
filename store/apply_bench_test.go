package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkApplyRemote110k applies another device's first sync of 10,000 new customers (about
// 110,000 field changes: a data key, six sealed fields and the plain columns each) through
// applyRemote alone, in sets of at most 5,000 records cut between rows as the sync engine cuts
// them, beside a plain-SQLite insert of the same rows (the same values, one prepared INSERT
// per row, one transaction per set, the same pragmas) in the same run, and beside that insert
// plus a plain copy of the change log Spoke kept before row clocks (migration 0009), for comparison
//
//	go test ./store/ -run '^$' -bench ApplyRemote110k -benchtime 3x
func BenchmarkApplyRemote110k(b *testing.B) {
	ctx := context.Background()
	src, _ := newTestStore(b)
	owner := signIn(b, src, "olga", "owner-password-1")
	shops, err := owner.Shops(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := owner.Batch(ctx, "bench.load", func(bt *Batch) error {
		for i := range 10000 {
			if _, err := bt.AddCustomer(CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i),
				Phone: "+1 415 555 0100", Address: "1 Main St", Notes: "bench", ShopID: shops[0].ID}, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	recs, err := src.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	scopes, _ := src.Scopes(ctx)
	ks, err := owner.ExportScopeKeys(ctx, scopes)
	if err != nil {
		b.Fatal(err)
	}
	var org, shop []ChangeRecord
	for _, r := range recs {
		if r.Scope == OrgScope {
			org = append(org, r)
		} else {
			shop = append(shop, r)
		}
	}
	sets := cutSets(shop, 5000)

	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dst, _, err := CreateReplica(ctx, b.TempDir(), testOptions())
			if err != nil {
				b.Fatal(err)
			}
			if err := dst.Replica().ImportScopeKeys(ctx, ks); err != nil {
				b.Fatal(err)
			}
			if _, err := dst.applyRemote(ctx, src.DeviceID(), OrgScope, org, 0); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			applied := 0
			for _, set := range sets {
				res, err := dst.applyRemote(ctx, src.DeviceID(), shops[0].ID, set, 0)
				if err != nil {
					b.Fatal(err)
				}
				applied += res.Applied
			}
			b.StopTimer()
			if applied != len(shop) {
				b.Fatalf("applied %d of %d", applied, len(shop))
			}
			dst.Close()
			b.ReportMetric(float64(len(shop)), "changes")
			b.ReportMetric(float64(len(sets)), "sets")
			b.StartTimer()
		}
	})
	b.Run("sqlite-baseline", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := plainCustomers(b, filepath.Join(b.TempDir(), "plain.db"))
			b.StartTimer()
			for _, set := range sets {
				if err := plainInsert(db, set); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
	})
	// The same rows plus the change log Spoke kept before row clocks (one record per field, its
	// table and index): how much of the gap that log accounted for.
	b.Run("sqlite-baseline-with-changelog", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := plainCustomers(b, filepath.Join(b.TempDir(), "plain.db"))
			if _, err := db.Exec(`CREATE TABLE changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, hlc INTEGER NOT NULL, device_id TEXT NOT NULL, scope TEXT NOT NULL,
				tbl TEXT NOT NULL, row_id TEXT NOT NULL, col TEXT NOT NULL, value ANY, sealed INTEGER NOT NULL) STRICT;
				CREATE INDEX changes_field ON changes(row_id, col, hlc)`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for _, set := range sets {
				if err := plainInsert(db, set); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkApplyRemoteUpdates applies later writes of two fields (the sealed name, updated_at)
// of each of 10,000 customers this device already holds (the merge against held fields),
// beside plain SQLite updating the same rows with the same values, in the same run.
//
//	go test ./store/ -run '^$' -bench ApplyRemoteUpdates -benchtime 3x
func BenchmarkApplyRemoteUpdates(b *testing.B) {
	ctx := context.Background()
	src, _ := newTestStore(b)
	owner := signIn(b, src, "olga", "owner-password-1")
	shops, err := owner.Shops(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := owner.Batch(ctx, "bench.load", func(bt *Batch) error {
		for i := range 10000 {
			if _, err := bt.AddCustomer(CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i),
				Phone: "+1 415 555 0100", ShopID: shops[0].ID}, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	recs, _ := src.LocalChanges(ctx, 0, 1<<30)
	scopes, _ := src.Scopes(ctx)
	ks, err := owner.ExportScopeKeys(ctx, scopes)
	if err != nil {
		b.Fatal(err)
	}
	var org, shop, later []ChangeRecord
	for _, r := range recs {
		switch {
		case r.Scope == OrgScope:
			org = append(org, r)
		default:
			shop = append(shop, r)
			if r.Column == "name" || r.Column == "updated_at" {
				r.HLC += 1 << 20 // a later write; a sealed value's binding does not include its clock
				if v, ok := r.Value.(int64); ok {
					r.Value = v + 1
				}
				later = append(later, r)
			}
		}
	}
	sets := cutSets(later, 5000)
	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dst, _, err := CreateReplica(ctx, b.TempDir(), testOptions())
			if err != nil {
				b.Fatal(err)
			}
			if err := dst.Replica().ImportScopeKeys(ctx, ks); err != nil {
				b.Fatal(err)
			}
			if _, err := dst.applyRemote(ctx, src.DeviceID(), OrgScope, org, 0); err != nil {
				b.Fatal(err)
			}
			for _, set := range cutSets(shop, 5000) {
				if _, err := dst.applyRemote(ctx, src.DeviceID(), shops[0].ID, set, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			applied := 0
			for _, set := range sets {
				res, err := dst.applyRemote(ctx, src.DeviceID(), shops[0].ID, set, 0)
				if err != nil {
					b.Fatal(err)
				}
				applied += res.Applied
			}
			b.StopTimer()
			if applied != len(later) {
				b.Fatalf("applied %d of %d", applied, len(later))
			}
			dst.Close()
			b.ReportMetric(float64(len(later)), "changes")
			b.StartTimer()
		}
	})
	// The same rows in plain SQLite, each updated with the same two values: one prepared
	// UPDATE per row, one transaction per set.
	b.Run("sqlite-baseline", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := plainCustomers(b, filepath.Join(b.TempDir(), "plain.db"))
			for _, set := range cutSets(shop, 5000) {
				if err := plainInsert(db, set); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			for _, set := range sets {
				if err := plainUpdate(db, set); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
	})
}

// plainUpdate writes a set's name and updated_at records into their plain rows, one
// prepared UPDATE per row, in one transaction.
func plainUpdate(db *sql.DB, set []ChangeRecord) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.Prepare("UPDATE customers SET name = ?, updated_at = ? WHERE id = ?")
	if err != nil {
		return err
	}
	defer st.Close()
	for i := 0; i+1 < len(set); i += 2 {
		name, at := set[i], set[i+1]
		if name.Column != "name" {
			name, at = at, name
		}
		if _, err := st.Exec(name.Value, at.Value, name.RowID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// cutSets splits records into sets of at most n, cut between rows.
func cutSets(recs []ChangeRecord, n int) [][]ChangeRecord {
	var out [][]ChangeRecord
	for len(recs) > 0 {
		k := min(len(recs), n)
		if k < len(recs) {
			for k > 1 && recs[k].RowID == recs[k-1].RowID {
				k--
			}
		}
		out = append(out, recs[:k])
		recs = recs[k:]
	}
	return out
}

// plainCustomerCols are the columns a customer's change records carry.
var plainCustomerCols = []string{"shop_id", "owner_id", "dek", "dek_version", "name", "email", "phone", "address", "birthday", "notes", "created_at", "updated_at", "deleted_at", "phone_alt", "source"}

// plainCustomers is what an app without sync, sealing or a change log would keep: the
// customers table with a NOCASE name index and an e-mail index, Spoke's pragmas.
func plainCustomers(b *testing.B, path string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers(id TEXT PRIMARY KEY, ` + strings.Join(plainCustomerCols, ", ") + `);
		CREATE INDEX plain_name ON customers(name COLLATE NOCASE); CREATE INDEX plain_email ON customers(email)`); err != nil {
		b.Fatal(err)
	}
	return db
}

// plainInsert inserts the rows a set's records make, one prepared INSERT per row, in one
// transaction; where the database has a changes table, it also logs every record there, 64 per
// INSERT, as Spoke does.
func plainInsert(db *sql.DB, set []ChangeRecord) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.Prepare("INSERT INTO customers(id, " + strings.Join(plainCustomerCols, ", ") + ") VALUES(?" + strings.Repeat(", ?", len(plainCustomerCols)) + ")")
	if err != nil {
		return err
	}
	defer st.Close()
	pos := map[string]int{}
	for i, c := range plainCustomerCols {
		pos[c] = i + 1
	}
	args := make([]any, len(plainCustomerCols)+1)
	flush := func() error {
		if args[0] == nil {
			return nil
		}
		_, err := st.Exec(args...)
		clear(args)
		return err
	}
	var logged bool
	if err := tx.QueryRow("SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = 'changes')").Scan(&logged); err != nil {
		return err
	}
	if logged {
		const batch = 64
		row := "(?, ?, ?, ?, ?, ?, ?, ?)"
		log, err := tx.Prepare("INSERT INTO changes(hlc, device_id, scope, tbl, row_id, col, value, sealed) VALUES" + strings.TrimSuffix(strings.Repeat(row+",", batch), ","))
		if err != nil {
			return err
		}
		defer log.Close()
		var vals []any
		for i, r := range set {
			vals = append(vals, int64(r.HLC), r.Device, r.Scope, r.Table, r.RowID, r.Column, r.Value, r.Sealed)
			if len(vals) == batch*8 || i == len(set)-1 {
				st := log
				if len(vals) < batch*8 {
					if st, err = tx.Prepare("INSERT INTO changes(hlc, device_id, scope, tbl, row_id, col, value, sealed) VALUES" + strings.TrimSuffix(strings.Repeat(row+",", len(vals)/8), ",")); err != nil {
						return err
					}
					defer st.Close()
				}
				if _, err := st.Exec(vals...); err != nil {
					return err
				}
				vals = vals[:0]
			}
		}
	}
	for _, r := range set {
		if r.RowID != args[0] {
			if err := flush(); err != nil {
				return err
			}
			args[0] = r.RowID
		}
		i, ok := pos[r.Column]
		if !ok {
			return fmt.Errorf("plain baseline: no column %s", r.Column)
		}
		args[i] = r.Value
	}
	if err := flush(); err != nil {
		return err
	}
	return tx.Commit()
}
