package hub_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/hubtest"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// pullAll pages from 0 until an empty page, as a device catching up does; the last request
// asks from the newest cursor the device reads, which the hub records as its pulled cursor.
func pullAll(t *testing.T, d *hubtest.Device) []protocol.Frame {
	t.Helper()
	var all []protocol.Frame
	var after int64
	for {
		page, err := d.Client.Pull(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("pull as %s: %v", d.ID, err)
		}
		if len(page.Frames) == 0 {
			return all
		}
		all = append(all, page.Frames...)
		after = page.Next
	}
}

// refusal checks that err is the hub's refusal with that status and code, and returns its
// message.
func refusal(t *testing.T, what string, err error, status int, code string) string {
	t.Helper()
	var ae *hubclient.APIError
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code {
		t.Fatalf("%s: %v, want %d %s", what, err, status, code)
	}
	return ae.Message
}

func newSnapshotID(t *testing.T) ([16]byte, string) {
	var id [16]byte
	rand.Read(id[:])
	return id, hex.EncodeToString(id[:])
}

func mustSnapshot(t *testing.T, d *hubtest.Device, h wire.SnapshotHeader, value string) []byte {
	t.Helper()
	b, err := d.SealSnapshot(h, value)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshots plays compaction against a real hub on both backends, with an attacker at
// every step: only owner devices stage and commit, only signed parts whose header matches
// their path are staged, a commit waits for every active reader of the scope, deletes that
// scope's covered sets only, and never goes back; other shops can neither list nor fetch it.
func TestSnapshots(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			open, _ := b.newDB(t)
			testSnapshots(t, hubtest.StartHub(t, open))
		})
	}
}

func testSnapshots(t *testing.T, h *hubtest.Hub) {
	ctx := context.Background()
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	code, _, err := owner.Client.CreateToken(ctx, protocol.TokenRequest{Role: protocol.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	owner2 := h.Enroll(t, code, "owner-desk")
	shop1 := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
	gone := h.EnrollShop(t, owner, "shop1-stolen", "shop-1")
	shop2 := h.EnrollShop(t, owner, "shop2-counter", "shop-2")
	if _, err := owner.Client.Revoke(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	var cursors []int64
	var sealed [][]byte
	for seq := uint64(1); seq <= 3; seq++ {
		b := shop1.MustSeal(t, "shop-1", seq, "a note")
		r, err := shop1.Client.Push(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		cursors, sealed = append(cursors, r.Cursor), append(sealed, b)
	}
	other, err := shop2.Client.Push(ctx, shop2.MustSeal(t, "shop-2", 1, "another shop's note"))
	if err != nil {
		t.Fatal(err)
	}
	point := cursors[1] // the snapshot covers shop-1's first two sets
	freed := int64(len(sealed[0]) + len(sealed[1]))
	storedBefore, _ := h.Storage.StoredBytes(ctx, shop1.ID)
	for _, d := range []*hubtest.Device{owner, owner2, shop2} {
		pullAll(t, d)
	}

	id, idHex := newSnapshotID(t)
	hdr := func(part uint32) wire.SnapshotHeader {
		return wire.SnapshotHeader{Scope: "shop-1", KeyVersion: 2, ID: id, Point: point, Part: part, Parts: 2}
	}
	p0, p1 := mustSnapshot(t, owner, hdr(0), "part zero"), mustSnapshot(t, owner, hdr(1), "part one")

	t.Run("only owner devices stage and commit", func(t *testing.T) {
		own := hdr(0)
		own.Device = shop1.ID
		b := mustSnapshot(t, shop1, own, "a shop's snapshot")
		refusal(t, "shop device uploads", shop1.Client.PutSnapshotPart(ctx, "shop-1", idHex, 0, b), http.StatusForbidden, protocol.CodeForbidden)
		_, err := shop1.Client.CommitSnapshot(ctx, "shop-1", idHex)
		refusal(t, "shop device commits", err, http.StatusForbidden, protocol.CodeForbidden)
	})

	t.Run("forged and mislabelled parts are refused", func(t *testing.T) {
		signedByShop, err := hubtest.SealSnapshotAs(shop1.Key, func() wire.SnapshotHeader { h := hdr(0); h.Device = owner.ID; return h }(), "forged")
		if err != nil {
			t.Fatal(err)
		}
		otherScope, otherID, otherPart := hdr(0), hdr(0), hdr(0)
		otherScope.Scope = "shop-2"
		otherID.ID[0] ^= 1
		otherPart.Part = 1
		edited := append([]byte(nil), p0...)
		edited[len(edited)-100] ^= 1
		for _, c := range []struct {
			name   string
			body   []byte
			part   uint32
			status int
			code   string
		}{
			{"signed by another device", signedByShop, 0, http.StatusForbidden, protocol.RejectBadSignature},
			{"naming another owner device", mustSnapshot(t, owner2, hdr(0), "x"), 0, http.StatusForbidden, protocol.RejectDeviceMismatch},
			{"naming another scope", mustSnapshot(t, owner, otherScope, "x"), 0, http.StatusBadRequest, protocol.RejectMalformed},
			{"naming another id", mustSnapshot(t, owner, otherID, "x"), 0, http.StatusBadRequest, protocol.RejectMalformed},
			{"naming another part", mustSnapshot(t, owner, otherPart, "x"), 0, http.StatusBadRequest, protocol.RejectMalformed},
			{"edited in one byte", edited, 0, http.StatusForbidden, protocol.RejectBadSignature},
			{"a change-set, not a part", owner.MustSeal(t, "shop-1", 1, "x"), 0, http.StatusBadRequest, protocol.RejectMalformed},
		} {
			msg := refusal(t, c.name, owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, c.part, c.body), c.status, c.code)
			if strings.Contains(msg, "forged") || strings.Contains(msg, "part zero") {
				t.Errorf("%s: the refusal quotes the body: %s", c.name, msg)
			}
		}
		if _, err := h.Storage.Snapshot(ctx, "shop-1", idHex); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("a refused part was staged: %v", err)
		}
	})

	t.Run("staging is idempotent, a changed part a conflict", func(t *testing.T) {
		for range 2 {
			if err := owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, 0, p0); err != nil {
				t.Fatalf("part 0: %v", err)
			}
		}
		changed := mustSnapshot(t, owner, hdr(0), "part zero, changed")
		err := owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, 0, changed)
		refusal(t, "other bytes at part 0", err, http.StatusConflict, protocol.CodeConflict)
		if !errors.Is(err, hubclient.ErrReplay) {
			t.Errorf("a conflict must be ErrReplay: %v", err)
		}
	})

	t.Run("a commit with a part missing is refused", func(t *testing.T) {
		_, err := owner.Client.CommitSnapshot(ctx, "shop-1", idHex)
		refusal(t, "commit with part 1 missing", err, http.StatusConflict, protocol.CodeConflict)
		if err := owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, 1, p1); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("only the uploader commits", func(t *testing.T) {
		_, err := owner2.Client.CommitSnapshot(ctx, "shop-1", idHex)
		refusal(t, "another owner device commits", err, http.StatusForbidden, protocol.RejectDeviceMismatch)
	})

	t.Run("a lagging reader blocks the commit", func(t *testing.T) {
		// shop1 has taken something, not all: a device that has pulled nothing starts from the
		// snapshot and does not count.
		if _, err := shop1.Client.Pull(ctx, 1, 1); err != nil {
			t.Fatal(err)
		}
		_, err := owner.Client.CommitSnapshot(ctx, "shop-1", idHex)
		msg := refusal(t, "commit while shop1 lags", err, http.StatusConflict, protocol.CodeLagging)
		if !strings.Contains(msg, shop1.ID) {
			t.Errorf("the refusal does not name the lagging device: %s", msg)
		}
		for _, d := range []string{gone.ID, shop2.ID, owner.ID, owner2.ID} {
			if strings.Contains(msg, d) {
				t.Errorf("the refusal names %s, which does not lag or read the scope or was revoked: %s", d, msg)
			}
		}
		if left := pullAll(t, owner); len(left) != 4 {
			t.Fatalf("a refused commit deleted sets: %d left", len(left))
		}
		// A point past every cursor the hub assigned is refused the same way.
		farID, farHex := newSnapshotID(t)
		far := mustSnapshot(t, owner, wire.SnapshotHeader{Scope: "shop-1", ID: farID, Point: other.Cursor + 1000, Parts: 1}, "from the future")
		if err := owner.Client.PutSnapshotPart(ctx, "shop-1", farHex, 0, far); err != nil {
			t.Fatal(err)
		}
		_, err = owner.Client.CommitSnapshot(ctx, "shop-1", farHex)
		if msg := refusal(t, "a point past the newest cursor", err, http.StatusConflict, protocol.CodeLagging); !strings.Contains(msg, "newest cursor") {
			t.Errorf("message: %s", msg)
		}
	})

	t.Run("the commit deletes that scope's covered sets", func(t *testing.T) {
		pullAll(t, shop1)
		if d, _ := h.Storage.Device(ctx, shop1.ID); d.Pulled != cursors[2] {
			t.Fatalf("shop1's pulled cursor %d, want %d", d.Pulled, cursors[2])
		}
		resp, err := owner.Client.CommitSnapshot(ctx, "shop-1", idHex)
		if err != nil || resp.Deleted != 2 || resp.FreedBytes != freed {
			t.Fatalf("commit: %+v %v, want 2 sets and %d bytes", resp, err, freed)
		}
		if again, err := owner.Client.CommitSnapshot(ctx, "shop-1", idHex); err != nil || again.Deleted != 0 {
			t.Fatalf("a retried commit: %+v %v", again, err)
		}
		frames := pullAll(t, shop1)
		if len(frames) != 1 || frames[0].Cursor != cursors[2] {
			t.Fatalf("shop1 pulling from 0 after the commit: %d frames; want only the set after the point", len(frames))
		}
		if frames := pullAll(t, shop2); len(frames) != 1 || frames[0].Cursor != other.Cursor {
			t.Fatalf("shop-2's set must be untouched: %d frames", len(frames))
		}
		if after, _ := h.Storage.StoredBytes(ctx, shop1.ID); after != storedBefore-freed {
			t.Fatalf("stored bytes %d, want %d", after, storedBefore-freed)
		}
		err = owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, 0, p0)
		refusal(t, "a part for the committed snapshot", err, http.StatusConflict, protocol.CodeConflict)
	})

	t.Run("listing and fetching follow the scopes a device reads", func(t *testing.T) {
		want := protocol.SnapshotInfo{Scope: "shop-1", ID: idHex, Point: point, Parts: 2, KeyVersion: 2, Device: owner.ID, MinKeyVersion: 1}
		for _, d := range []*hubtest.Device{owner, shop1} {
			list, err := d.Client.Snapshots(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("%s lists %+v %v", d.ID, list, err)
			}
			got := list[0]
			if got.CommittedAt.IsZero() {
				t.Errorf("no commit time: %+v", got)
			}
			got.CommittedAt = time.Time{}
			if got != want {
				t.Errorf("%s lists\n %+v\nwant %+v", d.ID, got, want)
			}
		}
		if list, err := shop2.Client.Snapshots(ctx); err != nil || len(list) != 0 {
			t.Fatalf("another shop lists %+v %v", list, err)
		}
		_, err := shop2.Client.SnapshotPart(ctx, "shop-1", idHex, 0)
		refusal(t, "another shop fetches", err, http.StatusForbidden, protocol.CodeForbidden)
		for i, want := range [][]byte{p0, p1} {
			b, err := shop1.Client.SnapshotPart(ctx, "shop-1", idHex, uint32(i))
			if err != nil || string(b) != string(want) {
				t.Fatalf("part %d: %d bytes %v", i, len(b), err)
			}
			if _, err := wire.VerifySnapshot(b, owner.Key.Public().(ed25519.PublicKey)); err != nil {
				t.Fatalf("part %d as served does not verify: %v", i, err)
			}
		}
		_, err = shop1.Client.SnapshotPart(ctx, "shop-1", idHex, 2)
		refusal(t, "a part out of range", err, http.StatusNotFound, protocol.CodeNotFound)
	})

	t.Run("no going back", func(t *testing.T) {
		for _, p := range []int64{point, cursors[0]} {
			oldID, oldHex := newSnapshotID(t)
			b := mustSnapshot(t, owner, wire.SnapshotHeader{Scope: "shop-1", ID: oldID, Point: p, Parts: 1}, "older")
			if err := owner.Client.PutSnapshotPart(ctx, "shop-1", oldHex, 0, b); err != nil {
				t.Fatal(err)
			}
			_, err := owner.Client.CommitSnapshot(ctx, "shop-1", oldHex)
			refusal(t, "a commit at an older or equal point", err, http.StatusConflict, protocol.CodeConflict)
		}
		if list, _ := owner.Client.Snapshots(ctx); len(list) != 1 || list[0].ID != idHex {
			t.Fatalf("the committed snapshot changed: %+v", list)
		}
	})

	t.Run("metrics label routes, not ids", func(t *testing.T) {
		text, err := owner.Client.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, route := range []string{`path="/v1/snapshots/{scope}/{id}/{part}"`, `path="/v1/snapshots/{scope}/{id}/commit"`, `path="/v1/snapshots"`} {
			if !strings.Contains(text, route) {
				t.Errorf("metrics lack %s", route)
			}
		}
		if strings.Contains(text, idHex) || strings.Contains(text, "shop-1") {
			t.Error("a snapshot id or scope became a label value")
		}
	})
}

// countingStorage counts the writes of pulled cursors.
type countingStorage struct {
	hub.Storage
	setPulled atomic.Int64
}

func (c *countingStorage) SetPulled(ctx context.Context, device string, cursor int64) error {
	c.setPulled.Add(1)
	return c.Storage.SetPulled(ctx, device, cursor)
}

// TestPullRecordsPulledOnlyWhenItRises: a pull records its after= cursor, but an idle poll
// (the same cursor again) or an older cursor writes nothing.
func TestPullRecordsPulledOnlyWhenItRises(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	var st *countingStorage
	h := hubtest.StartHub(t, func(dir string) hub.Storage {
		st = &countingStorage{Storage: open(dir)}
		return st
	})
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	var last int64
	for seq := uint64(1); seq <= 2; seq++ {
		r, err := owner.Client.Push(ctx, owner.MustSeal(t, "shop-1", seq, "x"))
		if err != nil {
			t.Fatal(err)
		}
		last = r.Cursor
	}
	for _, after := range []int64{0, last, last, last, last, last - 1, 0} {
		if _, err := owner.Client.Pull(ctx, after, 10); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.setPulled.Load(); n != 1 {
		t.Errorf("%d writes of the pulled cursor for one rise", n)
	}
	if d, _ := h.Storage.Device(ctx, owner.ID); d.Pulled != last {
		t.Errorf("pulled %d, want %d", d.Pulled, last)
	}
}

// TestSnapshotBounds: staged parts are bounded per uploader (507, freed by a commit), and a
// commit lowers the push quota's count at once.
func TestSnapshotBounds(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	const quota = 3000
	h := hubtest.StartHub(t, open, func(c *hub.Config) {
		c.MaxStagedSnapshot = 3900
		c.DeviceQuota = quota
	})
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")

	// The shop pushes until its quota is full.
	var last int64
	seq := uint64(1)
	for ; ; seq++ {
		r, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", seq, strings.Repeat("n", 200)))
		if errors.Is(err, hubclient.ErrQuota) {
			break
		}
		if err != nil || seq > 50 {
			t.Fatalf("push %d: %v", seq, err)
		}
		last = r.Cursor
	}
	pullAll(t, owner)
	pullAll(t, shop)

	// Parts of about 2 KiB each (hex does not compress below half): one fits the bound of
	// 3900 bytes, two do not.
	random := func() string {
		b := make([]byte, 2000)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	bigID, bigHex := newSnapshotID(t)
	big := func(i uint32) []byte {
		return mustSnapshot(t, owner, wire.SnapshotHeader{Scope: "shop-1", ID: bigID, Point: last, Part: i, Parts: 2}, random())
	}
	if err := owner.Client.PutSnapshotPart(ctx, "shop-1", bigHex, 0, big(0)); err != nil {
		t.Fatal(err)
	}
	err := owner.Client.PutSnapshotPart(ctx, "shop-1", bigHex, 1, big(1))
	refusal(t, "a part over the staged bound", err, http.StatusInsufficientStorage, protocol.RejectQuota)

	// A small complete snapshot commits; the big upload is abandoned to the sweep.
	smallID, smallHex := newSnapshotID(t)
	small := mustSnapshot(t, owner, wire.SnapshotHeader{Scope: "shop-1", ID: smallID, Point: last, Parts: 1}, "small")
	if err := owner.Client.PutSnapshotPart(ctx, "shop-1", smallHex, 0, small); err != nil {
		t.Fatal(err)
	}
	resp, err := owner.Client.CommitSnapshot(ctx, "shop-1", smallHex)
	if err != nil || resp.Deleted != int64(seq-1) {
		t.Fatalf("commit: %+v %v, want %d sets", resp, err, seq-1)
	}
	// The quota counts the device's stored bytes again at once, not a minute later.
	if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", seq, strings.Repeat("n", 200))); err != nil {
		t.Fatalf("push after the commit freed the quota: %v", err)
	}
}

// TestSnapshotJanitor: an upload with no new part for a day is deleted by the sweep; a
// younger one stays.
func TestSnapshotJanitor(t *testing.T) {
	ctx := context.Background()
	open, _ := sqliteBackend().newDB(t)
	clk := newClock()
	h := hubtest.StartHub(t, open, func(c *hub.Config) { c.Now = clk.Now })
	owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
	r, err := owner.Client.Push(ctx, owner.MustSeal(t, "shop-1", 1, "x"))
	if err != nil {
		t.Fatal(err)
	}
	stage := func() string {
		id, idHex := newSnapshotID(t)
		b := mustSnapshot(t, owner, wire.SnapshotHeader{Scope: "shop-1", ID: id, Point: r.Cursor, Parts: 2}, "half of it")
		if err := owner.Client.PutSnapshotPart(ctx, "shop-1", idHex, 0, b); err != nil {
			t.Fatal(err)
		}
		return idHex
	}
	abandoned := stage()
	clk.Add(23 * time.Hour)
	young := stage()
	if err := h.Server.SweepSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Storage.Snapshot(ctx, "shop-1", abandoned); err != nil {
		t.Fatalf("swept before a day passed: %v", err)
	}
	clk.Add(2 * time.Hour)
	if err := h.Server.SweepSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Storage.Snapshot(ctx, "shop-1", abandoned); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("abandoned upload after 25 hours: %v, want ErrNotFound", err)
	}
	_, err = owner.Client.CommitSnapshot(ctx, "shop-1", abandoned)
	refusal(t, "commit of a swept snapshot", err, http.StatusNotFound, protocol.CodeNotFound)
	if _, err := h.Storage.Snapshot(ctx, "shop-1", young); err != nil {
		t.Fatalf("a two-hour-old upload was swept: %v", err)
	}
}
