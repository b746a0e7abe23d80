package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"spoke/protocol"
)

func sampleCode() protocol.EnrollCode {
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(i)
	}
	return protocol.EnrollCode{Addr: "hub.example.org:8443", CAFingerprint: fp, TokenID: "0123456789abcdef0123456789abcdef",
		TokenSecret: bytes.Repeat([]byte{0xAB}, protocol.TokenSecretSize)}
}

func TestEnrollCode(t *testing.T) {
	for _, c := range []protocol.EnrollCode{sampleCode(), func() protocol.EnrollCode { c := sampleCode(); c.Secret = protocol.NewSecret(); return c }()} {
		s := c.Encode()
		if strings.ContainsAny(s, " \n\t:/+=") {
			t.Fatalf("code %q is not one copy-pasteable token", s)
		}
		got, err := protocol.DecodeEnrollCode("  " + s + "\n")
		if err != nil {
			t.Fatal(err)
		}
		if got.Encode() != s || got.Addr != c.Addr || !bytes.Equal(got.Secret, c.Secret) || got.CAFingerprint != c.CAFingerprint {
			t.Fatalf("round trip: %+v", got)
		}
	}
	s := sampleCode().Encode()
	bad := []string{
		"", "spoke1_", s[:len(s)-1], s + "A", strings.Replace(s, "spoke1_", "spoke2_", 1),
		// One mistyped character: the checksum catches it.
		s[:20] + string(rune(s[20]^1)) + s[21:],
	}
	for _, b := range bad {
		if _, err := protocol.DecodeEnrollCode(b); !errors.Is(err, protocol.ErrBadCode) {
			t.Errorf("DecodeEnrollCode(%q) = %v, want ErrBadCode", b, err)
		}
	}
	invalid := sampleCode()
	invalid.Addr = "no port"
	if _, err := protocol.DecodeEnrollCode(invalid.Encode()); !errors.Is(err, protocol.ErrBadCode) {
		t.Error("a code with an invalid address decoded")
	}
}

// FuzzDecodeEnrollCode: decoding never panics, and whatever decodes
// re-encodes to exactly the same text (the encoding is canonical).
func FuzzDecodeEnrollCode(f *testing.F) {
	f.Add(sampleCode().Encode())
	c := sampleCode()
	c.Secret = bytes.Repeat([]byte{1}, protocol.SecretSize)
	f.Add(c.Encode())
	f.Add("spoke1_AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := protocol.DecodeEnrollCode(s)
		if err != nil {
			return
		}
		if got := c.Encode(); got != strings.TrimSpace(s) {
			t.Fatalf("decode then encode changed the code:\n%q\n%q", s, got)
		}
	})
}

func TestFrames(t *testing.T) {
	var b []byte
	b = protocol.AppendFrame(b, 3, []byte("abc"))
	b = protocol.AppendFrame(b, 9, nil)
	b = protocol.AppendFrame(b, 10, []byte("x"))
	fr, err := protocol.ParseFrames(b)
	if err != nil || len(fr) != 3 || fr[0].Cursor != 3 || string(fr[0].Bytes) != "abc" || len(fr[1].Bytes) != 0 || fr[2].Cursor != 10 {
		t.Fatalf("%+v %v", fr, err)
	}
	for _, bad := range [][]byte{b[:len(b)-1], b[:5], append(protocol.AppendFrame(nil, 5, nil), protocol.AppendFrame(nil, 5, nil)...)} {
		if _, err := protocol.ParseFrames(bad); !errors.Is(err, protocol.ErrBadFrame) {
			t.Errorf("ParseFrames(%x) = %v", bad, err)
		}
	}
}

// FuzzParseFrames: parsing never panics or over-reads, and frames that
// parse re-encode to the same bytes.
func FuzzParseFrames(f *testing.F) {
	f.Add(protocol.AppendFrame(protocol.AppendFrame(nil, 1, []byte("one")), 2, []byte("two")))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := protocol.ParseFrames(b)
		if err != nil {
			return
		}
		var again []byte
		for _, x := range fr {
			again = protocol.AppendFrame(again, x.Cursor, x.Bytes)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("parse then append changed the bytes")
		}
	})
}

func TestCheckpointSignature(t *testing.T) {
	pub, priv := testKey(1)
	cp := protocol.SignCheckpoint("dev-1", 5, []byte("head"), priv)
	if !protocol.VerifyCheckpoint(cp, pub) {
		t.Fatal("a fresh checkpoint does not verify")
	}
	for _, mod := range []func(*protocol.Checkpoint){
		func(c *protocol.Checkpoint) { c.Seq = 6 },
		func(c *protocol.Checkpoint) { c.Device = "dev-2" },
		func(c *protocol.Checkpoint) { c.Head = []byte("heae") },
		func(c *protocol.Checkpoint) { c.Signature = c.Signature[:10] },
	} {
		c := cp
		c.Signature = bytes.Clone(cp.Signature)
		mod(&c)
		if protocol.VerifyCheckpoint(c, pub) {
			t.Errorf("altered checkpoint verifies: %+v", c)
		}
	}
	other, _ := testKey(2)
	if protocol.VerifyCheckpoint(cp, other) || protocol.VerifyCheckpoint(cp, nil) {
		t.Error("verifies under another key")
	}
}

func ExampleEnrollCode() {
	// The hub makes a code for a token (POST /v1/tokens or spoke-hub init);
	// the owner's device adds a secret of its own, which never reaches the
	// hub, and shows the code as one line.
	code := sampleCode()
	code.Secret = bytes.Repeat([]byte{0x5A}, protocol.SecretSize)
	text := code.Encode()

	// The new device decodes it and pins the hub's CA by the fingerprint.
	got, err := protocol.DecodeEnrollCode(text)
	fmt.Println(err, got.Addr, strings.HasPrefix(text, "spoke1_"), len(got.Secret))
	// Output: <nil> hub.example.org:8443 true 32
}

func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}
