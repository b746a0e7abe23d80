package store

import (
	"context"
	"testing"

	"spoke/store/demo"
)

func TestLoadDemoSmall(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	ss := signIn(t, st, "olga", "owner-password-1")
	ch := demo.Generate(demo.Options{Customers: 300, Seed: 5})
	res, err := ss.LoadDemo(ctx, ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := ch.Counts()
	if res.Customers != counts["customers"] || res.Bikes != counts["bikes"] || res.WorkOrders != counts["work_orders"] || res.Sales != counts["sales"] {
		t.Fatalf("loaded %+v, generated %v", res, counts)
	}
	var n int
	st.db.QueryRow("SELECT COUNT(DISTINCT status) FROM work_orders").Scan(&n)
	if n != len(Statuses) {
		t.Fatalf("%d statuses present", n)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// BenchmarkLoadDemo10k measures bulk writes through the full write path (sealing, blind
// indexes, change log, audit). Run it alone: go test ./store/ -run '^$' -bench LoadDemo -benchtime 1x
func BenchmarkLoadDemo10k(b *testing.B) {
	ch := demo.Generate(demo.Options{Customers: 10000, Seed: 5})
	for b.Loop() {
		st, _ := newTestStore(b)
		ss := signIn(b, st, "olga", "owner-password-1")
		if _, err := ss.LoadDemo(context.Background(), ch, nil); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
