package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
)

func testEnv(out, errOut *bytes.Buffer, vars map[string]string) env {
	return env{stdout: out, stderr: errOut, getenv: func(k string) string { return vars[k] }}
}

// codeLine finds the enrollment code: a line that is nothing but the token.
var codeLine = regexp.MustCompile(`(?m)^(spoke1_[A-Za-z0-9_-]+)$`)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestInitServeEnroll is the README's two set-up commands end to end: init
// prints the owner's code on a line of its own, serve serves it, the owner's
// device enrolls and pushes, and SIGINT (a cancelled context) shuts the hub
// down gracefully.
func TestInitServeEnroll(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars func(t *testing.T) map[string]string
	}{
		{"sqlite", func(*testing.T) map[string]string { return nil }},
		{"postgres", func(t *testing.T) map[string]string { return map[string]string{postgresEnv: hubtest.PostgresURL(t)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := tc.vars(t)
			data := filepath.Join(t.TempDir(), "hub")
			addr := freeAddr(t)
			var out, errOut bytes.Buffer
			if rc := run(context.Background(), []string{"init", "--data", data, "--addr", addr}, testEnv(&out, &errOut, vars)); rc != 0 {
				t.Fatalf("init: %d %s", rc, errOut.String())
			}
			m := codeLine.FindAllStringSubmatch(out.String(), -1)
			if len(m) != 1 {
				t.Fatalf("init must print exactly one code on a line of its own:\n%s", out.String())
			}
			code, err := protocol.DecodeEnrollCode(m[0][1])
			if err != nil || code.Addr != addr {
				t.Fatalf("printed code: %+v %v", code, err)
			}
			if rc := run(context.Background(), []string{"init", "--data", data, "--addr", addr}, testEnv(&out, &errOut, vars)); rc != 1 {
				t.Fatalf("second init: exit %d", rc)
			}

			ctx, cancel := context.WithCancel(context.Background())
			ready := make(chan string, 1)
			done := make(chan int, 1)
			var serveOut, serveErr bytes.Buffer
			e := testEnv(&serveOut, &serveErr, vars)
			e.ready = func(a string) { ready <- a }
			pubAddr := freeAddr(t)
			go func() {
				done <- run(ctx, []string{"serve", "--data", data, "--addr", addr, "--public-addr", pubAddr}, e)
			}()
			select {
			case <-ready:
			case rc := <-done:
				t.Fatalf("serve exited %d: %s", rc, serveErr.String())
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not start")
			}
			pub, priv, _ := ed25519.GenerateKey(rand.Reader)
			enr, err := hubclient.Enroll(ctx, code, hubclient.EnrollOptions{DeviceID: "owner-laptop", SigningKey: pub, HPKEKey: []byte("hpke")})
			if err != nil {
				t.Fatal(err)
			}
			c, err := hubclient.New(enr.Identity)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sealed, err := hubtest.SealAs("owner-laptop", priv, protocol.OrgScope, 1, "hello")
			if err != nil {
				t.Fatal(err)
			}
			if r, err := c.Push(ctx, sealed); err != nil || r.Cursor < 1 {
				t.Fatalf("push: %+v %v", r, err)
			}
			// The public unsubscribe route on its plain-HTTP loopback listener (behind a
			// reverse proxy in production) records a click the device then lists.
			tok := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
			if err := c.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok)}); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post("http://"+pubAddr+protocol.PathUnsubscribe+tok, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if u, err := c.Unsubscribes(ctx, "shop-1", 0, 10); resp.StatusCode != http.StatusOK || err != nil || len(u.Clicks) != 1 {
				t.Fatalf("one-click through --public-addr: %d, %+v %v", resp.StatusCode, u, err)
			}
			// owner-code while serving mints another working owner code.
			var oc bytes.Buffer
			if rc := run(context.Background(), []string{"owner-code", "--data", data}, testEnv(&oc, &errOut, vars)); rc != 0 {
				t.Fatalf("owner-code: %d %s", rc, errOut.String())
			}
			m = codeLine.FindAllStringSubmatch(oc.String(), -1)
			if len(m) != 1 {
				t.Fatalf("owner-code output:\n%s", oc.String())
			}
			second, _ := protocol.DecodeEnrollCode(m[0][1])
			if _, err := hubtest.EnrollDevice(second, "owner-desktop"); err != nil {
				t.Fatal(err)
			}

			cancel()
			select {
			case rc := <-done:
				if rc != 0 {
					t.Fatalf("serve exit %d: %s", rc, serveErr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop")
			}
			if !strings.Contains(serveErr.String(), `"msg":"hub stopped"`) {
				t.Errorf("no graceful stop in the log:\n%s", serveErr.String())
			}
			if _, err := c.Pull(context.Background(), 0, 10); !errors.Is(err, hubclient.ErrUnreachable) {
				t.Errorf("after shutdown: %v", err)
			}
		})
	}
}

// TestStorageMismatch: a hub initialised on PostgreSQL refuses to serve from
// an empty SQLite file, and the other way round.
func TestStorageMismatch(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hub")
	var out, errOut bytes.Buffer
	if rc := run(context.Background(), []string{"init", "--data", data, "--addr", "127.0.0.1:1"}, testEnv(&out, &errOut, nil)); rc != 0 {
		t.Fatal(errOut.String())
	}
	errOut.Reset()
	rc := run(context.Background(), []string{"serve", "--data", data, "--postgres", "postgres://127.0.0.1:1/x"}, testEnv(&out, &errOut, nil))
	if rc != 1 || !strings.Contains(errOut.String(), "SQLite") {
		t.Fatalf("serve with --postgres on a SQLite hub: %d %s", rc, errOut.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if rc := run(context.Background(), nil, testEnv(&out, &errOut, nil)); rc != 0 || !strings.Contains(out.String(), "spoke-hub init") {
		t.Fatalf("help: %d %s", rc, out.String())
	}
	if rc := run(context.Background(), []string{"init"}, testEnv(&out, &errOut, nil)); rc != 2 {
		t.Fatalf("init without flags: %d", rc)
	}
	if rc := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--metrics-addr", "0.0.0.0:9464"}, testEnv(&out, &errOut, nil)); rc != 2 {
		t.Fatal("serve accepted a non-loopback metrics address")
	}
	if rc := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--public-addr", "0.0.0.0:8080"}, testEnv(&out, &errOut, nil)); rc != 2 {
		t.Fatal("serve accepted a non-loopback public address")
	}
	if rc := run(context.Background(), []string{"bogus"}, testEnv(&out, &errOut, nil)); rc != 2 {
		t.Fatalf("unknown command: %d", rc)
	}
}
