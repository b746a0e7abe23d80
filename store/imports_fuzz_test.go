package store

import (
	"strings"
	"testing"
)

// FuzzNormalizeSource: a normalised source re-normalises to itself, has a lower-case system
// and never an empty part.
func FuzzNormalizeSource(f *testing.F) {
	for _, s := range []string{"shopify:7301234567001", " Square : 6Z7V0G3J ", "lightspeed-x:0adfd74a-153e", "csv:", ":1", "a b:1", "csv:\u202e1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeSource(s)
		if err != nil {
			return
		}
		again, err := NormalizeSource(n)
		if err != nil || again != n {
			t.Fatalf("%q -> %q -> %q %v", s, n, again, err)
		}
		system, id, ok := strings.Cut(n, ":")
		if !ok || system == "" || id == "" || system != strings.ToLower(system) || id != strings.TrimSpace(id) {
			t.Fatalf("%q -> %q", s, n)
		}
	})
}
