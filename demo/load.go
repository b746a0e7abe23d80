package demo

import (
	"context"
	"fmt"
	"time"

	"spoke/store"
)

// Result says what Load wrote.
type Result struct {
	Shops, Staff, Customers, Bikes, WorkOrders, Sales int
}

// batchSize is how many rows go into one transaction: big enough that 100k customers load in
// reasonable time, small enough to report progress.
const batchSize = 2000

// Load writes a generated chain through the store's batch write unit (store.Session.Batch):
// the same validation, sealing, blind indexes, change records and audit entries as the
// screens use. Owner only (each row checks its grant); the first shop of the chain reuses the database's existing shop.
// progress, if not nil, is called after each batch.
func Load(ctx context.Context, ss *store.Session, ch *Chain, progress func(stage string, done, total int)) (*Result, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	res := &Result{}
	shopIDs := map[string]string{}
	users := map[string]string{}
	existing, err := ss.Shops(ctx)
	if err != nil {
		return nil, err
	}
	me := ss.User()
	// The staff batch comes first and is the owner's alone (shops and accounts): anyone else is
	// refused on its first row, audited as demo.load.
	err = ss.Batch(ctx, "demo.load", func(b *store.Batch) error {
		for i, sh := range ch.Shops {
			if i == 0 && len(existing) == 1 {
				shopIDs[sh.Key] = existing[0].ID
				continue
			}
			id, err := b.AddShop(sh.Name, sh.Region, sh.Currency)
			if err != nil {
				return err
			}
			shopIDs[sh.Key] = id
			res.Shops++
		}
		for _, st := range ch.Staff {
			if st.Role == string(store.RoleOwner) {
				users[st.Username] = me.ID // the signed-in owner stands in for the demo owner
				continue
			}
			id, err := b.AddUser(store.NewUser{Username: st.Username, DisplayName: st.DisplayName, Password: st.Password,
				Roles: []store.Role{store.Role(st.Role)}, ShopID: shopIDs[st.ShopKey]})
			if err != nil {
				return fmt.Errorf("staff %s: %w", st.Username, err)
			}
			users[st.Username] = id
			res.Staff++
		}
		b.Summarize("", nil, fmt.Sprintf("shops=%d staff=%d", res.Shops, res.Staff))
		return nil
	})
	if err != nil {
		return nil, err
	}

	custs := make(map[string]string, len(ch.Customers))
	bikes := map[string]string{}
	for start := 0; start < len(ch.Customers); start += batchSize {
		part := ch.Customers[start:min(start+batchSize, len(ch.Customers))]
		err := ss.Batch(ctx, "demo.load.customers", func(b *store.Batch) error {
			nb := 0
			for _, dc := range part {
				in := store.CustomerInput{Name: dc.Name, Email: dc.Email, Phone: dc.Phone, Address: dc.Address, Birthday: dc.Birthday,
					Notes: dc.Notes, ShopID: shopIDs[dc.ShopKey], OwnerID: users[dc.OwnerUsername]}
				id, err := b.AddCustomer(in, dc.CreatedAt)
				if err != nil {
					return fmt.Errorf("demo customer %s: %w", dc.Key, err)
				}
				custs[dc.Key] = id
				for _, db := range dc.Bikes {
					bk := store.Bike{Make: db.Make, Model: db.Model, Year: db.Year, Type: db.Type, FrameSize: db.FrameSize, Colour: db.Colour, Serial: db.Serial}
					if db.Year >= dc.CreatedAt.Year() {
						bk.SoldAt = dc.CreatedAt // a this-year model on the customer's first visit: sold new here
					}
					bid, err := b.AddBike(id, bk, dc.CreatedAt)
					if err != nil {
						return fmt.Errorf("demo bike %s: %w", db.Key, err)
					}
					bikes[db.Key] = bid
					nb++
				}
			}
			b.Summarize("", []string{"name", "email", "phone", "address", "birthday", "notes", "bikes.serial"},
				fmt.Sprintf("customers=%d bikes=%d", len(part), nb))
			res.Customers += len(part)
			res.Bikes += nb
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("customers", res.Customers, len(ch.Customers))
	}
	for start := 0; start < len(ch.WorkOrders); start += batchSize {
		part := ch.WorkOrders[start:min(start+batchSize, len(ch.WorkOrders))]
		err := ss.Batch(ctx, "demo.load.work_orders", func(b *store.Batch) error {
			for _, wo := range part {
				in := store.WorkOrderInput{CustomerID: custs[wo.CustomerKey], BikeID: bikes[wo.BikeKey], Complaint: wo.Complaint, Notes: wo.Notes,
					MechanicID: users[wo.MechanicUsername], PromisedAt: wo.PromisedAt, Lines: storeLines(wo.Lines)}
				if _, err := b.AddWorkOrder(in, store.Status(wo.Status), wo.CreatedAt, wo.ClosedAt); err != nil {
					return fmt.Errorf("demo work order %s: %w", wo.Key, err)
				}
			}
			b.Summarize("", []string{"complaint", "notes"}, fmt.Sprintf("work_orders=%d", len(part)))
			res.WorkOrders += len(part)
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("work orders", res.WorkOrders, len(ch.WorkOrders))
	}
	for start := 0; start < len(ch.Sales); start += batchSize {
		part := ch.Sales[start:min(start+batchSize, len(ch.Sales))]
		err := ss.Batch(ctx, "demo.load.sales", func(b *store.Batch) error {
			for _, sl := range part {
				in := store.SaleInput{ShopID: shopIDs[sl.ShopKey], CustomerID: custs[sl.CustomerKey], PaymentMethod: sl.PaymentMethod,
					Lines: storeLines(sl.Lines), SoldAt: sl.At}
				if _, err := b.AddSale(in, users[sl.SellerUsername]); err != nil {
					return fmt.Errorf("demo sale %s: %w", sl.Key, err)
				}
			}
			b.Summarize("", nil, fmt.Sprintf("sales=%d", len(part)))
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

func storeLines(in []Line) []store.Line {
	out := make([]store.Line, len(in))
	for i, l := range in {
		out[i] = store.Line{Kind: l.Kind, SKU: l.SKU, Description: l.Description, Qty: int64(l.Qty), UnitPrice: l.UnitPrice}
	}
	return out
}

// Created is a freshly created demo database, its owner signed in once to load it.
type Created struct {
	Store        *store.Store
	RecoveryCode string
	Chain        *Chain
	Loaded       *Result
	Took         time.Duration
}

// CreateShop makes a new database in dir for a generated chain of the given size and seed and
// loads it through the owner's session. The CLI's demo command and the GUI's --demo use it.
func CreateShop(ctx context.Context, dir string, customers int, seed uint64, o store.Options, progress func(string, int, int)) (*Created, error) {
	start := time.Now()
	ch := Generate(Options{Customers: customers, Seed: seed})
	var owner Staff
	for _, s := range ch.Staff {
		if s.Role == string(store.RoleOwner) {
			owner = s
		}
	}
	first := ch.Shops[0]
	st, code, err := store.Create(ctx, dir, store.CreateOptions{ShopName: first.Name, Region: first.Region, Currency: first.Currency,
		OwnerUsername: owner.Username, OwnerName: owner.DisplayName, OwnerPassword: owner.Password}, o)
	if err != nil {
		return nil, err
	}
	ss, err := st.SignIn(ctx, owner.Username, owner.Password)
	if err != nil {
		st.Close()
		return nil, err
	}
	loaded, err := Load(ctx, ss, ch, progress)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Created{Store: st, RecoveryCode: code, Chain: ch, Loaded: loaded, Took: time.Since(start)}, nil
}
