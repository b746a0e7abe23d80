package store

import (
	"context"
	"database/sql"
	"fmt"
)

// This file computes every Derived column of the schema registry, for local writes, merges,
// replays and Verify alike: blind indexes from the personal values they index, job and sale
// totals from their lines. There is no second definition anywhere.

// blindIndexOf computes the blind index of a stored personal value: normalised the way the
// registry says for the column (in its shop's region), then keyed per shop and field; nil for
// an empty value. region is the shop's. A value that does not normalise (stored before a rule tightened) indexes as
// empty rather than failing the write that touched its row.
func (s *Store) blindIndexOf(ctx context.Context, table, column, shop, region, plaintext string) ([]byte, error) {
	return blindIndexWith(table, column, region, plaintext, func(norm string) ([]byte, error) {
		return s.bidx(ctx, shop, column, norm)
	})
}

// blindIndexWith is blindIndexOf with the keyed sum given (sum gets the normalised, non-empty
// value): a merge that reindexes thousands of rows derives each shop's field key once.
func blindIndexWith(table, column, region, plaintext string, sum func(normalised string) ([]byte, error)) ([]byte, error) {
	c := columns[table+"."+column]
	if c == nil || c.index == nil {
		return nil, fmt.Errorf("store: %s.%s has no blind index", table, column)
	}
	if plaintext == "" {
		return nil, nil
	}
	norm, _ := c.index.normalise(plaintext, region)
	if norm == "" {
		return nil, nil
	}
	return sum(norm)
}

// lookupIndex turns a value someone typed into the blind index to search one shop with:
// region, normalise, index. A value that does not normalise is a FieldError.
func (s *Store) lookupIndex(ctx context.Context, field LookupField, shop, typed string) ([]byte, error) {
	_, c, err := lookupColumn(field)
	if err != nil {
		return nil, err
	}
	region, err := s.shopRegion(ctx, s.db, shop)
	if err != nil {
		return nil, err
	}
	norm, err := c.index.normalise(typed, region)
	if err != nil {
		return nil, &FieldError{string(field), "is not valid"}
	}
	return s.bidx(ctx, shop, string(field), norm)
}

// indexCols returns, for a row being written, the Derived blind-index columns of the personal
// values given (column -> plaintext): the one way a local write fills them.
func (w *wtx) indexCols(table, shop string, plaintexts map[string]string) ([]col, error) {
	var out []col
	region, err := w.s.shopRegion(w.ctx, w.tx, shop)
	if err != nil {
		return nil, err
	}
	for _, c := range tables[table].indexedCols() {
		v, ok := plaintexts[c.name]
		if !ok {
			continue
		}
		b, err := w.s.blindIndexOf(w.ctx, table, c.name, shop, region, v)
		if err != nil {
			return nil, err
		}
		out = append(out, plain(c.index.column, nullBytes(b)))
	}
	return out, nil
}

// jobTotalsSQL and saleTotalSQL set the Derived totals, in integer minor units, of a job or sale (?1) from its lines.
const (
	jobTotalsSQL = `UPDATE work_orders SET
		labour_total = (SELECT COALESCE(SUM(qty * unit_price), 0) FROM work_order_lines WHERE work_order_id = ?1 AND kind = 'labour'),
		parts_total = (SELECT COALESCE(SUM(qty * unit_price), 0) FROM work_order_lines WHERE work_order_id = ?1 AND kind = 'part'),
		total = (SELECT COALESCE(SUM(qty * unit_price), 0) FROM work_order_lines WHERE work_order_id = ?1) WHERE id = ?1`
	saleTotalSQL = "UPDATE sales SET total = (SELECT COALESCE(SUM(qty * unit_price), 0) FROM sale_lines WHERE sale_id = ?1) WHERE id = ?1"
)

// retotal sets a job's or a sale's Derived totals from its lines.
func (w *wtx) retotal(table, id string) error {
	q := jobTotalsSQL
	if table == "sales" {
		q = saleTotalSQL
	}
	if err := w.guard(tables[table], id); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, q, id)
	return err
}

// recomputeDerived rebuilds the Derived columns of the touched rows (table -> ids) from the
// values the rows hold: every blind index the registry declares, and the totals of
// every job and sale whose lines (or itself) were touched.
func (s *Store) recomputeDerived(ctx context.Context, tx *sql.Tx, touched map[string]map[string]bool) error {
	for _, t := range schema {
		idx := t.indexedCols()
		if len(idx) == 0 {
			continue
		}
		for id := range touched[t.name] {
			if err := s.reindexRow(ctx, tx, &t, idx, id); err != nil {
				return err
			}
		}
	}
	for _, d := range []struct{ parent, lines, fk, sql string }{
		{"work_orders", "work_order_lines", "work_order_id", jobTotalsSQL},
		{"sales", "sale_lines", "sale_id", saleTotalSQL},
	} {
		ids, err := parents(ctx, tx, touched, d.parent, d.lines, d.fk)
		if err != nil {
			return err
		}
		for id := range ids {
			if _, err := tx.ExecContext(ctx, d.sql, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// reindexRow recomputes one row's blind indexes from its sealed values.
func (s *Store) reindexRow(ctx context.Context, tx *sql.Tx, t *table, idx []*column, id string) error {
	k, err := s.rowKey(ctx, tx, t.name, id)
	if err != nil {
		return err
	}
	q := "SELECT shop_id"
	for _, c := range idx {
		q += ", " + c.name
	}
	var shop string
	sealed := make([][]byte, len(idx))
	dest := []any{&shop}
	for i := range sealed {
		dest = append(dest, &sealed[i])
	}
	if err := tx.QueryRowContext(ctx, q+" FROM "+t.name+" WHERE id = ?", id).Scan(dest...); err != nil {
		return err
	}
	region, err := s.shopRegion(ctx, tx, shop)
	if err != nil {
		return err
	}
	for i, c := range idx {
		pt, err := openField(k, t.name, id, c.name, sealed[i])
		if err != nil {
			return err
		}
		b, err := s.blindIndexOf(ctx, t.name, c.name, shop, region, pt)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE "+t.name+" SET "+c.index.column+" = ? WHERE id = ?", nullBytes(b), id); err != nil {
			return err
		}
	}
	return nil
}

// parents collects the touched parent rows and the parents of the touched lines.
func parents(ctx context.Context, tx *sql.Tx, touched map[string]map[string]bool, parent, lines, fk string) (map[string]bool, error) {
	out := map[string]bool{}
	for id := range touched[parent] {
		out[id] = true
	}
	for id := range touched[lines] {
		var p string
		if err := tx.QueryRowContext(ctx, "SELECT "+fk+" FROM "+lines+" WHERE id = ?", id).Scan(&p); err != nil {
			return nil, err
		}
		out[p] = true
	}
	return out, nil
}
