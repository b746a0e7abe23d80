package hubclient

import (
	"errors"
	"net"
	"strings"
	"testing"

	"spoke/sync/hub"
)

// TestErrorMapping: callers branch on sentinels, so every code the hub
// sends must land on the right one.
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		code string
		want error
	}{
		{hub.RejectRevoked, ErrRevoked},
		{hub.RejectUnknownDevice, ErrNotEnrolled},
		{hub.RejectNoCertificate, ErrNotEnrolled},
		{hub.RejectScope, ErrForbidden},
		{hub.CodeForbidden, ErrForbidden},
		{hub.RejectDeviceMismatch, ErrForbidden},
		{hub.RejectReplay, ErrReplay},
		{hub.CodeConflict, ErrReplay},
		{hub.RejectBadToken, ErrBadCode},
	}
	all := []error{ErrRevoked, ErrNotEnrolled, ErrForbidden, ErrReplay, ErrBadCode, ErrUnreachable}
	for _, c := range cases {
		err := error(&APIError{Status: 403, Code: c.code, Message: "m"})
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == c.want) {
				t.Errorf("code %s: errors.Is(%v) = %v", c.code, s, got)
			}
		}
		if !errors.Is(err, ErrRejected) {
			t.Errorf("code %s is not ErrRejected", c.code)
		}
	}
}

func TestUnreachableMessage(t *testing.T) {
	c := newClient("hub.example.org:8443", nil)
	err := c.transportError(t.Context(), &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	if !errors.Is(err, ErrUnreachable) || !strings.HasPrefix(err.Error(), "the hub at hub.example.org:8443 is unreachable: ") {
		t.Fatalf("%v", err)
	}
	var ne *net.OpError
	if !errors.As(err, &ne) {
		t.Fatal("the network error is not unwrapped")
	}
}
