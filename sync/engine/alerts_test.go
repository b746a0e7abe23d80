package engine

import (
	"context"
	"fmt"
	"testing"

	"spoke/detect"
	"spoke/store"
)

// TestAlertReachesOwnerLaptop: a manager's twelve deletions on the shop's counter raise a
// bulk-delete alert there; through a real hub the owner's laptop gets it (and raises it itself
// over the counter's synced trail) and lists it once; the devices converge.
func TestAlertReachesOwnerLaptop(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: north}))
	a.sync(t)
	shop := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	mia := must[*store.Session](t)(shop.st.SignIn(ctx, "mia", "manager-password-1"))
	for i := range 12 {
		id := must[string](t)(mia.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i)}))
		if err := mia.DeleteCustomer(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := shop.st.DetectorError(); err != nil {
		t.Fatal(err)
	}
	count := func(as []store.AlertRecord) (n int, id string) {
		for _, x := range as {
			if x.Kind == detect.KindBulkDelete && x.Username == "mia" {
				n, id = n+1, x.ID
			}
		}
		return n, id
	}
	onShop, shopID := count(must[[]store.AlertRecord](t)(mia.Alerts(ctx, store.AlertFilter{All: true})))
	if onShop != 1 {
		t.Fatalf("the counter holds %d bulk-delete alerts", onShop)
	}
	shop.sync(t)
	laptop.sync(t)
	a.sync(t)
	shop.sync(t)
	laptop.sync(t)
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	n, id := count(must[[]store.AlertRecord](t)(lo.Alerts(ctx, store.AlertFilter{All: true})))
	if n != 1 || id != shopID {
		t.Fatalf("the laptop holds %d bulk-delete alerts (%s, the counter's %s)", n, id, shopID)
	}
	if err := laptop.st.DetectorError(); err != nil {
		t.Fatal(err)
	}
	// The owner confirms it on the laptop; the counter sees the decision (mia, the alerted
	// manager, not the note).
	if err := lo.DecideAlert(ctx, id, store.AlertConfirmed, "spoke to her", false); err != nil {
		t.Fatal(err)
	}
	laptop.sync(t)
	a.sync(t)
	shop.sync(t)
	as := must[[]store.AlertRecord](t)(mia.Alerts(ctx, store.AlertFilter{All: true}))
	for _, x := range as {
		if x.ID == id && (x.Status != store.AlertConfirmed || x.Note != "" || !x.NoteHidden) {
			t.Fatalf("the counter's copy: %+v", x)
		}
	}
	a.sync(t)
	laptop.sync(t)
	shop.sync(t)
	ha, _ := a.st.DataHash(ctx)
	hl, _ := laptop.st.DataHash(ctx)
	hs, _ := shop.st.DataHash(ctx)
	if ha != hl || ha != hs {
		t.Fatal("devices did not converge")
	}
}
