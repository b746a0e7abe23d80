package hub_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"spoke/protocol"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
	"spoke/version"
)

// TestDeviceVersions: each device reports its own version (the hub records it with the time
// as its last sync), every enrolled device reads the list with the newest version seen, and
// nothing personal is in it.
func TestDeviceVersions(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			open, _ := b.newDB(t)
			h := hubtest.StartHub(t, open)
			ctx := context.Background()
			owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
			shop := h.EnrollShop(t, owner, "shop-counter", "shop-1")
			if _, err := owner.Client.ReportVersion(ctx, "0.12.0"); err != nil {
				t.Fatal(err)
			}
			got, err := shop.Client.ReportVersion(ctx, "0.11.3")
			if err != nil {
				t.Fatal(err)
			}
			if got.Newest != "0.12.0" || got.Hub != version.Version || len(got.Devices) != 2 {
				t.Fatalf("versions: %+v", got)
			}
			byID := map[string]protocol.DeviceVersion{}
			for _, d := range got.Devices {
				byID[d.ID] = d
			}
			if byID["shop-counter"].Version != "0.11.3" || byID["shop-counter"].LastSync.IsZero() || byID["owner-laptop"].Version != "0.12.0" {
				t.Fatalf("per device: %+v", byID)
			}
			// Any enrolled device reads the list, not only owners.
			if again, err := shop.Client.Versions(ctx); err != nil || again.Newest != "0.12.0" {
				t.Fatalf("shop reads the list: %+v %v", again, err)
			}
			raw, _ := json.Marshal(got)
			if bytes.Contains(raw, []byte("label")) {
				t.Errorf("the version list carries labels: %s", raw)
			}
		})
	}
}

// TestVersionReportRefusals plays a device that lies: it names another device in its report,
// or sends something that is not a version. Both are refused and counted, and neither device's
// record changes.
func TestVersionReportRefusals(t *testing.T) {
	h := startSQLiteHub(t)
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop-counter", "shop-1")
	if _, err := owner.Client.ReportVersion(ctx, "0.12.0"); err != nil {
		t.Fatal(err)
	}
	c := rawClient(h, func(c *tls.Config) { c.Certificates = []tls.Certificate{keyPair(t, shop)} })
	post := func(body string) (int, string) {
		resp, err := c.Post("https://"+h.Addr+protocol.PathVersion, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before := h.Server.Rejects(protocol.RejectDeviceMismatch)
	if code, body := post(`{"device":"owner-laptop","version":"0.1.0"}`); code != http.StatusForbidden || !strings.Contains(body, protocol.RejectDeviceMismatch) {
		t.Fatalf("another device's version: %d %s", code, body)
	}
	if h.Server.Rejects(protocol.RejectDeviceMismatch) != before+1 {
		t.Error("the refusal was not counted")
	}
	for _, bad := range []string{`{"version":"latest"}`, `{"version":""}`, `{"version":"0.12.0","extra":1}`,
		`{"version":"` + strings.Repeat("9", 80) + `.0.0"}`, `not json`} {
		if code, body := post(bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	// Its own id is fine.
	if code, body := post(`{"device":"shop-counter","version":"0.12.0"}`); code != http.StatusOK {
		t.Fatalf("own report: %d %s", code, body)
	}
	d, err := h.Storage.Device(ctx, "owner-laptop")
	if err != nil || d.Version != "0.12.0" {
		t.Fatalf("the owner's record changed: %+v %v", d, err)
	}
	// Without a certificate there is no report at all.
	if _, err := rawClient(h, nil).Post("https://"+h.Addr+protocol.PathVersion, "application/json", strings.NewReader(`{"version":"0.1.0"}`)); err == nil {
		if d, _ := h.Storage.Device(ctx, "owner-laptop"); d.Version != "0.12.0" {
			t.Fatal("an anonymous report changed a record")
		}
	}
	// A revoked device reports nothing more.
	if _, err := owner.Client.Revoke(ctx, "shop-counter"); err != nil {
		t.Fatal(err)
	}
	if _, err := shop.Client.ReportVersion(ctx, "0.13.0"); !errors.Is(err, hubclient.ErrRevoked) {
		t.Fatalf("revoked device's report: %v", err)
	}
}
