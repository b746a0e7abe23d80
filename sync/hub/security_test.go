package hub_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
)

// rawClient is an HTTPS client with full control over TLS, for the
// transport refusals the hub client would never attempt.
func rawClient(h *hubtest.Hub, mod func(*tls.Config)) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(h.Dir.CA.Cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if mod != nil {
		mod(cfg)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func keyPair(t *testing.T, d *hubtest.Device) tls.Certificate {
	c, err := tls.X509KeyPair(d.Identity.CertPEM, d.Identity.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitRejects polls the counter: handshake failures are counted by the
// server's goroutine after the client has already seen its error.
func waitRejects(t *testing.T, h *hubtest.Hub, reason string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.Server.Rejects(reason) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.Server.Rejects(reason); got != want {
		t.Fatalf("rejects{reason=%q} = %d, want %d", reason, got, want)
	}
}

// TestTransportRefusals: TLS 1.2, plain HTTP, no client certificate and a
// certificate from another CA are all refused and counted; TLS 1.3 uses the
// hybrid post-quantum key exchange.
func TestTransportRefusals(t *testing.T) {
	h := startSQLiteHub(t)
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	base := "https://" + h.Addr

	t.Run("TLS1.2 refused", func(t *testing.T) {
		before := h.Server.Rejects(protocol.RejectTLS)
		c := rawClient(h, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.Certificates = []tls.Certificate{keyPair(t, owner)}
		})
		resp, err := c.Get(base + protocol.PathHealth)
		if err == nil {
			resp.Body.Close()
			t.Fatal("a TLS 1.2 client was served")
		}
		waitRejects(t, h, protocol.RejectTLS, before+1)
	})

	t.Run("plain HTTP refused", func(t *testing.T) {
		before := h.Server.Rejects(protocol.RejectTLS)
		for _, path := range []string{protocol.PathHealth, protocol.PathChangeSets} {
			resp, err := http.Get("http://" + h.Addr + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || bytes.Contains(body, []byte("ok")) {
					t.Fatalf("plain HTTP %s: %d %q", path, resp.StatusCode, body)
				}
			}
		}
		waitRejects(t, h, protocol.RejectTLS, before+2)
	})

	t.Run("no client certificate", func(t *testing.T) {
		before := h.Server.Rejects(protocol.RejectNoCertificate)
		c := rawClient(h, nil)
		resp, err := c.Get(base + protocol.PathHealth)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("health without certificate: %d", resp.StatusCode)
		}
		sealed := owner.MustSeal(t, "shop-1", 1, "x")
		for _, req := range []*http.Request{
			mustRequest(t, http.MethodPost, base+protocol.PathChangeSets, sealed),
			mustRequest(t, http.MethodGet, base+protocol.PathChangeSets+"?after=0", nil),
			mustRequest(t, http.MethodGet, base+protocol.PathDevices, nil),
			mustRequest(t, http.MethodGet, base+protocol.PathMetrics, nil),
		} {
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s without certificate: %d, want 401", req.Method, req.URL.Path, resp.StatusCode)
			}
		}
		if got := h.Server.Rejects(protocol.RejectNoCertificate); got != before+4 {
			t.Errorf("no_certificate rejects %d, want %d", got, before+4)
		}
	})

	t.Run("certificate from another CA", func(t *testing.T) {
		before := h.Server.Rejects(protocol.RejectTLS)
		other, err := hub.NewCA(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cert := issue(t, other, owner.ID)
		// GetClientCertificate, not Certificates: given a list, Go's client
		// sends nothing when no certificate matches the server's CA list,
		// and that would test the no-certificate case again.
		c := rawClient(h, func(c *tls.Config) {
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		})
		resp, err := c.Get(base + protocol.PathChangeSets)
		if err == nil {
			resp.Body.Close()
			t.Fatal("a certificate from another CA was accepted")
		}
		waitRejects(t, h, protocol.RejectTLS, before+1)
	})

	t.Run("TLS1.3 with X25519MLKEM768", func(t *testing.T) {
		conn, err := tls.Dial("tcp", h.Addr, &tls.Config{RootCAs: poolOf(h), ServerName: "127.0.0.1", Certificates: []tls.Certificate{keyPair(t, owner)}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		st := conn.ConnectionState()
		if st.Version != tls.VersionTLS13 || st.CurveID != tls.X25519MLKEM768 {
			t.Fatalf("negotiated %x with %v, want TLS 1.3 with X25519MLKEM768", st.Version, st.CurveID)
		}
	})
}

func poolOf(h *hubtest.Hub) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(h.Dir.CA.Cert)
	return p
}

func mustRequest(t *testing.T, method, url string, body []byte) *http.Request {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// issue makes a client certificate for id signed by ca, as if enrolled.
func issue(t *testing.T, ca *hub.CA, id string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}, key)
	if err != nil {
		t.Fatal(err)
	}
	der, _, err := ca.IssueClient(csr, id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	c, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientWith returns a hub client for an identity with another certificate.
func clientWith(t *testing.T, h *hubtest.Hub, cert tls.Certificate) *hubclient.Client {
	t.Helper()
	key, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	c, err := hubclient.New(hubclient.Identity{Addr: h.Addr,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
		CAPEM:   h.Dir.CA.CertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestChangeSetRefusals is the security table: every forged, altered,
// replayed or misdirected change-set is refused with the right error and
// counted under the right reason in /metrics, and nothing of it is stored.
func TestChangeSetRefusals(t *testing.T) {
	h := hubtest.StartHub(t, func(dir string) hub.Storage { open, _ := sqliteBackend().newDB(t); return open(dir) },
		func(c *hub.Config) { c.MaxChangeSet = 64 << 10 })
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop1 := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	shop2 := h.EnrollShop(t, owner, "shop2-counter", "shop-2")
	revoked := h.EnrollShop(t, owner, "stolen-tablet", "shop-1")
	if _, err := owner.Client.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := shop1.Client.Push(ctx, shop1.MustSeal(t, "shop-1", 1, "original")); err != nil {
		t.Fatal(err)
	}
	ghost := clientWith(t, h, issue(t, h.Dir.CA, "ghost-device")) // CA-signed, never enrolled
	_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)

	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		if i < 0 {
			i += len(c)
		}
		c[i] ^= 0x01
		return c
	}
	good := shop1.MustSeal(t, "shop-1", 2, "fine")
	seal := func(id string, key ed25519.PrivateKey, scope string, seq uint64) []byte {
		b, err := hubtest.SealAs(id, key, scope, seq, "v")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		client *hubclient.Client
		body   []byte
		reason string
		want   error
	}{
		{"flipped byte in the ciphertext", shop1.Client, flip(good, len(good)/2+20), protocol.RejectBadSignature, hubclient.ErrRejected},
		{"flipped byte in the signature", shop1.Client, flip(good, -1), protocol.RejectBadSignature, hubclient.ErrRejected},
		{"flipped byte in the key version", shop1.Client, flip(good, 6+2+3+2+len(shop1.ID)+8+3), protocol.RejectBadSignature, hubclient.ErrRejected},
		{"flipped byte in the sequence number", shop1.Client, flip(good, 6+2+3+2+len(shop1.ID)+7), protocol.RejectBadSignature, hubclient.ErrRejected},
		{"replayed sequence number with other bytes", shop1.Client, shop1.MustSeal(t, "shop-1", 1, "forged"), protocol.RejectReplay, hubclient.ErrReplay},
		{"signed by an unknown key", shop1.Client, seal(shop1.ID, strangerKey, "shop-1", 3), protocol.RejectBadSignature, hubclient.ErrRejected},
		{"from a CA-signed certificate of an unknown device", ghost, seal("ghost-device", strangerKey, "shop-1", 1), protocol.RejectUnknownDevice, hubclient.ErrNotEnrolled},
		{"from a revoked device", revoked.Client, revoked.MustSeal(t, "shop-1", 1, "v"), protocol.RejectRevoked, hubclient.ErrRevoked},
		{"claiming another device's id", shop1.Client, shop2.MustSeal(t, "shop-2", 1, "v"), protocol.RejectDeviceMismatch, hubclient.ErrForbidden},
		{"claiming another device's id, signed by itself", shop1.Client, seal(shop2.ID, shop1.Key, "shop-1", 1), protocol.RejectDeviceMismatch, hubclient.ErrForbidden},
		{"for another shop's scope", shop1.Client, shop1.MustSeal(t, "shop-2", 3, "v"), protocol.RejectScope, hubclient.ErrForbidden},
		{"for the org scope from a shop", shop1.Client, shop1.MustSeal(t, protocol.OrgScope, 3, "v"), protocol.RejectScope, hubclient.ErrForbidden},
		{"not a change-set", shop1.Client, []byte("hello, hub"), protocol.RejectMalformed, hubclient.ErrRejected},
		{"truncated", shop1.Client, good[:40], protocol.RejectMalformed, hubclient.ErrRejected},
		{"too large", shop1.Client, make([]byte, 64<<10+1), protocol.RejectTooLarge, hubclient.ErrRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := scrapeRejects(t, owner)
			_, err := tc.client.Push(ctx, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("push: %v, want %v", err, tc.want)
			}
			var ae *hubclient.APIError
			if !errors.As(err, &ae) || ae.Code == "" {
				t.Fatalf("no API error code: %v", err)
			}
			after := scrapeRejects(t, owner)
			for reason, n := range after {
				want := before[reason]
				if reason == tc.reason {
					want++
				}
				if n != want {
					t.Errorf("rejects{reason=%q} went from %d to %d", reason, before[reason], n)
				}
			}
		})
	}
	// Nothing refused was stored: shop 1's one good push is all there is.
	sets, err := h.Storage.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: 100})
	if err != nil || len(sets) != 1 {
		t.Fatalf("stored %d change-sets after the refusals, want 1 (%v)", len(sets), err)
	}
	// The revoked device cannot pull either; the ghost cannot pull.
	if _, err := revoked.Client.Pull(ctx, 0, 10); !errors.Is(err, hubclient.ErrRevoked) {
		t.Errorf("revoked pull: %v", err)
	}
	if _, err := ghost.Pull(ctx, 0, 10); !errors.Is(err, hubclient.ErrNotEnrolled) {
		t.Errorf("ghost pull: %v", err)
	}
	// And the good one still goes through afterwards.
	if r, err := shop1.Client.Push(ctx, good); err != nil || r.Duplicate {
		t.Fatalf("good push after refusals: %+v %v", r, err)
	}
}

// TestEnrollRefusals: bad tokens are refused and counted, and nothing is
// enrolled by them.
func TestEnrollRefusals(t *testing.T) {
	h := startSQLiteHub(t)
	ctx := context.Background()
	code := h.OwnerCode(t)
	wrong := code
	wrong.TokenSecret = bytes.Repeat([]byte{7}, protocol.TokenSecretSize)
	if _, err := hubtest.EnrollDevice(wrong, "intruder"); !errors.Is(err, hubclient.ErrBadCode) {
		t.Fatalf("wrong secret: %v", err)
	}
	expired, _, err := hub.IssueToken(ctx, h.Storage, h.Dir.CA, h.Dir.Config.Addr, protocol.RoleOwner, nil, nil, "", time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hubtest.EnrollDevice(expired, "late"); !errors.Is(err, hubclient.ErrBadCode) {
		t.Fatalf("expired: %v", err)
	}
	if got := h.Server.Rejects(protocol.RejectBadToken); got != 2 {
		t.Errorf("bad_token rejects %d, want 2", got)
	}
	// A code whose fingerprint is not this hub's CA: the client refuses the
	// server before sending the token.
	other, _ := hub.NewCA(time.Now())
	pinned := code
	pinned.CAFingerprint = other.Fingerprint()
	if _, err := hubtest.EnrollDevice(pinned, "pinned"); !errors.Is(err, hubclient.ErrWrongHub) {
		t.Fatalf("wrong pin: %v", err)
	}
	if devs, _ := h.Storage.Devices(ctx); len(devs) != 0 {
		t.Fatalf("%d devices enrolled by refused codes", len(devs))
	}
	// The genuine code still works after all that.
	h.Enroll(t, code, "owner-laptop")
}

// TestUnreachable: a hub that is not there gives ErrUnreachable with the
// address in a message a person can act on.
func TestUnreachable(t *testing.T) {
	h := startSQLiteHub(t)
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	h.Server.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := owner.Client.Pull(ctx, 0, 10)
	if !errors.Is(err, hubclient.ErrUnreachable) {
		t.Fatalf("stopped hub: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "the hub at "+h.Addr+" is unreachable: ") {
		t.Fatalf("message: %s", err)
	}
}
