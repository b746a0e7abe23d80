package store

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unique"
	"weak"

	"spoke/store/search"
)

// CustomerSummary is a search result: what the user may see of a customer in a list.
type CustomerSummary struct {
	ID      string `json:"id"`
	ShopID  string `json:"shop_id"`
	OwnerID string `json:"owner_id"`
	Owner   string `json:"owner"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
}

// BuildIndex decrypts the names, e-mails and phones of the customers the user may see and
// builds the in-memory type-ahead index. Nothing of it is written to disk. progress, if not
// nil, is called with (done, total) every few thousand customers, on the calling goroutine.
// The build is one audited bulk read.
//
// Decryption runs on GOMAXPROCS workers: one goroutine reads the rows in batches, the workers
// open them and put them into the index (which normalises outside its lock), and the calling
// goroutine collects the summaries. Channels of a few batches bound what is in flight.
func (ss *Session) BuildIndex(ctx context.Context, progress func(done, total int)) error {
	q, args, minimal, err := ss.visibleQuery()
	if err != nil {
		return err
	}
	if err := ss.trainingGate(ctx, "customer.index", ""); err != nil {
		return err
	}
	ss.mu.Lock()
	if ss.building++; ss.missed == nil {
		ss.missed = map[string]bool{}
	}
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		if ss.building--; ss.building == 0 {
			ss.missed = nil
		}
		ss.mu.Unlock()
	}()
	var total int
	if err := ss.s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+q+")", args...).Scan(&total); err != nil {
		return err
	}
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}

	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan []*custRow, workers)
	done := make(chan []openedCust, workers)
	go func() {
		defer close(jobs)
		batch := make([]*custRow, 0, indexBatch)
		for rows.Next() {
			c, err := scanCust(rows)
			if err != nil {
				fail(err)
				return
			}
			if batch = append(batch, c); len(batch) == indexBatch {
				select {
				case jobs <- batch:
				case <-ctx.Done():
					return
				}
				batch = make([]*custRow, 0, indexBatch)
			}
		}
		if err := rows.Err(); err != nil {
			fail(err)
			return
		}
		if len(batch) > 0 {
			select {
			case jobs <- batch:
			case <-ctx.Done():
			}
		}
	}()
	ix := search.NewBulk() // nobody queries it before the Compact below
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for batch := range jobs {
				out := make([]openedCust, 0, len(batch))
				for _, c := range batch {
					if ctx.Err() != nil {
						break
					}
					o, err := ss.s.openFields(ctx, c, indexSet(minimal), false)
					if err != nil {
						fail(err)
						break
					}
					ix.Put(search.Entry{ID: c.id, Name: o.name, Email: o.email, Phone: o.phone})
					out = append(out, openedCust{c, o})
				}
				select {
				case done <- out:
				case <-ctx.Done():
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	cards := make(map[string]CustomerSummary, total)
	owners := map[string]string{}
	n := 0
	for batch := range done {
		for _, oc := range batch {
			cards[oc.c.id] = ss.summary(ctx, oc.c, oc.o, owners)
			if n++; progress != nil && n%5000 == 0 {
				progress(n, total)
			}
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		// Cancelled by the caller, not by a failure: the reader may have stopped
		// early without an error of its own.
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		ix.Wipe()
		return firstErr
	}
	ix.Compact()
	if progress != nil {
		progress(n, total)
	}
	// A bulk decrypt of everyone the user may see: its entry is committed durably (FULL).
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.index", Fields: indexFields(minimal), Grant: ss.indexGrant(),
		Detail: fmt.Sprintf("customers=%d", n)}); err != nil {
		ix.Wipe()
		return fmt.Errorf("audit: %w", err)
	}
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		ix.Wipe()
		return ErrSignedOut
	}
	if ss.index != nil {
		ss.index.Wipe()
	}
	ss.index, ss.cards = ix, cards
	again := make([]string, 0, len(ss.missed))
	for id := range ss.missed {
		again = append(again, id)
	}
	clear(ss.missed)
	ss.mu.Unlock()
	// What changed while the rows were read: put back as it now stands, or removed.
	for _, id := range again {
		ss.indexPut(ctx, id)
	}
	return nil
}

// indexBatch is how many customers BuildIndex hands a worker at a time: enough to make the
// hand-over cheap, few enough that the rows in flight stay a small, fixed amount.
const indexBatch = 256

// openedCust is a customer row with its opened fields, on its way into the index.
type openedCust struct {
	c *custRow
	o *opened
}

// summary is what the index lists of a customer. The shop and salesperson ids, shared by
// thousands of customers, are interned: an index of 100,000 holds each once, not each row's copy.
func (ss *Session) summary(ctx context.Context, c *custRow, o *opened, owners map[string]string) CustomerSummary {
	name, ok := owners[c.ownerID]
	if !ok {
		name = ss.s.username(ctx, c.ownerID)
		owners[c.ownerID] = name
	}
	return CustomerSummary{ID: c.id, ShopID: unique.Make(c.shopID).Value(), OwnerID: unique.Make(c.ownerID).Value(), Owner: name,
		Name: o.name, Email: o.email, Phone: o.phone}
}

// indexSet is what an index decrypts of each customer, the fields indexFields names.
func indexSet(minimal bool) fieldSet {
	if minimal {
		return fieldsMinimal
	}
	return fieldsIndexed
}

// visibleQuery selects the customers the user may list, and whether only name and phone.
// indexGrant is the grant under which the user's type-ahead index and exact lookups show
// customers: their widest of own, shop and all, or a mechanic's assigned jobs.
func (ss *Session) indexGrant() Grant {
	if g, ok := ss.permits(OpCustomerPIIOwn, target{any: true}); ok {
		return g
	}
	if g, ok := ss.permits(OpCustomerPIIOther, target{any: true}); ok && g == Assigned {
		return g
	}
	return Deny
}

func (ss *Session) visibleQuery() (string, []any, bool, error) {
	if err := ss.gone(); err != nil {
		return "", nil, false, err
	}
	base := "SELECT " + custCols + " FROM customers WHERE deleted_at = 0"
	g, ok := ss.permits(OpCustomerPIIOwn, target{any: true})
	if ok {
		switch g {
		case All:
			return base, nil, false, nil
		case ShopOnly:
			return base + " AND shop_id = ?", []any{ss.user.ShopID}, false, nil
		case Own:
			return base + " AND owner_id = ? AND shop_id = ?", []any{ss.user.ID, ss.user.ShopID}, false, nil
		}
	}
	if g, ok := ss.permits(OpCustomerPIIOther, target{any: true}); ok && g == Assigned {
		return base + " AND id IN (SELECT customer_id FROM work_orders WHERE mechanic_id = ? AND " + openJobSQL + ")", []any{ss.user.ID}, true, nil
	}
	return "", nil, false, ErrForbidden
}

// Search answers a type-ahead query from the in-memory index (built on first use).
// Results are what the user may see; the query itself is not stored anywhere.
func (ss *Session) Search(ctx context.Context, query string, limit int) ([]CustomerSummary, error) {
	if err := ss.gone(); err != nil {
		return nil, err
	}
	ss.mu.RLock()
	ix := ss.index
	ss.mu.RUnlock()
	if ix == nil {
		if _, _, _, err := ss.visibleQuery(); err != nil {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.index", Outcome: "denied"})
			return nil, err
		}
		if err := ss.BuildIndex(ctx, nil); err != nil {
			return nil, err
		}
	} else if err := ss.trainingGate(ctx, "customer.search", ""); err != nil {
		// A training that fell overdue since the index was built: the index goes.
		return nil, err
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	var ids []string
	if query != "" {
		// IDs go through a pooled buffer, so that a query allocates only the summaries it
		// returns.
		buf := idBufs.Get().(*[]string)
		defer func() {
			clear(*buf)
			idBufs.Put(buf)
		}()
		*buf = ss.index.AppendQuery((*buf)[:0], query, limit)
		ids = *buf
	} else {
		// Everything the user may see, by name, capped like a query.
		for id := range ss.cards {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int {
			if c := strings.Compare(ss.cards[a].Name, ss.cards[b].Name); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		if limit > 0 && len(ids) > limit {
			ids = ids[:limit]
		}
	}
	out := make([]CustomerSummary, 0, len(ids))
	for _, id := range ids {
		out = append(out, ss.cards[id])
	}
	return out, nil
}

var idBufs = sync.Pool{New: func() any { return new([]string) }}

// indexPut re-evaluates one customer in a built index after a write, local or by sync: it is
// put back with what the user may now see, or removed. Removal is the answer to anything short
// of a clear "visible" (deleted, moved away, unreadable), so the index fails closed.
// It reports whether it decrypted the customer into the index.
func (ss *Session) indexPut(ctx context.Context, id string) bool {
	ss.mu.Lock()
	built := ss.index != nil
	if ss.building > 0 {
		ss.missed[id] = true
	}
	ss.mu.Unlock()
	if !built {
		return false
	}
	c, err := ss.s.loadCust(ctx, ss.s.db, id)
	if err != nil {
		ss.indexRemove(id)
		return false
	}
	g, err := ss.view(ctx, c)
	if err != nil || g == BreakGlass {
		ss.indexRemove(id)
		return false
	}
	o, err := ss.s.openFields(ctx, c, indexSet(g == Assigned), true)
	if err != nil {
		ss.indexRemove(id)
		return false
	}
	sum := ss.summary(ctx, c, o, map[string]string{})
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Put(search.Entry{ID: id, Name: o.name, Email: o.email, Phone: o.phone})
		ss.cards[id] = sum
	}
	ss.mu.Unlock()
	return true
}

func (ss *Session) indexRemove(id string) {
	ss.mu.Lock()
	if ss.building > 0 {
		ss.missed[id] = true
	}
	if ss.index != nil {
		ss.index.Remove(id)
		delete(ss.cards, id)
	}
	ss.mu.Unlock()
}

// liveSessions is the set of a Store's signed-in sessions, so that a change arriving by sync
// reaches every in-memory index, not only the one of a session that wrote it. It holds weak
// pointers: a session dropped without SignOut is still collected, and its entry leaves the set
// by itself (runtime cleanup), so the set cannot keep decrypted indexes alive.
type liveSessions struct {
	mu sync.Mutex
	m  map[weak.Pointer[Session]]struct{}
}

func (l *liveSessions) add(ss *Session) {
	wp := weak.Make(ss)
	l.mu.Lock()
	if l.m == nil {
		l.m = map[weak.Pointer[Session]]struct{}{}
	}
	l.m[wp] = struct{}{}
	l.mu.Unlock()
	runtime.AddCleanup(ss, l.forget, wp)
}

func (l *liveSessions) remove(ss *Session) { l.forget(weak.Make(ss)) }

func (l *liveSessions) forget(wp weak.Pointer[Session]) {
	l.mu.Lock()
	delete(l.m, wp)
	l.mu.Unlock()
}

// all returns the sessions still alive.
func (l *liveSessions) all() []*Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*Session, 0, len(l.m))
	for wp := range l.m {
		if ss := wp.Value(); ss != nil {
			out = append(out, ss)
		} else {
			delete(l.m, wp)
		}
	}
	return out
}

// refreshIndexes re-evaluates, in every live session's built index, the customers a merged
// change-set touched: one moved to another owner or shop, deleted, or whose job for a mechanic
// opened, was reassigned or closed. Without it a search would go on showing a customer the
// user may no longer see, until the next sign-in. ApplyRemote calls it after its commit.
func (s *Store) refreshIndexes(ctx context.Context, recs []ChangeRecord) {
	s.watchRecords(recs)
	if len(s.live.all()) == 0 {
		return
	}
	s.endSessions(recs)
	// The merge is committed: finish reflecting it even if the caller gives up now, since a
	// half-refreshed index would fail closed and hide visible customers until a rebuild.
	ctx = context.WithoutCancel(ctx)
	s.reindex(ctx, s.touchedCustomers(ctx, recs), nil, "sync")
}

// endSessions ends the live sessions of accounts a merged change-set deactivated or gave a
// leaving date that has come: their index is wiped and every later operation is refused.
func (s *Store) endSessions(recs []ChangeRecord) {
	ids := map[string]bool{}
	for _, r := range recs {
		if r.Table == "users" && (r.Column == "active" || r.Column == "leaves_at") {
			ids[r.RowID] = true
		}
	}
	if len(ids) == 0 {
		return
	}
	for _, ss := range s.live.all() {
		if !ids[ss.user.ID] {
			continue
		}
		var active bool
		var leaves int64
		err := s.db.QueryRow("SELECT active, leaves_at FROM users WHERE id = ?", ss.user.ID).Scan(&active, &leaves)
		if err == nil && active && (leaves == 0 || s.opts.Now().UnixMilli() < leaves) {
			ss.leaves.Store(leaves) // a date to come: the session ends by itself then
			continue
		}
		ss.ended.Store(true)
		ss.wipe()
	}
}

// reindex re-evaluates customers in every live session's built index after a committed
// change, local or by sync: another session on this Store (a manager who reassigned a
// customer, a mechanic whose job was collected) must not go on finding what it may no longer
// see. Decrypting into an index extends BuildIndex's audited bulk read, so each session that
// opened customers gets one entry; writer, the session that made the change, has its write
// entry already.
func (s *Store) reindex(ctx context.Context, ids []string, writer *Session, cause string) {
	if len(ids) == 0 {
		return
	}
	for _, ss := range s.live.all() {
		opened := 0
		for _, id := range ids {
			if ss.indexPut(ctx, id) {
				opened++
			}
		}
		if opened == 0 || ss == writer {
			continue
		}
		_, _, minimal, _ := ss.visibleQuery()
		s.auditRead(ctx, ss.actor(), auditEntry{Action: "customer.index", Fields: indexFields(minimal), Grant: ss.indexGrant(),
			Detail: fmt.Sprintf("%s customers=%d", cause, opened)})
	}
}

// touchedCustomers lists the customers whose visibility a set of change records may have
// changed: customers' own rows, and the customers of touched jobs (a mechanic's view follows
// the open jobs assigned to them).
func (s *Store) touchedCustomers(ctx context.Context, recs []ChangeRecord) []string {
	seen := map[string]bool{}
	jobs := map[string]bool{}
	for _, r := range recs {
		switch r.Table {
		case "customers":
			seen[r.RowID] = true
		case "work_orders":
			jobs[r.RowID] = true
		}
	}
	for id := range jobs {
		var cust string
		if err := s.db.QueryRowContext(ctx, "SELECT customer_id FROM work_orders WHERE id = ?", id).Scan(&cust); err == nil {
			seen[cust] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// indexFields names what an index holds: a mechanic's has no e-mail.
func indexFields(minimal bool) []string {
	if minimal {
		return []string{"name", "phone"}
	}
	return []string{"name", "email", "phone"}
}
