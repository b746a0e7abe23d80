package hub_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
)

// LoadEnv selects the load test's size: "full" is the size reported in the
// README (make hubtest), "bench" the 1,000-device run of make bench (PostgreSQL
// only); unset is a smaller run that still uses 50 devices
// (scaled down further under -race and -short).
const LoadEnv = "SPOKE_HUB_LOAD"

type loadSize struct {
	devices, pushes, shops int
	only                   string        // a backend name: run on that one alone
	within                 time.Duration // the run stops by itself after this
}

func loadSizeFor(t *testing.T) loadSize {
	switch {
	case os.Getenv(LoadEnv) == "bench":
		// make bench: a chain of 50 shops with 1,000 devices against PostgreSQL (the
		// production backend for a chain that size), bounded in count and time.
		return loadSize{devices: 1000, pushes: 10, shops: 50, only: "postgres", within: 5 * time.Minute}
	case os.Getenv(LoadEnv) == "full":
		return loadSize{devices: 100, pushes: 40, shops: 10}
	case raceEnabled || testing.Short():
		return loadSize{devices: 50, pushes: 3, shops: 10}
	default:
		return loadSize{devices: 50, pushes: 10, shops: 10}
	}
}

// TestLoad: simulated shop devices, each with its own certificate and TLS
// connections, push and pull concurrently against one hub on loopback. Each
// device pushes its sets one by one, pulling after each push; the run is
// bounded in count and in time (two minutes; five at the bench size). It reports change-sets per
// second, p50/p99 latency and errors, which must be zero.
func TestLoad(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			size := loadSizeFor(t)
			if size.only != "" && size.only != b.name {
				t.Skipf("this size runs on %s only", size.only)
			}
			open, _ := b.newDB(t)
			h := hubtest.StartHub(t, open)
			runLoad(t, h, b.name, size)
		})
	}
}

func runLoad(t *testing.T, h *hubtest.Hub, name string, size loadSize) {
	if size.within == 0 {
		size.within = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), size.within)
	defer cancel()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")

	// Enroll every device (not timed), a few at a time.
	devs := make([]*hubtest.Device, size.devices)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var enrollErr error
	var mu sync.Mutex
	for i := range devs {
		code, _, err := owner.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{"shop-" + strconv.Itoa(i%size.shops)}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := hubtest.EnrollDevice(code, fmt.Sprintf("load-dev-%03d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && enrollErr == nil {
				enrollErr = err
			}
			devs[i] = d
		}()
	}
	wg.Wait()
	if enrollErr != nil {
		t.Fatal(enrollErr)
	}
	defer func() {
		for _, d := range devs {
			d.Client.Close()
		}
	}()
	// Seal before the clock starts: sealing is the spokes' work, not the hub's.
	sealed := make([][][]byte, len(devs))
	for i, d := range devs {
		for s := 1; s <= size.pushes; s++ {
			sealed[i] = append(sealed[i], d.MustSeal(t, "shop-"+strconv.Itoa(i%size.shops), uint64(s), "customer note", "another field"))
		}
	}

	type result struct {
		push, pull []time.Duration
		received   int
		errs       []error
	}
	results := make([]result, len(devs))
	start := time.Now()
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			var after int64
			for _, b := range sealed[i] {
				t0 := time.Now()
				if _, err := d.Client.Push(ctx, b); err != nil {
					r.errs = append(r.errs, err)
					continue
				}
				r.push = append(r.push, time.Since(t0))
				t0 = time.Now()
				p, err := d.Client.Pull(ctx, after, hub.MaxPullLimit)
				if err != nil {
					r.errs = append(r.errs, err)
					continue
				}
				r.pull = append(r.pull, time.Since(t0))
				r.received += len(p.Frames)
				after = p.Next
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var push, pull []time.Duration
	var errs []error
	received := 0
	for _, r := range results {
		push = append(push, r.push...)
		pull = append(pull, r.pull...)
		errs = append(errs, r.errs...)
		received += r.received
	}
	all := append(slices.Clone(push), pull...)
	total := size.devices * size.pushes
	t.Logf("hub load (%s): %d devices × %d pushes, each followed by a pull: %d change-sets stored in %v = %.0f change-sets/s; "+
		"%d change-sets received by pulls; latency all p50 %v p99 %v | push p50 %v p99 %v | pull p50 %v p99 %v; errors %d",
		name, size.devices, size.pushes, len(push), elapsed.Round(time.Millisecond), float64(len(push))/elapsed.Seconds(),
		received, pct(all, 50), pct(all, 99), pct(push, 50), pct(push, 99), pct(pull, 50), pct(pull, 99), len(errs))
	for i, err := range errs {
		if i == 5 {
			break
		}
		t.Errorf("error: %v", err)
	}
	if len(errs) != 0 || len(push) != total {
		t.Fatalf("%d errors, %d of %d pushes", len(errs), len(push), total)
	}
	sets, err := h.Storage.ChangeSets(context.Background(), hub.ChangeSetFilter{AllScopes: true, Limit: hub.MaxPullLimit})
	if err != nil {
		t.Fatal(err)
	}
	if total <= hub.MaxPullLimit && len(sets) != total {
		t.Fatalf("stored %d change-sets, want %d", len(sets), total)
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(10 * time.Microsecond)
}
