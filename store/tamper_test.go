package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

type tamperFixture struct {
	dir                string
	c1, c2, bike, shop string
}

func newTamperFixture(t *testing.T) tamperFixture {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	c1 := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "n1"}))
	c2 := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper", Email: "grace@example.com", Phone: "+1 415 555 0102"}))
	bike := must[string](t)(owner.AddBike(ctx, c1, Bike{Make: "Surly", Model: "Straggler", Serial: "SUR-123-456"}))
	dir := st.Dir()
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("fresh store does not verify: %v %+v", err, r)
	}
	st.Close()
	return tamperFixture{dir: dir, c1: c1, c2: c2, bike: bike, shop: shops[0].ID}
}

func TestTamperDetected(t *testing.T) {
	type where struct{ table, row, column string }
	tests := []struct {
		name   string
		mutate func(t *testing.T, db *sql.DB, f tamperFixture) []string // SQL to run after
		want   func(f tamperFixture) []where
		read   bool // reading c1 must fail with ErrTampered
	}{
		{"flipped sealed e-mail", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "customers", "email", "id = ?", f.c1)
			return nil
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "email"}} }, true},
		{"flipped sealed serial", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "bikes", "serial", "id = ?", f.bike)
			return nil
		}, func(f tamperFixture) []where { return []where{{"bikes", f.bike, "serial"}} }, true},
		{"flipped wrapped customer key", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "customers", "dek", "id = ?", f.c1)
			return nil
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "dek"}} }, true},
		{"flipped wrapped shop key", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "scope_keys", "wrapped", "scope = ?", f.shop)
			return nil
		}, func(f tamperFixture) []where { return []where{{"scope_keys", f.shop, "v1"}} }, true},
		{"flipped blind index", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "customers", "email_bidx", "id = ?", f.c1)
			return nil
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "email_bidx"}} }, false},
		{"swapped names between rows", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{
				"UPDATE customers SET notes = (SELECT name FROM customers WHERE id = '" + f.c2 + "') WHERE id = '" + f.c1 + "'",
				"UPDATE customers SET name = (SELECT name FROM customers WHERE id = '" + f.c1 + "') WHERE id = '" + f.c2 + "'",
				"UPDATE customers SET name = notes WHERE id = '" + f.c1 + "'",
				"UPDATE customers SET notes = NULL WHERE id = '" + f.c1 + "'",
			}
		}, func(f tamperFixture) []where {
			return []where{{"customers", f.c1, "name"}, {"customers", f.c2, "name"}}
		}, true},
		{"sealed value moved to another column", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE customers SET address = email WHERE id = '" + f.c1 + "'"}
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "address"}} }, true},
		{"business column edited", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE customers SET owner_id = (SELECT id FROM users WHERE username = 'sam') WHERE id = '" + f.c1 + "'"}
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "owner_id"}} }, true},
		{"row clock edited", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE row_clocks SET hlc = hlc + 1 WHERE id = unhex(replace('" + f.c1 + "', '-', ''))"}
		}, func(f tamperFixture) []where { return []where{{"customers", f.c1, "clock"}} }, true},
		{"row deleted with its clock", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DELETE FROM bikes WHERE id = '" + f.bike + "'", "DELETE FROM row_clocks WHERE id = unhex(replace('" + f.bike + "', '-', ''))"}
		}, func(f tamperFixture) []where { return []where{{"row_clocks", "-", "-"}, {"bikes", "-", "-"}} }, false},
		{"row deleted, its clock left", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DELETE FROM bikes WHERE id = '" + f.bike + "'"}
		}, func(f tamperFixture) []where { return []where{{"bikes", f.bike, "-"}} }, false},
		{"row added in the file", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"INSERT INTO bikes(id, customer_id, shop_id, make, model, created_at, updated_at) SELECT '01234567-89ab-7def-8123-456789abcdef', customer_id, shop_id, 'Fake', 'Bike', 0, 0 FROM bikes WHERE id = '" + f.bike + "'"}
		}, func(f tamperFixture) []where { return []where{{"bikes", "01234567-89ab-7def-8123-456789abcdef", "-"}} }, false},
		{"integrity state edited", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			flip(t, db, "meta", "value", "key = 'integrity'")
			return nil
		}, func(f tamperFixture) []where { return []where{{"meta", "integrity", "value"}} }, false},
		{"trigger planted", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"CREATE TRIGGER evil AFTER INSERT ON audit BEGIN UPDATE customers SET owner_id = owner_id; END"}
		}, func(f tamperFixture) []where { return []where{{"sqlite_schema", "evil", "trigger"}} }, false},
		{"device number remapped", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE devices SET id = 'another-device' WHERE n = 1"}
		}, func(f tamperFixture) []where { return []where{{"devices", "-", "id"}} }, false},
		{"index dropped", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DROP INDEX customers_email_bidx"}
		}, func(f tamperFixture) []where { return []where{{"sqlite_schema", "customers_email_bidx", "index"}} }, false},
		{"integrity state deleted", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DELETE FROM meta WHERE key = 'integrity'"}
		}, func(f tamperFixture) []where { return []where{{"meta", "integrity", "-"}} }, false},
		{"edited audit entry", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE audit SET action = 'customer.lookup' WHERE seq = 3"}
		}, func(f tamperFixture) []where { return []where{{"audit", "3", "mac"}} }, false},
		{"deleted audit entry", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DELETE FROM audit WHERE seq = 4"}
		}, func(f tamperFixture) []where { return []where{{"audit", "4", "mac"}} }, false},
		{"audit tail truncated", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"DELETE FROM audit WHERE seq > 5"}
		}, func(f tamperFixture) []where { return []where{{"audit", "6", "mac"}} }, false},
		{"role raised in the file", func(t *testing.T, db *sql.DB, f tamperFixture) []string {
			return []string{"UPDATE users SET roles = 'owner', shop_id = NULL WHERE username = 'sam'"}
		}, func(f tamperFixture) []where { return []where{{"users", "", "mac"}} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newTamperFixture(t)
			db := rawDB(t, f.dir)
			for _, q := range tc.mutate(t, db, f) {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
			st, err := Open(ctx, f.dir, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want(f) {
				found := false
				for _, p := range r.Problems {
					if p.Table == w.table && strings.HasPrefix(p.Row, w.row) && p.Column == w.column {
						found = true
					}
				}
				if !found {
					t.Errorf("verify did not report %s %s %s; got %v", w.table, w.row, w.column, r.Problems)
				}
			}
			if tc.read {
				ss := signIn(t, st, "olga", "owner-password-1")
				card, err := ss.Customer(ctx, f.c1, "")
				if !errors.Is(err, ErrTampered) {
					t.Fatalf("read of a tampered customer: err = %v, card = %v", err, card != nil)
				}
			}
			if strings.HasPrefix(tc.name, "trigger") || strings.HasPrefix(tc.name, "device") {
				if _, err := st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, ErrTampered) {
					t.Fatalf("sign-in over a planted trigger: %v", err)
				}
			}
			if tc.name == "role raised in the file" {
				if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrTampered) {
					t.Fatalf("sign-in with an edited role: %v", err)
				}
			}
		})
	}
}

// flip flips one bit in the middle of a BLOB column of the rows matching where.
func flip(t *testing.T, db *sql.DB, table, col, where string, args ...any) {
	t.Helper()
	rows, err := db.Query("SELECT rowid, "+col+" FROM "+table+" WHERE "+where, args...)
	if err != nil {
		t.Fatal(err)
	}
	type hit struct {
		rowid int64
		v     []byte
	}
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.rowid, &h.v); err != nil {
			t.Fatal(err)
		}
		hits = append(hits, h)
	}
	rows.Close()
	if len(hits) == 0 {
		t.Fatalf("nothing to flip in %s.%s", table, col)
	}
	for _, h := range hits {
		h.v[len(h.v)/2] ^= 1
		if _, err := db.Exec("UPDATE "+table+" SET "+col+" = ? WHERE rowid = ?", h.v, h.rowid); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWrongPassphraseLosesNothing(t *testing.T) {
	ctx := context.Background()
	st, code := newTestStore(t)
	dir := st.Dir()
	st.Close()
	if _, err := Open(ctx, dir, Options{Passphrase: "wrong", KDF: fastKDF}); err == nil || !strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(ctx, dir, Options{KDF: fastKDF}); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("no passphrase: %v", err)
	}
	st2, err := Open(ctx, dir, Options{RecoveryCode: code, KDF: fastKDF})
	if err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	st2.Close()
	st3, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st3.Close()
	if r, err := st3.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after failed unlocks: %v %v", err, r.Problems)
	}
}
