package hubclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSnapshotPartBounded: a hub that sends more than a part can be (with or without a
// Content-Length) gets an error, not a device that reads without limit.
func TestSnapshotPartBounded(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	big := strings.Repeat("x", maxSnapshotPart+1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/0"): // declared too large
			w.Header().Set("Content-Length", "999999999")
			w.WriteHeader(http.StatusOK)
		case strings.HasSuffix(r.URL.Path, "/1"): // streamed, no length
			w.(http.Flusher).Flush()
			w.Write([]byte(big))
		default:
			w.Write([]byte("a part"))
		}
	}))
	defer srv.Close()
	c := newClient(srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	defer c.Close()
	ctx := context.Background()
	for _, part := range []uint32{0, 1} {
		if b, err := c.SnapshotPart(ctx, "shop-1", id, part); !errors.Is(err, errPartTooLarge) {
			t.Errorf("part %d: %d bytes, %v; want errPartTooLarge", part, len(b), err)
		}
	}
	if b, err := c.SnapshotPart(ctx, "shop-1", id, 2); err != nil || string(b) != "a part" {
		t.Errorf("a part within the bound: %q %v", b, err)
	}
	// Malformed ids never reach the hub as a path.
	for _, bad := range []struct{ scope, id string }{{"shop-1", "../../v1/tokens"}, {"shop/1", id}, {"shop-1", strings.ToUpper(id)}} {
		if err := c.PutSnapshotPart(ctx, bad.scope, bad.id, 0, nil); !errors.Is(err, ErrRejected) {
			t.Errorf("scope %q id %q: %v", bad.scope, bad.id, err)
		}
		if _, err := c.CommitSnapshot(ctx, bad.scope, bad.id); !errors.Is(err, ErrRejected) {
			t.Errorf("commit scope %q id %q: %v", bad.scope, bad.id, err)
		}
	}
}
