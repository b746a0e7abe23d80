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

// The conformance cases of compaction: pulled cursors, staging snapshot parts, committing
// (which deletes change-sets), listing, serving and sweeping snapshots.

// snapID is a snapshot id in the API's form: 16 bytes of n in lower-case hex.
func snapID(n byte) string { return strings.Repeat(fmt.Sprintf("%02x", n), 16) }

func part(scope, id string, point int64, i, parts uint32, body string) hub.SnapshotPart {
	return hub.SnapshotPart{Scope: scope, ID: id, Device: "owner-1", Point: point, KeyVersion: 3, Part: i, Parts: parts,
		Bytes: []byte(body), At: t0}
}

func testPulled(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	if err := st.AddDevice(ctx, device("shop-dev", protocol.RoleShop, "shop-1")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{5, 9, 7, 9, 0} {
		if err := st.SetPulled(ctx, "shop-dev", c); err != nil {
			t.Fatalf("set pulled %d: %v", c, err)
		}
	}
	d, err := st.Device(ctx, "shop-dev")
	if err != nil || d.Pulled != 9 {
		t.Fatalf("pulled %d (%v), want 9: it only rises", d.Pulled, err)
	}
	if all, _ := st.Devices(ctx); len(all) != 1 || all[0].Pulled != 9 {
		t.Fatalf("Devices: %+v", all)
	}
	if err := st.SetPulled(ctx, "nope", 3); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("unknown device: %v, want ErrNotFound", err)
	}
	if err := st.SetPulled(ctx, "shop-dev", -1); err == nil {
		t.Error("a negative cursor was taken")
	}
	// A device added with a pulled cursor keeps it (recovery, tests).
	dev := device("owner-1", protocol.RoleOwner)
	dev.Pulled = 42
	if err := st.AddDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Device(ctx, "owner-1"); !reflect.DeepEqual(got, dev) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, dev)
	}
}

// testSnapshotStaging: parts are staged idempotently; other bytes at a staged index, header
// fields that disagree with the other parts and headers out of range are refused; a staged
// snapshot is neither listed nor served.
func testSnapshotStaging(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	id := snapID(1)
	p0 := part("shop-1", id, 10, 0, 3, "part zero")
	if err := st.PutSnapshotPart(ctx, p0); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSnapshotPart(ctx, p0); err != nil {
		t.Fatalf("the same part again: %v", err)
	}
	p2 := part("shop-1", id, 10, 2, 3, "part two")
	p2.At = t0.Add(time.Minute)
	if err := st.PutSnapshotPart(ctx, p2); err != nil {
		t.Fatal(err)
	}
	other := p0
	other.Bytes = []byte("forged zero")
	if err := st.PutSnapshotPart(ctx, other); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("other bytes at a staged index: %v, want ErrConflict", err)
	}
	for name, mod := range map[string]func(*hub.SnapshotPart){
		"another device":      func(p *hub.SnapshotPart) { p.Device = "owner-2" },
		"another point":       func(p *hub.SnapshotPart) { p.Point = 11 },
		"another key version": func(p *hub.SnapshotPart) { p.KeyVersion = 4 },
		"another part count":  func(p *hub.SnapshotPart) { p.Parts = 4 },
	} {
		p := part("shop-1", id, 10, 1, 3, "part one")
		mod(&p)
		if err := st.PutSnapshotPart(ctx, p); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	for name, p := range map[string]hub.SnapshotPart{
		"part past the count": part("shop-1", snapID(2), 10, 3, 3, "x"),
		"no parts":            part("shop-1", snapID(2), 10, 0, 0, "x"),
		"too many parts":      part("shop-1", snapID(2), 10, 0, 1<<20, "x"),
		"point 0":             part("shop-1", snapID(2), 0, 0, 1, "x"),
		"upper-case id":       part("shop-1", strings.ToUpper(snapID(0xab)), 10, 0, 1, "x"),
		"short id":            part("shop-1", "abcd", 10, 0, 1, "x"),
		"bad scope":           part("shop 1", snapID(2), 10, 0, 1, "x"),
	} {
		if err := st.PutSnapshotPart(ctx, p); err == nil || errors.Is(err, hub.ErrConflict) {
			t.Errorf("%s: %v, want a plain refusal", name, err)
		}
	}
	if _, err := st.Snapshot(ctx, "shop-1", snapID(2)); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a refused part left a snapshot behind: %v", err)
	}
	got, err := st.Snapshot(ctx, "shop-1", id)
	want := hub.Snapshot{Scope: "shop-1", ID: id, Device: "owner-1", Point: 10, KeyVersion: 3, Parts: 3, Staged: 2, StagedAt: t0.Add(time.Minute)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("staged snapshot:\n got %+v\nwant %+v (%v)", got, want, err)
	}
	if _, err := st.Snapshot(ctx, "shop-2", id); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("the same id in another scope: %v, want ErrNotFound", err)
	}
	if n, err := st.StagedSnapshotBytes(ctx, "owner-1"); err != nil || n != int64(len("part zero")+len("part two")) {
		t.Errorf("staged bytes %d %v", n, err)
	}
	if n, _ := st.StagedSnapshotBytes(ctx, "owner-2"); n != 0 {
		t.Errorf("another device's staged bytes: %d", n)
	}
	if _, err := st.SnapshotPart(ctx, "shop-1", id, 0); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a staged part was served: %v", err)
	}
	if list, err := st.Snapshots(ctx, nil, true); err != nil || len(list) != 0 {
		t.Errorf("a staged snapshot was listed: %+v %v", list, err)
	}
}

// testSnapshotCommit walks compaction of one scope twice, with another scope beside it.
func testSnapshotCommit(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	var cursors []int64
	for i, c := range []hub.ChangeSet{
		cs("dev-a", 1, "shop-1", "aaaaa"),         // 0: covered
		cs("dev-b", 1, "shop-2", "other scope"),   // 1
		cs("dev-a", 2, "shop-1", "bbbbbbb"),       // 2: covered (the point)
		cs("dev-a", 3, "shop-1", "after"),         // 3: stays
		cs("dev-b", 2, "shop-1", "after as well"), // 4: stays, the newest
	} {
		c.KeyVersion = uint32(i + 1)
		cur, _, err := st.PutChangeSet(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		cursors = append(cursors, cur)
	}
	before, _ := st.StoredBytes(ctx, "dev-a")
	point := cursors[2]
	id := snapID(1)
	if _, _, err := st.CommitSnapshot(ctx, "shop-1", id, t0); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("commit unknown: %v, want ErrNotFound", err)
	}
	for _, i := range []uint32{0, 2} {
		if err := st.PutSnapshotPart(ctx, part("shop-1", id, point, i, 3, fmt.Sprint("p", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.CommitSnapshot(ctx, "shop-1", id, t0); !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("commit with part 1 missing: %v, want ErrConflict", err)
	}
	if all, _ := st.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: 100}); len(all) != 5 {
		t.Fatalf("a refused commit deleted sets: %d left", len(all))
	}
	if err := st.PutSnapshotPart(ctx, part("shop-1", id, point, 1, 3, "p1")); err != nil {
		t.Fatal(err)
	}
	committedAt := t0.Add(time.Hour)
	deleted, freed, err := st.CommitSnapshot(ctx, "shop-1", id, committedAt)
	if err != nil || deleted != 2 || freed != int64(len("aaaaa")+len("bbbbbbb")) {
		t.Fatalf("commit: deleted %d freed %d %v, want 2 and 12", deleted, freed, err)
	}
	if got := bodiesOf(t, st, "shop-1"); got != "after,after as well" {
		t.Errorf("shop-1 after the commit: %s", got)
	}
	if got := bodiesOf(t, st, "shop-2"); got != "other scope" {
		t.Errorf("shop-2 after the commit: %s", got)
	}
	if after, _ := st.StoredBytes(ctx, "dev-a"); after != before-12 {
		t.Errorf("stored bytes of dev-a %d, want %d", after, before-12)
	}
	want := protocol.SnapshotInfo{Scope: "shop-1", ID: id, Point: point, Parts: 3, KeyVersion: 3, Device: "owner-1",
		MinKeyVersion: 3, CommittedAt: committedAt}
	list, err := st.Snapshots(ctx, []string{"org", "shop-1"}, false)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Fatalf("list:\n got %+v\nwant %+v (%v)", list, want, err)
	}
	if list, _ := st.Snapshots(ctx, []string{"shop-2"}, false); len(list) != 0 {
		t.Errorf("another scope's list: %+v", list)
	}
	if list, _ := st.Snapshots(ctx, nil, false); len(list) != 0 {
		t.Errorf("an empty scope list must select nothing: %+v", list)
	}
	if b, err := st.SnapshotPart(ctx, "shop-1", id, 1); err != nil || string(b) != "p1" {
		t.Fatalf("part 1: %q %v", b, err)
	}
	for name, f := range map[string]func() error{
		"part out of range": func() error { _, err := st.SnapshotPart(ctx, "shop-1", id, 3); return err },
		"wrong scope":       func() error { _, err := st.SnapshotPart(ctx, "shop-2", id, 0); return err },
	} {
		if err := f(); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if got, _ := st.Snapshot(ctx, "shop-1", id); !got.CommittedAt.Equal(committedAt) {
		t.Errorf("committed at %v", got.CommittedAt)
	}
	// A retried commit (its answer was lost) changes nothing; a part for it is refused.
	if d, f, err := st.CommitSnapshot(ctx, "shop-1", id, committedAt); err != nil || d != 0 || f != 0 {
		t.Errorf("commit again: %d %d %v", d, f, err)
	}
	if err := st.PutSnapshotPart(ctx, part("shop-1", id, point, 0, 3, "p0")); !errors.Is(err, hub.ErrConflict) {
		t.Errorf("a part for a committed snapshot: %v, want ErrConflict", err)
	}
	if n, _ := st.StagedSnapshotBytes(ctx, "owner-1"); n != 0 {
		t.Errorf("a committed snapshot still counts as staged: %d", n)
	}

	// No going back: a snapshot at the same or an older point is refused.
	for i, p := range []int64{point, cursors[0]} {
		older := snapID(byte(2 + i))
		if err := st.PutSnapshotPart(ctx, part("shop-1", older, p, 0, 1, "old")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CommitSnapshot(ctx, "shop-1", older, t0); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("commit at point %d after one at %d: %v, want ErrConflict", p, point, err)
		}
	}

	// A newer snapshot replaces the old one (and its parts) and deletes up to its point,
	// the scope's newest set included; the newest cursor stays where it was.
	newest := cursors[4]
	next := snapID(9)
	p := part("shop-1", next, newest, 0, 1, "everything")
	p.KeyVersion = 4
	if err := st.PutSnapshotPart(ctx, p); err != nil {
		t.Fatal(err)
	}
	if d, _, err := st.CommitSnapshot(ctx, "shop-1", next, committedAt); err != nil || d != 2 {
		t.Fatalf("second commit: %d %v", d, err)
	}
	if got := bodiesOf(t, st, "shop-1"); got != "" {
		t.Errorf("shop-1 after the second commit: %s", got)
	}
	if _, err := st.Snapshot(ctx, "shop-1", id); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("the replaced snapshot: %v, want ErrNotFound", err)
	}
	if _, err := st.SnapshotPart(ctx, "shop-1", id, 0); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a part of the replaced snapshot: %v, want ErrNotFound", err)
	}
	if n, err := st.NewestCursor(ctx); err != nil || n != newest {
		t.Errorf("newest cursor %d %v, want %d although its set is gone", n, err, newest)
	}
	// MinKeyVersion: the snapshot's own, then lower once an older-keyed set arrives.
	list, _ = st.Snapshots(ctx, nil, true)
	if len(list) != 1 || list[0].ID != next || list[0].MinKeyVersion != 4 {
		t.Fatalf("list after the second commit: %+v", list)
	}
	late := cs("dev-c", 1, "shop-1", "late, under key 2")
	late.KeyVersion = 2
	if _, _, err := st.PutChangeSet(ctx, late); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.Snapshots(ctx, nil, true); len(list) != 1 || list[0].MinKeyVersion != 2 {
		t.Fatalf("min key version with a set under key 2 stored: %+v", list)
	}
	// A second scope's snapshot lists after it, in scope order.
	if err := st.PutSnapshotPart(ctx, part("shop-2", snapID(7), cursors[1], 0, 1, "s2")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CommitSnapshot(ctx, "shop-2", snapID(7), t0); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.Snapshots(ctx, nil, true); len(list) != 2 || list[0].Scope != "shop-1" || list[1].Scope != "shop-2" || list[1].MinKeyVersion != 3 {
		t.Fatalf("two scopes: %+v", list)
	}
}

func bodiesOf(t *testing.T, st hub.Storage, scope string) string {
	t.Helper()
	sets, err := st.ChangeSets(context.Background(), hub.ChangeSetFilter{Scopes: []string{scope}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return bodies(sets)
}

// testSnapshotCommitsConcurrently: two hubs committing two snapshots of one scope at once
// leave one committed (the newer point), and pushes racing the commit all survive.
func testSnapshotCommitsConcurrently(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	a, b := open(), open()
	var cursors []int64
	for i := range 6 {
		cur, _, err := a.PutChangeSet(ctx, cs("dev-a", uint64(i+1), "shop-1", fmt.Sprint("set ", i)))
		if err != nil {
			t.Fatal(err)
		}
		cursors = append(cursors, cur)
	}
	ids := []string{snapID(1), snapID(2)}
	for i, id := range ids {
		if err := a.PutSnapshotPart(ctx, part("shop-1", id, cursors[3+i], 0, 1, "snap")); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []hub.Storage{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = st.CommitSnapshot(ctx, "shop-1", ids[i], t0)
		}()
	}
	// Pushes racing the commits: their cursors are above both points, so all stay.
	const pushes = 20
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range pushes {
			if _, _, err := b.PutChangeSet(ctx, cs("dev-b", uint64(i+1), "shop-1", fmt.Sprint("racing ", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, hub.ErrConflict) {
			t.Fatal(err)
		}
	}
	if errs[1] != nil {
		t.Fatalf("the newer snapshot was refused: %v", errs[1])
	}
	list, err := a.Snapshots(ctx, []string{"shop-1"}, false)
	if err != nil || len(list) != 1 || list[0].ID != ids[1] {
		t.Fatalf("committed snapshots: %+v %v; want only the newer one", list, err)
	}
	left, _ := a.ChangeSets(ctx, hub.ChangeSetFilter{Scopes: []string{"shop-1"}, Limit: 100})
	racing := 0
	for _, c := range left {
		if c.Cursor <= cursors[4] {
			t.Errorf("set at cursor %d survived a commit at %d", c.Cursor, cursors[4])
		}
		if bytes.HasPrefix(c.Bytes, []byte("racing ")) {
			racing++
		}
	}
	if racing != pushes || len(left) != pushes+1 {
		t.Fatalf("%d sets left, %d of the %d racing pushes", len(left), racing, pushes)
	}
}

// testDeleteStaleSnapshots: an upload idle since before the cut goes with its parts; a
// recent one and a committed one stay.
func testDeleteStaleSnapshots(t *testing.T, open func() hub.Storage) {
	ctx := context.Background()
	st := open()
	old, recent, done := snapID(1), snapID(2), snapID(3)
	p := part("shop-1", old, 5, 0, 2, "old")
	if err := st.PutSnapshotPart(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The recent upload began early too, but its newest part is recent.
	for i, at := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		p := part("shop-1", recent, 5, uint32(i), 2, fmt.Sprint("recent ", i))
		p.At = at
		if err := st.PutSnapshotPart(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutSnapshotPart(ctx, part("shop-2", done, 5, 0, 1, "committed")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CommitSnapshot(ctx, "shop-2", done, t0); err != nil {
		t.Fatal(err)
	}
	n, err := st.DeleteStaleSnapshots(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d %v, want 1", n, err)
	}
	if _, err := st.Snapshot(ctx, "shop-1", old); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("stale snapshot: %v, want ErrNotFound", err)
	}
	// Its index is free again: an upload under the same id starts afresh.
	p.Bytes, p.At = []byte("new bytes"), t0.Add(3*time.Hour)
	if err := st.PutSnapshotPart(ctx, p); err != nil {
		t.Errorf("re-staging after the sweep: %v", err)
	}
	if got, err := st.Snapshot(ctx, "shop-1", recent); err != nil || got.Staged != 2 {
		t.Errorf("recent snapshot: %+v %v", got, err)
	}
	if _, err := st.SnapshotPart(ctx, "shop-2", done, 0); err != nil {
		t.Errorf("committed snapshot: %v", err)
	}
	if n, _ := st.DeleteStaleSnapshots(ctx, t0.Add(time.Hour)); n != 0 {
		t.Errorf("second sweep deleted %d", n)
	}
}
