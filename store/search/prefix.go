package search

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// prefixes are the sorted structures that answer the prefix tiers by binary
// search instead of a scan. They hold row numbers and offsets only, never
// text: keys are read from the segment's records, so wiping the blob leaves
// nothing readable here (Wipe still clears them, since the order of rows by
// e-mail is a fingerprint of the data too).
//
// Killed rows keep their place in both arrays until the next merge; their
// records are zeroed, so searches step over them (see prefixRange).
type prefixes struct {
	// words holds every word start of every name, and position 0 of every
	// name even when it is not one, sorted by (name from there on, row). A
	// query word that starts a word of a name, and a query that starts the
	// whole name, are prefixes of one of these suffixes.
	words []wordRef
	// emails holds the rows with an e-mail address, sorted by (address, row).
	emails []uint32
}

// wordRef is one suffix of a segment row's name.
type wordRef struct {
	row uint32
	off uint32 // byte offset in the normalised name; names are under 256 bytes
}

func (p *prefixes) wipe() {
	clear(p.words)
	clear(p.emails)
	p.words, p.emails = nil, nil
}

// wordStarts calls f with the offset of every word start in name, and with 0
// even if name does not start with a word rune. A word starts where a word
// rune follows a rune that is not one, the rule matchWord applies.
func wordStarts(name []byte, f func(off int)) {
	if len(name) == 0 {
		return
	}
	f(0)
	prevWord := true // position 0 is already reported
	for i := 0; i < len(name); {
		r, n := rune(name[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(name[i:])
		}
		w := isWordRune(r)
		if w && !prevWord && i > 0 {
			f(i)
		}
		prevWord = w
		i += n
	}
}

func (s *segment) wordKey(w wordRef) []byte { return s.name(int(w.row))[w.off:] }

func (s *segment) email(i int) []byte {
	_, e, _ := s.fields(i)
	return e
}

func (s *segment) compareWord(a, b wordRef) int {
	if c := bytes.Compare(s.wordKey(a), s.wordKey(b)); c != 0 {
		return c
	}
	return int(a.row) - int(b.row)
}

func (s *segment) compareEmail(a, b uint32) int {
	if c := bytes.Compare(s.email(int(a)), s.email(int(b))); c != 0 {
		return c
	}
	return int(a) - int(b)
}

// buildPrefixes fills s.pre after a merge. old is the previous segment's
// prefixes with rows already renumbered for s (dead rows dropped), so it is
// still sorted; fresh lists the rows of s that came from the pending list.
// Only the fresh rows are sorted, and the two lists are merged, so a merge
// stays linear in the index size plus the pending list's n log n.
func (s *segment) buildPrefixes(old prefixes, fresh []uint32) {
	var nw []wordRef
	var ne []uint32
	for _, r := range fresh {
		name, email, _ := s.fields(int(r))
		wordStarts(name, func(off int) { nw = append(nw, wordRef{r, uint32(off)}) })
		if len(email) > 0 {
			ne = append(ne, r)
		}
	}
	if len(fresh) >= parallelSort {
		// A bulk load's one merge sorts every name's words and every address:
		// the two sorts share nothing, so they take a core each.
		done := make(chan struct{})
		go func() {
			slices.SortFunc(ne, s.compareEmail)
			close(done)
		}()
		slices.SortFunc(nw, s.compareWord)
		<-done
	} else {
		slices.SortFunc(nw, s.compareWord)
		slices.SortFunc(ne, s.compareEmail)
	}
	s.pre.words = mergeSorted(old.words, nw, s.compareWord)
	s.pre.emails = mergeSorted(old.emails, ne, s.compareEmail)
	clear(nw)
	clear(ne)
}

// parallelSort is the least number of new rows whose sorts are worth a goroutine.
const parallelSort = 4096

func mergeSorted[T any](a, b []T, cmp func(x, y T) int) []T {
	out := make([]T, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if cmp(a[0], b[0]) <= 0 {
			out = append(out, a[0])
			a = a[1:]
		} else {
			out = append(out, b[0])
			b = b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// prefixRange returns the span [lo, hi) of a sorted array of n keys whose
// key has prefix p. dead reports entries whose row was killed since the
// merge: their keys are zeroed and out of order, so each probe moves to the
// next live entry.
func prefixRange(n int, key func(i int) []byte, dead func(i int) bool, p []byte) (lo, hi int) {
	// before(i) is false from the first live key >= p on; after(i) from the
	// first live key past every key with prefix p on. A dead entry takes the
	// value of the next live one, which keeps both monotone.
	probe := func(i int, past bool) bool {
		for i < n && dead(i) {
			i++
		}
		if i == n {
			return false
		}
		k := key(i)
		if past {
			if len(k) > len(p) {
				k = k[:len(p)]
			}
			return bytes.Compare(k, p) <= 0
		}
		return bytes.Compare(k, p) < 0
	}
	search := func(from int, past bool) int {
		lo, hi := from, n
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if probe(m, past) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	}
	lo = search(0, false)
	return lo, search(lo, true)
}

func (s *segment) wordRange(p []byte) (lo, hi int) {
	w := s.pre.words
	return prefixRange(len(w),
		func(i int) []byte { return s.wordKey(w[i]) },
		func(i int) bool { return s.recs[w[i].row] == nil }, p)
}

func (s *segment) emailRange(p []byte) (lo, hi int) {
	e := s.pre.emails
	return prefixRange(len(e),
		func(i int) []byte { return s.email(int(e[i])) },
		func(i int) bool { return s.recs[e[i]] == nil }, p)
}
