package hub

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"spoke/protocol"
)

// Certificate lifetimes. Revocation does not depend on expiry — the hub
// accepts a client certificate only while its serial belongs to an active
// device — so long lifetimes cost nothing in revocation and spare a bike shop
// a certificate renewal it would not know how to do.
const (
	caLifetime     = 30 * 365 * 24 * time.Hour
	serverLifetime = 20 * 365 * 24 * time.Hour
	clientLifetime = 20 * 365 * 24 * time.Hour
)

// ErrBadCSR means an enrollment request's certificate request is malformed,
// not self-signed by its key, or uses a key type the hub does not issue for.
var ErrBadCSR = errors.New("hub: the certificate request is malformed or uses an unsupported key")

// CA is the hub's own certificate authority: it signs the hub's server
// certificate and every device's client certificate.
type CA struct {
	Cert *x509.Certificate
	key  crypto.Signer
}

// NewCA creates a CA with a fresh ECDSA P-256 key. P-256 rather than Ed25519
// so that standard tools (curl, openssl, load balancers) can check the chain.
func NewCA(now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Spoke hub CA " + randomSerial().Text(16)[:8]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key}, nil
}

// Fingerprint is the SHA-256 of the CA certificate, as pinned by enrollment
// codes.
func (ca *CA) Fingerprint() [32]byte { return sha256.Sum256(ca.Cert.Raw) }

// CertPEM returns the CA certificate in PEM form.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// IssueServer issues the hub's TLS server certificate for host (an IP
// address or a DNS name) with a fresh P-256 key. It returns the certificate
// and key in DER form.
func (ca *CA) IssueServer(host string, now time.Time) (certDER []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue server certificate: %w", err)
	}
	return certDER, key, nil
}

// IssueClient issues a device's client certificate from its certificate
// request (PEM or DER). The request proves the device holds the key; the
// device id goes in the certificate as the common name and as the URI SAN
// spoke:device:<id>, so the hub can tell who is calling without a lookup.
func (ca *CA) IssueClient(csr []byte, deviceID string, now time.Time) (certDER []byte, serial string, err error) {
	if b, _ := pem.Decode(csr); b != nil {
		csr = b.Bytes
	}
	req, err := x509.ParseCertificateRequest(csr)
	if err != nil || req.CheckSignature() != nil {
		return nil, "", ErrBadCSR
	}
	switch k := req.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, "", ErrBadCSR
		}
	case ed25519.PublicKey:
	default:
		return nil, "", ErrBadCSR
	}
	sn := randomSerial()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: deviceID},
		URIs:         []*url.URL{DeviceURI(deviceID)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(clientLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, req.PublicKey, ca.key)
	if err != nil {
		return nil, "", fmt.Errorf("issue client certificate: %w", err)
	}
	return certDER, SerialString(sn), nil
}

// DeviceURI is the URI SAN that names a device in its client certificate.
func DeviceURI(id string) *url.URL { return &url.URL{Scheme: "spoke", Opaque: "device:" + id} }

// DeviceFromCert returns the device id a client certificate was issued for:
// the URI SAN spoke:device:<id>, which must agree with the common name.
func DeviceFromCert(c *x509.Certificate) (string, bool) {
	for _, u := range c.URIs {
		if u.Scheme != "spoke" {
			continue
		}
		if id, ok := strings.CutPrefix(u.Opaque, "device:"); ok && protocol.ValidID(id) && id == c.Subject.CommonName {
			return id, true
		}
	}
	return "", false
}

// SerialString formats a certificate serial as the hub stores it.
func SerialString(n *big.Int) string { return n.Text(16) }

// randomSerial returns a positive 127-bit serial number.
func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}
