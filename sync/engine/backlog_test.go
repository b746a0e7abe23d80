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
	p := a.sync(t)
	other := join(t, a, owner, north) // its first sync pulls the backlog
	q := other.sync(t)
	st, _ := other.st.SyncState(ctx)
	if p.Pushed < 20 || st.Refused != 0 || q.Held != 0 {
		t.Fatalf("pushed %d sets; the other device refused %d and holds %d", p.Pushed, st.Refused, q.Held)
	}
	ha, _ := a.st.DataHash(ctx)
	hb, _ := other.st.DataHash(ctx)
	if ha != hb {
		t.Fatal("not converged")
	}
}
