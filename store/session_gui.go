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

// Usernames lists the active accounts' usernames for the sign-in picker of a shared counter
// machine. Usernames are business data; display names (personal) are not returned, and
// deactivated accounts are left out.
func (s *Store) Usernames(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "SELECT username FROM users WHERE active = 1 ORDER BY username")
}

// Staff lists the active staff directory (usernames, roles, shop), which every signed-in user
// may see to pick a mechanic or a customer's salesperson, like StaffByUsername. Each record's
// MAC is checked, so a role edited in the file is refused rather than shown.
func (ss *Session) Staff(ctx context.Context) ([]Staff, error) {
	raw, err := ss.s.verifiedUsers(ctx, "active = 1")
	if err != nil {
		return nil, err
	}
	out := make([]Staff, 0, len(raw))
	for _, u := range raw {
		out = append(out, u.staff())
	}
	return out, nil
}

// SaleSummary is a sale as the recent-sales list shows it: the customer's name only where the
// user may see that customer in full.
type SaleSummary struct {
	Sale
	Seller       string `json:"seller"`
	CustomerName string `json:"customer_name,omitempty"`
}

// RecentSales lists the newest sales the user may see, newest first: all (owner), the shop's
// (manager), those of their own customers and their own walk-in sales in their shop (sales). Customer names
// are opened only where the user may see the customer in full; the list is one audited read.
func (ss *Session) RecentSales(ctx context.Context, limit int) ([]SaleSummary, error) {
	g, err := ss.require(ctx, OpSales, target{any: true}, "sale.list", "")
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := `SELECT s.id, s.shop_id, COALESCE(s.customer_id, ''), s.seller_id, COALESCE(u.username, ''), s.payment_method, s.total, s.sold_at
		FROM sales s LEFT JOIN users u ON u.id = s.seller_id LEFT JOIN customers c ON c.id = s.customer_id WHERE 1 = 1`
	var args []any
	switch g {
	case ShopOnly:
		q += " AND s.shop_id = ?"
		args = append(args, ss.user.ShopID)
	case Own:
		// Like the Own grant itself: only in the salesperson's shop.
		q += " AND s.shop_id = ? AND (c.owner_id = ? OR (s.customer_id IS NULL AND s.seller_id = ?))"
		args = append(args, ss.user.ShopID, ss.user.ID, ss.user.ID)
	}
	q += fmt.Sprintf(" ORDER BY s.sold_at DESC, s.id DESC LIMIT %d", limit)
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []SaleSummary
	for rows.Next() {
		var sl SaleSummary
		var at int64
		if err := rows.Scan(&sl.ID, &sl.ShopID, &sl.CustomerID, &sl.SellerID, &sl.Seller, &sl.PaymentMethod, &sl.Total, &at); err != nil {
			rows.Close()
			return nil, err
		}
		sl.SoldAt = time.UnixMilli(at)
		out = append(out, sl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names := 0
	for i := range out {
		if out[i].Lines, err = ss.s.linesOf(ctx, "sale_lines", "sale_id", out[i].ID); err != nil {
			return nil, err
		}
		if out[i].CustomerID == "" {
			continue
		}
		c, err := ss.s.loadCust(ctx, ss.s.db, out[i].CustomerID)
		if err != nil {
			continue // deleted since: the amount stays, the name does not
		}
		v, err := ss.view(ctx, c)
		if err != nil || v == BreakGlass || v == Assigned {
			continue
		}
		o, err := ss.s.openCust(ctx, c, true)
		if err != nil {
			return nil, err
		}
		out[i].CustomerName = o.name
		names++
	}
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "sale.list", Fields: []string{"customers.name"},
		Detail: fmt.Sprintf("sales=%d names=%d", len(out), names)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

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
	if _, err := ss.require(ctx, OpCustomerPIIOther, target{any: true}, "customer.lookup_other", ""); err != nil {
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
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.lookup_other", Fields: []string{string(field)},
		Detail: fmt.Sprintf("matches=%d %s", len(out), strings.Join(ids, " "))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
