package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// holdFixture is clockFixture with limits of 3 (export) and 2 (delete) and customers: four in
// North (sam's), one in South.
func holdFixture(t *testing.T) (*fixture, *testClock, []string) {
	t.Helper()
	ctx := context.Background()
	f, clk := clockFixture(t)
	if err := f.users["olga"].SetBulkLimits(ctx, BulkLimits{Export: 3, Delete: 2, Expiry: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("=Cust %d", i), Phone: fmt.Sprintf("+1 415 555 01%02d", i)})))
	}
	must[string](t)(f.users["stan"].CreateCustomer(ctx, CustomerInput{Name: "South One", Phone: "+49 151 03555075"}))
	return f, clk, ids
}

// fresh signs the user in again after the clock moved (their password is fresh again).
func (f *fixture) fresh(t *testing.T, name string) *Session {
	t.Helper()
	pw := staffPW
	if name == "olga" {
		pw = "owner-password-1"
	}
	f.users[name] = signIn(t, f.st, name, pw)
	return f.users[name]
}

// TestBulkExportLimit: under the limit the export runs at once (CSV, audited customer.export
// with count=N), over it it is held; a salesperson and another shop's manager cannot export.
func TestBulkExportLimit(t *testing.T) {
	ctx := context.Background()
	f, _, ids := holdFixture(t)
	for _, c := range []struct {
		who    string
		filter ExportFilter
		count  int
		held   bool
		err    error
	}{
		{"olga", ExportFilter{ShopID: f.south}, 1, false, nil},
		{"olga", ExportFilter{ShopID: f.north}, 4, true, nil},
		{"olga", ExportFilter{}, 5, false, ErrHoldOneShop},
		{"mia", ExportFilter{}, 4, true, nil},
		{"mia", ExportFilter{OwnerID: f.users["sue"].User().ID}, 0, false, nil},
		{"mo", ExportFilter{}, 1, false, nil},
		{"mo", ExportFilter{ShopID: f.north}, 0, false, ErrForbidden},
		{"sam", ExportFilter{}, 0, false, ErrForbidden},
	} {
		t.Run(c.who+"/"+c.filter.ShopID, func(t *testing.T) {
			res, err := f.users[c.who].ExportCustomers(ctx, c.filter, "csv")
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("got %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Count != c.count || (res.Held != nil) != c.held {
				t.Fatalf("count %d held %v", res.Count, res.Held)
			}
			if c.held {
				if res.CSV != nil || res.Held.Status != HoldOpen || res.Held.Count != c.count {
					t.Fatalf("held: %+v", res.Held)
				}
				return
			}
			recs, err := csv.NewReader(strings.NewReader(string(res.CSV))).ReadAll()
			if err != nil || len(recs) != c.count+1 {
				t.Fatalf("csv %d rows: %v", len(recs), err)
			}
			a := lastAuditOf(t, f.st, "customer.export")
			if !strings.Contains(a.Detail, fmt.Sprintf("count=%d ", c.count)) {
				t.Fatalf("audit: %+v", a)
			}
		})
	}
	res := must[*BulkResult](t)(f.users["olga"].ExportCustomers(ctx, ExportFilter{ShopID: f.south}, "csv"))
	if strings.Contains(string(res.CSV), ids[0]) || !strings.Contains(string(res.CSV), "South One") {
		t.Fatal("south's export")
	}
	if _, err := f.users["olga"].ExportCustomers(ctx, ExportFilter{ShopID: f.north}, "xml"); err == nil {
		t.Fatal("an unknown format")
	}
}

// TestHoldApprovers: a manager's held export is approved by an owner only among those who try
// (the manager herself, a salesperson, the other shop's manager cannot), then runs once, on
// the manager's session, with customer.export count=N hold=ID in the trail.
func TestHoldApprovers(t *testing.T) {
	ctx := context.Background()
	f, _, _ := holdFixture(t)
	res := must[*BulkResult](t)(f.users["mia"].ExportCustomers(ctx, ExportFilter{}, "age"))
	h := res.Held
	if h == nil || h.ShopID != f.north || h.Delayed() {
		t.Fatalf("held: %+v", h)
	}
	if got := strings.Join(h.Approvers, ","); got != "olga" {
		t.Fatalf("approvers %q", got)
	}
	if a := lastAuditOf(t, f.st, "hold.ask"); a.Target != h.ID || !strings.Contains(a.Detail, "count=4") {
		t.Fatalf("ask audit %+v", a)
	}
	if _, err := f.users["mia"].RunHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("ran before approval: %v", err)
	}
	for _, c := range []struct {
		who string
		err error
	}{{"mia", ErrSelfApproval}, {"sam", ErrForbidden}, {"mo", ErrForbidden}, {"olga", nil}} {
		err := f.users[c.who].ApproveHold(ctx, h.ID)
		if (c.err == nil && err != nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Fatalf("%s approving: %v, want %v", c.who, err, c.err)
		}
	}
	if a := lastAuditOf(t, f.st, "hold.approve"); a.UserID != f.users["olga"].User().ID || a.Outcome != "ok" {
		t.Fatalf("approve audit %+v", a)
	}
	if _, err := f.users["olga"].RunHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("the approver ran it: %v", err)
	}
	out := must[*BulkResult](t)(f.users["mia"].RunHold(ctx, h.ID))
	if out.Count != 4 || !strings.HasPrefix(string(out.CSV), "id,shop_id,owner,name") || !strings.Contains(string(out.CSV), "'=Cust 0") {
		t.Fatalf("run: %d %q", out.Count, out.CSV)
	}
	if a := lastAuditOf(t, f.st, "customer.export"); !strings.Contains(a.Detail, "count=4 format=age hold="+h.ID) {
		t.Fatalf("run audit %+v", a)
	}
	if _, err := f.users["mia"].RunHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("ran twice: %v", err)
	}
	// Refused and cancelled requests never run.
	for _, act := range []string{"refuse", "cancel"} {
		r := must[*BulkResult](t)(f.users["mia"].ExportCustomers(ctx, ExportFilter{}, "csv")).Held
		var err error
		if act == "refuse" {
			err = f.users["olga"].RefuseHold(ctx, r.ID)
		} else {
			err = f.users["mia"].CancelHold(ctx, r.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.users["mia"].RunHold(ctx, r.ID); !errors.As(err, new(*HoldStateError)) {
			t.Fatalf("%s: ran: %v", act, err)
		}
		if a := lastAuditOf(t, f.st, "hold."+act); a.Target != r.ID {
			t.Fatalf("%s audit %+v", act, a)
		}
	}
	// The salesperson sees none of it.
	if _, err := f.users["sam"].Holds(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales listed holds: %v", err)
	}
	if l := must[[]BulkHold](t)(f.users["mo"].Holds(ctx)); len(l) != 0 {
		t.Fatalf("the other shop's manager sees %d", len(l))
	}
}

// TestHoldExpiry: an approval after the expiry is refused, and an expired request cannot run.
func TestHoldExpiry(t *testing.T) {
	ctx := context.Background()
	f, clk, _ := holdFixture(t)
	h := must[*BulkResult](t)(f.users["mia"].ExportCustomers(ctx, ExportFilter{}, "csv")).Held
	h2 := must[*BulkResult](t)(f.users["mia"].ExportCustomers(ctx, ExportFilter{}, "csv")).Held
	must[any](t)(nil, f.users["olga"].ApproveHold(ctx, h2.ID))
	clk.Advance(49 * time.Hour)
	owner, mia := f.fresh(t, "olga"), f.fresh(t, "mia")
	if err := owner.ApproveHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("approved after expiry: %v", err)
	}
	if _, err := mia.RunHold(ctx, h2.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("an approved request ran after expiry: %v", err)
	}
	l := must[[]BulkHold](t)(mia.Holds(ctx))
	for _, x := range l {
		if x.Status != HoldExpired {
			t.Fatalf("%s: %s", x.ID, x.Status)
		}
	}
	if a := lastAuditOf(t, f.st, "hold.expire"); a.Outcome != "ok" || !strings.Contains(a.Detail, "count=4") {
		t.Fatalf("expire audit %+v", a)
	}
}

// TestHoldDelayOneOwner: with one owner and no manager for the shop, the owner's held
// deletion runs 24 hours after it was asked, not before, unless cancelled.
func TestHoldDelayOneOwner(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := holdFixture(t)
	// Mia leaves: North has no manager, and olga is the only owner.
	active := false
	if err := f.users["olga"].UpdateUser(ctx, f.users["mia"].User().ID, nil, &active, nil); err != nil {
		t.Fatal(err)
	}
	for _, cancel := range []bool{true, false} {
		res := must[*BulkResult](t)(f.users["olga"].DeleteCustomers(ctx, ids[:3]))
		h := res.Held
		if h == nil || !h.Delayed() || len(h.Approvers) != 0 || h.Runnable {
			t.Fatalf("held: %+v", h)
		}
		if _, err := f.users["olga"].RunHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
			t.Fatalf("ran at once: %v", err)
		}
		if cancel {
			must[any](t)(nil, f.users["olga"].CancelHold(ctx, h.ID))
		}
		clk.Advance(25 * time.Hour)
		owner := f.fresh(t, "olga")
		_, err := owner.RunHold(ctx, h.ID)
		if cancel {
			if !errors.As(err, new(*HoldStateError)) {
				t.Fatalf("a cancelled request ran: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if a := lastAuditOf(t, f.st, "customer.delete_bulk"); !strings.Contains(a.Detail, "count=3") {
			t.Fatalf("bulk audit %+v", a)
		}
		if _, err := owner.Customer(ctx, ids[0], ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("still there: %v", err)
		}
	}
	// A manager appointed after a delayed request was asked: it now waits for her decision.
	owner := f.users["olga"]
	if err := owner.SetBulkLimits(ctx, BulkLimits{Export: 0, Delete: 2, Expiry: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	h := must[*BulkResult](t)(owner.ExportCustomers(ctx, ExportFilter{ShopID: f.north}, "csv")).Held
	active = true
	if err := owner.UpdateUser(ctx, f.users["mia"].User().ID, nil, &active, nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(25 * time.Hour)
	owner, mia := f.fresh(t, "olga"), f.fresh(t, "mia")
	if _, err := owner.RunHold(ctx, h.ID); !errors.As(err, new(*HoldStateError)) {
		t.Fatalf("the delay ran with an approver there: %v", err)
	}
	if err := mia.ApproveHold(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.RunHold(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
}

// TestBulkDeleteUnderLimit: up to the limit the deletion runs at once, each customer audited
// customer.delete; a salesperson cannot; a stale password is asked again.
func TestBulkDeleteUnderLimit(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := holdFixture(t)
	if _, err := f.users["sam"].DeleteCustomers(ctx, ids[:2]); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales bulk-deleted: %v", err)
	}
	if _, err := f.users["mo"].DeleteCustomers(ctx, ids[:2]); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the other shop's manager deleted: %v", err)
	}
	res := must[*BulkResult](t)(f.users["mia"].DeleteCustomers(ctx, ids[:2]))
	if res.Held != nil || res.Deleted != 2 {
		t.Fatalf("%+v", res)
	}
	if a := lastAuditOf(t, f.st, "customer.delete"); a.Target != ids[1] {
		t.Fatalf("per-customer audit %+v", a)
	}
	clk.Advance(6 * time.Minute)
	if _, err := f.users["mia"].DeleteCustomers(ctx, ids[2:3]); !errors.Is(err, ErrReauthRequired) {
		t.Fatalf("a stale session deleted: %v", err)
	}
}

// TestReauthenticate: a sensitive action after ReauthAfter asks for the password again; a
// wrong one counts as a failed sign-in, a right one lets the action through.
func TestReauthenticate(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := holdFixture(t)
	owner := f.users["olga"]
	clk.Advance(4 * time.Minute)
	if _, err := owner.ExportCustomers(ctx, ExportFilter{ShopID: f.south}, "csv"); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	clk.Advance(2 * time.Minute)
	for _, op := range []func() error{
		func() error { _, err := owner.EraseCustomer(ctx, ids[0]); return err },
		func() error { _, err := owner.ExportCustomers(ctx, ExportFilter{ShopID: f.south}, "csv"); return err },
		func() error { return owner.UpdateUser(ctx, f.users["sam"].User().ID, []Role{RoleSales}, nil, nil) },
		func() error { _, err := owner.BackupKeys(ctx, OpRestore, "backup.restore"); return err },
		func() error { _, err := owner.ReplicaFor(ctx, "device.add"); return err },
	} {
		if err := op(); !errors.Is(err, ErrReauthRequired) {
			t.Fatalf("stale: %v", err)
		}
	}
	if _, err := owner.ReplicaFor(ctx, "device.list"); err != nil {
		t.Fatalf("listing devices is not sensitive: %v", err)
	}
	if err := owner.Reauthenticate(ctx, "wrong password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if a := lastAuditOf(t, f.st, "auth.sign_in"); a.Outcome != "failed" || !strings.Contains(a.Detail, "reauthentication; failed attempts=1") {
		t.Fatalf("failed reauth audit %+v", a)
	}
	if err := owner.Reauthenticate(ctx, "owner-password-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.EraseCustomer(ctx, ids[0]); err != nil {
		t.Fatalf("after reauth: %v", err)
	}
	// Five wrong ones lock the account, as at sign-in.
	for i := 0; i < MaxFailedSignIns; i++ {
		err := owner.Reauthenticate(ctx, "wrong")
		if i == MaxFailedSignIns-1 && !errors.Is(err, ErrLockedOut) {
			t.Fatalf("not locked: %v", err)
		}
	}
	if _, err := f.st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("sign-in after lock: %v", err)
	}
}

// TestRetentionNotHeld: an approved retention policy erases more customers than the delete
// limit without a held request.
func TestRetentionNotHeld(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	retentionScene(t, f, clk)
	owner := f.fresh(t, "olga")
	if err := owner.SetBulkLimits(ctx, BulkLimits{Export: 0, Delete: 0, Expiry: time.Hour}); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))
	for _, m := range []string{"mia", "mo"} {
		if err := f.fresh(t, m).ApproveRetention(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r, err := owner.RunRetention(ctx, RetentionRun{})
	if err != nil || r.Erased != 3 {
		t.Fatalf("run: %+v %v", r, err)
	}
	if l := must[[]BulkHold](t)(owner.Holds(ctx)); len(l) != 0 {
		t.Fatalf("retention made %d holds", len(l))
	}
}

// TestParseSelection: the decoder takes what encodeSelection writes and nothing else.
func TestParseSelection(t *testing.T) {
	id1, id2 := newID(), newID()
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"shop=" + id1, true}, {"shop=" + id1 + ";owner=" + id2, true}, {"ids=" + id1 + "," + id2, true},
		{"", false}, {"shop=", false}, {"owner=" + id1, false}, {"ids=" + id1 + "," + id1, false},
		{"shop=" + id1 + ";shop=" + id2, false}, {"shop=" + id1 + ";ids=" + id2, false}, {"name=x", false},
		{"shop=" + strings.ToUpper(id1) + "x", false}, {"ids=" + id1 + ",", false},
	} {
		s, err := parseSelection(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v", c.in, err)
		}
		if err == nil && encodeSelection(s) != c.in {
			t.Errorf("%q encodes back as %q", c.in, encodeSelection(s))
		}
	}
}

func FuzzParseSelection(f *testing.F) {
	f.Add("shop=01234567-89ab-7def-8123-456789abcdef;owner=01234567-89ab-7def-8123-456789abcdee")
	f.Add("ids=01234567-89ab-7def-8123-456789abcdef")
	f.Add("ids=;;=")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseSelection(in)
		if err != nil {
			return
		}
		again, err := parseSelection(encodeSelection(s))
		if err != nil || encodeSelection(again) != encodeSelection(s) {
			t.Fatalf("%q does not round-trip: %v", in, err)
		}
	})
}
