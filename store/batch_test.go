package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// importRow is what an importer hands the store for one customer (spoke/csvimport.Row's
// shape; the store's tests cannot import csvimport, which sits above the store).
type importRow struct {
	Line               int
	Name, Email, Phone string
	BikeMake           string
}

// batchImport writes rows through Batch as spoke/csvimport.Import does (its own tests cover
// the importer; these cover what the store guarantees: grants, audit, all or nothing).
func batchImport(ctx context.Context, ss *Session, shopID, ownerID string, rows []importRow) ([]string, error) {
	var ids []string
	err := ss.Batch(ctx, "customer.import", func(b *Batch) error {
		ids = ids[:0]
		shop, owner, err := b.CustomerTarget(shopID, ownerID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			id, err := b.AddCustomer(CustomerInput{Name: r.Name, Email: r.Email, Phone: r.Phone, ShopID: shop, OwnerID: owner}, time.Time{})
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			ids = append(ids, id)
			if r.BikeMake != "" {
				if _, err := b.AddBike(id, Bike{Make: r.BikeMake}, time.Time{}); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
			}
		}
		b.Summarize(shop, []string{"name", "email", "phone"}, fmt.Sprintf("customers=%d", len(ids)))
		return nil
	})
	return ids, err
}

// TestBatchAllOrNothing: a bad row rolls the whole batch back, and a good batch is one audit
// entry whose summary the caller set; the customers reach the writer's search index.
func TestBatchAllOrNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sam := f.users["sam"]
	if err := sam.BuildIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var rows []importRow
	for i := range 120 {
		rows = append(rows, importRow{Line: i + 2, Name: "Batched Person", BikeMake: "Trek"})
	}
	rows[60].Name = ""
	if _, err := batchImport(ctx, sam, "", "", rows); err == nil || !strings.Contains(err.Error(), "line 62") {
		t.Fatalf("bad row: %v", err)
	}
	if res := must[[]CustomerSummary](t)(sam.Search(ctx, "batched", 1000)); len(res) != 0 {
		t.Fatalf("after a failed batch: %d customers", len(res))
	}
	rows[60].Name = "Batched Person"
	ids, err := batchImport(ctx, sam, "", "", rows)
	if err != nil || len(ids) != 120 {
		t.Fatalf("batch: %d %v", len(ids), err)
	}
	if res := must[[]CustomerSummary](t)(sam.Search(ctx, "batched", 1000)); len(res) != 120 {
		t.Fatalf("after the batch: %d customers in the index", len(res))
	}
	rec := lastAudit(t, f, "sam", "customer.import")
	if rec.Outcome != "ok" || rec.Target != f.north || rec.Detail != "customers=120" {
		t.Fatalf("audit entry %+v", rec)
	}
}

// TestBatchRefuses: each batch method checks the grant its single-row operation checks, and
// history (backdated rows, other statuses, sales in another's name) is the owner's alone. A
// refused batch writes nothing and is audited as denied.
func TestBatchRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sam := f.users["sam"]
	past := time.Now().Add(-48 * time.Hour)
	cases := []struct {
		name string
		user string
		fn   func(b *Batch) error
	}{
		{"customer in another shop", "sam", func(b *Batch) error {
			_, err := b.AddCustomer(CustomerInput{Name: "X Y", ShopID: f.south, OwnerID: f.users["stan"].User().ID}, time.Time{})
			return err
		}},
		{"target in another shop", "sam", func(b *Batch) error { _, _, err := b.CustomerTarget(f.south, ""); return err }},
		{"customer by a mechanic", "mike", func(b *Batch) error {
			_, err := b.AddCustomer(CustomerInput{Name: "X Y"}, time.Time{})
			return err
		}},
		{"backdated customer", "sam", func(b *Batch) error {
			_, err := b.AddCustomer(CustomerInput{Name: "X Y"}, past)
			return err
		}},
		{"bike for a colleague's customer in another shop", "sam", func(b *Batch) error {
			_, err := b.AddBike(f.cStan, Bike{Make: "Trek"}, time.Time{})
			return err
		}},
		{"backdated bike", "sam", func(b *Batch) error {
			_, err := b.AddBike(f.cSam, Bike{Make: "Trek"}, past)
			return err
		}},
		{"work order by a mechanic", "mike", func(b *Batch) error {
			_, err := b.AddWorkOrder(WorkOrderInput{CustomerID: f.cSue, Complaint: "creaks"}, StatusIntake, time.Time{}, time.Time{})
			return err
		}},
		{"closed work order by sales", "sam", func(b *Batch) error {
			_, err := b.AddWorkOrder(WorkOrderInput{CustomerID: f.cSam, Complaint: "creaks"}, StatusCollected, time.Time{}, time.Time{})
			return err
		}},
		{"work order in another shop", "sam", func(b *Batch) error {
			_, err := b.AddWorkOrder(WorkOrderInput{CustomerID: f.cStan, Complaint: "creaks"}, StatusIntake, time.Time{}, time.Time{})
			return err
		}},
		{"sale in a colleague's name", "sam", func(b *Batch) error {
			_, err := b.AddSale(SaleInput{CustomerID: f.cSam, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}}, f.users["sue"].User().ID)
			return err
		}},
		{"backdated sale", "sam", func(b *Batch) error {
			_, err := b.AddSale(SaleInput{CustomerID: f.cSam, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}, SoldAt: past}, "")
			return err
		}},
		{"walk-in sale in another shop", "sam", func(b *Batch) error {
			_, err := b.AddSale(SaleInput{ShopID: f.south, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}}, "")
			return err
		}},
		{"shop by a manager", "mia", func(b *Batch) error { _, err := b.AddShop("East", "US", "USD"); return err }},
		{"user by a manager", "mia", func(b *Batch) error {
			_, err := b.AddUser(NewUser{Username: "eve", Password: staffPW, Roles: []Role{RoleSales}, ShopID: f.north})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss := f.users[c.user]
			var first string
			err := ss.Batch(ctx, "test.batch", func(b *Batch) error {
				// A good row first: the refusal must take it back with it.
				id, err := b.AddCustomer(CustomerInput{Name: "Rolled Back"}, time.Time{})
				if err == nil {
					first = id
				} else if !errors.Is(err, ErrForbidden) {
					return err
				}
				return c.fn(b)
			})
			if !errors.Is(err, ErrForbidden) {
				t.Fatalf("Batch = %v, want ErrForbidden", err)
			}
			if first != "" {
				if _, err := f.users["olga"].Customer(ctx, first, ""); !errors.Is(err, ErrNotFound) {
					t.Fatalf("the batch's first row survived: %v", err)
				}
			}
			if rec := lastAudit(t, f, c.user, "test.batch"); rec.Outcome != "denied" {
				t.Fatalf("refusal audited as %+v", rec)
			}
		})
	}
	// The same history is the owner's to write.
	olga := f.users["olga"]
	err := olga.Batch(ctx, "test.batch", func(b *Batch) error {
		id, err := b.AddCustomer(CustomerInput{Name: "Old Customer", ShopID: f.north, OwnerID: sam.User().ID}, past)
		if err != nil {
			return err
		}
		if _, err := b.AddWorkOrder(WorkOrderInput{CustomerID: id, Complaint: "creaks"}, StatusCollected, past, past.Add(time.Hour)); err != nil {
			return err
		}
		_, err = b.AddSale(SaleInput{CustomerID: id, PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 500}}, SoldAt: past}, sam.User().ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := olga.Batch(ctx, "test.batch", func(b *Batch) error {
		_, err := b.AddWorkOrder(WorkOrderInput{CustomerID: f.cSam, Complaint: "creaks"}, Status("teleported"), time.Time{}, time.Time{})
		return err
	}); err == nil {
		t.Fatal("an unknown status was written")
	}
}

// TestBatchWorkOrderAfterKeyCacheEmptied: a batch's work order for an existing customer seals
// under that customer's data key even when the key cache was emptied (every applied change-set
// empties it), reading the wrapped key itself.
func TestBatchWorkOrderAfterKeyCacheEmptied(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.st.mu.Lock()
	f.st.deks = map[string][]byte{}
	f.st.mu.Unlock()
	var id string
	err := f.users["sue"].Batch(ctx, "test.batch_job", func(b *Batch) error {
		var err error
		id, err = b.AddWorkOrder(WorkOrderInput{CustomerID: f.cSue, Complaint: "brakes squeal"}, StatusIntake, time.Time{}, time.Time{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	card, err := f.users["sue"].Customer(ctx, f.cSue, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, wo := range card.WorkOrders {
		found = found || (wo.ID == id && wo.Complaint == "brakes squeal")
	}
	if !found {
		t.Fatalf("job %s not on the card with its complaint: %+v", id, card.WorkOrders)
	}
}

// TestBackupKeysOpenOnlyTheirDrill: the master key's stand-in a manager's backup grant yields
// opens no database a caller names (not the one in use, not another copy), only the drill
// directories it made; the owner's restore grant never opens the database in use either, not
// through a symlink.
func TestBackupKeysOpenOnlyTheirDrill(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k, err := f.users["mia"].BackupKeys(ctx, OpBackup, "test.keys")
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(f.st.Dir(), link); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"in use": f.st.Dir(), "symlink to it": link, "another folder": t.TempDir()} {
		if _, err := k.Open(ctx, dir, testOptions()); !errors.Is(err, ErrForbidden) {
			t.Errorf("backup grant opened %s: %v", name, err)
		}
	}
	scratch, err := k.ScratchDir("spoke-test-drill-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(scratch)
	if _, err := k.Open(ctx, filepath.Join(scratch, "db"), testOptions()); errors.Is(err, ErrForbidden) {
		t.Errorf("its own drill directory refused: %v", err)
	}
	owner, err := f.users["olga"].BackupKeys(ctx, OpRestore, "test.keys")
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"in use": f.st.Dir(), "symlink to it": link} {
		if _, err := owner.Open(ctx, dir, testOptions()); !errors.Is(err, ErrForbidden) {
			t.Errorf("restore grant opened the database %s: %v", name, err)
		}
	}
	if _, err := f.users["sam"].ReplicaFor(ctx, "test.port"); !errors.Is(err, ErrForbidden) {
		t.Errorf("a salesperson reached the sync port: %v", err)
	}
	if _, err := f.users["mia"].ReplicaFor(ctx, "test.port"); !errors.Is(err, ErrForbidden) {
		t.Errorf("a manager reached the sync port: %v", err)
	}
}
