package protocol

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
)

// ErrBadCode means an enrollment code does not decode: mistyped, cut short
// or not an enrollment code at all.
var ErrBadCode = errors.New("this is not a valid enrollment code (check that it was copied whole, on one line)")

// Sizes of the secrets in an enrollment code.
const (
	TokenSecretSize = 32
	SecretSize      = 32
)

// codePrefix marks an enrollment code for people and tools; the digit is the
// format version, repeated inside as the first byte.
const codePrefix = "spoke1_"

// EnrollCode is everything a new device needs to join a hub, as one
// copy-pasteable token (see Encode):
//
//   - Addr, the host:port the device dials;
//   - CAFingerprint, the SHA-256 of the hub CA certificate, so the first
//     connection can pin the hub without trusting any other authority;
//   - TokenID and TokenSecret, the one-time enrollment token (the hub keeps
//     only a hash of the secret);
//   - Secret, a spoke-side one-time secret that the hub never sees: the
//     owner device that asked for the token appends it locally and seals the
//     scope keys for the new device under it;
//   - RosterID and Owner (format 2, codes made by an owner device): the
//     chain id (hash of the owner-signed roster's genesis) and the SHA-256
//     of the issuing owner device's signing key, so the new device verifies
//     the roster the hub relays from the right genesis and trusts nothing the
//     hub says about devices. Codes printed by spoke-hub itself (the first
//     owner device, which makes the genesis) have neither: format 1.
type EnrollCode struct {
	Addr          string
	CAFingerprint [32]byte
	TokenID       string
	TokenSecret   []byte
	Secret        []byte
	RosterID      [32]byte
	Owner         [32]byte
}

// HasRoster reports whether the code names a roster (format 2).
func (c EnrollCode) HasRoster() bool { return c.RosterID != [32]byte{} }

// Encode returns the code as one line of base64url text with a short prefix.
// The encoding is canonical: Decode accepts exactly what Encode produces.
// It also carries a 4-byte checksum, so a mistyped code is reported as
// mistyped rather than as an unknown token.
func (c EnrollCode) Encode() string {
	var b []byte
	version := byte(1)
	if c.HasRoster() {
		version = 2
	}
	b = append(b, version)
	b = append(b, byte(len(c.Addr)))
	b = append(b, c.Addr...)
	b = append(b, c.CAFingerprint[:]...)
	b = append(b, byte(len(c.TokenID)))
	b = append(b, c.TokenID...)
	b = append(b, c.TokenSecret...)
	b = append(b, byte(len(c.Secret)))
	b = append(b, c.Secret...)
	if version == 2 {
		b = append(b, c.RosterID[:]...)
		b = append(b, c.Owner[:]...)
	}
	sum := sha256.Sum256(b)
	b = append(b, sum[:4]...)
	return codePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Valid reports whether the code's fields are well-formed.
func (c EnrollCode) Valid() bool {
	return ValidAddr(c.Addr) && ValidID(c.TokenID) && len(c.TokenSecret) == TokenSecretSize &&
		(len(c.Secret) == 0 || len(c.Secret) == SecretSize)
}

// DecodeEnrollCode parses a code made by Encode. Surrounding white space is
// ignored; anything else that differs is ErrBadCode.
func DecodeEnrollCode(s string) (EnrollCode, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, codePrefix)
	if !ok {
		return EnrollCode{}, ErrBadCode
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) < 5 {
		return EnrollCode{}, ErrBadCode
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	want := sha256.Sum256(body)
	if !bytes.Equal(sum, want[:4]) {
		return EnrollCode{}, ErrBadCode
	}
	r := codeReader{b: body}
	version := r.byte()
	if version != 1 && version != 2 {
		return EnrollCode{}, ErrBadCode
	}
	var c EnrollCode
	c.Addr = string(r.next(int(r.byte())))
	copy(c.CAFingerprint[:], r.next(32))
	c.TokenID = string(r.next(int(r.byte())))
	c.TokenSecret = r.next(TokenSecretSize)
	if n := int(r.byte()); n > 0 {
		c.Secret = r.next(n)
	}
	if version == 2 {
		copy(c.RosterID[:], r.next(32))
		copy(c.Owner[:], r.next(32))
		if !c.HasRoster() || len(c.Secret) == 0 {
			return EnrollCode{}, ErrBadCode
		}
	}
	if r.bad || len(r.b) != 0 || !c.Valid() {
		return EnrollCode{}, ErrBadCode
	}
	return c, nil
}

type codeReader struct {
	b   []byte
	bad bool
}

func (r *codeReader) next(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return v
}

func (r *codeReader) byte() byte {
	v := r.next(1)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// ValidAddr reports whether addr can be a hub address in a code: it accepts host:port with a non-empty host, at most 255 bytes.
func ValidAddr(addr string) bool {
	if len(addr) > 255 {
		return false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || strings.ContainsAny(host, " /\\@") {
		return false
	}
	p, err := strconv.Atoi(port)
	return err == nil && p > 0 && p < 65536 && strconv.Itoa(p) == port
}

// NewSecret returns a fresh spoke-side secret for EnrollCode.Secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b)
	return b
}
