package hub_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"spoke/sync/hub"
)

func sampleCode() hub.EnrollCode {
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(i)
	}
	return hub.EnrollCode{Addr: "hub.example.org:8443", CAFingerprint: fp, TokenID: "0123456789abcdef0123456789abcdef",
		TokenSecret: bytes.Repeat([]byte{0xAB}, hub.TokenSecretSize)}
}

func TestEnrollCode(t *testing.T) {
	for _, c := range []hub.EnrollCode{sampleCode(), func() hub.EnrollCode { c := sampleCode(); c.Secret = hub.NewSecret(); return c }()} {
		s := c.Encode()
		if strings.ContainsAny(s, " \n\t:/+=") {
			t.Fatalf("code %q is not one copy-pasteable token", s)
		}
		got, err := hub.DecodeEnrollCode("  " + s + "\n")
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
		if _, err := hub.DecodeEnrollCode(b); !errors.Is(err, hub.ErrBadCode) {
			t.Errorf("DecodeEnrollCode(%q) = %v, want ErrBadCode", b, err)
		}
	}
	invalid := sampleCode()
	invalid.Addr = "no port"
	if _, err := hub.DecodeEnrollCode(invalid.Encode()); !errors.Is(err, hub.ErrBadCode) {
		t.Error("a code with an invalid address decoded")
	}
}

// FuzzDecodeEnrollCode: decoding never panics, and whatever decodes
// re-encodes to exactly the same text (the encoding is canonical).
func FuzzDecodeEnrollCode(f *testing.F) {
	f.Add(sampleCode().Encode())
	c := sampleCode()
	c.Secret = bytes.Repeat([]byte{1}, hub.SecretSize)
	f.Add(c.Encode())
	f.Add("spoke1_AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := hub.DecodeEnrollCode(s)
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
	b = hub.AppendFrame(b, 3, []byte("abc"))
	b = hub.AppendFrame(b, 9, nil)
	b = hub.AppendFrame(b, 10, []byte("x"))
	fr, err := hub.ParseFrames(b)
	if err != nil || len(fr) != 3 || fr[0].Cursor != 3 || string(fr[0].Bytes) != "abc" || len(fr[1].Bytes) != 0 || fr[2].Cursor != 10 {
		t.Fatalf("%+v %v", fr, err)
	}
	for _, bad := range [][]byte{b[:len(b)-1], b[:5], append(hub.AppendFrame(nil, 5, nil), hub.AppendFrame(nil, 5, nil)...)} {
		if _, err := hub.ParseFrames(bad); !errors.Is(err, hub.ErrBadFrame) {
			t.Errorf("ParseFrames(%x) = %v", bad, err)
		}
	}
}

// FuzzParseFrames: parsing never panics or over-reads, and frames that
// parse re-encode to the same bytes.
func FuzzParseFrames(f *testing.F) {
	f.Add(hub.AppendFrame(hub.AppendFrame(nil, 1, []byte("one")), 2, []byte("two")))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := hub.ParseFrames(b)
		if err != nil {
			return
		}
		var again []byte
		for _, x := range fr {
			again = hub.AppendFrame(again, x.Cursor, x.Bytes)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("parse then append changed the bytes")
		}
	})
}

func TestCheckpointSignature(t *testing.T) {
	pub, priv := testKey(1)
	cp := hub.SignCheckpoint("dev-1", 5, []byte("head"), priv)
	if !hub.VerifyCheckpoint(cp, pub) {
		t.Fatal("a fresh checkpoint does not verify")
	}
	for _, mod := range []func(*hub.Checkpoint){
		func(c *hub.Checkpoint) { c.Seq = 6 },
		func(c *hub.Checkpoint) { c.Device = "dev-2" },
		func(c *hub.Checkpoint) { c.Head = []byte("heae") },
		func(c *hub.Checkpoint) { c.Signature = c.Signature[:10] },
	} {
		c := cp
		c.Signature = bytes.Clone(cp.Signature)
		mod(&c)
		if hub.VerifyCheckpoint(c, pub) {
			t.Errorf("altered checkpoint verifies: %+v", c)
		}
	}
	other, _ := testKey(2)
	if hub.VerifyCheckpoint(cp, other) || hub.VerifyCheckpoint(cp, nil) {
		t.Error("verifies under another key")
	}
}

func TestDeviceScopes(t *testing.T) {
	shop := hub.Device{Role: hub.RoleShop, Scopes: []string{"shop-1"}}
	owner := hub.Device{Role: hub.RoleOwner}
	cases := []struct {
		d            hub.Device
		scope        string
		write, reads bool
	}{
		{shop, "shop-1", true, true},
		{shop, hub.OrgScope, false, true},
		{shop, "shop-2", false, false},
		{owner, "shop-2", true, true},
		{owner, hub.OrgScope, true, true},
	}
	for _, c := range cases {
		if c.d.CanWrite(c.scope) != c.write || c.d.CanRead(c.scope) != c.reads {
			t.Errorf("%s on %s: write %v read %v", c.d.Role, c.scope, c.d.CanWrite(c.scope), c.d.CanRead(c.scope))
		}
	}
}

func ExampleEnrollCode() {
	// The hub makes a code for a token (POST /v1/tokens or spoke-hub init);
	// the owner's device adds a secret of its own, which never reaches the
	// hub, and shows the code as one line.
	code := sampleCode()
	code.Secret = bytes.Repeat([]byte{0x5A}, hub.SecretSize)
	text := code.Encode()

	// The new device decodes it and pins the hub's CA by the fingerprint.
	got, err := hub.DecodeEnrollCode(text)
	fmt.Println(err, got.Addr, strings.HasPrefix(text, "spoke1_"), len(got.Secret))
	// Output: <nil> hub.example.org:8443 true 32
}
