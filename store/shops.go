package store

import (
	"context"
	"fmt"
	"strings"
)

// Shop is a shop of the chain.
type Shop struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
}

// Shops lists the chain's shops (business data: every signed-in user may list them).
func (ss *Session) Shops(ctx context.Context) ([]Shop, error) {
	rows, err := ss.s.db.QueryContext(ctx, "SELECT id, name, region, currency FROM shops ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Shop
	for rows.Next() {
		var s Shop
		if err := rows.Scan(&s.ID, &s.Name, &s.Region, &s.Currency); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ShopByName finds a shop by its exact name.
func (ss *Session) ShopByName(ctx context.Context, name string) (Shop, error) {
	shops, err := ss.Shops(ctx)
	if err != nil {
		return Shop{}, err
	}
	for _, s := range shops {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Shop{}, fmt.Errorf("shop: %w", ErrNotFound)
}

// AddShop adds a shop with its own scope key (owner only).
func (ss *Session) AddShop(ctx context.Context, name, region, currency string) (string, error) {
	var id string
	err := ss.write(ctx, "shop.create", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		var err error
		id, err = w.addShop(strings.TrimSpace(name), region, currency)
		return err
	})
	return id, err
}
