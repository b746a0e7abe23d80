package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMatrixMatchesDesign compares every cell of matrix with DESIGN.md's access table, so a
// change to either shows up here.
func TestMatrixMatchesDesign(t *testing.T) {
	// Columns: owner, manager, sales, mechanic, marketing, auditor ("-" = no access).
	design := map[Op][6]Grant{
		OpCustomerPIIOwn:   {All, ShopOnly, Own, Deny, Deny, Deny},
		OpCustomerPIIOther: {All, ShopOnly, BreakGlass, Assigned, Deny, Deny},
		OpCustomerWrite:    {All, ShopOnly, Own, Deny, Deny, Deny},
		OpCustomerDelete:   {All, ShopOnly, Request, Deny, Deny, Deny},
		OpWorkOrders:       {All, ShopOnly, Own, Assigned, Deny, Deny},
		OpSales:            {All, ShopOnly, Own, Deny, Deny, Deny},
		OpStats:            {All, ShopOnly, Own, Deny, AllShopsAggr, Deny},
		OpCampaigns:        {All, ShopOnly, Deny, Deny, All, Deny},
		OpBulk:             {SecondApprover, SecondApprover, Deny, Deny, Deny, Deny},
		OpDataSubject:      {All, ShopOnly, Deny, Deny, Deny, Deny},
		OpAudit:            {All, ShopOnly, Deny, Deny, Deny, NoPII},
		OpUsers:            {All, Deny, Deny, Deny, Deny, Deny},
		OpBackup:           {All, All, Deny, Deny, Deny, Deny},
		OpRestore:          {All, Deny, Deny, Deny, Deny, Deny},
		OpDevices:          {All, Deny, Deny, Deny, Deny, Deny},
	}
	if len(design) != len(Ops) || len(matrix) != len(Ops) {
		t.Fatalf("design has %d ops, Ops %d, matrix %d", len(design), len(Ops), len(matrix))
	}
	for _, op := range Ops {
		for i, r := range Roles {
			t.Run(fmt.Sprintf("%s/%s", op, r), func(t *testing.T) {
				if got, want := matrix[op][r], design[op][i]; got != want {
					t.Fatalf("matrix = %q, DESIGN.md = %q", got, want)
				}
			})
		}
	}
}

// fixture is a two-shop chain with one user per role and customers owned by different
// salespeople, for exercising the matrix through the Session.
type fixture struct {
	st                *Store
	north, south      string
	users             map[string]*Session
	cSam, cSue, cStan string
	woSue             string
	emailSue          string
}

const staffPW = "staff-password-1"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, _ := newTestStore(t)
	f := &fixture{st: st, users: map[string]*Session{}, emailSue: "sue.customer@example.com"}
	owner := signIn(t, st, "olga", "owner-password-1")
	f.users["olga"] = owner
	shops, _ := owner.Shops(ctx)
	f.north = shops[0].ID
	f.south = must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	for _, u := range []struct {
		name string
		role Role
		shop string
	}{
		{"mia", RoleManager, f.north}, {"mo", RoleManager, f.south}, {"sam", RoleSales, f.north}, {"sue", RoleSales, f.north},
		{"stan", RoleSales, f.south}, {"mike", RoleMechanic, f.north}, {"mark", RoleMarketing, ""}, {"aud", RoleAuditor, ""},
	} {
		must[string](t)(owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: u.shop}))
		f.users[u.name] = signIn(t, st, u.name, staffPW)
	}
	f.cSam = must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: "Ada Samcustomer", Email: "ada@example.com", Phone: "+1 415 555 0101"}))
	f.cSue = must[string](t)(f.users["sue"].CreateCustomer(ctx, CustomerInput{Name: "Bea Suecustomer", Email: f.emailSue, Phone: "+1 415 555 0102", Notes: "private note"}))
	f.cStan = must[string](t)(f.users["stan"].CreateCustomer(ctx, CustomerInput{Name: "Carl Stancustomer", Phone: "030 1234567"}))
	bike := must[string](t)(f.users["sue"].AddBike(ctx, f.cSue, Bike{Make: "Trek", Model: "Domane", Serial: "WTU123X4567"}))
	f.woSue = must[string](t)(f.users["sue"].CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.cSue, BikeID: bike, Complaint: "gears skip", MechanicID: f.users["mike"].User().ID}))
	return f
}

// outcome classifies a result for the table.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrNotFound):
		return "notfound"
	case errors.Is(err, ErrReasonRequired):
		return "reason"
	}
	return "error: " + err.Error()
}

func TestAccessThroughSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	users := []string{"olga", "mia", "mo", "sam", "sue", "stan", "mike", "mark", "aud"}
	type op struct {
		name string
		do   func(ss *Session) (string, error) // returns a detail to compare where useful
		want map[string]string                 // user -> outcome[/detail]
	}
	readFull := func(id string) func(ss *Session) (string, error) {
		return func(ss *Session) (string, error) {
			c, err := ss.Customer(ctx, id, "")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("email=%v notes=%v", c.Email != "", c.Notes != ""), nil
		}
	}
	ops := []op{
		{"read own/other customer without reason", readFull(f.cSam), map[string]string{
			"olga": "ok/email=true notes=false", "mia": "ok/email=true notes=false", "mo": "notfound", "sam": "ok/email=true notes=false",
			"sue": "reason", "stan": "notfound", "mike": "notfound", "mark": "notfound", "aud": "notfound"}},
		{"break-glass read with reason", func(ss *Session) (string, error) {
			c, err := ss.Customer(ctx, f.cSue, "customer phoned about pick-up")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("minimal=%v email=%v notes=%v phone=%v bg=%v", c.Minimal, c.Email != "", c.Notes != "", c.Phone != "", c.BreakGlass), nil
		}, map[string]string{
			"olga": "ok/minimal=false email=true notes=true phone=true bg=false", "mia": "ok/minimal=false email=true notes=true phone=true bg=false",
			"mo": "notfound", "sam": "ok/minimal=true email=false notes=false phone=true bg=true", "sue": "ok/minimal=false email=true notes=true phone=true bg=false",
			"stan": "notfound", "mike": "ok/minimal=true email=false notes=false phone=true bg=false", "mark": "notfound", "aud": "notfound"}},
		{"create customer", func(ss *Session) (string, error) {
			in := CustomerInput{Name: "New Person"}
			if ss.User().ShopID == "" {
				in.ShopID = f.north
			}
			_, err := ss.CreateCustomer(ctx, in)
			return "", err
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "ok", "sam": "ok", "sue": "ok", "stan": "ok", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"edit sam's customer", func(ss *Session) (string, error) {
			return "", ss.UpdateCustomer(ctx, f.cSam, CustomerInput{Name: "Ada Samcustomer", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "edited by " + ss.User().Username})
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "forbidden", "sam": "ok", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"delete a customer", func(ss *Session) (string, error) {
			id := must[string](t)(f.users["olga"].CreateCustomer(ctx, CustomerInput{Name: "Delete Me", ShopID: f.north, OwnerID: f.users["sam"].User().ID}))
			return "", ss.DeleteCustomer(ctx, id)
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "forbidden", "sam": "forbidden", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"work-order board", func(ss *Session) (string, error) {
			items, err := ss.Board(ctx, "", "")
			return fmt.Sprint(len(items)), err
		}, map[string]string{"olga": "ok/1", "mia": "ok/1", "mo": "ok/0", "sam": "ok/0", "sue": "ok/1", "stan": "ok/0", "mike": "ok/1", "mark": "forbidden", "aud": "forbidden"}},
		{"open work order for sam's customer", func(ss *Session) (string, error) {
			_, err := ss.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.cSam, Complaint: "flat tyre"})
			return "", err
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "forbidden", "sam": "ok", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"move sue's job", func(ss *Session) (string, error) {
			err := ss.AddWorkOrderLine(ctx, f.woSue, Line{Kind: "labour", Description: "Check", Qty: 1, UnitPrice: 100})
			return "", err
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "forbidden", "sam": "forbidden", "sue": "ok", "stan": "forbidden", "mike": "ok", "mark": "forbidden", "aud": "forbidden"}},
		{"record a sale for sam's customer", func(ss *Session) (string, error) {
			_, err := ss.RecordSale(ctx, SaleInput{CustomerID: f.cSam, PaymentMethod: "card", Lines: []Line{{Description: "Bell", Qty: 1, UnitPrice: 999}}})
			return "", err
		}, map[string]string{"olga": "ok", "mia": "ok", "mo": "forbidden", "sam": "ok", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"aggregate statistics", func(ss *Session) (string, error) {
			st, err := ss.Stats(ctx)
			if err != nil {
				return "", err
			}
			suppressed := slices.ContainsFunc(st.CustomersByShop, func(c Cell) bool { return c.Suppressed })
			return fmt.Sprintf("suppressed=%v", suppressed), nil
		}, map[string]string{"olga": "ok/suppressed=false", "mia": "ok/suppressed=false", "mo": "ok/suppressed=false", "sam": "ok/suppressed=false",
			"sue": "ok/suppressed=false", "stan": "ok/suppressed=false", "mike": "forbidden", "mark": "ok/suppressed=true", "aud": "forbidden"}},
		{"audit trail", func(ss *Session) (string, error) {
			recs, err := ss.AuditLog(ctx, AuditFilter{Action: "customer.read.break_glass"})
			reasons := slices.ContainsFunc(recs, func(r AuditRecord) bool { return r.Reason != "" })
			return fmt.Sprintf("reasons=%v", reasons), err
		}, map[string]string{"olga": "ok/reasons=true", "mia": "ok/reasons=true", "mo": "ok/reasons=false", "sam": "forbidden", "sue": "forbidden",
			"stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "ok/reasons=false"}},
		{"restore a backup", func(ss *Session) (string, error) {
			_, err := ss.BackupKeys(ctx, OpRestore, "backup.restore")
			return "", err
		},
			map[string]string{"olga": "ok", "mia": "forbidden", "mo": "forbidden", "sam": "forbidden", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"back up", func(ss *Session) (string, error) {
			_, err := ss.BackupKeys(ctx, OpBackup, "backup.create")
			return "", err
		},
			map[string]string{"olga": "ok", "mia": "ok", "mo": "ok", "sam": "forbidden", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"list users", func(ss *Session) (string, error) { _, err := ss.Users(ctx); return "", err },
			map[string]string{"olga": "ok", "mia": "forbidden", "mo": "forbidden", "sam": "forbidden", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"add user", func(ss *Session) (string, error) {
			_, err := ss.AddUser(ctx, NewUser{Username: "x-" + ss.User().Username, Password: staffPW, Roles: []Role{RoleAuditor}})
			return "", err
		}, map[string]string{"olga": "ok", "mia": "forbidden", "mo": "forbidden", "sam": "forbidden", "sue": "forbidden", "stan": "forbidden", "mike": "forbidden", "mark": "forbidden", "aud": "forbidden"}},
		{"search index contents", func(ss *Session) (string, error) {
			res, err := ss.Search(ctx, "customer", 50)
			var names []string
			for _, r := range res {
				names = append(names, r.Name[:3]+fmt.Sprintf("(email=%v)", r.Email != ""))
			}
			slices.Sort(names)
			return fmt.Sprint(names), err
		}, map[string]string{
			"olga": "ok/[Ada(email=true) Bea(email=true) Car(email=false)]", "mia": "ok/[Ada(email=true) Bea(email=true)]", "mo": "ok/[Car(email=false)]",
			"sam": "ok/[Ada(email=true)]", "sue": "ok/[Bea(email=true)]", "stan": "ok/[Car(email=false)]", "mike": "ok/[Bea(email=false)]",
			"mark": "forbidden", "aud": "forbidden"}},
		{"exact lookup by e-mail of sue's customer", func(ss *Session) (string, error) {
			res, err := ss.FindCustomers(ctx, ByEmail, "  SUE.Customer@Example.com ")
			return fmt.Sprint(len(res)), err
		}, map[string]string{"olga": "ok/1", "mia": "ok/1", "mo": "ok/0", "sam": "ok/0", "sue": "ok/1", "stan": "ok/0", "mike": "ok/0", "mark": "ok/0", "aud": "ok/0"}},
	}
	for _, o := range ops {
		for _, u := range users {
			t.Run(o.name+"/"+u, func(t *testing.T) {
				detail, err := o.do(f.users[u])
				got := outcome(err)
				if err == nil && detail != "" {
					got += "/" + detail
				}
				if want := o.want[u]; got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			})
		}
	}
	// Every denial reached the audit trail.
	recs, err := f.users["olga"].AuditLog(ctx, AuditFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, r := range recs {
		if r.Outcome == "denied" {
			denied++
		}
	}
	if denied < 40 {
		t.Fatalf("only %d denials audited", denied)
	}
}

// lastAudit returns the newest audit entry of a user whose action starts with action.
func lastAudit(t *testing.T, f *fixture, user, action string) AuditRecord {
	t.Helper()
	recs, err := f.users["olga"].AuditLog(context.Background(), AuditFilter{UserID: f.users[user].User().ID, Action: action, Limit: 1})
	if err != nil || len(recs) == 0 {
		t.Fatalf("no %s entry for %s: %v", action, user, err)
	}
	return recs[0]
}

// plantCustomer writes a customer below the access check, as a device without the shop check
// (or the hole this test guards) left it: a row in shop owned by a salesperson of another shop.
func plantCustomer(t *testing.T, f *fixture, in CustomerInput) string {
	t.Helper()
	var id string
	err := f.st.write(context.Background(), actor{userID: "test"}, "test.plant", func(w *wtx) error {
		var err error
		id, err = w.insertCustomer(in, w.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSalesStayInTheirShop plays a North salesperson working in South (attack 6 of issue 8):
// the "own" grant covers their customers in their shop only. Every refusal is ErrForbidden (or
// not found, for reads that must not confirm a customer exists), writes nothing, and is audited
// as denied; the same operation in their own shop works.
func TestSalesStayInTheirShop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sam := f.users["sam"].User().ID
	// sam's customer kept in South: the state the attack left behind.
	planted := plantCustomer(t, f, CustomerInput{Name: "Dora Plantedcustomer", Phone: "+49 30 1234568", ShopID: f.south, OwnerID: sam})
	rows := []importRow{{Line: 2, Name: "Imported Person", Email: "imported@example.com"}}
	sale := func(customer, shop string) func(ss *Session) error {
		return func(ss *Session) error {
			_, err := ss.RecordSale(ctx, SaleInput{CustomerID: customer, ShopID: shop, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}})
			return err
		}
	}
	tests := []struct {
		name   string
		user   string
		do     func(ss *Session) error
		want   string // outcome
		action string // audited as denied, when refused
	}{
		{"create customer in another shop", "sam", func(ss *Session) error {
			_, err := ss.CreateCustomer(ctx, CustomerInput{Name: "South Person", ShopID: f.south})
			return err
		}, "forbidden", "customer.create"},
		{"create customer in another shop for a colleague there", "sam", func(ss *Session) error {
			_, err := ss.CreateCustomer(ctx, CustomerInput{Name: "South Person", ShopID: f.south, OwnerID: f.users["stan"].User().ID})
			return err
		}, "forbidden", "customer.create"},
		{"backdated sale by sales", "sam", func(ss *Session) error {
			_, err := ss.RecordSale(ctx, SaleInput{CustomerID: f.cSam, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}, SoldAt: time.Now().Add(-72 * time.Hour)})
			return err
		}, "forbidden", "sale.create"},
		{"backdated sale by the owner", "olga", func(ss *Session) error {
			_, err := ss.RecordSale(ctx, SaleInput{CustomerID: f.cSam, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}, SoldAt: time.Now().Add(-72 * time.Hour)})
			return err
		}, "ok", ""},
		{"create customer in own shop", "sam", func(ss *Session) error {
			_, err := ss.CreateCustomer(ctx, CustomerInput{Name: "North Person", ShopID: f.north})
			return err
		}, "ok", ""},
		{"south sales create in north", "stan", func(ss *Session) error {
			_, err := ss.CreateCustomer(ctx, CustomerInput{Name: "North Person", ShopID: f.north})
			return err
		}, "forbidden", "customer.create"},
		{"south sales create in south", "stan", func(ss *Session) error {
			_, err := ss.CreateCustomer(ctx, CustomerInput{Name: "South Person"})
			return err
		}, "ok", ""},
		{"import into another shop", "sam", func(ss *Session) error {
			_, err := batchImport(ctx, ss, f.south, "", rows)
			return err
		}, "forbidden", "customer.import"},
		{"import into own shop", "sam", func(ss *Session) error {
			_, err := batchImport(ctx, ss, f.north, "", rows)
			return err
		}, "ok", ""},
		{"walk-in sale in another shop", "sam", sale("", f.south), "forbidden", "sale.create"},
		{"walk-in sale in own shop", "sam", sale("", f.north), "ok", ""},
		{"sale for own customer kept in another shop", "sam", sale(planted, ""), "forbidden", "sale.create"},
		{"sale for own customer in own shop", "sam", sale(f.cSam, ""), "ok", ""},
		{"work order for own customer kept in another shop", "sam", func(ss *Session) error {
			_, err := ss.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: planted, Complaint: "creaks"})
			return err
		}, "forbidden", "work_order.create"},
		{"work order for own customer in own shop", "sam", func(ss *Session) error {
			_, err := ss.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.cSam, Complaint: "creaks"})
			return err
		}, "ok", ""},
		{"edit own customer kept in another shop", "sam", func(ss *Session) error {
			return ss.UpdateCustomer(ctx, planted, CustomerInput{Name: "Dora Edited"})
		}, "forbidden", "customer.update"},
		{"read own customer kept in another shop", "sam", func(ss *Session) error {
			_, err := ss.Customer(ctx, planted, "")
			return err
		}, "notfound", "customer.read"},
		{"break-glass read in another shop", "sam", func(ss *Session) error {
			_, err := ss.Customer(ctx, planted, "customer phoned about pick-up")
			return err
		}, "notfound", "customer.read"},
	}
	// The detector's alerts on these refusals are data of their own (alerts_test.go): here
	// only the operations are judged.
	f.st.watch = nil
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := f.st.DataHash(ctx)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.do(f.users[tc.user])
			if got := outcome(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.want == "ok" {
				return
			}
			if after, _ := f.st.DataHash(ctx); after != before {
				t.Fatal("a refused operation changed data")
			}
			if e := lastAudit(t, f, tc.user, tc.action); e.Action != tc.action || e.Outcome != "denied" {
				t.Fatalf("newest entry %s %s, want %s denied", e.Action, e.Outcome, tc.action)
			}
		})
	}
	// Nor do lists show the planted customer or its shop's data.
	res, err := f.users["sam"].Search(ctx, "Planted", 10)
	if err != nil || len(res) != 0 {
		t.Fatalf("search: %v, %d results", err, len(res))
	}
	must[string](t)(f.users["olga"].CreateWorkOrder(ctx, WorkOrderInput{CustomerID: planted, Complaint: "creaks"}))
	must[string](t)(f.users["olga"].RecordSale(ctx, SaleInput{CustomerID: planted, PaymentMethod: "card", Lines: []Line{{Description: "Lock", Qty: 1, UnitPrice: 2500}}}))
	items, err := f.users["sam"].Board(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ShopID != f.north {
			t.Fatalf("sam's board shows a %s job", it.ShopID)
		}
	}
	sales, err := f.users["sam"].RecentSales(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sales {
		if s.ShopID != f.north {
			t.Fatalf("sam's sales list shows a %s sale", s.ShopID)
		}
	}
	st, err := f.users["sam"].Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.CustomersByShop {
		if c.Key != "North" {
			t.Fatalf("sam's statistics count customers of %s", c.Key)
		}
	}
}

// shownFields lists the personal fields a card carries, named as audit entries name them.
func shownFields(c *CustomerCard) []string {
	var out []string
	for _, f := range []struct {
		name  string
		shown bool
	}{
		{"name", c.Name != ""}, {"email", c.Email != ""}, {"phone", c.Phone != ""}, {"address", c.Address != ""},
		{"birthday", c.Birthday != ""}, {"notes", c.Notes != ""}, {"phone_alt", c.PhoneAlt != ""}, {"source", c.Source != ""},
		{"bikes.serial", slices.ContainsFunc(c.Bikes, func(b Bike) bool { return b.Serial != "" })},
		{"work_orders.complaint", slices.ContainsFunc(c.WorkOrders, func(w WorkOrder) bool { return w.Complaint != "" })},
		{"work_orders.notes", slices.ContainsFunc(c.WorkOrders, func(w WorkOrder) bool { return w.Notes != "" })},
	} {
		if f.shown {
			out = append(out, f.name)
		}
	}
	return out
}

// TestCardShowsWhatTheAuditSays plays attack 7 of issue 8: the break-glass "minimal" card must
// carry no job text (complaints and notes are free text about the customer), and for every
// viewer the audit entry names exactly the fields the card carried.
func TestCardShowsWhatTheAuditSays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sue, mike := f.users["sue"], f.users["mike"]
	id := must[string](t)(sue.CreateCustomer(ctx, CustomerInput{Name: "Eve Fullcustomer", Email: "eve@example.com", Phone: "+1 415 555 0199",
		Address: "1 Market St", Birthday: "1980-02-03", Notes: "prefers e-mail", PhoneAlt: "+1 415 555 0198", Source: "shopify:4012345678"}))
	bike := must[string](t)(sue.AddBike(ctx, id, Bike{Make: "Cannondale", Model: "Topstone", Serial: "CAN555X123"}))
	mech := mike.User().ID
	texts := map[string]string{} // job text -> which job it belongs to
	job := func(complaint, notes, mechanic string, path ...Status) string {
		wo := must[string](t)(sue.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: id, BikeID: bike, Complaint: complaint, Notes: notes, MechanicID: mechanic}))
		for _, s := range path {
			if err := sue.MoveWorkOrder(ctx, wo, s); err != nil {
				t.Fatal(err)
			}
		}
		texts[complaint], texts[notes] = wo, wo
		return wo
	}
	mikesOpen := job("squeaky brakes", "recovering from knee surgery", mech)
	job("wheel out of true", "pays cash only", "")
	job("old drivetrain job", "said his divorce is messy", mech, StatusApproved, StatusInProgress, StatusReady, StatusCollected)
	all := []string{"name", "email", "phone", "address", "birthday", "notes", "phone_alt", "source", "bikes.serial", "work_orders.complaint", "work_orders.notes"}
	tests := []struct {
		user       string
		reason     string
		action     string
		fields     []string
		jobs       int    // jobs on the card
		textOf     string // the only job whose text the card may carry ("" none, "*" all)
		breakGlass bool
	}{
		{"sam", "customer phoned about pick-up", "customer.read.break_glass", []string{"name", "phone"}, 3, "", true},
		{"mike", "", "customer.read", []string{"name", "phone", "work_orders.complaint", "work_orders.notes"}, 1, mikesOpen, false},
		{"sue", "", "customer.read", all, 3, "*", false},
		{"mia", "", "customer.read", all, 3, "*", false},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			card, err := f.users[tc.user].Customer(ctx, id, tc.reason)
			if err != nil {
				t.Fatal(err)
			}
			if card.BreakGlass != tc.breakGlass || len(card.WorkOrders) != tc.jobs {
				t.Fatalf("break-glass %v with %d jobs, want %v with %d", card.BreakGlass, len(card.WorkOrders), tc.breakGlass, tc.jobs)
			}
			for _, wo := range card.WorkOrders {
				if tc.textOf != "*" && wo.ID != tc.textOf && (wo.Complaint != "" || wo.Notes != "") {
					t.Fatalf("job %s carries its complaint or notes", wo.ID)
				}
			}
			// Whatever the card's shape, no other job's text may be anywhere in it.
			js, _ := json.Marshal(card)
			for text, wo := range texts {
				if tc.textOf != "*" && wo != tc.textOf && strings.Contains(string(js), text) {
					t.Fatalf("the card contains job text of %s", wo)
				}
			}
			e := lastAudit(t, f, tc.user, "customer.read")
			if e.Action != tc.action || e.Target != id {
				t.Fatalf("newest entry %s on %s, want %s on the customer", e.Action, e.Target, tc.action)
			}
			if tc.breakGlass && e.Reason != tc.reason {
				t.Fatal("the break-glass entry lacks its reason")
			}
			if shown := shownFields(card); !slices.Equal(e.Fields, shown) || !slices.Equal(shown, tc.fields) {
				t.Fatalf("audit fields %v, card shows %v, want %v", e.Fields, shown, tc.fields)
			}
		})
	}
}

// TestMechanicSeesOnlyOpenJobsCustomers plays attack 8 of issue 8: a mechanic's board keeps
// every job assigned to them, but the customer's name and phone only while the job is open;
// a collected or cancelled job also takes the customer out of their search and card, also
// when the mechanic's search index was built before the job closed.
func TestMechanicSeesOnlyOpenJobsCustomers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sue, mike := f.users["sue"], f.users["mike"]
	tests := []struct {
		status Status
		path   []Status
	}{
		{StatusIntake, nil},
		{StatusWaitingParts, []Status{StatusApproved, StatusWaitingParts}},
		{StatusReady, []Status{StatusApproved, StatusInProgress, StatusReady}},
		{StatusCollected, []Status{StatusApproved, StatusInProgress, StatusReady, StatusCollected}},
		{StatusCancelled, []Status{StatusCancelled}},
	}
	type job struct{ customer, wo, name string }
	jobs := map[Status]job{}
	for i, tc := range tests {
		name := fmt.Sprintf("Boardcustomer %s", tc.status)
		c := must[string](t)(sue.CreateCustomer(ctx, CustomerInput{Name: name, Phone: fmt.Sprintf("+1 415 555 02%02d", i)}))
		wo := must[string](t)(sue.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: c, Complaint: "service", MechanicID: mike.User().ID}))
		jobs[tc.status] = job{c, wo, name}
	}
	// The mechanic's index is built while every job is open.
	if res, err := mike.Search(ctx, "Boardcustomer", 50); err != nil || len(res) != len(tests) {
		t.Fatalf("search before: %v, %d results", err, len(res))
	}
	for _, tc := range tests {
		for _, s := range tc.path {
			if err := sue.MoveWorkOrder(ctx, jobs[tc.status].wo, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	items, err := mike.Board(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, tc := range tests {
		t.Run(string(tc.status), func(t *testing.T) {
			j := jobs[tc.status]
			want := tc.status.Open()
			i := slices.IndexFunc(items, func(it BoardItem) bool { return it.ID == j.wo })
			if i < 0 {
				t.Fatal("the job is not on the mechanic's board")
			}
			if it := items[i]; it.Status != tc.status || (it.CustomerName != "") != want || (it.CustomerPhone != "") != want {
				t.Fatalf("board: status %s name shown %v phone shown %v, want %s and %v", it.Status, it.CustomerName != "", it.CustomerPhone != "", tc.status, want)
			}
			_, err := mike.Customer(ctx, j.customer, "")
			if got, w := outcome(err), map[bool]string{true: "ok", false: "notfound"}[want]; got != w {
				t.Fatalf("card: %s, want %s", got, w)
			}
			res, err := mike.Search(ctx, j.name, 5)
			if err != nil || slices.ContainsFunc(res, func(s CustomerSummary) bool { return s.ID == j.customer }) != want {
				t.Fatalf("search: %v, %d results, want found=%v", err, len(res), want)
			}
			err = mike.AddWorkOrderLine(ctx, j.wo, Line{Kind: "labour", Description: "Check", Qty: 1, UnitPrice: 100})
			if got, w := outcome(err), map[bool]string{true: "ok", false: "forbidden"}[want]; got != w {
				t.Fatalf("add line: %s, want %s", got, w)
			}
		})
		if tc.status.Open() {
			open++
		}
	}
	// The board's audit entry counts the customers it opened: the fixture's job and the open ones.
	if e := lastAudit(t, f, "mike", "work_order.list"); e.Detail != fmt.Sprintf("jobs=%d", open+1) {
		t.Fatalf("board audit %q, want jobs=%d", e.Detail, open+1)
	}
}

// TestMayAnswersTheMatrix: Session.May is what the GUI asks to show a screen; it follows the
// matrix (a "request" grant is not a grant) and audits nothing.
func TestMayAnswersTheMatrix(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	before := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{}))
	for _, c := range []struct {
		op   Op
		user string
		want bool
	}{
		{OpRestore, "olga", true}, {OpRestore, "mia", false}, {OpRestore, "sam", false},
		{OpBackup, "olga", true}, {OpBackup, "mia", true}, {OpBackup, "sam", false}, {OpBackup, "aud", false},
		{OpDevices, "olga", true}, {OpDevices, "mia", false},
		{OpCustomerDelete, "sam", false}, {OpCustomerDelete, "mia", true},
		{OpStats, "mark", true}, {OpStats, "mike", false},
		{OpAudit, "aud", true},
	} {
		if got := f.users[c.user].May(c.op); got != c.want {
			t.Errorf("%s May(%s) = %v, want %v", c.user, c.op, got, c.want)
		}
	}
	after := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{}))
	if len(after) != len(before)+1 { // the second AuditLog read is itself audited, nothing else
		t.Fatalf("May wrote to the audit trail: %d entries before, %d after", len(before), len(after))
	}
}
