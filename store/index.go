package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"spoke/store/search"
)

// CustomerSummary is a search result: what the user may see of a customer in a list.
type CustomerSummary struct {
	ID      string `json:"id"`
	ShopID  string `json:"shop_id"`
	OwnerID string `json:"owner_id"`
	Owner   string `json:"owner"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
}

// BuildIndex decrypts the names, e-mails and phones of the customers the user may see and
// builds the in-memory type-ahead index. Nothing of it is written to disk. progress, if not
// nil, is called with (done, total) every few thousand customers. The build is one audited
// bulk read.
func (ss *Session) BuildIndex(ctx context.Context, progress func(done, total int)) error {
	q, args, minimal, err := ss.visibleQuery()
	if err != nil {
		return err
	}
	var total int
	if err := ss.s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+q+")", args...).Scan(&total); err != nil {
		return err
	}
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ix := search.New()
	cards := make(map[string]CustomerSummary, total)
	owners := map[string]string{}
	done := 0
	for rows.Next() {
		c, err := scanCust(rows)
		if err != nil {
			return err
		}
		o, err := ss.s.openCust(ctx, c, minimal)
		if err != nil {
			return err
		}
		sum := ss.summary(ctx, c, o, owners)
		cards[c.id] = sum
		ix.Put(search.Entry{ID: c.id, Name: o.name, Email: o.email, Phone: o.phone})
		done++
		if progress != nil && done%5000 == 0 {
			progress(done, total)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if progress != nil {
		progress(done, total)
	}
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.index", Fields: []string{"name", "email", "phone"},
		Detail: fmt.Sprintf("customers=%d", done)}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Wipe()
	}
	ss.index, ss.cards = ix, cards
	ss.mu.Unlock()
	return nil
}

func (ss *Session) summary(ctx context.Context, c *custRow, o *opened, owners map[string]string) CustomerSummary {
	name, ok := owners[c.ownerID]
	if !ok {
		name = ss.s.username(ctx, c.ownerID)
		owners[c.ownerID] = name
	}
	return CustomerSummary{ID: c.id, ShopID: c.shopID, OwnerID: c.ownerID, Owner: name, Name: o.name, Email: o.email, Phone: o.phone}
}

// visibleQuery selects the customers the user may list, and whether only name and phone.
func (ss *Session) visibleQuery() (string, []any, bool, error) {
	base := "SELECT " + custCols + " FROM customers WHERE deleted_at = 0"
	g, ok := ss.user.permits(OpCustomerPIIOwn, target{any: true})
	if ok {
		switch g {
		case All:
			return base, nil, false, nil
		case ShopOnly:
			return base + " AND shop_id = ?", []any{ss.user.ShopID}, false, nil
		case Own:
			return base + " AND owner_id = ? AND shop_id = ?", []any{ss.user.ID, ss.user.ShopID}, false, nil
		}
	}
	if g, ok := ss.user.permits(OpCustomerPIIOther, target{any: true}); ok && g == Assigned {
		return base + " AND id IN (SELECT customer_id FROM work_orders WHERE mechanic_id = ? AND status NOT IN ('collected', 'cancelled'))", []any{ss.user.ID}, true, nil
	}
	return "", nil, false, ErrForbidden
}

// Search answers a type-ahead query from the in-memory index (built on first use).
// Results are what the user may see; the query itself is not stored anywhere.
func (ss *Session) Search(ctx context.Context, query string, limit int) ([]CustomerSummary, error) {
	ss.mu.RLock()
	ix := ss.index
	ss.mu.RUnlock()
	if ix == nil {
		if _, _, _, err := ss.visibleQuery(); err != nil {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.index", Outcome: "denied"})
			return nil, err
		}
		if err := ss.BuildIndex(ctx, nil); err != nil {
			return nil, err
		}
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	var ids []string
	if query == "" {
		// Everything the user may see, by name, capped like a query.
		for id := range ss.cards {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int {
			if c := strings.Compare(ss.cards[a].Name, ss.cards[b].Name); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		if limit > 0 && len(ids) > limit {
			ids = ids[:limit]
		}
	} else {
		ids = ss.index.Query(query, limit)
	}
	out := make([]CustomerSummary, 0, len(ids))
	for _, id := range ids {
		out = append(out, ss.cards[id])
	}
	return out, nil
}

// indexPut refreshes one customer in a built index after a write.
func (ss *Session) indexPut(ctx context.Context, id string) {
	ss.mu.RLock()
	built := ss.index != nil
	ss.mu.RUnlock()
	if !built {
		return
	}
	c, err := ss.s.loadCust(ctx, ss.s.db, id)
	if err != nil {
		return
	}
	g, err := ss.view(ctx, c)
	if err != nil || g == BreakGlass {
		ss.indexRemove(id)
		return
	}
	o, err := ss.s.openCust(ctx, c, g == Assigned)
	if err != nil {
		return
	}
	sum := ss.summary(ctx, c, o, map[string]string{})
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Put(search.Entry{ID: id, Name: o.name, Email: o.email, Phone: o.phone})
		ss.cards[id] = sum
	}
	ss.mu.Unlock()
}

func (ss *Session) indexRemove(id string) {
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Remove(id)
		delete(ss.cards, id)
	}
	ss.mu.Unlock()
}
