package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"spoke/protocol/auditrec"
)

// TestAuditEntriesRecordContext: every entry records the user's roles, shop and the grant
// that allowed the action (own, shop, all, break-glass), inside the MAC: an edited role is a
// broken chain here, and an edited role in another device's copy is refused on arrival.
func TestAuditEntriesRecordContext(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sam, sue, mia, olga := f.users["sam"], f.users["sue"], f.users["mia"], f.users["olga"]
	must[*CustomerCard](t)(sam.Customer(ctx, f.cSam, ""))
	must[*CustomerCard](t)(sue.Customer(ctx, f.cSam, "customer at the counter asks"))
	must[*CustomerCard](t)(mia.Customer(ctx, f.cSam, ""))
	must[*CustomerCard](t)(olga.Customer(ctx, f.cSam, ""))
	recs := must[[]AuditRecord](t)(olga.AuditLog(ctx, AuditFilter{Action: "customer.", Limit: 1000}))
	type seen struct{ role, shop, grant string }
	got := map[string]seen{}
	for _, r := range recs {
		if r.Target == f.cSam && strings.HasPrefix(r.Action, "customer.read") {
			got[r.Username] = seen{r.Role, r.ShopID, r.Grant}
		}
		if r.Action == "customer.create" && r.Target == f.cSam && (r.Role != "sales" || r.Grant != "own" || r.ShopID != f.north) {
			t.Errorf("create entry %+v", r)
		}
	}
	want := map[string]seen{
		"sam":  {"sales", f.north, "own"},
		"sue":  {"sales", f.north, "break-glass"},
		"mia":  {"manager", f.north, "shop"},
		"olga": {"owner", "", "all"},
	}
	for u, w := range want {
		if got[u] != w {
			t.Errorf("%s's read: %+v, want %+v", u, got[u], w)
		}
	}
	// Every JSON line names role and shop_id, even an entry from the store's own upkeep.
	for _, r := range recs {
		b, _ := json.Marshal(r)
		if !strings.Contains(string(b), `"role":`) || !strings.Contains(string(b), `"shop_id":`) {
			t.Fatalf("a line without role or shop_id: %s", b)
		}
	}

	// Editing a recorded role in the file breaks the chain.
	if _, err := f.st.db.Exec("UPDATE audit SET role = 'owner' WHERE role = 'sales' AND action = 'customer.read.break_glass'"); err != nil {
		t.Fatal(err)
	}
	r := must[*Report](t)(f.st.Verify(ctx))
	if r.OK() || !hasProblem(r, "audit", "", "mac", "entry altered") {
		t.Fatalf("an edited role passed verify: %v", r.Problems)
	}

	// Another device's entry whose role was changed after its MAC was made is refused.
	akey := must[[]byte](t)(f.st.orgDerived(ctx, purposeAudit))
	e := auditrec.Entry{Seq: 1, At: 1000, User: "u", Device: "counter-9", Action: "customer.read", Target: "c", Outcome: "ok", Role: "sales", Shop: f.north, Grant: "own"}
	e.MAC = auditMAC(akey, e.Seq, e.At, e.User, e.Device, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, e.Reason, nil, auditCtx{e.Role, e.Shop, e.Grant})
	e.Grant = "all"
	if _, err := f.st.applyRemoteAudit(ctx, "counter-9", []auditrec.Entry{e}); err == nil {
		t.Fatal("a remote entry with an edited grant was accepted")
	}
	e.Grant = "own"
	if n, err := f.st.applyRemoteAudit(ctx, "counter-9", []auditrec.Entry{e}); err != nil || n != 1 {
		t.Fatalf("the genuine remote entry: %d %v", n, err)
	}
	// Its encoding round-trips the context; an entry without one encodes as it always did.
	back, err := auditrec.Decode(auditrec.Encode(e))
	if err != nil || back.Role != "sales" || back.Grant != "own" || back.Shop != f.north {
		t.Fatalf("round trip %+v %v", back, err)
	}
	if strings.Contains(string(auditrec.Encode(auditrec.Entry{Seq: 1, Device: "d", Action: "a"})), "role") {
		t.Fatal("an entry without context encodes its empty fields")
	}
}
