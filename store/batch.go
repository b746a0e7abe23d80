package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Batch is one write transaction of many rows: what the CSV importer (spoke/csvimport) and the
// demo loader (spoke/demo) write through, from above the store. Every row goes through the
// same validation, sealing, blind indexes and change records as the single-row operations
// (CreateCustomer, AddBike, CreateWorkOrder, RecordSale, AddShop, AddUser), each method checks
// the session's grant for that row itself, and the whole batch is one audit entry: all or
// nothing. A Batch is valid only inside the function handed to Session.Batch.
type Batch struct {
	ss      *Session
	w       *wtx
	regions map[string]string   // shop id -> phone region
	owners  map[[2]string]bool  // (shop, owner) pairs resolved in this batch
	custs   map[string]*custRow // customers added or loaded in this batch
	keyed   map[string]bool     // those of custs whose data key insertBike can reach
	added   []string            // customers added, for the search index after commit
}

// Batch runs fn in one write transaction audited as action (one entry, whose target, fields
// and detail fn sets with Summarize). An error from fn, or a refused row, rolls everything
// back; a refusal is then audited as denied. After the commit the customers added reach the
// type-ahead index of every signed-in session that may see them.
func (ss *Session) Batch(ctx context.Context, action string, fn func(b *Batch) error) error {
	var added []string
	err := ss.write(ctx, action, func(w *wtx) error {
		b := &Batch{ss: ss, w: w, regions: map[string]string{}, owners: map[[2]string]bool{}, custs: map[string]*custRow{}, keyed: map[string]bool{}}
		if err := fn(b); err != nil {
			return err
		}
		added = b.added
		return nil
	})
	if err != nil {
		return err
	}
	ss.s.reindex(ctx, added, ss, action)
	return nil
}

// Summarize sets the batch's audit entry: the target (a shop id, or ""), the fields written
// and a detail of counts and ids. Never a personal value: the trail is read by auditors.
func (b *Batch) Summarize(target string, fields []string, detail string) {
	b.w.audit.Target, b.w.audit.Fields, b.w.audit.Detail = target, fields, detail
}

// stamp returns the creation time of a row: now, or a given earlier time, which only the
// owner may set (the demo loader backdates its history; nobody else rewrites when a row was
// made).
func (b *Batch) stamp(at time.Time) (int64, error) {
	if at.IsZero() {
		return b.w.now, nil
	}
	if _, err := b.w.allow(b.ss, OpUsers, target{any: true}); err != nil {
		return 0, err
	}
	return at.UnixMilli(), nil
}

// CustomerTarget resolves where customers go as CreateCustomer does (shop "" is the user's
// shop, or the only one; owner "" is the user) and checks that the session may create
// customers there.
func (b *Batch) CustomerTarget(shopID, ownerID string) (shop, owner string, err error) {
	in := CustomerInput{ShopID: shopID, OwnerID: ownerID}
	if err := b.resolve(&in); err != nil {
		return "", "", err
	}
	return in.ShopID, in.OwnerID, nil
}

func (b *Batch) resolve(in *CustomerInput) error {
	if in.ShopID != "" && in.OwnerID != "" && b.owners[[2]string{in.ShopID, in.OwnerID}] {
		return nil
	}
	shop, owner := in.ShopID, in.OwnerID
	if err := b.ss.resolveShopOwner(b.w.ctx, b.w.tx, in); err != nil {
		return err
	}
	if _, err := b.w.allow(b.ss, OpCustomerWrite, target{shopID: in.ShopID, ownerID: in.OwnerID}); err != nil {
		return err
	}
	if shop != "" && owner != "" {
		b.owners[[2]string{shop, owner}] = true
	}
	return nil
}

func (b *Batch) region(shopID string) (string, error) {
	if r, ok := b.regions[shopID]; ok {
		return r, nil
	}
	r, err := b.ss.s.shopRegion(b.w.ctx, b.w.tx, shopID)
	if err != nil {
		return "", err
	}
	b.regions[shopID] = r
	return r, nil
}

// AddCustomer adds a customer as CreateCustomer does, created at createdAt (zero: now).
func (b *Batch) AddCustomer(in CustomerInput, createdAt time.Time) (string, error) {
	if err := b.resolve(&in); err != nil {
		return "", err
	}
	at, err := b.stamp(createdAt)
	if err != nil {
		return "", err
	}
	region, err := b.region(in.ShopID)
	if err != nil {
		return "", err
	}
	if err := in.validate(region, b.ss.s.opts.Now()); err != nil {
		return "", err
	}
	id, err := b.w.insertCustomer(in, at)
	if err != nil {
		return "", err
	}
	b.custs[id] = &custRow{id: id, shopID: in.ShopID, ownerID: in.OwnerID}
	b.keyed[id] = true // insertCustomer keeps the new data key
	b.added = append(b.added, id)
	return id, nil
}

// customer returns a customer added in this batch, or loads it (with its wrapped data key
// only when withKey: a bike is sealed under it, a work order or a sale needs only the
// customer's shop and owner). Loads go through statements prepared once per batch: loaders
// look up every customer their work orders and sales name.
func (b *Batch) customer(id string, withKey bool) (*custRow, error) {
	if c, ok := b.custs[id]; ok && (!withKey || b.keyed[id]) {
		return c, nil
	}
	var c *custRow
	var err error
	if withKey {
		var st *sql.Stmt
		if st, err = b.w.stmt("SELECT " + custCols + " FROM customers WHERE id = ? AND deleted_at = 0"); err == nil {
			c, err = scanCust(st.QueryRowContext(b.w.ctx, id))
		}
	} else {
		var st *sql.Stmt
		if st, err = b.w.stmt("SELECT shop_id, owner_id FROM customers WHERE id = ? AND deleted_at = 0"); err == nil {
			c = &custRow{id: id}
			err = st.QueryRowContext(b.w.ctx, id).Scan(&c.shopID, &c.ownerID)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	b.custs[id] = c
	b.keyed[id] = withKey
	return c, nil
}

// AddBike adds a bike to a customer as AddBike does, created at createdAt (zero: now).
func (b *Batch) AddBike(customerID string, bike Bike, createdAt time.Time) (string, error) {
	c, err := b.customer(customerID, true)
	if err != nil {
		return "", err
	}
	if _, err := b.w.allow(b.ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
		return "", err
	}
	at, err := b.stamp(createdAt)
	if err != nil {
		return "", err
	}
	if err := bike.validate(b.ss.s.opts.Now()); err != nil {
		return "", err
	}
	return b.w.insertBike(c, bike, at)
}

// AddWorkOrder opens a work order as CreateWorkOrder does. A status other than intake, or a
// creation or closing time (zero: now, not closed), is history only the owner may write.
func (b *Batch) AddWorkOrder(in WorkOrderInput, status Status, createdAt, closedAt time.Time) (string, error) {
	// The complaint and notes are sealed under the customer's data key: read its wrapped form
	// too (the key cache may be emptied at any time by an applied change-set).
	c, err := b.customer(in.CustomerID, true)
	if err != nil {
		return "", err
	}
	if _, err := b.w.allow(b.ss, OpWorkOrders, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
		return "", err
	}
	if !b.ss.user.Has(RoleOwner) && !b.ss.user.Has(RoleManager) && !b.ss.user.Has(RoleSales) {
		return "", ErrForbidden // mechanics work on jobs; they do not open them
	}
	if !slices.Contains(Statuses, status) {
		return "", &FieldError{"status", "unknown status"}
	}
	if status != StatusIntake || !closedAt.IsZero() {
		if _, err := b.w.allow(b.ss, OpUsers, target{any: true}); err != nil {
			return "", err
		}
	}
	at, err := b.stamp(createdAt)
	if err != nil {
		return "", err
	}
	var closed int64
	if !closedAt.IsZero() {
		closed = closedAt.UnixMilli()
	}
	return b.w.insertWorkOrder(c, in, status, at, closed)
}

// AddSale records a sale as RecordSale does, for a customer (or a walk-in at in.ShopID), sold
// by sellerID ("" is the session's user; anyone else only the owner may name).
func (b *Batch) AddSale(in SaleInput, sellerID string) (string, error) {
	t := target{shopID: in.ShopID, ownerID: b.ss.user.ID}
	if in.CustomerID != "" {
		c, err := b.customer(in.CustomerID, false)
		if err != nil {
			return "", err
		}
		in.ShopID, t = c.shopID, target{shopID: c.shopID, ownerID: c.ownerID}
	} else if in.ShopID == "" {
		in.ShopID = b.ss.user.ShopID
		t.shopID = in.ShopID
	}
	if _, err := b.w.allow(b.ss, OpSales, t); err != nil {
		return "", err
	}
	if in.ShopID == "" {
		return "", &FieldError{"shop", "choose a shop"}
	}
	if !in.SoldAt.IsZero() {
		// A sale dated in the past is history (commissions, stats): the owner's to write.
		if _, err := b.stamp(in.SoldAt); err != nil {
			return "", err
		}
	}
	if sellerID == "" {
		sellerID = b.ss.user.ID
	} else if sellerID != b.ss.user.ID {
		if _, err := b.w.allow(b.ss, OpUsers, target{any: true}); err != nil {
			return "", err
		}
	}
	return b.w.insertSale(in, sellerID)
}

// AddShop adds a shop with its own scope key, as AddShop does (owner only).
func (b *Batch) AddShop(name, region, currency string) (string, error) {
	if _, err := b.w.allow(b.ss, OpUsers, target{any: true}); err != nil {
		return "", err
	}
	return b.w.addShop(strings.TrimSpace(name), region, currency)
}

// AddUser adds a staff account, as AddUser does (owner only).
func (b *Batch) AddUser(n NewUser) (string, error) {
	if _, err := b.w.allow(b.ss, OpUsers, target{any: true}); err != nil {
		return "", err
	}
	if n.ShopID == "" && needsShop(n.Roles) {
		return "", &FieldError{"shop", "a manager, sales or mechanic account needs a shop"}
	}
	return b.w.addUser(n, "")
}

// CustomerRegion returns the phone region customers created for (shopID, ownerID) are parsed
// with: their shop's, resolved as CreateCustomer resolves it. Importers parse with it.
func (ss *Session) CustomerRegion(ctx context.Context, shopID, ownerID string) (string, error) {
	in := CustomerInput{ShopID: shopID, OwnerID: ownerID}
	if err := ss.resolveShopOwner(ctx, ss.s.db, &in); err != nil {
		return "", err
	}
	return ss.s.shopRegion(ctx, ss.s.db, in.ShopID)
}
