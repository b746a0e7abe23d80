package hub_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// TestEndToEnd walks the life of a small chain on one hub: the owner's
// laptop enrolls with the init code, adds two shop devices, they push and
// pull, key envelopes reach a device that had not enrolled yet, audit
// checkpoints are kept, and revocation stops a device.
func TestEndToEnd(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			open, _ := b.newDB(t)
			h := hubtest.StartHub(t, open)
			testEndToEnd(t, h)
		})
	}
}

func testEndToEnd(t *testing.T, h *hubtest.Hub) {
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	if owner.Info.Role != protocol.RoleOwner || owner.Info.Status != protocol.StatusActive {
		t.Fatalf("owner enrolled as %+v", owner.Info)
	}

	// The owner asks for a shop code and leaves the shop key sealed under
	// the code's own secret, addressed to the token: the hub never sees the
	// secret and cannot open the envelope.
	code, tok, err := owner.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{"shop-1"}, Label: []byte("sealed label")})
	if err != nil {
		t.Fatal(err)
	}
	if code.Secret != nil || code.Addr != h.Dir.Config.Addr || code.CAFingerprint != h.Dir.CA.Fingerprint() {
		t.Fatalf("token code: %+v", code)
	}
	code.Secret = protocol.NewSecret()
	if err := owner.Client.PutEnvelopes(ctx, []protocol.EnvelopeInfo{
		{To: protocol.TokenRecipient(tok.TokenID), Scope: "shop-1", Version: 1, Sealed: []byte("shop-1 key sealed under the code secret")},
		{To: protocol.TokenRecipient(tok.TokenID), Scope: protocol.OrgScope, Version: 1, Sealed: []byte("org key sealed under the code secret")},
	}); err != nil {
		t.Fatal(err)
	}
	// Not a scope that device will read: refused, least privilege.
	if err := owner.Client.PutEnvelopes(ctx, []protocol.EnvelopeInfo{{To: protocol.TokenRecipient(tok.TokenID), Scope: "shop-2", Version: 1, Sealed: []byte("x")}}); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("envelope with another shop's scope: %v", err)
	}
	decoded, err := protocol.DecodeEnrollCode(code.Encode())
	if err != nil {
		t.Fatal(err)
	}
	shop1 := h.Enroll(t, decoded, "shop1-counter")
	if shop1.Info.Role != protocol.RoleShop || len(shop1.Info.Scopes) != 1 || string(shop1.Info.Label) != "sealed label" {
		t.Fatalf("shop device enrolled as %+v", shop1.Info)
	}
	envs, err := shop1.Client.Envelopes(ctx)
	if err != nil || len(envs) != 2 || envs[0].Scope != protocol.OrgScope || envs[1].Scope != "shop-1" {
		t.Fatalf("envelopes for the new device: %+v %v", envs, err)
	}
	// A code works once.
	if _, err := hubtest.EnrollDevice(decoded, "second-use"); !errors.Is(err, hubclient.ErrBadCode) {
		t.Fatalf("second use of a code: %v", err)
	}
	shop2 := h.EnrollShop(t, owner, "shop2-counter", "shop-2")

	push := func(d *hubtest.Device, scope string, seq uint64) protocol.PushResponse {
		t.Helper()
		r, err := d.Client.Push(ctx, d.MustSeal(t, scope, seq, "value"))
		if err != nil {
			t.Fatalf("%s push %s/%d: %v", d.ID, scope, seq, err)
		}
		return r
	}
	push(owner, protocol.OrgScope, 1)
	push(owner, "shop-1", 2)
	push(shop1, "shop-1", 1)
	push(shop2, "shop-2", 1)
	first := push(shop1, "shop-1", 2)
	// Idempotent: the same bytes again answer "duplicate" with the cursor.
	again, err := shop1.Client.Push(ctx, shop1.MustSeal(t, "shop-1", 3, "v"))
	if err != nil {
		t.Fatal(err)
	}
	sealed := shop1.MustSeal(t, "shop-1", 4, "v")
	r1, _ := shop1.Client.Push(ctx, sealed)
	r2, err := shop1.Client.Push(ctx, sealed)
	if err != nil || !r2.Duplicate || r2.Cursor != r1.Cursor || r1.Duplicate || first.Duplicate || again.Duplicate {
		t.Fatalf("duplicate push: %+v %+v %v", r1, r2, err)
	}

	pullAll := func(d *hubtest.Device) []string {
		t.Helper()
		var got []string
		var after int64
		for {
			p, err := d.Client.Pull(ctx, after, 2)
			if err != nil {
				t.Fatalf("%s pull: %v", d.ID, err)
			}
			for _, f := range p.Frames {
				h, err := hubParse(f.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, h)
			}
			if len(p.Frames) == 0 {
				return got
			}
			after = p.Next
		}
	}
	if got := strings.Join(pullAll(shop1), " "); got != "org/owner-laptop/1 shop-1/owner-laptop/2 shop-1/shop1-counter/1 shop-1/shop1-counter/2 shop-1/shop1-counter/3 shop-1/shop1-counter/4" {
		t.Errorf("shop 1 receives its shop and org-wide data only, got %s", got)
	}
	if got := strings.Join(pullAll(shop2), " "); got != "org/owner-laptop/1 shop-2/shop2-counter/1" {
		t.Errorf("shop 2 receives its shop and org-wide data only, got %s", got)
	}
	if got := len(pullAll(owner)); got != 7 {
		t.Errorf("the owner receives every shop: %d change-sets, want 7", got)
	}

	// Devices: every device sees the public keys it needs to verify.
	devs, err := shop2.Client.Devices(ctx)
	if err != nil || len(devs) != 3 {
		t.Fatalf("devices: %d %v", len(devs), err)
	}

	// Audit checkpoints: signed by the device, verified by the hub.
	cp := protocol.SignCheckpoint(shop1.ID, 10, []byte("chain head at 10"), shop1.Key)
	if err := shop1.Client.PutCheckpoint(ctx, cp); err != nil {
		t.Fatal(err)
	}
	if err := shop1.Client.PutCheckpoint(ctx, cp); err != nil {
		t.Fatalf("same checkpoint again: %v", err)
	}
	if err := shop1.Client.PutCheckpoint(ctx, protocol.SignCheckpoint(shop1.ID, 10, []byte("edited chain"), shop1.Key)); !errors.Is(err, hubclient.ErrReplay) {
		t.Fatalf("rewritten checkpoint: %v", err)
	}
	if err := shop1.Client.PutCheckpoint(ctx, protocol.SignCheckpoint(shop1.ID, 11, []byte("x"), shop2.Key)); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("checkpoint signed by another key: %v", err)
	}
	got, err := owner.Client.Checkpoints(ctx, shop1.ID, 0, 10)
	if err != nil || got.Latest == nil || got.Latest.Seq != 10 || len(got.Checkpoints) != 1 {
		t.Fatalf("owner reads shop checkpoints: %+v %v", got, err)
	}
	if _, err := shop2.Client.Checkpoints(ctx, shop1.ID, 0, 10); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop reads another device's checkpoints: %v", err)
	}

	// Owner-only calls.
	if _, _, err := shop1.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{"shop-1"}}); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop device creating a token: %v", err)
	}
	if _, err := shop1.Client.Revoke(ctx, shop2.ID); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop device revoking: %v", err)
	}
	if _, err := shop1.Client.Metrics(ctx); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop device reading metrics: %v", err)
	}

	// Revocation: refused from then on, for push and pull.
	info, err := owner.Client.Revoke(ctx, shop2.ID)
	if err != nil || info.Status != protocol.StatusRevoked {
		t.Fatalf("revoke: %+v %v", info, err)
	}
	if _, err := shop2.Client.Push(ctx, shop2.MustSeal(t, "shop-2", 2, "v")); !errors.Is(err, hubclient.ErrRevoked) {
		t.Fatalf("revoked device pushes: %v", err)
	}
	if _, err := shop2.Client.Pull(ctx, 0, 10); !errors.Is(err, hubclient.ErrRevoked) {
		t.Fatalf("revoked device pulls: %v", err)
	}
	if _, err := owner.Client.Revoke(ctx, owner.ID); err == nil || !strings.Contains(err.Error(), protocol.CodeLastOwner) {
		t.Fatalf("revoking the last owner: %v", err)
	}

	metrics, err := owner.Client.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"spoke_hub_changesets_stored_total 7\n",
		"spoke_hub_changesets_duplicate_total 1\n",
		`spoke_hub_devices{status="active"} 2` + "\n",
		`spoke_hub_devices{status="revoked"} 1` + "\n",
		`spoke_hub_rejects_total{reason="revoked"} 2` + "\n",
		`spoke_hub_requests_total{path="/v1/changesets",code="200"}`,
		`spoke_hub_requests_total{path="/v1/devices/{id}/revoke",code="200"} 1` + "\n",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	if err := owner.Client.Health(ctx); err != nil {
		t.Fatal(err)
	}
}

func hubParse(b []byte) (string, error) {
	h, err := wire.ParseHeader(b)
	if err != nil {
		return "", err
	}
	return h.Scope + "/" + h.Device + "/" + strconv.FormatUint(h.Seq, 10), nil
}

// TestInitDir checks the data directory: keys owner-only, the server
// certificate names the address, a second init refuses.
func TestInitDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	d, err := hub.InitDir(dir, "hub.example.org:8443", hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{hub.CAKeyFile, hub.ServerKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", f, fi.Mode().Perm(), err)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v", fi.Mode().Perm())
	}
	leaf := d.ServerCert.Leaf
	if leaf == nil || leaf.VerifyHostname("hub.example.org") != nil {
		t.Errorf("server certificate does not name the address")
	}
	if _, err := hub.InitDir(dir, "hub.example.org:8443", hub.StorageSQLite, time.Now()); !errors.Is(err, hub.ErrInitialized) {
		t.Errorf("second init: %v", err)
	}
	if _, err := hub.OpenDir(t.TempDir()); !errors.Is(err, hub.ErrNoHub) {
		t.Errorf("open empty dir: %v", err)
	}
	if _, err := hub.InitDir(t.TempDir(), "no-port", hub.StorageSQLite, time.Now()); err == nil {
		t.Error("an address without a port was accepted")
	}
	ip, err := hub.InitDir(filepath.Join(t.TempDir(), "h"), "127.0.0.1:8443", hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ip.ServerCert.Leaf.VerifyHostname("127.0.0.1") != nil {
		t.Error("server certificate lacks the IP SAN")
	}
}
