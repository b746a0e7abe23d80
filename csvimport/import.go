package csvimport

import (
	"context"
	"fmt"
	"time"

	"spoke/store"
)

// Target says where imported customers go: shop and owner default as for
// store.Session.CreateCustomer (the user's shop, or the only one; the user).
type Target struct {
	ShopID  string
	OwnerID string
}

// Region returns the phone region to parse an import for t with: the target shop's.
func Region(ctx context.Context, ss *store.Session, t Target) (string, error) {
	return ss.CustomerRegion(ctx, t.ShopID, t.OwnerID)
}

// Import writes parsed rows through the store's batch write unit in one transaction, all or
// nothing: each row goes through the same validation, sealing, change log and access check
// as CreateCustomer (a bike, when the row names one, as AddBike), and the import is one audit
// entry with the counts. Errors name the row's line. progress(done, total), if not nil, is
// called every few rows from the importing goroutine, inside the transaction, so it must not
// touch the store. It returns the new customers' ids in row order.
func Import(ctx context.Context, ss *store.Session, t Target, rows []Row, progress func(done, total int)) ([]string, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	var ids []string
	err := ss.Batch(ctx, "customer.import", func(b *store.Batch) error {
		ids = ids[:0]
		shop, owner, err := b.CustomerTarget(t.ShopID, t.OwnerID)
		if err != nil {
			return err
		}
		bikes := 0
		for i, r := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := store.CustomerInput{Name: r.Name, Email: r.Email, Phone: r.Phone, Address: r.Address, Notes: r.Notes, ShopID: shop, OwnerID: owner}
			id, err := b.AddCustomer(c, time.Time{})
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			ids = append(ids, id)
			if r.BikeMake != "" || r.BikeModel != "" || r.BikeSerial != "" {
				bk := store.Bike{Make: r.BikeMake, Model: r.BikeModel, Serial: r.BikeSerial}
				if bk.Make == "" {
					bk.Make = "unknown"
				}
				if _, err := b.AddBike(id, bk, time.Time{}); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				bikes++
			}
			if (i+1)%50 == 0 {
				progress(i+1, len(rows))
			}
		}
		progress(len(rows), len(rows))
		b.Summarize(shop, []string{"name", "email", "phone", "address", "notes", "bikes.serial"},
			fmt.Sprintf("customers=%d bikes=%d owner=%s", len(ids), bikes, owner))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
