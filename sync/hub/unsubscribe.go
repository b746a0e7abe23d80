package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"spoke/protocol"
)

// One-click unsubscribe (RFC 8058), the hub's side. A shop device registers the SHA-256 of
// each opaque token it puts in a mail's List-Unsubscribe link (PUT /v1/unsubscribe-tokens);
// the recipient's mail client, or the recipient pressing the button of the page GET /u/TOKEN
// shows, POSTs to /u/TOKEN without any client certificate; the hub records the first click of
// the token's hash with the time, and the shop's devices list the clicks
// (GET /v1/unsubscribes) and turn each into a consent withdrawal.
//
// The hub keeps only hashes and times: never a token (it hashes the one in the path and
// forgets it), an address or a customer id. A GET never unsubscribes (mail scanners and
// link previews fetch links); no page sets a cookie, redirects, or loads anything; the
// route label in metrics and logs is the pattern, never the token; the client address
// only keys a rate limiter in memory and is never logged.

const (
	// routeUnsubscribe is the metrics' path label of the public route.
	routeUnsubscribe = protocol.PathUnsubscribe + "{token}"
	// maxUnsubscribeBody bounds a one-click POST body: "List-Unsubscribe=One-Click", as a
	// form or a small multipart message.
	maxUnsubscribeBody = 8 << 10
	// DefaultUnsubscribeRate and DefaultUnsubscribeBurst are each client address's token
	// bucket on the public /u/ route: 30 requests at once, then one a second.
	DefaultUnsubscribeRate  = 1.0
	DefaultUnsubscribeBurst = 30
	// maxClientLimiters bounds the per-address buckets held in memory.
	maxClientLimiters = 10_000
	// oneClickValue is what RFC 8058 puts in the POST body's List-Unsubscribe field.
	oneClickField, oneClickValue = "List-Unsubscribe", "One-Click"
)

// handlePutUnsubscribeTokens registers token hashes for a scope the device writes.
func (s *Server) handlePutUnsubscribeTokens(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.UnsubscribeTokensRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if !protocol.ValidID(req.Scope) {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "scope: a scope id")
		return
	}
	if len(req.Hashes) == 0 || len(req.Hashes) > protocol.MaxUnsubscribeHashes {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "hashes: 1 to 1000 per request")
		return
	}
	for _, h := range req.Hashes {
		if !protocol.ValidUnsubscribeHash(h) {
			s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed,
				"hashes: each the SHA-256 of a token in lower-case hex (64 characters); send hashes, never tokens")
			return
		}
	}
	if !d.CanWrite(req.Scope) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectScope, protocol.RejectScope, "this device may not register unsubscribe links for that scope")
		return
	}
	added, err := s.cfg.Storage.RegisterUnsubscribeHashes(r.Context(), req.Scope, req.Hashes, s.cfg.MaxUnsubscribeHashes, s.cfg.Now())
	switch {
	case errors.Is(err, ErrConflict):
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay,
			"a hash is already registered for another scope; derive tokens per shop; nothing was registered")
		return
	case errors.Is(err, ErrFull):
		s.log.Warn("unsubscribe hashes: scope full", "device", d.ID, "scope", req.Scope, "max", s.cfg.MaxUnsubscribeHashes)
		s.fail(w, r, http.StatusInsufficientStorage, protocol.RejectQuota, protocol.RejectQuota,
			"the scope already holds as many unsubscribe links as the hub keeps ("+strconv.FormatInt(s.cfg.MaxUnsubscribeHashes, 10)+
				"); ask the hub's operator; nothing was registered")
		return
	case err != nil:
		s.internal(w, r, "register unsubscribe hashes", err)
		return
	}
	s.log.Info("unsubscribe hashes registered", "device", d.ID, "scope", req.Scope, "count", len(req.Hashes), "new", added)
	w.WriteHeader(http.StatusNoContent)
}

// handleUnsubscribes lists a scope's clicks for a device that reads the scope.
func (s *Server) handleUnsubscribes(w http.ResponseWriter, r *http.Request, d Device) {
	q := r.URL.Query()
	scope := q.Get("scope")
	after, err1 := parseInt(q.Get("after"), 0)
	limit, err2 := parseInt(q.Get("limit"), defaultPullLimit)
	if !protocol.ValidID(scope) || err1 != nil || err2 != nil || after < 0 || limit < 1 || limit > protocol.MaxUnsubscribesLimit {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "scope: a scope id; after: a seq ≥ 0; limit: 1 to 1000")
		return
	}
	if !d.CanRead(scope) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectScope, protocol.RejectScope, "this device may not read that scope's unsubscribes")
		return
	}
	clicks, err := s.cfg.Storage.Unsubscribes(r.Context(), scope, after, int(limit)+1)
	if err != nil {
		s.internal(w, r, "read unsubscribes", err)
		return
	}
	out := protocol.UnsubscribesResponse{Clicks: []protocol.UnsubscribeClick{}}
	if len(clicks) > int(limit) {
		clicks, out.More = clicks[:limit], true
	}
	out.Clicks = append(out.Clicks, clicks...)
	writeJSON(w, http.StatusOK, out)
}

// serveUnsubscribe is the public route, GET and POST /u/{token}. It is called for every path
// under /u/ before the mux sees it: the mux would answer a path such as /u/../v1/devices
// with a redirect, and the public route never redirects. Whatever is not exactly
// /u/ and a well-formed token gets the generic not-found page.
func (s *Server) serveUnsubscribe(w http.ResponseWriter, r *http.Request, clientIP netip.Addr) {
	info(r).route = routeUnsubscribe
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writePage(w, http.StatusMethodNotAllowed, pageBadRequest)
		return
	}
	if wait := s.clientWait(clientIP, s.cfg.Now()); wait > 0 {
		s.metrics.reject(protocol.RejectRateLimited)
		info(r).reason = protocol.RejectRateLimited
		secs := max(int64(wait/time.Second)+1, 1)
		w.Header().Set("Retry-After", strconv.FormatInt(min(secs, int64(maxRetryAfter/time.Second)), 10))
		writePage(w, http.StatusTooManyRequests, pageTooMany)
		return
	}
	token, ok := strings.CutPrefix(r.URL.Path, protocol.PathUnsubscribe)
	// A token is plain base64url: a percent-escape in the path (RawPath set) is not one.
	if !ok || r.URL.RawPath != "" || !protocol.ValidUnsubscribeToken(token) {
		writePage(w, http.StatusNotFound, pageNotFound)
		return
	}
	hash := protocol.UnsubscribeHash(token)
	if r.Method != http.MethodPost {
		known, err := s.cfg.Storage.UnsubscribeRegistered(r.Context(), hash)
		if err != nil {
			s.log.Error("unsubscribe page: read hash", "err", err)
			writePage(w, http.StatusInternalServerError, pageError)
			return
		}
		if !known {
			writePage(w, http.StatusNotFound, pageNotFound)
			return
		}
		writePage(w, http.StatusOK, pageConfirm)
		return
	}
	if !s.oneClickBody(w, r) {
		return
	}
	recorded, err := s.cfg.Storage.RecordUnsubscribe(r.Context(), hash, s.cfg.Now().UTC().Truncate(time.Millisecond))
	switch {
	case errors.Is(err, ErrNotFound):
		writePage(w, http.StatusNotFound, pageNotFound)
		return
	case err != nil:
		s.log.Error("record unsubscribe", "err", err)
		writePage(w, http.StatusInternalServerError, pageError)
		return
	}
	s.metrics.unsubscribed(recorded)
	s.log.Info("unsubscribe received", "new", recorded)
	writePage(w, http.StatusOK, pageDone)
}

// oneClickBody reads a size-limited POST body and checks it says List-Unsubscribe=One-Click,
// as application/x-www-form-urlencoded (the page's own form, most mail providers) or
// multipart/form-data (RFC 8058 allows both); otherwise it answers 400 (413 when too large).
func (s *Server) oneClickBody(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUnsubscribeBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.metrics.reject(protocol.RejectTooLarge)
			info(r).reason = protocol.RejectTooLarge
			writePage(w, http.StatusRequestEntityTooLarge, pageBadRequest)
			return false
		}
		writePage(w, http.StatusBadRequest, pageBadRequest)
		return false
	}
	if oneClick(r.Header.Get("Content-Type"), body) {
		return true
	}
	s.metrics.reject(protocol.RejectMalformed)
	info(r).reason = protocol.RejectMalformed
	writePage(w, http.StatusBadRequest, pageBadRequest)
	return false
}

// oneClick reports whether a POST body of the given content type carries exactly one
// List-Unsubscribe field, and that it is One-Click.
func oneClick(contentType string, body []byte) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	var vals []string
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return false
		}
		vals = form[oneClickField]
	case "multipart/form-data":
		if params["boundary"] == "" {
			return false
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return false
			}
			if p.FormName() == oneClickField {
				v, err := io.ReadAll(io.LimitReader(p, 64))
				if err != nil {
					return false
				}
				vals = append(vals, string(v))
			}
		}
	default:
		return false
	}
	return len(vals) == 1 && strings.TrimSpace(vals[0]) == oneClickValue
}

// clientAddr is the request's client address for the rate limiter: the TCP peer, IPv6
// addresses grouped by /64 (one subscriber's network). With trustForwarded (the public
// listener, behind a reverse proxy on the same machine) a loopback peer's last
// X-Forwarded-For entry is taken instead: the one the proxy added.
func clientAddr(r *http.Request, trustForwarded bool) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr().Unmap()
	}
	if trustForwarded && (!a.IsValid() || a.IsLoopback()) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if f, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				a = f.Unmap()
			}
		}
	}
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			a = p.Addr()
		}
	}
	return a
}

// clientLimits holds the per-address buckets of the public route.
type clientLimits struct {
	mu sync.Mutex
	m  map[netip.Addr]*rate.Limiter
}

// clientWait takes one request from the address's bucket at now, or returns how long it
// must wait (and takes nothing). When more addresses are held than maxClientLimiters, full
// buckets (addresses idle long enough to have their whole burst back) are dropped first,
// and if that is not enough, all of them: a flood from many addresses costs bounded memory,
// and at worst resets the limits.
func (s *Server) clientWait(a netip.Addr, now time.Time) time.Duration {
	if s.cfg.UnsubscribeRate < 0 {
		return 0
	}
	c := &s.clients
	c.mu.Lock()
	l, ok := c.m[a]
	if !ok {
		if len(c.m) >= maxClientLimiters {
			for k, v := range c.m {
				if v.TokensAt(now) >= float64(s.cfg.UnsubscribeBurst) {
					delete(c.m, k)
				}
			}
			if len(c.m) >= maxClientLimiters {
				clear(c.m)
			}
		}
		l = rate.NewLimiter(rate.Limit(s.cfg.UnsubscribeRate), s.cfg.UnsubscribeBurst)
		c.m[a] = l
	}
	c.mu.Unlock()
	res := l.ReserveN(now, 1)
	if !res.OK() {
		return maxRetryAfter
	}
	d := res.DelayFrom(now)
	if d > 0 {
		res.CancelAt(now)
	}
	return d
}

// PublicHandler serves only the public unsubscribe route (and /healthz), in plain HTTP, for
// a separate listener that a reverse proxy with a publicly trusted certificate forwards
// /u/ to (spoke-hub serve --public-addr, loopback only). The proxy's X-Forwarded-For is
// trusted for the rate limit, since only a local peer can reach the listener.
func (s *Server) PublicHandler() http.Handler {
	return s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUnsubscribePath(r.URL.Path) {
			s.serveUnsubscribe(w, r, clientAddr(r, true))
			return
		}
		if r.URL.Path == protocol.PathHealth && r.Method == http.MethodGet {
			info(r).route = protocol.PathHealth
			s.handleHealth(w, r)
			return
		}
		writePage(w, http.StatusNotFound, pageNotFound)
	}))
}

// isUnsubscribePath reports whether a path belongs to the public route: /u and all under /u/.
func isUnsubscribePath(p string) bool {
	return p == strings.TrimSuffix(protocol.PathUnsubscribe, "/") || strings.HasPrefix(p, protocol.PathUnsubscribe)
}

// ---- the pages ----

// pageStyle is the pages' only style sheet, inline and allowed by its hash in the CSP.
const pageStyle = `body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;max-width:34em;margin:3em auto;padding:0 1em;line-height:1.5;color:#222;background:#fff}` +
	`h1{font-size:1.4em}p.zh{color:#333}button{font-size:1.1em;padding:.6em 1.4em;border:0;border-radius:.3em;background:#1d4ed8;color:#fff;cursor:pointer}`

var (
	pageCSP = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

	pageConfirm = page("Unsubscribe · 退订", "Unsubscribe from these e-mails? · 退订这些邮件？",
		"Press the button to stop receiving these e-mails from the shop. Nothing else changes.",
		"按下按钮，即不再接收该店铺的此类邮件。其他设置不变。",
		`<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe · 退订</button></form>`)
	pageDone = page("Unsubscribed · 已退订", "You are unsubscribed · 您已退订",
		"The shop will send you no more of these e-mails. It may take until the shop's next sync to take effect.",
		"该店铺将不再向您发送此类邮件。可能要到店铺下次同步后才生效。", "")
	pageNotFound = page("Not found · 未找到", "Link not found · 链接无效",
		"This unsubscribe link is unknown or no longer valid. To stop the e-mails, reply to one of them or contact the shop.",
		"此退订链接无效或已失效。如需停止接收邮件，请回复其中一封邮件或联系店铺。", "")
	pageBadRequest = page("Not processed · 未处理", "The request was not processed · 请求未处理",
		"Open the unsubscribe link from the e-mail again and press the button.",
		"请重新打开邮件中的退订链接，然后按下按钮。", "")
	pageTooMany = page("Too many requests · 请求过多", "Too many requests · 请求过多",
		"Please wait a minute and try again.", "请稍候一分钟再试。", "")
	pageError = page("Try again later · 请稍后再试", "Something went wrong · 出现问题",
		"Nothing was changed. Please try again later.", "未作任何更改。请稍后再试。", "")
)

func styleHash() string {
	h := sha256.Sum256([]byte(pageStyle))
	return base64.StdEncoding.EncodeToString(h[:])
}

// page builds a static page: nothing in it comes from the request.
func page(title, heading, en, zh, form string) []byte {
	return []byte(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
		`<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><title>` + title + `</title><style>` + pageStyle + `</style></head>` +
		`<body><h1>` + heading + `</h1><p>` + en + `</p><p class="zh" lang="zh-Hans">` + zh + `</p>` + form + `</body></html>` + "\n")
}

// writePage answers with a static page, uncacheable, under a CSP that allows its inline
// style and a form posting to the same origin and nothing else.
func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
