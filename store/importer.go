package store

import (
	"context"
	"fmt"

	"spoke/store/csvimport"
)

// ImportTarget says where imported customers go: shop and owner default as for CreateCustomer.
type ImportTarget struct {
	ShopID  string
	OwnerID string
}

// ImportRegion returns the phone region to parse an import with: the target shop's.
func (ss *Session) ImportRegion(ctx context.Context, t ImportTarget) (string, error) {
	in := CustomerInput{ShopID: t.ShopID, OwnerID: t.OwnerID}
	if err := ss.resolveShopOwner(ctx, ss.s.db, &in); err != nil {
		return "", err
	}
	return ss.s.shopRegion(ctx, ss.s.db, in.ShopID)
}

// ImportCustomers writes already parsed and validated rows (store/csvimport) in one
// transaction: all or nothing. See ImportCustomersWithProgress.
func (ss *Session) ImportCustomers(ctx context.Context, t ImportTarget, rows []csvimport.Row) ([]string, error) {
	return ss.ImportCustomersWithProgress(ctx, t, rows, nil)
}

// ImportCustomersWithProgress writes parsed rows in one transaction, all or nothing: each row
// goes through the same validation, sealing, change log and access check as CreateCustomer,
// and the import is one audit entry with the count. progress(done, total), if not nil, is
// called every few rows from the importing goroutine, inside the transaction, so it must not
// touch the store.
func (ss *Session) ImportCustomersWithProgress(ctx context.Context, t ImportTarget, rows []csvimport.Row, progress func(done, total int)) ([]string, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	var ids []string
	err := ss.write(ctx, "customer.import", func(w *wtx) error {
		ids = ids[:0]
		in := CustomerInput{ShopID: t.ShopID, OwnerID: t.OwnerID}
		if err := ss.resolveShopOwner(ctx, w.tx, &in); err != nil {
			return err
		}
		if _, err := ss.allow(OpCustomerWrite, target{shopID: in.ShopID, ownerID: in.OwnerID}); err != nil {
			return err
		}
		region, err := ss.s.shopRegion(ctx, w.tx, in.ShopID)
		if err != nil {
			return err
		}
		now := ss.s.opts.Now()
		bikes := 0
		for i, r := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := CustomerInput{Name: r.Name, Email: r.Email, Phone: r.Phone, Address: r.Address, Notes: r.Notes, ShopID: in.ShopID, OwnerID: in.OwnerID}
			if err := c.validate(region, now); err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			id, err := w.insertCustomer(c, w.now)
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			ids = append(ids, id)
			if r.BikeMake != "" || r.BikeModel != "" || r.BikeSerial != "" {
				b := Bike{Make: r.BikeMake, Model: r.BikeModel, Serial: r.BikeSerial}
				if b.Make == "" {
					b.Make = "unknown"
				}
				if err := b.validate(now); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				cr := &custRow{id: id, shopID: in.ShopID, ownerID: in.OwnerID}
				if _, err := w.insertBike(cr, b, w.now); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				bikes++
			}
			if (i+1)%50 == 0 {
				progress(i+1, len(rows))
			}
		}
		progress(len(rows), len(rows))
		w.audit.Target = in.ShopID
		w.audit.Fields = []string{"name", "email", "phone", "address", "notes", "bikes.serial"}
		w.audit.Detail = fmt.Sprintf("customers=%d bikes=%d owner=%s", len(ids), bikes, in.OwnerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ss.s.reindex(ctx, ids, ss, "customer.import")
	return ids, nil
}
