package seal

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := NewKey()
	other := NewKey()
	ad := FieldAD("customers", "0192-row", "email", 1)
	ct, err := Seal(key, []byte("anna@example.com"), ad)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     []byte
		sealed  []byte
		ad      []byte
		wantErr error
	}{
		{"round trip", key, ct, ad, nil},
		{"wrong key", other, ct, ad, ErrUnauthenticated},
		{"other row", key, ct, FieldAD("customers", "0192-rox", "email", 1), ErrUnauthenticated},
		{"other column", key, ct, FieldAD("customers", "0192-row", "phone", 1), ErrUnauthenticated},
		{"other key version", key, ct, FieldAD("customers", "0192-row", "email", 2), ErrUnauthenticated},
		{"flipped tag", key, flip(ct, len(ct)-1), ad, ErrUnauthenticated},
		{"flipped body", key, flip(ct, 14), ad, ErrUnauthenticated},
		{"flipped nonce", key, flip(ct, 3), ad, ErrUnauthenticated},
		{"unknown version", key, flip(ct, 0), ad, ErrMalformed},
		{"truncated", key, ct[:Overhead-1], ad, ErrMalformed},
		{"empty", key, nil, ad, ErrMalformed},
		{"short key", key[:16], ct, ad, ErrKeySize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := Open(tc.key, tc.sealed, tc.ad)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && string(pt) != "anna@example.com" {
				t.Fatalf("plaintext = %q", pt)
			}
			if tc.wantErr != nil && pt != nil {
				t.Fatal("plaintext returned with an error")
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	key := NewKey()
	a, _ := Seal(key, []byte("same"), nil)
	b, _ := Seal(key, []byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one plaintext are equal: nonce reuse")
	}
	if len(a) != Overhead+4 {
		t.Fatalf("len = %d", len(a))
	}
}

func TestLabelUnambiguous(t *testing.T) {
	if bytes.Equal(Label("ab", "c"), Label("a", "bc")) {
		t.Fatal("labels collide")
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// FuzzOpen feeds arbitrary bytes to Open: it must return an error, never panic or plaintext.
func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	good, _ := Seal(key, []byte("seed"), []byte("ad"))
	f.Add(good, []byte("ad"))
	f.Add([]byte{1}, []byte{})
	f.Add(make([]byte, Overhead), []byte("x"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		pt, err := Open(key, sealed, ad)
		if err == nil {
			// Only an authentic value may open; re-sealing must round-trip.
			again, serr := Seal(key, pt, ad)
			if serr != nil {
				t.Fatal(serr)
			}
			if back, err := Open(key, again, ad); err != nil || !bytes.Equal(back, pt) {
				t.Fatal("round trip failed")
			}
		} else if pt != nil {
			t.Fatal("plaintext with error")
		}
	})
}

func ExampleSeal() {
	key := NewKey()
	ad := FieldAD("customers", "0192c0de", "name", 1)
	sealed, _ := Seal(key, []byte("Zoë Ødegaard"), ad)
	plain, _ := Open(key, sealed, ad)
	_, err := Open(key, sealed, FieldAD("customers", "another-row", "name", 1))
	fmt.Println(string(plain), errors.Is(err, ErrUnauthenticated))
	// Output: Zoë Ødegaard true
}
