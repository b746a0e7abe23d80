package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"spoke/crypto/device"
	"spoke/hlc"
	"spoke/store"
	"spoke/sync/hub"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// TestSpokeRefusesBadSets: sets that pass the hub (validly signed by an enrolled device) but
// carry changes attributed to another device, or values that do not authenticate, are refused
// by the receiving spoke, counted, audited, and change nothing. One dated far in the future
// is held instead (either clock may be wrong) and changes nothing either.
func TestSpokeRefusesBadSets(t *testing.T) {
	ctx := context.Background()
	f := newForger(t)
	a, other, owner, north, id, key, ver, custID, before := f.a, f.other, f.owner, f.shop, f.id, f.key, f.keyVersion, f.customer, f.before
	st, _ := a.st.SyncState(ctx)
	seq := st.NextSetSeq
	future := uint64(hlc.Timestamp(uint64(1)<<47) << 16)
	bad := []struct {
		name   string
		change wire.Change
	}{
		{"clock far in the future", wire.Change{HLC: future, Device: a.st.DeviceID(), Table: "customers", RowID: custID, Column: "deleted_at", Value: wire.Value{Kind: wire.KindInt, Int: 1}}},
		{"another device's change", wire.Change{HLC: 1 << 40, Device: other.st.DeviceID(), Table: "customers", RowID: custID, Column: "deleted_at", Value: wire.Value{Kind: wire.KindInt, Int: 1}}},
		{"garbage sealed value", wire.Change{HLC: 1 << 40, Device: a.st.DeviceID(), Table: "customers", RowID: custID, Column: "name", Sealed: true, Value: wire.Value{Kind: wire.KindBlob, Blob: make([]byte, 40)}}},
		{"column sync may not set", wire.Change{HLC: 1 << 40, Device: a.st.DeviceID(), Table: "customers", RowID: custID, Column: "email_bidx", Value: wire.Value{Kind: wire.KindBlob, Blob: make([]byte, 16)}}},
	}
	for _, b := range bad {
		sealed, err := wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 1, Scope: north, Device: a.st.DeviceID(), Seq: seq, KeyVersion: ver}, Changes: []wire.Change{b.change}}, key, id.Signing)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		if _, err := a.hc.Push(ctx, sealed); err != nil {
			t.Fatalf("%s: the hub should store a validly signed set: %v", b.name, err)
		}
	}
	// Keep a's own numbering past the injected sets.
	st, _ = a.st.SyncState(ctx)
	st.NextSetSeq = seq
	a.st.SaveSyncState(ctx, st)

	r := other.sync(t)
	if r.Refused != len(bad)-1 || r.Held != 1 {
		t.Fatalf("refused %d of %d bad sets, held %d", r.Refused, len(bad)-1, r.Held)
	}
	if held, _ := other.st.HeldSummaries(ctx); len(held) != 1 || !strings.Contains(held[0].Reason, "ahead of this computer's clock") {
		t.Fatalf("held: %+v", held)
	}
	ro := must[*store.Session](t)(other.st.SignIn(ctx, "olga", "owner-password-1"))
	if recs, _ := ro.AuditLog(ctx, store.AuditFilter{Action: "sync.refused"}); len(recs) != len(bad)-1 {
		t.Fatalf("%d refusals audited", len(recs))
	}
	if after, _ := other.st.DataHash(ctx); after != before {
		t.Fatal("a refused set changed data")
	}
	ss, _ := other.st.SyncState(ctx)
	if ss.Refused < int64(len(bad)-1) {
		t.Fatalf("refusals not counted in the sync state: %d", ss.Refused)
	}
	// The refusals are in the audit trail; the good data still flows afterwards.
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Grace", ShopID: north}))
	a.sync(t)
	if r := other.sync(t); r.Applied == 0 {
		t.Fatal("sync stopped after refusals")
	}
}

// forger is what the tests of bad sets start from: an owner device (a) that can sign sets as
// itself with its own keys, and a second device (other) that has synced the same data.
type forger struct {
	hub        *testHub
	a, other   *spoke
	owner      *store.Session
	shop       string
	id         *device.Identity
	key        []byte
	keyVersion uint32
	customer   string // one customer both devices hold
	before     string // other's data hash before any bad set
}

func newForger(t *testing.T) *forger {
	ctx := context.Background()
	f := &forger{}
	f.hub, f.a, f.owner, f.shop = chain(t)
	f.other = join(t, f.a, f.owner, f.shop)
	var err error
	if f.id, err = f.a.st.Replica().DeviceIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if f.key, f.keyVersion, err = f.a.st.Replica().ScopeKey(ctx, f.shop, 0); err != nil {
		t.Fatal(err)
	}
	f.customer = must[string](t)(f.owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ada", ShopID: f.shop}))
	f.a.sync(t)
	f.other.sync(t)
	f.before, _ = f.other.st.DataHash(ctx)
	return f
}

// TestShopDeviceCannotWriteOrgData: staff accounts and shops change only on owner devices. At
// a shop's counter the owner may sign in but not add staff (it would be refused everywhere);
// and a counter whose software was altered to sign an org-scope set anyway is refused by the
// hub and, when a colluding hub stores it regardless, by every receiving device.
func TestShopDeviceCannotWriteOrgData(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	at := must[*store.Session](t)(shop.st.SignIn(ctx, "olga", "owner-password-1"))
	if _, err := at.AddUser(ctx, store.NewUser{Username: "mallory", Password: "mallory-password-1", Roles: []store.Role{store.RoleOwner}}); !errors.Is(err, store.ErrOwnerDeviceOnly) {
		t.Fatalf("a counter added an owner account: %v", err)
	}
	// Nor a sale in another shop: this counter holds no key for it and no device would take it.
	south := must[string](t)(owner.AddShop(ctx, "South", "US", "USD"))
	a.sync(t)
	shop.sync(t)
	if _, err := at.RecordSale(ctx, store.SaleInput{ShopID: south, PaymentMethod: "card", Lines: []store.Line{{Kind: "part", Description: "Tube", Qty: 1, UnitPrice: 500}}}); !errors.Is(err, store.ErrOtherShopsDevice) {
		t.Fatalf("a North counter recorded a South sale: %v", err)
	}
	shop.sync(t) // nothing stuck in the outbox
	id, _ := shop.st.Replica().DeviceIdentity(ctx)
	key, ver, _ := shop.st.Replica().ScopeKey(ctx, store.OrgScope, 0)
	users, _ := owner.Users(ctx)
	forged := wire.Change{HLC: uint64(time.Now().UnixMilli()) << 16, Device: shop.st.DeviceID(), Table: "users", RowID: users[0].ID, Column: "roles", Value: wire.Value{Kind: wire.KindText, Text: "owner"}}
	b, err := wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: store.OrgScope, Device: shop.st.DeviceID(), Seq: 999, KeyVersion: ver, ScopeSeq: 1}, Changes: []wire.Change{forged}}, key, id.Signing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shop.hc.Push(ctx, b); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("the hub stored an org set from a counter: %v", err)
	}
	if _, _, err := h.storage.PutChangeSet(ctx, hub.ChangeSet{Device: shop.st.DeviceID(), Seq: 999, Scope: store.OrgScope, KeyVersion: ver, Bytes: b, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	before, _ := a.st.DataHash(ctx)
	if r := a.sync(t); r.Refused != 1 {
		t.Fatalf("the owner device refused %d sets", r.Refused)
	}
	if after, _ := a.st.DataHash(ctx); after != before {
		t.Fatal("a counter's org set changed data")
	}
}
