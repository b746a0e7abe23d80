package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
)

// TestBuildIndexParallel: decrypting on several workers gives every visible customer's
// summary, the same answers as each customer opened alone, one audit entry, and a final
// progress call, whatever the number of workers.
func TestBuildIndexParallel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sam := f.users["sam"]
	var rows []importRow
	for i := range 3*indexBatch + 17 {
		rows = append(rows, importRow{Line: i + 2, Name: fmt.Sprintf("Parallel Person%04d", i),
			Email: fmt.Sprintf("p%04d@example.com", i), Phone: fmt.Sprintf("+1 415 555 %04d", i)})
	}
	ids, err := batchImport(ctx, sam, "", "", rows)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]CustomerSummary{}
	for _, id := range ids {
		c, err := sam.Customer(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		want[id] = CustomerSummary{ID: id, ShopID: c.ShopID, OwnerID: c.OwnerID, Owner: "sam", Name: c.Name, Email: c.Email, Phone: c.Phone}
	}
	for _, procs := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			ss := signIn(t, f.st, "olga", "owner-password-1")
			var calls [][2]int
			if err := ss.BuildIndex(ctx, func(done, total int) { calls = append(calls, [2]int{done, total}) }); err != nil {
				t.Fatal(err)
			}
			all := must[[]CustomerSummary](t)(ss.Search(ctx, "", 0))
			n := len(ids) + 3 // the fixture's own customers
			if len(all) != n || len(calls) == 0 || calls[len(calls)-1] != [2]int{n, n} {
				t.Fatalf("%d customers, progress %v; want %d", len(all), calls, n)
			}
			for _, i := range []int{0, 1, indexBatch, 2*indexBatch + 3, len(ids) - 1} {
				res := must[[]CustomerSummary](t)(ss.Search(ctx, rows[i].Name, 5))
				if len(res) != 1 || res[0] != want[ids[i]] {
					t.Fatalf("Search(%q) = %+v, want %+v", rows[i].Name, res, want[ids[i]])
				}
			}
			res := must[[]CustomerSummary](t)(ss.Search(ctx, "parallel", 1000))
			if len(res) != len(ids) || !slices.IsSortedFunc(res, func(a, b CustomerSummary) int {
				if a.Name < b.Name {
					return -1
				}
				return 1
			}) {
				t.Fatalf("Search(parallel) gave %d customers, or out of order", len(res))
			}
			if rec := lastAudit(t, f, "olga", "customer.index"); rec.Detail != fmt.Sprintf("customers=%d", n) {
				t.Fatalf("audit entry %+v", rec)
			}
		})
	}
}

// TestBuildIndexFailsClosed: one customer that does not open (a sealed name moved to another
// row) fails the whole build on any number of workers, and a cancelled build fails too; neither
// leaves an index behind.
func TestBuildIndexFailsClosed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var rows []importRow
	for i := range 2*indexBatch + 5 {
		rows = append(rows, importRow{Line: i + 2, Name: fmt.Sprintf("Closed Person%04d", i)})
	}
	ids := must[[]string](t)(batchImport(ctx, f.users["sam"], "", "", rows))

	t.Run("cancelled", func(t *testing.T) {
		ss := signIn(t, f.st, "olga", "owner-password-1")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := ss.BuildIndex(cctx, nil); err == nil {
			t.Fatal("cancelled build succeeded")
		}
		if ss.index != nil {
			t.Fatal("a cancelled build left an index")
		}
	})

	bad := ids[indexBatch+1]
	if _, err := f.st.db.Exec("UPDATE customers SET name = (SELECT name FROM customers WHERE id = ?) WHERE id = ?", ids[0], bad); err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("tampered/GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			ss := signIn(t, f.st, "olga", "owner-password-1")
			err := ss.BuildIndex(ctx, nil)
			var se *SealError
			if !errors.As(err, &se) || se.Row != bad {
				t.Fatalf("BuildIndex = %v, want a seal error naming %s", err, bad)
			}
			if ss.index != nil {
				t.Fatal("a failed build left an index")
			}
			if _, err := ss.Search(ctx, "closed", 10); err == nil {
				t.Fatal("Search answered from a build that failed")
			}
		})
	}
}

// TestBuildIndexSeesWritesDuringTheBuild: a customer deleted while the index was being built
// (here from the build's own progress callback, after every row was read) is not findable in
// the finished index; and a session that signed out during the build installs no index.
func TestBuildIndexSeesWritesDuringTheBuild(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	olga := f.users["olga"]
	deleted := false
	err := olga.BuildIndex(ctx, func(done, total int) {
		if done == total && !deleted {
			deleted = true
			if err := olga.DeleteCustomer(ctx, f.cSue); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil || !deleted {
		t.Fatalf("build: %v (deleted during it: %v)", err, deleted)
	}
	res, err := olga.Search(ctx, "Bea Suecustomer", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res {
		if c.ID == f.cSue {
			t.Fatal("a customer deleted during the build is still in the index")
		}
	}

	mia := f.users["mia"]
	err = mia.BuildIndex(ctx, func(done, total int) {
		if done == total {
			mia.SignOut(ctx)
		}
	})
	if !errors.Is(err, ErrSignedOut) {
		t.Fatalf("build across a sign-out: %v, want ErrSignedOut", err)
	}
	mia.mu.RLock()
	left := mia.index != nil || mia.cards != nil
	mia.mu.RUnlock()
	if left {
		t.Fatal("a signed-out session kept a decrypted index")
	}
}
