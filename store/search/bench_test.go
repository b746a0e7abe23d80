package search

import (
	"sync"
	"testing"
)

const benchN = 100_000

var benchIndex = sync.OnceValue(func() *Index {
	ix := New()
	for _, e := range genEntries(benchN, 42) {
		ix.Put(e)
	}
	return ix
})

// BenchmarkQuery measures type-ahead latency on 100k customers with a
// result page of 20, the size a search box shows.
func BenchmarkQuery(b *testing.B) {
	ix := benchIndex()
	cases := []struct{ name, q string }{
		{"prefix", "mar"},
		{"substring", "ller"},
		{"phone", "5550"},
		{"chinese", "明"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			var buf []string
			for b.Loop() {
				buf = ix.AppendQuery(buf[:0], c.q, 20)
				n = len(buf)
			}
			if n == 0 {
				b.Fatalf("query %q found nothing", c.q)
			}
		})
	}
}

// BenchmarkBuild measures loading 100k customers after unlock.
func BenchmarkBuild(b *testing.B) {
	entries := genEntries(benchN, 42)
	for b.Loop() {
		ix := New()
		for _, e := range entries {
			ix.Put(e)
		}
		if ix.Len() != benchN {
			b.Fatalf("Len = %d", ix.Len())
		}
	}
}
