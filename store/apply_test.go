package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// testDevice is one database in a sync test, with what it has pushed.
type testDevice struct {
	st     *Store
	pushed int64
}

// exchange delivers every local change of from to to, grouped by scope in log order, the way
// change-sets would carry them.
func exchange(t *testing.T, from, to *testDevice) *ApplyResult {
	t.Helper()
	ctx := context.Background()
	recs, err := from.st.LocalChanges(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	total := &ApplyResult{}
	// Consecutive runs of one scope become one set, preserving order.
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].Scope == recs[i].Scope {
			j++
		}
		r, err := to.st.applyRemote(ctx, from.st.DeviceID(), recs[i].Scope, recs[i:j], to.pushed)
		if err != nil {
			t.Fatalf("apply %s: %v", recs[i].Scope, err)
		}
		total.Applied += r.Applied
		total.Duplicates += r.Duplicates
		total.Conflicts += r.Conflicts
		i = j
	}
	if n := len(recs); n > 0 {
		from.pushed = recs[n-1].Seq
	}
	return total
}

func newPair(t *testing.T) (*testDevice, *testDevice, *Session) {
	ctx := context.Background()
	a, _ := newTestStore(t)
	b, _, err := CreateReplica(ctx, t.TempDir(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	owner := signIn(t, a, "olga", "owner-password-1")
	scopes, _ := a.Scopes(ctx)
	ks, err := owner.ExportScopeKeys(ctx, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Replica().ImportScopeKeys(ctx, ks); err != nil {
		t.Fatal(err)
	}
	return &testDevice{st: a}, &testDevice{st: b}, owner
}

func TestTwoDevicesConverge(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101"}))
	must[string](t)(ownerA.AddBike(ctx, id, Bike{Make: "Surly", Model: "Straggler", Serial: "SUR123"}))
	exchange(t, A, B)
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	card, err := ownerB.Customer(ctx, id, "")
	if err != nil || card.Email != "ada@example.com" || card.Bikes[0].Serial != "SUR123" {
		t.Fatalf("replica card: %v %+v", err, card)
	}
	if got, _ := ownerB.FindCustomers(ctx, BySerial, "sur-123"); len(got) != 1 {
		t.Fatal("blind index not rebuilt on the replica")
	}
	exchange(t, B, A) // B's sign-in touched the user record
	// Concurrent offline edits: the same field on both, different fields on each.
	if err := ownerA.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada A", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "from A"}); err != nil {
		t.Fatal(err)
	}
	if err := ownerB.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada B", Email: "ada.b@example.com", Phone: "+1 415 555 0101"}); err != nil {
		t.Fatal(err)
	}
	ra := exchange(t, A, B)
	rb := exchange(t, B, A)
	exchange(t, A, B) // re-delivery is harmless
	ha, _ := A.st.DataHash(ctx)
	hb, _ := B.st.DataHash(ctx)
	if ha != hb {
		t.Fatal("devices did not converge")
	}
	ca, _ := ownerA.Customer(ctx, id, "")
	if ca.Name != "Ada B" || ca.Notes != "from A" || ca.Email != "ada.b@example.com" {
		t.Fatalf("merge: name %q notes %q email %q", ca.Name, ca.Notes, ca.Email)
	}
	if ra.Conflicts+rb.Conflicts == 0 {
		t.Fatal("the losing name was not kept as a conflict")
	}
	// The device where "Ada A" lost keeps it; an owner restores it there and it wins everywhere.
	cs, err := ownerB.Conflicts(ctx)
	if err != nil || len(cs) == 0 || cs[0].Value != "Ada A" {
		t.Fatalf("conflicts on B: %v %+v", err, cs)
	}
	// A kept conflict pointed at another column in the file is neither listed nor put back,
	// and verify names it; put right, it is restored as kept.
	if _, err := B.st.db.Exec("UPDATE conflicts SET col = 'notes' WHERE id = ?", cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ownerB.Conflicts(ctx); !errors.Is(err, ErrTampered) {
		t.Fatalf("an edited conflict listed: %v", err)
	}
	if err := ownerB.RestoreConflict(ctx, cs[0].ID); !errors.Is(err, ErrTampered) {
		t.Fatalf("an edited conflict restored: %v", err)
	}
	if r := must[*Report](t)(B.st.Verify(ctx)); !hasProblem(r, "conflicts", fmt.Sprint(cs[0].ID), "mac", "fails authentication") {
		t.Fatalf("verify: %v", r.Problems)
	}
	if _, err := B.st.db.Exec("UPDATE conflicts SET col = 'name' WHERE id = ?", cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := ownerB.RestoreConflict(ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	exchange(t, B, A)
	if c, _ := ownerA.Customer(ctx, id, ""); c.Name != "Ada A" {
		t.Fatalf("restored conflict did not win: %q", c.Name)
	}
	for _, d := range []*testDevice{A, B} {
		if r, err := d.st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify: %v %v", err, r.Problems)
		}
	}
}

func TestApplyRemoteRefuses(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper", Email: "grace@example.com"}))
	recs, _ := A.st.LocalChanges(ctx, 0, 1<<30)
	var shopRecs []ChangeRecord
	var shop string
	for _, r := range recs {
		if r.Table == "customers" {
			shop = r.Scope
			shopRecs = append(shopRecs, r)
		}
	}
	exchangeOrg := func() {
		var org []ChangeRecord
		for _, r := range recs {
			if r.Scope == OrgScope {
				org = append(org, r)
			}
		}
		if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), OrgScope, org, 0); err != nil {
			t.Fatal(err)
		}
		var shops []ChangeRecord
		for _, r := range recs {
			if r.Table == "shops" {
				shops = append(shops, r)
			}
		}
		if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shops[0].Scope, shops, 0); err != nil {
			t.Fatal(err)
		}
	}
	exchangeOrg()
	mutate := func(f func([]ChangeRecord) []ChangeRecord) []ChangeRecord {
		c := make([]ChangeRecord, len(shopRecs))
		copy(c, shopRecs)
		return f(c)
	}
	tests := []struct {
		name  string
		scope string
		recs  []ChangeRecord
	}{
		{"flipped sealed byte", shop, mutate(func(c []ChangeRecord) []ChangeRecord {
			for i := range c {
				if c[i].Column == "name" {
					b := append([]byte(nil), c[i].Value.([]byte)...)
					b[len(b)/2] ^= 1
					c[i].Value = b
				}
			}
			return c
		})},
		{"unknown column", shop, mutate(func(c []ChangeRecord) []ChangeRecord { c[0].Column = "password_hash"; return c })},
		{"wrong scope", OrgScope, shopRecs},
		{"clock far in the future", shop, mutate(func(c []ChangeRecord) []ChangeRecord { c[0].HLC = uint64(1) << 62; return c })},
		{"sealed flag dropped", shop, mutate(func(c []ChangeRecord) []ChangeRecord {
			for i := range c {
				if c[i].Column == "email" {
					c[i].Sealed = false
				}
			}
			return c
		})},
		{"customer moved to another value's row", shop, mutate(func(c []ChangeRecord) []ChangeRecord {
			for i := range c {
				c[i].RowID = "0192aaaa-0000-7000-8000-000000000001"
			}
			return c
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := B.st.DataHash(ctx)
			_, err := B.st.applyRemote(ctx, A.st.DeviceID(), tc.scope, tc.recs, 0)
			if !errors.Is(err, ErrRemote) {
				t.Fatalf("err = %v", err)
			}
			if after, _ := B.st.DataHash(ctx); after != before {
				t.Fatal("a refused change-set changed data")
			}
		})
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shop, shopRecs, 0); err != nil {
		t.Fatalf("the genuine set: %v", err)
	}
}

// TestIndexFollowsSync plays a salesperson whose customer was reassigned or deleted on another
// device: once the change-set is applied here, their search (built before) no longer finds it,
// and the new owner's does. A mechanic whose job was cancelled elsewhere loses its customer.
func TestIndexFollowsSync(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	shops, err := ownerA.Shops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, u := range []struct {
		name string
		role Role
	}{{"sam", RoleSales}, {"sue", RoleSales}, {"mike", RoleMechanic}} {
		ids[u.name] = must[string](t)(ownerA.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: shops[0].ID}))
	}
	samA, sueA := signIn(t, A.st, "sam", staffPW), signIn(t, A.st, "sue", staffPW)
	moved := must[string](t)(samA.CreateCustomer(ctx, CustomerInput{Name: "Moved Synccustomer"}))
	deleted := must[string](t)(samA.CreateCustomer(ctx, CustomerInput{Name: "Deleted Synccustomer"}))
	must[string](t)(samA.CreateCustomer(ctx, CustomerInput{Name: "Kept Synccustomer"}))
	fixed := must[string](t)(sueA.CreateCustomer(ctx, CustomerInput{Name: "Fixed Synccustomer"}))
	job := must[string](t)(sueA.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: fixed, Complaint: "service", MechanicID: ids["mike"]}))
	exchange(t, A, B)

	sessions := map[string]*Session{}
	for _, u := range []string{"sam", "sue", "mike"} {
		sessions[u] = signIn(t, B.st, u, staffPW)
	}
	names := func(u string) string {
		t.Helper()
		res, err := sessions[u].Search(ctx, "Synccustomer", 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res {
			out = append(out, strings.Fields(r.Name)[0])
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	before := map[string]string{"sam": "Deleted Kept Moved", "sue": "Fixed", "mike": "Fixed"}
	for u, want := range before {
		if got := names(u); got != want {
			t.Fatalf("%s before sync: %q, want %q", u, got, want)
		}
	}
	// On A: the customer goes to sue, another is deleted, mike's job is cancelled.
	if err := ownerA.UpdateCustomer(ctx, moved, CustomerInput{Name: "Moved Synccustomer", OwnerID: ids["sue"]}); err != nil {
		t.Fatal(err)
	}
	if err := ownerA.DeleteCustomer(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if err := ownerA.MoveWorkOrder(ctx, job, StatusCancelled); err != nil {
		t.Fatal(err)
	}
	exchange(t, A, B)
	tests := []struct{ user, want string }{
		{"sam", "Kept"},
		{"sue", "Fixed Moved"},
		{"mike", ""},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			if got := names(tc.user); got != tc.want {
				t.Fatalf("after sync: %q, want %q", got, tc.want)
			}
		})
	}
	// What sue's index decrypted by sync (the customer she gained, and hers whose job changed)
	// is an audited read, like the index build itself.
	recs, err := signIn(t, B.st, "olga", "owner-password-1").AuditLog(ctx, AuditFilter{UserID: ids["sue"], Action: "customer.index", Limit: 1})
	if err != nil || len(recs) != 1 || recs[0].Detail != "sync customers=2" {
		t.Fatalf("sue's index audit: %v %v", err, recs)
	}
	// A signed-out session is no longer refreshed (nor kept alive) by the Store.
	if err := sessions["sam"].SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(B.st.live.all(), sessions["sam"]) {
		t.Fatal("a signed-out session is still registered")
	}
}

// TestDroppedSessionIsNotKept checks that the Store's registry of sessions does not keep a
// session (and its decrypted index) alive once the caller drops it without signing out.
func TestDroppedSessionIsNotKept(t *testing.T) {
	st, _ := newTestStore(t)
	kept := signIn(t, st, "olga", "owner-password-1")
	func() {
		ss := signIn(t, st, "olga", "owner-password-1")
		if _, err := ss.Search(context.Background(), "", 10); err != nil { // builds an index
			t.Fatal(err)
		}
	}()
	for range 100 {
		runtime.GC()
		if len(st.live.all()) == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if live := st.live.all(); len(live) != 1 || live[0] != kept {
		t.Fatalf("%d sessions registered, want only the one still held", len(live))
	}
}

// TestAdvancePushedSkipsOnlyMergedRows: a device that merged other devices' rows and has
// nothing of its own moves its pushed position past them (they are not read again); once it
// has a write of its own, the position stays, and the write is sent.
func TestAdvancePushedSkipsOnlyMergedRows(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	exchange(t, A, B)
	if err := B.st.advancePushed(ctx); err != nil {
		t.Fatal(err)
	}
	st := must[SyncState](t)(B.st.SyncState(ctx))
	if top := must[int64](t)(maxSeq(ctx, B.st.db)); st.PushedSeq != top || top == 0 {
		t.Fatalf("pushed %d, newest %d: merged rows not skipped", st.PushedSeq, top)
	}
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	id := must[string](t)(ownerB.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper", Email: "grace@example.com"}))
	must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Katherine Johnson", Email: "kj@example.com"}))
	exchange(t, A, B)
	before := must[SyncState](t)(B.st.SyncState(ctx)).PushedSeq
	if err := B.st.advancePushed(ctx); err != nil {
		t.Fatal(err)
	}
	if after := must[SyncState](t)(B.st.SyncState(ctx)).PushedSeq; after != before {
		t.Fatalf("pushed moved %d -> %d over an unsent local write", before, after)
	}
	recs := must[[]ChangeRecord](t)(B.st.LocalChanges(ctx, before, 1<<30))
	if len(recs) == 0 || recs[0].RowID != id || slices.ContainsFunc(recs, func(r ChangeRecord) bool { return r.Device != B.st.DeviceID() }) {
		t.Fatalf("after the skip, the local write is not what is sent: %d records", len(recs))
	}
}

// TestWindowsSendParentsFirst: the engine sends the log in windows cut between rows. A row's
// values are read as they are now, so a customer edited early (and not yet sent) may name a
// salesperson created later; every window must still apply on a fresh receiver in order, with
// every row it refers to already there or in it.
func TestWindowsSendParentsFirst(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	exchange(t, A, B)
	after := must[int64](t)(maxSeq(ctx, A.st.db))
	shops := must[[]Shop](t)(ownerA.Shops(ctx))
	var custs []string
	for i := range 6 {
		custs = append(custs, must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i)})))
	}
	// Customer 0 is edited (first write since after), then a salesperson is created, then the
	// customer is given to them: the customer's first write comes before the user's.
	u := must[string](t)(ownerA.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	if err := ownerA.UpdateCustomer(ctx, custs[0], CustomerInput{Name: "Customer 0", Email: "c0@example.com", OwnerID: u}); err != nil {
		t.Fatal(err)
	}
	// Windows of about two rows, cut between rows as the engine cuts them.
	for seen := 0; ; seen++ {
		if seen > 50 {
			t.Fatal("the windows do not advance")
		}
		recs := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, after, 30))
		if len(recs) == 0 {
			break
		}
		n := min(len(recs), 25)
		for n > 1 && n < len(recs) && recs[n].RowID == recs[n-1].RowID {
			n--
		}
		window := recs[:n]
		for i := 0; i < len(window); {
			j := i
			for j < len(window) && window[j].Scope == window[i].Scope {
				j++
			}
			if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), window[i].Scope, window[i:j], 0); err != nil {
				t.Fatalf("window %d: %v", seen, err)
			}
			i = j
		}
		if window[n-1].Seq <= after {
			t.Fatalf("window %d does not advance (%d after %d)", seen, window[n-1].Seq, after)
		}
		after = window[n-1].Seq
	}
	a, b := must[string](t)(A.st.DataHash(ctx)), must[string](t)(B.st.DataHash(ctx))
	if a != b {
		t.Fatal("the devices differ after the windows")
	}
}

// TestRefersToCoversEveryReference: every column that names another row is in refersTo (the
// order LocalChanges sends rows in depends on it).
func TestRefersToCoversEveryReference(t *testing.T) {
	for _, tb := range schema {
		for _, c := range tb.cols {
			if tb.synced && c.class == Business && strings.HasSuffix(c.name, "_id") && !refersTo[tb.name+"."+c.name] {
				t.Errorf("%s.%s names a row but is not in refersTo", tb.name, c.name)
			}
		}
	}
}
