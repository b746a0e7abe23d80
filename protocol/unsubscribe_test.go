package protocol_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"spoke/protocol"
)

func TestUnsubscribeValidators(t *testing.T) {
	tok := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{tok, true},
		{strings.Repeat("-", 43), true},
		{strings.Repeat("_", 42) + "z", true},
		{"", false},
		{tok[:42], false},
		{tok + "A", false},
		{tok[:42] + "+", false}, // the standard alphabet
		{tok[:42] + "/", false},
		{tok[:42] + "=", false}, // padding
		{tok[:42] + ".", false},
		{tok[:42] + "\n", false},
		{tok[:41] + "é", false}, // 43 bytes, not 43 characters of the alphabet
	} {
		if got := protocol.ValidUnsubscribeToken(c.token); got != c.ok {
			t.Errorf("ValidUnsubscribeToken(%q) = %v, want %v", c.token, got, c.ok)
		}
	}
	h := protocol.UnsubscribeHash(tok)
	sum := sha256.Sum256([]byte(tok))
	if h != hex.EncodeToString(sum[:]) || !protocol.ValidUnsubscribeHash(h) {
		t.Fatalf("UnsubscribeHash = %q", h)
	}
	for _, bad := range []string{"", h[:63], h + "0", strings.ToUpper(h), "g" + h[1:], tok} {
		if protocol.ValidUnsubscribeHash(bad) {
			t.Errorf("ValidUnsubscribeHash(%q) = true", bad)
		}
	}
}

// FuzzUnsubscribeValidators checks both validators against the standard library: a token is
// valid exactly when it is 43 characters that base64url (no padding) decodes to 32 bytes, and
// a hash exactly when it is 64 characters of lower-case hex; the hash of any string is valid.
func FuzzUnsubscribeValidators(f *testing.F) {
	for _, s := range []string{"", base64.RawURLEncoding.EncodeToString(make([]byte, 32)), strings.Repeat("A", 43), strings.Repeat("A", 42) + "\n",
		strings.Repeat("a", 64), strings.Repeat("F", 64), "../v1/devices"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		wantTok := len(s) == 43 && !strings.ContainsAny(s, "\r\n") && err == nil && len(b) == 32
		if got := protocol.ValidUnsubscribeToken(s); got != wantTok {
			t.Fatalf("ValidUnsubscribeToken(%q) = %v, want %v", s, got, wantTok)
		}
		_, herr := hex.DecodeString(s)
		wantHash := len(s) == 64 && herr == nil && s == strings.ToLower(s)
		if got := protocol.ValidUnsubscribeHash(s); got != wantHash {
			t.Fatalf("ValidUnsubscribeHash(%q) = %v, want %v", s, got, wantHash)
		}
		if !protocol.ValidUnsubscribeHash(protocol.UnsubscribeHash(s)) {
			t.Fatalf("the hash of %q is not valid", s)
		}
	})
}
