package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"spoke/crypto/seal"
)

var fastKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

func TestPassphraseWrap(t *testing.T) {
	mk := New()
	blob, err := WrapWithPassphrase(mk, "correct horse", fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, mk) {
		t.Fatal("master key visible in blob")
	}
	tampered := bytes.Clone(blob)
	tampered[len(tampered)-3] ^= 1
	hugeMem := bytes.Clone(blob)
	hugeMem[len(pwMagic)+4] = 0xff
	tests := []struct {
		name string
		blob []byte
		pass string
		want error
	}{
		{"right", blob, "correct horse", nil},
		{"wrong", blob, "correct horsE", ErrWrongPassphrase},
		{"tampered", tampered, "correct horse", ErrWrongPassphrase},
		{"absurd params", hugeMem, "correct horse", ErrBadWrap},
		{"truncated", blob[:20], "correct horse", ErrBadWrap},
		{"not ours", []byte("hello"), "x", ErrBadWrap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnwrapWithPassphrase(tc.blob, tc.pass)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && !bytes.Equal(got, mk) {
				t.Fatal("wrong key")
			}
		})
	}
	if _, err := WrapWithPassphrase(mk, "", fastKDF); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}

func TestRecoveryCode(t *testing.T) {
	mk := New()
	code := NewRecoveryCode()
	if len(code) != 39 || strings.Count(code, "-") != 7 {
		t.Fatalf("code format %q", code)
	}
	blob, err := WrapWithRecoveryCode(mk, code, "db-1")
	if err != nil {
		t.Fatal(err)
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	got, err := UnwrapWithRecoveryCode(blob, typed, "db-1")
	if err != nil || !bytes.Equal(got, mk) {
		t.Fatalf("retyped code: %v", err)
	}
	other := NewRecoveryCode()
	if _, err := UnwrapWithRecoveryCode(blob, other, "db-1"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := UnwrapWithRecoveryCode(blob, code, "db-2"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("other database: %v", err)
	}
	if _, err := UnwrapWithRecoveryCode(blob, "ABCD-EFGH", "db-1"); !errors.Is(err, ErrBadRecoveryCode) {
		t.Fatalf("short code: %v", err)
	}
}

func TestWrapLabelBinding(t *testing.T) {
	kek, k := New(), New()
	w, err := Wrap(kek, k, seal.Label("scope", "shop-a", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unwrap(kek, w, seal.Label("scope", "shop-b", "1")); !errors.Is(err, seal.ErrUnauthenticated) {
		t.Fatalf("moved wrapped key opened: %v", err)
	}
	got, err := Unwrap(kek, w, seal.Label("scope", "shop-a", "1"))
	if err != nil || !bytes.Equal(got, k) {
		t.Fatal("unwrap failed")
	}
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	k := New()
	a, b := Derive(k, "spoke/a"), Derive(k, "spoke/b")
	if bytes.Equal(a, b) || len(a) != Size {
		t.Fatal("derived keys not separated")
	}
	if !bytes.Equal(a, Derive(k, "spoke/a")) {
		t.Fatal("derive not deterministic")
	}
}

func FuzzUnwrapWithPassphrase(f *testing.F) {
	blob, _ := WrapWithPassphrase(New(), "pw", fastKDF)
	f.Add(blob, "pw")
	f.Add([]byte(pwMagic), "")
	f.Fuzz(func(t *testing.T, b []byte, pass string) {
		// Keep fuzzing fast: refuse inputs whose params would cost real time.
		if len(b) > len(pwMagic)+9 && (b[len(pwMagic)+4] != 0 || b[len(pwMagic)+5] != 0 || b[len(pwMagic)+3] > 2) {
			return
		}
		mk, err := UnwrapWithPassphrase(b, pass)
		if err == nil && len(mk) != Size {
			t.Fatal("bad key size")
		}
	})
}

func FuzzRecoveryCode(f *testing.F) {
	f.Add(NewRecoveryCode())
	f.Add("0000-0000")
	f.Fuzz(func(t *testing.T, code string) {
		b, err := parseRecoveryCode(code)
		if err == nil && len(b) != recoveryBytes {
			t.Fatal("bad length")
		}
	})
}
