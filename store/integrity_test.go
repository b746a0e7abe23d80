package store

import (
	"context"
	"crypto/hmac"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"spoke/crypto/lthash"
)

// TestOlderRowPutBack: a genuine older copy of a row, with its genuine older clock and MAC,
// put back into the file passes its own MAC, but not the sum: verify names it, and the
// integrity state no longer matches.
func TestOlderRowPutBack(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	id := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	key := must[[]byte](t)(rowKeyOf(id))
	type saved struct {
		row   []any
		clock []any
	}
	save := func() saved {
		var s saved
		vals, _, err := readRows(ctx, st.db, tables["customers"], []string{id})
		if err != nil {
			t.Fatal(err)
		}
		s.row = vals[id]
		var a, b, c, d, e, f, g, h any
		if err := st.db.QueryRow("SELECT id, tbl, hlc, dev, base_seq, seq, flags, mac FROM row_clocks WHERE id = ?", key).Scan(&a, &b, &c, &d, &e, &f, &g, &h); err != nil {
			t.Fatal(err)
		}
		s.clock = []any{a, b, c, d, e, f, g, h}
		return s
	}
	before := save()
	// The owner moves the customer to sam and changes the e-mail.
	shops := must[[]Shop](t)(owner.Shops(ctx))
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	if err := owner.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada Lovelace", Email: "ada.new@example.com"}); err != nil {
		t.Fatal(err)
	}
	dir := st.Dir()
	st.Close()
	db := rawDB(t, dir)
	cols := must[[]string](t)(queryStrings(ctx, db, "SELECT name FROM pragma_table_info('customers')"))
	set := ""
	for i, c := range cols {
		if i > 0 {
			set += ", "
		}
		set += c + " = ?"
	}
	if _, err := db.Exec("UPDATE customers SET "+set+" WHERE id = ?", append(slices.Clone(before.row), id)...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM cell_clocks WHERE id = ?", key); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT OR REPLACE INTO row_clocks(id, tbl, hlc, dev, base_seq, seq, flags, mac) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", before.clock...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st2, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	r := must[*Report](t)(st2.Verify(ctx))
	if !hasProblem(r, "row_clocks", "-", "-", "sum of row MACs") {
		t.Fatalf("an older genuine row put back: %v", r.Problems)
	}
}

// TestOlderStatePutBack: the rows and their integrity state replaced by an older, consistent,
// genuine copy (the audit trail kept, as it is anchored outside the file) is refused at
// sign-in and named by verify: the newest write's audit entry names another state.
func TestOlderStatePutBack(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	old := filepath.Join(t.TempDir(), "old.db")
	if _, err := st.db.Exec("VACUUM INTO ?", old); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper", Email: "grace@example.com"}))
	dir := st.Dir()
	st.Close()
	db := rawDB(t, dir)
	if _, err := db.Exec("ATTACH DATABASE ? AS old", old); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DELETE FROM main.customers", "INSERT INTO main.customers SELECT * FROM old.customers",
		"DELETE FROM main.row_clocks", "INSERT INTO main.row_clocks SELECT * FROM old.row_clocks",
		"DELETE FROM main.cell_clocks", "INSERT INTO main.cell_clocks SELECT * FROM old.cell_clocks",
		"UPDATE main.meta SET value = (SELECT value FROM old.meta WHERE key = 'integrity') WHERE key = 'integrity'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	st2, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, err := st2.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, ErrTampered) {
		t.Fatalf("sign-in over an older state: %v", err)
	}
	r := must[*Report](t)(st2.Verify(ctx))
	if !hasProblem(r, "meta", "integrity", "value", "not the one the last write left") {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// TestTerminalRowTakesNoMerge: a row this device deleted for good keeps its clock, terminal,
// and no later change-set writes into it or brings it back, whatever its clocks say.
func TestTerminalRowTakesNoMerge(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Erase Me", Email: "erase@example.com"}))
	exchange(t, A, B)
	// Deleted on B (what erasure will do): the row goes, its clock stays, marked terminal.
	if err := B.st.write(ctx, storeActor, "test.delete", func(w *wtx) error {
		_, err := w.tx.ExecContext(w.ctx, "DELETE FROM customers WHERE id = ?", id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	key := must[[]byte](t)(rowKeyOf(id))
	rc := must[map[string]*rowClock](t)(readClocks(ctx, B.st.db, [][]byte{key}))[string(key)]
	if rc == nil || rc.flags&flagTerminal == 0 {
		t.Fatalf("the deleted row's clock: %+v", rc)
	}
	// A concurrent edit on A, newer than everything: refused into B's erased row.
	if err := ownerA.UpdateCustomer(ctx, id, CustomerInput{Name: "Still Here", Email: "erase@example.com"}); err != nil {
		t.Fatal(err)
	}
	res := exchange(t, A, B)
	if res.Applied != 0 {
		t.Fatalf("%+v: an edit was merged into an erased row", res)
	}
	var n int
	B.st.db.QueryRow("SELECT COUNT(*) FROM customers WHERE id = ?", id).Scan(&n)
	if n != 0 {
		t.Fatal("the erased row came back")
	}
	if r := must[*Report](t)(B.st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// TestRowWrittenInTheSameTransactionReads: a customer inserted or edited earlier in the same
// transaction (its clock and MAC are written at commit) reads back there without a false alarm.
func TestRowWrittenInTheSameTransactionReads(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	old := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	err := owner.Batch(ctx, "test.batch", func(b *Batch) error {
		if _, err := b.w.tx.ExecContext(ctx, "UPDATE customers SET updated_at = updated_at + 1 WHERE id = ?", old); err != nil {
			return err
		}
		if _, err := st.loadCust(ctx, b.w.tx, old); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// FuzzIntegrityState: a stored state read from the file is parsed before anything trusts it:
// any bytes either parse (and then fail or pass the MAC) or are refused; nothing panics, and a
// state that authenticates is exactly the one encoded.
func FuzzIntegrityState(f *testing.F) {
	key := make([]byte, 32)
	st := &integrityState{sum: &lthash.Hash{}, maxSeq: 7, counts: []int64{0, 0, 1, 2, 3}}
	st.sum.Add([]byte("row"))
	f.Add(st.encode(key))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, mac, ok := parseState(b)
		if !ok {
			return
		}
		if hmac.Equal(p.mac(key), mac) && string(p.encode(key)) != string(b) {
			t.Fatal("an authenticated state does not encode back to its bytes")
		}
	})
}

// FuzzRowKey: row ids from a change-set or the file: only canonical UUIDs have a key, and a key
// gives back the same id.
func FuzzRowKey(f *testing.F) {
	f.Add("01a233bc-0832-7d7a-b718-36d3baaa5e2c")
	f.Add("{01a233bc-0832-7d7a-b718-36d3baaa5e2c}")
	f.Add("01A233BC-0832-7D7A-B718-36D3BAAA5E2C")
	f.Fuzz(func(t *testing.T, id string) {
		k, err := rowKeyOf(id)
		if err != nil {
			return
		}
		back, err := rowIDOf(k)
		if err != nil || back != id {
			t.Fatalf("%q -> %x -> %q %v", id, k, back, err)
		}
	})
}

// TestMergeDoesNotSealATamperedRow: a clock raised in the file (so every incoming edit would
// lose) is caught before the merge writes over the row: the set fails as tampering, nothing is
// re-MAC'd, and verify still names the row.
func TestMergeDoesNotSealATamperedRow(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	exchange(t, A, B)
	if _, err := B.st.db.Exec("UPDATE row_clocks SET hlc = 4611686018427387904 WHERE id = unhex(replace(?, '-', ''))", id); err != nil {
		t.Fatal(err)
	}
	if err := ownerA.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada King", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	recs := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, 0, 1<<30))
	var shop []ChangeRecord
	for _, r := range recs {
		if r.RowID == id {
			shop = append(shop, r)
		}
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shop[0].Scope, shop, 0); !errors.Is(err, ErrTampered) {
		t.Fatalf("a merge over a row with a raised clock: %v", err)
	}
	r := must[*Report](t)(B.st.Verify(ctx))
	if !hasProblem(r, "customers", id, "clock", "fails authentication") {
		t.Fatalf("verify after the refused merge: %v", r.Problems)
	}
}
