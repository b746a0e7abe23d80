package engine

import (
	"context"
	"testing"
	"time"

	"spoke/store"
)

// TestStartStopPoke: the background loop syncs on its own, a poke brings a round forward, and
// Stop waits for it to end.
func TestStartStopPoke(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	other := join(t, a, owner, north)
	a.eng.Start(ctx, time.Hour)
	other.eng.Start(ctx, 50*time.Millisecond)
	defer other.eng.Stop()
	id := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Poked", ShopID: north}))
	a.eng.Poke()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v any
		if err := other.st.Replica().RawValue(ctx, "customers", id, "shop_id", &v); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the customer never arrived through the background loops")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.eng.Stop()
	if s := a.eng.Status(); s.Running || s.LastSync.IsZero() {
		t.Fatalf("status after stop: %+v", s)
	}
}
