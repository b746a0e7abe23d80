package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
)

// TestRemoteCannotReachIntoAnotherShop plays a South shop device that writes, in South's own
// scope, records naming North's rows: moving a North customer to South, editing a North
// customer's fields, adding a line to a North sale or work order, hanging a South job or bike
// on a North customer. Each set is refused whole and nothing changes on the receiver.
func TestRemoteCannotReachIntoAnotherShop(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	shops, _ := owner.Shops(ctx)
	north := shops[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "US", "USD"))
	if ks, err := owner.ExportScopeKeys(ctx, []string{south}); err != nil || B.st.Replica().ImportScopeKeys(ctx, ks) != nil {
		t.Fatal("share the South key", err)
	}
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada North", ShopID: north}))
	bike := must[string](t)(owner.AddBike(ctx, cust, Bike{Make: "Surly", Model: "Straggler"}))
	sale := must[string](t)(owner.RecordSale(ctx, SaleInput{CustomerID: cust, ShopID: north, PaymentMethod: "card", Lines: []Line{{Kind: "part", Description: "Tube", Qty: 1, UnitPrice: 999}}}))
	wo := must[string](t)(owner.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: cust, BikeID: bike, Complaint: "Brakes squeal"}))
	// A South customer of the attacker's own, to hang things from.
	southCust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Sam South", ShopID: south}))
	exchange(t, A, B)
	before, err := B.st.DataHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const hlc = uint64(1) << 40
	rec := func(table, row, col string, v any) ChangeRecord {
		return ChangeRecord{HLC: hlc, Device: "evil-south", Scope: south, Table: table, RowID: row, Column: col, Value: v}
	}
	cases := []struct {
		name string
		recs []ChangeRecord
	}{
		{"move a North customer to South", []ChangeRecord{rec("customers", cust, "shop_id", south)}},
		{"edit a North customer's business field", []ChangeRecord{rec("customers", cust, "deleted_at", int64(1))}},
		{"add a line to a North sale", []ChangeRecord{
			rec("sale_lines", "evil-line-1", "sale_id", sale), rec("sale_lines", "evil-line-1", "sku", ""),
			rec("sale_lines", "evil-line-1", "description", "x"), rec("sale_lines", "evil-line-1", "qty", int64(1000)),
			rec("sale_lines", "evil-line-1", "unit_price", int64(9999))}},
		{"add a line to a North work order", []ChangeRecord{
			rec("work_order_lines", "evil-line-2", "work_order_id", wo), rec("work_order_lines", "evil-line-2", "kind", "part"),
			rec("work_order_lines", "evil-line-2", "sku", ""), rec("work_order_lines", "evil-line-2", "description", "x"),
			rec("work_order_lines", "evil-line-2", "qty", int64(1)), rec("work_order_lines", "evil-line-2", "unit_price", int64(1)),
			rec("work_order_lines", "evil-line-2", "created_at", int64(1))}},
		{"edit a North work order's status", []ChangeRecord{rec("work_orders", wo, "status", "collected")}},
		{"a South sale of a North customer", []ChangeRecord{
			rec("sales", "evil-sale", "shop_id", south), rec("sales", "evil-sale", "customer_id", cust),
			rec("sales", "evil-sale", "seller_id", owner.User().ID), rec("sales", "evil-sale", "payment_method", "card"),
			rec("sales", "evil-sale", "sold_at", int64(1)), rec("sales", "evil-sale", "created_at", int64(1))}},
		{"move a South customer's sale line onto a North sale", []ChangeRecord{rec("sale_lines", "evil-line-1", "sale_id", sale)}},
		{"a South bike under a North customer's row id", []ChangeRecord{
			rec("bikes", cust, "customer_id", southCust), rec("bikes", cust, "shop_id", south), rec("bikes", cust, "make", "x"),
			rec("bikes", cust, "model", "x"), rec("bikes", cust, "created_at", int64(1)), rec("bikes", cust, "updated_at", int64(1)),
			rec("bikes", cust, "deleted_at", int64(1))}},
		{"one row id for two tables in one set", []ChangeRecord{
			rec("bikes", "evil-2", "customer_id", southCust), rec("sale_lines", "evil-2", "sale_id", sale)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := B.st.applyRemote(ctx, "evil-south", south, c.recs, 0)
			if !errors.Is(err, ErrRemote) {
				t.Fatalf("applied: %v", err)
			}
			if after, _ := B.st.DataHash(ctx); after != before {
				t.Fatal("a refused set changed data")
			}
		})
	}
	// The same device writing its own shop's rows is fine.
	if _, err := B.st.applyRemote(ctx, "evil-south", south, []ChangeRecord{rec("customers", southCust, "deleted_at", int64(1))}, 0); err != nil {
		t.Fatalf("a South device editing a South customer: %v", err)
	}
}

// TestClockBehindIsReported: a database whose last write is dated after the wall clock (the
// clock was set back, or the header was edited forward) opens, keeps its clock monotonic,
// and says so instead of trusting it silently.
func TestClockBehindIsReported(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	dir := st.Dir()
	owner := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada"}))
	st.Close()
	opts := testOptions()
	if s2, err := Open(ctx, dir, opts); err != nil || s2.ClockWarning() != "" {
		t.Fatalf("a correct clock warned: %v", err)
	} else {
		s2.Close()
	}
	opts.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	s3, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if w := s3.ClockWarning(); !strings.Contains(w, "check the date and time") {
		t.Fatalf("warning: %q", w)
	}
	o3 := signIn(t, s3, "olga", "owner-password-1")
	if recs, _ := o3.AuditLog(ctx, AuditFilter{Action: "clock.behind"}); len(recs) != 1 {
		t.Fatalf("%d clock entries audited", len(recs))
	}
}

// TestOldDatabaseGetsGenesis: a database made before device rosters existed (never connected)
// starts its roster on open, with this device as its owner; one that holds a roster keeps it.
func TestOldDatabaseGetsGenesis(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	dir := st.Dir()
	first := must[*roster.State](t)(st.Roster(ctx))
	if first.Member(roster.RecoveryID) == nil {
		t.Fatal("a new chain has no offline owner key")
	}
	st.Close()
	raw := rawDB(t, dir)
	if _, err := raw.Exec("DELETE FROM roster; DELETE FROM meta WHERE key = 'roster_id'"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	s2, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r := must[*roster.State](t)(s2.Roster(ctx))
	if m := r.Member(s2.DeviceID()); m == nil || m.Role != roster.RoleOwner || r.Member(roster.RecoveryID) != nil {
		t.Fatal("an old database did not become the owner of a new roster")
	}
}

// TestReasonsFollowOrgKeyRotation: after the org key is rotated (a device was revoked), new
// break-glass reasons are sealed under the new version, which the revoked device never gets;
// old and new reasons still open for the auditors who may read them.
func TestReasonsFollowOrgKeyRotation(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	for _, u := range []string{"sam", "sue"} {
		must[string](t)(owner.AddUser(ctx, NewUser{Username: u, Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	}
	sam, sue := signIn(t, st, "sam", staffPW), signIn(t, st, "sue", staffPW)
	c := must[string](t)(sam.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Phone: "+1 415 555 0101"}))
	if _, err := sue.Customer(ctx, c, "covering the counter before rotation"); err != nil {
		t.Fatal(err)
	}
	old, _, _ := st.scopeKey(ctx, OrgScope, 1)
	old = append([]byte(nil), old...)
	if v := must[uint32](t)(owner.RotateScopeKey(ctx, OrgScope)); v != 2 {
		t.Fatalf("version %d", v)
	}
	if _, err := sue.Customer(ctx, c, "covering the counter after rotation"); err != nil {
		t.Fatal(err)
	}
	var seq int64
	var blob []byte
	if err := st.db.QueryRow("SELECT seq, reason FROM audit WHERE reason IS NOT NULL ORDER BY seq DESC LIMIT 1").Scan(&seq, &blob); err != nil {
		t.Fatal(err)
	}
	// The reason's own key is wrapped under the new version: the old org key (all a revoked
	// device holds) does not unwrap it.
	var v uint32
	var wrapped []byte
	if err := st.db.QueryRow("SELECT version, wrapped FROM reason_keys WHERE device_id = ? AND seq = ?", st.DeviceID(), seq).Scan(&v, &wrapped); err != nil {
		t.Fatal(err)
	}
	if blob[0] != reasonOwnKey || v != 2 {
		t.Fatalf("a reason after rotation: format %#x, key wrapped under v%d, want v2", blob[0], v)
	}
	if _, err := keys.Unwrap(old, wrapped, reasonKeyLabel(st.DeviceID(), seq, 2)); err == nil {
		t.Fatal("the old org key unwraps a reason key recorded after rotation")
	}
	if _, err := seal.Open(old, blob[1:], reasonAD(st.DeviceID(), seq)); err == nil {
		t.Fatal("the old org key opens a reason recorded after rotation")
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{}))
	var got []string
	for _, r := range recs {
		if r.Reason != "" {
			got = append(got, r.Reason)
		}
	}
	if len(got) != 2 {
		t.Fatalf("reasons: %q", got)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestRosterTailCutDetected: removing the newest device-list entry from the file (undoing a
// revocation, say) or swapping in another chain's list is refused and named by verify; an
// entry appended by another process is seen without reopening.
func TestRosterTailCutDetected(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	id := must[*device.Identity](t)(st.Replica().DeviceIdentity(ctx))
	other := must[*device.Identity](t)(device.New())
	r := must[*roster.State](t)(st.Roster(ctx))
	e := must[[]byte](t)(r.Next(roster.OpAdd, roster.Member{ID: "laptop", Role: roster.RoleOwner, SigningKey: other.SigningPublic(), KEMKey: other.KEMPublic()}, st.DeviceID(), id.Signing, 1))
	// Another process appends: this store sees it.
	dir := st.Dir()
	st2, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st2.AppendRoster(ctx, [][]byte{e}); err != nil {
		t.Fatal(err)
	}
	st2.Close()
	if p, err := st.Peer(ctx, "laptop"); err != nil || !p.Active {
		t.Fatalf("an entry appended by another process is not seen: %v", err)
	}
	st.Close()
	db := rawDB(t, dir)
	if _, err := db.Exec("DELETE FROM roster WHERE seq = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st3, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st3.Close()
	if _, err := st3.Roster(ctx); !errors.Is(err, ErrTampered) {
		t.Fatalf("a cut device list loads: %v", err)
	}
	rep := must[*Report](t)(st3.Verify(ctx))
	if !hasProblem(rep, "meta", metaRosterMAC, "value", "") {
		t.Fatalf("verify: %v", rep.Problems)
	}
}

// TestForgedStaffRecordRefused: someone who holds the org key (a shop's counter, a revoked
// device) computes a valid MAC for a staff record promoted to owner and puts it into another
// device's file. Without an active owner device's signature it is refused at sign-in and named
// by verify, unsigned or signed by the wrong key.
func TestForgedStaffRecordRefused(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	counter := must[*device.Identity](t)(device.New())
	for _, tc := range []struct {
		name string
		sign func(u *userRow)
	}{
		{"unsigned", func(u *userRow) { u.signer, u.sig = "", nil }},
		{"signed by a key that is no owner device's", func(u *userRow) {
			u.signer, u.sig = st.DeviceID(), ed25519.Sign(counter.Signing, u.staffStatement())
		}},
		{"signed by a device the roster does not list", func(u *userRow) {
			u.signer, u.sig = "counter-1", ed25519.Sign(counter.Signing, u.staffStatement())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := scanUser(st.db.QueryRow("SELECT "+userCols+" FROM users WHERE id = ?", sam))
			if err != nil {
				t.Fatal(err)
			}
			u.roles = string(RoleOwner)
			u.shopID.Valid, u.shopID.String = false, ""
			tc.sign(u)
			if u.mac, err = st.userMAC(ctx, u); err != nil { // the org key is all it takes
				t.Fatal(err)
			}
			if _, err := st.db.Exec("UPDATE users SET roles = ?, shop_id = NULL, mac = ?, signer = ?, sig = ? WHERE id = ?", u.roles, u.mac, u.signer, u.sig, sam); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrTampered) {
				t.Fatalf("a forged owner record signed in: %v", err)
			}
			r := must[*Report](t)(st.Verify(ctx))
			if !hasProblem(r, "users", sam, "sig", "not signed by an active owner") {
				t.Fatalf("verify: %v", r.Problems)
			}
		})
	}
}

// TestStaffRecordMergesWhole: another owner device's write of a staff record whose clocks
// interleave with this device's own write (some columns older, some newer) replaces the row
// whole when its newest clock is the later one, so the merged row is still MAC'd and signed;
// a per-column merge would mix the two writes into a row that is neither.
func TestStaffRecordMergesWhole(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	// A second owner device in the roster.
	id := must[*device.Identity](t)(st.Replica().DeviceIdentity(ctx))
	lap := must[*device.Identity](t)(device.New())
	r := must[*roster.State](t)(st.Roster(ctx))
	e := must[[]byte](t)(r.Next(roster.OpAdd, roster.Member{ID: "laptop", Role: roster.RoleOwner, SigningKey: lap.SigningPublic(), KEMKey: lap.KEMPublic()}, st.DeviceID(), id.Signing, 1))
	must[*roster.State](t)(st.AppendRoster(ctx, [][]byte{e}))
	// This device promotes sam; the laptop, at about the same moment, deactivates sam.
	if err := owner.UpdateUser(ctx, sam, []Role{RoleManager}, nil, nil); err != nil {
		t.Fatal(err)
	}
	u := must[*userRow](t)(scanUser(st.db.QueryRow("SELECT "+userCols+" FROM users WHERE id = ?", sam)))
	// The promotion's clock (one write, one stamp for every cell it wrote).
	lo := int64(cellStamp(t, st, "users", sam, "roles").hlc)
	hi := lo
	theirs := *u
	theirs.roles, theirs.active = string(RoleSales), false
	theirs.signer, theirs.sig = "laptop", nil
	theirs.sig = ed25519.Sign(lap.Signing, theirs.staffStatement())
	theirs.mac = must[[]byte](t)(st.userMAC(ctx, &theirs))
	var shop any = theirs.shopID.String
	cols := []struct {
		name string
		v    any
	}{{"username", theirs.username}, {"display_name", theirs.displayName}, {"password_hash", theirs.passwordHash}, {"roles", theirs.roles},
		{"shop_id", shop}, {"active", int64(0)}, {"created_at", theirs.createdAt}, {"version", theirs.version}, {"mac", theirs.mac},
		{"signer", theirs.signer}, {"sig", theirs.sig}}
	var recs []ChangeRecord
	for i, c := range cols {
		h := uint64(lo) - 1 // older than this device's write...
		if i%2 == 1 {
			h = uint64(hi) + uint64(i) // ...and, for every other column, newer
		}
		recs = append(recs, ChangeRecord{HLC: h, Device: "laptop", Scope: OrgScope, Table: "users", RowID: sam, Column: c.name, Value: c.v, Sealed: c.name == "display_name"})
	}
	if _, err := st.applyRemote(ctx, "laptop", OrgScope, recs, 1<<40); err != nil {
		t.Fatalf("a whole staff write from another owner device: %v", err)
	}
	if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrInactive) {
		t.Fatalf("the later write did not win the whole record: %v", err)
	}
	if rep := must[*Report](t)(st.Verify(ctx)); !rep.OK() {
		t.Fatalf("verify: %v", rep.Problems)
	}
}
