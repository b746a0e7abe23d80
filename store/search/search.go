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
	buf    []byte // name, e-mail and phone digits back to back
	ea, pa int    // where the e-mail and the phone digits start
	sig    sig
}

func (f *fields) parts() (name, email, phone []byte) {
	return f.buf[:f.ea:f.ea], f.buf[f.ea:f.pa:f.pa], f.buf[f.pa:]
}

// sig holds the Bloom-like masks of one entry; see textSig.
type sig struct {
	nameUni, nameBi   uint64
	emailUni, emailBi uint64
	phone             uint64
}

func makeSig(name, email, phone []byte) sig {
	var s sig
	s.nameUni, s.nameBi = textSig(name)
	s.emailUni, s.emailBi = textSig(email)
	s.phone = phoneSig(phone)
	return s
}

func newFields(e Entry) fields {
	s := getScratch()
	defer s.release()
	out := appendNormal(s.out[:0], clip(e.Name), kindText, maxName, &s.nfkd)
	ea := len(out)
	out = appendNormal(out, clip(e.Email), kindEmail, maxEmail, &s.nfkd)
	pa := len(out)
	out = appendNormal(out, clip(e.Phone), kindPhone, maxPhone, &s.nfkd)
	s.out = out
	f := fields{buf: append(make([]byte, 0, len(out)), out...), ea: ea, pa: pa}
	f.sig = makeSig(f.parts())
	return f
}

func (f *fields) wipe() {
	wipe(f.buf)
	f.buf = nil
	f.sig = sig{}
}

// segment is the sorted bulk of the index, stored column-wise so a scan
// touches only the compact signature array for rows that cannot match.
type segment struct {
	blob  []byte // every row's name, e-mail and phone digits back to back
	offs  []int  // 3 per row (name, e-mail, phone start) plus the blob end
	sigs  []sig
	recs  []*rec // nil marks a row removed or replaced since the build
	ndead int
}

func (s *segment) row(i int) (name, email, phone []byte) {
	o := s.offs[3*i : 3*i+4]
	return s.blob[o[0]:o[1]:o[1]], s.blob[o[1]:o[2]:o[2]], s.blob[o[2]:o[3]:o[3]]
}

func (s *segment) name(i int) []byte {
	return s.blob[s.offs[3*i]:s.offs[3*i+1]]
}

func (s *segment) add(name, email, phone []byte, g sig, r *rec) {
	s.offs = append(s.offs, len(s.blob))
	s.blob = append(s.blob, name...)
	s.offs = append(s.offs, len(s.blob))
	s.blob = append(s.blob, email...)
	s.offs = append(s.offs, len(s.blob))
	s.blob = append(s.blob, phone...)
	s.sigs = append(s.sigs, g)
	s.recs = append(s.recs, r)
}

func (s *segment) kill(i int) {
	s.recs[i] = nil
	s.ndead++
}

func (s *segment) same(i int, f *fields) bool {
	n1, e1, p1 := s.row(i)
	n2, e2, p2 := f.parts()
	return bytes.Equal(n1, n2) && bytes.Equal(e1, e2) && bytes.Equal(p1, p2)
}

func (s *segment) wipe() {
	wipe(s.blob)
	clear(s.sigs) // masks are a lossy fingerprint of the data, still drop them
	clear(s.recs)
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

// Put inserts e, or replaces the entry with the same ID.
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
	case r == nil:
		// Cloned so the index never pins a caller's larger buffer.
		r = &rec{id: strings.Clone(e.ID), base: -1}
		ix.byID[r.id] = r
		ix.addPending(r, f)
	case r.base >= 0:
		if ix.seg.same(r.base, &f) {
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
		size += len(p.f.buf)
	}
	for i, r := range old.recs {
		if r != nil {
			rows++
			size += old.offs[3*i+3] - old.offs[3*i]
		}
	}
	ns := segment{
		blob: make([]byte, 0, size),
		offs: make([]int, 0, 3*rows+1),
		sigs: make([]sig, 0, rows),
		recs: make([]*rec, 0, rows),
	}
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
			n, e, p := old.row(i)
			ns.add(n, e, p, old.sigs[i], r)
			i++
		} else {
			p := pend[j]
			r = p.r
			r.pend = nil
			n, e, ph := p.f.parts()
			ns.add(n, e, ph, p.f.sig, r)
			p.f.wipe()
			j++
		}
		r.base = len(ns.recs) - 1
	}
	ns.offs = append(ns.offs, len(ns.blob))
	old.wipe()
	clear(pend)
	ix.pending = pend[:0]
	ix.seg = ns
}
