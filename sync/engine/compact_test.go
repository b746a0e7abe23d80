package engine

import (
	"bytes"
	"context"
	"testing"

	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hub"
)

// compactedChain is an owner device and a shop device that have written and edited customers,
// bikes and a sale, synced, and a compaction of every scope committed at the hub.
type compactedChain struct {
	h            *testHub
	a, shop      *spoke
	owner        *store.Session
	north        string
	point        int64
	ada, grace   string
	beforeCursor int64 // the hub's newest cursor before compaction
}

func newCompactedChain(t *testing.T) *compactedChain {
	t.Helper()
	ctx := context.Background()
	h, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	c := &compactedChain{h: h, a: a, shop: shop, owner: owner, north: north}
	c.ada = must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", ShopID: north}))
	if err := owner.UpdateCustomer(ctx, c.ada, store.CustomerInput{Name: "Ada King", Email: "ada@example.com", Phone: "+1 415 555 0101", ShopID: north}); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.AddBike(ctx, c.ada, store.Bike{Make: "Surly", Model: "Straggler", Year: 2020, Serial: "SUR-123"}))
	a.sync(t)
	shop.sync(t)
	sam := must[*store.Session](t)(shop.st.SignIn(ctx, "sam", "sales-password-1"))
	c.grace = must[string](t)(sam.CreateCustomer(ctx, store.CustomerInput{Name: "Grace Hopper", Phone: "+1 415 555 0102"}))
	must[string](t)(sam.RecordSale(ctx, store.SaleInput{CustomerID: c.grace, PaymentMethod: "card", Lines: []store.Line{{Kind: "part", SKU: "T1", Description: "tube", Qty: 2, UnitPrice: 800}}}))
	shop.sync(t)
	a.sync(t)

	// The shop device has not pulled what the owner device pushed since (its audit entries):
	// the point stays at what every device has taken, and the sets after it stay at the hub.
	rep, err := Compact(ctx, owner, a.hc)
	if err != nil {
		t.Fatalf("compact: %v", err)
	}
	sets, err := h.storage.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: hub.MaxPullLimit})
	if err != nil {
		t.Fatal(err)
	}
	shopAt := must[store.SyncState](t)(shop.st.SyncState(ctx)).Cursor
	for _, s := range rep.Scopes {
		if s.Point > shopAt {
			t.Fatalf("scope %s compacted at %d, past the shop device's position %d", s.Scope, s.Point, shopAt)
		}
	}
	if len(sets) > 0 {
		c.beforeCursor = sets[len(sets)-1].Cursor
	}
	if len(rep.Scopes) == 0 {
		t.Fatal("nothing compacted")
	}
	c.point = rep.Scopes[0].Point
	compacted := 0
	for _, s := range rep.Scopes {
		if s.Skipped == "" {
			compacted++
			if s.Deleted == 0 || s.Records == 0 {
				t.Fatalf("scope %s: a snapshot of %d records deleted %d sets", s.Scope, s.Records, s.Deleted)
			}
		}
	}
	if compacted != 2 || rep.Scopes[0].Scope != store.OrgScope {
		t.Fatalf("compacted %+v", rep.Scopes)
	}
	return c
}

// TestCompactionNewDeviceStartsFromSnapshot: once every device has pulled past a point, the
// owner device's snapshot replaces the older sets at the hub; a device that joins afterwards
// starts from the snapshot, takes the sets after it (the sequence-gap rule accepts them: the
// snapshot says which sets it covers) and converges with the others; the existing devices never
// import it.
func TestCompactionNewDeviceStartsFromSnapshot(t *testing.T) {
	ctx := context.Background()
	c := newCompactedChain(t)
	sets, err := c.h.storage.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: hub.MaxPullLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		if s.Cursor <= c.point && (s.Scope == store.OrgScope || s.Scope == c.north) {
			t.Fatalf("set %d of %s at or below the point %d kept", s.Cursor, s.Scope, c.point)
		}
	}
	// Written after the compaction, on both devices: the new device must take these as sets.
	sam := must[*store.Session](t)(c.shop.st.SignIn(ctx, "sam", "sales-password-1"))
	if err := sam.UpdateCustomer(ctx, c.grace, store.CustomerInput{Name: "Grace B. Hopper", Phone: "+1 415 555 0102"}); err != nil {
		t.Fatal(err)
	}
	late := must[string](t)(c.owner.CreateCustomer(ctx, store.CustomerInput{Name: "Late Comer", ShopID: c.north}))
	c.shop.sync(t)
	c.a.sync(t)

	if r := c.a.sync(t); r.Snapshots != 0 {
		t.Fatal("a device past the point imported the snapshot")
	}
	n := join(t, c.a, c.owner, c.north)
	converged(t, c.a, c.shop, n)
	held, err := n.st.Replica().Held(ctx)
	if err != nil || len(held) != 0 {
		t.Fatalf("the new device holds sets: %v %v", held, err)
	}
	sam2 := must[*store.Session](t)(n.st.SignIn(ctx, "olga", "owner-password-1"))
	for id, name := range map[string]string{c.ada: "Ada King", c.grace: "Grace B. Hopper", late: "Late Comer"} {
		card, err := sam2.Customer(ctx, id, "")
		if err != nil || card.Name != name {
			t.Fatalf("customer %s on the new device: %v", id, err)
		}
	}
	if r := must[*store.Report](t)(n.st.Verify(ctx)); !r.OK() {
		t.Fatalf("the new device does not verify: %v", r.Problems)
	}
	// Its trail says where its data came from.
	if !trailHas(t, n.st, "sync.snapshot") {
		t.Fatal("the import is not audited")
	}
}

func trailHas(t *testing.T, st *store.Store, action string) bool {
	t.Helper()
	owner, err := st.SignIn(context.Background(), "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := owner.AuditLog(context.Background(), store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action && e.DeviceID == st.DeviceID() {
			return true
		}
	}
	return false
}

// snapshotHub lies about snapshots: it serves parts of its choosing.
type snapshotHub struct {
	Hub
	list func([]protocol.SnapshotInfo) []protocol.SnapshotInfo
	part func(scope, id string, part uint32, b []byte) []byte
}

func (l *snapshotHub) Snapshots(ctx context.Context) ([]protocol.SnapshotInfo, error) {
	s, err := l.Hub.Snapshots(ctx)
	if err != nil || l.list == nil {
		return s, err
	}
	return l.list(s), nil
}

func (l *snapshotHub) SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error) {
	b, err := l.Hub.SnapshotPart(ctx, scope, id, part)
	if err != nil || l.part == nil {
		return b, err
	}
	return l.part(scope, id, part, b), nil
}

// TestLyingHubCannotForgeASnapshot plays a hub serving a new device snapshot parts that are
// not what the owner device signed: a byte edited, another scope's part in its place, parts
// of another snapshot, a snapshot named as another device's, one withheld, one listed but
// older than the device's position. None is imported; the device says so (a refusal audited,
// or a sync error) and pulls nothing behind it; served honestly afterwards, it converges.
func TestLyingHubCannotForgeASnapshot(t *testing.T) {
	ctx := context.Background()
	c := newCompactedChain(t)
	orgPart := func() []byte {
		for _, s := range must[[]protocol.SnapshotInfo](t)(c.a.hc.Snapshots(ctx)) {
			if s.Scope == store.OrgScope {
				return must[[]byte](t)(c.a.hc.SnapshotPart(ctx, s.Scope, s.ID, 0))
			}
		}
		t.Fatal("no org snapshot")
		return nil
	}()
	cases := []struct {
		name string
		list func([]protocol.SnapshotInfo) []protocol.SnapshotInfo
		part func(scope, id string, part uint32, b []byte) []byte
	}{
		{name: "a byte edited", part: func(scope, _ string, _ uint32, b []byte) []byte {
			if scope != c.north {
				return b
			}
			b = bytes.Clone(b)
			b[len(b)/2] ^= 1
			return b
		}},
		{name: "the org part served as the shop's", part: func(scope, _ string, _ uint32, b []byte) []byte {
			if scope == c.north {
				return orgPart
			}
			return b
		}},
		{name: "listed as another device's", list: func(s []protocol.SnapshotInfo) []protocol.SnapshotInfo {
			for i := range s {
				s[i].Device = c.shop.st.DeviceID()
			}
			return s
		}},
		{name: "more parts listed than signed", list: func(s []protocol.SnapshotInfo) []protocol.SnapshotInfo {
			for i := range s {
				s[i].Parts++
			}
			return s
		}},
		{name: "another point listed", list: func(s []protocol.SnapshotInfo) []protocol.SnapshotInfo {
			for i := range s {
				s[i].Point++
			}
			return s
		}},
		{name: "truncated", part: func(_, _ string, _ uint32, b []byte) []byte { return b[:len(b)-1] }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newShopDevice(t, c.a, c.owner, c.north)
			n.eng = New(n.st.Replica(), &snapshotHub{Hub: n.hc, list: tc.list, part: tc.part})
			r, err := n.eng.SyncNow(ctx)
			if err == nil && r.Waiting == "" {
				t.Fatalf("a forged snapshot went through: %+v", r)
			}
			if st := must[store.SyncState](t)(n.st.SyncState(ctx)); st.Cursor != 0 {
				t.Fatalf("pulled past a snapshot it could not import (cursor %d)", st.Cursor)
			}
			n.eng = New(n.st.Replica(), n.hc)
			c.a.sync(t)
			converged(t, c.a, n)
		})
	}
	// A snapshot whose point the device has pulled past is not imported: its first part is
	// fetched once, to verify the key version it is sealed under, and not again.
	fetched := 0
	c.shop.eng = New(c.shop.st.Replica(), &snapshotHub{Hub: c.shop.hc, part: func(_, _ string, p uint32, b []byte) []byte { fetched++; return b }})
	for range 2 {
		if r := c.shop.sync(t); r.Snapshots != 0 {
			t.Fatal("a device past the point imported a snapshot")
		}
	}
	if fetched > 2 {
		t.Fatalf("a device past the point fetched %d parts (one per scope, once, at most)", fetched)
	}
}

// TestCompactionForgetsUnneededKeys: after compaction no set at the hub and nothing here needs
// the second version of a shop's key (rotated twice before any customer was written), so it is
// deleted; the first stays (the shop's blind-index keys derive from it), as does every version
// something is sealed under; customers are still made and found by e-mail afterwards.
func TestCompactionForgetsUnneededKeys(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	south := must[string](t)(owner.AddShop(ctx, "South", "US", "USD"))
	a.sync(t)
	must[uint32](t)(owner.RotateScopeKey(ctx, south))
	if v := must[uint32](t)(owner.RotateScopeKey(ctx, south)); v != 3 {
		t.Fatalf("rotated to v%d", v)
	}
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "South Customer", ShopID: south}))
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "North Customer", ShopID: north}))
	a.sync(t)
	if _, err := Compact(ctx, owner, a.hc); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	rep := a.st.Replica()
	if _, _, err := rep.ScopeKey(ctx, south, 2); err == nil {
		t.Fatal("the unneeded south v2 key is still held")
	}
	for _, k := range []struct {
		scope string
		v     uint32
	}{{south, 1}, {south, 3}, {north, 1}, {store.OrgScope, 1}} {
		if _, _, err := rep.ScopeKey(ctx, k.scope, k.v); err != nil {
			t.Fatalf("%s v%d forgotten: %v", k.scope, k.v, err)
		}
	}
	if !trailHas(t, a.st, "keys.forget") {
		t.Fatal("forgetting keys is not audited")
	}
	id := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "After Forgetting", Email: "after@example.com", ShopID: south}))
	if got := must[[]store.Customer](t)(owner.FindCustomers(ctx, store.ByEmail, "after@example.com")); len(got) != 1 || got[0].ID != id {
		t.Fatalf("lookup after forgetting: %v", got)
	}
	if r := must[*store.Report](t)(a.st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify after forgetting: %v", r.Problems)
	}
}

// TestHubListingAloneForgetsNothing: a hub listing a snapshot no owner device signed, with key
// versions of its choosing, makes no device forget a key.
func TestHubListingAloneForgetsNothing(t *testing.T) {
	ctx := context.Background()
	_, a, owner, _ := chain(t)
	must[uint32](t)(owner.RotateScopeKey(ctx, store.OrgScope))
	must[uint32](t)(owner.RotateScopeKey(ctx, store.OrgScope))
	a.eng = New(a.st.Replica(), &snapshotHub{Hub: a.hc, list: func([]protocol.SnapshotInfo) []protocol.SnapshotInfo {
		return []protocol.SnapshotInfo{{Scope: store.OrgScope, ID: "00112233445566778899aabbccddeeff", Point: 1, Parts: 1, KeyVersion: 1 << 31, MinKeyVersion: 1 << 31, Device: a.st.DeviceID()}}
	}})
	a.eng.SyncNow(ctx)
	if _, _, err := a.st.Replica().ScopeKey(ctx, store.OrgScope, 2); err != nil {
		t.Fatalf("a hub's listing made the device forget org v2: %v", err)
	}
}

func TestRowsCut(t *testing.T) {
	rec := func(row string) store.ChangeRecord { return store.ChangeRecord{Table: "customers", RowID: row} }
	recs := func(rows ...string) []store.ChangeRecord {
		var out []store.ChangeRecord
		for _, r := range rows {
			out = append(out, rec(r))
		}
		return out
	}
	for _, c := range []struct {
		name  string
		recs  []store.ChangeRecord
		limit int
		want  int
	}{
		{"fits", recs("a", "a", "b"), 5, 3},
		{"cut between rows", recs("a", "a", "b", "b", "c"), 3, 2},
		{"cut at a boundary", recs("a", "b", "c"), 2, 2},
		{"first row longer than the limit", recs("a", "a", "a", "b"), 2, 3},
		{"one row", recs("a", "a", "a"), 2, 3},
	} {
		if got := rowsCut(c.recs, c.limit); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
