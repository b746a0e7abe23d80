package hub

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"spoke/protocol"
)

// Files in a hub data directory. Keys are owner-only (0600); the directory
// itself is 0700.
const (
	ConfigFile     = "hub.json"
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
	// SQLiteFile is the default storage's database inside the data directory.
	SQLiteFile = "hub.db"
)

// Storage kinds recorded in hub.json.
const (
	StorageSQLite   = "sqlite"
	StoragePostgres = "postgres"
)

var (
	// ErrInitialized means InitDir found an existing hub in the directory.
	ErrInitialized = errors.New("this data directory already holds a hub; use 'spoke-hub serve', or choose an empty directory")
	// ErrNoHub means OpenDir found no hub in the directory.
	ErrNoHub = errors.New("no hub in this data directory: run 'spoke-hub init --data DIR --addr HOST:PORT' first")
)

// DirConfig is hub.json: what `spoke-hub init` decided, so `serve` agrees.
type DirConfig struct {
	// Addr is the public host:port devices dial; it is in enrollment codes
	// and the server certificate.
	Addr string `json:"addr"`
	// Storage is "sqlite" or "postgres". A hub initialised on PostgreSQL
	// refuses to serve from an empty SQLite file by mistake.
	Storage   string    `json:"storage"`
	CreatedAt time.Time `json:"created_at"`
}

// Dir is an opened hub data directory.
type Dir struct {
	Path   string
	Config DirConfig
	CA     *CA
	// ServerCert is the hub's TLS certificate, with the CA certificate
	// appended to its chain so a device holding only the CA fingerprint
	// (from its enrollment code) can pin it.
	ServerCert tls.Certificate
}

// InitDir creates the hub's CA, server certificate and configuration in dir
// for the public address addr (host:port). It refuses a directory that
// already holds a hub.
func InitDir(dir, addr, storage string, now time.Time) (*Dir, error) {
	if !protocol.ValidAddr(addr) {
		return nil, fmt.Errorf("--addr %q: want HOST:PORT, the address devices will dial", addr)
	}
	if storage != StorageSQLite && storage != StoragePostgres {
		return nil, fmt.Errorf("storage %q: want %q or %q", storage, StorageSQLite, StoragePostgres)
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		return nil, ErrInitialized
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	ca, err := NewCA(now)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	srvDER, srvKey, err := ca.IssueServer(host, now)
	if err != nil {
		return nil, err
	}
	caKey, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	srvKeyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return nil, err
	}
	cfg, err := json.MarshalIndent(DirConfig{Addr: addr, Storage: storage, CreatedAt: now.UTC()}, "", "  ")
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{CAKeyFile, pemBlock("PRIVATE KEY", caKey), 0o600},
		{CACertFile, ca.CertPEM(), 0o644},
		{ServerKeyFile, pemBlock("PRIVATE KEY", srvKeyDER), 0o600},
		{ServerCertFile, append(pemBlock("CERTIFICATE", srvDER), ca.CertPEM()...), 0o644},
		// hub.json last: its presence means the directory is complete.
		{ConfigFile, append(cfg, '\n'), 0o644},
	}
	for _, f := range files {
		if err := writeFileSync(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return nil, err
		}
	}
	return OpenDir(dir)
}

// OpenDir loads a data directory made by InitDir.
func OpenDir(dir string) (*Dir, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoHub
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	d := &Dir{Path: dir}
	if err := json.Unmarshal(raw, &d.Config); err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	caKeyPEM, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	caTLS, err := tls.X509KeyPair(caPEM, caKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA key and certificate: %w", err)
	}
	signer, ok := caTLS.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("CA key: not a signing key")
	}
	caCert, err := x509.ParseCertificate(caTLS.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	d.CA = &CA{Cert: caCert, key: signer}
	d.ServerCert, err = tls.LoadX509KeyPair(filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("server key and certificate: %w", err)
	}
	return d, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// writeFileSync writes a new file and syncs it, so a crash right after init
// cannot leave a hub.json that points at a half-written key.
func writeFileSync(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return f.Close()
}
