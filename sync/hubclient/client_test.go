package hubclient

import (
	"errors"
	"net"
	"spoke/protocol"
	"strings"
	"testing"
	"time"
)

// TestErrorMapping: callers branch on sentinels, so every code the hub
// sends must land on the right one.
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		code string
		want error
	}{
		{protocol.RejectRevoked, ErrRevoked},
		{protocol.RejectUnknownDevice, ErrNotEnrolled},
		{protocol.RejectNoCertificate, ErrNotEnrolled},
		{protocol.RejectScope, ErrForbidden},
		{protocol.CodeForbidden, ErrForbidden},
		{protocol.RejectDeviceMismatch, ErrForbidden},
		{protocol.RejectReplay, ErrReplay},
		{protocol.CodeConflict, ErrReplay},
		{protocol.RejectBadToken, ErrBadCode},
		{protocol.RejectTooLarge, ErrTooLarge},
		{protocol.RejectQuota, ErrQuota},
		{protocol.RejectRateLimited, ErrRateLimited},
	}
	all := []error{ErrRevoked, ErrNotEnrolled, ErrForbidden, ErrReplay, ErrBadCode, ErrUnreachable, ErrTooLarge, ErrQuota, ErrRateLimited}
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

// TestRetryAfter: the hub's wait is honoured, but never below a second or
// above an hour, and an unreadable one waits a minute.
func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"12": 12 * time.Second, " 3 ": 3 * time.Second, "0": time.Second, "86400": time.Hour,
		"": time.Minute, "soon": time.Minute, "-5": time.Minute, "Wed, 21 Oct 2015 07:28:00 GMT": time.Minute,
	} {
		if got := retryAfter(in); got != want {
			t.Errorf("Retry-After %q: %v, want %v", in, got, want)
		}
	}
	err := error(&RateLimitedError{RetryAfter: 5 * time.Second, Err: &APIError{Status: 429, Code: protocol.RejectRateLimited}})
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, ErrRejected) || errors.Is(err, ErrQuota) {
		t.Errorf("RateLimitedError sentinels: %v", err)
	}
}

// TestCodeValidFor: a hub cannot make a spoke keep a code's secret longer
// than any code lives.
func TestCodeValidFor(t *testing.T) {
	for in, want := range map[int64]time.Duration{
		3600: time.Hour, 1: time.Second, 0: protocol.MaxTokenTTL, -1: protocol.MaxTokenTTL, 1 << 40: protocol.MaxTokenTTL,
	} {
		if got := codeValidFor(in); got != want {
			t.Errorf("%d s: %v, want %v", in, got, want)
		}
	}
}
