package paper

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"spoke/assets"
)

// face is one of the embedded fonts, as gopdf knows it.
type face string

const (
	latin     face = "latin"
	latinBold face = "latin-bold"
	cjk       face = "cjk"
)

// coverage answers which font has a glyph for a rune.
type coverage struct {
	latin, cjk *sfnt.Font
	mu         sync.Mutex
	buf        sfnt.Buffer
}

var (
	covOnce sync.Once
	cov     *coverage
	covErr  error
)

func fontCoverage() (*coverage, error) {
	covOnce.Do(func() {
		c := &coverage{}
		if c.latin, covErr = sfnt.Parse(goregular.TTF); covErr != nil {
			return
		}
		if c.cjk, covErr = sfnt.Parse(assets.CJKFont); covErr != nil {
			return
		}
		cov = c
	})
	return cov, covErr
}

func (c *coverage) has(f *sfnt.Font, r rune) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, err := f.GlyphIndex(&c.buf, r)
	return err == nil && i != 0
}

// fontFor is the font that draws r: the Latin font where it has the glyph, else the CJK font,
// else none (the rune is then printed as "?").
func (c *coverage) fontFor(r rune, bold bool) (face, bool) {
	if c.has(c.latin, r) {
		if bold {
			return latinBold, true
		}
		return latin, true
	}
	if c.has(c.cjk, r) {
		return cjk, true
	}
	return "", false
}

var fontData = map[face][]byte{latin: goregular.TTF, latinBold: gobold.TTF, cjk: assets.CJKFont}

// maxField is the most runes of one value the renderer reads: far beyond any field the store
// accepts, so only a hostile value is cut here.
const maxField = 8000

// clean makes a value printable: control characters become spaces (newlines too, unless
// multiline), format characters (bidirectional overrides and isolates, zero-width joiners, the
// byte-order mark) and variation selectors are dropped, invalid UTF-8 becomes "?", and the
// value is cut at maxField runes.
func clean(s string, multiline bool) string {
	out := make([]rune, 0, min(len(s), maxField))
	n := 0
	for i := 0; i < len(s) && n < maxField; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '?'
		case r == '\n' && multiline:
		case r == '\r' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			if r == 0x2029 && multiline || r == 0x2028 && multiline {
				r = '\n'
			} else {
				r = ' '
			}
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r),
			unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r), r == 0xFFFD:
			continue
		}
		out = append(out, r)
		n++
	}
	return string(out)
}

// isWide reports whether r is set without spaces around it (CJK text), so a line may break
// before and after it.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}
