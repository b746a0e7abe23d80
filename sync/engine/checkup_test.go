package engine

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"spoke/compliance/checkup"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hub"
	"spoke/sync/hub/sqlite"
	"spoke/version"
)

// moveClock is one wall clock for the hub and every device of a test, which it moves forward.
type moveClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *moveClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *moveClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startHubAt is startHub with the hub's clock set to clk.
func startHubAt(t *testing.T, clk *moveClock) *testHub {
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
	cfg := hub.ConfigFromDir(d, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfg.Now = clk.Now
	srv, err := hub.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	h := &testHub{t: t, dir: d, storage: st, srv: srv, addr: addr}
	t.Cleanup(func() { srv.Stop(); st.Close() })
	return h
}

// TestCheckupThroughARealHub: a shop device running an older Spoke reports its version through
// a real hub; the owner's device gets the list at its next sync, and its check-up finds the
// update available on that device. When the shop device stays away longer than the silent days
// it is a finding; once it syncs again it is not.
func TestCheckupThroughARealHub(t *testing.T) {
	ctx := context.Background()
	clk := &moveClock{now: time.Now()}
	h := startHubAt(t, clk)
	opts := testOpts()
	opts.Now = clk.Now
	st, _, err := store.Create(ctx, t.TempDir(), store.CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner := must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
	north := must[[]store.Shop](t)(owner.Shops(ctx))[0].ID
	a := connect(t, st, h.ownerCode())
	a.sync(t)

	code := must[string](t)(AddDevice(ctx, owner, a.hc, north))
	c := must[protocol.EnrollCode](t)(protocol.DecodeEnrollCode(code))
	shopStore, _, err := store.CreateReplica(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shopStore.Close() })
	s := connect(t, shopStore, c)
	const old = "0.11.0"
	s.eng.SetVersion(old)
	s.sync(t)
	a.sync(t) // confirms the shop device into the roster
	if r := s.sync(t); r.Versions != 2 {
		t.Fatalf("the shop device's report: %d devices listed", r.Versions)
	}
	a.sync(t) // the owner device receives the list with the shop device's version

	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	shopID := shopStore.DeviceID()
	f := r.Finding("update_available:" + shopID)
	if f == nil {
		t.Fatalf("no update finding for the shop device: %+v", r.Findings)
	}
	if f.Args["version"] != old || f.Args["newest"] != version.Newest(version.Version, old) || f.Severity != checkup.Medium {
		t.Errorf("update finding: %+v", f)
	}
	if r.Finding("update_available:"+st.DeviceID()) != nil {
		t.Error("the owner's own, current device is listed as outdated")
	}
	if r.Finding("device_silent:"+shopID) != nil || r.Finding("device_unknown:"+shopID) != nil {
		t.Errorf("a device that just synced and is in the roster: %+v", r.Findings)
	}

	// Twenty days without the shop device (the limit is fourteen); the owner syncs.
	clk.Advance(20 * 24 * time.Hour)
	a.sync(t)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	silent := r.Finding("device_silent:" + shopID)
	if silent == nil {
		t.Fatalf("no silent-device finding: %+v", r.Findings)
	}
	if d, _ := strconv.Atoi(silent.Args["days"]); d != 20 || silent.Args["limit"] != "14" || silent.Args["role"] != "shop" {
		t.Errorf("silent finding: %+v", silent)
	}
	// Updated and back: neither finding any more.
	s.eng.SetVersion(version.Version)
	s.sync(t)
	a.sync(t)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if r.Finding("device_silent:"+shopID) != nil || r.Finding("update_available:"+shopID) != nil {
		t.Errorf("after the device synced with the current version: %+v", r.Findings)
	}
}
