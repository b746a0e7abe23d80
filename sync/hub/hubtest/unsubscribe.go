package hubtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// uhash is a well-formed unsubscribe hash for test token n.
func uhash(n int) string { return protocol.UnsubscribeHash(fmt.Sprintf("token-%040d", n)) }

// testUnsubscribe: registration is idempotent per scope, a hash of another scope refuses the
// whole batch (ErrConflict) and a scope stays within its bound (ErrFull); only the first click
// of a hash makes a record, with increasing seqs across scopes; an unknown hash is
// ErrNotFound; a scope lists only its own clicks, after a seq, within a limit, through
// another handle too.
func testUnsubscribe(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st, other := open(), open()
	h1, h2, h3, h4 := uhash(1), uhash(2), uhash(3), uhash(4)
	if n, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{h1, h2, h1}, 10, t0); err != nil || n != 2 {
		t.Fatalf("register: %d %v, want 2 new (a duplicate in the batch counts once)", n, err)
	}
	if n, err := other.RegisterUnsubscribeHashes(ctx, "shop-1", []string{h2, h1}, 10, t0); err != nil || n != 0 {
		t.Fatalf("register again: %d %v, want 0 new", n, err)
	}
	if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-2", []string{h3, h1}, 10, t0); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("a hash of shop-1 registered for shop-2: %v, want ErrConflict", err)
	}
	if ok, _ := st.UnsubscribeRegistered(ctx, h3); ok {
		t.Fatal("a refused batch registered part of itself")
	}
	if n, err := st.RegisterUnsubscribeHashes(ctx, "shop-2", []string{h3}, 10, t0); err != nil || n != 1 {
		t.Fatalf("register shop-2: %d %v", n, err)
	}
	// The bound counts what the scope holds: shop-1 has 2 of 3, so two more is too many.
	if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{h4, uhash(5)}, 3, t0); !errors.Is(err, hub.ErrFull) {
		t.Fatalf("over the bound: %v, want ErrFull", err)
	}
	if n, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{h4, h1}, 3, t0); err != nil || n != 1 {
		t.Fatalf("up to the bound: %d %v", n, err)
	}
	if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", []string{"ABC"}, 10, t0); err == nil {
		t.Fatal("a malformed hash was registered")
	}
	if _, err := st.RegisterUnsubscribeHashes(ctx, "shop-1", nil, 10, t0); err == nil {
		t.Fatal("an empty batch was accepted")
	}
	for _, h := range []string{h1, h3, h4} {
		if ok, err := other.UnsubscribeRegistered(ctx, h); err != nil || !ok {
			t.Fatalf("registered %v %v", ok, err)
		}
	}
	if ok, err := other.UnsubscribeRegistered(ctx, uhash(99)); err != nil || ok {
		t.Fatalf("unknown registered %v %v", ok, err)
	}

	if _, err := st.RecordUnsubscribe(ctx, uhash(99), t0); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("unknown hash: %v, want ErrNotFound", err)
	}
	if _, err := st.RecordUnsubscribe(ctx, "not-a-hash", t0); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("malformed hash: %v, want ErrNotFound", err)
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for i, c := range []struct {
		h    string
		want bool
	}{{h2, true}, {h3, true}, {h2, false}, {h1, true}, {h3, false}} {
		s := st
		if i%2 == 1 {
			s = other
		}
		rec, err := s.RecordUnsubscribe(ctx, c.h, at(i))
		if err != nil || rec != c.want {
			t.Fatalf("click %d: recorded %v %v, want %v", i, rec, err, c.want)
		}
	}
	got, err := other.Unsubscribes(ctx, "shop-1", 0, 100)
	if err != nil || len(got) != 2 {
		t.Fatalf("shop-1 clicks: %+v %v", got, err)
	}
	if got[0].Hash != h2 || !got[0].At.Equal(at(0)) || got[1].Hash != h1 || !got[1].At.Equal(at(3)) || got[1].Seq <= got[0].Seq {
		t.Fatalf("shop-1 clicks: %+v (the first click's time is kept, seqs increase)", got)
	}
	s2, err := st.Unsubscribes(ctx, "shop-2", 0, 100)
	if err != nil || len(s2) != 1 || s2[0].Hash != h3 || s2[0].Seq <= got[0].Seq || s2[0].Seq >= got[1].Seq {
		t.Fatalf("shop-2 clicks: %+v %v (one seq across scopes, in click order)", s2, err)
	}
	if page, _ := st.Unsubscribes(ctx, "shop-1", 0, 1); len(page) != 1 || page[0].Seq != got[0].Seq {
		t.Fatalf("limit 1: %+v", page)
	}
	if page, _ := st.Unsubscribes(ctx, "shop-1", got[0].Seq, 100); len(page) != 1 || page[0].Seq != got[1].Seq {
		t.Fatalf("after the first: %+v", page)
	}
	for _, bad := range []struct {
		scope string
		after int64
		limit int
	}{{"shop-1", got[1].Seq, 100}, {"shop-3", 0, 100}, {"shop-1", 0, 0}, {"shop-1", -1, 10}} {
		if page, err := st.Unsubscribes(ctx, bad.scope, bad.after, bad.limit); err != nil || len(page) != 0 {
			t.Errorf("%+v: %+v %v, want none", bad, page, err)
		}
	}
}

// testUnsubscribeConcurrent: hub processes recording clicks at once never make two records for
// a hash, and every record is listed in seq order without a gap a reader could skip over;
// two registering one hash for two scopes at once leave it under exactly one.
func testUnsubscribeConcurrent(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	handles := []hub.Storage{open(), open(), open()}
	var hashes []string
	for i := range 30 {
		hashes = append(hashes, uhash(1000+i))
	}
	if _, err := handles[0].RegisterUnsubscribeHashes(ctx, "shop-1", hashes, 1000, t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := map[string]int{}
	for _, st := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, h := range hashes {
				rec, err := st.RecordUnsubscribe(ctx, h, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if rec {
					mu.Lock()
					recorded[h]++
					mu.Unlock()
				}
			}
		}()
	}
	shared := uhash(5000)
	wins := make(chan error, 2)
	for i, sc := range []string{"shop-a", "shop-b"} {
		go func() {
			_, err := handles[i].RegisterUnsubscribeHashes(ctx, sc, []string{shared}, 10, t0)
			wins <- err
		}()
	}
	wg.Wait()
	for _, h := range hashes {
		if recorded[h] != 1 {
			t.Errorf("hash recorded %d times, want once", recorded[h])
		}
	}
	var seen []protocol.UnsubscribeClick
	after := int64(0)
	for {
		page, err := handles[2].Unsubscribes(ctx, "shop-1", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, page...)
		after = page[len(page)-1].Seq
	}
	if len(seen) != len(hashes) {
		t.Fatalf("paged %d clicks, want %d", len(seen), len(hashes))
	}
	e1, e2 := <-wins, <-wins
	if (e1 == nil) == (e2 == nil) || !errors.Is(errors.Join(e1, e2), hub.ErrConflict) {
		t.Fatalf("one hash for two scopes at once: %v, %v; want one success and one ErrConflict", e1, e2)
	}
}
