package hubtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// testDeviceVersions: a device's reported version and last sync round-trip through Device and
// Devices and through a second handle (another hub process); the last sync only moves forward,
// so an older report (a skewed second hub) changes nothing; an unknown device is ErrNotFound;
// a device added with a version keeps it.
func testDeviceVersions(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st, other := open(), open()
	if err := st.AddDevice(ctx, device("shop-dev", protocol.RoleShop, "shop-1")); err != nil {
		t.Fatal(err)
	}
	d, err := st.Device(ctx, "shop-dev")
	if err != nil || d.Version != "" || !d.LastSync.IsZero() {
		t.Fatalf("before any report: %+v %v", d, err)
	}
	at := t0.Add(time.Hour)
	for _, r := range []struct {
		v  string
		at time.Time
	}{{"0.11.0", t0}, {"0.12.0", at}, {"0.10.0", t0.Add(time.Minute)}} {
		if err := st.SetDeviceVersion(ctx, "shop-dev", r.v, r.at); err != nil {
			t.Fatalf("report %s: %v", r.v, err)
		}
	}
	for name, s := range map[string]hub.Storage{"same handle": st, "other handle": other} {
		d, err := s.Device(ctx, "shop-dev")
		if err != nil || d.Version != "0.12.0" || !d.LastSync.Equal(at) {
			t.Errorf("%s: %q at %v (%v), want 0.12.0 at %v: an older report must not win", name, d.Version, d.LastSync, err, at)
		}
		all, err := s.Devices(ctx)
		if err != nil || len(all) != 1 || all[0].Version != "0.12.0" || !all[0].LastSync.Equal(at) {
			t.Errorf("%s: Devices %+v %v", name, all, err)
		}
	}
	// The same time again is a report of its own (one round, two hubs): it is taken.
	if err := other.SetDeviceVersion(ctx, "shop-dev", "0.12.1", at); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Device(ctx, "shop-dev"); d.Version != "0.12.1" {
		t.Errorf("a report at the same time: %q", d.Version)
	}
	if err := st.SetDeviceVersion(ctx, "nope", "0.12.0", at); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("unknown device: %v, want ErrNotFound", err)
	}
	dev := device("owner-1", protocol.RoleOwner)
	dev.Version, dev.LastSync = "1.0.0-rc.1", at
	if err := st.AddDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if got, _ := other.Device(ctx, "owner-1"); !reflect.DeepEqual(got, dev) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, dev)
	}
	// Revoking keeps what the device last reported: the list still shows how old it was.
	if err := st.RevokeDevice(ctx, "shop-dev", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, _ := other.Device(ctx, "shop-dev"); d.Status != protocol.StatusRevoked || d.Version != "0.12.1" {
		t.Errorf("after revocation: %+v", d)
	}
}
