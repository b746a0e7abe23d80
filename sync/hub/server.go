package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"spoke/protocol"
	"spoke/sync/wire"
	"spoke/version"
)

// Defaults for Config fields left zero.
const (
	// DefaultMaxChangeSet is sync/wire's own limit on a sealed set: the hub
	// must never refuse a set a spoke could legitimately produce, or that
	// spoke's outbox would be stuck behind it for good.
	DefaultMaxChangeSet = 32 << 20
	maxJSONBody         = 1 << 20
	defaultPullLimit    = 200
	touchEvery          = time.Minute
	shutdownTimeout     = 10 * time.Second
)

// Config is what a Server needs.
type Config struct {
	Storage Storage
	// CA signs client certificates at enrollment and is the only authority
	// trusted for client certificates.
	CA *CA
	// ServerCert is the hub's TLS certificate (with the CA in its chain).
	ServerCert tls.Certificate
	// Addr is the public host:port put in enrollment codes.
	Addr string
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// MaxChangeSet caps a pushed body; DefaultMaxChangeSet when zero.
	MaxChangeSet int64
	// MaxPullBytes is the byte budget of a pull page; DefaultMaxPullBytes
	// when zero.
	MaxPullBytes int64
	// PushRate is how many change-sets a second each device may push
	// after a burst of PushBurst; DefaultPushRate and DefaultPushBurst when
	// zero, no limit when negative.
	PushRate  float64
	PushBurst int
	// DeviceQuota is how many bytes of change-sets the hub keeps per
	// device; DefaultDeviceQuota when zero, no limit when negative.
	DeviceQuota int64
	// MaxStagedSnapshot bounds the bytes of uncommitted snapshot parts one
	// owner device may have at the hub (an upload in progress); when zero,
	// wire.MaxSnapshotParts parts of MaxChangeSet each (one snapshot of
	// the largest size there can be), no limit when negative.
	MaxStagedSnapshot int64
	// MaxUnsubscribeHashes is how many unsubscribe hashes the hub keeps per
	// scope; DefaultMaxUnsubscribeHashes when zero or less.
	MaxUnsubscribeHashes int64
	// UnsubscribeRate is how many requests a second each client address may
	// make to the public /u/ route after a burst of UnsubscribeBurst;
	// DefaultUnsubscribeRate and DefaultUnsubscribeBurst when zero, no limit
	// when negative.
	UnsubscribeRate  float64
	UnsubscribeBurst int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// ConfigFromDir fills a Config from an opened data directory.
func ConfigFromDir(d *Dir, st Storage, logger *slog.Logger) Config {
	return Config{Storage: st, CA: d.CA, ServerCert: d.ServerCert, Addr: d.Config.Addr, Logger: logger}
}

// Server is the hub's HTTP API. Start it on a listener, Stop it to shut down
// gracefully.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	lim     *limits
	handler http.Handler
	caPool  *x509.CertPool
	clients clientLimits

	touchMu sync.Mutex
	touched map[string]time.Time

	mu        sync.Mutex
	srv       *http.Server
	done      chan error
	stopSweep context.CancelFunc
	sweepDone chan struct{}
}

// NewServer checks cfg and builds the handler.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Storage == nil || cfg.CA == nil || len(cfg.ServerCert.Certificate) == 0 {
		return nil, errors.New("hub: a server needs storage, a CA and a server certificate")
	}
	if !protocol.ValidAddr(cfg.Addr) {
		return nil, fmt.Errorf("hub: public address %q: want HOST:PORT", cfg.Addr)
	}
	if cfg.MaxChangeSet <= 0 {
		cfg.MaxChangeSet = DefaultMaxChangeSet
	}
	if cfg.MaxPullBytes <= 0 {
		cfg.MaxPullBytes = DefaultMaxPullBytes
	}
	if cfg.PushRate == 0 {
		cfg.PushRate = DefaultPushRate
	}
	if cfg.PushBurst <= 0 {
		cfg.PushBurst = DefaultPushBurst
	}
	if cfg.DeviceQuota == 0 {
		cfg.DeviceQuota = DefaultDeviceQuota
	}
	if cfg.MaxStagedSnapshot == 0 {
		cfg.MaxStagedSnapshot = wire.MaxSnapshotParts * cfg.MaxChangeSet
	}
	if cfg.MaxUnsubscribeHashes <= 0 {
		cfg.MaxUnsubscribeHashes = DefaultMaxUnsubscribeHashes
	}
	if cfg.UnsubscribeRate == 0 {
		cfg.UnsubscribeRate = DefaultUnsubscribeRate
	}
	if cfg.UnsubscribeBurst <= 0 {
		cfg.UnsubscribeBurst = DefaultUnsubscribeBurst
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: logger, metrics: newMetrics(), lim: newLimits(), touched: map[string]time.Time{}, caPool: x509.NewCertPool(),
		clients: clientLimits{m: map[netip.Addr]*rate.Limiter{}}}
	s.caPool.AddCert(cfg.CA.Cert)

	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathEnroll, s.handleEnroll)
	mux.HandleFunc("POST "+protocol.PathTokens, s.authed(true, s.handleToken))
	mux.HandleFunc("POST "+protocol.PathChangeSets, s.authed(false, s.handlePush))
	mux.HandleFunc("GET "+protocol.PathChangeSets, s.authed(false, s.handlePull))
	mux.HandleFunc("PUT "+protocol.PathEnvelopes, s.authed(false, s.handlePutEnvelopes))
	mux.HandleFunc("GET "+protocol.PathEnvelopes, s.authed(false, s.handleEnvelopes))
	mux.HandleFunc("GET "+protocol.PathDevices, s.authed(false, s.handleDevices))
	mux.HandleFunc("POST "+protocol.PathDevices+"/{id}/revoke", s.authed(true, s.handleRevoke))
	mux.HandleFunc("POST "+protocol.PathVersion, s.authed(false, s.handleReportVersion))
	mux.HandleFunc("GET "+protocol.PathVersions, s.authed(false, s.handleVersions))
	mux.HandleFunc("POST "+protocol.PathCheckpoints, s.authed(false, s.handlePutCheckpoint))
	mux.HandleFunc("GET "+protocol.PathCheckpoints, s.authed(false, s.handleCheckpoints))
	mux.HandleFunc("GET "+protocol.PathRoster, s.authed(false, s.handleRoster))
	mux.HandleFunc("POST "+protocol.PathRoster, s.authed(true, s.handleRosterAppend))
	mux.HandleFunc("PUT "+protocol.PathRosterHead, s.authed(true, s.handleRosterHead))
	mux.HandleFunc("GET "+protocol.PathSnapshots, s.authed(false, s.handleSnapshots))
	mux.HandleFunc("PUT "+routeSnapshotPart, s.authed(true, s.handlePutSnapshotPart))
	mux.HandleFunc("GET "+routeSnapshotPart, s.authed(false, s.handleSnapshotPart))
	mux.HandleFunc("POST "+routeSnapshotCommit, s.authed(true, s.handleCommitSnapshot))
	mux.HandleFunc("PUT "+protocol.PathUnsubscribeTokens, s.authed(false, s.handlePutUnsubscribeTokens))
	mux.HandleFunc("GET "+protocol.PathUnsubscribes, s.authed(false, s.handleUnsubscribes))
	mux.HandleFunc("GET "+protocol.PathHealth, s.handleHealth)
	mux.HandleFunc("GET "+protocol.PathMetrics, s.authed(true, func(w http.ResponseWriter, r *http.Request, _ Device) {
		s.serveMetrics(w, r)
	}))
	// The public unsubscribe route (no client certificate) is served before the mux, which
	// would redirect a path such as /u/../v1/devices (unsubscribe.go).
	s.handler = s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUnsubscribePath(r.URL.Path) {
			s.serveUnsubscribe(w, r, clientAddr(r, false))
			return
		}
		mux.ServeHTTP(w, r)
	}))
	return s, nil
}

// Handler returns the API handler. It expects requests that came through
// TLSConfig; without TLS every authenticated endpoint answers 401.
func (s *Server) Handler() http.Handler { return s.handler }

// TLSConfig is TLS 1.3 only, with Go's default key exchanges (the hybrid
// post-quantum X25519MLKEM768 first), and asks for — but does not demand — a
// client certificate: enrollment and the health check work without one,
// every other endpoint refuses to answer without a certificate from the
// hub's CA. A certificate from any other CA fails the handshake.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{s.cfg.ServerCert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    s.caPool,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// Start serves the API over TLS on ln until Stop. It returns at once.
func (s *Server) Start(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("hub: server already started")
	}
	s.srv = &http.Server{
		Handler:   s.handler,
		TLSConfig: s.TLSConfig(),
		// Bounded everywhere, so a slow or silent client cannot hold a
		// connection (and its memory) for long. The read and write
		// timeouts leave room for a 32 MiB set over a shop's uplink.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(&serverErrorLog{s: s}, "", 0),
	}
	s.done = make(chan error, 1)
	srv, done := s.srv, s.done
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	var sweepCtx context.Context
	sweepCtx, s.stopSweep = context.WithCancel(context.Background())
	s.sweepDone = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		s.sweepLoop(sweepCtx, tokenSweepEvery)
	}(s.sweepDone)
	s.log.Info("hub serving", "addr", ln.Addr().String(), "public_addr", s.cfg.Addr)
	return nil
}

// Stop shuts the server down gracefully, waiting up to ten seconds for
// requests in flight, and returns when it has stopped.
func (s *Server) Stop() error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	stopSweep, sweepDone := s.stopSweep, s.sweepDone
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	stopSweep()
	<-sweepDone
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.log.Info("hub stopped")
	return err
}

// Rejects returns how many refusals were counted for a reason.
func (s *Server) Rejects(reason string) uint64 { return s.metrics.Rejects(reason) }

// MetricsHandler serves /metrics and /healthz without any client
// certificate, for a separate listener that the operator binds to loopback
// (spoke-hub serve --metrics-addr). The metrics hold no personal data, but
// device counts are still nobody else's business.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+protocol.PathMetrics, s.serveMetrics)
	mux.HandleFunc("GET "+protocol.PathHealth, s.handleHealth)
	return mux
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	counts := map[protocol.Status]int{}
	devs, err := s.cfg.Storage.Devices(r.Context())
	if err != nil {
		s.internal(w, r, "metrics: list devices", err)
		return
	}
	for _, d := range devs {
		counts[d.Status]++
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, counts)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Storage.Ping(ctx); err != nil {
		s.log.Error("health check: storage unavailable", "err", err)
		http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// ---- plumbing: auth, errors, instrumentation ----

type ctxKey struct{}

// reqInfo is filled in by handlers for the access log line.
type reqInfo struct {
	device string
	reason string
	route  string // set by handlers served outside the mux
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts every request by route pattern (never the raw path,
// which can hold a device id) and status, and writes one log line.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqInfo{}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		route := r.Pattern
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:]
		}
		if info.route != "" {
			route = info.route
		}
		if route == "" {
			route = "other"
		}
		s.metrics.request(route, sw.code)
		level := slog.LevelDebug
		if sw.code >= 400 {
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "route", route, "status", sw.code,
			"device", info.device, "reason", info.reason, "ms", time.Since(start).Milliseconds())
	})
}

func info(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// fail answers with an ErrorResponse and, when reason is a reject reason,
// counts it. Messages are fixed texts and field names, never input values.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, reason, msg string) {
	if reason != "" {
		s.metrics.reject(reason)
		info(r).reason = reason
	}
	writeJSON(w, status, protocol.ErrorResponse{Code: code, Message: msg})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "err", err, "device", info(r).device)
	writeJSON(w, http.StatusInternalServerError, protocol.ErrorResponse{Code: protocol.CodeInternal, Message: "the hub could not complete the request; try again later"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readJSON decodes a size-limited JSON body, refusing unknown fields so a
// client typo fails loudly instead of being ignored.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, http.StatusRequestEntityTooLarge, protocol.RejectTooLarge, protocol.RejectTooLarge, "the request body is too large")
			return false
		}
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "the request body is not valid JSON for this endpoint")
		return false
	}
	return true
}

// authed wraps a handler that needs an enrolled, active device: a client
// certificate verified against the hub CA whose device id and serial match
// an active device record. The record is read on every request rather than
// cached, so a revocation made through another hub process on the same
// database takes effect at once.
func (s *Server) authed(ownerOnly bool, h func(http.ResponseWriter, *http.Request, Device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
			s.fail(w, r, http.StatusUnauthorized, protocol.RejectNoCertificate, protocol.RejectNoCertificate,
				"this endpoint needs the device's client certificate; enroll the device first")
			return
		}
		leaf := r.TLS.VerifiedChains[0][0]
		id, ok := DeviceFromCert(leaf)
		if !ok {
			s.fail(w, r, http.StatusForbidden, protocol.RejectUnknownDevice, protocol.RejectUnknownDevice, "the client certificate names no device")
			return
		}
		info(r).device = id
		d, err := s.cfg.Storage.Device(r.Context(), id)
		if errors.Is(err, ErrNotFound) || err == nil && d.CertSerial != SerialString(leaf.SerialNumber) {
			// A certificate from our CA for a device that never finished
			// enrolling, or an older certificate of a re-enrolled device.
			s.fail(w, r, http.StatusForbidden, protocol.RejectUnknownDevice, protocol.RejectUnknownDevice, "this device is not enrolled at this hub")
			return
		}
		if err != nil {
			s.internal(w, r, "auth: read device", err)
			return
		}
		if d.Status != protocol.StatusActive {
			s.fail(w, r, http.StatusForbidden, protocol.RejectRevoked, protocol.RejectRevoked, "this device was revoked; ask the owner to enroll it again")
			return
		}
		if ownerOnly && d.Role != protocol.RoleOwner {
			s.fail(w, r, http.StatusForbidden, protocol.CodeForbidden, protocol.RejectScope, "only an owner device may do this")
			return
		}
		s.touch(r.Context(), d.ID)
		h(w, r, d)
	}
}

// touch records last_seen, at most once a minute per device and process, so
// a busy device does not turn every pull into a write.
func (s *Server) touch(ctx context.Context, id string) {
	now := s.cfg.Now()
	s.touchMu.Lock()
	last, seen := s.touched[id]
	if seen && now.Sub(last) < touchEvery {
		s.touchMu.Unlock()
		return
	}
	s.touched[id] = now
	s.touchMu.Unlock()
	if err := s.cfg.Storage.TouchDevice(ctx, id, now); err != nil && !errors.Is(err, ErrNotFound) {
		s.log.Warn("record last seen", "device", id, "err", err)
	}
}

// serverErrorLog receives net/http's own error lines. They name the remote
// address, which is personal data in some readings of the GDPR, so the line
// is reduced to a reason; TLS handshake failures (TLS 1.2 clients, plain
// HTTP, certificates from another CA) are counted as rejects.
type serverErrorLog struct{ s *Server }

func (l *serverErrorLog) Write(p []byte) (int, error) {
	msg := string(p)
	if strings.Contains(msg, "TLS handshake error") {
		// A bare TCP probe (a load balancer's check) closes at once: EOF.
		if strings.HasSuffix(strings.TrimSpace(msg), "EOF") {
			return len(p), nil
		}
		l.s.metrics.reject(protocol.RejectTLS)
		why := "other"
		switch {
		case strings.Contains(msg, "HTTP request to an HTTPS server"):
			why = "plain_http"
		case strings.Contains(msg, "unsupported versions"), strings.Contains(msg, "protocol version"):
			why = "tls_version"
		case strings.Contains(msg, "certificate"):
			why = "bad_certificate"
		}
		l.s.log.Info("tls handshake refused", "why", why)
		return len(p), nil
	}
	l.s.log.Warn("http server error", "why", scrubAddrs(msg))
	return len(p), nil
}

// scrubAddrs drops the words of a net/http log line that hold an address.
func scrubAddrs(msg string) string {
	f := strings.Fields(msg)
	out := f[:0]
	for _, w := range f {
		w2 := strings.TrimRight(w, ":,")
		if _, _, err := net.SplitHostPort(w2); err == nil || net.ParseIP(strings.Trim(w2, "[]")) != nil {
			out = append(out, "ADDR")
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// ---- handlers ----

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req protocol.EnrollRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	switch {
	case !protocol.ValidID(req.TokenID) || len(req.TokenSecret) != protocol.TokenSecretSize:
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadToken, protocol.RejectBadToken, ErrTokenInvalid.Error())
		return
	case !protocol.ValidID(req.DeviceID):
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "device_id: 1 to 64 characters of A-Z a-z 0-9 _ -")
		return
	case len(req.SigningKey) != ed25519.PublicKeySize:
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "signing_key: want a 32-byte Ed25519 public key")
		return
	case len(req.HPKEKey) == 0 || len(req.HPKEKey) > maxKeyLen:
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "hpke_key: missing or too long")
		return
	case len(req.Label) > maxLabelLen:
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "label: too long")
		return
	}
	info(r).device = req.DeviceID
	now := s.cfg.Now()
	hash := HashTokenSecret(req.TokenSecret)
	// Check the token before issuing a certificate, so a bad code costs a
	// lookup, not a signature. RedeemToken checks again, atomically.
	tok, err := s.cfg.Storage.Token(r.Context(), req.TokenID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.internal(w, r, "enroll: read token", err)
		return
	}
	if err != nil || !TokenRedeemable(tok, hash, now) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadToken, protocol.RejectBadToken, ErrTokenInvalid.Error())
		return
	}
	certDER, serial, err := s.cfg.CA.IssueClient(req.CSR, req.DeviceID, now)
	if errors.Is(err, ErrBadCSR) {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "csr: "+ErrBadCSR.Error())
		return
	}
	if err != nil {
		s.internal(w, r, "enroll: issue certificate", err)
		return
	}
	d, err := s.cfg.Storage.RedeemToken(r.Context(), req.TokenID, hash, now, Device{
		ID: req.DeviceID, Label: req.Label, SigningKey: req.SigningKey, HPKEKey: req.HPKEKey,
		CertSerial: serial, Status: protocol.StatusActive, EnrolledAt: now,
	})
	switch {
	case errors.Is(err, ErrTokenInvalid):
		// Lost a race with another redemption of the same code; the
		// certificate just issued names no enrolled device and is useless.
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadToken, protocol.RejectBadToken, ErrTokenInvalid.Error())
		return
	case errors.Is(err, ErrExists):
		s.fail(w, r, http.StatusConflict, protocol.CodeExists, "", "a device with this id is already enrolled")
		return
	case err != nil:
		s.internal(w, r, "enroll: redeem token", err)
		return
	}
	s.log.Info("device enrolled", "device", d.ID, "role", string(d.Role), "scopes", len(d.Scopes), "token", req.TokenID)
	writeJSON(w, http.StatusOK, protocol.EnrollResponse{
		Device:        d.Info(),
		Certificate:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})),
		CA:            string(s.cfg.CA.CertPEM()),
		CodeExpiresIn: int64(math.Ceil(tok.ExpiresAt.Sub(now).Seconds())),
	})
}

// TokenRedeemable reports whether a token is unused, unexpired at now and
// matches the secret hash (compared in constant time). Storage backends call
// it inside their redeeming transaction; the server calls it first as a
// cheap pre-check.
func TokenRedeemable(t Token, hash []byte, now time.Time) bool {
	return t.UsedAt.IsZero() && now.Before(t.ExpiresAt) && subtle.ConstantTimeCompare(t.SecretHash, hash) == 1
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.TokenRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if err := validateGrant(req.Role, req.Scopes); err != nil {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, err.Error())
		return
	}
	ttl := time.Duration(req.TTLSeconds) * time.Second
	if req.TTLSeconds == 0 {
		ttl = protocol.DefaultTokenTTL
	}
	if ttl <= 0 || ttl > protocol.MaxTokenTTL || len(req.Label) > maxLabelLen {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "ttl_seconds: 1 second to 30 days; label: at most 512 bytes")
		return
	}
	// Each new code is a moment to drop the codes that expired unused.
	if err := s.SweepTokens(r.Context()); err != nil {
		s.log.Warn("delete expired tokens", "err", err)
	}
	code, tok, err := IssueToken(r.Context(), s.cfg.Storage, s.cfg.CA, s.cfg.Addr, req.Role, req.Scopes, req.Label, d.ID, s.cfg.Now(), ttl)
	if err != nil {
		s.internal(w, r, "create token", err)
		return
	}
	s.log.Info("enrollment token created", "device", d.ID, "token", tok.ID, "role", string(tok.Role), "scopes", len(tok.Scopes))
	writeJSON(w, http.StatusOK, protocol.TokenResponse{Code: code.Encode(), TokenID: tok.ID, ExpiresAt: tok.ExpiresAt})
}

// IssueToken creates and stores a one-time enrollment token and returns the
// enrollment code for it (without a spoke-side Secret). spoke-hub init uses
// it for the owner's first device; POST /v1/tokens for every later one.
func IssueToken(ctx context.Context, st Storage, ca *CA, addr string, role protocol.Role, scopes []string, label []byte, createdBy string, now time.Time, ttl time.Duration) (protocol.EnrollCode, Token, error) {
	if err := validateGrant(role, scopes); err != nil {
		return protocol.EnrollCode{}, Token{}, err
	}
	id, secret, hash := NewTokenSecret()
	t := Token{ID: id, SecretHash: hash, Role: role, Scopes: scopes, Label: label, CreatedBy: createdBy,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := st.CreateToken(ctx, t); err != nil {
		return protocol.EnrollCode{}, Token{}, fmt.Errorf("store token: %w", err)
	}
	return protocol.EnrollCode{Addr: addr, CAFingerprint: ca.Fingerprint(), TokenID: id, TokenSecret: secret}, t, nil
}

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request, d Device) {
	// The rate comes first, before a body of up to 32 MiB is read.
	if wait := s.pushWait(d.ID, s.cfg.Now()); wait > 0 {
		s.refuseRate(w, r, wait, "change-sets")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxChangeSet))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, http.StatusRequestEntityTooLarge, protocol.RejectTooLarge, protocol.RejectTooLarge, fmt.Sprintf(
				"the change-set is larger than the %s this hub accepts: ask the hub's operator to raise spoke-hub serve --max-changeset "+
					"(the default, %s, takes every set a spoke makes); this device's later changes wait behind this set",
				sizeText(s.cfg.MaxChangeSet), sizeText(DefaultMaxChangeSet)))
			return
		}
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "could not read the change-set")
		return
	}
	h, err := wire.ParseHeader(body)
	if err != nil {
		reason := protocol.RejectMalformed
		if errors.Is(err, wire.ErrTooLarge) {
			reason = protocol.RejectTooLarge
		}
		s.fail(w, r, http.StatusBadRequest, reason, reason, "the body is not a change-set this hub understands")
		return
	}
	if h.Device != d.ID {
		s.fail(w, r, http.StatusForbidden, protocol.RejectDeviceMismatch, protocol.RejectDeviceMismatch, "the change-set names another device than the client certificate")
		return
	}
	if !protocol.ValidID(h.Scope) || !protocol.ValidSeq(h.Seq) {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "scope or sequence number out of range")
		return
	}
	if !d.CanWrite(h.Scope) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectScope, protocol.RejectScope, "this device may not write that scope")
		return
	}
	if err := wire.VerifySignature(body, d.SigningKey); err != nil {
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadSignature, protocol.RejectBadSignature, "the change-set signature does not verify with this device's key")
		return
	}
	if s.overQuota(w, r, d, int64(len(body))) {
		return
	}
	cursor, dup, err := s.cfg.Storage.PutChangeSet(r.Context(), ChangeSet{
		Device: h.Device, Seq: h.Seq, Scope: h.Scope, KeyVersion: h.KeyVersion, Bytes: body, ReceivedAt: s.cfg.Now(),
	})
	if errors.Is(err, ErrConflict) {
		s.log.Warn("change-set replay refused", "device", d.ID, "seq", h.Seq)
		s.fail(w, r, http.StatusConflict, protocol.RejectReplay, protocol.RejectReplay, "this sequence number was already used with a different change-set")
		return
	}
	if err != nil {
		s.internal(w, r, "store change-set", err)
		return
	}
	s.metrics.storedOne(dup)
	if !dup {
		s.addStored(d.ID, int64(len(body)))
	}
	s.log.Info("change-set stored", "device", d.ID, "seq", h.Seq, "scope", h.Scope, "key_version", h.KeyVersion,
		"cursor", cursor, "bytes", len(body), "duplicate", dup)
	writeJSON(w, http.StatusOK, protocol.PushResponse{Cursor: cursor, Duplicate: dup})
}

func (s *Server) handlePull(w http.ResponseWriter, r *http.Request, d Device) {
	q := r.URL.Query()
	after, err1 := parseInt(q.Get("after"), 0)
	limit, err2 := parseInt(q.Get("limit"), defaultPullLimit)
	if err1 != nil || err2 != nil || after < 0 || limit < 1 || limit > MaxPullLimit {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "after: a cursor ≥ 0; limit: 1 to 1000")
		return
	}
	// A device asks from after only once it holds every set up to it: what a snapshot
	// commit waits for. An idle poll repeats the cursor it has and writes nothing.
	if after > d.Pulled {
		if err := s.cfg.Storage.SetPulled(r.Context(), d.ID, after); err != nil {
			s.log.Warn("record pulled cursor", "device", d.ID, "err", err)
		}
	}
	scopes, all := d.ReadScopes()
	// The byte budget keeps a page (built in memory here) to about
	// MaxPullBytes; the cursor header lets the device go on from there.
	sets, err := s.cfg.Storage.ChangeSets(r.Context(), ChangeSetFilter{After: after, Scopes: scopes, AllScopes: all, Limit: int(limit),
		MaxBytes: s.cfg.MaxPullBytes})
	if err != nil {
		s.internal(w, r, "read change-sets", err)
		return
	}
	var buf []byte
	next := after
	for _, cs := range sets {
		buf = protocol.AppendFrame(buf, cs.Cursor, cs.Bytes)
		next = cs.Cursor
	}
	w.Header().Set("Content-Type", protocol.ChangeSetsContentType)
	w.Header().Set(protocol.CursorHeader, strconv.FormatInt(next, 10))
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.Write(buf)
	s.log.Debug("change-sets served", "device", d.ID, "after", after, "count", len(sets), "cursor", next)
}

func parseInt(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

func (s *Server) handlePutEnvelopes(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.EnvelopesRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if len(req.Envelopes) == 0 || len(req.Envelopes) > 1000 {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "envelopes: 1 to 1000")
		return
	}
	now := s.cfg.Now()
	// Check every envelope before storing any, so a refused batch changes
	// nothing.
	for _, e := range req.Envelopes {
		if !protocol.ValidID(e.Scope) || e.Version == 0 || len(e.Sealed) == 0 || len(e.Sealed) > maxSealedEnv {
			s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "envelope: scope, version ≥ 1 and sealed bytes required")
			return
		}
		ok, err := s.mayAddress(r.Context(), d, e)
		if err != nil {
			s.internal(w, r, "envelope: check recipient", err)
			return
		}
		if !ok {
			s.fail(w, r, http.StatusForbidden, protocol.CodeForbidden, protocol.RejectScope, "envelope: this device may not address that recipient with that scope")
			return
		}
	}
	for _, e := range req.Envelopes {
		if err := s.cfg.Storage.PutEnvelope(r.Context(), Envelope{To: e.To, Scope: e.Scope, Version: e.Version,
			From: d.ID, Sealed: e.Sealed, UpdatedAt: now}); err != nil {
			s.internal(w, r, "store envelope", err)
			return
		}
	}
	s.log.Info("key envelopes stored", "device", d.ID, "count", len(req.Envelopes))
	w.WriteHeader(http.StatusNoContent)
}

// mayAddress decides whether d may leave envelope e. A device may always
// address itself; an owner device may address any active device or pending
// token — but only with a scope that recipient reads, so a bug on the owner's
// laptop cannot hand one shop another shop's key.
func (s *Server) mayAddress(ctx context.Context, d Device, e protocol.EnvelopeInfo) (bool, error) {
	if tokenID, ok := strings.CutPrefix(e.To, "token:"); ok {
		if d.Role != protocol.RoleOwner || !protocol.ValidID(tokenID) {
			return false, nil
		}
		t, err := s.cfg.Storage.Token(ctx, tokenID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !t.UsedAt.IsZero() || !s.cfg.Now().Before(t.ExpiresAt) {
			return false, nil
		}
		return Device{Role: t.Role, Scopes: t.Scopes}.CanRead(e.Scope), nil
	}
	if !protocol.ValidID(e.To) {
		return false, nil
	}
	if e.To == d.ID {
		return d.CanRead(e.Scope), nil
	}
	if d.Role != protocol.RoleOwner {
		return false, nil
	}
	to, err := s.cfg.Storage.Device(ctx, e.To)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return to.Status == protocol.StatusActive && to.CanRead(e.Scope), nil
}

func (s *Server) handleEnvelopes(w http.ResponseWriter, r *http.Request, d Device) {
	envs, err := s.cfg.Storage.Envelopes(r.Context(), d.ID)
	if err != nil {
		s.internal(w, r, "read envelopes", err)
		return
	}
	out := protocol.EnvelopesResponse{Envelopes: []protocol.EnvelopeInfo{}}
	for _, e := range envs {
		out.Envelopes = append(out.Envelopes, protocol.EnvelopeInfo(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDevices lists every device to every enrolled device, not only to
// owners: a shop device needs the other devices' signing keys to verify the
// change-sets it pulls (end to end, not trusting the hub's check), and their
// status to refuse sets from a revoked one. Nothing here is personal; labels
// are sealed by the spokes.
func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request, d Device) {
	devs, err := s.cfg.Storage.Devices(r.Context())
	if err != nil {
		s.internal(w, r, "list devices", err)
		return
	}
	out := protocol.DevicesResponse{Devices: []protocol.DeviceInfo{}}
	for _, x := range devs {
		out.Devices = append(out.Devices, x.Info())
	}
	writeJSON(w, http.StatusOK, out)
}

// handleReportVersion records the calling device's Spoke version and, as its last sync, now,
// and answers with the version list. A device reports only its own version: the record it
// writes is the client certificate's device, and a report naming another is refused.
func (s *Server) handleReportVersion(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.VersionReport
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.Device != "" && req.Device != d.ID {
		s.fail(w, r, http.StatusForbidden, protocol.RejectDeviceMismatch, protocol.RejectDeviceMismatch, "a device reports only its own version")
		return
	}
	if !version.Valid(req.Version) {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "version: a semantic version like 1.2.3, at most 64 characters")
		return
	}
	if err := s.cfg.Storage.SetDeviceVersion(r.Context(), d.ID, req.Version, s.cfg.Now()); err != nil {
		s.internal(w, r, "record device version", err)
		return
	}
	s.log.Info("version reported", "device", d.ID, "version", req.Version)
	s.handleVersions(w, r, d)
}

// handleVersions lists every device's version and last sync, and the newest version among
// them, to every enrolled device (ids, standing and versions: nothing personal).
func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request, d Device) {
	devs, err := s.cfg.Storage.Devices(r.Context())
	if err != nil {
		s.internal(w, r, "list devices", err)
		return
	}
	out := protocol.VersionsResponse{Devices: []protocol.DeviceVersion{}, Hub: version.Version}
	vs := make([]string, 0, len(devs))
	for _, x := range devs {
		out.Devices = append(out.Devices, protocol.DeviceVersion{ID: x.ID, Role: x.Role, Status: x.Status, Version: x.Version,
			LastSync: x.LastSync, LastSeen: x.LastSeen, EnrolledAt: x.EnrolledAt})
		vs = append(vs, x.Version)
	}
	out.Newest = version.Newest(vs...)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, d Device) {
	id := r.PathValue("id")
	if !protocol.ValidID(id) {
		s.fail(w, r, http.StatusNotFound, protocol.CodeNotFound, "", "no such device")
		return
	}
	err := s.cfg.Storage.RevokeDevice(r.Context(), id, s.cfg.Now())
	switch {
	case errors.Is(err, ErrNotFound):
		s.fail(w, r, http.StatusNotFound, protocol.CodeNotFound, "", "no such device")
		return
	case errors.Is(err, ErrLastOwner):
		s.fail(w, r, http.StatusConflict, protocol.CodeLastOwner, "", "this is the last active owner device; enroll another owner device first")
		return
	case err != nil:
		s.internal(w, r, "revoke device", err)
		return
	}
	rev, err := s.cfg.Storage.Device(r.Context(), id)
	if err != nil {
		s.internal(w, r, "read revoked device", err)
		return
	}
	s.log.Info("device revoked", "device", id, "by", d.ID)
	writeJSON(w, http.StatusOK, rev.Info())
}

func (s *Server) handlePutCheckpoint(w http.ResponseWriter, r *http.Request, d Device) {
	var c protocol.CheckpointInfo
	if !s.readJSON(w, r, &c) {
		return
	}
	if c.Device != "" && c.Device != d.ID {
		s.fail(w, r, http.StatusForbidden, protocol.RejectDeviceMismatch, protocol.RejectDeviceMismatch, "a device sends only its own checkpoints")
		return
	}
	if !protocol.ValidSeq(c.Seq) || len(c.Head) == 0 || len(c.Head) > maxHeadLen {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "seq ≥ 1 and a head of 1 to 128 bytes required")
		return
	}
	cp := protocol.Checkpoint{Device: d.ID, Seq: c.Seq, Head: c.Head, Signature: c.Signature, ReceivedAt: s.cfg.Now()}
	if !protocol.VerifyCheckpoint(cp, d.SigningKey) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadSignature, protocol.RejectBadSignature, "the checkpoint signature does not verify with this device's key")
		return
	}
	err := s.cfg.Storage.PutCheckpoint(r.Context(), cp)
	if errors.Is(err, ErrConflict) {
		// The device's audit chain at this point differs from what it said
		// before: an entry was edited or deleted after the fact.
		s.log.Warn("audit checkpoint conflict", "device", d.ID, "seq", c.Seq)
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay, "a different checkpoint for this sequence number is already stored")
		return
	}
	if err != nil {
		s.internal(w, r, "store checkpoint", err)
		return
	}
	s.log.Info("audit checkpoint stored", "device", d.ID, "seq", c.Seq)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCheckpoints(w http.ResponseWriter, r *http.Request, d Device) {
	q := r.URL.Query()
	dev := q.Get("device")
	if dev == "" {
		dev = d.ID
	}
	if dev != d.ID && d.Role != protocol.RoleOwner {
		s.fail(w, r, http.StatusForbidden, protocol.CodeForbidden, protocol.RejectScope, "only an owner device may read another device's checkpoints")
		return
	}
	after, err1 := parseInt(q.Get("after"), 0)
	limit, err2 := parseInt(q.Get("limit"), defaultPullLimit)
	if !protocol.ValidID(dev) || err1 != nil || err2 != nil || after < 0 || limit < 1 || limit > MaxPullLimit {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "device, after ≥ 0, limit 1 to 1000")
		return
	}
	out := protocol.CheckpointsResponse{Checkpoints: []protocol.CheckpointInfo{}}
	latest, err := s.cfg.Storage.LatestCheckpoint(r.Context(), dev)
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.internal(w, r, "read latest checkpoint", err)
		return
	}
	if err == nil {
		li := checkpointInfo(latest)
		out.Latest = &li
	}
	cps, err := s.cfg.Storage.Checkpoints(r.Context(), dev, uint64(after), int(limit))
	if err != nil {
		s.internal(w, r, "read checkpoints", err)
		return
	}
	for _, c := range cps {
		out.Checkpoints = append(out.Checkpoints, checkpointInfo(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func checkpointInfo(c protocol.Checkpoint) protocol.CheckpointInfo {
	return protocol.CheckpointInfo(c)
}
