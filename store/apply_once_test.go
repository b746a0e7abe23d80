package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The merge authenticates each sealed value once: a value checked as its row's value is not
// opened again as an incoming one. These tests hold that the shortcut covers only that case:
// an incoming value that is not the row's (overwritten later in the same set, or losing the
// merge) is still checked, and so is a value of a touched row that the set did not write.

// shopSince returns the shop-scope records A logged after seq.
func shopSince(t *testing.T, A *testDevice, seq int64) []ChangeRecord {
	t.Helper()
	recs, err := A.st.LocalChanges(context.Background(), seq, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []ChangeRecord
	for _, r := range recs {
		if r.Scope != OrgScope {
			out = append(out, r)
		}
	}
	return out
}

func flipped(v any) []byte {
	b := slices.Clone(v.([]byte))
	b[len(b)/2] ^= 1
	return b
}

func TestApplyAuthenticatesEverySealedValueOnce(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "likes steel"}))
	exchange(t, A, B)
	mark := A.pushed
	// Two edits of the name in one set: the row ends up holding the second. (A device sends a
	// row's current values, once; a set carrying both writes is put together here, as an older
	// sender or a hostile one could.)
	var set []ChangeRecord
	for _, name := range []string{"Ada King", "Ada Byron"} {
		if err := ownerA.UpdateCustomer(ctx, id, CustomerInput{Name: name, Email: "ada.king@example.com", Phone: "+1 415 555 0101", Notes: "likes steel"}); err != nil {
			t.Fatal(err)
		}
		set = append(set, shopSince(t, A, mark)...)
	}
	scope := set[0].Scope
	var names []int
	for i, r := range set {
		if r.Column == "name" {
			names = append(names, i)
		}
	}
	if len(names) != 2 {
		t.Fatalf("%d name records, want 2", len(names))
	}
	// The customer's first name record as created, B holds it already.
	created := shopSince(t, &testDevice{st: A.st}, 0)
	first := created[slices.IndexFunc(created, func(r ChangeRecord) bool { return r.Column == "name" })]

	cases := []struct {
		name string
		recs func() []ChangeRecord
	}{
		{"overwritten later in the set", func() []ChangeRecord {
			c := slices.Clone(set)
			c[names[0]].Value = flipped(c[names[0]].Value)
			return c
		}},
		{"losing the merge", func() []ChangeRecord {
			lost := first
			lost.HLC--
			lost.Value = flipped(lost.Value)
			return append(slices.Clone(set), lost)
		}},
		{"a duplicate of a held write", func() []ChangeRecord {
			dup := first
			dup.Value = flipped(dup.Value)
			return append(slices.Clone(set), dup)
		}},
		{"the row's value", func() []ChangeRecord {
			c := slices.Clone(set)
			c[names[1]].Value = flipped(c[names[1]].Value)
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := B.st.DataHash(ctx)
			if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, tc.recs(), B.pushed); !errors.Is(err, ErrRemote) {
				t.Fatalf("err = %v, want refused", err)
			}
			if after, _ := B.st.DataHash(ctx); after != before {
				t.Fatal("a refused change-set changed data")
			}
		})
	}

	// A sealed value of a touched row that the set does not write is checked too: one
	// planted in B's file makes the genuine set fail (the row's MAC, checked before the merge
	// writes over it, names it as tampering here, not as the set's fault).
	var notes []byte
	if err := B.st.db.QueryRow("SELECT notes FROM customers WHERE id = ?", id).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if _, err := B.st.db.Exec("UPDATE customers SET notes = ? WHERE id = ?", flipped(notes), id); err != nil {
		t.Fatal(err)
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, set, B.pushed); !errors.Is(err, ErrTampered) {
		t.Fatalf("planted value: err = %v, want the row named as tampered", err)
	}
	if _, err := B.st.db.Exec("UPDATE customers SET notes = ? WHERE id = ?", notes, id); err != nil {
		t.Fatal(err)
	}

	// The genuine set applies: the row takes the later name, the blind index follows the
	// new e-mail (rebuilt from the plaintexts the check opened), and both devices agree.
	res, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, set, B.pushed)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied+res.Duplicates != len(set) || res.Lost != 0 {
		t.Fatalf("applied %d and %d duplicates of %d (lost %d)", res.Applied, res.Duplicates, len(set), res.Lost)
	}
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	if c, err := ownerB.Customer(ctx, id, ""); err != nil || c.Name != "Ada Byron" || c.Email != "ada.king@example.com" {
		t.Fatalf("card on B: %+v %v", c, err)
	}
	if got, _ := ownerB.FindCustomers(ctx, ByEmail, "ada.king@example.com"); len(got) != 1 {
		t.Fatal("the new e-mail is not found by its blind index")
	}
	if got, _ := ownerB.FindCustomers(ctx, ByEmail, "ada@example.com"); len(got) != 0 {
		t.Fatal("the old e-mail is still found")
	}
	if r, err := B.st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestApplyManyRows crosses the batched reads' and inserts' chunk sizes: a set of more rows
// than one chunk of ids applies whole, and one bad row anywhere in it refuses all of it.
func TestApplyManyRows(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	shops, _ := ownerA.Shops(ctx)
	south := must[string](t)(ownerA.AddShop(ctx, "South", "US", "USD"))
	if ks, err := ownerA.ExportScopeKeys(ctx, []string{south}); err != nil || B.st.Replica().ImportScopeKeys(ctx, ks) != nil {
		t.Fatal("share the South key", err)
	}
	n := 3*idChunk + 5
	var ids []string
	if err := ownerA.Batch(ctx, "test.load", func(b *Batch) error {
		for i := range n {
			id, err := b.AddCustomer(CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i), ShopID: shops[0].ID}, time.Time{})
			ids = append(ids, id)
			if err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all, _ := A.st.LocalChanges(ctx, 0, 1<<30)
	var org, set []ChangeRecord
	for _, r := range all {
		if r.Scope == OrgScope {
			org = append(org, r)
		} else {
			set = append(set, r)
		}
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), OrgScope, org, 0); err != nil {
		t.Fatal(err)
	}
	before, _ := B.st.DataHash(ctx)
	// The last customer claims South inside North's set.
	moved := slices.Clone(set)
	for i, r := range moved {
		if r.RowID == ids[n-1] && r.Column == "shop_id" {
			moved[i].Value = south
		}
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shops[0].ID, moved, 0); !errors.Is(err, ErrRemote) {
		t.Fatalf("a row of another shop in a large set: err = %v", err)
	}
	if after, _ := B.st.DataHash(ctx); after != before {
		t.Fatal("a refused change-set changed data")
	}
	res, err := B.st.applyRemote(ctx, A.st.DeviceID(), shops[0].ID, set, 0)
	if err != nil || res.Applied != len(set) {
		t.Fatalf("genuine set: %v %+v", err, res)
	}
	// Applied again, every record is a duplicate.
	if res, err := B.st.applyRemote(ctx, A.st.DeviceID(), shops[0].ID, set, 0); err != nil || res.Duplicates != len(set) || res.Applied != 0 {
		t.Fatalf("re-delivery: %v %+v", err, res)
	}
	ha, _ := A.st.DataHash(ctx)
	hb, _ := B.st.DataHash(ctx)
	if ha != hb {
		t.Fatal("devices did not converge")
	}
	if r, err := B.st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestApplierWipesKeys: the data and blind-index keys a set unwrapped are zeroed when it is done.
func TestApplierWipesKeys(t *testing.T) {
	a := newApplier(&wtx{}, "shop")
	dek, bk := []byte{1, 2, 3}, []byte{4, 5, 6}
	a.deks["c"], a.blind[[2]string{"shop", "email"}] = dek, bk
	a.wipe()
	if len(a.deks) != 0 || len(a.blind) != 0 || !slices.Equal(dek, []byte{0, 0, 0}) || !slices.Equal(bk, []byte{0, 0, 0}) {
		t.Fatalf("keys left after wipe: %v %v", dek, bk)
	}
}

// TestApplyRefusesAnotherTablesRowID: a record naming a held bike's id as a customer's is
// refused whole (the history read that feeds the merge finds the bike's records).
func TestApplyRefusesAnotherTablesRowID(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	cust := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	bike := must[string](t)(ownerA.AddBike(ctx, cust, Bike{Make: "Surly", Model: "Straggler"}))
	exchange(t, A, B)
	set := shopSince(t, A, 0)
	before, _ := B.st.DataHash(ctx)
	forged := ChangeRecord{HLC: set[0].HLC + 1<<20, Device: A.st.DeviceID(), Scope: set[0].Scope, Table: "customers", RowID: bike, Column: "deleted_at", Value: int64(1)}
	_, err := B.st.applyRemote(ctx, A.st.DeviceID(), set[0].Scope, []ChangeRecord{forged}, B.pushed)
	var re *RemoteError
	if !errors.As(err, &re) || re.Reason != "a row id of another table is reused" {
		t.Fatalf("err = %v, want the reused id refused", err)
	}
	if after, _ := B.st.DataHash(ctx); after != before {
		t.Fatal("a refused change-set changed data")
	}
}

// TestApplyRefusesUnsealedSealedValues: a record flagged sealed whose value is an empty blob
// (SQLite would read it back as NULL, which opens as "" without any authentication) or not a
// blob at all is refused, whole set, before anything is written.
func TestApplyRefusesUnsealedSealedValues(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	exchange(t, A, B)
	mark := A.pushed
	if err := ownerA.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada King", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	set := shopSince(t, A, mark)
	for name, v := range map[string]any{"empty blob": []byte{}, "text": "Mallory", "integer": int64(7)} {
		forged := slices.Clone(set)
		for i := range forged {
			if forged[i].Column == "name" {
				forged[i].Value = v
			}
		}
		before, _ := B.st.DataHash(ctx)
		if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), forged[0].Scope, forged, 0); !errors.Is(err, ErrRemote) {
			t.Errorf("%s in a sealed column: %v, want refused", name, err)
		}
		if after, _ := B.st.DataHash(ctx); after != before {
			t.Errorf("%s: refused set changed the data", name)
		}
	}
}
