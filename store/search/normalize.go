package search

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Caps bound the time and memory one absurd record or query can cost. Real
// names, addresses and numbers are far shorter, so nobody notices them.
const (
	maxInput = 1024 // raw bytes of one stored field that are looked at
	maxName  = 255  // normalised bytes kept of a name; must fit a byte
	maxEmail = 255  // normalised bytes kept of an e-mail address; ditto
	maxPhone = 32   // digits kept of a phone number
	maxQuery = 4096 // raw query bytes accepted; longer queries match nothing
)

// kind selects how fold treats whitespace and which runes survive.
type kind uint8

const (
	kindText  kind = iota // names and queries: words joined by single spaces
	kindEmail             // addresses never contain meaningful whitespace
	kindPhone             // only digits carry meaning in a phone number
)

// scratch holds the temporary buffers of one normalisation run. They hold
// customer data, so release wipes them before they are pooled again.
type scratch struct {
	nfkd []byte
	out  []byte
	aux  []byte

	// A query's parsed form and working sets, kept so that answering a query
	// allocates nothing but its result. They hold row numbers and slices into
	// out, and are cleared on release as well.
	q     query
	hits  [numTiers][]int
	bits  []uint64 // candidate rows of the segment
	bits2 []uint64
	cands []candidate
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func (s *scratch) release() {
	wipe(s.nfkd)
	wipe(s.out)
	wipe(s.aux)
	s.nfkd, s.out, s.aux = s.nfkd[:0], s.out[:0], s.aux[:0]
	clear(s.q.toks)
	s.q = query{toks: s.q.toks[:0], wordy: s.q.wordy[:0]}
	for t := range s.hits {
		clear(s.hits[t])
		s.hits[t] = s.hits[t][:0]
	}
	clear(s.bits)
	clear(s.bits2)
	clear(s.cands)
	s.cands = s.cands[:0]
	scratchPool.Put(s)
}

// wipe zeroes the whole backing array, including bytes past len that an
// earlier, longer use may have left behind.
func wipe(b []byte) { clear(b[:cap(b)]) }

// clip keeps a stored field's work bounded. Cutting inside a rune is harmless:
// the broken tail is dropped as invalid UTF-8 by fold.
func clip(s string) string {
	if len(s) > maxInput {
		return s[:maxInput]
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendNormal appends the search form of s to dst, using *tmp for the
// decomposed text so that no untracked copy of customer data is made.
func appendNormal(dst []byte, s string, k kind, max int, tmp *[]byte) []byte {
	if isASCII(s) {
		// NFKD is the identity on ASCII; skipping it makes bulk loading of
		// mostly-ASCII data several times cheaper.
		*tmp = append((*tmp)[:0], s...)
	} else {
		*tmp = norm.NFKD.AppendString((*tmp)[:0], s)
	}
	return fold(dst, *tmp, k, max)
}

// fold turns NFKD text into its search form: combining marks, format
// characters and invalid bytes dropped, letters lower-cased and a few letters
// that NFKD keeps whole spelt the way people type them. At most max bytes are
// appended, always ending on a rune boundary.
func fold(dst, src []byte, k kind, max int) []byte {
	start := len(dst)
	space := false
	for i := 0; i < len(src); {
		r, size := rune(src[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(src[i:])
		}
		i += size
		if r == utf8.RuneError {
			continue // invalid input, or a replacement char that stands for it
		}
		if k == kindPhone {
			if '0' <= r && r <= '9' {
				if len(dst)-start >= max {
					break
				}
				dst = append(dst, byte(r))
			}
			continue
		}
		rep := ""
		if r < utf8.RuneSelf {
			if r <= ' ' || r == 0x7f {
				space = true
				continue
			}
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				space = true
				continue
			}
			if unicode.In(r, unicode.Mn, unicode.Cf) {
				continue
			}
			r = unicode.ToLower(r)
			rep = special(r)
		}
		need := len(rep)
		if rep == "" {
			need = utf8.RuneLen(r)
		}
		sep := k == kindText && space && len(dst) > start
		if sep {
			need++
		}
		if len(dst)-start+need > max {
			break
		}
		if sep {
			dst = append(dst, ' ')
		}
		space = false
		if rep != "" {
			dst = append(dst, rep...)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// special spells letters that NFKD does not decompose the way they are
// commonly typed on a keyboard without them ("Ørsted" as "orsted").
func special(r rune) string {
	switch r {
	case 'ß':
		return "ss"
	case 'ø':
		return "o"
	case 'ł':
		return "l"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'đ', 'ð':
		return "d"
	case 'þ':
		return "th"
	case 'ı':
		return "i"
	case 'ħ':
		return "h"
	case 'ŧ':
		return "t"
	case 'ς':
		return "σ" // final sigma is the same letter as σ
	}
	return ""
}

// isWordRune reports whether r can be part of a word; everything else
// (spaces, hyphens, apostrophes, dots) separates words, so "Jean-Luc" and
// "O'Brien" have words starting at "luc" and "brien".
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// Signatures are Bloom-like masks that let a scan reject almost every
// non-matching row with a few AND operations instead of a substring search.

// uniBit gives letters and digits exact bits, so one-letter queries filter
// precisely; other bytes share the rest.
func uniBit(c byte) uint64 {
	switch {
	case 'a' <= c && c <= 'z':
		return 1 << (c - 'a')
	case '0' <= c && c <= '9':
		return 1 << (26 + c - '0')
	default:
		return 1 << (36 + c%28)
	}
}

// gramBit sets the bit for an n-gram key in a 128-bit mask. Bigrams and
// trigrams share the mask: a query's rare n-grams are what reject rows, and
// with only byte pairs a query like "ller" has a single rare feature ("ll").
func gramBit(m *[2]uint64, key uint32) {
	b := (key * 0x9E3779B1) >> 25 // Fibonacci hashing to 0..127
	m[b>>6] |= 1 << (b & 63)
}

// textSig returns the byte and n-gram masks of b. Any substring of b has
// masks that are subsets of these.
func textSig(b []byte) (uni uint64, gram [2]uint64) {
	for i, c := range b {
		uni |= uniBit(c)
		if i > 0 {
			gramBit(&gram, uint32(b[i-1])<<8|uint32(c))
		}
		if i > 1 {
			gramBit(&gram, 1<<24|uint32(b[i-2])<<16|uint32(b[i-1])<<8|uint32(c))
		}
	}
	return uni, gram
}

// phoneSig is textSig for digit strings, whose bytes are not worth a mask of
// their own: bigrams and trigrams hashed into 64 bits.
func phoneSig(d []byte) uint64 {
	var m uint64
	for i := 1; i < len(d); i++ {
		key := uint32(d[i-1])<<8 | uint32(d[i])
		if i > 1 {
			m |= 1 << ((1<<24 | uint32(d[i-2])<<16 | key) * 0x9E3779B1 >> 26)
		}
		m |= 1 << (key * 0x9E3779B1 >> 26)
	}
	return m
}
