package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"spoke/crypto/keys"
	"spoke/demo"
	"spoke/store"
)

var fastKDF = keys.KDFParams{Time: 1, Memory: 64, Threads: 1}

func testOptions() store.Options {
	return store.Options{Passphrase: "correct horse battery staple", KDF: fastKDF}
}

// newOwner creates a database with one shop ("North") and signs its owner in.
func newOwner(t testing.TB) (*store.Store, *store.Session) {
	t.Helper()
	ctx := context.Background()
	st, _, err := store.Create(ctx, filepath.Join(t.TempDir(), "db"), store.CreateOptions{ShopName: "North", Region: "US", Currency: "USD",
		OwnerUsername: "olga", OwnerName: "Olga Owner", OwnerPassword: "owner-password-1"}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, ss
}

func TestLoadDemoSmall(t *testing.T) {
	ctx := context.Background()
	st, ss := newOwner(t)
	defer st.Close()
	ch := demo.Generate(demo.Options{Customers: 300, Seed: 5})
	res, err := demo.Load(ctx, ss, ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := ch.Counts()
	if res.Customers != counts["customers"] || res.Bikes != counts["bikes"] || res.WorkOrders != counts["work_orders"] || res.Sales != counts["sales"] {
		t.Fatalf("loaded %+v, generated %v", res, counts)
	}
	for _, s := range store.Statuses {
		items, err := ss.Board(ctx, s, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			t.Errorf("no work order in status %s", s)
		}
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestLoadNeedsOwner: the loader writes staff and shops, so only the owner may run it, and a
// refusal is audited under demo.load.
func TestLoadNeedsOwner(t *testing.T) {
	ctx := context.Background()
	st, owner := newOwner(t)
	defer st.Close()
	shops, err := owner.Shops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.AddUser(ctx, store.NewUser{Username: "mia", Password: "staff-password-1", Roles: []store.Role{store.RoleManager}, ShopID: shops[0].ID}); err != nil {
		t.Fatal(err)
	}
	mia, err := st.SignIn(ctx, "mia", "staff-password-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, mia, demo.Generate(demo.Options{Customers: 5, Seed: 1}), nil); err == nil {
		t.Fatal("a manager loaded a demo")
	}
	recs, err := owner.AuditLog(ctx, store.AuditFilter{Action: "demo.load", Limit: 1})
	if err != nil || len(recs) != 1 || recs[0].Outcome != "denied" {
		t.Fatalf("refusal audited as %+v (%v)", recs, err)
	}
}

func TestCreateShop(t *testing.T) {
	var stages []string
	d, err := demo.CreateShop(context.Background(), filepath.Join(t.TempDir(), "db"), 50, 3, testOptions(), func(stage string, done, total int) {
		if done == total {
			stages = append(stages, stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Store.Close()
	if d.Loaded.Customers != 50 || d.RecoveryCode == "" || len(d.Chain.Shops) != d.Loaded.Shops+1 {
		t.Fatalf("created %+v", d.Loaded)
	}
	if len(stages) != 3 {
		t.Fatalf("progress stages %v", stages)
	}
}

// BenchmarkLoadDemo10k measures bulk writes through the full write path (sealing, blind
// indexes, change log, audit). Run it alone: go test ./demo/ -run '^$' -bench LoadDemo -benchtime 1x
func BenchmarkLoadDemo10k(b *testing.B) {
	ch := demo.Generate(demo.Options{Customers: 10000, Seed: 5})
	for b.Loop() {
		st, ss := newOwner(b)
		if _, err := demo.Load(context.Background(), ss, ch, nil); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
