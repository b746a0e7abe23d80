// Package version is this build of Spoke's version and the one comparison of versions every
// part uses (the hub's newest-version-seen, the check-up's "update available"). Release builds
// set Version with the linker:
//
//	go build -ldflags "-X spoke/version.Version=0.12.3" .
//
// Versions are semantic versions: MAJOR.MINOR.PATCH, an optional -prerelease and optional
// build metadata after a plus sign (ignored), with or without a leading "v". The package never
// does I/O.
package version

import (
	"errors"
	"strconv"
	"strings"
)

// Version is this build's version; the default is the release the source tree is at.
var Version = "0.12.0"

// MaxLen is the longest version string the hub and the check-up accept.
const MaxLen = 64

// ErrInvalid means a string is not a semantic version.
var ErrInvalid = errors.New("not a semantic version like 1.2.3 (an optional -prerelease and +build allowed)")

// Semver is a parsed version.
type Semver struct {
	Major, Minor, Patch uint64
	Pre                 []string // prerelease identifiers; empty for a release
}

// Parse reads a semantic version. It accepts a leading "v" and drops +build metadata.
func Parse(s string) (Semver, error) {
	var v Semver
	if len(s) == 0 || len(s) > MaxLen {
		return v, ErrInvalid
	}
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !idents(s[i+1:], false) {
			return v, ErrInvalid
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		if !idents(pre, true) {
			return v, ErrInvalid
		}
		v.Pre = strings.Split(pre, ".")
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Semver{}, ErrInvalid
	}
	nums := []*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, ok := number(p)
		if !ok {
			return Semver{}, ErrInvalid
		}
		*nums[i] = n
	}
	return v, nil
}

// number reads a numeric identifier: digits, no leading zero (but "0").
func number(p string) (uint64, bool) {
	if p == "" || len(p) > 1 && p[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(p, 10, 64)
	return n, err == nil
}

// idents checks dot-separated identifiers of [0-9A-Za-z-]; in a prerelease a numeric one has
// no leading zero.
func idents(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-':
				digits = false
			default:
				return false
			}
		}
		if pre && digits && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// String prints the version without a "v" and without build metadata.
func (v Semver) String() string {
	s := strconv.FormatUint(v.Major, 10) + "." + strconv.FormatUint(v.Minor, 10) + "." + strconv.FormatUint(v.Patch, 10)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	return s
}

// Compare orders two versions by semantic-version precedence: -1, 0 or +1.
func (v Semver) Compare(w Semver) int {
	for _, p := range [][2]uint64{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	// A release is newer than any of its prereleases.
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := compareIdent(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.Pre) < len(w.Pre):
		return -1
	case len(v.Pre) > len(w.Pre):
		return 1
	}
	return 0
}

// compareIdent orders prerelease identifiers: numeric ones numerically and below
// alphanumeric ones, which compare as ASCII.
func compareIdent(a, b string) int {
	na, aNum := number(a)
	nb, bNum := number(b)
	switch {
	case aNum && bNum:
		if na < nb {
			return -1
		} else if na > nb {
			return 1
		}
		return 0
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(a, b)
}

// Compare compares two version strings; ok is false when either does not parse.
func Compare(a, b string) (c int, ok bool) {
	va, err1 := Parse(a)
	vb, err2 := Parse(b)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return va.Compare(vb), true
}

// Valid reports whether s is a semantic version.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Newest returns the newest valid version among vs ("" when none is valid).
func Newest(vs ...string) string {
	best, have := Semver{}, false
	out := ""
	for _, s := range vs {
		v, err := Parse(s)
		if err != nil {
			continue
		}
		if !have || v.Compare(best) > 0 {
			best, have, out = v, true, v.String()
		}
	}
	return out
}

// Behind reports how far v is behind newest: "" (not behind, or either invalid), "major",
// "minor", "patch" or "prerelease".
func Behind(v, newest string) string {
	a, err1 := Parse(v)
	b, err2 := Parse(newest)
	if err1 != nil || err2 != nil || a.Compare(b) >= 0 {
		return ""
	}
	switch {
	case a.Major != b.Major:
		return "major"
	case a.Minor != b.Minor:
		return "minor"
	case a.Patch != b.Patch:
		return "patch"
	}
	return "prerelease"
}
