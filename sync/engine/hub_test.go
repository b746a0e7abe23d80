package engine

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hub"
	"spoke/sync/hub/sqlite"
	"spoke/sync/hubclient"
)

var fastKDF = keys.KDFParams{Time: 1, Memory: 64, Threads: 1}

func testOpts() store.Options { return store.Options{Passphrase: "device pass 1", KDF: fastKDF} }

// testHub is a real hub (TLS 1.3, mutual TLS, SQLite storage) on a loopback port, which can
// be stopped and started again on the same address.
type testHub struct {
	t       testing.TB
	dir     *hub.Dir
	storage *sqlite.Storage
	srv     *hub.Server
	addr    string
}

func startHub(t testing.TB) *testHub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	d, err := hub.InitDir(t.TempDir(), addr, hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(d.Path, hub.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	h := &testHub{t: t, dir: d, storage: st, addr: addr}
	h.serve(ln)
	t.Cleanup(func() { h.srv.Stop(); st.Close() })
	return h
}

func (h *testHub) serve(ln net.Listener) {
	srv, err := hub.NewServer(hub.ConfigFromDir(h.dir, h.storage, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := srv.Start(ln); err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
}

// restart stops the server (in-flight requests end) and serves again on the same address.
func (h *testHub) restart() {
	h.srv.Stop()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", h.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.serve(ln)
}

// ownerCode is what `spoke-hub init` prints for the first device.
func (h *testHub) ownerCode() protocol.EnrollCode {
	code, _, err := hub.IssueToken(context.Background(), h.storage, h.dir.CA, h.addr, protocol.RoleOwner, nil, nil, "init", time.Now(), time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return code
}

// spoke is one enrolled device.
type spoke struct {
	st  *store.Store
	eng *Engine
	hc  *hubclient.Client
}

func connect(t testing.TB, st *store.Store, code protocol.EnrollCode) *spoke {
	t.Helper()
	ctx := context.Background()
	// A database with staff connects through its owner's session; a new replica joins.
	var err error
	if staffed, _ := st.HasStaff(ctx); staffed {
		owner := must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
		_, err = Connect(ctx, owner, code)
	} else {
		_, err = Join(ctx, st.Replica(), code)
	}
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	hc, err := Dial(ctx, st.Replica())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Close)
	return &spoke{st: st, eng: New(st.Replica(), hc), hc: hc}
}

func (s *spoke) sync(t testing.TB) *Report {
	t.Helper()
	r, err := s.eng.SyncNow(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return r
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// chain sets up an owner device with a shop and a salesperson, connected to a fresh hub.
func chain(t testing.TB) (*testHub, *spoke, *store.Session, string) {
	ctx := context.Background()
	h := startHub(t)
	st, _, err := store.Create(ctx, t.TempDir(), store.CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	shops, _ := owner.Shops(ctx)
	must[string](t)(owner.AddUser(ctx, store.NewUser{Username: "sam", Password: "sales-password-1", Roles: []store.Role{store.RoleSales}, ShopID: shops[0].ID}))
	a := connect(t, st, h.ownerCode())
	a.sync(t)
	return h, a, owner, shops[0].ID
}

// join enrolls a new replica with a code made on the owner's device, syncs it, and has the
// owner's device confirm it.
func join(t testing.TB, a *spoke, owner *store.Session, shopID string) *spoke {
	ctx := context.Background()
	s := newShopDevice(t, a, owner, shopID)
	r := s.sync(t)
	if r.KeysImported == 0 {
		t.Fatal("a new device received no keys")
	}
	// The owner's device confirms the new device into the roster at its next sync; until
	// then every other device holds the new device's sets.
	a.sync(t)
	if p, err := a.st.Peer(ctx, s.st.DeviceID()); err != nil || !p.Active {
		t.Fatalf("the owner device did not confirm the new device: %v", err)
	}
	return s
}

func TestEnrollSyncRevoke(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	id := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", ShopID: north}))
	a.sync(t)

	shop := join(t, a, owner, north) // the counter in North
	laptop := join(t, a, owner, "")  // the owner's laptop

	// The counter has the org's users and North's customers: sam signs in and works offline.
	sam, err := shop.st.SignIn(ctx, "sam", "sales-password-1")
	if err != nil {
		t.Fatalf("sam on the shop device: %v", err)
	}
	c2 := must[string](t)(sam.CreateCustomer(ctx, store.CustomerInput{Name: "Grace Hopper", Phone: "+1 415 555 0102"}))
	shop.sync(t)
	laptop.sync(t)
	lo, err := laptop.st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	if card, err := lo.Customer(ctx, c2, ""); err != nil || card.Name != "Grace Hopper" {
		t.Fatalf("laptop sees the counter's customer: %v", err)
	}
	if card, err := lo.Customer(ctx, id, ""); err != nil || card.Email != "ada@example.com" {
		t.Fatalf("laptop sees the owner's customer: %v", err)
	}
	a.sync(t)
	laptop.sync(t)
	shop.sync(t)
	ha, _ := a.st.DataHash(ctx)
	hl, _ := laptop.st.DataHash(ctx)
	hs, _ := shop.st.DataHash(ctx)
	if ha != hl || ha != hs {
		t.Fatal("devices did not converge")
	}

	// Revoke the counter: the hub refuses it; new data is sealed under a key it never gets.
	rotated, err := RevokeDevice(ctx, owner, a.hc, shop.st.DeviceID())
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) != 2 {
		t.Fatalf("rotated %v", rotated)
	}
	secret := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "After Revocation", ShopID: north}))
	a.sync(t)
	laptop.sync(t)
	if _, err := lo.Customer(ctx, secret, ""); err != nil {
		t.Fatalf("the laptop did not get the rotated key: %v", err)
	}
	if _, err := shop.eng.SyncNow(ctx); err == nil {
		t.Fatal("a revoked device still syncs")
	}
	if _, v, _ := a.st.Replica().ScopeKey(ctx, north, 0); v < 2 {
		t.Fatal("the north key was not rotated")
	} else if _, _, err := shop.st.Replica().ScopeKey(ctx, north, v); err == nil {
		t.Fatal("the revoked device holds the rotated key")
	}
	if h.srv.Rejects(protocol.RejectRevoked) == 0 {
		t.Fatal("the hub did not count the revoked device")
	}
}
