package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func testSnapshotHeader() SnapshotHeader {
	return SnapshotHeader{Version: 1, Scope: testShop, Device: testDevice, KeyVersion: 2, ID: [16]byte{1, 2, 3}, Point: 77, Part: 1, Parts: 3}
}

func samplePart() *SnapshotPart {
	return &SnapshotPart{Header: testSnapshotHeader(), Covered: []Covered{{Device: testDevice, ScopeSeq: 9}, {Device: otherDev, ScopeSeq: 40}}, Changes: sampleChanges()}
}

func mustSealSnapshot(t testing.TB, p *SnapshotPart) []byte {
	t.Helper()
	_, priv := testSigner("device")
	b, err := SealSnapshot(p, testKey("scope"), priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotRoundTrip(t *testing.T) {
	pub, _ := testSigner("device")
	for _, p := range []*SnapshotPart{samplePart(), {Header: testSnapshotHeader()}} {
		b := mustSealSnapshot(t, p)
		h, err := VerifySnapshot(b, pub)
		if err != nil || h != p.Header {
			t.Fatalf("verify: %v, %+v", err, h)
		}
		got, err := OpenSnapshot(b, pub, keyFor)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Covered) == 0 {
			p.Covered = []Covered{}
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
		}
	}
}

// TestSnapshotRefused plays a hub or another device handing over a part that is not what the
// owner device signed: every edit is refused, and a part is never taken for a change-set or
// the other way round.
func TestSnapshotRefused(t *testing.T) {
	pub, priv := testSigner("device")
	otherPub, _ := testSigner("other")
	good := mustSealSnapshot(t, samplePart())
	hdrLen := len(appendSnapshotHeader(nil, &samplePart().Header))
	edit := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	resigned := func(b []byte) []byte { return resign(b, priv) }
	cases := []struct {
		name string
		b    []byte
		pub  []byte
		key  func(string, uint32) ([]byte, error)
		want error
	}{
		{"header byte edited (point)", edit(hdrLen - 12), pub, keyFor, ErrBadSignature},
		{"ciphertext byte edited", edit(hdrLen + 20), pub, keyFor, ErrBadSignature},
		{"signature edited", edit(len(good) - 1), pub, keyFor, ErrBadSignature},
		{"signed by another device", good, otherPub, keyFor, ErrBadSignature},
		{"header edited and re-signed by the signer without the scope key", resigned(edit(hdrLen - 12)), pub, keyFor, ErrUnauthenticated},
		{"wrong scope key", good, pub, func(string, uint32) ([]byte, error) { return testKey("other"), nil }, ErrUnauthenticated},
		{"truncated", good[:len(good)-70], pub, keyFor, ErrBadSignature},
		{"a change-set handed over as a part", mustSeal(t, sampleSet()), pub, keyFor, ErrMalformed},
		{"empty", nil, pub, keyFor, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := OpenSnapshot(c.b, c.pub, c.key)
			if !errors.Is(err, c.want) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	// A part is not a change-set: same key, same signer, still refused.
	if _, err := Open(good, pub, keyFor); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a snapshot part opened as a change-set: %v", err)
	}
}

func TestSealSnapshotRefusesBadHeaders(t *testing.T) {
	_, priv := testSigner("device")
	for name, mut := range map[string]func(p *SnapshotPart){
		"version 0":          func(p *SnapshotPart) { p.Header.Version = 0 },
		"newer version":      func(p *SnapshotPart) { p.Header.Version = 2 },
		"no scope":           func(p *SnapshotPart) { p.Header.Scope = "" },
		"key version 0":      func(p *SnapshotPart) { p.Header.KeyVersion = 0 },
		"zero id":            func(p *SnapshotPart) { p.Header.ID = [16]byte{} },
		"point 0":            func(p *SnapshotPart) { p.Header.Point = 0 },
		"part past the end":  func(p *SnapshotPart) { p.Header.Part = p.Header.Parts },
		"no parts":           func(p *SnapshotPart) { p.Header.Parts, p.Header.Part = 0, 0 },
		"covered twice":      func(p *SnapshotPart) { p.Covered = append(p.Covered, p.Covered[0]) },
		"covered sequence 0": func(p *SnapshotPart) { p.Covered[0].ScopeSeq = 0 },
		"bad change":         func(p *SnapshotPart) { p.Changes[0].Table = "" },
	} {
		t.Run(name, func(t *testing.T) {
			p := samplePart()
			mut(p)
			if b, err := SealSnapshot(p, testKey("scope"), priv); err == nil {
				t.Fatalf("sealed %d bytes", len(b))
			}
		})
	}
}

// FuzzOpenSnapshot checks OpenSnapshot never panics and that what it accepts seals again to
// an equal part.
func FuzzOpenSnapshot(f *testing.F) {
	f.Add(mustSealSnapshot(f, samplePart()))
	f.Add(mustSealSnapshot(f, &SnapshotPart{Header: testSnapshotHeader()}))
	pub, priv := testSigner("device")
	f.Fuzz(func(t *testing.T, b []byte) {
		ins := [][]byte{b}
		if len(b) >= 64 {
			ins = append(ins, resign(b, priv))
		}
		for _, in := range ins {
			p, err := OpenSnapshot(in, pub, keyFor)
			if err != nil {
				if p != nil {
					t.Fatal("part returned with an error")
				}
				continue
			}
			again, err := OpenSnapshot(mustSealSnapshot(t, p), pub, keyFor)
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("re-sealed part does not round-trip: %v", err)
			}
		}
		if h, err := ParseSnapshotHeader(b); err == nil {
			if !bytes.HasPrefix(b, appendSnapshotHeader(nil, &h)) {
				t.Fatal("header re-encodes differently")
			}
		} else if h != (SnapshotHeader{}) {
			t.Fatal("header returned with an error")
		}
	})
}
