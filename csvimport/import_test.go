package csvimport_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"spoke/crypto/keys"
	"spoke/csvimport"
	"spoke/store"
)

// staff creates a database with one shop ("North", US), a salesperson sam and a mechanic mike
// there, a second shop "South" (DE), and signs them in.
func staff(t *testing.T) (owner, sam, mike *store.Session, south string) {
	t.Helper()
	ctx := context.Background()
	st, _, err := store.Create(ctx, filepath.Join(t.TempDir(), "db"), store.CreateOptions{ShopName: "North", Region: "US", Currency: "USD",
		OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, store.Options{Passphrase: "correct horse battery staple", KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signIn := func(user, pw string) *store.Session {
		ss, err := st.SignIn(ctx, user, pw)
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	owner = signIn("olga", "owner-password-1")
	shops, err := owner.Shops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.NewUser{{Username: "sam", Roles: []store.Role{store.RoleSales}}, {Username: "mike", Roles: []store.Role{store.RoleMechanic}}} {
		u.Password, u.ShopID = "staff-password-1", shops[0].ID
		if _, err := owner.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if south, err = owner.AddShop(ctx, "South", "DE", "EUR"); err != nil {
		t.Fatal(err)
	}
	return owner, signIn("sam", "staff-password-1"), signIn("mike", "staff-password-1"), south
}

func TestImportWithProgress(t *testing.T) {
	ctx := context.Background()
	owner, sam, mike, _ := staff(t)
	var rows []csvimport.Row
	for i := range 120 {
		rows = append(rows, csvimport.Row{Line: i + 2, Name: "Imported Person", BikeMake: "Trek"})
	}
	var calls []int
	ids, err := csvimport.Import(ctx, sam, csvimport.Target{}, rows, func(done, total int) {
		if total != 120 {
			t.Errorf("total %d", total)
		}
		calls = append(calls, done)
	})
	if err != nil || len(ids) != 120 {
		t.Fatalf("import: %d %v", len(ids), err)
	}
	if !slices.Equal(calls, []int{50, 100, 120}) {
		t.Fatalf("progress %v", calls)
	}
	c, err := sam.Customer(ctx, ids[0], "")
	if err != nil || len(c.Bikes) != 1 || c.Bikes[0].Make != "Trek" {
		t.Fatalf("imported customer %+v %v", c, err)
	}
	// All or nothing: one bad row imports nothing.
	rows[60].Name = ""
	if _, err := csvimport.Import(ctx, sam, csvimport.Target{}, rows, nil); err == nil || !strings.Contains(err.Error(), "line 62") {
		t.Fatalf("bad row: %v", err)
	}
	res, err := sam.Search(ctx, "imported", 1000)
	if err != nil || len(res) != 120 {
		t.Fatalf("after failed import: %d customers (%v)", len(res), err)
	}
	if _, err := csvimport.Import(ctx, mike, csvimport.Target{}, rows[:1], nil); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("mechanic import: %v", err)
	}
	recs, err := owner.AuditLog(ctx, store.AuditFilter{UserID: sam.User().ID, Action: "customer.import", Limit: 2})
	if err != nil || len(recs) != 1 || recs[0].Outcome != "ok" || !strings.HasPrefix(recs[0].Detail, "customers=120 bikes=120 owner=") {
		t.Fatalf("audit %+v %v", recs, err)
	}
}

func TestImportTarget(t *testing.T) {
	ctx := context.Background()
	owner, sam, _, south := staff(t)
	rows := []csvimport.Row{{Line: 2, Name: "Imported Person", Phone: "030 1234567"}}
	if _, err := csvimport.Import(ctx, sam, csvimport.Target{ShopID: south}, rows, nil); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("sales import into another shop: %v", err)
	}
	if r, err := csvimport.Region(ctx, sam, csvimport.Target{}); err != nil || r != "US" {
		t.Fatalf("sam's region %q %v", r, err)
	}
	if r, err := csvimport.Region(ctx, owner, csvimport.Target{ShopID: south}); err != nil || r != "DE" {
		t.Fatalf("South's region %q %v", r, err)
	}
	ids, err := csvimport.Import(ctx, owner, csvimport.Target{ShopID: south}, rows, nil)
	if err != nil || len(ids) != 1 {
		t.Fatalf("owner import into South: %v", err)
	}
	c, err := owner.Customer(ctx, ids[0], "")
	if err != nil || c.Phone != "+49301234567" {
		t.Fatalf("imported %+v %v", c, err)
	}
}
