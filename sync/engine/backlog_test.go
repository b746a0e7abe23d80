package engine

import (
	"context"
	"fmt"
	"testing"

	"spoke/store"
)

// TestBacklogSplitsAtRowBoundaries: a backlog larger than one set is cut between rows, never
// inside one, so every set applies on its own.
func TestBacklogSplitsAtRowBoundaries(t *testing.T) {
	ctx := context.Background()
	defer func(n int) { MaxChangesPerSet = n }(MaxChangesPerSet)
	MaxChangesPerSet = 23 // not a multiple of a customer's ~8 logged columns
	_, a, owner, north := chain(t)
	for i := 0; i < 60; i++ {
		if _, err := owner.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i), ShopID: north}); err != nil {
			t.Fatal(err)
		}
	}
	other := join(t, a, owner, north)
	p := a.sync(t)
	q := other.sync(t)
	if p.Pushed < 20 || q.Refused != 0 || q.Applied == 0 {
		t.Fatalf("pushed %d sets; the other device refused %d and applied %d", p.Pushed, q.Refused, q.Applied)
	}
	ha, _ := a.st.DataHash(ctx)
	hb, _ := other.st.DataHash(ctx)
	if ha != hb {
		t.Fatal("not converged")
	}
}
