package roster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
)

type dev struct {
	m   Member
	key ed25519.PrivateKey
}

func newDev(t testing.TB, id, role string, scopes ...string) dev {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return dev{m: Member{ID: id, Role: role, Scopes: scopes, SigningKey: pub, KEMKey: []byte("kem-" + id)}, key: priv}
}

func newKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chain builds genesis (owner a, recovery key) + add laptop (owner) + add counter (shop).
func chain(t testing.TB) (*State, [][]byte, dev, dev, dev, ed25519.PrivateKey) {
	t.Helper()
	a := newDev(t, "owner-a", RoleOwner)
	laptop := newDev(t, "laptop", RoleOwner)
	counter := newDev(t, "counter", RoleShop, "north")
	rec := newKey(t)
	g, err := Genesis(a.m, a.key, rec, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(g, [32]byte{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := [][]byte{g}
	for _, d := range []dev{laptop, counter} {
		b, err := s.Next(OpAdd, d.m, a.m.ID, a.key, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, b)
	}
	return s, entries, a, laptop, counter, rec
}

func replay(t *testing.T, entries [][]byte, id [32]byte, rec ed25519.PublicKey) (*State, error) {
	t.Helper()
	s, err := New(entries[0], id, rec)
	if err != nil {
		return nil, err
	}
	for _, b := range entries[1:] {
		if err := s.Append(b); err != nil {
			return s, err
		}
	}
	return s, nil
}

func TestRosterVerifies(t *testing.T) {
	s, entries, a, laptop, counter, rec := chain(t)
	got, err := replay(t, entries, s.ID(), rec.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if got.Head() != s.Head() || got.Len() != 3 {
		t.Fatal("replayed roster differs")
	}
	for _, d := range []dev{a, laptop, counter} {
		m := got.Member(d.m.ID)
		if m == nil || !m.Active || !bytes.Equal(m.SigningKey, d.m.SigningKey) {
			t.Fatalf("member %s not pinned", d.m.ID)
		}
	}
	if m := got.Member(RecoveryID); m == nil || m.Role != RoleOwner || m.CanRead("north") {
		t.Fatal("the offline owner key is an owner that reads nothing")
	}
	c := got.Member("counter")
	if !c.CanWrite("north") || c.CanWrite("south") || c.CanWrite(OrgScope) || !c.CanRead(OrgScope) || c.CanRead("south") {
		t.Fatal("shop device scopes")
	}
}

// TestRosterRefusesTampering plays the hub that relays the roster: every edit is refused.
func TestRosterRefusesTampering(t *testing.T) {
	s, entries, a, laptop, counter, rec := chain(t)
	evil := newDev(t, "evil", RoleOwner)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	forged := func(e Entry, key ed25519.PrivateKey) []byte {
		e.Sig = nil
		e.Sig = ed25519.Sign(key, e.body())
		return e.Encode()
	}
	e2, _ := Decode(entries[2])
	swapped := *e2
	swapped.Member.SigningKey = evil.m.SigningKey
	byShop := Entry{Seq: 3, Prev: s.Head(), Op: OpAdd, Member: evil.m, Signer: counter.m.ID}
	byStranger := Entry{Seq: 3, Prev: s.Head(), Op: OpAdd, Member: evil.m, Signer: evil.m.ID}
	otherGenesis, _ := Genesis(evil.m, evil.key, nil, 1)
	cases := []struct {
		name    string
		entries [][]byte
		id      [32]byte
		rec     ed25519.PublicKey
	}{
		{"another chain's genesis", [][]byte{otherGenesis}, s.ID(), nil},
		{"genesis not countersigned by this recovery key", entries[:1], [32]byte{}, newKey(t).Public().(ed25519.PublicKey)},
		{"a byte of the genesis", [][]byte{flip(entries[0], 60)}, [32]byte{}, nil},
		{"a byte of a member key", [][]byte{entries[0], flip(entries[1], len(entries[1])-80)}, s.ID(), nil},
		{"keys swapped in a genuine entry", [][]byte{entries[0], entries[1], swapped.Encode()}, s.ID(), nil},
		{"keys swapped and re-signed by a stranger", [][]byte{entries[0], entries[1], forged(swapped, evil.key)}, s.ID(), nil},
		{"entries reordered", [][]byte{entries[0], entries[2], entries[1]}, s.ID(), nil},
		{"an entry dropped from the middle", [][]byte{entries[0], entries[2]}, s.ID(), nil},
		{"an entry twice", [][]byte{entries[0], entries[1], entries[1]}, s.ID(), nil},
		{"a device added by a shop device", append(entries[:3:3], forged(byShop, counter.key)), s.ID(), nil},
		{"a device added by itself", append(entries[:3:3], forged(byStranger, evil.key)), s.ID(), nil},
		{"a second genesis", append(entries[:3:3], otherGenesis), s.ID(), nil},
		{"truncated entry", [][]byte{entries[0], entries[1][:len(entries[1])-1]}, s.ID(), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := replay(t, c.entries, c.id, c.rec); !errors.Is(err, ErrInvalid) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
	// A revoked owner signs nothing more; a revoked device cannot come back under its id.
	rev, err := s.Next(OpRevoke, Member{ID: laptop.m.ID}, a.m.ID, a.key, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(rev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(OpAdd, evil.m, laptop.m.ID, laptop.key, 4); !errors.Is(err, ErrInvalid) {
		t.Fatal("a revoked owner signed an entry")
	}
	if _, err := s.Next(OpAdd, laptop.m, a.m.ID, a.key, 4); !errors.Is(err, ErrInvalid) {
		t.Fatal("a revoked device was added again")
	}
	if _, err := s.Next(OpRevoke, Member{ID: RecoveryID}, a.m.ID, a.key, 4); !errors.Is(err, ErrInvalid) {
		t.Fatal("the offline owner key was revoked")
	}
	// The offline owner key signs entries: a new machine joins, the lost owner goes.
	nm := newDev(t, "new-machine", RoleOwner)
	for _, step := range []struct {
		op string
		m  Member
	}{{OpAdd, nm.m}, {OpRevoke, Member{ID: a.m.ID}}} {
		b, err := s.Next(step.op, step.m, RecoveryID, rec, 5)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if s.Member(a.m.ID).Active || !s.Member(nm.m.ID).Active {
		t.Fatal("recovery did not take effect")
	}
}

func TestMemberForm(t *testing.T) {
	a := newDev(t, "owner-a", RoleOwner)
	bad := []Member{
		{ID: "", Role: RoleOwner, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "a b", Role: RoleOwner, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: RecoveryID, Role: RoleOwner, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: "admin", SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: RoleShop, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: RoleShop, Scopes: []string{OrgScope}, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: RoleShop, Scopes: []string{"b", "a"}, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: RoleOwner, Scopes: []string{"a"}, SigningKey: a.m.SigningKey, KEMKey: []byte("k")},
		{ID: "x", Role: RoleOwner, SigningKey: a.m.SigningKey[:31], KEMKey: []byte("k")},
		{ID: "x", Role: RoleOwner, SigningKey: a.m.SigningKey},
	}
	for i, m := range bad {
		if err := checkMember(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestHeads(t *testing.T) {
	s, entries, a, laptop, counter, _ := chain(t)
	short, _ := replay(t, entries[:2], s.ID(), nil)
	head, _ := DecodeHead(s.SignHead(a.m.ID, a.key, 10))
	if got := s.CheckHead(head); got != HeadCurrent {
		t.Fatalf("own head: %v", got)
	}
	if got := short.CheckHead(head); got != HeadAhead {
		t.Fatalf("a device missing an entry: %v", got)
	}
	old, _ := DecodeHead(short.SignHead(laptop.m.ID, laptop.key, 10))
	if got := s.CheckHead(old); got != HeadCurrent {
		t.Fatalf("an older head that matches a prefix: %v", got)
	}
	// A fork: the same length, another last entry.
	fork, _ := replay(t, entries[:2], s.ID(), nil)
	other := newDev(t, "other", RoleShop, "south")
	b, _ := fork.Next(OpAdd, other.m, a.m.ID, a.key, 3)
	fork.Append(b)
	fh, _ := DecodeHead(fork.SignHead(a.m.ID, a.key, 11))
	if got := s.CheckHead(fh); got != HeadForked {
		t.Fatalf("forked: %v", got)
	}
	rev, _ := s.Next(OpRevoke, Member{ID: laptop.m.ID}, a.m.ID, a.key, 12)
	revoked := s.Clone()
	revoked.Append(rev)
	if got := revoked.CheckHead(old); got != HeadUnverified {
		t.Fatalf("a revoked owner's head: %v", got)
	}
	for name, h := range map[string][]byte{
		"signed by a shop device": s.SignHead(counter.m.ID, counter.key, 10),
		"signed by a stranger":    s.SignHead("stranger", newKey(t), 10),
		"forged signature":        func() []byte { b := s.SignHead(a.m.ID, a.key, 10); b[len(b)-1] ^= 1; return b }(),
	} {
		d, err := DecodeHead(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CheckHead(d); got != HeadUnverified {
			t.Errorf("%s: %v", name, got)
		}
	}
}

// FuzzDecode: every input either fails to decode or re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	_, entries, _, _, _, _ := chain(f)
	for _, e := range entries {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Encode(), b) {
			t.Fatal("decode then encode changed the bytes")
		}
		New(b, [32]byte{}, nil) // must not panic
	})
}

func FuzzDecodeHead(f *testing.F) {
	s, _, a, _, _, _ := chain(f)
	f.Add(s.SignHead(a.m.ID, a.key, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHead(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.Encode(), b) {
			t.Fatal("decode then encode changed the bytes")
		}
		s.CheckHead(h)
	})
}

// TestRotateEntry: an owner device rotates one shop's key; a shop device cannot, and an entry
// that names a device, a key, the org or two shops is refused.
func TestRotateEntry(t *testing.T) {
	s, _, a, _, counter, _ := chain(t)
	b, err := s.Next(OpRotate, Member{Scopes: []string{"north"}}, a.m.ID, a.key, 9)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Decode(b)
	if e.Op != OpRotate || e.Member.ID != "" || len(e.Member.Scopes) != 1 {
		t.Fatalf("entry %+v", e)
	}
	if _, err := s.Next(OpRotate, Member{Scopes: []string{"north"}}, counter.m.ID, counter.key, 9); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a shop device rotated: %v", err)
	}
	for _, m := range []Member{{Scopes: []string{OrgScope}}, {Scopes: []string{"north", "south"}}, {}, {Scopes: []string{"bad id!"}}} {
		if _, err := s.Next(OpRotate, m, a.m.ID, a.key, 9); err == nil {
			t.Fatalf("rotate %+v accepted", m)
		}
	}
	forged := Entry{Seq: s.Len(), Prev: s.Head(), At: 9, Op: OpRotate, Member: Member{ID: "laptop", Scopes: []string{"north"}}, Signer: a.m.ID}
	forged.Sig = ed25519.Sign(a.key, forged.body())
	if err := s.Clone().Append(forged.Encode()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a rotation naming a device: %v", err)
	}
	if err := s.Append(b); err != nil {
		t.Fatal(err)
	}
}
