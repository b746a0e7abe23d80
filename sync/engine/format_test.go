package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"spoke/sync/hub"
	"spoke/sync/wire"
)

// TestNewerFormatIsHeldNotApplied: a set in a wire format newer than this Spoke knows (a
// device running a later release) is never misapplied or refused for good: it is held, with
// the reason "update Spoke", and the sets after it wait behind it.
func TestNewerFormatIsHeldNotApplied(t *testing.T) {
	ctx := context.Background()
	f := newForger(t)
	h, a, other, north, id, key, ver, before := f.hub, f.a, f.other, f.shop, f.id, f.key, f.keyVersion, f.before
	st, _ := a.st.SyncState(ctx)
	sealed, err := wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: north, Device: a.st.DeviceID(), Seq: st.NextSetSeq, KeyVersion: ver, ScopeSeq: 1 << 20},
		Changes: []wire.Change{{HLC: 1 << 40, Device: a.st.DeviceID(), Table: "shops", RowID: north, Column: "name", Value: wire.Value{Kind: wire.KindText, Text: "x"}}}}, key, id.Signing)
	if err != nil {
		t.Fatal(err)
	}
	sealed[5] = 9 // the format version: one this Spoke does not know
	// This hub does not know it either and refuses it; a newer hub stores it. Planted in the
	// hub's storage as a newer hub would have stored it.
	if _, err := a.hc.Push(ctx, sealed); err == nil {
		t.Fatal("this hub stored a format it does not know")
	}
	if _, _, err := h.storage.PutChangeSet(ctx, hub.ChangeSet{Device: a.st.DeviceID(), Seq: st.NextSetSeq, Scope: north, KeyVersion: ver, Bytes: sealed, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.NextSetSeq++
	a.st.SaveSyncState(ctx, st)
	r := other.sync(t)
	if r.Held != 1 || r.Refused != 0 {
		t.Fatalf("held %d, refused %d: want the newer set held", r.Held, r.Refused)
	}
	held, _ := other.st.HeldSummaries(ctx)
	if len(held) != 1 || !strings.Contains(held[0].Reason, "update Spoke") {
		t.Fatalf("held: %+v", held)
	}
	if after, _ := other.st.DataHash(ctx); after != before {
		t.Fatal("a set of a newer format changed data")
	}
}
