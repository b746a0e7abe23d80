package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// PaymentMethods a shop takes.
var PaymentMethods = []string{"card", "cash", "bank_transfer", "gift_card"}

// Sale is a completed sale.
type Sale struct {
	ID            string    `json:"id"`
	ShopID        string    `json:"shop_id"`
	CustomerID    string    `json:"customer_id,omitempty"`
	SellerID      string    `json:"seller_id"`
	PaymentMethod string    `json:"payment_method"`
	Total         int64     `json:"total"`
	SoldAt        time.Time `json:"sold_at"`
	Lines         []Line    `json:"lines,omitempty"`
}

// SaleInput records a sale. CustomerID "" is a walk-in sale; SoldAt zero means now.
type SaleInput struct {
	CustomerID    string
	ShopID        string
	PaymentMethod string
	Lines         []Line
	SoldAt        time.Time
}

// RecordSale records a sale for a customer the user may handle (or a walk-in at their shop).
func (ss *Session) RecordSale(ctx context.Context, in SaleInput) (string, error) {
	var id string
	err := ss.write(ctx, "sale.create", func(w *wtx) error {
		t := target{shopID: in.ShopID, ownerID: ss.user.ID}
		if in.CustomerID != "" {
			c, err := ss.s.loadCust(ctx, w.tx, in.CustomerID)
			if err != nil {
				return err
			}
			in.ShopID, t = c.shopID, target{shopID: c.shopID, ownerID: c.ownerID}
		} else if in.ShopID == "" {
			in.ShopID = ss.user.ShopID
			t.shopID = in.ShopID
		}
		w.audit.Target = in.CustomerID
		if _, err := w.allow(ss, OpSales, t); err != nil {
			return err
		}
		if in.ShopID == "" {
			return &FieldError{"shop", "choose a shop"}
		}
		if !in.SoldAt.IsZero() {
			// A sale dated other than now is history (commissions, stats): the owner's.
			if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
				return err
			}
		}
		var err error
		id, err = w.insertSale(in, ss.user.ID)
		return err
	})
	return id, err
}

func (w *wtx) insertSale(in SaleInput, sellerID string) (string, error) {
	var ve ValidationError
	if !slices.Contains(PaymentMethods, in.PaymentMethod) {
		ve.add("payment_method", "must be card, cash, bank_transfer or gift_card")
	}
	if len(in.Lines) == 0 {
		ve.add("lines", "a sale needs at least one line")
	}
	for i := range in.Lines {
		in.Lines[i].Kind = "part"
		in.Lines[i].validate(i, &ve)
	}
	if err := ve.orNil(); err != nil {
		return "", err
	}
	soldAt := w.now
	if !in.SoldAt.IsZero() {
		soldAt = in.SoldAt.UnixMilli()
	}
	id := newID()
	var cust any
	if in.CustomerID != "" {
		cust = in.CustomerID
	}
	if err := w.insert("sales", in.ShopID, id, []col{
		plain("shop_id", in.ShopID), plain("customer_id", cust), plain("seller_id", sellerID), plain("payment_method", in.PaymentMethod),
		plain("sold_at", soldAt), plain("created_at", w.now),
	}); err != nil {
		return "", err
	}
	for _, l := range in.Lines {
		if err := w.insert("sale_lines", in.ShopID, newID(), []col{
			plain("sale_id", id), plain("sku", l.SKU), plain("description", l.Description), plain("qty", l.Qty), plain("unit_price", l.UnitPrice),
		}); err != nil {
			return "", err
		}
	}
	if err := w.retotal("sales", id); err != nil {
		return "", err
	}
	var total int64
	if err := w.tx.QueryRowContext(w.ctx, "SELECT total FROM sales WHERE id = ?", id).Scan(&total); err != nil {
		return "", err
	}
	w.audit.Detail = fmt.Sprintf("sale=%s total=%d", id, total)
	return id, nil
}

func (s *Store) salesOf(ctx context.Context, customerID string) ([]Sale, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, shop_id, customer_id, seller_id, payment_method, total, sold_at FROM sales WHERE customer_id = ? ORDER BY sold_at DESC LIMIT 200", customerID)
	if err != nil {
		return nil, err
	}
	var out []Sale
	for rows.Next() {
		var sl Sale
		var at int64
		if err := rows.Scan(&sl.ID, &sl.ShopID, &sl.CustomerID, &sl.SellerID, &sl.PaymentMethod, &sl.Total, &at); err != nil {
			rows.Close()
			return nil, err
		}
		sl.SoldAt = time.UnixMilli(at)
		out = append(out, sl)
	}
	rows.Close()
	for i := range out {
		if out[i].Lines, err = s.linesOf(ctx, "sale_lines", "sale_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
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
	if err := ss.trainingGate(ctx, "sale.list", ""); err != nil {
		return nil, err // the list carries customers' names
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
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "sale.list", Fields: []string{"customers.name"},
		Detail: fmt.Sprintf("sales=%d names=%d", len(out), names)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
