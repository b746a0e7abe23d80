package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// send delivers what from wrote since it last sent (as the sync engine reads it: LocalChanges
// after its pushed position), grouped by scope in order, and moves the position on. It
// returns the records sent.
func send(t *testing.T, from, to *testDevice) []ChangeRecord {
	t.Helper()
	ctx := context.Background()
	recs, err := from.st.LocalChanges(ctx, from.pushed, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].Scope == recs[i].Scope {
			j++
		}
		if _, err := to.st.applyRemote(ctx, from.st.DeviceID(), recs[i].Scope, recs[i:j], to.pushed); err != nil {
			t.Fatalf("apply %s: %v", recs[i].Scope, err)
		}
		i = j
	}
	if n := len(recs); n > 0 {
		from.pushed = recs[n-1].Seq
	}
	return recs
}

// TestConsentSyncBothSurvive: a grant on one device and a concurrent withdrawal on another both
// survive on both, and the later one is current on both, whichever arrives first.
func TestConsentSyncBothSurvive(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		withdrawLast bool // B's withdrawal is later than A's grant (else A's grant is later)
		bFirst       bool // B's change-set arrives at A before A's at B
	}{
		{"withdrawal later, A's set first", true, false},
		{"withdrawal later, B's set first", true, true},
		{"grant later, A's set first", false, false},
		{"grant later, B's set first", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			A, B, ownerA := newPair(t)
			id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
			exchange(t, A, B)
			ownerB := signIn(t, B.st, "olga", "owner-password-1")
			exchange(t, B, A)
			t0 := time.Now().Add(-time.Hour)
			g, w := grant(PurposeEmailMarketing, ""), withdraw(PurposeEmailMarketing, "")
			g.At, w.At = t0, t0.Add(time.Minute)
			if !tc.withdrawLast {
				g.At, w.At = w.At, g.At
			}
			gid := must[string](t)(ownerA.RecordConsent(ctx, id, g))
			wid := must[string](t)(ownerB.RecordConsent(ctx, id, w))
			if tc.bFirst {
				exchange(t, B, A)
				exchange(t, A, B)
			} else {
				exchange(t, A, B)
				exchange(t, B, A)
			}
			for name, ss := range map[string]*Session{"A": ownerA, "B": ownerB} {
				h := must[[]ConsentEvent](t)(ss.ConsentHistory(ctx, id))
				ids := []string{h[0].ID, h[1].ID}
				if len(h) != 2 || !slices.Contains(ids, gid) || !slices.Contains(ids, wid) {
					t.Fatalf("%s: history %+v", name, h)
				}
				cur := must[[]ConsentState](t)(ss.CurrentConsents(ctx, id))
				if len(cur) != 1 || cur[0].Granted == tc.withdrawLast {
					t.Fatalf("%s: current %+v", name, cur)
				}
				err := ss.AuthorizeSend(ctx, id, PurposeEmailMarketing, ChannelEmail)
				if tc.withdrawLast != errors.Is(err, ErrNoConsent) {
					t.Fatalf("%s: send: %v", name, err)
				}
			}
			for _, d := range []*testDevice{A, B} {
				if r := must[*Report](t)(d.st.Verify(ctx)); !r.OK() {
					t.Fatalf("verify: %v", r.Problems)
				}
			}
		})
	}
}

// TestConsentSyncInsertOnly plays a device (or a hub with a stolen key) that forges a
// change-set editing a consent row the receiver holds: every such set is refused whole, and
// a genuine re-delivery still passes.
func TestConsentSyncInsertOnly(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	exchange(t, A, B)
	cid := must[string](t)(ownerA.RecordConsent(ctx, id, withdraw(PurposeEmailMarketing, "")))
	recs := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, 0, 1<<30))
	var mine []ChangeRecord
	for _, r := range recs {
		if r.RowID == cid {
			mine = append(mine, r)
		}
	}
	if len(mine) < 10 {
		t.Fatalf("%d records of the consent row", len(mine))
	}
	scope := mine[0].Scope
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, mine, 0); err != nil {
		t.Fatal(err)
	}
	edit := func(col string, v any, later bool) []ChangeRecord {
		i := slices.IndexFunc(mine, func(r ChangeRecord) bool { return r.Column == col })
		r := mine[i]
		r.Value = v
		if later {
			r.HLC += 1 << 20
		}
		return []ChangeRecord{r}
	}
	for _, tc := range []struct {
		name string
		recs []ChangeRecord
	}{
		{"withdrawal turned into a grant, a later clock", edit("granted", int64(1), true)},
		{"withdrawal turned into a grant, the same clock", edit("granted", int64(1), false)},
		{"backdated, a later clock", edit("at", int64(1), true)},
		{"the same value under a later clock", edit("purpose", "email_marketing", true)},
		{"moved to another customer", edit("customer_id", id, true)},
		{"a new row's cell written twice", func() []ChangeRecord {
			var out []ChangeRecord
			for _, r := range mine {
				r.RowID = "01234567-89ab-7def-8123-456789abcdef"
				out = append(out, r)
			}
			x := out[slices.IndexFunc(out, func(r ChangeRecord) bool { return r.Column == "granted" })]
			x.Value, x.HLC = int64(1), x.HLC+1
			return append(out, x)
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, tc.recs, 0)
			var re *RemoteError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, "insert-only") {
				t.Fatalf("got %v, want an insert-only refusal", err)
			}
		})
	}
	// Unchanged on B, and a re-delivery of the genuine set is a duplicate, not a refusal.
	res, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, mine, 0)
	if err != nil || res.Duplicates != len(mine) {
		t.Fatalf("re-delivery: %v %+v", err, res)
	}
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	if h := must[[]ConsentEvent](t)(ownerB.ConsentHistory(ctx, id)); len(h) != 1 || h[0].Granted {
		t.Fatalf("B's consent after the forgeries: %+v", h)
	}
}

// cnChain is a pair of devices with a mainland-China shop whose hub is declared in Germany,
// and a customer there with a bike, a work order with a line, a sale and a consent, written
// on A and not yet sent.
type cnChain struct {
	A, B      *testDevice
	ownerA    *Session
	shop      string
	cust      string
	ids       []string // every row of the customer's
	sale      string
	other     string // a customer of the US shop
	otherBike string
}

func newCNChain(t *testing.T, declare bool) *cnChain {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	c := &cnChain{A: A, B: B, ownerA: ownerA}
	north := must[[]Shop](t)(ownerA.Shops(ctx))[0].ID
	c.shop = must[string](t)(ownerA.AddShop(ctx, "Shanghai", "CN", "CNY"))
	// The new shop's key for B, then the org data.
	ks := must[[]ScopeKey](t)(ownerA.ExportScopeKeys(ctx, []string{c.shop}))
	if err := B.st.Replica().ImportScopeKeys(ctx, ks); err != nil {
		t.Fatal(err)
	}
	if declare {
		if err := ownerA.SetTransferSetting(ctx, TransferSetting{HubCountry: "DE", OwnerCountries: []string{"DE"}}); err != nil {
			t.Fatal(err)
		}
	}
	send(t, A, B)
	mech := must[string](t)(ownerA.AddUser(ctx, NewUser{Username: "li", Password: staffPW, Roles: []Role{RoleMechanic}, ShopID: c.shop}))
	c.cust = must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Wang Fang", Phone: "138 0013 8000", ShopID: c.shop}))
	bike := must[string](t)(ownerA.AddBike(ctx, c.cust, Bike{Make: "Giant", Model: "Escape", Serial: "GNT12345"}))
	wo := must[string](t)(ownerA.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: c.cust, BikeID: bike, Complaint: "brakes squeal", MechanicID: mech,
		Lines: []Line{{Kind: "labour", SKU: "L1", Description: "brake service", Qty: 1, UnitPrice: 8000}}}))
	line := must[[]string](t)(queryStrings(ctx, A.st.db, "SELECT id FROM work_order_lines WHERE work_order_id = ?", wo))
	cons := must[string](t)(ownerA.RecordConsent(ctx, c.cust, grant(PurposeServiceReminders, ChannelSMS)))
	c.sale = must[string](t)(ownerA.RecordSale(ctx, SaleInput{CustomerID: c.cust, ShopID: c.shop, PaymentMethod: "card", Lines: []Line{{Kind: "part", SKU: "P1", Description: "pads", Qty: 2, UnitPrice: 1500}}}))
	c.ids = append([]string{c.cust, bike, wo, cons}, line...)
	c.other = must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Phone: "+1 415 555 0101", ShopID: north}))
	c.otherBike = must[string](t)(ownerA.AddBike(ctx, c.other, Bike{Make: "Surly", Model: "Straggler"}))
	return c
}

// naming returns the records that name one of ids, as their row or as a value.
func naming(recs []ChangeRecord, ids []string) []string {
	var out []string
	for _, r := range recs {
		v, _ := r.Value.(string)
		if slices.Contains(ids, r.RowID) || slices.Contains(ids, v) {
			out = append(out, r.Table+"."+r.Column+" of "+r.RowID)
		}
	}
	return out
}

// snapshotRecords is every record of the scopes' compaction snapshots.
func snapshotRecords(t *testing.T, st *Store, scopes ...string) []ChangeRecord {
	t.Helper()
	var out []ChangeRecord
	if err := st.exportScopes(context.Background(), scopes, 1000, func(x ScopeExport) error {
		out = append(out, x.Records...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTransferKeptLocal: without consent to the transfer, a CN customer's rows appear in no
// outgoing record, neither in change-sets nor in snapshots; their sale goes without the id.
// Once consent is given they go with the next sync, from where the sender stood.
func TestTransferKeptLocal(t *testing.T) {
	ctx := context.Background()
	c := newCNChain(t, true)
	recs := send(t, c.A, c.B)
	if got := naming(recs, c.ids); len(got) != 0 {
		t.Fatalf("kept rows were sent: %v", got)
	}
	if got := naming(recs, []string{c.sale}); len(got) == 0 {
		t.Fatal("the sale (business data) was not sent")
	}
	if got := naming(recs, []string{c.other, c.otherBike}); len(got) == 0 {
		t.Fatal("the US shop's customer was not sent")
	}
	if got := naming(snapshotRecords(t, c.A.st, c.shop, OrgScope), c.ids); len(got) != 0 {
		t.Fatalf("kept rows are in a snapshot: %v", got)
	}
	if kept := must[bool](t)(c.ownerA.TransferKeptLocal(ctx, c.cust)); !kept {
		t.Fatal("the card would not say the customer is kept local")
	}
	if kept := must[bool](t)(c.ownerA.TransferKeptLocal(ctx, c.other)); kept {
		t.Fatal("a US customer is said to be kept local")
	}
	ts := must[TransferSetting](t)(c.ownerA.TransferSetting(ctx))
	if ts.HubCountry != "DE" || !slices.Equal(ts.KeptLocal, []string{c.shop}) || ts.SetBy != "olga" {
		t.Fatalf("setting: %+v", ts)
	}
	ownerB := signIn(t, c.B.st, "olga", "owner-password-1")
	if _, err := ownerB.Customer(ctx, c.cust, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B holds the kept customer: %v", err)
	}
	var saleCust any
	c.B.st.db.QueryRow("SELECT customer_id FROM sales WHERE id = ?", c.sale).Scan(&saleCust)
	if saleCust != nil {
		t.Fatalf("B's sale names %v", saleCust)
	}
	// Nothing new: nothing goes.
	if got := naming(send(t, c.A, c.B), c.ids); len(got) != 0 {
		t.Fatalf("sent on a later round: %v", got)
	}

	// The customer consents: every row of theirs goes with the next round, and the sale's
	// customer id with them.
	must[string](t)(c.ownerA.RecordConsent(ctx, c.cust, grant(PurposeCrossBorder, "")))
	recs = send(t, c.A, c.B)
	got := naming(recs, c.ids)
	for _, id := range c.ids {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, id) }) {
			t.Fatalf("row %s not sent after the consent (sent: %v)", id, got)
		}
	}
	if !slices.Contains(got, "sales.customer_id of "+c.sale) {
		t.Fatalf("the sale's customer id not sent: %v", got)
	}
	if got := naming(snapshotRecords(t, c.A.st, c.shop), c.ids); len(got) == 0 {
		t.Fatal("the consented customer is not in a snapshot")
	}
	card := must[*CustomerCard](t)(ownerB.Customer(ctx, c.cust, ""))
	if card.Name != "Wang Fang" || len(card.Bikes) != 1 || len(card.WorkOrders) != 1 || len(card.Sales) != 1 {
		t.Fatalf("B's card: %+v", card)
	}
	if h := must[[]ConsentEvent](t)(ownerB.ConsentHistory(ctx, c.cust)); len(h) != 2 {
		t.Fatalf("B's consents: %+v", h)
	}
	if kept := must[bool](t)(c.ownerA.TransferKeptLocal(ctx, c.cust)); kept {
		t.Fatal("still kept local after the consent")
	}
	for _, d := range []*testDevice{c.A, c.B} {
		if r := must[*Report](t)(d.st.Verify(ctx)); !r.OK() {
			t.Fatalf("verify: %v", r.Problems)
		}
	}
	// A withdrawal keeps what the customer writes from then on here again.
	must[string](t)(c.ownerA.RecordConsent(ctx, c.cust, withdraw(PurposeCrossBorder, "")))
	b2 := must[string](t)(c.ownerA.AddBike(ctx, c.cust, Bike{Make: "Brompton", Model: "C Line"}))
	if got := naming(send(t, c.A, c.B), []string{b2}); len(got) != 0 {
		t.Fatalf("written after the withdrawal and sent: %v", got)
	}
}

// TestTransferNotDeclared: with no declaration (or a hub in China) nothing is kept back.
func TestTransferNotDeclared(t *testing.T) {
	ctx := context.Background()
	c := newCNChain(t, false)
	if err := c.ownerA.SetTransferSetting(ctx, TransferSetting{HubCountry: "CN", OwnerCountries: []string{"CN"}}); err != nil {
		t.Fatal(err)
	}
	recs := send(t, c.A, c.B)
	for _, id := range c.ids {
		if len(naming(recs, []string{id})) == 0 {
			t.Fatalf("row %s not sent", id)
		}
	}
}

// TestTransferDeclarationLifted: a declaration that no longer sends the shop's data abroad
// releases what was kept.
func TestTransferDeclarationLifted(t *testing.T) {
	ctx := context.Background()
	c := newCNChain(t, true)
	if got := naming(send(t, c.A, c.B), c.ids); len(got) != 0 {
		t.Fatalf("kept rows were sent: %v", got)
	}
	if err := c.ownerA.SetTransferSetting(ctx, TransferSetting{HubCountry: "CN"}); err != nil {
		t.Fatal(err)
	}
	recs := send(t, c.A, c.B)
	for _, id := range c.ids {
		if len(naming(recs, []string{id})) == 0 {
			t.Fatalf("row %s not sent after the hub moved to China", id)
		}
	}
	e := must[[]AuditRecord](t)(c.ownerA.AuditLog(ctx, AuditFilter{Action: "transfer.setting", Limit: 1}))
	if len(e) != 1 || !strings.Contains(e[0].Detail, "hub=CN") || !strings.Contains(e[0].Detail, "released=1") {
		t.Fatalf("audit: %+v", e)
	}
}

// TestTransferReleasedBySync: a second device of the shop kept back its own edit of a
// customer; the consent recorded on the first device, arriving by sync, sends it.
func TestTransferReleasedBySync(t *testing.T) {
	ctx := context.Background()
	c := newCNChain(t, false)
	send(t, c.A, c.B) // before the declaration: the customer is on both
	ownerB := signIn(t, c.B.st, "olga", "owner-password-1")
	send(t, c.B, c.A)
	if err := c.ownerA.SetTransferSetting(ctx, TransferSetting{HubCountry: "DE"}); err != nil {
		t.Fatal(err)
	}
	send(t, c.A, c.B)
	bike := must[string](t)(ownerB.AddBike(ctx, c.cust, Bike{Make: "Brompton", Model: "P Line"}))
	if got := naming(send(t, c.B, c.A), []string{bike}); len(got) != 0 {
		t.Fatalf("B sent its kept edit: %v", got)
	}
	must[string](t)(c.ownerA.RecordConsent(ctx, c.cust, grant(PurposeCrossBorder, "")))
	send(t, c.A, c.B)
	var detail string
	c.B.st.db.QueryRow("SELECT detail FROM audit WHERE action = 'sync.apply' ORDER BY seq DESC LIMIT 1").Scan(&detail)
	if !strings.Contains(detail, " released=1 ") {
		t.Fatalf("the release is not in B's trail: %q", detail)
	}
	if got := naming(send(t, c.B, c.A), []string{bike}); len(got) == 0 {
		t.Fatal("B did not send its edit once the consent arrived")
	}
	if card := must[*CustomerCard](t)(c.ownerA.Customer(ctx, c.cust, "")); len(card.Bikes) != 2 {
		t.Fatalf("A's card has %d bikes", len(card.Bikes))
	}
	for _, d := range []*testDevice{c.A, c.B} {
		if r := must[*Report](t)(d.st.Verify(ctx)); !r.OK() {
			t.Fatalf("verify: %v", r.Problems)
		}
	}
}

// TestTransferSettingAccess: only the owner declares; countries are checked.
func TestTransferSettingAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, u := range []string{"mia", "sue", "mike", "mark", "aud"} {
		if err := f.users[u].SetTransferSetting(ctx, TransferSetting{HubCountry: "DE"}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s: %v", u, err)
		}
		if e := lastAudit(t, f, u, "transfer.setting"); e.Outcome != "denied" {
			t.Fatalf("%s: %+v", u, e)
		}
	}
	for _, bad := range []TransferSetting{{HubCountry: "Germany"}, {HubCountry: "D1"}, {OwnerCountries: []string{"DE", "x"}}} {
		var ve *ValidationError
		if err := f.users["olga"].SetTransferSetting(ctx, bad); !errors.As(err, &ve) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if err := f.users["olga"].SetTransferSetting(ctx, TransferSetting{HubCountry: "de", OwnerCountries: []string{"us", "DE", "us"}}); err != nil {
		t.Fatal(err)
	}
	ts := must[TransferSetting](t)(f.users["sue"].TransferSetting(ctx))
	if ts.HubCountry != "DE" || fmt.Sprint(ts.OwnerCountries) != "[DE US]" || len(ts.KeptLocal) != 0 {
		t.Fatalf("%+v", ts)
	}
}

// TestConsentErased: an erasure takes the customer's consent events with it, on every device,
// and a late re-delivery of them is dropped, not refused.
func TestConsentErased(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	must[string](t)(ownerA.RecordConsent(ctx, id, grant(PurposeEmailMarketing, "")))
	old := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, 0, 1<<30))
	send(t, A, B)
	must[*ErasureResult](t)(ownerA.EraseCustomer(ctx, id))
	send(t, A, B)
	for _, d := range []*testDevice{A, B} {
		var n int
		d.st.db.QueryRow("SELECT COUNT(*) FROM consents WHERE customer_id = ?", id).Scan(&n)
		if n != 0 {
			t.Fatalf("%d consent rows after the erasure", n)
		}
	}
	shop := must[[]Shop](t)(ownerA.Shops(ctx))[0].ID
	if got := must[[]string](t)(ownerA.ConsentedAudience(ctx, shop, PurposeEmailMarketing, ChannelEmail)); len(got) != 0 {
		t.Fatalf("audience after the erasure: %v", got)
	}
	var cons []ChangeRecord
	for _, r := range old {
		if r.Table == "consents" {
			cons = append(cons, r)
		}
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), cons[0].Scope, cons, 0); err != nil {
		t.Fatalf("a late copy of the erased customer's consents: %v", err)
	}
}
