package blind

import (
	"bytes"
	"testing"

	"spoke/crypto/keys"
)

func TestBlindIndex(t *testing.T) {
	scope := keys.New()
	email, phone := DeriveKey(scope, "email"), DeriveKey(scope, "phone")
	a := email.Sum("anna@example.com")
	tests := []struct {
		name string
		got  []byte
		same bool
	}{
		{"deterministic", email.Sum("anna@example.com"), true},
		{"other value", email.Sum("anna@example.org"), false},
		{"other field key", phone.Sum("anna@example.com"), false},
		{"other scope", DeriveKey(keys.New(), "email").Sum("anna@example.com"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.got) != Size {
				t.Fatalf("size %d", len(tc.got))
			}
			if bytes.Equal(a, tc.got) != tc.same {
				t.Fatalf("equal = %v, want %v", !tc.same, tc.same)
			}
		})
	}
}
