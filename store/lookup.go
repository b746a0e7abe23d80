package store

// Session methods the desktop GUI needs beyond the CLI's: the sign-in user picker, the staff
// directory for mechanic and owner pickers, the recent-sales list, the break-glass lookup of
// another salesperson's customer, and an import that reports progress. They follow the same
// rules as the rest of the surface: reads check the matrix with require and audit personal
// data they open; writes go through Session.write with allow inside.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CustomerRef points at a customer without any personal data: what a break-glass lookup may
// reveal before a reason is given.
type CustomerRef struct {
	ID      string `json:"id"`
	ShopID  string `json:"shop_id"`
	OwnerID string `json:"owner_id"`
	Owner   string `json:"owner"`
}

// FindOthers looks up, by exact e-mail or phone (through the blind indexes), customers of the
// user's shop that belong to another salesperson and that the user could open only through
// break-glass. It returns ids and the owning username, never personal data; opening one is
// then Customer(id, reason). The lookup is audited with the number of matches.
func (ss *Session) FindOthers(ctx context.Context, field LookupField, value string) ([]CustomerRef, error) {
	grant, err := ss.require(ctx, OpCustomerPIIOther, target{any: true}, "customer.lookup_other", "")
	if err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, "customer.lookup_other", ""); err != nil {
		return nil, err
	}
	if ss.user.ShopID == "" || (field != ByEmail && field != ByPhone) {
		return nil, nil
	}
	shop := ss.user.ShopID
	b, err := ss.s.lookupIndex(ctx, field, shop, value)
	if err != nil {
		return nil, err
	}
	found, err := queryCusts(ctx, ss.s.db, "SELECT "+custCols+" FROM customers WHERE shop_id = ? AND deleted_at = 0 AND owner_id <> ? AND "+string(field)+"_bidx = ?",
		shop, ss.user.ID, b)
	if err != nil {
		return nil, err
	}
	var out []CustomerRef
	for _, c := range found {
		if g, err := ss.view(ctx, c); err != nil || g != BreakGlass {
			continue
		}
		out = append(out, CustomerRef{ID: c.id, ShopID: c.shopID, OwnerID: c.ownerID, Owner: ss.s.username(ctx, c.ownerID)})
	}
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "customer.lookup_other", Fields: []string{string(field)}, Grant: grant,
		Detail: fmt.Sprintf("matches=%d %s", len(out), strings.Join(ids, " "))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// LookupField is a field with a blind index.
type LookupField string

// The exact-lookup fields.
const (
	ByEmail  LookupField = "email"
	ByPhone  LookupField = "phone"
	BySerial LookupField = "serial"
	// BySource finds a customer by their id in the system they were imported from,
	// "system:id" (NormalizeSource).
	BySource LookupField = "source"
)

// FindCustomers returns the customers (visible to the user, full view only) whose e-mail, phone
// or bike serial equals value after normalisation, using the blind indexes: no decryption of
// other customers, no plaintext in SQL.
func (ss *Session) FindCustomers(ctx context.Context, field LookupField, value string) ([]Customer, error) {
	if err := ss.trainingGate(ctx, "customer.lookup", ""); err != nil {
		return nil, err
	}
	shops, err := ss.visibleShops(ctx)
	if err != nil {
		return nil, err
	}
	var out []Customer
	for _, shop := range shops {
		b, err := ss.s.lookupIndex(ctx, field, shop, value)
		if err != nil {
			return nil, err
		}
		q := "SELECT " + custCols + " FROM customers WHERE shop_id = ? AND deleted_at = 0 AND " + string(field) + "_bidx = ?"
		if field == BySerial {
			q = "SELECT " + prefixed("c.", custCols) + " FROM customers c JOIN bikes b ON b.customer_id = c.id WHERE c.shop_id = ? AND c.deleted_at = 0 AND b.deleted_at = 0 AND b.serial_bidx = ?"
		}
		rows, err := ss.s.query(ctx, ss.s.db, q, shop, b) // prepared once per store
		if err != nil {
			return nil, err
		}
		found, err := scanCusts(rows)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			g, err := ss.view(ctx, c)
			if err != nil || g == BreakGlass || g == Assigned {
				continue
			}
			if err := ss.s.checkRow(ctx, ss.s.db, tables["customers"], c.id); err != nil {
				return nil, err // fail closed: a row edited in the file is not shown
			}
			o, err := ss.s.openCust(ctx, c, false)
			if err != nil {
				return nil, err
			}
			out = append(out, Customer{ID: c.id, ShopID: c.shopID, OwnerID: c.ownerID, Owner: ss.s.username(ctx, c.ownerID),
				Name: o.name, Email: o.email, Phone: o.phone, Address: o.address, Birthday: o.birthday, Notes: o.notes, PhoneAlt: o.phoneAlt, Source: o.source,
				CreatedAt: time.UnixMilli(c.createdAt), UpdatedAt: time.UnixMilli(c.updatedAt)})
		}
	}
	ids := make([]string, len(out))
	for i, c := range out {
		ids[i] = c.ID
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "customer.lookup", Fields: []string{string(field)}, Grant: ss.indexGrant(),
		Detail: fmt.Sprintf("matches=%d %s", len(out), strings.Join(ids, " "))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// visibleShops lists the shops whose customers the user may see in full.
func (ss *Session) visibleShops(ctx context.Context) ([]string, error) {
	if ss.user.ShopID != "" {
		return []string{ss.user.ShopID}, nil
	}
	if _, ok := ss.permits(OpCustomerPIIOwn, target{any: true}); !ok {
		return nil, nil
	}
	return queryStrings(ctx, ss.s.db, "SELECT id FROM shops ORDER BY name")
}
