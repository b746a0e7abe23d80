package version

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" = invalid
	}{
		{"0.12.0", "0.12.0"}, {"v1.2.3", "1.2.3"}, {"1.2.3-rc.1", "1.2.3-rc.1"}, {"1.2.3+build.5", "1.2.3"},
		{"1.2.3-alpha+x", "1.2.3-alpha"}, {"10.20.30", "10.20.30"},
		{"", ""}, {"1.2", ""}, {"1.2.3.4", ""}, {"01.2.3", ""}, {"1.2.3-", ""}, {"1.2.3-01", ""}, {"1.2.3+", ""},
		{"1.2.x", ""}, {"1.2.3-a..b", ""}, {"1.2.3 ", ""}, {"1.2.3-ä", ""}, {"-1.2.3", ""}, {strings.Repeat("1", 70) + ".0.0", ""},
	} {
		v, err := Parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", tc.in, v)
			}
			continue
		}
		if err != nil || v.String() != tc.want {
			t.Errorf("Parse(%q) = %v %v, want %s", tc.in, v, err, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	// In increasing order (semver.org's precedence example, then more).
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0"}
	for i := range order {
		for j := range order {
			c, ok := Compare(order[i], order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if !ok || c != want {
				t.Errorf("Compare(%s, %s) = %d %v, want %d", order[i], order[j], c, ok, want)
			}
		}
	}
	if _, ok := Compare("1.0.0", "one"); ok {
		t.Error("an invalid version compared")
	}
	if c, _ := Compare("v1.0.0+a", "1.0.0+b"); c != 0 {
		t.Error("build metadata must not order")
	}
}

func TestNewestAndBehind(t *testing.T) {
	if got := Newest("0.11.2", "bogus", "0.12.0-rc.1", "0.12.0", "0.9.9"); got != "0.12.0" {
		t.Errorf("Newest = %q", got)
	}
	if got := Newest("x", ""); got != "" {
		t.Errorf("Newest of nothing valid = %q", got)
	}
	for _, tc := range [][3]string{
		{"0.11.0", "0.12.0", "minor"}, {"0.12.0", "1.0.0", "major"}, {"0.12.0", "0.12.1", "patch"},
		{"0.12.0-rc.1", "0.12.0", "prerelease"}, {"0.12.0", "0.12.0", ""}, {"0.13.0", "0.12.0", ""}, {"bad", "0.12.0", ""},
	} {
		if got := Behind(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Behind(%s, %s) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
	if !Valid(Version) {
		t.Fatalf("the default Version %q is not a semantic version", Version)
	}
}

// FuzzParse: whatever parses prints back to a string that parses to the same version, and
// compares equal to it; nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.12.0", "v1.2.3-rc.1+b", "1.0.0-alpha.beta.1", "01.1.1", "1.2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		w, err := Parse(v.String())
		if err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, v.String(), err)
		}
		if v.Compare(w) != 0 || w.String() != v.String() {
			t.Fatalf("%q: round trip %q -> %q", s, v.String(), w.String())
		}
		if len(v.String()) > MaxLen {
			t.Fatalf("%q: printed longer than accepted", s)
		}
	})
}
