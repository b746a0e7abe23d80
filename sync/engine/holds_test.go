package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"spoke/store"
	"spoke/sync/wire"
)

// TestHeldExportApprovedOnOwnerLaptop: a manager's export over the limit, asked at the North
// counter, travels to the owner's device through the real hub, is approved there, and runs on
// the counter after its next sync; the approval carries no data. A forged approval (the
// counter signing a set in which the manager approves her own request, or a salesperson
// approves it) is refused by the owner's device and changes nothing.
func TestHeldExportApprovedOnOwnerLaptop(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: north}))
	if err := owner.SetBulkLimits(ctx, store.BulkLimits{Export: 2, Delete: 2, Expiry: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ada", "Grace", "Edsger"} {
		must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: n, ShopID: north}))
	}
	a.sync(t)
	counter := join(t, a, owner, north)
	counter.sync(t)
	mia := must[*store.Session](t)(counter.st.SignIn(ctx, "mia", "manager-password-1"))
	res := must[*store.BulkResult](t)(mia.ExportCustomers(ctx, store.ExportFilter{}, "csv"))
	if res.Held == nil || res.Held.Count != 3 || res.CSV != nil {
		t.Fatalf("not held: %+v", res)
	}
	id := res.Held.ID
	counter.sync(t)
	a.sync(t)
	held := must[[]store.BulkHold](t)(owner.Holds(ctx))
	if len(held) != 1 || held[0].ID != id || !held[0].MayDecide || held[0].Requester != "mia" {
		t.Fatalf("the owner's device sees %+v", held)
	}
	if err := owner.ApproveHold(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := mia.RunHold(ctx, id); err == nil {
		t.Fatal("ran before the approval arrived")
	}
	a.sync(t)
	counter.sync(t)
	out := must[*store.BulkResult](t)(mia.RunHold(ctx, id))
	if out.Count != 3 || strings.Count(string(out.CSV), "\n") != 4 {
		t.Fatalf("the run: %d %q", out.Count, out.CSV)
	}
	counter.sync(t)
	a.sync(t)
	if h := must[*store.BulkHold](t)(owner.Hold(ctx, id)); h.Status != store.HoldDone {
		t.Fatalf("the owner's device: %s", h.Status)
	}

	// Forged approvals of a second request, signed by the counter.
	res = must[*store.BulkResult](t)(mia.ExportCustomers(ctx, store.ExportFilter{}, "csv"))
	id2 := res.Held.ID
	counter.sync(t)
	a.sync(t)
	miaID := mia.User().ID
	sam := must[store.User](t)(owner.UserByName(ctx, "sam"))
	devID, _ := counter.st.Replica().DeviceIdentity(ctx)
	key, ver, _ := counter.st.Replica().ScopeKey(ctx, north, 0)
	for _, by := range []string{miaID, sam.ID} {
		st, _ := counter.st.SyncState(ctx)
		seq, sseq := st.NextSetSeq, st.ScopeSeqs[north]+1
		hlcNow := uint64(time.Now().UnixMilli()) << 16
		ch := func(col string, v wire.Value) wire.Change {
			return wire.Change{HLC: hlcNow, Device: counter.st.DeviceID(), Table: "bulk_holds", RowID: id2, Column: col, Value: v}
		}
		set := &wire.ChangeSet{Header: wire.Header{Version: 2, Scope: north, Device: counter.st.DeviceID(), Seq: seq, KeyVersion: ver, ScopeSeq: sseq},
			Changes: []wire.Change{ch("status", wire.Value{Kind: wire.KindText, Text: "approved"}), ch("decided_by", wire.Value{Kind: wire.KindText, Text: by}),
				ch("decided_at", wire.Value{Kind: wire.KindInt, Int: time.Now().UnixMilli()})}}
		b, err := wire.Seal(set, key, devID.Signing)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := counter.hc.Push(ctx, b); err != nil {
			t.Fatalf("the hub should store a validly signed set: %v", err)
		}
		st.NextSetSeq, st.ScopeSeqs[north] = seq+1, sseq
		if err := counter.st.SaveSyncState(ctx, st); err != nil {
			t.Fatal(err)
		}
		before, _ := a.st.DataHash(ctx)
		r, err := a.eng.SyncNow(ctx)
		if err != nil && !errors.Is(err, store.ErrRemote) {
			t.Fatal(err)
		}
		if r == nil || r.Refused == 0 {
			t.Fatalf("a forged approval by %s was not refused: %+v", by, r)
		}
		if after, _ := a.st.DataHash(ctx); after != before {
			t.Fatal("a forged approval changed data")
		}
		if h := must[*store.BulkHold](t)(owner.Hold(ctx, id2)); h.Status != store.HoldOpen {
			t.Fatalf("after a forged approval by %s: %s", by, h.Status)
		}
	}
}
