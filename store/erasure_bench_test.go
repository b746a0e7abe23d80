package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"spoke/store"
)

// BenchmarkErasure erases one customer at a time from a copy of the 100k-customer database:
// the erasure itself (rows, ledger, reasons), then the scrub (WAL truncated, file vacuumed), and
// once the owner device's part after it, the shop key's rotation and the re-wrap of every other
// customer's key of that shop. The plain-SQLite baseline deletes one row and vacuums.
func BenchmarkErasure(b *testing.B) {
	ctx := context.Background()
	d := benchSetup(b)
	dir := filepath.Join(b.TempDir(), "spoke")
	if err := copyTree(d.dir, dir); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, dir, store.Options{Passphrase: benchPass})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ss, err := st.SignIn(ctx, d.owner.Username, d.owner.Password)
	if err != nil {
		b.Fatal(err)
	}
	res, err := ss.Search(ctx, "", b.N+1)
	if err != nil || len(res) < b.N {
		b.Fatalf("%d customers found: %v", len(res), err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := ss.EraseCustomer(ctx, res[i].ID); err != nil {
			b.Fatal(err)
		}
	}
	erase := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	shop := res[0].ShopID
	v, err := st.RotateShopKey(ctx, shop, 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	n, err := st.RewrapAfterErasure(ctx, shop, v)
	if err != nil {
		b.Fatal(err)
	}
	rewrap := time.Since(t0)
	t0 = time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := d.plain.Exec("DELETE FROM customers WHERE id = (SELECT id FROM customers LIMIT 1 OFFSET ?)", i); err != nil {
			b.Fatal(err)
		}
		if _, err := d.plain.Exec("VACUUM"); err != nil {
			b.Fatal(err)
		}
	}
	plain := time.Since(t0) / time.Duration(b.N)
	b.ReportMetric(float64(erase.Milliseconds()), "ms/erasure")
	b.ReportMetric(float64(plain.Milliseconds()), "ms/plain-delete+vacuum")
	b.ReportMetric(float64(erase)/float64(plain), "x-plain")
	b.ReportMetric(rewrap.Seconds(), "s/rewrap-shop")
	b.ReportMetric(float64(n), "keys-rewrapped")
}

// copyTree copies a data directory (the database and its log) file by file.
func copyTree(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
