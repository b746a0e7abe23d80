package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestUsernamesListsOnlyActiveAccounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	names := must[[]string](t)(f.st.Usernames(ctx))
	if !slices.Contains(names, "sam") || !slices.Contains(names, "olga") || !slices.IsSorted(names) {
		t.Fatalf("usernames %v", names)
	}
	off := false
	if err := f.users["olga"].UpdateUser(ctx, f.users["sam"].User().ID, nil, &off, nil); err != nil {
		t.Fatal(err)
	}
	names = must[[]string](t)(f.st.Usernames(ctx))
	if slices.Contains(names, "sam") {
		t.Fatalf("deactivated account still offered: %v", names)
	}
}

func TestStaffDirectory(t *testing.T) {
	f := newFixture(t)
	staff := must[[]Staff](t)(f.users["sue"].Staff(context.Background()))
	var mike *Staff
	for i := range staff {
		if staff[i].Username == "mike" {
			mike = &staff[i]
		}
	}
	if mike == nil || !slices.Equal(mike.Roles, []Role{RoleMechanic}) || mike.ShopID != f.north {
		t.Fatalf("mike: %+v", mike)
	}
}

func TestRecentSalesFollowsTheMatrix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	line := []Line{{Description: "Chain", Qty: 1, UnitPrice: 2999}}
	must[string](t)(f.users["sam"].RecordSale(ctx, SaleInput{CustomerID: f.cSam, PaymentMethod: "card", Lines: line}))
	must[string](t)(f.users["sue"].RecordSale(ctx, SaleInput{CustomerID: f.cSue, PaymentMethod: "cash", Lines: line}))
	must[string](t)(f.users["stan"].RecordSale(ctx, SaleInput{CustomerID: f.cStan, PaymentMethod: "card", Lines: line}))
	names := func(user string) []string {
		list, err := f.users[user].RecentSales(ctx, 10)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.CustomerName)
		}
		slices.Sort(out)
		return out
	}
	if got := names("sam"); !slices.Equal(got, []string{"Ada Samcustomer"}) {
		t.Fatalf("sam sees %v", got)
	}
	if got := names("mia"); !slices.Equal(got, []string{"Ada Samcustomer", "Bea Suecustomer"}) {
		t.Fatalf("manager sees %v", got)
	}
	if got := names("olga"); len(got) != 3 {
		t.Fatalf("owner sees %v", got)
	}
	for _, u := range []string{"mike", "mark", "aud"} {
		if _, err := f.users[u].RecentSales(ctx, 10); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s: %v", u, err)
		}
	}
	recs := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Action: "sale.list", Limit: 1}))
	if len(recs) != 1 || strings.Contains(recs[0].Detail, "Ada") {
		t.Fatalf("audit %+v", recs)
	}
}

func TestFindOthersRevealsNoPersonalData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	refs := must[[]CustomerRef](t)(f.users["sam"].FindOthers(ctx, ByEmail, "SUE.customer@example.com"))
	if len(refs) != 1 || refs[0].ID != f.cSue || refs[0].Owner != "sue" {
		t.Fatalf("refs %+v", refs)
	}
	// Opening it still needs a reason.
	if _, err := f.users["sam"].Customer(ctx, refs[0].ID, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("open without reason: %v", err)
	}
	// Own customers and other shops' customers are not "others" to break into.
	if refs := must[[]CustomerRef](t)(f.users["sue"].FindOthers(ctx, ByEmail, f.emailSue)); len(refs) != 0 {
		t.Fatalf("own customer listed: %+v", refs)
	}
	if refs := must[[]CustomerRef](t)(f.users["stan"].FindOthers(ctx, ByEmail, f.emailSue)); len(refs) != 0 {
		t.Fatalf("other shop listed: %+v", refs)
	}
	if _, err := f.users["mark"].FindOthers(ctx, ByEmail, f.emailSue); !errors.Is(err, ErrForbidden) {
		t.Fatalf("marketing: %v", err)
	}
	var fe *FieldError
	if _, err := f.users["sam"].FindOthers(ctx, ByPhone, "not a phone"); !errors.As(err, &fe) {
		t.Fatalf("bad phone: %v", err)
	}
}
