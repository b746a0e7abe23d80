package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestWordStarts(t *testing.T) {
	tests := []struct {
		name string
		want []int
	}{
		{"", nil},
		{"anna", []int{0}},
		{"anna muller", []int{0, 5}},
		{"jean-luc o'brien", []int{0, 5, 9, 11}},
		{"-luc", []int{0, 1}},
		{"王小明", []int{0}},
		{"a  b", []int{0, 3}},
		{"über straße", []int{0, 6}},
		{"x..", []int{0}},
	}
	for _, tt := range tests {
		var got []int
		wordStarts([]byte(tt.name), func(off int) { got = append(got, off) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("wordStarts(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// queriesFor derives queries from live entries, so that most of them hit:
// prefixes of words, names and addresses (the prefix arrays' work),
// fragments and digits (the scan's), and combinations.
func queriesFor(r *rand.Rand, live []Entry) []string {
	qs := []string{"a", "an", "ma", "ller", "明", "王", "555", "0151", "example", "@bikes", "x", "-", "jean-l", "anna m", "zz", "e."}
	for range 40 {
		e := live[r.IntN(len(live))]
		pick := func(s string) string {
			if s == "" {
				return "a"
			}
			rs := []rune(s)
			i := r.IntN(len(rs))
			j := i + 1 + r.IntN(min(6, len(rs)-i))
			return string(rs[i:j])
		}
		words := strings.Fields(e.Name)
		switch r.IntN(6) {
		case 0:
			if len(words) > 0 {
				w := []rune(words[r.IntN(len(words))])
				qs = append(qs, string(w[:1+r.IntN(len(w))]))
			}
		case 1:
			n := []rune(e.Name)
			if len(n) > 0 {
				qs = append(qs, string(n[:1+r.IntN(len(n))]))
			}
		case 2:
			m := []rune(e.Email)
			if len(m) > 0 {
				qs = append(qs, string(m[:1+r.IntN(len(m))]))
			}
		case 3:
			qs = append(qs, pick(e.Name), pick(e.Email))
		case 4:
			qs = append(qs, pick(e.Phone))
		case 5:
			if len(words) > 1 {
				qs = append(qs, words[1][:min(2, len(words[1]))]+" "+words[0][:1])
			}
		}
	}
	return qs
}

// TestPrefixAgainstScan is the differential test of the prefix arrays: on
// random data under random Puts, replacements and Removes (so that arrays
// carry killed rows and get merged), every answer must equal the scan's, the
// way the index answered before it had prefix arrays, and brute force.
func TestPrefixAgainstScan(t *testing.T) {
	pool := genEntries(3000, 11)
	// Odd names: leading punctuation, digits, empty fields, shared prefixes.
	for i, n := range []string{"-Luc", "'Anna", "555 Bikes", "", "Anna", "Anna-Lena", "Ann", "A. B. C.", "e.mail Person"} {
		pool = append(pool, Entry{ID: fmt.Sprintf("odd%d", i), Name: n, Email: strings.ToLower(strings.ReplaceAll(n, " ", "")) + "@x.example"})
	}
	for _, cm := range []int{1, 7, 200, 1 << 30} {
		t.Run(fmt.Sprintf("compactMin=%d", cm), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(cm), 5))
			ix := New()
			ix.compactMin = cm
			live := map[string]Entry{}
			for round := range 6 {
				for range 700 {
					e := pool[r.IntN(len(pool))]
					switch r.IntN(5) {
					case 0:
						ix.Remove(e.ID)
						delete(live, e.ID)
					case 1:
						o := pool[r.IntN(len(pool))]
						o.ID = e.ID
						ix.Put(o)
						live[o.ID] = o
					default:
						ix.Put(e)
						live[e.ID] = e
					}
				}
				if round == 3 {
					ix.Compact()
				}
				entries := make([]Entry, 0, len(live))
				for _, e := range live {
					entries = append(entries, e)
				}
				slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
				for _, q := range queriesFor(r, entries) {
					for _, limit := range []int{1, 3, 20, 5000} {
						got := ix.Query(q, limit)
						ix.scanOnly = true
						scan := ix.Query(q, limit)
						ix.scanOnly = false
						if !slices.Equal(got, scan) {
							t.Fatalf("round %d: Query(%q, %d) = %q, scan gives %q", round, q, limit, got, scan)
						}
						if limit == 20 {
							if want := reference(live, q, limit); !slices.Equal(got, want) {
								t.Fatalf("round %d: Query(%q, %d) = %q, want %q", round, q, limit, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestAppendQuery checks that a reused buffer keeps its head and gets the
// same answer as Query.
func TestAppendQuery(t *testing.T) {
	ix := fixtureIndex(1)
	buf := []string{"keep"}
	got := ix.AppendQuery(buf, "anna", 10)
	if !slices.Equal(got, []string{"keep", "a2", "a3"}) {
		t.Fatalf("AppendQuery = %q", got)
	}
	if got := ix.AppendQuery(buf[:1], "zzz", 10); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("AppendQuery without hits = %q", got)
	}
	if got := ix.AppendQuery(nil, "zzz", 10); got != nil {
		t.Fatalf("AppendQuery(nil) without hits = %q, want nil", got)
	}
}

// TestQueryAllocs holds the promise that answering a query allocates nothing
// but its result, and nothing at all into a reused buffer.
func TestQueryAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	ix := New()
	for _, e := range genEntries(2000, 4) {
		ix.Put(e)
	}
	ix.Compact()
	for _, q := range []string{"mar", "ller", "5550", "明", "an ma"} {
		buf := ix.AppendQuery(nil, q, 20) // warms the scratch pool
		if n := testing.AllocsPerRun(50, func() { buf = ix.AppendQuery(buf[:0], q, 20) }); n > 0 {
			t.Errorf("AppendQuery(%q) allocates %.1f times per run", q, n)
		}
	}
}

// TestWipeClearsPrefixArrays checks that the prefix arrays, row numbers in
// the order of the customers' names and addresses, are zeroed on Wipe.
func TestWipeClearsPrefixArrays(t *testing.T) {
	ix := New()
	for _, e := range genEntries(300, 9) {
		ix.Put(e)
	}
	ix.Compact()
	ix.mu.RLock()
	words := ix.seg.pre.words[:cap(ix.seg.pre.words)]
	emails := ix.seg.pre.emails[:cap(ix.seg.pre.emails)]
	ix.mu.RUnlock()
	if len(words) == 0 || len(emails) == 0 {
		t.Fatal("test setup: expected prefix arrays")
	}
	nonzero := func() bool {
		for _, w := range words {
			if w != (wordRef{}) {
				return true
			}
		}
		for _, e := range emails {
			if e != 0 {
				return true
			}
		}
		return false
	}
	if !nonzero() {
		t.Fatal("test setup: arrays already zero")
	}
	ix.Wipe()
	if nonzero() {
		t.Error("prefix arrays not zeroed by Wipe")
	}
}

// TestCompact checks that Compact leaves nothing pending and changes no answer.
func TestCompact(t *testing.T) {
	ix := New()
	ix.compactMin = 1 << 30
	live := map[string]Entry{}
	for _, e := range genEntries(500, 12) {
		ix.Put(e)
		live[e.ID] = e
	}
	before := ix.Query("ma", 50)
	ix.Compact()
	ix.mu.RLock()
	pending := len(ix.pending)
	ix.mu.RUnlock()
	if pending != 0 {
		t.Errorf("%d entries still pending", pending)
	}
	if after := ix.Query("ma", 50); !slices.Equal(before, after) {
		t.Errorf("Compact changed the answer: %q, then %q", before, after)
	}
	if got, want := ix.Query("ma", 50), reference(live, "ma", 50); !slices.Equal(got, want) {
		t.Errorf("Query = %q, want %q", got, want)
	}
	var empty Index
	empty.Compact() // the zero value too
}

// TestBulk: a bulk index merges nothing until Compact, answers correctly
// before and after, and merges as usual afterwards.
func TestBulk(t *testing.T) {
	ix := NewBulk()
	live := map[string]Entry{}
	entries := genEntries(5000, 13) // past parallelSort
	for _, e := range entries[:4500] {
		ix.Put(e)
		live[e.ID] = e
	}
	pending := func() int {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		return len(ix.pending)
	}
	if got := pending(); got != 4500 {
		t.Fatalf("%d pending before Compact, want 4500", got)
	}
	check := func(when string) {
		t.Helper()
		for _, q := range []string{"mar", "ller", "555", "王", "an ma", "example"} {
			if got, want := ix.Query(q, 20), reference(live, q, 20); !slices.Equal(got, want) {
				t.Fatalf("%s: Query(%q) = %q, want %q", when, q, got, want)
			}
		}
	}
	check("before Compact")
	ix.Compact()
	if got := pending(); got != 0 {
		t.Fatalf("%d pending after Compact", got)
	}
	check("after Compact")
	ix.compactMin = 16
	for _, e := range entries[4500:] {
		ix.Put(e)
		live[e.ID] = e
	}
	if got := pending(); got >= 500 {
		t.Fatalf("%d pending: no merges after Compact", got)
	}
	check("after more Puts")
}
