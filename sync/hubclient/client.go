// Package hubclient is the spoke side of the hub's API: enrollment with a
// one-time code, then change-set push and pull, key envelopes, devices and
// audit checkpoints over TLS 1.3 with the device's client certificate.
//
// It pins the hub: the first connection (enrollment) accepts only a server
// whose chain holds the CA certificate named by the code's SHA-256
// fingerprint, and every later connection trusts that CA and nothing else.
//
// Errors callers act on are sentinels: ErrRevoked, ErrUnreachable (the
// device is offline or the hub is down: try later), ErrNotEnrolled,
// ErrForbidden, ErrReplay, ErrBadCode, ErrWrongHub, ErrTooLarge, ErrQuota,
// and ErrRateLimited, whose *RateLimitedError says how long to wait.
// Messages never carry a value from a change-set; the package never logs.
package hubclient

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"spoke/protocol"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors.
var (
	// ErrUnreachable means no answer from the hub: no network, the hub is
	// down, or a time-out. Changes stay queued; try again later.
	ErrUnreachable = errors.New("the hub is unreachable")
	// ErrRevoked means the hub revoked this device: it may neither push nor
	// pull any more.
	ErrRevoked = errors.New("this device was revoked at the hub; ask the owner to enroll it again")
	// ErrNotEnrolled means the hub does not know this device's certificate.
	ErrNotEnrolled = errors.New("this device is not enrolled at the hub; enroll it with a code from the owner")
	// ErrForbidden means the device's role or scopes do not allow the call.
	ErrForbidden = errors.New("the hub does not allow this device to do that")
	// ErrReplay means a sequence number was already used with different
	// content: the device's change log and the hub disagree.
	ErrReplay = errors.New("the hub already holds a different change-set or checkpoint under this sequence number")
	// ErrBadCode means the enrollment code is unknown, expired or used.
	ErrBadCode = errors.New("the enrollment code is unknown, expired or already used; ask the owner for a new one")
	// ErrWrongHub means the server did not present the hub certificate the
	// code or the enrollment pinned: a different server, or an interception.
	ErrWrongHub = errors.New("the server is not the hub this device trusts (certificate mismatch); check the address, and do not go on")
	// ErrTooLarge means one change-set is bigger than the hub accepts. The
	// set stays in the outbox, and the ones after it wait behind it, until
	// the hub's operator raises the limit.
	ErrTooLarge = errors.New("a change-set is larger than the hub accepts; ask the hub's operator to raise spoke-hub serve --max-changeset (changes stay queued on this device)")
	// ErrQuota means the hub keeps no more change-sets of this device until
	// its operator raises the device quota. Nothing is lost: sets wait in
	// the outbox.
	ErrQuota = errors.New("this device has used up its room at the hub; ask the hub's operator to raise spoke-hub serve --device-quota (changes stay queued on this device)")
	// ErrRateLimited means the device pushed faster than the hub allows;
	// the error is a *RateLimitedError with the wait the hub asked for.
	ErrRateLimited = errors.New("the hub asks this device to slow down")
	// ErrRejected is any other refusal (malformed input, too large).
	ErrRejected = errors.New("the hub refused the request")
)

// RateLimitedError is a 429 from the hub: wait RetryAfter, then try again.
// errors.Is matches ErrRateLimited and ErrRejected.
type RateLimitedError struct {
	// RetryAfter is the hub's Retry-After: at least a second, at most an
	// hour whatever the hub says, so a broken hub cannot stop sync for good.
	RetryAfter time.Duration
	Err        *APIError
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("the hub asks this device to slow down (too many change-sets in a short time): it tries again in %s, nothing is lost", e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// Unwrap returns the hub's refusal.
func (e *RateLimitedError) Unwrap() error { return e.Err }

// retryAfter reads a Retry-After of delay-seconds (the hub never sends an
// HTTP date), bounded to [1 s, 1 h]; missing or unreadable, one minute.
func retryAfter(h string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64)
	if err != nil || n < 0 {
		return time.Minute
	}
	return time.Duration(min(max(n, 1), 3600)) * time.Second
}

// APIError is a refusal from the hub, with its HTTP status and the stable
// error code. errors.Is matches it against the sentinels above.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("hub refused the request (%d %s): %s", e.Status, e.Code, e.Message)
}

// Is maps the hub's error codes onto the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRevoked:
		return e.Code == protocol.RejectRevoked
	case ErrNotEnrolled:
		return e.Code == protocol.RejectUnknownDevice || e.Code == protocol.RejectNoCertificate
	case ErrForbidden:
		return e.Code == protocol.CodeForbidden || e.Code == protocol.RejectScope || e.Code == protocol.RejectDeviceMismatch
	case ErrReplay:
		return e.Code == protocol.RejectReplay || e.Code == protocol.CodeConflict
	case ErrBadCode:
		return e.Code == protocol.RejectBadToken
	case ErrTooLarge:
		return e.Code == protocol.RejectTooLarge
	case ErrQuota:
		return e.Code == protocol.RejectQuota
	case ErrRateLimited:
		return e.Code == protocol.RejectRateLimited
	case ErrRejected:
		return true
	}
	return false
}

// UnreachableError says which hub could not be reached and why.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the hub at %s is unreachable: %v", e.Addr, e.Err)
}

// Unwrap returns the network error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// Identity is what enrollment leaves on the device: its certificate and TLS
// key (PEM) and the pinned hub CA (PEM). KeyPEM is a secret: callers keep it
// wrapped by the master key like every other device key.
type Identity struct {
	Addr     string
	DeviceID string
	CertPEM  []byte
	KeyPEM   []byte
	CAPEM    []byte
}

// EnrollOptions are the device's side of an enrollment.
type EnrollOptions struct {
	// DeviceID is the device's own id, as in its change-set headers.
	DeviceID string
	// Label is the device's display name, sealed (optional).
	Label []byte
	// SigningKey is the device's Ed25519 public key; HPKEKey its HPKE
	// public key.
	SigningKey []byte
	HPKEKey    []byte
}

// Enrollment is the result of Enroll.
type Enrollment struct {
	Identity Identity
	Device   protocol.DeviceInfo
	// CodeValidFor is how long the code had left when the hub redeemed it
	// (at most protocol.MaxTokenTTL, whatever the hub says): the spoke keeps
	// the code's one-time secret no longer.
	CodeValidFor time.Duration
}

// Enroll redeems an enrollment code at the hub it names. It makes a fresh
// P-256 TLS key (separate from the signing key), sends a certificate request
// and returns the device's identity. The code's spoke-side Secret is not
// sent.
func Enroll(ctx context.Context, code protocol.EnrollCode, o EnrollOptions) (*Enrollment, error) {
	if !code.Valid() {
		return nil, protocol.ErrBadCode
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: o.DeviceID}}, key)
	if err != nil {
		return nil, fmt.Errorf("certificate request: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	fp := code.CAFingerprint
	host, _, _ := net.SplitHostPort(code.Addr)
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13,
		// The CA is not known yet, only its fingerprint: verification is
		// done below, against the CA certificate the hub sends in its chain.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPinned(cs, fp, host)
		},
	}
	c := newClient(code.Addr, cfg)
	defer c.Close()
	req := protocol.EnrollRequest{TokenID: code.TokenID, TokenSecret: code.TokenSecret, DeviceID: o.DeviceID, Label: o.Label,
		SigningKey: o.SigningKey, HPKEKey: o.HPKEKey, CSR: csr}
	var resp protocol.EnrollResponse
	if err := c.doJSON(ctx, http.MethodPost, protocol.PathEnroll, req, &resp); err != nil {
		return nil, err
	}
	caBlock, _ := pem.Decode([]byte(resp.CA))
	if caBlock == nil || sha256.Sum256(caBlock.Bytes) != fp {
		return nil, ErrWrongHub
	}
	return &Enrollment{
		Identity: Identity{Addr: code.Addr, DeviceID: resp.Device.ID, CertPEM: []byte(resp.Certificate),
			KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), CAPEM: []byte(resp.CA)},
		Device:       resp.Device,
		CodeValidFor: codeValidFor(resp.CodeExpiresIn),
	}, nil
}

// codeValidFor bounds the hub's answer: a hub that says nothing (an older
// one) or more than a code can live gets the longest a code can live.
func codeValidFor(secs int64) time.Duration {
	if secs <= 0 || secs > int64(protocol.MaxTokenTTL/time.Second) {
		return protocol.MaxTokenTTL
	}
	return time.Duration(secs) * time.Second
}

// verifyPinned accepts a server chain only if it holds the CA certificate
// with fingerprint fp and the leaf verifies under that CA for host.
func verifyPinned(cs tls.ConnectionState, fp [32]byte, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return ErrWrongHub
	}
	var ca *x509.Certificate
	for _, c := range cs.PeerCertificates {
		if sha256.Sum256(c.Raw) == fp {
			ca = c
		}
	}
	if ca == nil {
		return ErrWrongHub
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
		return ErrWrongHub
	}
	return nil
}

// Client talks to one hub as one enrolled device. It is safe for concurrent
// use. New does not connect: a spoke that starts offline still gets a Client.
type Client struct {
	addr string
	base string
	http *http.Client
}

// New returns a client for an enrolled device.
func New(id Identity) (*Client, error) {
	cert, err := tls.X509KeyPair(id.CertPEM, id.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("device certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(id.CAPEM) {
		return nil, errors.New("hub CA certificate: no certificate in the PEM")
	}
	host, _, err := net.SplitHostPort(id.Addr)
	if err != nil {
		return nil, fmt.Errorf("hub address %q: %w", id.Addr, err)
	}
	return newClient(id.Addr, &tls.Config{
		MinVersion:   tls.VersionTLS13,
		RootCAs:      pool,
		ServerName:   host,
		Certificates: []tls.Certificate{cert},
	}), nil
}

func newClient(addr string, cfg *tls.Config) *Client {
	tr := &http.Transport{
		TLSClientConfig:       cfg,
		ForceAttemptHTTP2:     true,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Client{addr: addr, base: "https://" + addr, http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Addr is the hub's host:port.
func (c *Client) Addr() string { return c.addr }

// do sends a request and turns transport failures and refusals into the
// package's errors. A nil error means a 2xx response, whose body the caller
// must close.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e protocol.ErrorResponse
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) != nil || e.Code == "" {
		e = protocol.ErrorResponse{Code: "http_" + strconv.Itoa(resp.StatusCode), Message: http.StatusText(resp.StatusCode)}
	}
	ae := &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, &RateLimitedError{RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Err: ae}
	}
	return nil, ae
}

func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return ctx.Err()
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	if errors.Is(err, ErrWrongHub) || errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) {
		return fmt.Errorf("%w (%s)", ErrWrongHub, c.addr)
	}
	// Unwrap url.Error: its text repeats the method and the whole URL.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &UnreachableError{Addr: c.addr, Err: err}
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := c.do(ctx, method, path, body, ct)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return fmt.Errorf("hub answer: %w", err)
	}
	return nil
}

// Push sends one sealed change-set. Pushing the same bytes again is safe:
// the answer says Duplicate and carries the original cursor.
func (c *Client) Push(ctx context.Context, sealed []byte) (protocol.PushResponse, error) {
	var out protocol.PushResponse
	resp, err := c.do(ctx, http.MethodPost, protocol.PathChangeSets, bytes.NewReader(sealed), "application/octet-stream")
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return out, fmt.Errorf("hub answer: %w", err)
	}
	return out, nil
}

// Page is one pull: the change-sets after a cursor and the cursor to pass
// next time. The hub cuts pages by bytes as well as by count, so a page
// with fewer frames than the limit may still not be the last: a device is
// caught up when a page comes back empty.
type Page struct {
	Frames []protocol.Frame
	Next   int64
}

// Pull returns up to limit change-sets after cursor after, of the scopes
// this device may read, in cursor order.
func (c *Client) Pull(ctx context.Context, after int64, limit int) (Page, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(limit)}}
	resp, err := c.do(ctx, http.MethodGet, protocol.PathChangeSets+"?"+q.Encode(), nil, "")
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	// A page is at most MaxPullLimit sets of at most 32 MiB; a limit guards
	// against a broken answer, not a hostile hub.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return Page{}, c.transportError(ctx, err)
	}
	frames, err := protocol.ParseFrames(b)
	if err != nil {
		return Page{}, err
	}
	// Every frame must lie after the cursor asked for, so a caller paging
	// until an empty page always moves forward.
	if len(frames) > 0 && frames[0].Cursor <= after {
		return Page{}, protocol.ErrBadFrame
	}
	next := after
	if len(frames) > 0 {
		next = frames[len(frames)-1].Cursor
	}
	if h := resp.Header.Get(protocol.CursorHeader); h != "" {
		if n, err := strconv.ParseInt(h, 10, 64); err == nil && n >= next {
			next = n
		}
	}
	return Page{Frames: frames, Next: next}, nil
}

// CreateToken asks the hub for a one-time enrollment code (owner devices
// only). The returned code has no Secret: set one (protocol.NewSecret) and seal
// the new device's scope keys under it before showing code.Encode().
func (c *Client) CreateToken(ctx context.Context, req protocol.TokenRequest) (protocol.EnrollCode, protocol.TokenResponse, error) {
	var out protocol.TokenResponse
	if err := c.doJSON(ctx, http.MethodPost, protocol.PathTokens, req, &out); err != nil {
		return protocol.EnrollCode{}, out, err
	}
	code, err := protocol.DecodeEnrollCode(out.Code)
	return code, out, err
}

// Devices lists every device enrolled at the hub.
func (c *Client) Devices(ctx context.Context) ([]protocol.DeviceInfo, error) {
	var out protocol.DevicesResponse
	err := c.doJSON(ctx, http.MethodGet, protocol.PathDevices, nil, &out)
	return out.Devices, err
}

// Revoke revokes a device (owner devices only): from now on the hub refuses
// its certificate.
func (c *Client) Revoke(ctx context.Context, id string) (protocol.DeviceInfo, error) {
	var out protocol.DeviceInfo
	if !protocol.ValidID(id) {
		return out, fmt.Errorf("device id: %w", ErrRejected)
	}
	err := c.doJSON(ctx, http.MethodPost, protocol.PathDevices+"/"+id+"/revoke", nil, &out)
	return out, err
}

// PutEnvelopes stores key envelopes (to protocol.TokenRecipient(id) for a device
// that has not enrolled yet).
func (c *Client) PutEnvelopes(ctx context.Context, envs []protocol.EnvelopeInfo) error {
	return c.doJSON(ctx, http.MethodPut, protocol.PathEnvelopes, protocol.EnvelopesRequest{Envelopes: envs}, nil)
}

// Envelopes returns the envelopes addressed to this device.
func (c *Client) Envelopes(ctx context.Context) ([]protocol.EnvelopeInfo, error) {
	var out protocol.EnvelopesResponse
	err := c.doJSON(ctx, http.MethodGet, protocol.PathEnvelopes, nil, &out)
	return out.Envelopes, err
}

// PutCheckpoint sends this device's signed audit checkpoint
// (protocol.SignCheckpoint).
func (c *Client) PutCheckpoint(ctx context.Context, cp protocol.Checkpoint) error {
	return c.doJSON(ctx, http.MethodPost, protocol.PathCheckpoints,
		protocol.CheckpointInfo{Device: cp.Device, Seq: cp.Seq, Head: cp.Head, Signature: cp.Signature}, nil)
}

// Checkpoints returns a device's checkpoints after a sequence number and its
// latest one ("" = this device; another device's need an owner device).
func (c *Client) Checkpoints(ctx context.Context, device string, after uint64, limit int) (protocol.CheckpointsResponse, error) {
	var out protocol.CheckpointsResponse
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	if device != "" {
		q.Set("device", device)
	}
	err := c.doJSON(ctx, http.MethodGet, protocol.PathCheckpoints+"?"+q.Encode(), nil, &out)
	return out, err
}

// Health checks that the hub answers and its storage works.
func (c *Client) Health(ctx context.Context) error {
	resp, err := c.do(ctx, http.MethodGet, protocol.PathHealth, nil, "")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Metrics returns the hub's Prometheus text (owner devices only).
func (c *Client) Metrics(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, protocol.PathMetrics, nil, "")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, err = io.Copy(&b, io.LimitReader(resp.Body, 1<<20))
	return b.String(), err
}
