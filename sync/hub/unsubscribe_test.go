package hub_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
)

// newToken makes a token as a shop device does: 32 random bytes, base64url without padding.
func newToken(t *testing.T) string {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	if !protocol.ValidUnsubscribeToken(tok) {
		t.Fatalf("a fresh token is not valid: %q", tok)
	}
	return tok
}

// public is what a recipient's mail client or browser does: HTTPS (trusting the hub's CA, as
// a reverse proxy with a public certificate would be trusted) with no client certificate,
// never following a redirect.
type public struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newPublic(t *testing.T, h *hubtest.Hub) public {
	c := rawClient(h, nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return public{t, "https://" + h.Addr, c}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (p public) do(method, path, contentType string, body []byte) answer {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

const formType = "application/x-www-form-urlencoded"

var oneClickForm = []byte("List-Unsubscribe=One-Click")

func multipartOneClick(t *testing.T) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// checkPage: every public answer is a self-contained HTML page that is never cached, loads
// nothing, sets no cookie and redirects nowhere.
func checkPage(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d (%q)", what, a.status, status, a.body)
	}
	h := a.header
	csp := h.Get("Content-Security-Policy")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Cache-Control") != "no-store" ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("%s: headers %v", what, h)
	}
	if h.Get("Set-Cookie") != "" || h.Get("Location") != "" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: cookie %q, location %q, referrer policy %q", what, h.Get("Set-Cookie"), h.Get("Location"), h.Get("Referrer-Policy"))
	}
	if strings.Contains(a.body, "http:") || strings.Contains(a.body, "https:") || strings.Contains(a.body, "src=") ||
		strings.Contains(a.body, "<script") || strings.Contains(a.body, "<link") {
		t.Errorf("%s: the page loads something: %s", what, a.body)
	}
	if !strings.Contains(a.body, `lang="zh-Hans"`) {
		t.Errorf("%s: no Chinese text: %s", what, a.body)
	}
}

func clicks(t *testing.T, d *hubtest.Device, scope string) []protocol.UnsubscribeClick {
	t.Helper()
	out, err := d.Client.Unsubscribes(context.Background(), scope, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return out.Clicks
}

// TestUnsubscribeOneClick, on both backends: the shop registers only the hash; a GET (what a
// mail scanner does) shows the page and unsubscribes nothing; the one-click POST without any
// client certificate records exactly one click, which the shop's device then lists; a
// replayed POST (form or multipart) adds nothing; unknown and malformed tokens and path
// tricks get the generic 404 and record nothing; a bad body is refused. Then the token is
// searched for in every byte the hub stored and logged.
func TestUnsubscribeOneClick(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			open, pgURL := b.newDB(t)
			// Many requests from one address: no rate limit here (TestUnsubscribeRateLimit).
			h := hubtest.StartHub(t, open, func(c *hub.Config) { c.UnsubscribeRate = -1 })
			owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
			shopA := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
			shopA2 := h.EnrollShop(t, owner, "shop1-office", "shop-1")
			shopB := h.EnrollShop(t, owner, "shop2-counter", "shop-2")
			p := newPublic(t, h)

			tok, tok2, unknown := newToken(t), newToken(t), newToken(t)
			if err := shopA.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok), protocol.UnsubscribeHash(tok2)}); err != nil {
				t.Fatal(err)
			}
			// Registering again (a resend) is fine.
			if err := shopA2.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok)}); err != nil {
				t.Fatal(err)
			}

			page := p.do(http.MethodGet, "/u/"+tok, "", nil)
			checkPage(t, "GET", page, http.StatusOK)
			if !strings.Contains(page.body, `<form method="post">`) || !strings.Contains(page.body, `name="List-Unsubscribe" value="One-Click"`) ||
				strings.Contains(page.body, tok) {
				t.Fatalf("the page: %s", page.body)
			}
			if a := p.do(http.MethodHead, "/u/"+tok, "", nil); a.status != http.StatusOK {
				t.Fatalf("HEAD: %d", a.status)
			}
			if got := clicks(t, shopA, "shop-1"); len(got) != 0 {
				t.Fatalf("a GET unsubscribed: %+v", got)
			}

			done := p.do(http.MethodPost, "/u/"+tok, formType, oneClickForm)
			checkPage(t, "POST", done, http.StatusOK)
			got := clicks(t, shopA2, "shop-1")
			if len(got) != 1 || got[0].Hash != protocol.UnsubscribeHash(tok) || got[0].At.IsZero() || got[0].Seq <= 0 {
				t.Fatalf("after the one-click POST, the shop's other device lists %+v", got)
			}
			// Replays: the same POST again, the multipart form RFC 8058 allows, the page's button.
			ct, mp := multipartOneClick(t)
			for i, body := range []struct {
				ct   string
				body []byte
			}{{formType, oneClickForm}, {ct, mp}, {formType + "; charset=utf-8", oneClickForm}} {
				checkPage(t, fmt.Sprintf("replay %d", i), p.do(http.MethodPost, "/u/"+tok, body.ct, body.body), http.StatusOK)
			}
			if again := clicks(t, shopA, "shop-1"); len(again) != 1 || again[0] != got[0] {
				t.Fatalf("replays changed the clicks: %+v", again)
			}
			// The second token by multipart: a second click, after the first.
			checkPage(t, "multipart", p.do(http.MethodPost, "/u/"+tok2, ct, mp), http.StatusOK)
			page2, err := shopA.Client.Unsubscribes(ctx, "shop-1", got[0].Seq, 10)
			if err != nil || len(page2.Clicks) != 1 || page2.Clicks[0].Hash != protocol.UnsubscribeHash(tok2) || page2.More {
				t.Fatalf("after the first seq: %+v %v", page2, err)
			}
			if p1, _ := shopA.Client.Unsubscribes(ctx, "shop-1", 0, 1); len(p1.Clicks) != 1 || !p1.More {
				t.Fatalf("limit 1: %+v, want one click and More", p1)
			}
			if other := clicks(t, shopB, "shop-2"); len(other) != 0 {
				t.Fatalf("shop-2 sees clicks: %+v", other)
			}
			// An owner device reads every scope.
			if all := clicks(t, owner, "shop-1"); len(all) != 2 {
				t.Fatalf("owner: %+v", all)
			}

			notFound := p.do(http.MethodGet, "/u/"+unknown, "", nil)
			checkPage(t, "unknown GET", notFound, http.StatusNotFound)
			for _, path := range []string{
				"/u/" + unknown,
				"/u/" + tok + "A",               // too long
				"/u/" + tok[:42],                // too short
				"/u/" + tok[:42] + "+",          // base64, not base64url
				"/u/" + tok[:42] + "=",          // padding
				"/u/" + tok[:41] + "%41" + "A",  // an escape, even of a letter
				"/u/" + tok + "/",               // a trailing slash
				"/u/../v1/devices",              // path tricks: never a redirect into the API
				"/u/%2e%2e/v1/devices",          //
				"/u/..%2fv1%2fdevices",          //
				"/u/" + tok[:40] + "/../" + "x", //
				"/u/", "/u", "/u/" + strings.Repeat("A", 4000),
			} {
				for _, m := range []string{http.MethodGet, http.MethodPost} {
					a := p.do(m, path, formType, oneClickForm)
					checkPage(t, m+" "+path, a, http.StatusNotFound)
					if a.body != notFound.body {
						t.Errorf("%s %s: not the generic page", m, path)
					}
				}
			}
			// Bodies that are not a one-click unsubscribe: refused, nothing recorded.
			tok3 := newToken(t)
			if err := shopA.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok3)}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []struct {
				ct   string
				body []byte
				want int
			}{
				{"", nil, http.StatusBadRequest},
				{formType, nil, http.StatusBadRequest},
				{formType, []byte("List-Unsubscribe=Yes"), http.StatusBadRequest},
				{formType, []byte("List-Unsubscribe=One-Click&List-Unsubscribe=One-Click"), http.StatusBadRequest},
				{"text/plain", oneClickForm, http.StatusBadRequest},
				{"application/json", []byte(`{"List-Unsubscribe":"One-Click"}`), http.StatusBadRequest},
				{"multipart/form-data", mp, http.StatusBadRequest}, // no boundary
				{formType, append(append([]byte{}, oneClickForm...), bytes.Repeat([]byte("&x=y"), 4000)...), http.StatusRequestEntityTooLarge},
			} {
				checkPage(t, fmt.Sprintf("bad body %q", bad.body), p.do(http.MethodPost, "/u/"+tok3, bad.ct, bad.body), bad.want)
			}
			if a := p.do(http.MethodPut, "/u/"+tok3, formType, oneClickForm); a.status != http.StatusMethodNotAllowed {
				t.Errorf("PUT: %d", a.status)
			}
			if n := len(clicks(t, shopA, "shop-1")); n != 2 {
				t.Fatalf("refused requests recorded clicks: %d, want 2", n)
			}

			metrics, err := owner.Client.Metrics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(metrics, `path="/u/{token}"`) || !strings.Contains(metrics, `spoke_hub_unsubscribes_total{kind="new"} 2`) ||
				!strings.Contains(metrics, `spoke_hub_unsubscribes_total{kind="repeat"} 3`) {
				t.Errorf("metrics:\n%s", metrics)
			}
			h.Server.Stop()

			// Nothing the hub kept or wrote holds a token, in any form; the logs hold no hash
			// either.
			var secrets [][]byte
			for _, tk := range []string{tok, tok2, tok3, unknown} {
				raw, _ := base64.RawURLEncoding.DecodeString(tk)
				secrets = append(secrets, []byte(tk), raw, []byte(fmt.Sprintf("%x", raw)), []byte(base64.StdEncoding.EncodeToString(raw)))
			}
			scan := func(where string, data []byte, alsoHashes bool) {
				t.Helper()
				for _, s := range secrets {
					if bytes.Contains(data, s) {
						t.Errorf("a token (%d bytes of it) found in %s", len(s), where)
					}
				}
				if alsoHashes {
					for _, tk := range []string{tok, tok2, tok3, unknown} {
						if bytes.Contains(data, []byte(protocol.UnsubscribeHash(tk))) {
							t.Errorf("a hash found in %s", where)
						}
					}
				}
			}
			logs := h.Logs.Bytes()
			scan("the logs", logs, true)
			scan("/metrics", []byte(metrics), true)
			if !bytes.Contains(logs, []byte(`"msg":"unsubscribe received"`)) || !bytes.Contains(logs, []byte(`"route":"/u/{token}"`)) {
				t.Fatal("the logs were not captured")
			}
			files := 0
			filepath.Walk(h.Dir.Path, func(path string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() {
					return err
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				files++
				scan(filepath.Base(path), data, false)
				return nil
			})
			if b.name == "sqlite" && files < 5 {
				t.Fatalf("scanned only %d files", files)
			}
			if pgURL != "" {
				conn, err := pgx.Connect(ctx, pgURL)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				rows := 0
				for _, table := range []string{"unsubscribe_hashes", "unsubscribe_clicks"} {
					r, err := conn.Query(ctx, fmt.Sprintf("SELECT t::text FROM %s t", table))
					if err != nil {
						t.Fatal(err)
					}
					for r.Next() {
						var row string
						if err := r.Scan(&row); err != nil {
							t.Fatal(err)
						}
						rows++
						scan("PostgreSQL table "+table, []byte(row), false)
					}
					r.Close()
				}
				if rows != 5 {
					t.Fatalf("scanned %d rows, want 3 hashes and 2 clicks", rows)
				}
			}
		})
	}
}

// rawPut sends a JSON body with d's client certificate, bypassing the client's own checks.
func rawPut(t *testing.T, h *hubtest.Hub, d *hubtest.Device, path string, v any) int {
	t.Helper()
	c := rawClient(h, func(c *tls.Config) { c.Certificates = []tls.Certificate{keyPair(t, d)} })
	b, _ := json.Marshal(v)
	req := mustRequest(t, http.MethodPut, "https://"+h.Addr+path, b)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUnsubscribeAccess: a shop's device can neither register hashes for another shop nor
// list its clicks, nor take over another shop's hash; over-long and malformed hash lists are
// refused with 400 and register nothing; a revoked device is refused; no client certificate,
// no device route.
func TestUnsubscribeAccess(t *testing.T) {
	ctx := context.Background()
	h := startSQLiteHub(t)
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shopA := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	shopB := h.EnrollShop(t, owner, "shop2-counter", "shop-2")
	tok := newToken(t)
	hash := protocol.UnsubscribeHash(tok)

	if err := shopB.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{hash}); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("shop B registers for shop A: %v, want ErrForbidden", err)
	}
	if err := shopA.Client.RegisterUnsubscribeTokens(ctx, protocol.OrgScope, []string{hash}); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("a shop registers for the org scope: %v, want ErrForbidden", err)
	}
	if err := shopA.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{hash}); err != nil {
		t.Fatal(err)
	}
	if err := shopB.Client.RegisterUnsubscribeTokens(ctx, "shop-2", []string{hash}); !errors.Is(err, hubclient.ErrReplay) {
		t.Fatalf("shop B takes over shop A's hash: %v, want a conflict", err)
	}
	if _, err := shopB.Client.Unsubscribes(ctx, "shop-1", 0, 10); !errors.Is(err, hubclient.ErrForbidden) {
		t.Fatalf("shop B lists shop A: %v, want ErrForbidden", err)
	}
	p := newPublic(t, h)
	checkPage(t, "click", p.do(http.MethodPost, "/u/"+tok, formType, oneClickForm), http.StatusOK)
	if got := clicks(t, shopA, "shop-1"); len(got) != 1 {
		t.Fatalf("shop A: %+v", got)
	}

	long := make([]string, protocol.MaxUnsubscribeHashes+1)
	for i := range long {
		long[i] = protocol.UnsubscribeHash(fmt.Sprint("t", i))
	}
	for name, req := range map[string]protocol.UnsubscribeTokensRequest{
		"1001 hashes":     {Scope: "shop-1", Hashes: long},
		"none":            {Scope: "shop-1"},
		"upper-case hex":  {Scope: "shop-1", Hashes: []string{strings.ToUpper(protocol.UnsubscribeHash("x"))}},
		"a token":         {Scope: "shop-1", Hashes: []string{newToken(t)}},
		"short":           {Scope: "shop-1", Hashes: []string{hash[:63]}},
		"one bad of many": {Scope: "shop-1", Hashes: append(append([]string{}, long[:10]...), "zz"+hash[2:])},
		"bad scope":       {Scope: "shop 1", Hashes: []string{long[0]}},
	} {
		if code := rawPut(t, h, shopA, protocol.PathUnsubscribeTokens, req); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if code := rawPut(t, h, shopA, protocol.PathUnsubscribeTokens, map[string]any{"scope": "shop-1", "hashes": []string{long[0]}, "tokens": []string{tok}}); code != http.StatusBadRequest {
		t.Errorf("an unknown field: %d, want 400", code)
	}
	if ok, _ := h.Storage.UnsubscribeRegistered(ctx, long[0]); ok {
		t.Fatal("a refused request registered a hash")
	}
	// The client refuses the same before sending.
	if err := shopA.Client.RegisterUnsubscribeTokens(ctx, "shop-1", long); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("client, 1001 hashes: %v", err)
	}
	if _, err := shopA.Client.Unsubscribes(ctx, "shop-1", 0, 5000); !errors.Is(err, hubclient.ErrRejected) {
		t.Fatalf("client, limit 5000: %v", err)
	}

	// No client certificate: the device routes answer 401.
	c := rawClient(h, nil)
	resp, err := c.Get("https://" + h.Addr + protocol.PathUnsubscribes + "?scope=shop-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("list without a certificate: %d", resp.StatusCode)
	}

	if _, err := owner.Client.Revoke(ctx, shopA.ID); err != nil {
		t.Fatal(err)
	}
	if err := shopA.Client.RegisterUnsubscribeTokens(ctx, "shop-1", long[:1]); !errors.Is(err, hubclient.ErrRevoked) {
		t.Fatalf("revoked device registers: %v", err)
	}
	if _, err := shopA.Client.Unsubscribes(ctx, "shop-1", 0, 10); !errors.Is(err, hubclient.ErrRevoked) {
		t.Fatalf("revoked device lists: %v", err)
	}
}

// TestUnsubscribeScopeBound: a scope holds at most the configured number of hashes; a
// request over it is 507 (ErrQuota) and registers none of its hashes.
func TestUnsubscribeScopeBound(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.MaxUnsubscribeHashes = 3 })
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	hs := []string{protocol.UnsubscribeHash("a"), protocol.UnsubscribeHash("b"), protocol.UnsubscribeHash("c"), protocol.UnsubscribeHash("d")}
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", hs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", hs[2:]); !errors.Is(err, hubclient.ErrQuota) {
		t.Fatalf("over the bound: %v, want ErrQuota", err)
	}
	if ok, _ := h.Storage.UnsubscribeRegistered(ctx, hs[2]); ok {
		t.Fatal("a refused request registered a hash")
	}
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", hs[1:3]); err != nil {
		t.Fatalf("up to the bound: %v", err)
	}
}

// TestUnsubscribePaging: a full page of 1000 clicks says More, the next page holds the rest; a
// request of 1000 hashes (the most) registers.
func TestUnsubscribePaging(t *testing.T) {
	ctx := context.Background()
	h := startSQLiteHub(t)
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	var hs []string
	for i := range protocol.MaxUnsubscribeHashes + 1 {
		hs = append(hs, protocol.UnsubscribeHash(fmt.Sprint("paging-", i)))
	}
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", hs[:protocol.MaxUnsubscribeHashes]); err != nil {
		t.Fatal(err)
	}
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", hs[protocol.MaxUnsubscribeHashes:]); err != nil {
		t.Fatal(err)
	}
	for _, x := range hs {
		if rec, err := h.Storage.RecordUnsubscribe(ctx, x, time.Now()); err != nil || !rec {
			t.Fatalf("record: %v %v", rec, err)
		}
	}
	first, err := shop.Client.Unsubscribes(ctx, "shop-1", 0, protocol.MaxUnsubscribesLimit)
	if err != nil || len(first.Clicks) != protocol.MaxUnsubscribesLimit || !first.More {
		t.Fatalf("first page: %d clicks, more %v, %v", len(first.Clicks), first.More, err)
	}
	rest, err := shop.Client.Unsubscribes(ctx, "shop-1", first.Clicks[len(first.Clicks)-1].Seq, 0)
	if err != nil || len(rest.Clicks) != 1 || rest.More || rest.Clicks[0].Hash != hs[len(hs)-1] {
		t.Fatalf("second page: %+v %v", rest, err)
	}
}

// TestUnsubscribeRateLimit: the public route is rate-limited per client address; a refusal
// is a 429 page with a Retry-After, and records nothing.
func TestUnsubscribeRateLimit(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.UnsubscribeRate, c.UnsubscribeBurst = 0.001, 3 })
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	tok := newToken(t)
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok)}); err != nil {
		t.Fatal(err)
	}
	p := newPublic(t, h)
	for range 3 {
		checkPage(t, "probe", p.do(http.MethodGet, "/u/"+newToken(t), "", nil), http.StatusNotFound)
	}
	a := p.do(http.MethodPost, "/u/"+tok, formType, oneClickForm)
	checkPage(t, "over the rate", a, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if got := clicks(t, shop, "shop-1"); len(got) != 0 {
		t.Fatalf("a refused POST recorded %+v", got)
	}
	// The devices' routes are not affected.
	if _, err := shop.Client.Unsubscribes(ctx, "shop-1", 0, 10); err != nil {
		t.Fatal(err)
	}
}

// TestUnsubscribePublicHandler: the plain-HTTP handler for a reverse proxy serves the public
// route and health, nothing of the device API, and keys its rate limit on the proxy's
// X-Forwarded-For.
func TestUnsubscribePublicHandler(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.UnsubscribeRate, c.UnsubscribeBurst = 0.001, 2 })
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	tok := newToken(t)
	if err := shop.Client.RegisterUnsubscribeTokens(ctx, "shop-1", []string{protocol.UnsubscribeHash(tok)}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.PublicHandler())
	defer srv.Close()
	do := func(method, path, xff string, body []byte) int {
		req := mustRequest(t, method, srv.URL+path, body)
		req.Header.Set("Content-Type", formType)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{protocol.PathDevices, protocol.PathUnsubscribes + "?scope=shop-1", protocol.PathMetrics, "/"} {
		if code := do(http.MethodGet, path, "192.0.2.1", nil); code != http.StatusNotFound {
			t.Errorf("GET %s on the public handler: %d, want 404", path, code)
		}
	}
	if code := do(http.MethodGet, protocol.PathHealth, "", nil); code != http.StatusOK {
		t.Errorf("health: %d", code)
	}
	// 192.0.2.9 uses its burst of two; 198.51.100.7, behind the same proxy, still gets in.
	do(http.MethodGet, "/u/"+tok, "10.0.0.1, 192.0.2.9", nil)
	do(http.MethodGet, "/u/"+tok, "192.0.2.9", nil)
	if code := do(http.MethodGet, "/u/"+tok, "192.0.2.9", nil); code != http.StatusTooManyRequests {
		t.Errorf("third request of one address: %d, want 429", code)
	}
	if code := do(http.MethodPost, "/u/"+tok, "198.51.100.7", oneClickForm); code != http.StatusOK {
		t.Fatalf("another address: %d", code)
	}
	if got := clicks(t, shop, "shop-1"); len(got) != 1 {
		t.Fatalf("clicks %+v", got)
	}
}
