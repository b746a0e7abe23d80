package device

import (
	"bytes"
	"errors"
	"testing"
)

func TestIdentityRoundTrip(t *testing.T) {
	id, err := New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := id.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.SigningPublic(), id.SigningPublic()) || !bytes.Equal(back.KEMPublic(), id.KEMPublic()) {
		t.Fatal("identity changed in a round trip")
	}
	for i := 0; i < len(b); i += 97 {
		if _, err := Unmarshal(b[:i]); err == nil {
			t.Fatalf("truncated at %d parsed", i)
		}
	}
}

func TestEnvelopes(t *testing.T) {
	a, _ := New()
	b, _ := New()
	info := []byte("scope-keys|device-a")
	ct, err := SealTo(a.KEMPublic(), info, []byte("scope key bytes"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		open func() ([]byte, error)
		ok   bool
	}{
		{"recipient", func() ([]byte, error) { return a.Open(info, ct) }, true},
		{"another device", func() ([]byte, error) { return b.Open(info, ct) }, false},
		{"other info", func() ([]byte, error) { return a.Open([]byte("scope-keys|device-b"), ct) }, false},
		{"flipped", func() ([]byte, error) { c := bytes.Clone(ct); c[len(c)-5] ^= 1; return a.Open(info, c) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := tc.open()
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrEnvelope)) {
				t.Fatalf("err = %v", err)
			}
			if tc.ok && string(pt) != "scope key bytes" {
				t.Fatal("wrong plaintext")
			}
		})
	}
	secret := bytes.Repeat([]byte{9}, 32)
	sct, _ := SealWithSecret(secret, info, []byte("k"))
	if pt, err := OpenWithSecret(secret, info, sct); err != nil || string(pt) != "k" {
		t.Fatal("secret envelope")
	}
	if _, err := OpenWithSecret(bytes.Repeat([]byte{8}, 32), info, sct); !errors.Is(err, ErrEnvelope) {
		t.Fatal("wrong secret opened")
	}
}

func FuzzUnmarshal(f *testing.F) {
	id, _ := New()
	b, _ := id.Marshal()
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		Unmarshal(b)
	})
}
