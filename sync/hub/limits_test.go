package hub_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
)

// clock is a hub clock the test moves by hand, so no limit depends on how
// fast the machine runs.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// noise is text that does not compress below its entropy: base64 of n
// random bytes, which seals to a set of about n bytes.
func noise(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// TestPullPageByteBudget: a page of large sets stops before the set that
// would take it over the hub's byte budget, with fewer frames than asked
// for; paging on from the cursor header gets every set once, in order; a
// set bigger than the whole budget still comes, alone.
func TestPullPageByteBudget(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			const budget = 100 << 10
			open, _ := b.newDB(t)
			h := hubtest.StartHub(t, open, func(c *hub.Config) { c.MaxPullBytes = budget })
			ctx := context.Background()
			owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
			shop := h.EnrollShop(t, owner, "shop-counter", "shop-1")

			// Seven sets of about 30 KiB (three fit in a page), then one of
			// about 150 KiB, then one small one.
			var pushed [][]byte
			for seq := uint64(1); seq <= 9; seq++ {
				size := 30 << 10
				switch seq {
				case 8:
					size = 150 << 10
				case 9:
					size = 100
				}
				set := shop.MustSeal(t, "shop-1", seq, noise(size))
				if _, err := shop.Client.Push(ctx, set); err != nil {
					t.Fatal(err)
				}
				pushed = append(pushed, set)
			}
			var got [][]byte
			var pages []int
			var after int64
			for range 20 {
				p, err := owner.Client.Pull(ctx, after, hub.MaxPullLimit)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Frames) == 0 {
					if p.Next != after {
						t.Fatalf("an empty page moved the cursor from %d to %d", after, p.Next)
					}
					break
				}
				n := 0
				for _, f := range p.Frames {
					n += len(f.Bytes)
					got = append(got, f.Bytes)
				}
				if n > budget && len(p.Frames) > 1 {
					t.Errorf("a page of %d sets holds %d bytes, over the %d-byte budget", len(p.Frames), n, budget)
				}
				if p.Next != p.Frames[len(p.Frames)-1].Cursor {
					t.Errorf("cursor header %d, last frame %d", p.Next, p.Frames[len(p.Frames)-1].Cursor)
				}
				pages = append(pages, len(p.Frames))
				after = p.Next
			}
			if len(got) != len(pushed) {
				t.Fatalf("pulled %d sets, pushed %d (pages %v)", len(got), len(pushed), pages)
			}
			for i := range pushed {
				if string(got[i]) != string(pushed[i]) {
					t.Fatalf("set %d differs or is out of order (pages %v)", i+1, pages)
				}
			}
			if want := []int{3, 3, 1, 1, 1}; !equalInts(pages, want) {
				t.Errorf("page sizes %v, want %v: three 30 KiB sets to a 100 KiB page, the 150 KiB set alone", pages, want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPushRateLimited: a device that pushes faster than its bucket allows
// gets 429 with a Retry-After, which hubclient hands over as a
// RateLimitedError saying so; nothing of it is stored, other devices are
// not slowed, the refusal is counted, and once the clock has moved on by
// the wait the same set is accepted.
func TestPushRateLimited(t *testing.T) {
	clk := newClock()
	open, _ := sqliteBackend().newDB(t)
	h := hubtest.StartHub(t, open, func(c *hub.Config) {
		c.Now = clk.Now
		c.PushRate = 1.0 / 600 // one set every ten minutes
		c.PushBurst = 2
	})
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop-counter", "shop-1")
	other := h.EnrollShop(t, owner, "other-counter", "shop-2")
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", seq, "v")); err != nil {
			t.Fatalf("push %d within the burst: %v", seq, err)
		}
	}
	third := shop.MustSeal(t, "shop-1", 3, "v")
	_, err := shop.Client.Push(ctx, third)
	var rl *hubclient.RateLimitedError
	if !errors.As(err, &rl) || !errors.Is(err, hubclient.ErrRateLimited) {
		t.Fatalf("third push: %v, want a RateLimitedError", err)
	}
	if rl.RetryAfter != 10*time.Minute {
		t.Errorf("Retry-After %v, want 10m0s", rl.RetryAfter)
	}
	if rl.Err == nil || rl.Err.Status != 429 || rl.Err.Code != protocol.RejectRateLimited || !strings.Contains(rl.Err.Message, "600 s") {
		t.Errorf("hub refusal: %+v", rl.Err)
	}
	if msg := err.Error(); !strings.Contains(msg, "slow down") || !strings.Contains(msg, "10m0s") {
		t.Errorf("the error does not say to wait and how long: %s", msg)
	}
	if _, err := other.Client.Push(ctx, other.MustSeal(t, "shop-2", 1, "v")); err != nil {
		t.Fatalf("another device is slowed by this one: %v", err)
	}
	if n := scrapeRejects(t, owner)[protocol.RejectRateLimited]; n != 1 {
		t.Errorf("rejects{reason=rate_limited} = %d, want 1", n)
	}
	if sets, _ := h.Storage.ChangeSets(ctx, hub.ChangeSetFilter{Scopes: []string{"shop-1"}, Limit: 100}); len(sets) != 2 {
		t.Errorf("%d shop-1 sets stored, want 2", len(sets))
	}
	clk.Add(rl.RetryAfter)
	if _, err := shop.Client.Push(ctx, third); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", 4, "v")); !errors.Is(err, hubclient.ErrRateLimited) {
		t.Fatalf("a fourth push at once: %v, want rate limited again", err)
	}
}

// TestDeviceQuota: a push that would take a device over its stored-bytes
// quota is refused with 507 and a message that says what to do; other
// devices still push; the refusal is counted.
func TestDeviceQuota(t *testing.T) {
	open, _ := sqliteBackend().newDB(t)
	const quota = 50 << 10
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.DeviceQuota = quota })
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop-counter", "shop-1")
	other := h.EnrollShop(t, owner, "other-counter", "shop-2")
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", seq, noise(20<<10))); err != nil {
			t.Fatalf("push %d within the quota: %v", seq, err)
		}
	}
	_, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", 3, noise(20<<10)))
	if !errors.Is(err, hubclient.ErrQuota) {
		t.Fatalf("over the quota: %v, want ErrQuota", err)
	}
	var ae *hubclient.APIError
	if !errors.As(err, &ae) || ae.Status != 507 {
		t.Fatalf("status: %v, want 507", err)
	}
	for _, want := range []string{"--device-quota", "50.0 KiB", "nothing is lost"} {
		if !strings.Contains(ae.Message, want) {
			t.Errorf("the refusal does not say %q: %s", want, ae.Message)
		}
	}
	if _, err := other.Client.Push(ctx, other.MustSeal(t, "shop-2", 1, noise(20<<10))); err != nil {
		t.Fatalf("another device is refused for this one's quota: %v", err)
	}
	if n := scrapeRejects(t, owner)[protocol.RejectQuota]; n != 1 {
		t.Errorf("rejects{reason=quota} = %d, want 1", n)
	}
	if n, _ := h.Storage.StoredBytes(ctx, shop.ID); n > quota {
		t.Errorf("the device stored %d bytes, over its %d quota", n, quota)
	}
}

// TestPushTooLargeSaysWhatToDo: the 413 for one set over the size limit
// names the setting to raise, and hubclient maps it to ErrTooLarge.
func TestPushTooLargeSaysWhatToDo(t *testing.T) {
	open, _ := sqliteBackend().newDB(t)
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.MaxChangeSet = 4 << 10 })
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	_, err := owner.Client.Push(context.Background(), owner.MustSeal(t, "shop-1", 1, noise(8<<10)))
	var ae *hubclient.APIError
	if !errors.Is(err, hubclient.ErrTooLarge) || !errors.As(err, &ae) || ae.Status != 413 {
		t.Fatalf("push over the size limit: %v, want 413 ErrTooLarge", err)
	}
	if !strings.Contains(ae.Message, "--max-changeset") || !strings.Contains(ae.Message, "4.0 KiB") {
		t.Errorf("the refusal does not say what to do: %s", ae.Message)
	}
}

// TestExpiredEnrollmentToken: a code used after its expiry is refused, and
// the sweep (hourly, and before each new code) deletes the expired token
// and the key envelopes that waited for it, but not a pending one's.
func TestExpiredEnrollmentToken(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			clk := newClock()
			open, _ := b.newDB(t)
			h := hubtest.StartHub(t, open, func(c *hub.Config) { c.Now = clk.Now })
			ctx := context.Background()
			owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
			newCode := func(ttl time.Duration) (protocol.EnrollCode, string) {
				t.Helper()
				code, tok, err := owner.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{"shop-1"}, TTLSeconds: int64(ttl / time.Second)})
				if err != nil {
					t.Fatal(err)
				}
				if err := owner.Client.PutEnvelopes(ctx, []protocol.EnvelopeInfo{{To: protocol.TokenRecipient(tok.TokenID), Scope: "shop-1", Version: 1,
					Sealed: []byte("shop-1 key sealed under the code secret")}}); err != nil {
					t.Fatal(err)
				}
				return code, tok.TokenID
			}
			stale, staleID := newCode(time.Minute)
			fresh, freshID := newCode(time.Hour)
			clk.Add(2 * time.Minute)

			if _, err := hubtest.EnrollDevice(stale, "late-device"); !errors.Is(err, hubclient.ErrBadCode) {
				t.Fatalf("an expired code: %v, want ErrBadCode", err)
			}
			if n := scrapeRejects(t, owner)[protocol.RejectBadToken]; n != 1 {
				t.Errorf("rejects{reason=bad_token} = %d, want 1", n)
			}
			// A new code sweeps the expired one away.
			newCode(time.Hour)
			if _, err := h.Storage.Token(ctx, staleID); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("the expired token is still stored: %v", err)
			}
			if envs, _ := h.Storage.Envelopes(ctx, protocol.TokenRecipient(staleID)); len(envs) != 0 {
				t.Errorf("%d envelopes of the expired token are still stored", len(envs))
			}
			if envs, _ := h.Storage.Envelopes(ctx, protocol.TokenRecipient(freshID)); len(envs) != 1 {
				t.Errorf("the pending token's envelope is gone: %d", len(envs))
			}
			// The hub tells the redeeming device how long its code had left.
			e, err := hubclient.Enroll(ctx, fresh, hubclient.EnrollOptions{DeviceID: "on-time", SigningKey: owner.Info.SigningKey, HPKEKey: []byte("hpke")})
			if err != nil {
				t.Fatal(err)
			}
			if want := 58 * time.Minute; e.CodeValidFor != want {
				t.Errorf("code valid for %v, want %v", e.CodeValidFor, want)
			}
			// The timer's sweep, run by hand at the fresh code's expiry: the
			// used token stays, its envelopes went with the device.
			clk.Add(time.Hour)
			if err := h.Server.SweepTokens(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Storage.Token(ctx, freshID); err != nil {
				t.Errorf("a used token was deleted: %v", err)
			}
			if envs, _ := h.Storage.Envelopes(ctx, "on-time"); len(envs) != 1 {
				t.Errorf("the enrolled device's envelope: %d", len(envs))
			}
		})
	}
}
