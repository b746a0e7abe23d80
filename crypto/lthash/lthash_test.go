package lthash

import (
	"encoding/hex"
	"fmt"
	"testing"
)

func TestOrderIndependentAndInvertible(t *testing.T) {
	var a, b Hash
	elems := [][]byte{[]byte("one"), []byte("two"), []byte("three"), []byte("two")}
	for _, e := range elems {
		a.Add(e)
	}
	for i := len(elems) - 1; i >= 0; i-- {
		b.Add(elems[i])
	}
	if !a.Equal(&b) {
		t.Fatal("the hash depends on the order of the elements")
	}
	a.Remove([]byte("two"))
	var c Hash
	for _, e := range [][]byte{[]byte("three"), []byte("one"), []byte("two")} {
		c.Add(e)
	}
	if !a.Equal(&c) {
		t.Fatal("removing an element does not undo its addition")
	}
	for _, e := range [][]byte{[]byte("one"), []byte("two"), []byte("three")} {
		c.Remove(e)
	}
	if !c.Equal(&Hash{}) {
		t.Fatal("removing every element does not give the empty hash")
	}
}

// A multiset hash: adding an element twice differs from adding it once, and a different
// element differs.
// Partial sums add up to the sum of all (how verify spreads the work over cores).
func TestAddHash(t *testing.T) {
	var all, a, b Hash
	for i := range 10 {
		e := []byte{byte(i)}
		all.Add(e)
		if i%2 == 0 {
			a.Add(e)
		} else {
			b.Add(e)
		}
	}
	a.AddHash(&b)
	if !a.Equal(&all) {
		t.Fatal("partial sums do not add up")
	}
}

func TestDistinguishes(t *testing.T) {
	var once, twice, other Hash
	once.Add([]byte("x"))
	twice.Add([]byte("x"))
	twice.Add([]byte("x"))
	other.Add([]byte("y"))
	if once.Equal(&twice) || once.Equal(&other) || once.Equal(&Hash{}) {
		t.Fatal("distinct multisets hash alike")
	}
}

func TestParseRoundTrip(t *testing.T) {
	var h Hash
	for i := range 100 {
		h.Add(fmt.Appendf(nil, "row %d", i))
	}
	p, err := Parse(h.Bytes())
	if err != nil || !p.Equal(&h) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := Parse(h.Bytes()[1:]); err != ErrSize {
		t.Fatalf("short state: %v", err)
	}
}

// The expansion is pinned: a change of it would make every stored state wrong. The value is
// from an independent implementation: the state of one element is its SHAKE128 output, so
// python3 -c "import hashlib; print(hashlib.sha256(hashlib.shake_128(b'spoke').digest(2048)).hexdigest())"
func TestPinnedExpansion(t *testing.T) {
	var h Hash
	h.Add([]byte("spoke"))
	d := h.Digest()
	const want = "7c1acf17614bd5aa67aa5a22f040f4ca2771ee1ebb83dbb0a9696ed06c04b188"
	if got := hex.EncodeToString(d[:]); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	if got := hex.EncodeToString(h.Bytes()[:8]); got == "0000000000000000" {
		t.Fatal("the expansion produced zeros")
	}
}

func BenchmarkAdd(b *testing.B) {
	var h Hash
	e := []byte("0123456789abcdef0123456789abcdef")
	for b.Loop() {
		h.Add(e)
	}
}

// FuzzParse: any bytes either parse to a state that writes back to the same bytes, or fail
// with ErrSize; nothing panics.
func FuzzParse(f *testing.F) {
	var h Hash
	h.Add([]byte("seed"))
	f.Add(h.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if err != ErrSize {
				t.Fatal(err)
			}
			return
		}
		if string(p.Bytes()) != string(b) {
			t.Fatal("round trip differs")
		}
	})
}
