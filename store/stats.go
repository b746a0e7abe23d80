package store

import (
	"context"
	"fmt"
	"slices"
)

// MinCell is the smallest group size shown to marketing: smaller counts are suppressed so no
// aggregate points at an individual customer.
const MinCell = 5

// Cell is one aggregate value. Suppressed cells have Value -1. A money cell names its
// currency (its shops' shops.currency): cells of two currencies are never added together.
type Cell struct {
	Key        string `json:"key"`
	Currency   string `json:"currency,omitempty"`
	Value      int64  `json:"value"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// Stats are the dashboard's aggregates. Money is in minor units, one cell per month and
// currency (RevenueByMonth is ordered by month, then currency).
type Stats struct {
	CustomersByShop  []Cell   `json:"customers_by_shop"`
	NewCustomers     []Cell   `json:"new_customers_by_month"`
	RevenueByMonth   []Cell   `json:"revenue_by_month"`
	WorkOrdersStatus []Cell   `json:"work_orders_by_status"`
	AvgTurnaroundH   []Cell   `json:"avg_turnaround_hours_by_month"`
	Currencies       []string `json:"currencies"` // of RevenueByMonth, sorted
}

// Stats computes aggregates in SQL over the rows the user's grant covers: all shops (owner,
// marketing), their shop (manager), their own customers (sales). For marketing every customer
// count under MinCell is suppressed, and so is revenue of a month with fewer than MinCell sales.
func (ss *Session) Stats(ctx context.Context) (*Stats, error) {
	g, err := ss.require(ctx, OpStats, target{any: true}, "stats.read", "")
	if err != nil {
		return nil, err
	}
	where, args := "c.id IS NOT NULL", []any{}
	switch g {
	case ShopOnly:
		where, args = "c.shop_id = ?", []any{ss.user.ShopID}
	case Own:
		// Like the Own grant itself: only in the salesperson's shop.
		where, args = "c.owner_id = ? AND c.shop_id = ?", []any{ss.user.ID, ss.user.ShopID}
	}
	woWhere := "1 = 1"
	switch g {
	case ShopOnly:
		woWhere = "shop_id = ?"
	case Own:
		woWhere = "customer_id IN (SELECT id FROM customers WHERE owner_id = ? AND shop_id = ?)"
	}
	suppress := g == AllShopsAggr
	st := &Stats{}
	queries := []struct {
		dst        *[]Cell
		q          string
		countBased bool
	}{
		{&st.CustomersByShop, "SELECT s.name, COUNT(*), COUNT(*) FROM customers c JOIN shops s ON s.id = c.shop_id WHERE c.deleted_at = 0 AND " + where + " GROUP BY s.name ORDER BY s.name", true},
		{&st.NewCustomers, "SELECT strftime('%Y-%m', c.created_at / 1000, 'unixepoch'), COUNT(*), COUNT(*) FROM customers c WHERE c.deleted_at = 0 AND " + where + " GROUP BY 1 ORDER BY 1", true},
		{&st.WorkOrdersStatus, "SELECT status, COUNT(*), COUNT(*) FROM work_orders WHERE " + woWhere + " GROUP BY status ORDER BY status", true},
		{&st.AvgTurnaroundH, "SELECT strftime('%Y-%m', closed_at / 1000, 'unixepoch'), CAST(AVG(closed_at - created_at) / 3600000 AS INTEGER), COUNT(*) FROM work_orders WHERE status = 'collected' AND closed_at > 0 AND " + woWhere + " GROUP BY 1 ORDER BY 1", false},
	}
	for _, q := range queries {
		rows, err := ss.s.db.QueryContext(ctx, q.q, args...)
		if err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		for rows.Next() {
			var c Cell
			var n int64
			if err := rows.Scan(&c.Key, &c.Value, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if suppress && n < MinCell {
				c.Value, c.Suppressed = -1, true
			}
			*q.dst = append(*q.dst, c)
		}
		rows.Close()
	}
	if st.RevenueByMonth, err = ss.revenueCells(ctx, g); err != nil {
		return nil, err
	}
	for _, c := range st.RevenueByMonth {
		if !slices.Contains(st.Currencies, c.Currency) {
			st.Currencies = append(st.Currencies, c.Currency)
		}
	}
	slices.Sort(st.Currencies)
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "stats.read", Detail: "grant=" + string(g), Grant: g}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return st, nil
}
