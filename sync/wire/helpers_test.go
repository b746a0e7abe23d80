package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

const (
	testShop   = "0193a5c2-7e41-7b3a-9c1d-5f2e8a6b4c10"
	testDevice = "0193a5c2-7e41-7b3a-9c1d-5f2e8a6b4d21"
	otherDev   = "0193a5c2-7e41-7b3a-9c1d-5f2e8a6b4e32"
)

// testKey returns a deterministic 32-byte key per label.
func testKey(label string) []byte {
	k := sha256.Sum256([]byte("wire test key " + label))
	return k[:]
}

// testSigner returns a deterministic Ed25519 key pair per label.
func testSigner(label string) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(testKey("signer " + label))
	return priv.Public().(ed25519.PublicKey), priv
}

// keyFor serves testKey("scope") for any scope and version, so a test that
// expects ErrUnauthenticated proves the header binding, not a key lookup miss.
func keyFor(string, uint32) ([]byte, error) { return testKey("scope"), nil }

func testHeader() Header {
	return Header{Version: 1, Scope: testShop, Device: testDevice, Seq: 42, KeyVersion: 3}
}

// sampleChanges covers every kind, a sealed blob, a sealed null, an empty blob,
// extreme integers and a relayed change with another origin device.
func sampleChanges() []Change {
	return []Change{
		{HLC: 1732851234567<<16 | 1, Device: testDevice, Table: "customers", RowID: "c-1", Column: "name",
			Value: Value{Kind: KindBlob, Blob: []byte("\x01sealed-ciphertext-bytes")}, Sealed: true},
		{HLC: 1732851234567<<16 | 2, Device: testDevice, Table: "customers", RowID: "c-1", Column: "email", Value: Value{Kind: KindNull}, Sealed: true},
		{HLC: 1732851234567<<16 | 3, Device: testDevice, Table: "work_orders", RowID: "w-9", Column: "total_cents", Value: Value{Kind: KindInt, Int: -9223372036854775808}},
		{HLC: 1732851234567<<16 | 4, Device: testDevice, Table: "work_orders", RowID: "w-9", Column: "status", Value: Value{Kind: KindText, Text: "ready ✓"}},
		{HLC: 1732851234567<<16 | 5, Device: otherDev, Table: "bikes", RowID: "b-3", Column: "photo", Value: Value{Kind: KindBlob}},
		{HLC: 1<<64 - 1, Device: otherDev, Table: "_t", RowID: "行-1", Column: "c9", Value: Value{Kind: KindInt, Int: 1<<63 - 1}},
	}
}

func sampleSet() *ChangeSet {
	return &ChangeSet{Header: testHeader(), Changes: sampleChanges()}
}

func mustSeal(t testing.TB, cs *ChangeSet) []byte {
	t.Helper()
	_, priv := testSigner("device")
	b, err := Seal(cs, testKey("scope"), priv)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return b
}

// sealRaw seals arbitrary bytes as the compressed body, as a malicious device
// holding both the scope key and its signing key could. It reaches the
// decompression and body decoding behind the signature and the AEAD.
func sealRaw(t testing.TB, h Header, compressed []byte) []byte {
	t.Helper()
	aead, err := bodyAEAD(testKey("scope"))
	if err != nil {
		t.Fatal(err)
	}
	hdr := appendHeader(nil, &h)
	out := aead.Seal(append([]byte(nil), hdr...), nil, compressed, hdr)
	_, priv := testSigner("device")
	return append(out, ed25519.Sign(priv, out)...)
}

// resign replaces the trailing signature with one by priv.
func resign(b []byte, priv ed25519.PrivateKey) []byte {
	n := len(b) - ed25519.SignatureSize
	out := append([]byte(nil), b[:n]...)
	return append(out, ed25519.Sign(priv, out)...)
}

// wantErr fails unless err wraps want. It also checks the message names
// no test value, as a stand-in for "errors never carry a value".
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	for _, v := range []string{testShop, testDevice, "sealed-ciphertext", "ready"} {
		if strings.Contains(err.Error(), v) {
			t.Fatalf("error %q carries a value", err)
		}
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
