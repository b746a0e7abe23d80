package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
)

// faultyHub delivers through a real hub client but drops requests, loses answers after the
// hub acted, sends pushes twice and cuts pages short, at random.
type faultyHub struct {
	Hub
	mu  sync.Mutex
	rng *rand.Rand
	on  bool
}

var errInjected = errors.New("injected network fault")

func (f *faultyHub) roll(p float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on && f.rng.Float64() < p
}

func (f *faultyHub) Push(ctx context.Context, b []byte) (protocol.PushResponse, error) {
	if f.roll(0.15) {
		return protocol.PushResponse{}, errInjected // dropped on the way
	}
	r, err := f.Hub.Push(ctx, b)
	if f.roll(0.1) {
		r, err = f.Hub.Push(ctx, b) // duplicated
	}
	if err == nil && f.roll(0.15) {
		return protocol.PushResponse{}, errInjected // the hub stored it, the answer was lost
	}
	return r, err
}

func (f *faultyHub) Pull(ctx context.Context, after int64, limit int) (hubclient.Page, error) {
	if f.roll(0.1) {
		return hubclient.Page{}, errInjected
	}
	p, err := f.Hub.Pull(ctx, after, limit)
	if err == nil && len(p.Frames) > 1 && f.roll(0.3) {
		p.Frames = p.Frames[:1+f.rng.IntN(len(p.Frames)-1)] // the connection broke mid-page
		p.Next = p.Frames[len(p.Frames)-1].Cursor
	}
	return p, err
}

func (f *faultyHub) Envelopes(ctx context.Context) ([]protocol.EnvelopeInfo, error) {
	if f.roll(0.05) {
		return nil, errInjected
	}
	return f.Hub.Envelopes(ctx)
}

// worker is one device with a signed-in user making offline edits.
type worker struct {
	sp     *spoke
	ss     *store.Session
	faulty *faultyHub
	shop   string
}

func (w *worker) edit(t *testing.T, rng *rand.Rand, n int) {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		ids, err := w.ss.Search(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		switch op := rng.IntN(10); {
		case op < 3 || len(ids) == 0:
			id, err := w.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("C%d %s", rng.IntN(1e6), w.sp.st.DeviceID()[:4]), Email: fmt.Sprintf("c%d@example.com", rng.IntN(1e9)), ShopID: w.shop})
			if err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 {
				if _, err := w.ss.AddBike(ctx, id, store.Bike{Make: "Trek", Model: "FX", Serial: fmt.Sprintf("SN%d", rng.IntN(1e9))}); err != nil {
					t.Fatal(err)
				}
			}
		case op < 8:
			c := ids[rng.IntN(len(ids))]
			card, err := w.ss.Customer(ctx, c.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			in := store.CustomerInput{Name: card.Name, Email: card.Email, Phone: card.Phone, Address: card.Address, Notes: card.Notes}
			switch rng.IntN(3) { // often the same field on several devices: real conflicts
			case 0:
				in.Name = fmt.Sprintf("Renamed %d", rng.IntN(1000))
			case 1:
				in.Notes = fmt.Sprintf("note %d", rng.IntN(1000))
			case 2:
				in.Address = fmt.Sprintf("%d Main St", rng.IntN(1000))
			}
			if err := w.ss.UpdateCustomer(ctx, c.ID, in); err != nil {
				t.Fatal(err)
			}
		case op < 9:
			c := ids[rng.IntN(len(ids))]
			if _, err := w.ss.RecordSale(ctx, store.SaleInput{CustomerID: c.ID, PaymentMethod: "cash", Lines: []store.Line{{Description: "Tube", Qty: 1 + int64(rng.IntN(3)), UnitPrice: 899}}}); err != nil {
				t.Fatal(err)
			}
		default:
			if err := w.ss.DeleteCustomer(ctx, ids[rng.IntN(len(ids))].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestConvergenceUnderFaults(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	h, a, owner, north := chain(t)
	shopDev := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	mgr := must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "mia", Password: "manager-password", Roles: []store.Role{store.RoleManager}, ShopID: north}))
	_ = mgr
	a.sync(t)
	shopDev.sync(t)
	laptop.sync(t)
	signIn := func(s *spoke, user, pw string) *store.Session {
		ss, err := s.st.SignIn(ctx, user, pw)
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	var workers []*worker
	for _, x := range []struct {
		sp       *spoke
		user, pw string
	}{{a, "olga", "owner-password-1"}, {shopDev, "mia", "manager-password"}, {laptop, "olga", "owner-password-1"}} {
		f := &faultyHub{Hub: x.sp.hc, rng: rand.New(rand.NewPCG(rng.Uint64(), 1)), on: true}
		x.sp.eng = New(x.sp.st.Replica(), f)
		workers = append(workers, &worker{sp: x.sp, ss: signIn(x.sp, x.user, x.pw), faulty: f, shop: north})
	}
	failures := 0
	for round := 0; round < 12; round++ {
		for _, w := range workers {
			w.edit(t, rng, 1+rng.IntN(6))
		}
		for _, i := range rng.Perm(len(workers)) {
			if rng.IntN(4) == 0 {
				continue // this device stays offline this round
			}
			if _, err := workers[i].sp.eng.SyncNow(ctx); err != nil {
				failures++
			}
		}
		if round%4 == 3 {
			// The hub restarts while a device is in the middle of a round.
			done := make(chan struct{})
			go func() {
				defer close(done)
				workers[0].sp.eng.SyncNow(ctx)
			}()
			h.restart()
			<-done
		}
	}
	if failures == 0 {
		t.Fatal("no fault was injected")
	}
	// The network heals: sync until every device is quiet.
	for _, w := range workers {
		w.faulty.mu.Lock()
		w.faulty.on = false
		w.faulty.mu.Unlock()
	}
	for pass := 0; pass < 3; pass++ {
		for _, w := range workers {
			w.sp.sync(t)
		}
	}
	hashes := map[string]bool{}
	for _, w := range workers {
		h, err := w.sp.st.DataHash(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hashes[h] = true
		if r, err := w.sp.st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify: %v %v", err, r.Problems)
		}
	}
	if len(hashes) != 1 {
		t.Fatalf("%d different states after healing", len(hashes))
	}
	// No committed write is lost except to a later write of the same field.
	type field struct{ table, row, col string }
	type win struct {
		hlc    uint64
		device string
		value  any
	}
	winners := map[field]win{}
	for _, w := range workers {
		recs, err := w.sp.st.LocalChanges(ctx, 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Table == "users" {
				continue
			}
			f := field{r.Table, r.RowID, r.Column}
			cur, ok := winners[f]
			if !ok || r.HLC > cur.hlc || (r.HLC == cur.hlc && r.Device > cur.device) {
				winners[f] = win{r.HLC, r.Device, r.Value}
			}
		}
	}
	checked := 0
	for f, wv := range winners {
		var got any
		if err := a.st.Replica().RawValue(ctx, f.table, f.row, f.col, &got); err != nil {
			t.Fatalf("%s.%s of %s: %v", f.table, f.col, f.row, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(wv.value) {
			t.Fatalf("%s.%s of %s holds a value that is not the latest write", f.table, f.col, f.row)
		}
		checked++
	}
	t.Logf("%d rounds with %d failed syncs and 3 hub restarts; %d fields checked", 12, failures, checked)
}
