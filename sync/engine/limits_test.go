package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
)

// newShopDevice makes a code on the owner's device and redeems it on a fresh replica,
// without syncing yet.
func newShopDevice(t testing.TB, a *spoke, owner *store.Session, shopID string) *spoke {
	t.Helper()
	ctx := context.Background()
	code, err := AddDevice(ctx, owner, a.hc, shopID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := protocol.DecodeEnrollCode(code)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := store.CreateReplica(ctx, t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return connect(t, st, c)
}

// TestEnrollmentSecretDeletedAfterFirstSync: the code's one-time secret is kept only until
// the first sync has opened the envelopes sealed under it.
func TestEnrollmentSecretDeletedAfterFirstSync(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	s := newShopDevice(t, a, owner, north)
	if _, err := s.st.Replica().Secret(ctx, secretEnrollment); err != nil {
		t.Fatalf("Connect did not keep the enrollment secret: %v", err)
	}
	r := s.sync(t)
	if r.KeysImported == 0 {
		t.Fatal("the first sync imported no keys")
	}
	if _, err := s.st.Replica().Secret(ctx, secretEnrollment); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the enrollment secret is still stored after the first sync: %v", err)
	}
	// Later rounds work without it.
	id := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "After Enrollment", ShopID: north}))
	a.sync(t)
	s.sync(t)
	var v any
	if err := s.st.Replica().RawValue(ctx, "customers", id, "shop_id", &v); err != nil {
		t.Fatalf("the shop device no longer syncs: %v", err)
	}
}

// TestExpiredEnrollmentSecretRefused: a device whose first sync comes after its code would
// have expired does not use the secret (an envelope under it could be a plant by someone who
// saw the code) and deletes it.
func TestExpiredEnrollmentSecretRefused(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	s := newShopDevice(t, a, owner, north)
	// AddDevice asks for the default one-day code; a day and a minute later:
	s.eng.now = func() time.Time { return time.Now().Add(24*time.Hour + time.Minute) }
	r, _ := s.eng.SyncNow(ctx) // fails for want of keys: that is the point
	if r.KeysImported != 0 {
		t.Fatalf("imported %d keys with an expired enrollment secret", r.KeysImported)
	}
	if _, err := s.st.Replica().Secret(ctx, secretEnrollment); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the expired enrollment secret is still stored: %v", err)
	}
	for _, sc := range []string{store.OrgScope, north} {
		if _, _, err := s.st.Replica().ScopeKey(ctx, sc, 0); err == nil {
			t.Errorf("the device holds a key for %s", sc)
		}
	}
}

// TestPullGoesOnPastShortPages: the hub cuts pages by bytes, so a page with fewer frames
// than asked for is not the end; the engine pulls until a page is empty.
func TestPullGoesOnPastShortPages(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	var ids []string
	for _, name := range []string{"One", "Two", "Three", "Four"} {
		ids = append(ids, must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: name, ShopID: north})))
		a.sync(t) // a set each
	}
	s := newShopDevice(t, a, owner, north)
	s.eng.hub = onePerPage{s.hc}
	s.sync(t)
	for _, id := range ids {
		var v any
		if err := s.st.Replica().RawValue(ctx, "customers", id, "shop_id", &v); err != nil {
			t.Fatalf("customer %s did not arrive through one-set pages: %v", id, err)
		}
	}
}

// onePerPage is a hub whose byte budget fits one set per page.
type onePerPage struct{ Hub }

func (h onePerPage) Pull(ctx context.Context, after int64, limit int) (hubclient.Page, error) {
	p, err := h.Hub.Pull(ctx, after, limit)
	if err == nil && len(p.Frames) > 1 {
		p.Frames = p.Frames[:1]
		p.Next = p.Frames[0].Cursor
	}
	return p, err
}

// TestNextWait: after a 429 the background loop waits at least the hub's Retry-After and
// lets no poke cut that short; other failures back off by doubling; success resets.
func TestNextWait(t *testing.T) {
	limited := &hubclient.RateLimitedError{RetryAfter: 90 * time.Second, Err: &hubclient.APIError{Status: 429, Code: protocol.RejectRateLimited}}
	cases := []struct {
		name string
		prev time.Duration
		err  error
		want time.Duration
		hold bool
	}{
		{"success", 4 * time.Minute, nil, 30 * time.Second, false},
		{"hub down", 30 * time.Second, hubclient.ErrUnreachable, time.Minute, false},
		{"hub down for long", 4 * time.Minute, hubclient.ErrUnreachable, 5 * time.Minute, false},
		{"rate limited", 30 * time.Second, limited, 90 * time.Second, true},
		{"rate limited, wrapped", 4 * time.Minute, fmt.Errorf("push: %w", limited), 90 * time.Second, true},
	}
	for _, c := range cases {
		got, hold := nextWait(c.prev, 30*time.Second, c.err)
		if got != c.want || hold != c.hold {
			t.Errorf("%s: wait %v hold %v, want %v %v", c.name, got, hold, c.want, c.hold)
		}
	}
}
