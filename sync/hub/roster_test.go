package hub_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"spoke/crypto/roster"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hub/sqlite"
	"spoke/sync/hubclient"
)

// TestRosterEndpoints: the hub stores the roster only as a chain of entries signed by owners
// it can check against the entries before, never lets a shop device append, and relays
// entries and heads to every enrolled device. (Spokes verify it all again themselves.)
func TestRosterEndpoints(t *testing.T) {
	ctx := context.Background()
	h := hubtest.StartHub(t, hubtest.OpenSQLite(t, func(ctx context.Context, p string) (hub.Storage, error) { return sqlite.Open(ctx, p) }))
	owner := h.Enroll(t, h.OwnerCode(t), "owner-1")
	shop := h.EnrollShop(t, owner, "shop-1", "north")
	me := roster.Member{ID: owner.ID, SigningKey: owner.Key.Public().(ed25519.PublicKey), KEMKey: owner.Info.HPKEKey}
	_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	stranger := roster.Member{ID: "owner-1", SigningKey: strangerKey.Public().(ed25519.PublicKey), KEMKey: []byte("k")}
	fake, _ := roster.Genesis(stranger, strangerKey, nil, 1)
	if err := owner.Client.AppendRoster(ctx, 0, fake); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("a genesis with keys other than the device's own: %v", err)
	}
	g, err := roster.Genesis(me, owner.Key, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := shop.Client.AppendRoster(ctx, 0, g); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop device appended: %v", err)
	}
	if err := owner.Client.AppendRoster(ctx, 0, g); err != nil {
		t.Fatal(err)
	}
	if err := owner.Client.AppendRoster(ctx, 0, g); err != nil {
		t.Fatalf("a retry of the same entry: %v", err)
	}
	st, _ := roster.New(g, [32]byte{}, nil)
	shopMember := roster.Member{ID: shop.ID, Role: roster.RoleShop, Scopes: []string{"north"}, SigningKey: shop.Key.Public().(ed25519.PublicKey), KEMKey: shop.Info.HPKEKey}
	add, err := st.Next(roster.OpAdd, shopMember, owner.ID, owner.Key, 2)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), add...) // a byte of the signature flipped
	bad[len(bad)-10] ^= 1
	if err := owner.Client.AppendRoster(ctx, 1, bad); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("an entry with a broken signature: %v", err)
	}
	if err := owner.Client.AppendRoster(ctx, 2, add); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("an entry past the end: %v", err)
	}
	if err := owner.Client.AppendRoster(ctx, 1, add); err != nil {
		t.Fatal(err)
	}
	st.Append(add)
	if err := owner.Client.PutRosterHead(ctx, st.SignHead(owner.ID, owner.Key, 3)); err != nil {
		t.Fatal(err)
	}
	if err := shop.Client.PutRosterHead(ctx, st.SignHead(shop.ID, shop.Key, 3)); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop device left a head: %v", err)
	}
	if err := owner.Client.PutRosterHead(ctx, st.SignHead("owner-2", owner.Key, 3)); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("a head in another device's name: %v", err)
	}
	resp, err := shop.Client.Roster(ctx, 0)
	if err != nil || resp.Len != 2 || len(resp.Entries) != 2 || len(resp.Heads) != 1 {
		t.Fatalf("roster as a shop device sees it: %+v %v", resp, err)
	}
	if resp, _ := shop.Client.Roster(ctx, 1); len(resp.Entries) != 1 {
		t.Fatal("from 1")
	}
}
