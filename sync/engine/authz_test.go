package engine

import (
	"context"
	"errors"
	"testing"

	"spoke/store"
)

// deniedIn counts the denied entries of action by user in the owner's view of the trail.
func deniedIn(t *testing.T, owner *store.Session, action string, user *store.Session) int {
	t.Helper()
	recs := must[[]store.AuditRecord](t)(owner.AuditLog(context.Background(), store.AuditFilter{Action: action}))
	n := 0
	for _, r := range recs {
		if r.Action == action && r.Outcome == "denied" && r.UserID == user.User().ID {
			n++
		}
	}
	return n
}

// TestDeviceOperationsCheckTheirGrant: connecting, adding, listing, revoking and verifying
// every device's chain are the owner's, and each operation checks the session it is given
// (not its caller) and audits the refusal. A database with staff cannot slip in through Join.
func TestDeviceOperationsCheckTheirGrant(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: north}))
	sam := must[*store.Session](t)(a.st.SignIn(ctx, "sam", "sales-password-1"))
	mia := must[*store.Session](t)(a.st.SignIn(ctx, "mia", "manager-password-1"))
	other := join(t, a, owner, north)

	for _, u := range []*store.Session{sam, mia} {
		for _, c := range []struct {
			action string
			run    func() error
		}{
			{"device.add", func() error { _, err := AddDevice(ctx, u, a.hc, north); return err }},
			{"device.list", func() error { _, err := Devices(ctx, u, a.hc); return err }},
			{"device.revoke", func() error { _, err := RevokeDevice(ctx, u, a.hc, other.st.DeviceID()); return err }},
			{"device.verify", func() error { _, err := VerifyAnchors(ctx, u, a.hc); return err }},
			{"device.connect", func() error { _, err := Connect(ctx, u, h.ownerCode()); return err }},
		} {
			if err := c.run(); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s %s: %v", u.User().Username, c.action, err)
			}
			if n := deniedIn(t, owner, c.action, u); n != 1 {
				t.Errorf("%s's refused %s audited %d times", u.User().Username, c.action, n)
			}
		}
	}
	// Nothing was revoked.
	for _, d := range must[[]DeviceEntry](t)(Devices(ctx, owner, a.hc)) {
		if d.ID == other.st.DeviceID() && d.Status == "revoked" {
			t.Fatal("a refused revocation revoked the device")
		}
	}

	// A fresh database with an owner and a salesperson: the salesperson cannot connect it,
	// Join refuses it (it has staff), the owner connects it.
	st, _, err := store.Create(ctx, t.TempDir(), store.CreateOptions{ShopName: "East", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o2 := must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
	shops := must[[]store.Shop](t)(o2.Shops(ctx))
	must[string](t)(o2.AddUser(ctx, store.NewUser{Username: "sue", Password: "sales-password-1", Roles: []store.Role{store.RoleSales}, ShopID: shops[0].ID}))
	sue := must[*store.Session](t)(st.SignIn(ctx, "sue", "sales-password-1"))
	h2 := startHub(t)
	if _, err := Connect(ctx, sue, h2.ownerCode()); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("salesperson connect: %v", err)
	}
	if n := deniedIn(t, o2, "device.connect", sue); n != 1 {
		t.Fatalf("refused connect audited %d times", n)
	}
	if _, err := Join(ctx, st.Replica(), h2.ownerCode()); !errors.Is(err, ErrHasStaff) {
		t.Fatalf("join of a staffed database: %v", err)
	}
	if sst := must[store.SyncState](t)(st.SyncState(ctx)); sst.Connected() {
		t.Fatal("a refused connect enrolled the device")
	}
	if _, err := Connect(ctx, o2, h2.ownerCode()); err != nil {
		t.Fatalf("owner connect: %v", err)
	}
	ok := false
	for _, r := range must[[]store.AuditRecord](t)(o2.AuditLog(ctx, store.AuditFilter{Action: "device.connect", Limit: 1000})) {
		ok = ok || (r.Outcome == "ok" && r.UserID == o2.User().ID && r.DeviceID == st.DeviceID())
	}
	if !ok {
		t.Fatal("the owner's connect is not in the trail under the owner")
	}
}

// TestSyncRoundNamesItsPrincipal: what a sync round records on a device (the change-sets and
// keys it applied, the device it confirmed) names
// a system principal and that device, never an anonymous "sync" or "system".
func TestSyncRoundNamesItsPrincipal(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", ShopID: north}))
	a.sync(t)
	laptop := join(t, a, owner, "") // a new database: joins with the code alone, then syncs
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	// (A new database's own enrolment is not in its trail: it holds no org key to chain entries
	// under until its first sync brings one, as before.)
	want := map[string]string{"sync.apply": "system:sync", "keys.import": "system:sync"}
	seen := map[string]bool{}
	for _, prefix := range []string{"sync.", "keys.", "device."} {
		for _, r := range must[[]store.AuditRecord](t)(lo.AuditLog(ctx, store.AuditFilter{Action: prefix, Limit: 10000})) {
			if r.DeviceID != laptop.st.DeviceID() {
				continue // copies of other devices' trails
			}
			if r.UserID == "sync" || r.UserID == "system" || r.UserID == "" {
				t.Errorf("%s recorded anonymously as %q", r.Action, r.UserID)
			}
			if by, ok := want[r.Action]; ok {
				seen[r.Action] = true
				if r.UserID != by {
					t.Errorf("%s recorded by %q, want %q", r.Action, r.UserID, by)
				}
			}
		}
	}
	// The owner device's round confirmed the laptop into the device list.
	for _, r := range must[[]store.AuditRecord](t)(owner.AuditLog(ctx, store.AuditFilter{Action: "device.confirm", Limit: 10000})) {
		if r.DeviceID == a.st.DeviceID() {
			seen[r.Action] = true
			if r.UserID != "system:sync" {
				t.Errorf("device.confirm recorded by %q", r.UserID)
			}
		}
	}
	for _, act := range []string{"sync.apply", "keys.import", "device.confirm"} {
		if !seen[act] {
			t.Errorf("no %s entry on its device", act)
		}
	}
}
