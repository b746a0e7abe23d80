// Package search owns the in-memory type-ahead index over the customers the
// signed-in user may see. It only ever holds data the caller has already
// decrypted, so it never writes anything to disk and never logs: the index
// must not become a plaintext copy of the encrypted store. Wipe drops it on
// lock or sign-out.
//
// Layout: most entries live in a segment sorted by (normalised name, ID) with
// all normalised text packed into one byte slice; recent changes sit in a
// small unsorted pending list that is merged into a new segment once it grows
// past a fraction of the index. The sorted order makes results deterministic
// and lets a query stop early once it has enough best-tier hits; the pending
// list keeps Put cheap.
//
// Beside the segment, two sorted arrays of row numbers (see prefixes) answer
// the prefix tiers, word starts, whole names and e-mail addresses, by binary
// search. A query ranks only the rows they name, and scans the segment's
// 64-byte signatures only for the substring tiers, and only when the prefix
// tiers leave room in the answer (or when a prefix is so common that a scan
// meets enough hits within a few rows). Buffers come from a pool, so a query
// allocates nothing but its result, and nothing with AppendQuery.
package search

import (
	"bytes"
	"slices"
	"strings"
	"sync"
)

// Entry is what the index knows about one customer.
type Entry struct {
	ID    string // opaque row id (UUID string)
	Name  string
	Email string
	Phone string // E.164 like "+4915112345678" or whatever the caller has
}

// defaultCompactMin keeps small indexes from rebuilding their segment on
// almost every Put.
const defaultCompactMin = 1024

// maxEntries bounds the index so that record offsets fit in 32 bits (at most
// 545 bytes per record); no shop comes near it.
const maxEntries = 1 << 22

// Index is a type-ahead index over customer entries. It is safe for
// concurrent use: Query may run while Put or Remove happen. The zero value is
// an empty index ready to use.
type Index struct {
	mu      sync.RWMutex
	byID    map[string]*rec
	seg     segment
	pending []*pending

	// compactMin is the least amount of pending and dead rows that triggers a
	// merge; tests lower it to exercise merging on tiny indexes.
	compactMin int
	// bulk defers every merge to Compact, see NewBulk.
	bulk bool
	// scanOnly answers every query by the scan alone, the way the index did
	// before it had prefix arrays; tests compare the two.
	scanOnly bool
}

// rec ties an ID to wherever its normalised data currently lives.
type rec struct {
	id   string
	base int      // row in the segment, or -1 while in pending
	pend *pending // set while the entry is pending
}

// pending is an entry that changed since the segment was built.
type pending struct {
	r   *rec
	idx int // position in Index.pending, for O(1) removal
	f   fields
}

// fields is one entry's normalised data, owned by the index so it can be
// wiped.
type fields struct {
	rec []byte // encoded record, see appendField
	sig sig
}

func (f *fields) parts() (name, email, phone []byte) { return decode(f.rec) }

func (f *fields) wipe() {
	wipe(f.rec)
	f.rec = nil
	f.sig = sig{}
}

// A record is the name, e-mail and phone digits, each preceded by its length
// in one byte (the caps keep every field under 256 bytes). Keeping lengths
// inline means a scan that finds a candidate row touches one more cache line
// at most, instead of a separate offsets array as well.

func appendField(dst []byte, s string, k kind, max int, tmp *[]byte) []byte {
	at := len(dst)
	dst = appendNormal(append(dst, 0), clip(s), k, max, tmp)
	dst[at] = byte(len(dst) - at - 1)
	return dst
}

func decode(b []byte) (name, email, phone []byte) {
	n := int(b[0])
	name, b = b[1:1+n:1+n], b[1+n:]
	n = int(b[0])
	email, b = b[1:1+n:1+n], b[1+n:]
	n = int(b[0])
	return name, email, b[1 : 1+n : 1+n]
}

func recordLen(b []byte) int {
	n := 1 + int(b[0])
	n += 1 + int(b[n])
	return n + 1 + int(b[n])
}

// sig is what a scan reads for every entry: Bloom-like masks (see textSig)
// that reject most non-matching entries without touching their record, and,
// in the segment, where the record starts. It is 64 bytes, a cache line, so
// rejecting an entry costs one line of memory traffic.
type sig struct {
	nameUni   uint64
	nameGram  [2]uint64
	emailUni  uint64
	emailGram [2]uint64
	phone     uint64
	// emailHead holds the first bytes of the e-mail, zero-padded. Every
	// address contains its domain, so substring masks pass for letters like
	// "x" or "m" in most rows; the head still rejects them as prefix matches.
	emailHead uint32
	// at is the record's offset in the segment blob. maxEntries keeps the
	// blob well below 4 GiB.
	at uint32
}

func makeSig(name, email, phone []byte) sig {
	var s sig
	s.nameUni, s.nameGram = textSig(name)
	s.emailUni, s.emailGram = textSig(email)
	s.phone = phoneSig(phone)
	s.emailHead, _ = head(email)
	return s
}

// head packs up to the first four bytes of b, and a mask of those bytes.
func head(b []byte) (v, mask uint32) {
	for i := 0; i < 4 && i < len(b); i++ {
		v |= uint32(b[i]) << (8 * i)
		mask |= 0xff << (8 * i)
	}
	return v, mask
}

func newFields(e Entry) fields {
	s := getScratch()
	defer s.release()
	out := appendField(s.out[:0], e.Name, kindText, maxName, &s.nfkd)
	out = appendField(out, e.Email, kindEmail, maxEmail, &s.nfkd)
	out = appendField(out, e.Phone, kindPhone, maxPhone, &s.nfkd)
	s.out = out
	f := fields{rec: append(make([]byte, 0, len(out)), out...)}
	f.sig = makeSig(f.parts())
	return f
}

// segment is the sorted bulk of the index. Rows are scanned in order; the
// records they point to are only read for rows whose masks pass.
type segment struct {
	blob  []byte // every row's record back to back
	rows  []sig
	recs  []*rec // nil marks a row removed or replaced since the build
	ndead int
	pre   prefixes
}

func (s *segment) record(i int) []byte {
	b := s.blob[s.rows[i].at:]
	return b[:recordLen(b)]
}

func (s *segment) fields(i int) (name, email, phone []byte) {
	return decode(s.blob[s.rows[i].at:])
}

func (s *segment) name(i int) []byte {
	b := s.blob[s.rows[i].at:]
	return b[1 : 1+int(b[0])]
}

func (s *segment) add(record []byte, g sig, r *rec) {
	g.at = uint32(len(s.blob))
	s.rows = append(s.rows, g)
	s.blob = append(s.blob, record...)
	s.recs = append(s.recs, r)
}

// kill marks row i dead and zeroes its data at once, so a removed customer
// does not linger in memory until the next merge. Dead rows are never decoded
// again, and zero masks let scans reject them cheaply.
func (s *segment) kill(i int) {
	clear(s.record(i))
	s.rows[i] = sig{}
	s.recs[i] = nil
	s.ndead++
}

func (s *segment) wipe() {
	wipe(s.blob)
	clear(s.rows) // masks are a lossy fingerprint of the data, still drop them
	clear(s.recs)
	s.pre.wipe()
}

// compareEntry is the tie-break order inside a tier: normalised name, then ID.
func compareEntry(an []byte, aid string, bn []byte, bid string) int {
	if c := bytes.Compare(an, bn); c != 0 {
		return c
	}
	return strings.Compare(aid, bid)
}

// New returns an empty index.
func New() *Index {
	return &Index{byID: make(map[string]*rec)}
}

// NewBulk returns an empty index for a bulk load that nobody queries until it
// is done: it merges nothing until Compact, which sorts everything once
// instead of merging again and again as the index grows, and then behaves
// like New's. Queries before Compact are answered, only slowly.
func NewBulk() *Index {
	ix := New()
	ix.bulk = true
	return ix
}

// Put inserts e, or replaces the entry with the same ID. Fields are cut to a
// few hundred bytes, far beyond any real name, address or number. A full
// index (4,194,304 entries) ignores new IDs rather than overflow.
func (ix *Index) Put(e Entry) {
	// Normalising outside the lock keeps queries flowing during bulk loads.
	f := newFields(e)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.byID == nil {
		ix.byID = make(map[string]*rec)
	}
	r := ix.byID[e.ID]
	switch {
	case r == nil && len(ix.byID) >= maxEntries:
		f.wipe()
		return
	case r == nil:
		// Cloned so the index never pins a caller's larger buffer.
		r = &rec{id: strings.Clone(e.ID), base: -1}
		ix.byID[r.id] = r
		ix.addPending(r, f)
	case r.base >= 0:
		if bytes.Equal(ix.seg.record(r.base), f.rec) {
			// Re-putting unchanged data (e.g. a refresh after unlock) must
			// not churn the segment.
			f.wipe()
			return
		}
		ix.seg.kill(r.base)
		r.base = -1
		ix.addPending(r, f)
	default:
		r.pend.f.wipe()
		r.pend.f = f
	}
	ix.maybeCompact()
}

// Remove deletes the entry with the given ID, if any.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	r := ix.byID[id]
	if r == nil {
		return
	}
	delete(ix.byID, id)
	if r.base >= 0 {
		ix.seg.kill(r.base)
		r.base = -1
	} else {
		ix.dropPending(r.pend)
	}
	ix.maybeCompact()
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Wipe drops every entry and zeroes the memory that held normalised customer
// data, on a best-effort basis: IDs are not overwritten because Go strings are
// immutable and callers may still hold them from Query results, and the
// caller's own Entry strings are outside the index's reach.
func (ix *Index) Wipe() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.seg.wipe()
	for _, p := range ix.pending {
		p.f.wipe()
	}
	clear(ix.pending)
	ix.seg = segment{}
	ix.pending = nil
	ix.byID = make(map[string]*rec)
}

// Compact merges every pending entry into the sorted segment now, rather
// than when enough have piled up, so that queries after a bulk load start
// from prefix arrays that cover everything and scan no pending list.
func (ix *Index) Compact() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.bulk = false
	if len(ix.pending) > 0 || ix.seg.ndead > 0 {
		ix.compact()
	}
}

func (ix *Index) addPending(r *rec, f fields) {
	p := &pending{r: r, idx: len(ix.pending), f: f}
	r.pend = p
	ix.pending = append(ix.pending, p)
}

func (ix *Index) dropPending(p *pending) {
	last := len(ix.pending) - 1
	moved := ix.pending[last]
	ix.pending[p.idx] = moved
	moved.idx = p.idx
	ix.pending[last] = nil
	ix.pending = ix.pending[:last]
	p.f.wipe()
	p.r.pend = nil
}

// maybeCompact merges once pending and dead rows exceed 1/16 of the index:
// queries then scan at most ~6% unsorted rows, while bulk loading stays
// amortised O(n log n).
func (ix *Index) maybeCompact() {
	if ix.bulk {
		return
	}
	waste := len(ix.pending) + ix.seg.ndead
	min := ix.compactMin
	if min <= 0 {
		min = defaultCompactMin
	}
	if waste >= min && waste*16 >= len(ix.byID) {
		ix.compact()
	}
}

// compact merges the live segment rows and the sorted pending entries into a
// new segment, then wipes the old storage.
func (ix *Index) compact() {
	pend := ix.pending
	slices.SortFunc(pend, func(a, b *pending) int {
		an, _, _ := a.f.parts()
		bn, _, _ := b.f.parts()
		return compareEntry(an, a.r.id, bn, b.r.id)
	})
	old := &ix.seg
	rows, size := len(pend), 0
	for _, p := range pend {
		size += len(p.f.rec)
	}
	for i, r := range old.recs {
		if r != nil {
			rows++
			size += len(old.record(i))
		}
	}
	ns := segment{
		blob: make([]byte, 0, size),
		rows: make([]sig, 0, rows),
		recs: make([]*rec, 0, rows),
	}
	// renum maps the old segment's rows to their new numbers (-1 if dead),
	// fresh lists the new rows that come from the pending list: the prefix
	// arrays are carried over, not rebuilt.
	renum := make([]int32, len(old.recs))
	fresh := make([]uint32, 0, len(pend))
	i, j := 0, 0
	for {
		for i < len(old.recs) && old.recs[i] == nil {
			i++
		}
		if i == len(old.recs) && j == len(pend) {
			break
		}
		takeOld := j == len(pend)
		if !takeOld && i < len(old.recs) {
			pn, _, _ := pend[j].f.parts()
			takeOld = compareEntry(old.name(i), old.recs[i].id, pn, pend[j].r.id) < 0
		}
		var r *rec
		if takeOld {
			r = old.recs[i]
			ns.add(old.record(i), old.rows[i], r)
			renum[i] = int32(len(ns.recs) - 1)
			i++
		} else {
			p := pend[j]
			r = p.r
			r.pend = nil
			ns.add(p.f.rec, p.f.sig, r)
			p.f.wipe()
			fresh = append(fresh, uint32(len(ns.recs)-1))
			j++
		}
		r.base = len(ns.recs) - 1
	}
	// Renumbering keeps the old arrays sorted: surviving rows keep their
	// order and their keys.
	kept := prefixes{words: make([]wordRef, 0, len(old.pre.words)), emails: make([]uint32, 0, len(old.pre.emails))}
	for _, w := range old.pre.words {
		if old.recs[w.row] != nil {
			kept.words = append(kept.words, wordRef{uint32(renum[w.row]), w.off})
		}
	}
	for _, r := range old.pre.emails {
		if old.recs[r] != nil {
			kept.emails = append(kept.emails, uint32(renum[r]))
		}
	}
	ns.buildPrefixes(kept, fresh)
	kept.wipe()
	clear(renum)
	old.wipe()
	clear(pend)
	ix.pending = pend[:0]
	ix.seg = ns
}
