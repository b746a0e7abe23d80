package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// reference answers a query by brute force: rank every entry and sort. It
// shares normalisation and rank with the index, so comparing the two checks
// the machinery around them (signatures, segment, pending list, early exit,
// merging) rather than the matching rules, which have their own tests.
func reference(entries map[string]Entry, q string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	s := getScratch()
	defer s.release()
	qq, ok := parseQuery(q, s)
	if !ok {
		return nil
	}
	type scored struct {
		tier int
		name []byte
		id   string
	}
	var all []scored
	for id, e := range entries {
		f := newFields(e)
		n, em, p := f.parts()
		if t := qq.rank(n, em, p, mayAll, numTiers); t != noMatch {
			all = append(all, scored{t, n, id})
		}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.tier != b.tier {
			return a.tier - b.tier
		}
		return compareEntry(a.name, a.id, b.name, b.id)
	})
	var out []string
	for _, s := range all {
		if len(out) == limit {
			break
		}
		out = append(out, s.id)
	}
	return out
}

// Syllables that recombine into plausible German/European names; "mül" and
// "ller" make sure diacritics and mid-word matches are common.
var (
	firstSyl = []string{"an", "na", "ma", "ri", "jo", "sé", "lu", "kas", "mar", "tin", "ben", "el", "la", "ka", "tha", "ri", "na", "fe", "lix", "ol", "ga", "jür", "gen", "sø", "ren"}
	lastSyl  = []string{"mül", "ler", "schmi", "dt", "we", "ber", "fi", "scher", "kel", "ner", "hof", "mann", "bau", "er", "ko", "wal", "ski", "stra", "ße", "berg", "hel", "lers", "ro", "ssi", "mar", "tí", "nez"}
	cnFamily = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}
	cnGiven  = []string{"小", "明", "华", "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "超"}
	domains  = []string{"example.com", "mail.example", "bikes.example.de", "velo.example.ch"}
)

func word(r *rand.Rand, syl []string, min, max int) string {
	n := min + r.IntN(max-min+1)
	var b strings.Builder
	for range n {
		b.WriteString(syl[r.IntN(len(syl))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// genEntries makes n deterministic customers: about 10% Chinese names,
// e-mails derived from the names, German and US-style phone numbers.
func genEntries(n int, seed uint64) []Entry {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]Entry, n)
	for i := range out {
		var name, local string
		if r.IntN(10) == 0 {
			name = cnFamily[r.IntN(len(cnFamily))] + cnGiven[r.IntN(len(cnGiven))]
			if r.IntN(2) == 0 {
				name += cnGiven[r.IntN(len(cnGiven))]
			}
			local = fmt.Sprintf("user%d", r.IntN(1000000))
		} else {
			first := word(r, firstSyl, 1, 3)
			last := word(r, lastSyl, 2, 3)
			name = first + " " + last
			local = strings.ToLower(first + "." + last)
		}
		var phone string
		if r.IntN(4) == 0 {
			phone = fmt.Sprintf("+1 (%03d) 555-%04d", r.IntN(1000), r.IntN(10000))
		} else {
			phone = fmt.Sprintf("+49 1%02d %08d", 50+r.IntN(30), r.IntN(100000000))
		}
		out[i] = Entry{
			ID:    fmt.Sprintf("%08x-0000-4000-8000-%012x", i, r.Uint64()&0xffffffffffff),
			Name:  name,
			Email: fmt.Sprintf("%s%d@%s", local, r.IntN(100), domains[r.IntN(len(domains))]),
			Phone: phone,
		}
	}
	return out
}
