package hub

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/protocol"
)

// fakeRevoke records the calls RevokeDeviceRule makes: their order is what the PostgreSQL
// backend's locking relies on (owner rows first, then the device's row).
type fakeRevoke struct {
	devices map[string]Device
	calls   []string
}

func (f *fakeRevoke) Role(id string) (protocol.Role, bool, error) {
	f.calls = append(f.calls, "role")
	d, ok := f.devices[id]
	return d.Role, ok, nil
}

func (f *fakeRevoke) ActiveOwners() (int, error) {
	f.calls = append(f.calls, "owners")
	n := 0
	for _, d := range f.devices {
		if d.Role == protocol.RoleOwner && d.Status == protocol.StatusActive {
			n++
		}
	}
	return n, nil
}

func (f *fakeRevoke) Status(id string) (protocol.Status, error) {
	f.calls = append(f.calls, "status")
	return f.devices[id].Status, nil
}

func (f *fakeRevoke) Revoke(id string) error {
	f.calls = append(f.calls, "revoke")
	return nil
}

func TestRevokeDeviceRule(t *testing.T) {
	for _, tc := range []struct {
		name    string
		devices []Device
		id      string
		want    error
		calls   []string
	}{
		{"unknown", nil, "x", ErrNotFound, []string{"role"}},
		{"shop device", []Device{{ID: "s", Role: protocol.RoleShop, Status: protocol.StatusActive}}, "s", nil, []string{"role", "status", "revoke"}},
		{"already revoked", []Device{{ID: "o", Role: protocol.RoleOwner, Status: protocol.StatusRevoked}, {ID: "p", Role: protocol.RoleOwner, Status: protocol.StatusActive}}, "o", nil, []string{"role", "owners", "status"}},
		{"last owner", []Device{{ID: "o", Role: protocol.RoleOwner, Status: protocol.StatusActive}, {ID: "p", Role: protocol.RoleOwner, Status: protocol.StatusRevoked}}, "o", ErrLastOwner, []string{"role", "owners", "status"}},
		{"one of two owners", []Device{{ID: "o", Role: protocol.RoleOwner, Status: protocol.StatusActive}, {ID: "p", Role: protocol.RoleOwner, Status: protocol.StatusActive}}, "o", nil, []string{"role", "owners", "status", "revoke"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRevoke{devices: map[string]Device{}}
			for _, d := range tc.devices {
				f.devices[d.ID] = d
			}
			if err := RevokeDeviceRule(f, tc.id); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !slices.Equal(f.calls, tc.calls) {
				t.Fatalf("calls %v, want %v", f.calls, tc.calls)
			}
		})
	}
}

type fakeSets struct{ stored map[uint64][]byte }

func (f *fakeSets) Insert(cs ChangeSet, digest []byte) (int64, bool, error) {
	if _, ok := f.stored[cs.Seq]; ok {
		return 0, false, nil
	}
	f.stored[cs.Seq] = digest
	return int64(cs.Seq) * 10, true, nil
}

func (f *fakeSets) Stored(device string, seq uint64) (int64, []byte, error) {
	return int64(seq) * 10, f.stored[seq], nil
}

func TestPutChangeSetRule(t *testing.T) {
	f := &fakeSets{stored: map[uint64][]byte{}}
	if _, _, err := PutChangeSetRule(f, ChangeSet{Seq: 0, Bytes: []byte("a")}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("seq 0: %v", err)
	}
	c, dup, err := PutChangeSetRule(f, ChangeSet{Seq: 1, Bytes: []byte("a")})
	if err != nil || dup || c != 10 {
		t.Fatalf("new: %d %v %v", c, dup, err)
	}
	if d := sha256.Sum256([]byte("a")); !bytes.Equal(f.stored[1], d[:]) {
		t.Fatal("the digest stored is not the SHA-256 of the bytes")
	}
	c, dup, err = PutChangeSetRule(f, ChangeSet{Seq: 1, Bytes: []byte("a")})
	if err != nil || !dup || c != 10 {
		t.Fatalf("same bytes again: %d %v %v", c, dup, err)
	}
	if _, _, err = PutChangeSetRule(f, ChangeSet{Seq: 1, Bytes: []byte("b")}); !errors.Is(err, ErrConflict) {
		t.Fatalf("other bytes: %v", err)
	}
}

type fakeCheckpoints struct {
	stored map[uint64]protocol.Checkpoint
}

func (f *fakeCheckpoints) Insert(c protocol.Checkpoint) (bool, error) {
	if _, ok := f.stored[c.Seq]; ok {
		return false, nil
	}
	f.stored[c.Seq] = c
	return true, nil
}

func (f *fakeCheckpoints) Stored(device string, seq uint64) ([]byte, []byte, error) {
	return f.stored[seq].Head, f.stored[seq].Signature, nil
}

func TestPutCheckpointRule(t *testing.T) {
	f := &fakeCheckpoints{stored: map[uint64]protocol.Checkpoint{}}
	c := protocol.Checkpoint{Seq: 3, Head: []byte("h"), Signature: []byte("s")}
	for i, tc := range []struct {
		c    protocol.Checkpoint
		want error
	}{
		{c, nil}, {c, nil},
		{protocol.Checkpoint{Seq: 3, Head: []byte("h"), Signature: []byte("t")}, ErrConflict},
		{protocol.Checkpoint{Seq: 3, Head: []byte("g"), Signature: []byte("s")}, ErrConflict},
	} {
		if err := PutCheckpointRule(f, tc.c); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("%d: %v, want %v", i, err, tc.want)
		}
	}
	if err := PutCheckpointRule(f, protocol.Checkpoint{Seq: 1 << 63}); err == nil {
		t.Fatal("a seq past MaxInt64 was accepted")
	}
}

type fakeRedeem struct {
	tokens  map[string]Token
	devices map[string]Device
	writes  []string
}

func (f *fakeRedeem) Token(id string) (Token, bool, error) {
	t, ok := f.tokens[id]
	return t, ok, nil
}

func (f *fakeRedeem) InsertDevice(d Device) error {
	if _, ok := f.devices[d.ID]; ok {
		return ErrExists
	}
	f.devices[d.ID] = d
	f.writes = append(f.writes, "device "+d.ID)
	return nil
}

func (f *fakeRedeem) MarkUsed(id, device string, now time.Time) error {
	f.writes = append(f.writes, "used "+id+" by "+device)
	return nil
}

func (f *fakeRedeem) MoveEnvelopes(from, to string) error {
	f.writes = append(f.writes, "envelopes "+from+" to "+to)
	return nil
}

func TestRedeemTokenRule(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	secret := sha256.Sum256([]byte("secret"))
	tok := Token{ID: "t1", SecretHash: secret[:], Role: protocol.RoleShop, Scopes: []string{"shop1"}, Label: []byte("lbl"), ExpiresAt: now.Add(time.Hour)}
	used := tok
	used.ID, used.UsedAt = "t2", now.Add(-time.Minute)
	expired := tok
	expired.ID, expired.ExpiresAt = "t3", now
	for _, tc := range []struct {
		name, id string
		hash     []byte
	}{
		{"unknown", "nope", secret[:]},
		{"wrong secret", "t1", make([]byte, 32)},
		{"used", "t2", secret[:]},
		{"expired at now", "t3", secret[:]},
	} {
		f := &fakeRedeem{tokens: map[string]Token{"t1": tok, "t2": used, "t3": expired}, devices: map[string]Device{}}
		if _, err := RedeemTokenRule(f, tc.id, tc.hash, now, Device{ID: "d1"}); !errors.Is(err, ErrTokenInvalid) || len(f.writes) != 0 {
			t.Errorf("%s: %v, writes %v", tc.name, err, f.writes)
		}
	}
	f := &fakeRedeem{tokens: map[string]Token{"t1": tok}, devices: map[string]Device{"taken": {}}}
	if _, err := RedeemTokenRule(f, "t1", secret[:], now, Device{ID: "taken"}); !errors.Is(err, ErrExists) || len(f.writes) != 0 {
		t.Fatalf("taken id: %v, writes %v", err, f.writes)
	}
	d, err := RedeemTokenRule(f, "t1", secret[:], now, Device{ID: "d1", Role: protocol.RoleOwner})
	if err != nil || d.Role != protocol.RoleShop || !slices.Equal(d.Scopes, tok.Scopes) || string(d.Label) != "lbl" {
		t.Fatalf("redeemed: %+v, %v", d, err)
	}
	if want := []string{"device d1", "used t1 by d1", "envelopes token:t1 to d1"}; !slices.Equal(f.writes, want) {
		t.Fatalf("writes %v, want %v", f.writes, want)
	}
	f = &fakeRedeem{tokens: map[string]Token{"t1": tok}, devices: map[string]Device{}}
	if d, _ := RedeemTokenRule(f, "t1", secret[:], now, Device{ID: "d2", Label: []byte("own")}); string(d.Label) != "own" {
		t.Fatalf("a device's own label was replaced: %q", d.Label)
	}
}

type fakeTouch struct {
	moved, exists bool
	existsErr     error
}

func (f fakeTouch) MoveLastSeen(string, time.Time) (bool, error) { return f.moved, nil }
func (f fakeTouch) Exists(string) (bool, error)                  { return f.exists, f.existsErr }

func TestTouchDeviceRule(t *testing.T) {
	for _, tc := range []struct {
		f    fakeTouch
		want error
	}{
		{fakeTouch{moved: true}, nil},
		{fakeTouch{exists: true}, nil}, // seen more recently already
		{fakeTouch{}, ErrNotFound},
		{fakeTouch{existsErr: errors.New("busy")}, nil}, // best effort
	} {
		if err := TouchDeviceRule(tc.f, "d", time.Now()); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%+v: %v, want %v", tc.f, err, tc.want)
		}
	}
}

func TestErrorsAndPages(t *testing.T) {
	noRows := errors.New("no rows")
	other := errors.New("disk")
	if StorageErr("op", nil) != nil || StorageErr("op", ErrConflict, ErrConflict) != ErrConflict {
		t.Error("StorageErr changed nil or a contract sentinel")
	}
	if err := StorageErr("revoke device", other, ErrNotFound); err.Error() != "revoke device: disk" || !errors.Is(err, other) {
		t.Errorf("StorageErr: %v", err)
	}
	if ReadErr("read device", noRows, noRows) != ErrNotFound || ReadErr("read device", nil, noRows) != nil ||
		ReadErr("read device", other, noRows).Error() != "read device: disk" {
		t.Error("ReadErr")
	}
	if ok, err := Found(noRows, noRows); ok || err != nil {
		t.Error("Found: no rows")
	}
	if ok, err := Found(nil, noRows); !ok || err != nil {
		t.Error("Found: a row")
	}
	if ok, err := Found(other, noRows); ok || err != other {
		t.Error("Found: a failure")
	}
	for _, tc := range []struct {
		f     ChangeSetFilter
		limit int
		ok    bool
	}{
		{ChangeSetFilter{Limit: 0, AllScopes: true}, 0, false},
		{ChangeSetFilter{Limit: 5}, 0, false}, // no scopes never means all
		{ChangeSetFilter{Limit: 5, Scopes: []string{"a"}}, 5, true},
		{ChangeSetFilter{Limit: MaxPullLimit + 1, AllScopes: true}, MaxPullLimit, true},
	} {
		if limit, ok := tc.f.Page(); limit != tc.limit || ok != tc.ok {
			t.Errorf("%+v.Page() = %d, %v", tc.f, limit, ok)
		}
	}
	if n, ok := CheckpointPage(1<<63, 5); ok || n != 0 {
		t.Error("CheckpointPage past MaxInt64")
	}
	if n, ok := CheckpointPage(0, MaxPullLimit+5); !ok || n != MaxPullLimit {
		t.Error("CheckpointPage cap")
	}
	if RosterPage(0, 0) || RosterPage(1<<62, 1) || !RosterPage(1<<62-1, 1) {
		t.Error("RosterPage")
	}
}
