package hub_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"spoke/protocol"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
)

// TestTwoHubsOneDatabase runs two hub processes on one database, as a chain
// behind a load balancer would: a device enrolled through one is served by
// the other, a code redeems once across both, pushes through both are
// idempotent together and pulled in full, and a revocation made through one
// is enforced by the other at once.
func TestTwoHubsOneDatabase(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			open, _ := b.newDB(t)
			hubA := hubtest.StartHub(t, open)
			hubB := hubA.StartPeer(t, open(hubA.Dir.Path))

			owner := hubA.Enroll(t, hubA.OwnerCode(t), "owner-laptop")
			code, _, err := owner.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{"shop-1"}})
			if err != nil {
				t.Fatal(err)
			}
			viaB := code
			viaB.Addr = hubB.Addr
			shop := hubB.Enroll(t, viaB, "shop1-counter")
			if _, err := hubtest.EnrollDevice(code, "copycat"); !errors.Is(err, hubclient.ErrBadCode) {
				t.Fatalf("code redeemed at B, used again at A: %v", err)
			}
			shopAtA := shop.ClientAt(t, hubA.Addr)
			ownerAtB := owner.ClientAt(t, hubB.Addr)

			const n = 20
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for i := 1; i <= n; i++ {
				sealed := shop.MustSeal(t, "shop-1", uint64(i), "v")
				wg.Add(1)
				go func() {
					defer wg.Done()
					// The same set through both hubs at once: one stores it,
					// the other answers duplicate with the same cursor.
					var r [2]protocol.PushResponse
					var e [2]error
					var inner sync.WaitGroup
					for j, c := range []*hubclient.Client{shop.Client, shopAtA} {
						inner.Add(1)
						go func() { defer inner.Done(); r[j], e[j] = c.Push(ctx, sealed) }()
					}
					inner.Wait()
					if e[0] != nil || e[1] != nil {
						errs <- errors.Join(e[0], e[1])
						return
					}
					if r[0].Cursor != r[1].Cursor || r[0].Duplicate == r[1].Duplicate {
						errs <- errors.New("a set pushed through both hubs was not stored exactly once")
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			var got int
			var after int64
			for {
				p, err := ownerAtB.Pull(ctx, after, 7)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Frames) == 0 {
					break
				}
				got += len(p.Frames)
				after = p.Next
			}
			if got != n {
				t.Fatalf("owner pulled %d change-sets through B, want %d", got, n)
			}

			if _, err := owner.Client.Revoke(ctx, shop.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", n+1, "v")); !errors.Is(err, hubclient.ErrRevoked) {
				t.Fatalf("push through B after revocation through A: %v", err)
			}
			if _, err := shop.Client.Pull(ctx, 0, 10); !errors.Is(err, hubclient.ErrRevoked) {
				t.Fatalf("pull through B after revocation through A: %v", err)
			}
		})
	}
}
