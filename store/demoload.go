package store

import (
	"context"
	"fmt"

	"spoke/store/demo"
)

// DemoResult says what LoadDemo wrote.
type DemoResult struct {
	Shops, Staff, Customers, Bikes, WorkOrders, Sales int
}

// LoadDemo writes a generated chain (store/demo) through the normal write path: the same
// validation, sealing, blind indexes, change records and audit entries as the screens use,
// batched so 100k customers load in reasonable time. Owner only; the first shop of the chain
// reuses the database's existing shop.
func (ss *Session) LoadDemo(ctx context.Context, ch *demo.Chain, progress func(stage string, done, total int)) (*DemoResult, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "demo.load", ""); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	res := &DemoResult{}
	shopIDs := map[string]string{}
	users := map[string]string{}
	existing, err := ss.Shops(ctx)
	if err != nil {
		return nil, err
	}
	err = ss.write(ctx, "demo.load.staff", func(w *wtx) error {
		for i, sh := range ch.Shops {
			if i == 0 && len(existing) == 1 {
				shopIDs[sh.Key] = existing[0].ID
				continue
			}
			id, err := w.addShop(sh.Name, sh.Region, sh.Currency)
			if err != nil {
				return err
			}
			shopIDs[sh.Key] = id
			res.Shops++
		}
		for _, st := range ch.Staff {
			if st.Role == string(RoleOwner) {
				users[st.Username] = ss.user.ID // the signed-in owner stands in for the demo owner
				continue
			}
			id, err := w.addUser(NewUser{Username: st.Username, DisplayName: st.DisplayName, Password: st.Password,
				Roles: []Role{Role(st.Role)}, ShopID: shopIDs[st.ShopKey]}, "")
			if err != nil {
				return fmt.Errorf("staff %s: %w", st.Username, err)
			}
			users[st.Username] = id
			res.Staff++
		}
		w.audit.Detail = fmt.Sprintf("shops=%d staff=%d", res.Shops, res.Staff)
		return nil
	})
	if err != nil {
		return nil, err
	}
	regions := map[string]string{}
	for _, sh := range ch.Shops {
		regions[shopIDs[sh.Key]] = sh.Region
	}

	const batch = 2000
	custs := make(map[string]*custRow, len(ch.Customers))
	bikes := map[string]string{}
	for start := 0; start < len(ch.Customers); start += batch {
		part := ch.Customers[start:min(start+batch, len(ch.Customers))]
		err := ss.write(ctx, "demo.load.customers", func(w *wtx) error {
			nb := 0
			for _, dc := range part {
				in := CustomerInput{Name: dc.Name, Email: dc.Email, Phone: dc.Phone, Address: dc.Address, Birthday: dc.Birthday,
					Notes: dc.Notes, ShopID: shopIDs[dc.ShopKey], OwnerID: users[dc.OwnerUsername]}
				if err := in.validate(regions[in.ShopID], ss.s.opts.Now()); err != nil {
					return fmt.Errorf("demo customer %s: %w", dc.Key, err)
				}
				id, err := w.insertCustomer(in, dc.CreatedAt.UnixMilli())
				if err != nil {
					return err
				}
				c := &custRow{id: id, shopID: in.ShopID, ownerID: in.OwnerID}
				custs[dc.Key] = c
				for _, db := range dc.Bikes {
					b := Bike{Make: db.Make, Model: db.Model, Year: db.Year, Type: db.Type, FrameSize: db.FrameSize, Colour: db.Colour, Serial: db.Serial}
					if err := b.validate(ss.s.opts.Now()); err != nil {
						return fmt.Errorf("demo bike %s: %w", db.Key, err)
					}
					bid, err := w.insertBike(c, b, dc.CreatedAt.UnixMilli())
					if err != nil {
						return err
					}
					bikes[db.Key] = bid
					nb++
				}
			}
			w.audit.Target = ""
			w.audit.Fields = []string{"name", "email", "phone", "address", "birthday", "notes", "bikes.serial"}
			w.audit.Detail = fmt.Sprintf("customers=%d bikes=%d", len(part), nb)
			res.Customers += len(part)
			res.Bikes += nb
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("customers", res.Customers, len(ch.Customers))
	}
	for start := 0; start < len(ch.WorkOrders); start += batch {
		part := ch.WorkOrders[start:min(start+batch, len(ch.WorkOrders))]
		err := ss.write(ctx, "demo.load.work_orders", func(w *wtx) error {
			for _, wo := range part {
				c := custs[wo.CustomerKey]
				in := WorkOrderInput{CustomerID: c.id, BikeID: bikes[wo.BikeKey], Complaint: wo.Complaint, Notes: wo.Notes,
					MechanicID: users[wo.MechanicUsername], PromisedAt: wo.PromisedAt, Lines: demoLines(wo.Lines)}
				var closed int64
				if !wo.ClosedAt.IsZero() {
					closed = wo.ClosedAt.UnixMilli()
				}
				if _, err := w.insertWorkOrder(c, in, Status(wo.Status), wo.CreatedAt.UnixMilli(), closed); err != nil {
					return fmt.Errorf("demo work order %s: %w", wo.Key, err)
				}
			}
			w.audit.Target, w.audit.Fields = "", []string{"complaint", "notes"}
			w.audit.Detail = fmt.Sprintf("work_orders=%d", len(part))
			res.WorkOrders += len(part)
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("work orders", res.WorkOrders, len(ch.WorkOrders))
	}
	for start := 0; start < len(ch.Sales); start += batch {
		part := ch.Sales[start:min(start+batch, len(ch.Sales))]
		err := ss.write(ctx, "demo.load.sales", func(w *wtx) error {
			for _, sl := range part {
				in := SaleInput{ShopID: shopIDs[sl.ShopKey], PaymentMethod: sl.PaymentMethod, Lines: demoLines(sl.Lines), SoldAt: sl.At}
				if c := custs[sl.CustomerKey]; c != nil {
					in.CustomerID = c.id
				}
				if _, err := w.insertSale(in, users[sl.SellerUsername]); err != nil {
					return fmt.Errorf("demo sale %s: %w", sl.Key, err)
				}
			}
			w.audit.Detail = fmt.Sprintf("sales=%d", len(part))
			res.Sales += len(part)
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("sales", res.Sales, len(ch.Sales))
	}
	return res, nil
}

func demoLines(in []demo.Line) []Line {
	out := make([]Line, len(in))
	for i, l := range in {
		out[i] = Line{Kind: l.Kind, SKU: l.SKU, Description: l.Description, Qty: int64(l.Qty), UnitPrice: l.UnitPrice}
	}
	return out
}
