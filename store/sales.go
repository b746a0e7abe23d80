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
		if _, err := ss.allow(OpSales, t); err != nil {
			return err
		}
		if in.ShopID == "" {
			return &FieldError{"shop", "choose a shop"}
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
