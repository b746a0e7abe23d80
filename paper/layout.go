package paper

import (
	"errors"
	"strings"

	"github.com/signintech/gopdf"
)

// mm is one millimetre in points, the unit every position here is in.
const mm = 72.0 / 25.4

// Page sizes in points.
var (
	sizeA4  = gopdf.Rect{W: 210 * mm, H: 297 * mm}
	sizeA5  = gopdf.Rect{W: 148 * mm, H: 210 * mm}
	sizeTag = gopdf.Rect{W: 62 * mm, H: 100 * mm} // a 62 mm label, 100 mm long
)

// errRender is the one error a caller sees when a document could not be set: it names no value.
var errRender = errors.New("the document could not be rendered")

// ascent places the baseline below a line's top, the same for every font so that a line that
// mixes Latin and CJK runs keeps one baseline.
const ascent = 0.8

// leading is the line height as a multiple of the font size.
const leading = 1.3

// box is a piece of text as drawn, kept so tests can check nothing left its page.
type box struct {
	page       int
	x, y, w, h float64
}

// sheet is a document being set: the PDF, the cursor, the page's frame.
type sheet struct {
	pdf      *gopdf.GoPdf
	cov      *coverage
	size     gopdf.Rect
	margin   float64
	bottom   float64 // reserved at the foot of each page (the footer)
	y        float64
	page     int
	maxPages int  // 0: as many as the text needs
	full     bool // the last allowed page is full: further text is cut
	fonts    map[face]bool
	boxes    []box
	footer   func(s *sheet)
	widths   map[widthKey]float64
	err      error
}

type widthKey struct {
	f    face
	size float64
	r    rune
}

func newSheet(size gopdf.Rect, margin float64, maxPages int, title string) (*sheet, error) {
	c, err := fontCoverage()
	if err != nil {
		return nil, errRender
	}
	s := &sheet{pdf: &gopdf.GoPdf{}, cov: c, size: size, margin: margin, maxPages: maxPages, fonts: map[face]bool{}, widths: map[widthKey]float64{}}
	s.pdf.Start(gopdf.Config{PageSize: size, Unit: gopdf.UnitPT})
	// The metadata names the kind of document only, never a value printed on it.
	s.pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "Spoke", Producer: "Spoke"})
	s.pdf.SetCompressLevel(9)
	s.newPage()
	return s, nil
}

func (s *sheet) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

func (s *sheet) newPage() {
	if s.page > 0 && s.footer != nil {
		s.footer(s)
	}
	s.pdf.AddPage()
	s.page++
	s.y = s.margin
}

// room makes room for h points of height: a new page where the text may go on, else false
// (the page is full and the text is cut).
func (s *sheet) room(h float64) bool {
	if s.y+h <= s.size.H-s.margin-s.bottom {
		return true
	}
	if s.maxPages > 0 && s.page >= s.maxPages {
		s.full = true
		return false
	}
	s.newPage()
	return s.y+h <= s.size.H-s.margin-s.bottom
}

func (s *sheet) setFont(f face, size float64) {
	if !s.fonts[f] {
		if err := s.pdf.AddTTFFontData(string(f), fontData[f]); err != nil {
			s.fail(errRender)
			return
		}
		s.fonts[f] = true
	}
	s.fail(s.pdf.SetFont(string(f), "", size))
}

// width is the advance of text in font f at size: the sum of its runes' advances (kerning is
// off), each measured once.
func (s *sheet) width(f face, size float64, text string) float64 {
	w := 0.0
	for _, r := range text {
		w += s.runeWidth(f, size, r)
	}
	return w
}

func (s *sheet) runeWidth(f face, size float64, r rune) float64 {
	k := widthKey{f, size, r}
	if w, ok := s.widths[k]; ok {
		return w
	}
	s.setFont(f, size)
	w, err := s.pdf.MeasureTextWidth(string(r))
	if err != nil {
		s.fail(errRender)
		return 0
	}
	s.widths[k] = w
	return w
}

// finish closes the last page and returns the PDF.
func (s *sheet) finish() ([]byte, error) {
	if s.footer != nil {
		s.footer(s)
	}
	if s.err != nil {
		return nil, errRender
	}
	b, err := s.pdf.GetBytesPdfReturnErr()
	if err != nil {
		return nil, errRender
	}
	return b, nil
}

// token is a word (or one CJK character) in one font.
type token struct {
	text  string
	f     face
	space bool // a space stands before it
	wide  bool
}

// tokens splits clean text into words and CJK characters, each in the font that has its
// glyphs; a rune no font has becomes "?".
func (s *sheet) tokens(text string, bold bool) []token {
	var out []token
	var cur strings.Builder
	var curFace face
	curSpace, pending := false, false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, token{text: cur.String(), f: curFace, space: curSpace})
			cur.Reset()
		}
	}
	for _, r := range text {
		if r == ' ' || r == 0xA0 || r == 0x3000 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F {
			flush()
			pending = true
			continue
		}
		f, ok := s.cov.fontFor(r, bold)
		if !ok {
			r = '?'
			f, _ = s.cov.fontFor(r, bold)
		}
		if isWide(r) {
			flush()
			out = append(out, token{text: string(r), f: f, space: pending, wide: true})
			pending = false
			continue
		}
		if cur.Len() > 0 && f != curFace {
			flush()
			curSpace = false
		}
		if cur.Len() == 0 {
			curFace, curSpace = f, pending
		}
		if len(out) > 0 && cur.Len() == 0 && out[len(out)-1].wide {
			curSpace = pending
		}
		pending = false
		cur.WriteRune(r)
	}
	flush()
	return out
}

// piece is a run of one font on a line, at x from the line's start.
type piece struct {
	text string
	f    face
	x, w float64
}

type line struct {
	pieces []piece
	w      float64
}

// wrap sets text into lines no wider than maxW; a newline (where the text keeps them) starts a
// new line. A word wider than the line is broken between characters.
func (s *sheet) wrap(text string, size, maxW float64, bold bool) []line {
	var out []line
	for _, para := range strings.Split(text, "\n") {
		out = append(out, s.wrapPara(para, size, maxW, bold)...)
	}
	return out
}

func (s *sheet) wrapPara(text string, size, maxW float64, bold bool) []line {
	toks := s.tokens(text, bold)
	if len(toks) == 0 {
		return []line{{}}
	}
	space := s.width(latin, size, " ")
	var out []line
	cur := line{}
	add := func(t token, w float64) {
		x := cur.w
		if len(cur.pieces) > 0 && t.space {
			x += space
		}
		cur.pieces = append(cur.pieces, piece{text: t.text, f: t.f, x: x, w: w})
		cur.w = x + w
	}
	for _, t := range toks {
		w := s.width(t.f, size, t.text)
		gap := 0.0
		if len(cur.pieces) > 0 && t.space {
			gap = space
		}
		if cur.w+gap+w <= maxW {
			add(t, w)
			continue
		}
		if len(cur.pieces) > 0 {
			out = append(out, cur)
			cur = line{}
		}
		if w <= maxW {
			add(t, w)
			continue
		}
		// A word longer than the line: as many characters as fit, then the rest.
		var part []rune
		pw := 0.0
		for _, r := range t.text {
			rw := s.runeWidth(t.f, size, r)
			if pw+rw > maxW && len(part) > 0 {
				add(token{text: string(part), f: t.f}, pw)
				out = append(out, cur)
				cur = line{}
				part, pw = part[:0], 0
			}
			part = append(part, r)
			pw += rw
		}
		if len(part) > 0 {
			add(token{text: string(part), f: t.f}, pw)
		}
	}
	return append(out, cur)
}

// ellipsis ends a line that is cut: "…" replaces as much of its end as it needs.
func (s *sheet) ellipsis(l line, size, maxW float64) line {
	dots := s.width(latin, size, "…")
	for len(l.pieces) > 0 && l.w+dots > maxW {
		last := &l.pieces[len(l.pieces)-1]
		rs := []rune(last.text)
		if len(rs) <= 1 {
			l.pieces = l.pieces[:len(l.pieces)-1]
			if len(l.pieces) > 0 {
				p := l.pieces[len(l.pieces)-1]
				l.w = p.x + p.w
			} else {
				l.w = 0
			}
			continue
		}
		last.text = string(rs[:len(rs)-1])
		last.w = s.width(last.f, size, last.text)
		l.w = last.x + last.w
	}
	l.pieces = append(l.pieces, piece{text: "…", f: latin, x: l.w, w: dots})
	l.w += dots
	return l
}

// draw sets one line with its top at y, starting at x.
func (s *sheet) draw(l line, x, y, size float64) {
	for _, p := range l.pieces {
		if p.text == "" {
			continue
		}
		s.setFont(p.f, size)
		s.pdf.SetXY(x+p.x, y+size*ascent)
		s.fail(s.pdf.Text(p.text))
		s.boxes = append(s.boxes, box{page: s.page, x: x + p.x, y: y, w: p.w, h: size * leading})
	}
}

// style is how a block of text is set.
type style struct {
	size     float64
	bold     bool
	align    int // gopdf.Left, gopdf.Center or gopdf.Right
	maxLines int // 0: as many as it needs
	gray     uint8
}

// block sets text from the cursor down, wrapped between x and x+w, and moves the cursor below
// it. Beyond maxLines, or where the last page is full, the text is cut with "…".
func (s *sheet) block(text string, x, w float64, st style) {
	if s.full {
		return
	}
	lines := s.wrap(text, st.size, w, st.bold)
	lh := st.size * leading
	s.pdf.SetTextColor(st.gray, st.gray, st.gray)
	defer s.pdf.SetTextColor(0, 0, 0)
	for i, l := range lines {
		cut := st.maxLines > 0 && i == st.maxLines-1 && i < len(lines)-1
		if !s.room(lh) {
			return
		}
		// The last line that fits on the last allowed page ends the text.
		lastRoom := s.maxPages > 0 && s.page >= s.maxPages && s.y+2*lh > s.size.H-s.margin-s.bottom && i < len(lines)-1
		if cut || lastRoom {
			l = s.ellipsis(l, st.size, w)
		}
		s.draw(l, x+offset(l.w, w, st.align), s.y, st.size)
		s.y += lh
		if cut {
			return
		}
		if lastRoom {
			s.full = true
			return
		}
	}
}

func offset(lw, w float64, align int) float64 {
	switch align {
	case gopdf.Center:
		return (w - lw) / 2
	case gopdf.Right:
		return w - lw
	}
	return 0
}

// fit is the largest size, from max down to min, at which text fits one line of width w.
func (s *sheet) fit(text string, w, maxSize, minSize float64, bold bool) float64 {
	for size := maxSize; size > minSize; size -= 1 {
		lines := s.wrap(text, size, w, bold)
		if len(lines) <= 1 {
			return size
		}
	}
	return minSize
}

// rule draws a thin line across the frame at the cursor.
func (s *sheet) rule() {
	if s.full || !s.room(6) {
		return
	}
	s.pdf.SetLineWidth(0.5)
	s.pdf.SetStrokeColor(150, 150, 150)
	s.pdf.Line(s.margin, s.y+3, s.size.W-s.margin, s.y+3)
	s.y += 6
}

// gap moves the cursor down.
func (s *sheet) gap(h float64) {
	if s.y+h <= s.size.H-s.margin-s.bottom {
		s.y += h
	}
}

// column is one cell of a table row.
type column struct {
	text  string
	w     float64
	align int
	bold  bool
}

// row sets cells side by side from the frame's left, each wrapped in its width, and moves the
// cursor below the tallest. A row is kept on one page where it fits on one.
func (s *sheet) row(cols []column, size float64, maxLines int) {
	if s.full {
		return
	}
	lh := size * leading
	sets := make([][]line, len(cols))
	n := 1
	for i, c := range cols {
		sets[i] = s.wrap(c.text, size, c.w-4, c.bold)
		if maxLines > 0 && len(sets[i]) > maxLines {
			sets[i] = append(sets[i][:maxLines-1], s.ellipsis(sets[i][maxLines-1], size, c.w-4))
		}
		n = max(n, len(sets[i]))
	}
	if !s.room(float64(min(n, 3)) * lh) {
		return
	}
	for li := 0; li < n; li++ {
		if !s.room(lh) {
			return
		}
		x := s.margin
		for i, c := range cols {
			if li < len(sets[i]) {
				l := sets[i][li]
				s.draw(l, x+2+offset(l.w, c.w-4, c.align), s.y, size)
			}
			x += c.w
		}
		s.y += lh
	}
}

// frameW is the width between the margins.
func (s *sheet) frameW() float64 { return s.size.W - 2*s.margin }
