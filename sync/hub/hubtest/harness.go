package hubtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// SyncBuffer is a bytes.Buffer safe for concurrent writers: the test hub's
// log sink.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Bytes returns a copy of everything written so far.
func (s *SyncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// Hub is a hub serving on a loopback port for one test, with its logs
// captured (JSON, debug level) in Logs.
type Hub struct {
	Addr    string // where this process listens (loopback)
	Dir     *hub.Dir
	Storage hub.Storage
	Server  *hub.Server
	Logs    *SyncBuffer
}

// OpenSQLite opens the default storage in a hub data directory, closed at
// the end of the test.
func OpenSQLite(t testing.TB, open func(ctx context.Context, path string) (hub.Storage, error)) func(dir string) hub.Storage {
	return func(dir string) hub.Storage {
		st, err := open(context.Background(), filepath.Join(dir, hub.SQLiteFile))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// StartHub initialises a data directory in a temporary folder, opens the
// storage with open(dir) and serves on 127.0.0.1 until the test ends. Options
// adjust the server's configuration (a smaller size limit, a clock).
func StartHub(t testing.TB, open func(dir string) hub.Storage, opts ...func(*hub.Config)) *Hub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hub")
	d, err := hub.InitDir(dir, ln.Addr().String(), hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, d, open(dir), ln, opts...)
}

// StartPeer starts a second hub process: same data directory (CA, server
// certificate), another storage handle on the same database, another port.
func (h *Hub) StartPeer(t testing.TB, st hub.Storage) *Hub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := hub.OpenDir(h.Dir.Path)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, d, st, ln)
}

func serve(t testing.TB, d *hub.Dir, st hub.Storage, ln net.Listener, opts ...func(*hub.Config)) *Hub {
	logs := &SyncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := hub.ConfigFromDir(d, st, logger)
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := hub.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return &Hub{Addr: ln.Addr().String(), Dir: d, Storage: st, Server: srv, Logs: logs}
}

// OwnerCode issues an owner enrollment code, as spoke-hub init does.
func (h *Hub) OwnerCode(t testing.TB) protocol.EnrollCode {
	t.Helper()
	code, _, err := hub.IssueToken(context.Background(), h.Storage, h.Dir.CA, h.Dir.Config.Addr, protocol.RoleOwner, nil, nil, "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Device is an enrolled test device: its signing key, identity and client.
type Device struct {
	ID       string
	Key      ed25519.PrivateKey
	Identity hubclient.Identity
	Client   *hubclient.Client
	Info     protocol.DeviceInfo
}

// Enroll redeems code as a new device with the given id.
func (h *Hub) Enroll(t testing.TB, code protocol.EnrollCode, id string) *Device {
	t.Helper()
	d, err := EnrollDevice(code, id)
	if err != nil {
		t.Fatalf("enroll %s: %v", id, err)
	}
	t.Cleanup(d.Client.Close)
	return d
}

// EnrollDevice is Enroll without a testing.TB, for load-test goroutines.
func EnrollDevice(code protocol.EnrollCode, id string) (*Device, error) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	hpke := make([]byte, 1216) // the size of an MLKEM768-X25519 public key; opaque to the hub
	rand.Read(hpke)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := hubclient.Enroll(ctx, code, hubclient.EnrollOptions{DeviceID: id, SigningKey: pub, HPKEKey: hpke})
	if err != nil {
		return nil, err
	}
	c, err := hubclient.New(e.Identity)
	if err != nil {
		return nil, err
	}
	return &Device{ID: id, Key: priv, Identity: e.Identity, Client: c, Info: e.Device}, nil
}

// EnrollShop has owner ask the hub for a shop code and enrolls a device
// with it.
func (h *Hub) EnrollShop(t testing.TB, owner *Device, id string, scopes ...string) *Device {
	t.Helper()
	code, _, err := owner.Client.CreateToken(context.Background(), protocol.TokenRequest{Role: protocol.RoleShop, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return h.Enroll(t, code, id)
}

// ClientAt returns a client for d that dials another hub process (a peer).
func (d *Device) ClientAt(t testing.TB, addr string) *hubclient.Client {
	t.Helper()
	id := d.Identity
	id.Addr = addr
	c, err := hubclient.New(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// ScopeKey is the test scope key of a scope (the hub never has it).
func ScopeKey(scope string) []byte {
	k := sha256.Sum256([]byte("hubtest scope key " + scope))
	return k[:]
}

// Seal makes a real sealed change-set from d with one text change per
// value, each in clear inside the body before sealing.
func (d *Device) Seal(scope string, seq uint64, values ...string) ([]byte, error) {
	return SealAs(d.ID, d.Key, scope, seq, values...)
}

// SealAs seals for an arbitrary header device and key (forgery tests).
func SealAs(deviceID string, key ed25519.PrivateKey, scope string, seq uint64, values ...string) ([]byte, error) {
	cs := &wire.ChangeSet{Header: wire.Header{Version: 1, Scope: scope, Device: deviceID, Seq: seq, KeyVersion: 1}}
	hlc := uint64(time.Now().UnixMilli()) << 16
	for i, v := range values {
		val, err := wire.ValueOf(v)
		if err != nil {
			return nil, err
		}
		cs.Changes = append(cs.Changes, wire.Change{HLC: hlc + uint64(i), Device: deviceID, Table: "customers",
			RowID: fmt.Sprintf("c-%d-%d", seq, i), Column: "notes", Value: val})
	}
	return wire.Seal(cs, ScopeKey(scope), key)
}

// MustSeal is Seal for tests.
func (d *Device) MustSeal(t testing.TB, scope string, seq uint64, values ...string) []byte {
	t.Helper()
	b, err := d.Seal(scope, seq, values...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SealSnapshot makes a real sealed snapshot part by d: h as given (its Version and Device
// filled in when empty, its KeyVersion 1 when 0), one text change holding value, and d
// covered up to sequence 1.
func (d *Device) SealSnapshot(h wire.SnapshotHeader, value string) ([]byte, error) {
	if h.Device == "" {
		h.Device = d.ID
	}
	return SealSnapshotAs(d.Key, h, value)
}

// SealSnapshotAs seals a snapshot part with an arbitrary header and signing key (forgery
// tests).
func SealSnapshotAs(key ed25519.PrivateKey, h wire.SnapshotHeader, value string) ([]byte, error) {
	if h.Version == 0 {
		h.Version = 1
	}
	if h.KeyVersion == 0 {
		h.KeyVersion = 1
	}
	val, err := wire.ValueOf(value)
	if err != nil {
		return nil, err
	}
	p := &wire.SnapshotPart{Header: h, Covered: []wire.Covered{{Device: h.Device, ScopeSeq: 1}},
		Changes: []wire.Change{{HLC: uint64(time.Now().UnixMilli()) << 16, Device: h.Device, Table: "customers",
			RowID: fmt.Sprintf("c-snap-%d", h.Part), Column: "notes", Value: val}}}
	return wire.SealSnapshot(p, ScopeKey(h.Scope), key)
}
