package store

import (
	"context"
	"testing"
	"time"
)

// useHoldTables writes a row of every table issue 13's holds add (a held export of the first
// shop), for the fixtures that must use every table.
func useHoldTables(t *testing.T, st *Store, owner *Session) {
	t.Helper()
	ctx := context.Background()
	if err := owner.SetBulkLimits(ctx, BulkLimits{Export: 0, Delete: 0, Expiry: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	shops := must[[]Shop](t)(owner.Shops(ctx))
	res, err := owner.ExportCustomers(ctx, ExportFilter{ShopID: shops[0].ID}, "csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Held == nil {
		t.Fatal("an export over the limit ran at once")
	}
}
