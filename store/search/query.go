package search

import (
	"bytes"
	mathbits "math/bits"
	"slices"
	"unicode/utf8"
)

// Tiers rank how well an entry matches, best first. The order follows what a
// user typing into a search box most likely means: the start of a name,
// then an address or number they know the beginning of, then fragments.
const (
	tierWord        = iota // every query word starts a word of the name
	tierNamePrefix         // the whole query starts the full name
	tierEmailPrefix        // the query starts the e-mail address
	tierPhone              // the query's digits occur in the phone number
	tierNameSub            // every query word occurs somewhere in the name
	tierEmailSub           // the query occurs somewhere in the e-mail address
	numTiers
	noMatch = numTiers
)

// query is a parsed, normalised query. Its byte slices alias a scratch that
// Query wipes when done, since search terms are customer data too.
type query struct {
	full   []byte   // normalised query, words joined by single spaces
	toks   [][]byte // the words of full
	wordy  []bool   // whether toks[i] is made of word runes only
	single bool     // one word: only then can it match an e-mail address
	uni    uint64   // masks every matching name or e-mail must contain
	gram   [2]uint64
	phone  []byte // digits to find in phone numbers, nil if not phone-like
	psig   uint64
	head   uint32 // first bytes of full and their mask, see sig.emailHead
	hmask  uint32

	// Non-zero when a field cannot match at all, so maybe needs no branch.
	noEmail, noPhone uint64
}

// phonePunct is what people type between the digits of a phone number. '/'
// is added to the usual set because German numbers are often written
// "0151/1234567".
func phonePunct(c byte) bool {
	switch c {
	case ' ', '+', '-', '(', ')', '.', '/':
		return true
	}
	return false
}

// parseQuery normalises raw into q using s's buffers. It reports false when
// nothing can match.
func parseQuery(raw string, s *scratch) (*query, bool) {
	if len(raw) > maxQuery {
		return nil, false
	}
	s.out = appendNormal(s.out[:0], raw, kindText, len(raw)*32, &s.nfkd)
	q := &s.q
	*q = query{full: s.out, toks: q.toks[:0], wordy: q.wordy[:0]}
	if len(q.full) == 0 {
		return nil, false
	}
	text := true
	for tok := range bytes.SplitSeq(q.full, []byte{' '}) {
		if len(tok) > maxName && len(tok) > maxEmail {
			text = false // longer than any stored name or address
		}
		q.toks = append(q.toks, tok)
		q.wordy = append(q.wordy, allWordRunes(tok))
		u, g := textSig(tok)
		q.uni |= u
		q.gram[0] |= g[0]
		q.gram[1] |= g[1]
	}
	q.single = len(q.toks) == 1
	if !q.single {
		q.noEmail = 1
	}
	q.head, q.hmask = head(q.full)

	digits, phoneLike := 0, true
	for _, c := range q.full {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case !phonePunct(c):
			phoneLike = false
		}
	}
	if phoneLike && digits >= 3 {
		d := s.aux[:0]
		for _, c := range q.full {
			if '0' <= c && c <= '9' {
				d = append(d, c)
			}
		}
		s.aux = d
		// A national trunk prefix ("0151…") is absent from the stored
		// international form ("+49151…"). Finding the number without its
		// leading zeros also finds every number containing it with them.
		if z := bytes.TrimLeft(d, "0"); len(z) >= 3 {
			d = z
		}
		if len(d) <= maxPhone {
			q.phone = d
			q.psig = phoneSig(d)
		}
	}
	if q.phone == nil {
		if !text {
			return nil, false
		}
		q.noPhone = 1
	}
	return q, true
}

func allWordRunes(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !isWordRune(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// Fields that may match, as reported by maybe.
const (
	mayName     = 1 << iota
	mayEmail    // as a prefix
	mayEmailSub // anywhere
	mayPhone
	mayAll = mayName | mayEmail | mayEmailSub | mayPhone
)

// maybe is the cheap pre-filter: it returns which of the fields in allowed
// can possibly match, so rank skips the others. It runs for every row, so it
// folds the mask tests into integers and branches once for the common
// "nothing can match" case; chains of && mispredicted badly when common
// letters make each single test a coin flip.
func (q *query) maybe(s *sig, allowed uint8) uint8 {
	name := (s.nameUni&q.uni ^ q.uni) | (s.nameGram[0]&q.gram[0] ^ q.gram[0]) | (s.nameGram[1]&q.gram[1] ^ q.gram[1])
	email := (s.emailUni&q.uni ^ q.uni) | (s.emailGram[0]&q.gram[0] ^ q.gram[0]) | (s.emailGram[1]&q.gram[1] ^ q.gram[1]) | q.noEmail
	phone := (s.phone&q.psig ^ q.psig) | q.noPhone
	if name != 0 && email != 0 && phone != 0 {
		return 0
	}
	var m uint8
	if name == 0 {
		m |= mayName
	}
	if email == 0 {
		m |= mayEmailSub
		if s.emailHead&q.hmask == q.head {
			m |= mayEmail
		}
	}
	if phone == 0 {
		m |= mayPhone
	}
	return m & allowed
}

// rank returns the best tier at which the entry matches, or noMatch. Only
// the fields in may are looked at, and tiers from cut on count as no match,
// which spares searches whose answer could not be used.
func (q *query) rank(name, email, phone []byte, may uint8, cut int) int {
	best := noMatch
	allWord, ok := true, may&mayName != 0
	for i, t := range q.toks {
		if !ok {
			break
		}
		switch matchWord(name, t, q.wordy[i]) {
		case matchNone:
			ok = false
		case matchSub:
			allWord = false
		}
	}
	if ok {
		switch {
		case allWord:
			return tierWord
		case bytes.HasPrefix(name, q.full):
			return tierNamePrefix
		default:
			best = tierNameSub
		}
	}
	if q.single {
		if may&mayEmail != 0 && cut > tierEmailPrefix && bytes.HasPrefix(email, q.full) {
			return tierEmailPrefix
		}
		if may&mayEmailSub != 0 && best > tierEmailSub && cut > tierEmailSub && bytes.Contains(email, q.full) {
			best = tierEmailSub
		}
	}
	if q.phone != nil && may&mayPhone != 0 && cut > tierPhone && bytes.Contains(phone, q.phone) {
		best = tierPhone
	}
	if best >= cut {
		return noMatch
	}
	return best
}

// allowedFields returns the fields that can still yield a tier below cut.
func allowedFields(cut int) uint8 {
	switch {
	case cut > tierEmailSub:
		return mayAll
	case cut > tierPhone:
		return mayName | mayEmail | mayPhone
	case cut > tierEmailPrefix:
		return mayName | mayEmail
	default:
		return mayName
	}
}

const (
	matchNone = iota
	matchSub
	matchWordStart
)

// matchWord reports whether tok starts a word of name or merely occurs in it.
// A token with punctuation ("anna-l") never counts as a word start: it spans
// words, which is what the full-name prefix tier is for.
func matchWord(name, tok []byte, wordy bool) int {
	res := matchNone
	for off := 0; off <= len(name); {
		j := bytes.Index(name[off:], tok)
		if j < 0 {
			break
		}
		p := off + j
		if !wordy {
			return matchSub
		}
		if p == 0 {
			return matchWordStart
		}
		if r, _ := utf8.DecodeLastRune(name[:p]); !isWordRune(r) {
			return matchWordStart
		}
		res = matchSub
		_, n := utf8.DecodeRune(name[p:])
		off = p + n
	}
	return res
}

// candidate is a pending entry that matched, for sorting with the segment's
// hits.
type candidate struct {
	tier int
	p    *pending
}

// Query returns up to limit IDs matching q, best first. Empty/blank q returns nil.
//
// Within a tier, results are ordered by normalised name and then ID, so the
// same index and query always give the same answer.
func (ix *Index) Query(q string, limit int) []string { return ix.AppendQuery(nil, q, limit) }

// AppendQuery is Query appending to dst, so that a caller reusing dst makes a
// query allocate nothing. It returns dst unchanged when nothing matches.
func (ix *Index) AppendQuery(dst []string, q string, limit int) []string {
	if limit <= 0 {
		return dst
	}
	s := getScratch()
	defer s.release()
	qq, ok := parseQuery(q, s)
	if !ok {
		return dst
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()

	seg := &ix.seg
	hits := &s.hits
	if !ix.scanOnly && seg.prefixHits(qq, s, limit) {
		// The prefix tiers are complete in hits; the scan adds the
		// substring tiers, if the prefix tiers left room for any.
		if sum := len(hits[tierWord]) + len(hits[tierNamePrefix]) + len(hits[tierEmailPrefix]); sum < limit {
			seg.scan(qq, hits, limit, tierPhone)
		}
	} else {
		seg.scan(qq, hits, limit, tierWord)
	}

	cands := s.cands[:0]
	for _, p := range ix.pending {
		may := qq.maybe(&p.f.sig, mayAll)
		if may == 0 {
			continue
		}
		n, e, ph := p.f.parts()
		if t := qq.rank(n, e, ph, may, numTiers); t != noMatch {
			cands = append(cands, candidate{t, p})
		}
	}
	s.cands = cands
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.tier != b.tier {
			return a.tier - b.tier
		}
		an, _, _ := a.p.f.parts()
		bn, _, _ := b.p.f.parts()
		return compareEntry(an, a.p.r.id, bn, b.p.r.id)
	})

	total := len(cands)
	for _, h := range hits {
		total += len(h)
	}
	if total == 0 {
		return dst
	}
	out := slices.Grow(dst, min(limit, total))
	want := len(dst) + limit
	c := 0
	for t := 0; t < numTiers && len(out) < want; t++ {
		h := hits[t]
		for len(out) < want {
			pendOK := c < len(cands) && cands[c].tier == t
			if len(h) == 0 && !pendOK {
				break
			}
			takeSeg := !pendOK
			if len(h) > 0 && pendOK {
				pn, _, _ := cands[c].p.f.parts()
				takeSeg = compareEntry(seg.name(h[0]), seg.recs[h[0]].id, pn, cands[c].p.r.id) < 0
			}
			if takeSeg {
				out = append(out, seg.recs[h[0]].id)
				h = h[1:]
			} else {
				out = append(out, cands[c].p.r.id)
				c++
			}
		}
		for c < len(cands) && cands[c].tier <= t {
			c++ // the rest of this tier did not fit
		}
	}
	return out
}

// scan ranks the segment's rows in order, adding hits of tiers from minTier
// on to hits; tiers below minTier are already complete there. The segment is
// sorted, so a hit found later is worse than every earlier hit of its tier.
// Once limit hits of tiers below some tier are in hand, hits from that tier
// on cannot make it into the answer: cut tracks that tier, so rank can skip
// work for them, and the scan stops when cut reaches minTier.
func (seg *segment) scan(qq *query, hits *[numTiers][]int, limit, minTier int) {
	cut := cutTier(hits, limit)
	if cut <= minTier {
		return
	}
	allowed := allowedFields(cut)
	for i := range seg.rows {
		may := qq.maybe(&seg.rows[i], allowed)
		if may == 0 || seg.recs[i] == nil {
			continue
		}
		n, e, p := seg.fields(i)
		t := qq.rank(n, e, p, may, cut)
		if t == noMatch || t < minTier {
			continue
		}
		hits[t] = append(hits[t], i)
		if cut = cutTier(hits, limit); cut <= minTier {
			break
		}
		allowed = allowedFields(cut)
	}
}

// cutTier returns the first tier from which hits cannot make it into an
// answer of limit results: the hits of the tiers before it and of itself
// already fill it. numTiers means every tier may still contribute.
func cutTier(hits *[numTiers][]int, limit int) int {
	sum := 0
	for c := range numTiers {
		if sum += len(hits[c]); sum >= limit {
			return c
		}
	}
	return numTiers
}

// prefixHits answers the prefix tiers (word starts, whole-name prefix,
// e-mail prefix) from the sorted prefix arrays and reports true with every
// prefix-tier hit the answer can use in hits. The arrays' spans mark
// candidate rows in a bitmap over the segment (for several query words, the
// intersection of each word's rows), which is then ranked in row order, so
// the scan's early exit applies to it. It reports false only for an empty
// segment.
func (seg *segment) prefixHits(qq *query, s *scratch, limit int) bool {
	n := len(seg.rows)
	if n == 0 {
		return false
	}
	wordy := true
	for _, w := range qq.wordy {
		wordy = wordy && w
	}
	// Every word of the query must start a word of the name for the word
	// tier; the whole query starting the name (the only whole-name prefix
	// left when every word is wordy is a word tier hit) and the address
	// (only single words can match one) are spans of their own.
	var spans [maxSpans][3]int // lo, hi, array (0 words, 1 emails)
	ns := 0
	if wordy {
		for _, tok := range qq.toks {
			if ns == maxSpans-1 {
				break // more words only narrow the intersection; rank checks them all
			}
			lo, hi := seg.wordRange(tok)
			spans[ns] = [3]int{lo, hi, 0}
			ns++
		}
	} else {
		lo, hi := seg.wordRange(qq.full)
		spans[ns] = [3]int{lo, hi, 0}
		ns++
	}
	nword := ns
	if qq.single {
		lo, hi := seg.emailRange(qq.full)
		spans[ns] = [3]int{lo, hi, 1}
		ns++
	}
	size, rarest := 0, -1
	for k, sp := range spans[:ns] {
		size += sp[1] - sp[0]
		if k < nword && (rarest < 0 || sp[1]-sp[0] < spans[rarest][1]-spans[rarest][0]) {
			rarest = k
		}
	}
	if wordy && nword > 1 {
		size = spans[rarest][1] - spans[rarest][0]
	}

	// A prefix common enough to have big spans usually has hits among the
	// first rows, but not always (names sorted by their first word put all
	// "王…" at the end). So the first rows, as many as marking the spans would
	// cost, are scanned for the prefix tiers first; the bitmap covers the
	// rest. Neither way then costs more than about twice the cheaper one.
	hits := &s.hits
	cut := tierPhone
	rank := func(i int) bool {
		if seg.recs[i] == nil {
			return false
		}
		may := qq.maybe(&seg.rows[i], mayName|mayEmail)
		if may == 0 {
			return false
		}
		nm, e, p := seg.fields(i)
		t := qq.rank(nm, e, p, may, cut)
		if t == noMatch {
			return false
		}
		hits[t] = append(hits[t], i)
		cut = min(cutTier(hits, limit), tierPhone)
		return cut == tierWord
	}
	budget := min(n, size)
	for i := range budget {
		if rank(i) {
			return true
		}
	}
	if budget == n {
		return true
	}

	words := int((uint(n) + 63) / 64)
	bits := growZero(&s.bits, words)
	mark := func(b []uint64, sp [3]int) {
		for i := sp[0]; i < sp[1]; i++ {
			var r uint32
			if sp[2] == 0 {
				r = seg.pre.words[i].row
			} else {
				r = seg.pre.emails[i]
			}
			b[r>>6] |= 1 << (r & 63)
		}
	}
	if wordy && nword > 1 {
		mark(bits, spans[rarest])
		other := growZero(&s.bits2, words)
		for k := range nword {
			if k == rarest {
				continue
			}
			mark(other, spans[k])
			for w := range bits {
				bits[w] &= other[w]
				other[w] = 0
			}
		}
	} else {
		for _, sp := range spans[:nword] {
			mark(bits, sp)
		}
	}
	for _, sp := range spans[nword:ns] {
		mark(bits, sp)
	}

	// Rows in order are in (name, ID) order, so the scan's cut applies: stop
	// once the best tier alone fills the answer.
	bits[budget>>6] &^= 1<<(budget&63) - 1 // rows before budget are done
	for w := budget >> 6; w < len(bits); w++ {
		for b := bits[w]; b != 0; b &= b - 1 {
			if rank(w<<6 | mathbits.TrailingZeros64(b)) {
				return true
			}
		}
	}
	return true
}

// maxSpans bounds the spans one query marks: a few query words and the
// e-mail span.
const maxSpans = 5

// growZero returns (*b)[:n], zeroed, growing *b if needed.
func growZero(b *[]uint64, n int) []uint64 {
	if cap(*b) < n {
		*b = make([]uint64, n)
	}
	*b = (*b)[:n]
	clear(*b)
	return *b
}
