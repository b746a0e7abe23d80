package search

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzQuery builds an index from arbitrary fields, applies arbitrary
// removals, and checks that Query never panics, returns only live IDs, no
// duplicates, at most limit results, and the same answer as brute force.
func FuzzQuery(f *testing.F) {
	f.Add("José Müller|Anna Müller|王小明", "jose@example.com|Anna.K@example.com", "+4915112345678|+49 30 123", "müll", 5, uint64(0))
	f.Add("Jean-Luc|Lucas Jean", "", "(555) 010-9999", "0151 123", 1, uint64(0xdeadbeef))
	f.Add("\xff\xfe|Ｍａｒｉａ|Straße", "\x00@\x00", "０１５１", "ｍａ ß", 3, uint64(7))
	f.Add("a|a|a|a", "a|a", "111|111", "a", 2, uint64(1<<40|3))
	f.Fuzz(func(t *testing.T, names, emails, phones, q string, limit int, ops uint64) {
		ns := strings.Split(names, "|")
		es := strings.Split(emails, "|")
		ps := strings.Split(phones, "|")
		n := max(len(ns), len(es), len(ps))
		if n > 64 {
			n = 64
		}
		// Few distinct IDs so that replacement happens; merge thresholds
		// from 1 (always merged) to never.
		ids := 1 + int(ops%13)
		ix := New()
		ix.compactMin = []int{1, 2, 5, 1 << 30}[ops>>4%4]
		live := map[string]Entry{}
		at := func(s []string, i int) string {
			if i < len(s) {
				return s[i]
			}
			return ""
		}
		for i := range n {
			e := Entry{ID: strconv.Itoa(i % ids), Name: at(ns, i), Email: at(es, i), Phone: at(ps, i)}
			ix.Put(e)
			live[e.ID] = e
			if ops>>(8+i%56)&1 == 1 {
				id := strconv.Itoa((i * 7) % ids)
				ix.Remove(id)
				delete(live, id)
			}
		}
		if ix.Len() != len(live) {
			t.Fatalf("Len = %d, want %d", ix.Len(), len(live))
		}
		limit %= 100
		got := ix.Query(q, limit)
		if len(got) > max(limit, 0) {
			t.Fatalf("%d results for limit %d", len(got), limit)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if _, ok := live[id]; !ok {
				t.Fatalf("result %q is not in the index", id)
			}
			if seen[id] {
				t.Fatalf("duplicate result %q", id)
			}
			seen[id] = true
		}
		want := reference(live, q, limit)
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || (got == nil) != (want == nil) {
			t.Fatalf("Query(%q, %d) = %q, want %q", q, limit, got, want)
		}
	})
}
