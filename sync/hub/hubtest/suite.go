// Package hubtest holds what the hub's tests share: the storage conformance
// suite that every hub.Storage implementation runs (restic's backend test
// Suite idea), a loopback test hub with enrolled devices, and the throw-away
// PostgreSQL schema helper. It is imported by tests only.
package hubtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

// Suite is the storage conformance suite.
type Suite struct {
	// NewDatabase makes a fresh, empty database for one test and returns a
	// function that opens a handle on it. Tests that model two hub processes
	// call it twice. The handles are closed by the opener's t.Cleanup.
	NewDatabase func(t *testing.T) (open func() hub.Storage)
}

// Run runs every conformance test.
func (s Suite) Run(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*testing.T, func() hub.Storage)
	}{
		{"ChangeSetsPutAndFilter", testChangeSetsPutAndFilter},
		{"ChangeSetsIdempotentByDeviceAndSeq", testChangeSetsIdempotent},
		{"ChangeSetsNoSkippedCursorUnderConcurrentWriters", testNoSkippedCursor},
		{"ChangeSetsByteBudget", testChangeSetsByteBudget},
		{"StoredBytes", testStoredBytes},
		{"Devices", testDevices},
		{"Revoke", testRevoke},
		{"RevokeOwnersConcurrently", testRevokeOwnersConcurrently},
		{"Tokens", testTokens},
		{"TokenRedeemsOnceUnderConcurrency", testTokenRedeemsOnce},
		{"DeleteExpiredTokens", testDeleteExpiredTokens},
		{"Envelopes", testEnvelopes},
		{"Checkpoints", testCheckpoints},
		{"Roster", testRoster},
		{"RosterAppendsOnceUnderConcurrency", testRosterConcurrent},
		{"Pulled", testPulled},
		{"DeviceVersions", testDeviceVersions},
		{"SnapshotStaging", testSnapshotStaging},
		{"SnapshotCommit", testSnapshotCommit},
		{"SnapshotCommitsConcurrently", testSnapshotCommitsConcurrently},
		{"DeleteStaleSnapshots", testDeleteStaleSnapshots},
		{"Unsubscribe", testUnsubscribe},
		{"UnsubscribeConcurrent", testUnsubscribeConcurrent},
		{"Ping", func(t *testing.T, open func() hub.Storage) {
			if err := open().Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, s.NewDatabase(t))
		})
	}
}

// t0 is a fixed, millisecond-aligned time: backends store milliseconds or
// microseconds, and the suite compares round trips exactly.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func cs(device string, seq uint64, scope string, body string) hub.ChangeSet {
	return hub.ChangeSet{Device: device, Seq: seq, Scope: scope, KeyVersion: 1, Bytes: []byte(body), ReceivedAt: t0}
}

func testChangeSetsPutAndFilter(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	var cursors []int64
	for i, c := range []hub.ChangeSet{
		cs("dev-a", 1, "shop-1", "one"),
		cs("dev-a", 2, "org", "two"),
		cs("dev-b", 1, "shop-2", "three"),
		cs("dev-b", 2, "shop-1", "four"),
	} {
		c.KeyVersion = uint32(i + 1)
		cur, dup, err := st.PutChangeSet(ctx, c)
		if err != nil || dup {
			t.Fatalf("put %d: cursor %d dup %v err %v", i, cur, dup, err)
		}
		if len(cursors) > 0 && cur <= cursors[len(cursors)-1] {
			t.Fatalf("cursor %d not above %d", cur, cursors[len(cursors)-1])
		}
		cursors = append(cursors, cur)
	}
	all, err := st.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: 100})
	if err != nil || len(all) != 4 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	want := hub.ChangeSet{Cursor: cursors[2], Device: "dev-b", Seq: 1, Scope: "shop-2", KeyVersion: 3, Bytes: []byte("three"), ReceivedAt: t0}
	if !reflect.DeepEqual(all[2], want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", all[2], want)
	}
	shop1, err := st.ChangeSets(ctx, hub.ChangeSetFilter{Scopes: []string{"org", "shop-1"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := bodies(shop1); got != "one,two,four" {
		t.Errorf("scopes org+shop-1: %s", got)
	}
	after, _ := st.ChangeSets(ctx, hub.ChangeSetFilter{After: cursors[0], Scopes: []string{"org", "shop-1"}, Limit: 1})
	if got := bodies(after); got != "two" {
		t.Errorf("after first, limit 1: %s", got)
	}
	none, _ := st.ChangeSets(ctx, hub.ChangeSetFilter{Limit: 100})
	if len(none) != 0 {
		t.Errorf("an empty scope list must select nothing, got %d", len(none))
	}
	none, _ = st.ChangeSets(ctx, hub.ChangeSetFilter{After: cursors[3], AllScopes: true, Limit: 100})
	if len(none) != 0 {
		t.Errorf("after the last cursor: %d", len(none))
	}
}

func bodies(sets []hub.ChangeSet) string {
	var b bytes.Buffer
	for i, c := range sets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(c.Bytes)
	}
	return b.String()
}

func testChangeSetsIdempotent(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	c1, dup, err := st.PutChangeSet(ctx, cs("dev-a", 7, "shop-1", "sealed bytes"))
	if err != nil || dup {
		t.Fatal(dup, err)
	}
	c2, dup, err := st.PutChangeSet(ctx, cs("dev-a", 7, "shop-1", "sealed bytes"))
	if err != nil || !dup || c2 != c1 {
		t.Fatalf("same bytes again: cursor %d (first %d) dup %v err %v", c2, c1, dup, err)
	}
	if _, _, err := st.PutChangeSet(ctx, cs("dev-a", 7, "shop-1", "other bytes")); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("other bytes, same seq: %v, want ErrConflict", err)
	}
	// Another device may use the same sequence number.
	if _, dup, err := st.PutChangeSet(ctx, cs("dev-b", 7, "shop-1", "other bytes")); err != nil || dup {
		t.Fatal(dup, err)
	}
	all, _ := st.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: 100})
	if len(all) != 2 {
		t.Fatalf("stored %d change-sets, want 2", len(all))
	}
	if _, _, err := st.PutChangeSet(ctx, cs("dev-a", 1<<63, "shop-1", "x")); err == nil {
		t.Error("a sequence number beyond int64 must be refused")
	}
}

// testNoSkippedCursor is the property a pulling device depends on: paging by
// cursor while others write never misses a change-set. Writers go through two
// handles (two hub processes on one database); a reader pages concurrently.
func testNoSkippedCursor(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	handles := []hub.Storage{open(), open()}
	const writers, each = 6, 25
	total := writers * each
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				st := handles[(w+i)%2]
				if _, _, err := st.PutChangeSet(ctx, cs(fmt.Sprintf("dev-%d", w), uint64(i+1), "shop-1", fmt.Sprintf("w%d-%d", w, i))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	seen := map[string]bool{}
	var after int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := false
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := handles[1].ChangeSets(ctx, hub.ChangeSetFilter{After: after, Scopes: []string{"shop-1"}, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			if c.Cursor <= after {
				t.Fatalf("cursor %d not above %d", c.Cursor, after)
			}
			after = c.Cursor
			if seen[string(c.Bytes)] {
				t.Fatalf("change-set seen twice")
			}
			seen[string(c.Bytes)] = true
		}
		// Stop only after a read that began once every writer had finished.
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Fatalf("the paging reader saw %d of %d change-sets: a cursor was skipped", len(seen), total)
	}
}

// testChangeSetsByteBudget: a page stops before the set that would take it
// over its byte budget, always holds at least one set, counts only the sets
// it returns (not those of other scopes), and paging on from its last cursor
// sees every set once.
func testChangeSetsByteBudget(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	body := func(i, n int) string { return fmt.Sprintf("%d%s", i, strings.Repeat("x", n-1)) }
	// shop-1 sets of 10, 20, 30, 40 and 50 bytes; a 1000-byte shop-2 set in
	// between that a shop-1 reader must not be charged for.
	var cursors []int64
	for i, c := range []hub.ChangeSet{
		cs("dev-a", 1, "shop-1", body(1, 10)),
		cs("dev-a", 2, "shop-1", body(2, 20)),
		cs("dev-b", 1, "shop-2", body(9, 1000)),
		cs("dev-a", 3, "shop-1", body(3, 30)),
		cs("dev-a", 4, "shop-1", body(4, 40)),
		cs("dev-a", 5, "shop-1", body(5, 50)),
	} {
		cur, _, err := st.PutChangeSet(ctx, c)
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		cursors = append(cursors, cur)
	}
	lens := func(sets []hub.ChangeSet) string {
		var out []string
		for _, c := range sets {
			out = append(out, fmt.Sprint(len(c.Bytes)))
		}
		return strings.Join(out, ",")
	}
	shop1 := []string{"shop-1"}
	for _, tc := range []struct {
		name     string
		f        hub.ChangeSetFilter
		want     string
		wantLast int64
	}{
		{"exactly full", hub.ChangeSetFilter{Scopes: shop1, Limit: 100, MaxBytes: 30}, "10,20", cursors[1]},
		{"one byte short", hub.ChangeSetFilter{Scopes: shop1, Limit: 100, MaxBytes: 29}, "10", cursors[0]},
		{"a first set over the budget still moves", hub.ChangeSetFilter{Scopes: shop1, Limit: 100, MaxBytes: 5}, "10", cursors[0]},
		{"other scopes do not count", hub.ChangeSetFilter{After: cursors[1], Scopes: shop1, Limit: 100, MaxBytes: 70}, "30,40", cursors[4]},
		{"the count limit still holds", hub.ChangeSetFilter{Scopes: shop1, Limit: 2, MaxBytes: 1 << 20}, "10,20", cursors[1]},
		{"all scopes count the big set", hub.ChangeSetFilter{After: cursors[0], AllScopes: true, Limit: 100, MaxBytes: 1010}, "20", cursors[1]},
		{"a big set alone", hub.ChangeSetFilter{After: cursors[1], AllScopes: true, Limit: 100, MaxBytes: 1010}, "1000", cursors[2]},
		{"no budget", hub.ChangeSetFilter{Scopes: shop1, Limit: 100}, "10,20,30,40,50", cursors[5]},
		{"nothing after the last", hub.ChangeSetFilter{After: cursors[5], Scopes: shop1, Limit: 100, MaxBytes: 5}, "", 0},
	} {
		got, err := st.ChangeSets(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if lens(got) != tc.want {
			t.Errorf("%s: set sizes %q, want %q", tc.name, lens(got), tc.want)
		}
		if len(got) > 0 && got[len(got)-1].Cursor != tc.wantLast {
			t.Errorf("%s: last cursor %d, want %d", tc.name, got[len(got)-1].Cursor, tc.wantLast)
		}
	}
	// Paging with a budget smaller than most sets skips nothing.
	var after int64
	var seen []string
	for range 20 {
		page, err := st.ChangeSets(ctx, hub.ChangeSetFilter{After: after, AllScopes: true, Limit: 100, MaxBytes: 35})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			seen = append(seen, string(c.Bytes[:1]))
		}
		after = page[len(page)-1].Cursor
	}
	if got := strings.Join(seen, ""); got != "129345" {
		t.Errorf("paged by a 35-byte budget: %s, want 129345 (each set once, in order)", got)
	}
}

// testStoredBytes: a device's stored bytes count each of its change-sets
// once (a duplicate push adds nothing) and no other device's.
func testStoredBytes(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	if n, err := st.StoredBytes(ctx, "dev-a"); err != nil || n != 0 {
		t.Fatalf("no sets yet: %d %v", n, err)
	}
	for _, c := range []hub.ChangeSet{
		cs("dev-a", 1, "shop-1", "12345"),
		cs("dev-a", 2, "org", "1234567"),
		cs("dev-a", 2, "org", "1234567"), // duplicate
		cs("dev-b", 1, "shop-1", strings.Repeat("b", 100)),
	} {
		if _, _, err := st.PutChangeSet(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.StoredBytes(ctx, "dev-a"); err != nil || n != 12 {
		t.Fatalf("dev-a: %d %v, want 12", n, err)
	}
	if n, _ := st.StoredBytes(ctx, "dev-b"); n != 100 {
		t.Fatalf("dev-b: %d, want 100", n)
	}
}

func device(id string, role protocol.Role, scopes ...string) hub.Device {
	return hub.Device{ID: id, Role: role, Scopes: scopes, SigningKey: bytes.Repeat([]byte{1}, 32), HPKEKey: []byte("hpke-public"),
		CertSerial: "abc123", Status: protocol.StatusActive, EnrolledAt: t0}
}

func testDevices(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	if _, err := st.Device(ctx, "nope"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	owner := device("owner-1", protocol.RoleOwner)
	shop := device("shop-dev", protocol.RoleShop, "shop-1", "shop-2")
	shop.Label = []byte("sealed label")
	for _, d := range []hub.Device{shop, owner} {
		if err := st.AddDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddDevice(ctx, owner); !errors.Is(err, hub.ErrExists) {
		t.Fatalf("same id twice: %v", err)
	}
	got, err := st.Device(ctx, "shop-dev")
	if err != nil || !reflect.DeepEqual(got, shop) {
		t.Fatalf("round trip:\n got %+v\nwant %+v (%v)", got, shop, err)
	}
	got, _ = st.Device(ctx, "owner-1")
	if got.Scopes != nil || got.Label != nil || !got.LastSeen.IsZero() || !got.RevokedAt.IsZero() {
		t.Errorf("owner device: empty fields must come back empty: %+v", got)
	}
	all, err := st.Devices(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "owner-1" || all[1].ID != "shop-dev" {
		t.Fatalf("Devices: %+v %v", all, err)
	}
	seen := t0.Add(time.Hour)
	if err := st.TouchDevice(ctx, "shop-dev", seen); err != nil {
		t.Fatal(err)
	}
	// An older time never moves last_seen back (two hubs, skewed clocks).
	if err := st.TouchDevice(ctx, "shop-dev", t0); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Device(ctx, "shop-dev")
	if !got.LastSeen.Equal(seen) {
		t.Errorf("last seen %v, want %v", got.LastSeen, seen)
	}
	if err := st.TouchDevice(ctx, "nope", seen); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("touch unknown: %v", err)
	}
}

func testRevoke(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	for _, d := range []hub.Device{device("owner-1", protocol.RoleOwner), device("owner-2", protocol.RoleOwner), device("shop-dev", protocol.RoleShop, "shop-1")} {
		if err := st.AddDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	at := t0.Add(time.Minute)
	if err := st.RevokeDevice(ctx, "shop-dev", at); err != nil {
		t.Fatal(err)
	}
	d, _ := st.Device(ctx, "shop-dev")
	if d.Status != protocol.StatusRevoked || !d.RevokedAt.Equal(at) {
		t.Fatalf("after revoke: %s %v", d.Status, d.RevokedAt)
	}
	if err := st.RevokeDevice(ctx, "shop-dev", at.Add(time.Hour)); err != nil {
		t.Fatalf("revoke twice: %v", err)
	}
	if d, _ := st.Device(ctx, "shop-dev"); !d.RevokedAt.Equal(at) {
		t.Error("a second revoke must not move the revocation time")
	}
	if err := st.RevokeDevice(ctx, "nope", at); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if err := st.RevokeDevice(ctx, "owner-1", at); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeDevice(ctx, "owner-2", at); !errors.Is(err, hub.ErrLastOwner) {
		t.Fatalf("revoke the last owner: %v, want ErrLastOwner", err)
	}
}

func testRevokeOwnersConcurrently(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	a, b := open(), open()
	for _, d := range []hub.Device{device("owner-1", protocol.RoleOwner), device("owner-2", protocol.RoleOwner)} {
		if err := a.AddDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []hub.Storage{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.RevokeDevice(ctx, fmt.Sprintf("owner-%d", 2-i), t0)
		}()
	}
	wg.Wait()
	lastOwner := 0
	for _, err := range errs {
		if errors.Is(err, hub.ErrLastOwner) {
			lastOwner++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if lastOwner != 1 {
		t.Fatalf("two owners revoking each other at once: %v; exactly one must get ErrLastOwner", errs)
	}
}

func token(id string, secret []byte, role protocol.Role, scopes ...string) hub.Token {
	return hub.Token{ID: id, SecretHash: hub.HashTokenSecret(secret), Role: role, Scopes: scopes, CreatedBy: "owner-1",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func testTokens(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok := token("tok-1", secret, protocol.RoleShop, "shop-1")
	tok.Label = []byte("sealed label from the owner")
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, tok); !errors.Is(err, hub.ErrExists) {
		t.Fatalf("same token id twice: %v", err)
	}
	got, err := st.Token(ctx, "tok-1")
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Fatalf("round trip:\n got %+v\nwant %+v (%v)", got, tok, err)
	}
	if _, err := st.Token(ctx, "nope"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	// An envelope left for the device before it enrolls follows it.
	if err := st.PutEnvelope(ctx, hub.Envelope{To: protocol.TokenRecipient("tok-1"), Scope: "shop-1", Version: 1, From: "owner-1",
		Sealed: []byte("sealed under the code's secret"), UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	d := device("new-dev", "")
	if _, err := st.RedeemToken(ctx, "tok-1", hub.HashTokenSecret([]byte("wrong secret")), now, d); !errors.Is(err, hub.ErrTokenInvalid) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := st.RedeemToken(ctx, "tok-1", tok.SecretHash, t0.Add(2*time.Hour), d); !errors.Is(err, hub.ErrTokenInvalid) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := st.RedeemToken(ctx, "nope", tok.SecretHash, now, d); !errors.Is(err, hub.ErrTokenInvalid) {
		t.Fatalf("unknown: %v", err)
	}
	// A device id already taken fails and leaves the token usable.
	if err := st.AddDevice(ctx, device("taken", protocol.RoleShop, "shop-9")); err != nil {
		t.Fatal(err)
	}
	taken := d
	taken.ID = "taken"
	if _, err := st.RedeemToken(ctx, "tok-1", tok.SecretHash, now, taken); !errors.Is(err, hub.ErrExists) {
		t.Fatalf("taken device id: %v", err)
	}
	if got, _ := st.Token(ctx, "tok-1"); !got.UsedAt.IsZero() {
		t.Fatal("a failed redemption used the token")
	}
	red, err := st.RedeemToken(ctx, "tok-1", tok.SecretHash, now, d)
	if err != nil {
		t.Fatal(err)
	}
	if red.Role != protocol.RoleShop || !reflect.DeepEqual(red.Scopes, []string{"shop-1"}) || string(red.Label) != string(tok.Label) {
		t.Fatalf("redeemed device must take the token's grant: %+v", red)
	}
	stored, _ := st.Device(ctx, "new-dev")
	if !reflect.DeepEqual(stored, red) {
		t.Fatalf("stored device differs from the one returned:\n%+v\n%+v", stored, red)
	}
	if got, _ := st.Token(ctx, "tok-1"); !got.UsedAt.Equal(now) || got.Device != "new-dev" {
		t.Fatalf("token after use: %+v", got)
	}
	if _, err := st.RedeemToken(ctx, "tok-1", tok.SecretHash, now, device("another", "")); !errors.Is(err, hub.ErrTokenInvalid) {
		t.Fatalf("second use: %v", err)
	}
	envs, _ := st.Envelopes(ctx, "new-dev")
	if len(envs) != 1 || string(envs[0].Sealed) != "sealed under the code's secret" {
		t.Fatalf("envelopes did not follow the device: %+v", envs)
	}
	if envs, _ := st.Envelopes(ctx, protocol.TokenRecipient("tok-1")); len(envs) != 0 {
		t.Fatal("envelopes left behind at the token")
	}
}

func testTokenRedeemsOnce(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	handles := []hub.Storage{open(), open()}
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok := token("tok-race", secret, protocol.RoleOwner)
	if err := handles[0].CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = handles[i%2].RedeemToken(ctx, "tok-race", tok.SecretHash, t0, device(fmt.Sprintf("dev-%d", i), ""))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, hub.ErrTokenInvalid):
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions of one token succeeded, want 1", ok)
	}
	if all, _ := handles[0].Devices(ctx); len(all) != 1 {
		t.Fatalf("%d devices enrolled with one token", len(all))
	}
}

// testDeleteExpiredTokens: expired unused tokens go, with the envelopes
// waiting for them; pending and used tokens stay; envelopes addressed to a
// token that is not pending any more go too; device envelopes are untouched.
func testDeleteExpiredTokens(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	secret := []byte("0123456789abcdef0123456789abcdef")
	expired := token("tok-old", secret, protocol.RoleShop, "shop-1")
	expired.ExpiresAt = t0.Add(time.Minute)
	pending := token("tok-new", secret, protocol.RoleShop, "shop-1")
	pending.ExpiresAt = t0.Add(2 * time.Hour)
	used := token("tok-used", secret, protocol.RoleOwner)
	for _, tok := range []hub.Token{expired, pending, used} {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RedeemToken(ctx, "tok-used", used.SecretHash, t0, device("new-dev", "")); err != nil {
		t.Fatal(err)
	}
	put := func(to string) {
		t.Helper()
		if err := st.PutEnvelope(ctx, hub.Envelope{To: to, Scope: "shop-1", Version: 1, From: "owner-1", Sealed: []byte("sealed " + to), UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	put(protocol.TokenRecipient("tok-old"))
	put(protocol.TokenRecipient("tok-new"))
	put(protocol.TokenRecipient("tok-used")) // arrived after the redemption: never delivered
	put(protocol.TokenRecipient("tok-gone")) // no such token
	put("new-dev")

	now := t0.Add(time.Hour)
	toks, envs, err := st.DeleteExpiredTokens(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if toks != 1 || envs != 3 {
		t.Errorf("deleted %d tokens and %d envelopes, want 1 and 3", toks, envs)
	}
	if _, err := st.Token(ctx, "tok-old"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("expired token: %v, want ErrNotFound", err)
	}
	for _, id := range []string{"tok-new", "tok-used"} {
		if _, err := st.Token(ctx, id); err != nil {
			t.Errorf("token %s: %v", id, err)
		}
	}
	for to, want := range map[string]int{
		protocol.TokenRecipient("tok-old"): 0, protocol.TokenRecipient("tok-used"): 0, protocol.TokenRecipient("tok-gone"): 0,
		protocol.TokenRecipient("tok-new"): 1, "new-dev": 1,
	} {
		if got, _ := st.Envelopes(ctx, to); len(got) != want {
			t.Errorf("envelopes to %s: %d, want %d", to, len(got), want)
		}
	}
	// Again: nothing left to delete. At the pending token's expiry it goes.
	if toks, envs, err := st.DeleteExpiredTokens(ctx, now); err != nil || toks != 0 || envs != 0 {
		t.Errorf("second sweep: %d %d %v", toks, envs, err)
	}
	if toks, envs, err := st.DeleteExpiredTokens(ctx, pending.ExpiresAt); err != nil || toks != 1 || envs != 1 {
		t.Errorf("sweep at the pending token's expiry: %d %d %v", toks, envs, err)
	}
	if _, err := st.Token(ctx, "tok-used"); err != nil {
		t.Errorf("a used token must stay: %v", err)
	}
}

func testEnvelopes(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	put := func(to, scope string, v uint32, sealed string) {
		t.Helper()
		if err := st.PutEnvelope(ctx, hub.Envelope{To: to, Scope: scope, Version: v, From: "owner-1", Sealed: []byte(sealed), UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	put("dev-1", "shop-1", 2, "s1v2")
	put("dev-1", "org", 1, "orgv1")
	put("dev-1", "shop-1", 1, "s1v1")
	put("dev-2", "shop-1", 1, "other device")
	put("dev-1", "shop-1", 1, "s1v1 re-wrapped")
	envs, err := st.Envelopes(ctx, "dev-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range envs {
		got = append(got, fmt.Sprintf("%s/%d=%s", e.Scope, e.Version, e.Sealed))
	}
	if want := "[org/1=orgv1 shop-1/1=s1v1 re-wrapped shop-1/2=s1v2]"; fmt.Sprint(got) != want {
		t.Fatalf("envelopes %v, want %s", got, want)
	}
	want := hub.Envelope{To: "dev-1", Scope: "org", Version: 1, From: "owner-1", Sealed: []byte("orgv1"), UpdatedAt: t0}
	if !reflect.DeepEqual(envs[0], want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", envs[0], want)
	}
	if envs, _ := st.Envelopes(ctx, "dev-3"); len(envs) != 0 {
		t.Error("envelopes for a device that has none")
	}
}

func testCheckpoints(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	if _, err := st.LatestCheckpoint(ctx, "dev-1"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("no checkpoint yet: %v", err)
	}
	cp := func(seq uint64, head string) protocol.Checkpoint {
		return protocol.Checkpoint{Device: "dev-1", Seq: seq, Head: []byte(head), Signature: []byte("sig-" + head), ReceivedAt: t0}
	}
	for _, c := range []protocol.Checkpoint{cp(10, "h10"), cp(30, "h30"), cp(20, "h20")} {
		if err := st.PutCheckpoint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutCheckpoint(ctx, protocol.Checkpoint{Device: "dev-2", Seq: 99, Head: []byte("x"), Signature: []byte("y"), ReceivedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCheckpoint(ctx, cp(20, "h20")); err != nil {
		t.Fatalf("the same checkpoint again: %v", err)
	}
	if err := st.PutCheckpoint(ctx, cp(20, "rewritten")); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("a rewritten checkpoint: %v, want ErrConflict", err)
	}
	latest, err := st.LatestCheckpoint(ctx, "dev-1")
	if err != nil || !reflect.DeepEqual(latest, cp(30, "h30")) {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	hist, err := st.Checkpoints(ctx, "dev-1", 10, 1)
	if err != nil || len(hist) != 1 || hist[0].Seq != 20 {
		t.Fatalf("after 10, limit 1: %+v %v", hist, err)
	}
	hist, _ = st.Checkpoints(ctx, "dev-1", 0, 100)
	if len(hist) != 3 || hist[0].Seq != 10 || hist[2].Seq != 30 {
		t.Fatalf("history: %+v", hist)
	}
}

// testRoster: entries append only at the end, a retry of the same bytes is fine, other bytes
// at a taken position or a gap are ErrConflict; heads are one per device, replaced.
func testRoster(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	if n, err := st.RosterLen(ctx); err != nil || n != 0 {
		t.Fatalf("empty roster: %d %v", n, err)
	}
	for i, e := range []string{"genesis", "add-1", "add-2"} {
		if err := st.AppendRosterEntry(ctx, uint64(i), []byte(e), t0); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if err := st.AppendRosterEntry(ctx, 1, []byte("add-1"), t0); err != nil {
		t.Fatalf("the same entry again: %v", err)
	}
	for name, c := range map[string]struct {
		seq uint64
		b   string
	}{"other bytes at a taken position": {1, "forged"}, "a gap": {5, "late"}, "past the end by one": {4, "x"}} {
		if err := st.AppendRosterEntry(ctx, c.seq, []byte(c.b), t0); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	got, err := st.RosterEntries(ctx, 1, 10)
	if err != nil || len(got) != 2 || string(got[0]) != "add-1" || string(got[1]) != "add-2" {
		t.Fatalf("entries from 1: %q %v", got, err)
	}
	if got, _ := st.RosterEntries(ctx, 0, 2); len(got) != 2 {
		t.Fatalf("limit: %d", len(got))
	}
	if n, _ := st.RosterLen(ctx); n != 3 {
		t.Fatalf("len %d", n)
	}
	for _, h := range []struct{ dev, head string }{{"owner-2", "h1"}, {"owner-1", "h2"}, {"owner-2", "h3"}} {
		if err := st.PutRosterHead(ctx, h.dev, []byte(h.head), t0); err != nil {
			t.Fatal(err)
		}
	}
	heads, err := st.RosterHeads(ctx)
	if err != nil || len(heads) != 2 || string(heads[0]) != "h2" || string(heads[1]) != "h3" {
		t.Fatalf("heads: %q %v", heads, err)
	}
}

// testRosterConcurrent: two hub processes appending at the same position store one entry.
func testRosterConcurrent(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	a, b := open(), open()
	if err := a.AppendRosterEntry(ctx, 0, []byte("genesis"), t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			errs[i] = st.AppendRosterEntry(ctx, 1, []byte(fmt.Sprintf("entry-%d", i)), t0)
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, hub.ErrConflict):
			t.Fatal(err)
		}
	}
	if n, _ := a.RosterLen(ctx); ok != 1 || n != 2 {
		t.Fatalf("%d appends won at one position; %d entries", ok, n)
	}
}
