package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"spoke/store"
)

// TestLeaverReachesShopDevice: the owner records a leaving date on the laptop; the counter
// gets the signed record through the real hub and, once the date comes, refuses the account
// by itself, with the laptop gone. "At once" deactivates: the counter applies it at its next
// sync, and a session open there ends with it. (A staff record a shop device forges, a leaving
// date cleared say, is refused as unsigned: TestShopDeviceCannotForgeStaff and the store's
// TestLeavingDateSigned.)
func TestLeaverReachesShopDevice(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	counter := join(t, a, owner, north)
	must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "sue", Password: "sales-password-1", Roles: []store.Role{store.RoleSales}, ShopID: north}))
	sam := must[store.User](t)(owner.UserByName(ctx, "sam"))
	sue := must[store.User](t)(owner.UserByName(ctx, "sue"))
	a.sync(t)
	counter.sync(t)
	open := must[*store.Session](t)(counter.st.SignIn(ctx, "sue", "sales-password-1"))
	must[string](t)(open.CreateCustomer(ctx, store.CustomerInput{Name: "Before The End"}))

	// A leaving date two seconds ahead reaches the counter; nothing online is needed when it comes.
	leaves := time.Now().Add(2 * time.Second)
	if err := owner.SetLeaving(ctx, sam.ID, leaves, false); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetLeaving(ctx, sue.ID, time.Time{}, true); err != nil { // at once
		t.Fatal(err)
	}
	a.sync(t)
	if _, err := counter.st.SignIn(ctx, "sue", "sales-password-1"); err != nil {
		t.Fatalf("test premise: the deactivation should not be on the counter yet: %v", err)
	}
	counter.sync(t)
	if _, err := counter.st.SignIn(ctx, "sue", "sales-password-1"); !errors.Is(err, store.ErrInactive) {
		t.Fatalf("the counter after syncing the deactivation: %v", err)
	}
	if _, err := open.CreateCustomer(ctx, store.CustomerInput{Name: "After The End"}); !errors.Is(err, store.ErrInactive) {
		t.Fatalf("a session open on the counter when the deactivation arrived: %v", err)
	}
	if _, err := counter.st.SignIn(ctx, "sam", "sales-password-1"); err != nil {
		t.Fatalf("sam before the leaving date: %v", err)
	}
	a.st.Close() // the owner's laptop is gone
	time.Sleep(time.Until(leaves) + 50*time.Millisecond)
	if _, err := counter.st.SignIn(ctx, "sam", "sales-password-1"); !errors.Is(err, store.ErrLeft) {
		t.Fatalf("sam after the leaving date, no owner device online: %v", err)
	}
}
