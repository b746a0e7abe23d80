package store

import (
	"context"
	"testing"
)

// TestDecide is the merge rule as a table: last writer by (HLC, device) wins, a loser that
// differs is a conflict, bookkeeping columns never are, an overwritten unpushed local write is.
func TestDecide(t *testing.T) {
	yes, no := true, false
	a, b := "dev-a", "dev-b"
	for _, tc := range []struct {
		name string
		in   incoming
		cur  held
		want verdict
	}{
		{"nothing held: apply", incoming{at: stamp{5, a}, column: "name", value: "x"}, held{}, verdict{apply: true}},
		{"later clock wins", incoming{at: stamp{6, a}, column: "name", value: "x"}, held{ok: true, at: stamp{5, b}, value: "y"}, verdict{apply: true}},
		{"earlier clock loses, differing value is a conflict", incoming{at: stamp{4, b}, column: "name", value: "x"}, held{ok: true, at: stamp{5, a}, value: "y"}, verdict{conflict: true}},
		{"earlier clock loses, same value is no conflict", incoming{at: stamp{4, b}, column: "name", value: "y"}, held{ok: true, at: stamp{5, a}, value: "y"}, verdict{}},
		{"tie: greater device wins", incoming{at: stamp{5, b}, column: "name", value: "x"}, held{ok: true, at: stamp{5, a}, value: "y"}, verdict{apply: true}},
		{"tie: smaller device loses", incoming{at: stamp{5, a}, column: "name", value: "x"}, held{ok: true, at: stamp{5, b}, value: "y"}, verdict{conflict: true}},
		{"same write again: not later, same value", incoming{at: stamp{5, a}, column: "name", value: "y"}, held{ok: true, at: stamp{5, a}, value: "y"}, verdict{}},
		{"bookkeeping loser is no conflict", incoming{at: stamp{4, b}, column: "updated_at", value: int64(1)}, held{ok: true, at: stamp{5, a}, value: int64(2)}, verdict{}},
		{"overwriting an unpushed local write keeps it", incoming{at: stamp{6, b}, column: "notes", value: "x"}, held{ok: true, at: stamp{5, a}, value: "y", unpushed: true}, verdict{apply: true, conflict: true}},
		{"overwriting a pushed write keeps nothing", incoming{at: stamp{6, b}, column: "notes", value: "x"}, held{ok: true, at: stamp{5, a}, value: "y"}, verdict{apply: true}},
		{"bytes compare by content", incoming{at: stamp{4, b}, column: "serial", value: []byte("s")}, held{ok: true, at: stamp{5, a}, value: []byte("s")}, verdict{}},
		{"staff row won as a whole: an older column still applies", incoming{at: stamp{3, b}, column: "roles", value: "sales", rowWins: &yes}, held{ok: true, at: stamp{5, a}, value: "manager"}, verdict{apply: true}},
		{"staff row lost as a whole: a newer column still loses", incoming{at: stamp{9, b}, column: "roles", value: "sales", rowWins: &no}, held{ok: true, at: stamp{5, a}, value: "manager"}, verdict{conflict: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.in, tc.cur); got != tc.want {
				t.Errorf("decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestMergeConverges: whatever order two devices see the same writes in, decide leaves both
// holding the same value.
func TestMergeConverges(t *testing.T) {
	writes := []incoming{
		{at: stamp{5, "a"}, column: "name", value: "one"},
		{at: stamp{7, "b"}, column: "name", value: "two"},
		{at: stamp{7, "a"}, column: "name", value: "three"},
		{at: stamp{6, "c"}, column: "name", value: "four"},
	}
	apply := func(order []int) any {
		var cur held
		for _, i := range order {
			if decide(writes[i], cur).apply {
				cur = held{ok: true, at: writes[i].at, value: writes[i].value}
			}
		}
		return cur.value
	}
	want := apply([]int{0, 1, 2, 3})
	for _, order := range [][]int{{3, 2, 1, 0}, {1, 0, 3, 2}, {2, 3, 0, 1}, {0, 2, 1, 3}} {
		if got := apply(order); got != want {
			t.Errorf("order %v converged to %v, want %v", order, got, want)
		}
	}
	if want != "two" {
		t.Errorf("winner %v, want the greatest (HLC, device): two", want)
	}
}

func TestRowVerdicts(t *testing.T) {
	got := rowVerdicts(map[string]stamp{"u1": {9, "a"}, "u2": {3, "a"}, "u3": {1, "a"}}, map[string]stamp{"u1": {5, "b"}, "u2": {5, "b"}})
	if len(got) != 2 || !got["u1"] || got["u2"] {
		t.Errorf("rowVerdicts = %v, want u1 wins, u2 loses, u3 absent (not held)", got)
	}
}

// TestSetWritingAFieldTwiceConverges: a set that carries two writes of one field, the newer
// first (a reordering sender or hub), leaves the newer value, as two separate sets would.
func TestSetWritingAFieldTwiceConverges(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	id := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "First Name", Email: "twice@example.com"}))
	// A device sends a row's current values once; the set with both writes is put together
	// here, as an older sender or a hostile one could.
	recs, err := a.st.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.UpdateCustomer(ctx, id, CustomerInput{Name: "Second Name", Email: "twice@example.com"}); err != nil {
		t.Fatal(err)
	}
	exchangeScope(t, a, b, OrgScope)
	later, err := a.st.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range later {
		if r.RowID == id && r.Column == "name" {
			recs = append(recs, r)
		}
	}
	var shop []ChangeRecord
	var names []int
	for _, r := range recs {
		if r.Scope == OrgScope {
			continue
		}
		if r.Table == "customers" && r.Column == "name" {
			names = append(names, len(shop))
		}
		shop = append(shop, r)
	}
	if len(names) != 2 {
		t.Fatalf("want two name writes, got %d", len(names))
	}
	// Newer write first: swap the two records.
	shop[names[0]], shop[names[1]] = shop[names[1]], shop[names[0]]
	res, err := b.st.applyRemote(ctx, a.st.DeviceID(), shop[0].Scope, shop, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 1 {
		t.Errorf("lost = %d, want the older name write to lose", res.Lost)
	}
	rb := signIn(t, b.st, "olga", "owner-password-1")
	c, err := rb.Customer(ctx, id, "")
	if err != nil || c.Name != "Second Name" {
		t.Fatalf("name on the receiver %q %v, want the newer write", c.Name, err)
	}
}

// TestHeldWriteAfterNewerInSetIsDuplicate: a set carrying a newer write of a field and then an
// older write this device already holds counts the older one as a duplicate: it is not logged
// again and is no conflict.
func TestHeldWriteAfterNewerInSetIsDuplicate(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	id := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Old Name", Email: "dup@example.com"}))
	exchange(t, a, b)
	recs, err := a.st.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.UpdateCustomer(ctx, id, CustomerInput{Name: "New Name", Email: "dup@example.com"}); err != nil {
		t.Fatal(err)
	}
	later, err := a.st.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, later...)
	var older, newer *ChangeRecord
	for i := range recs {
		if recs[i].Table == "customers" && recs[i].RowID == id && recs[i].Column == "name" {
			if older == nil {
				older = &recs[i]
			} else {
				newer = &recs[i]
			}
		}
	}
	if older == nil || newer == nil {
		t.Fatal("want two name writes")
	}
	res, err := b.st.applyRemote(ctx, a.st.DeviceID(), older.Scope, []ChangeRecord{*newer, *older}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicates != 1 || res.Conflicts != 0 || res.Applied != 1 {
		t.Fatalf("result %+v: want the newer write applied and the held one a duplicate", res)
	}
	if got := cellStamp(t, b.st, "customers", id, "name"); got != (stamp{newer.HLC, newer.Device}) {
		t.Fatalf("name's clock on the receiver %+v, want the newer write's", got)
	}
}

// cellStamp is the clock a cell holds: its own, or its row's.
func cellStamp(t *testing.T, st *Store, table, id, column string) stamp {
	t.Helper()
	key := must[[]byte](t)(rowKeyOf(id))
	clocks := must[map[string]*rowClock](t)(readClocks(context.Background(), st.db, [][]byte{key}))
	devs := must[*deviceNames](t)(loadDevices(context.Background(), st.db))
	code, _ := colCode(tables[table], column)
	k := clocks[string(key)].cellClock(code)
	return stamp{k.hlc, devs.byN[k.dev]}
}
