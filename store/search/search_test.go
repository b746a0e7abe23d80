package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
	"unsafe"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		k    kind
		want string
	}{
		{"accents and umlauts", "José Müller", kindText, "jose muller"},
		{"whitespace collapsed and trimmed", "  Anna \t  Maria\n", kindText, "anna maria"},
		{"sharp s", "Straße", kindText, "strasse"},
		{"capital sharp s", "STRAẞE", kindText, "strasse"},
		{"o with stroke", "ØRSTED Søren", kindText, "orsted soren"},
		{"l with stroke", "Łódź", kindText, "lodz"},
		{"ae ligature", "Æsir æble", kindText, "aesir aeble"},
		{"d with stroke", "Đorđe", kindText, "dorde"},
		{"oe thorn eth dotless i", "Œuvre Þór Ðan ılık", kindText, "oeuvre thor dan ilik"},
		{"full-width and ideographic space", "ＡＢＣ\u3000ｄｅｆ", kindText, "abc def"},
		{"CJK untouched", "王小明", kindText, "王小明"},
		{"invalid UTF-8 dropped", "a\xffb\xc3", kindText, "ab"},
		{"zero-width space dropped", "a\u200bb", kindText, "ab"},
		{"soft hyphen dropped", "Mül\u00adler", kindText, "muller"},
		{"no-break space separates", "a\u00a0b", kindText, "a b"},
		{"controls separate", "\x00x\x01y\x7f", kindText, "x y"},
		{"dotted capital I", "İstanbul", kindText, "istanbul"},
		{"ligature fi", "ﬁle", kindText, "file"},
		{"greek", "Ἀθηνᾶ Σωκράτης", kindText, "αθηνα σωκρατησ"},
		{"replacement char dropped", "a\uFFFDb", kindText, "ab"},
		{"empty", "", kindText, ""},
		{"only spaces", " \t ", kindText, ""},
		{"punctuation kept", "Jean-Luc O'Brien", kindText, "jean-luc o'brien"},
		{"email lower-cased", " Anna.K@Example.COM ", kindEmail, "anna.k@example.com"},
		{"email whitespace dropped", "a b@c", kindEmail, "ab@c"},
		{"email umlaut", "jürgen@bikes.de", kindEmail, "jurgen@bikes.de"},
		{"phone punctuation", "+49 (151) 123-45.67", kindPhone, "49151123456" + "7"},
		{"phone full-width", "０１５１", kindPhone, "0151"},
		{"phone letters", "call me", kindPhone, ""},
		{"phone invalid UTF-8", "\xff12\xfe3", kindPhone, "123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tmp []byte
			got := string(appendNormal(nil, tt.in, tt.k, 1<<20, &tmp))
			if got != tt.want {
				t.Errorf("appendNormal(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldCaps(t *testing.T) {
	tests := []struct {
		name string
		in   string
		k    kind
		max  int
	}{
		{"long ASCII name", strings.Repeat("ab ", 2000), kindText, maxName},
		{"long multibyte name", strings.Repeat("王ü", 2000), kindText, maxName},
		{"expanding ligatures", strings.Repeat("\ufdfa", 500), kindText, maxName},
		{"long phone", strings.Repeat("1", 500), kindPhone, maxPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFields(Entry{Name: tt.in, Phone: tt.in})
			n, _, p := f.parts()
			got := n
			if tt.k == kindPhone {
				got = p
			}
			if len(got) == 0 || len(got) > tt.max {
				t.Errorf("len = %d, want 1..%d", len(got), tt.max)
			}
			if !utf8.Valid(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
		})
	}
}

// fixture is a small customer list covering the matching rules.
var fixture = []Entry{
	{ID: "a1", Name: "José Müller", Email: "jose@example.com", Phone: "+4915112345678"},
	{ID: "a2", Name: "Anna Müller", Email: "Anna.K@example.com", Phone: "+49 30 1234567"},
	{ID: "a3", Name: "Anna Schmidt", Email: "schmidt@bikes.de", Phone: "+1 (555) 010-9999"},
	{ID: "a4", Name: "王小明", Email: "wang@example.cn", Phone: "+86 138 0013 8000"},
	{ID: "a5", Name: "ＭＡＲＩＡ Ｋｅｌｌｅｒ", Email: "maria@keller.example", Phone: ""},
	{ID: "a6", Name: "Jörg Strauß", Email: "joerg@strauss.example", Phone: "0049 89 555 0123"},
	{ID: "a7", Name: "Søren Łukasz", Email: "", Phone: ""},
	{ID: "a8", Name: "Æsa Đorđević", Email: "", Phone: ""},
	{ID: "a9", Name: "Jean-Luc Picard", Email: "captain@enterprise.example", Phone: ""},
	{ID: "a10", Name: "Lucas Jean", Email: "", Phone: "n/a"},
}

func fixtureIndex(compactMin int) *Index {
	ix := New()
	ix.compactMin = compactMin
	for _, e := range fixture {
		ix.Put(e)
	}
	return ix
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name  string
		q     string
		limit int
		want  []string
	}{
		// Normalisation.
		{"plain word", "jose", 10, []string{"a1"}},
		{"upper case without umlaut", "MULLER", 10, []string{"a2", "a1"}},
		{"umlaut prefix", "müll", 10, []string{"a2", "a1"}},
		{"short prefix", "jos", 10, []string{"a1"}},
		{"accent in query", "JOSÉ", 10, []string{"a1"}},
		{"full-width name", "maria", 10, []string{"a5"}},
		{"full-width query", "ｍａｒｉａ", 10, []string{"a5"}},
		{"sharp s in query", "strauß", 10, []string{"a6"}},
		{"sharp s spelt out", "STRAUSS", 10, []string{"a6"}},
		{"o with stroke", "soren", 10, []string{"a7"}},
		{"l with stroke in query", "łuk", 10, []string{"a7"}},
		{"ae ligature", "aesa", 10, []string{"a8"}},
		{"d with stroke", "dorde", 10, []string{"a8"}},
		{"invalid UTF-8 in query", "\xffjose\xfe", 10, []string{"a1"}},
		// Name tiers.
		{"word prefix on later word", "schm", 10, []string{"a3"}},
		{"word prefix after hyphen", "luc", 10, []string{"a9", "a10"}},
		{"word prefix either word", "jean", 10, []string{"a9", "a10"}},
		{"full-name prefix across hyphen", "jean-l", 10, []string{"a9"}},
		{"leading punctuation is substring", "-luc", 10, []string{"a9"}},
		{"substring", "ller", 10, []string{"a2", "a1", "a5"}},
		// CJK.
		{"CJK given name substring", "小明", 10, []string{"a4"}},
		{"CJK family name", "王", 10, []string{"a4"}},
		{"CJK single rune", "明", 10, []string{"a4"}},
		// Multi-word AND.
		{"two words", "anna mül", 10, []string{"a2"}},
		{"two words reversed", "mül anna", 10, []string{"a2"}},
		{"extra spaces", "  anna   mül ", 10, []string{"a2"}},
		{"one word misses", "jose x", 10, nil},
		{"shared first word", "anna", 10, []string{"a2", "a3"}},
		// E-mail.
		{"email prefix", "anna.k", 10, []string{"a2"}},
		{"email prefix mixed case", "Anna.K@Example", 10, []string{"a2"}},
		{"email substring", "example", 10, []string{"a2", "a9", "a6", "a1", "a5", "a4"}},
		{"email domain", "@bikes", 10, []string{"a3"}},
		// Phone.
		{"phone with space", "151 123", 10, []string{"a1"}},
		{"phone with trunk zero", "0151123", 10, []string{"a1"}},
		{"phone international", "+49 151", 10, []string{"a1"}},
		{"phone punctuation", "(555) 010", 10, []string{"a3"}},
		{"phone several hits", "555", 10, []string{"a3", "a6"}},
		{"phone spaces", "138 0013", 10, []string{"a4"}},
		{"phone slash", "0151/123", 10, []string{"a1"}},
		{"two digits are not a phone query", "12", 10, nil},
		{"letters make it text", "151a", 10, nil},
		// Limits and blanks.
		{"limit cuts", "example", 2, []string{"a2", "a9"}},
		{"limit one", "anna", 1, []string{"a2"}},
		{"zero limit", "anna", 0, nil},
		{"negative limit", "anna", -1, nil},
		{"empty", "", 10, nil},
		{"blank", " \t\n ", 10, nil},
		{"only invalid bytes", "\xff\xfe", 10, nil},
		{"only marks", "\u0301\u0308", 10, nil},
		{"no match", "zzz", 10, nil},
		{"too long", strings.Repeat("a", maxQuery+1), 10, nil},
	}
	// Every case runs against the pending list only, the sorted segment
	// only, and a mix, since each path ranks and merges separately.
	layouts := []struct {
		name  string
		build func() *Index
	}{
		{"pending", func() *Index { return fixtureIndex(1 << 30) }},
		{"segment", func() *Index { return fixtureIndex(1) }},
		{"mixed", func() *Index {
			ix := fixtureIndex(1 << 30)
			ix.mu.Lock()
			ix.compact()
			ix.mu.Unlock()
			for i := 0; i < len(fixture); i += 2 {
				e := fixture[i]
				e.Name += " "
				ix.Put(e) // same normalised data: must not change anything
			}
			for _, e := range fixture[5:] {
				ix.Remove(e.ID)
				ix.Put(e)
			}
			return ix
		}},
	}
	for _, l := range layouts {
		ix := l.build()
		for _, tt := range tests {
			t.Run(l.name+"/"+tt.name, func(t *testing.T) {
				got := ix.Query(tt.q, tt.limit)
				if !slices.Equal(got, tt.want) {
					t.Errorf("Query(%q, %d) = %q, want %q", tt.q, tt.limit, got, tt.want)
				}
			})
		}
	}
}

func TestRanking(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		q       string
		want    []string
	}{
		{
			name: "word prefix before name substring",
			entries: []Entry{
				{ID: "sub", Name: "Aaron Weinberg"},
				{ID: "word", Name: "Zora Bergmann"},
			},
			q:    "berg",
			want: []string{"word", "sub"},
		},
		{
			name: "full-name prefix before name substring",
			entries: []Entry{
				{ID: "sub", Name: "Aimée Jean-Louise"},
				{ID: "prefix", Name: "Jean-Luc"},
			},
			q:    "jean-l",
			want: []string{"prefix", "sub"},
		},
		{
			name: "name word prefix before email prefix",
			entries: []Entry{
				{ID: "email", Name: "Adam Lee", Email: "kim.adam@example.com"},
				{ID: "name", Name: "Zoe Kim"},
			},
			q:    "kim",
			want: []string{"name", "email"},
		},
		{
			name: "email prefix before phone",
			entries: []Entry{
				{ID: "phone", Name: "Adam", Phone: "+1 555 1234"},
				{ID: "email", Name: "Zed", Email: "555hotline@example.com"},
			},
			q:    "555",
			want: []string{"email", "phone"},
		},
		{
			name: "phone before name substring",
			entries: []Entry{
				{ID: "name", Name: "Agent 0123"},
				{ID: "phone", Name: "Zed", Phone: "+49 123 45"},
			},
			q:    "123",
			want: []string{"phone", "name"},
		},
		{
			name: "name substring before email substring",
			entries: []Entry{
				{ID: "email", Name: "Aaron Adams", Email: "aaron@bergen.example"},
				{ID: "name", Name: "Aaron Weinberg"},
			},
			q:    "berg",
			want: []string{"name", "email"},
		},
		{
			name: "same tier ordered by normalised name",
			entries: []Entry{
				{ID: "1", Name: "Anna Zeller"},
				{ID: "2", Name: "anna Abel"},
				{ID: "3", Name: "ÄNNA Müller"},
			},
			q:    "anna",
			want: []string{"2", "3", "1"},
		},
		{
			name: "same name ordered by ID",
			entries: []Entry{
				{ID: "b", Name: "Anna Test"},
				{ID: "c", Name: "Anna Test"},
				{ID: "a", Name: "anna  TEST"},
			},
			q:    "test",
			want: []string{"a", "b", "c"},
		},
		{
			name: "best tier of an entry counts",
			entries: []Entry{
				{ID: "both", Name: "Xaver Muller", Email: "muller@example.com"},
				{ID: "emailonly", Name: "Abe", Email: "muller.abe@example.com"},
			},
			q:    "muller",
			want: []string{"both", "emailonly"},
		},
	}
	for _, tt := range tests {
		for _, cm := range []int{1, 1 << 30} {
			t.Run(fmt.Sprintf("%s/compactMin=%d", tt.name, cm), func(t *testing.T) {
				ix := New()
				ix.compactMin = cm
				for _, e := range tt.entries {
					ix.Put(e)
				}
				if got := ix.Query(tt.q, 10); !slices.Equal(got, tt.want) {
					t.Errorf("Query(%q) = %q, want %q", tt.q, got, tt.want)
				}
			})
		}
	}
}

func TestPutRemove(t *testing.T) {
	type op struct {
		put    *Entry
		remove string
	}
	tests := []struct {
		name    string
		ops     []op
		q       string
		want    []string
		wantLen int
	}{
		{
			name:    "put then query",
			ops:     []op{{put: &Entry{ID: "1", Name: "Anna"}}},
			q:       "anna",
			want:    []string{"1"},
			wantLen: 1,
		},
		{
			name: "replace drops old name",
			ops: []op{
				{put: &Entry{ID: "1", Name: "Anna"}},
				{put: &Entry{ID: "1", Name: "Berta"}},
			},
			q:       "anna",
			want:    nil,
			wantLen: 1,
		},
		{
			name: "replace finds new name",
			ops: []op{
				{put: &Entry{ID: "1", Name: "Anna"}},
				{put: &Entry{ID: "1", Name: "Berta"}},
			},
			q:       "berta",
			want:    []string{"1"},
			wantLen: 1,
		},
		{
			name: "remove",
			ops: []op{
				{put: &Entry{ID: "1", Name: "Anna"}},
				{put: &Entry{ID: "2", Name: "Anna"}},
				{remove: "1"},
			},
			q:       "anna",
			want:    []string{"2"},
			wantLen: 1,
		},
		{
			name: "remove unknown is a no-op",
			ops: []op{
				{put: &Entry{ID: "1", Name: "Anna"}},
				{remove: "nope"},
			},
			q:       "anna",
			want:    []string{"1"},
			wantLen: 1,
		},
		{
			name: "remove then put again",
			ops: []op{
				{put: &Entry{ID: "1", Name: "Anna"}},
				{remove: "1"},
				{put: &Entry{ID: "1", Name: "Anna"}},
			},
			q:       "anna",
			want:    []string{"1"},
			wantLen: 1,
		},
		{
			name:    "empty ID is an ID like any other",
			ops:     []op{{put: &Entry{ID: "", Name: "Anna"}}},
			q:       "anna",
			want:    []string{""},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		for _, cm := range []int{1, 1 << 30} {
			t.Run(fmt.Sprintf("%s/compactMin=%d", tt.name, cm), func(t *testing.T) {
				ix := New()
				ix.compactMin = cm
				for _, o := range tt.ops {
					if o.put != nil {
						ix.Put(*o.put)
					} else {
						ix.Remove(o.remove)
					}
				}
				if got := ix.Query(tt.q, 10); !slices.Equal(got, tt.want) {
					t.Errorf("Query(%q) = %q, want %q", tt.q, got, tt.want)
				}
				if got := ix.Len(); got != tt.wantLen {
					t.Errorf("Len() = %d, want %d", got, tt.wantLen)
				}
			})
		}
	}
}

func TestZeroValue(t *testing.T) {
	var ix Index
	if got := ix.Query("anna", 5); got != nil {
		t.Fatalf("empty index returned %q", got)
	}
	ix.Remove("x")
	ix.Put(Entry{ID: "1", Name: "Anna"})
	if got := ix.Query("anna", 5); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("Query = %q", got)
	}
	ix.Wipe()
	if ix.Len() != 0 {
		t.Fatalf("Len after Wipe = %d", ix.Len())
	}
}

// TestAgainstReference applies random Puts and Removes, merging often, and
// checks every answer against brute force.
func TestAgainstReference(t *testing.T) {
	pool := genEntries(400, 7)
	queries := []string{"a", "an", "mar", "ller", "müller", "ma ri", "明", "王", "555", "0151", "+49 15", "example", "@bikes", "x", "jo sé", "ß", "el-", " "}
	for _, cm := range []int{1, 3, 50, 1 << 30} {
		t.Run(fmt.Sprintf("compactMin=%d", cm), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(cm), 99))
			ix := New()
			ix.compactMin = cm
			live := map[string]Entry{}
			for step := range 600 {
				e := pool[r.IntN(len(pool))]
				switch r.IntN(4) {
				case 0:
					ix.Remove(e.ID)
					delete(live, e.ID)
				case 1:
					// Re-use an ID with another entry's data to exercise
					// replacement.
					o := pool[r.IntN(len(pool))]
					o.ID = e.ID
					ix.Put(o)
					live[o.ID] = o
				default:
					ix.Put(e)
					live[e.ID] = e
				}
				if ix.Len() != len(live) {
					t.Fatalf("step %d: Len = %d, want %d", step, ix.Len(), len(live))
				}
				if step%20 != 0 {
					continue
				}
				for _, q := range queries {
					for _, limit := range []int{1, 5, 1000} {
						got, want := ix.Query(q, limit), reference(live, q, limit)
						if !slices.Equal(got, want) {
							t.Fatalf("step %d: Query(%q, %d) = %q, want %q", step, q, limit, got, want)
						}
					}
				}
			}
		})
	}
}

func TestWipe(t *testing.T) {
	ix := New()
	ix.compactMin = 1 << 30
	entries := genEntries(300, 1)
	for _, e := range entries[:200] {
		ix.Put(e)
	}
	ix.mu.Lock()
	ix.compact()
	ix.mu.Unlock()
	for _, e := range entries[200:] {
		ix.Put(e)
	}

	// Keep the backing arrays to check they were zeroed, not just dropped.
	ix.mu.RLock()
	blob := ix.seg.blob[:cap(ix.seg.blob)]
	var bufs [][]byte
	for _, p := range ix.pending {
		bufs = append(bufs, p.f.rec[:cap(p.f.rec)])
	}
	ix.mu.RUnlock()
	if len(blob) == 0 || len(bufs) == 0 {
		t.Fatal("test setup: expected data both in the segment and pending")
	}

	ix.Wipe()

	allZero := func(b []byte) bool {
		for _, c := range b {
			if c != 0 {
				return false
			}
		}
		return true
	}
	if !allZero(blob) {
		t.Error("segment blob not zeroed")
	}
	for i, b := range bufs {
		if !allZero(b) {
			t.Errorf("pending buffer %d not zeroed", i)
		}
	}
	if ix.Len() != 0 {
		t.Errorf("Len after Wipe = %d", ix.Len())
	}
	if got := ix.Query("a", 10); got != nil {
		t.Errorf("Query after Wipe = %q", got)
	}
	ix.Put(Entry{ID: "new", Name: "Anna"})
	if got := ix.Query("anna", 10); !slices.Equal(got, []string{"new"}) {
		t.Errorf("index unusable after Wipe: %q", got)
	}
}

func TestRemoveWipesSegmentRow(t *testing.T) {
	tests := []struct {
		name string
		op   func(ix *Index)
	}{
		{"remove", func(ix *Index) { ix.Remove("1") }},
		{"replace", func(ix *Index) { ix.Put(Entry{ID: "1", Name: "Berta"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := New()
			ix.compactMin = 1 << 30
			ix.Put(Entry{ID: "0", Name: "Zoe", Email: "zoe@example.com"})
			ix.Put(Entry{ID: "1", Name: "Anna Müller", Email: "anna@example.com", Phone: "+49 151 1234"})
			ix.mu.Lock()
			ix.compact()
			ix.mu.Unlock()
			rec := ix.seg.record(0) // "anna muller" sorts first
			tt.op(ix)
			for _, c := range rec {
				if c != 0 {
					t.Fatalf("dead row not zeroed: %q", rec)
				}
			}
			if got := ix.Query("zoe", 5); !slices.Equal(got, []string{"0"}) {
				t.Errorf("other row damaged: Query = %q", got)
			}
		})
	}
}

func TestCompactionWipesOldStorage(t *testing.T) {
	ix := New()
	ix.compactMin = 1 << 30
	for _, e := range genEntries(50, 2) {
		ix.Put(e)
	}
	ix.mu.Lock()
	buf := ix.pending[0].f.rec[:cap(ix.pending[0].f.rec)]
	ix.compact()
	blob := ix.seg.blob[:cap(ix.seg.blob)]
	ix.mu.Unlock()
	ix.Put(Entry{ID: "x", Name: "Anna"})
	ix.mu.Lock()
	ix.compact()
	ix.mu.Unlock()
	for name, b := range map[string][]byte{"pending buffer": buf, "old segment": blob} {
		for _, c := range b {
			if c != 0 {
				t.Errorf("%s not zeroed after merge", name)
				break
			}
		}
	}
}

func TestOddInput(t *testing.T) {
	huge := strings.Repeat("Müller ", 200000)
	entries := []Entry{
		{ID: "bad", Name: "\xff\xfe\xfd", Email: "\xc3\x28@\xa0\xa1", Phone: "\xe2\x82\x28"},
		{ID: "\xffid", Name: "Anna\x00Null", Email: "a\x00b", Phone: "\x00"},
		{ID: "huge", Name: huge, Email: huge, Phone: strings.Repeat("5", 100000)},
		{ID: "marks", Name: strings.Repeat("\u0301", 5000)},
		{ID: "empty"},
		{ID: "ctl", Name: "\t\n\r\v\f", Email: "\u2028", Phone: "+"},
	}
	queries := []string{"", "\xff", "anna", "null", "müller", "\x00", "555", huge[:3000], "\u0301", "a\xffn\xfen\xfda", strings.Repeat("5 ", 2000)}
	for _, cm := range []int{1, 1 << 30} {
		t.Run(fmt.Sprintf("compactMin=%d", cm), func(t *testing.T) {
			ix := New()
			ix.compactMin = cm
			live := map[string]Entry{}
			for _, e := range entries {
				ix.Put(e)
				live[e.ID] = e
			}
			for _, q := range queries {
				for _, limit := range []int{1, 3, 1 << 40} {
					got, want := ix.Query(q, limit), reference(live, q, limit)
					if !slices.Equal(got, want) {
						t.Errorf("Query(%.20q, %d) = %q, want %q", q, limit, got, want)
					}
				}
			}
			if got := ix.Query("null", 10); !slices.Equal(got, []string{"\xffid"}) {
				t.Errorf("NUL-separated word: got %q", got)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	entries := genEntries(2000, 3)
	ix := New()
	ix.compactMin = 16
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < len(entries); i += 2 {
				ix.Put(entries[i])
				if i%7 == 0 {
					ix.Remove(entries[i/2].ID)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range 300 {
				res := ix.Query([]string{"mar", "ller", "555", "明"}[i%4], 20)
				if len(res) > 20 {
					t.Errorf("got %d results", len(res))
				}
				_ = ix.Len()
			}
		})
	}
	wg.Wait()
	ix.Wipe()
	if ix.Len() != 0 {
		t.Fatalf("Len after Wipe = %d", ix.Len())
	}
}

// TestSigSize guards the scan's one-cache-line-per-row layout.
func TestSigSize(t *testing.T) {
	if got := unsafe.Sizeof(sig{}); got != 64 {
		t.Errorf("sig is %d bytes, want 64", got)
	}
}
