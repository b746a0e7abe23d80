package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"spoke/crypto/keys"
	"spoke/crypto/lthash"
)

// Integrity: every row of every synced table carries a MAC, in its row_clocks entry, under a
// key derived from this database's master key. It covers the table, the id, every column (the
// business ones, the sealed ones' ciphertext, the derived ones, NULLs and types) and the row's
// clocks with its version, the last local sequence that wrote it: an edited byte anywhere in
// the row fails it, and so does an older, genuine copy of the row put back (its clock or the
// row's version gives it away, see below).
//
// The set of all row MACs is summed into an LtHash (crypto/lthash) kept in meta with a MAC of
// its own, which binds it to the newest local sequence and to the audit entry of the write
// that left it: deleting a row, putting back a whole older row with its clock, or adding one
// changes the sum, and an older sum put back with older rows is followed in the audit trail
// by the writes that came after it (the trail is chained and anchored outside the file). Every
// write updates the sum for the rows it wrote (remove the old MAC, add the new one), so an
// incremental backup and its check cost what changed, not the database; Verify and the restore
// drill recompute it in full.
//
// Which rows a write touched is not left to each write path to remember: temporary triggers on
// the write connection record every inserted, updated or deleted row of a synced table in
// temp.touched, and the transaction MACs exactly those before it commits.

const (
	purposeRowMAC = "spoke/row-integrity/v1"
	metaIntegrity = "integrity" // lthash state | max seq | audit seq | audit MAC | MAC
	actionSeal    = "store.integrity"
)

// integrityKey is the row-MAC key, derived once from the master key.
func (s *Store) integrityKey() ([]byte, error) {
	s.mu.RLock()
	k, mk := s.derived[purposeRowMAC], s.mk
	s.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	if mk == nil {
		return nil, errLocked
	}
	k = keys.Derive(mk, purposeRowMAC)
	s.mu.Lock()
	s.derived[purposeRowMAC] = k
	s.mu.Unlock()
	return k, nil
}

// touchedSchema creates, on the write transaction's connection, the table and triggers that
// record which rows of synced tables the transaction wrote. Temporary objects belong to one
// connection, so this runs (cheaply, IF NOT EXISTS) at the start of every write.
var touchedSchema = func() string {
	var b strings.Builder
	b.WriteString("CREATE TEMP TABLE IF NOT EXISTS touched (t INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (t, id)) WITHOUT ROWID;\n")
	// Kept conflicts are summed into the state too (their MACs are their own, syncmac.go): each
	// MAC a write adds (+1) or takes away (-1).
	b.WriteString("CREATE TEMP TABLE IF NOT EXISTS touched_conflicts (d INTEGER NOT NULL, mac BLOB);\n")
	b.WriteString("CREATE TEMP TRIGGER IF NOT EXISTS touched_conflicts_i AFTER INSERT ON main.conflicts BEGIN INSERT INTO temp.touched_conflicts VALUES (1, NEW.mac); END;\n")
	b.WriteString("CREATE TEMP TRIGGER IF NOT EXISTS touched_conflicts_u AFTER UPDATE ON main.conflicts BEGIN INSERT INTO temp.touched_conflicts VALUES (-1, OLD.mac), (1, NEW.mac); END;\n")
	b.WriteString("CREATE TEMP TRIGGER IF NOT EXISTS touched_conflicts_d AFTER DELETE ON main.conflicts BEGIN INSERT INTO temp.touched_conflicts VALUES (-1, OLD.mac); END;\n")
	for i, t := range schema {
		if !t.synced {
			continue
		}
		for _, ev := range []struct{ name, when, row string }{{"i", "INSERT", "NEW"}, {"u", "UPDATE", "NEW"}, {"d", "DELETE", "OLD"}} {
			fmt.Fprintf(&b, "CREATE TEMP TRIGGER IF NOT EXISTS touched_%s_%s AFTER %s ON main.%s BEGIN INSERT OR IGNORE INTO temp.touched VALUES (%d, %s.id); END;\n",
				t.name, ev.name, ev.when, t.name, i, ev.row)
		}
	}
	return b.String()
}()

// trackTouched makes sure the transaction's connection records touched rows.
func (w *wtx) trackTouched() error {
	var n int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM temp.sqlite_master WHERE type = 'trigger' AND name LIKE 'touched\\_%' ESCAPE '\\'").Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := w.tx.ExecContext(w.ctx, touchedSchema); err != nil {
			return fmt.Errorf("integrity triggers: %w", err)
		}
	}
	if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched"); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched_conflicts")
	return err
}

// untrack empties the transaction's record of touched rows once they are sealed: the
// temporary tables outlive the transaction on its connection, and writtenHere must not vouch
// for a row after the commit.
func (w *wtx) untrack() error {
	if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched"); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched_conflicts")
	return err
}

// sealIfNew seals a database that has no integrity state yet (made before row clocks and just
// migrated): one audited write that MACs every row. A database whose trail says it was sealed
// is not sealed again (checkTrail has refused it).
func (s *Store) sealIfNew(ctx context.Context) error {
	if s.trailProblem() != nil {
		return nil
	}
	if org, err := hasOrgKey(ctx, s.db); err != nil || !org {
		return err // a replica before its first sync: no trail yet
	}
	if _, err := getMeta(ctx, s.db, metaIntegrity); err == nil || !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.write(ctx, storeActor, actionSeal, func(*wtx) error { return nil })
}

// rowMAC is the MAC of one row as stored: names and vals are the table's columns as SELECT *
// returns them (id among them), rc its clock; vals is nil for a row that no longer exists (its
// clock remains, terminal). It returns the 32-byte MAC over all of it followed by short tags
// (tagSize bytes each) of the clock and of each column in names order: the MAC decides, the
// tags only let Verify name which column (or the clock) an edit touched.
func rowMAC(key []byte, t *table, names []string, vals []any, rc *rowClock, devs *deviceNames) []byte {
	return rowMACTags(key, t, names, vals, rc, devs, true)
}

// rowMACTags is rowMAC, without the tags when tags is false (a read's check needs the MAC only).
// The bytes MAC'd are one buffer: the table, the id, the clock values, then each column's
// name and value (type-tagged and length-prefixed as hashValue writes them).
func rowMACTags(key []byte, t *table, names []string, vals []any, rc *rowClock, devs *deviceNames, tags bool) []byte {
	buf := make([]byte, 0, 1024)
	buf = append(buf, "spoke/row/v1\x00"...)
	buf = append(buf, t.name...)
	buf = append(buf, 0)
	buf = append(buf, rc.id...)
	var tagged []byte
	var tb, seed []byte
	if tags {
		// The tags' seed is derived, so what the tags give away about it (FNV's 32-bit state)
		// says nothing about the MAC key.
		m := hmac.New(sha256.New, key)
		m.Write([]byte("spoke/row-tag-seed/v1"))
		seed = m.Sum(nil)[:8]
	}
	tag := func(part string, v ...any) {
		if !tags {
			return
		}
		// FNV-1a, seeded from the key: a tag only names what an edit touched, it decides
		// nothing (the MAC does), and a column's tag says no more than the column, which
		// sits beside it (ciphertext for a sealed one). An edit chosen to keep a tag is still
		// caught by the MAC, only not named.
		tb = append(tb[:0], seed...)
		tb = append(tb, rc.id...)
		tb = appendValue(tb, part)
		for _, x := range v {
			tb = appendValue(tb, x)
		}
		f := fnv.New32a()
		f.Write(tb)
		tagged = binary.BigEndian.AppendUint16(tagged, uint16(f.Sum32()))
	}
	clockVals := []any{int64(rc.base.hlc), devs.byN[rc.base.dev], rc.base.seq, rc.seq, rc.flags}
	if len(rc.cells) > 0 {
		codes := make([]int, 0, len(rc.cells))
		for c := range rc.cells {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			k := rc.cells[c]
			clockVals = append(clockVals, int64(c), int64(k.hlc), devs.byN[k.dev], k.seq)
		}
	}
	for _, v := range clockVals {
		buf = appendValue(buf, v)
	}
	tag("clock", clockVals...)
	if vals == nil {
		buf = append(buf, 0) // absent
	} else {
		buf = append(buf, 1)
		late := lateColumns(t, names)
		for i, name := range names {
			v := vals[i]
			if late[i] && (v == nil || v == int64(0) || v == "") {
				tag(name)
				continue // a column added by a later migration counts as absent at its default
			}
			buf = appendValue(buf, name)
			buf = appendValue(buf, v)
			tag(name, v)
		}
	}
	h := hmac.New(sha256.New, key)
	h.Write(buf)
	return append(h.Sum(nil)[:macSize], tagged...)
}

// appendValue appends v as hashValue writes it.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 0)
	case int64:
		return binary.BigEndian.AppendUint64(append(b, 1), uint64(x))
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 2), math.Float64bits(x))
	case string:
		return append(binary.BigEndian.AppendUint64(append(b, 3), uint64(len(x))), x...)
	case []byte:
		return append(binary.BigEndian.AppendUint64(append(b, 4), uint64(len(x))), x...)
	}
	return fmt.Appendf(b, "?%T:%v", v, v)
}

// lateColumns marks, for a table's columns as a query returned them, those a later migration
// added (remembered per table and column list).
func lateColumns(t *table, names []string) []bool {
	k := lateKey{t.name, len(names)} // a table's columns differ only by what migrations append
	if v, ok := lateCache.Load(k); ok {
		return v.([]bool)
	}
	late := make([]bool, len(names))
	for i, n := range names {
		late[i] = isLate(t.name, n)
	}
	lateCache.Store(k, late)
	return late
}

type lateKey struct {
	table string
	n     int
}

var lateCache sync.Map

// tagSize is the length of a column's tag: enough to name an edited column, not to decide.
// macSize is the row MAC's: HMAC-SHA-256 truncated to 128 bits (as RFC 4868 and NIST SP
// 800-107 allow), the same strength as the AES-GCM tags of the sealed values.
const (
	tagSize = 2
	macSize = 16
)

// macOK reports whether a stored MAC blob's MAC part matches.
func macOK(stored, want []byte) bool {
	return len(stored) >= macSize && hmac.Equal(stored[:macSize], want[:macSize])
}

// badParts names what an edit touched, from the tags: "clock", column names, or "-".
func badParts(stored, want []byte, names []string) string {
	var bad []string
	parts := append([]string{"clock"}, names...)
	for i, p := range parts {
		at := macSize + i*tagSize
		if at+tagSize > len(want) {
			break
		}
		if at+tagSize > len(stored) || !hmac.Equal(stored[at:at+tagSize], want[at:at+tagSize]) {
			bad = append(bad, p)
		}
	}
	if len(bad) == 0 {
		return "-"
	}
	return strings.Join(bad, ",")
}

var errLocked = errors.New("store: the database is locked")

// checkRow authenticates one row as stored (its MAC over every column and its clock) before it
// is read or written over. A database not sealed yet (migrated, before its first write) has no
// MACs to check. Its three reads are statements prepared once per Store.
func (s *Store) checkRow(ctx context.Context, q querier, t *table, id string) error {
	if db, ok := q.(*sql.DB); ok {
		// The clock, the cells and the row from one snapshot: a merge committing in between
		// must not look like tampering.
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		q = tx
	}
	key, err := s.integrityKey()
	if err != nil {
		return err
	}
	k, err := rowKeyOf(id)
	if err != nil {
		return &TamperError{Table: t.name, Row: "-", Column: "id", Reason: "the row id is not a UUID"}
	}
	rc := &rowClock{id: k, table: t}
	var code, h int64
	err = s.queryRow(ctx, q, "SELECT tbl, hlc, dev, base_seq, seq, flags, mac FROM row_clocks WHERE id = ?", k).
		Scan(&code, &h, &rc.base.dev, &rc.base.seq, &rc.seq, &rc.flags, &rc.mac)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	rc.base.hlc = uint64(h)
	if err != nil || rc.mac == nil || code != int64(tableCode(t)) {
		if _, err := getMeta(ctx, q, metaIntegrity); errors.Is(err, ErrNotFound) || writtenHere(ctx, q, t, id) {
			return nil // never sealed, or inserted by this very transaction
		}
		var exists bool
		if err := q.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM "+t.name+" WHERE id = ?)", id).Scan(&exists); err != nil {
			return err
		}
		if rc.mac == nil && !exists {
			return nil // no row and no clock: nothing to authenticate (the caller finds none)
		}
		return &TamperError{Table: t.name, Row: id, Column: "-", Reason: "the row has no clock or MAC"}
	}
	rows, err := s.query(ctx, q, "SELECT col, hlc, dev, seq FROM cell_clocks WHERE id = ?", k)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c int
		var kc clock
		var h int64
		if err := rows.Scan(&c, &h, &kc.dev, &kc.seq); err != nil {
			rows.Close()
			return err
		}
		kc.hlc = uint64(h)
		if rc.cells == nil {
			rc.cells = map[int]clock{}
		}
		rc.cells[c] = kc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.query(ctx, q, "SELECT * FROM "+t.name+" WHERE id = ?", id)
	if err != nil {
		return err
	}
	names, _ := rows.Columns()
	var vals []any
	if rows.Next() {
		vals = make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	devs, err := s.deviceNames(ctx, q, rc)
	if err != nil {
		return err
	}
	if !macOK(rc.mac, rowMACTags(key, t, names, vals, rc, devs, false)) {
		if writtenHere(ctx, q, t, id) {
			return nil // this transaction wrote it; its MAC is renewed before commit
		}
		return &TamperError{Table: t.name, Row: id, Column: "-", Reason: "the row fails authentication"}
	}
	return nil
}

// guard authenticates an existing row before this transaction first writes over it (an
// update, a merge, a recomputed total): otherwise the write would MAC values edited in the file
// as its own. Once per row and transaction.
func (w *wtx) guard(t *table, id string) error {
	k := t.name + "/" + id
	if w.guarded[k] {
		return nil
	}
	if w.guarded == nil {
		w.guarded = map[string]bool{}
	}
	w.guarded[k] = true
	return w.s.checkRow(w.ctx, w.tx, t, id)
}

// writtenHere reports whether q is a write transaction that has already written the row.
func writtenHere(ctx context.Context, q querier, t *table, id string) bool {
	if _, ok := q.(*sql.Tx); !ok {
		return false
	}
	var here bool
	err := q.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM temp.sqlite_master WHERE name = 'touched') AND EXISTS(SELECT 1 FROM temp.touched WHERE t = ? AND id = ?)", tableCode(t), id).Scan(&here)
	return err == nil && here
}

// deviceNames returns the device numbers, cached by the Store and read again when a clock
// names a number the cache does not hold (numbers are only ever added).
func (s *Store) deviceNames(ctx context.Context, q querier, rc *rowClock) (*deviceNames, error) {
	s.mu.RLock()
	d := s.devs
	s.mu.RUnlock()
	known := d != nil
	if known {
		_, ok := d.byN[rc.base.dev]
		known = ok
		for _, k := range rc.cells {
			_, ok := d.byN[k.dev]
			known = known && ok
		}
	}
	if known {
		return d, nil
	}
	d, err := loadDevices(ctx, q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.devs = d
	s.mu.Unlock()
	return d, nil
}

// prepared returns a statement prepared once on the Store's pool, for use through q. Inside a
// transaction a statement not prepared yet is prepared on the transaction alone: preparing on
// the pool would need a second connection, which other transactions waiting for the write
// lock may all hold (prewarm prepares the usual ones while the pool is idle).
func (s *Store) prepared(ctx context.Context, q querier, query string) (*sql.Stmt, error) {
	s.mu.RLock()
	st := s.stmts[query]
	s.mu.RUnlock()
	if tx, ok := q.(*sql.Tx); ok && st == nil {
		return tx.PrepareContext(ctx, query)
	}
	if st == nil {
		var err error
		if st, err = s.db.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if old := s.stmts[query]; old != nil {
			st.Close()
			st = old
		} else {
			if s.stmts == nil {
				s.stmts = map[string]*sql.Stmt{}
			}
			s.stmts[query] = st
		}
		s.mu.Unlock()
	}
	if tx, ok := q.(*sql.Tx); ok {
		return tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

// prewarm prepares on the pool the statements reads and row checks run inside transactions.
func (s *Store) prewarm(ctx context.Context) error {
	qs := []string{
		"SELECT tbl, hlc, dev, base_seq, seq, flags, mac FROM row_clocks WHERE id = ?",
		"SELECT col, hlc, dev, seq FROM cell_clocks WHERE id = ?",
		"SELECT region FROM shops WHERE id = ?",
		"SELECT username FROM users WHERE id = ?",
	}
	for _, t := range schema {
		if t.synced {
			qs = append(qs, "SELECT * FROM "+t.name+" WHERE id = ?")
		}
	}
	for _, q := range qs {
		if _, err := s.prepared(ctx, s.db, q); err != nil {
			return err
		}
	}
	return nil
}

// queryRow and query run a prepared statement through q (the pool, or a transaction).
func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, q, query)
	if err != nil {
		return q.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, q, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// integrityState is the LtHash of every row MAC and the newest local sequence it covers.
type integrityState struct {
	sum     *lthash.Hash
	maxSeq  int64
	counts  []int64  // rows per table, by table code: a backup's counts without a scan
	devices [32]byte // SHA-256 of the device numbers (which device a clock's number is)
	// v2 states (every state a write leaves since) also sum the kept conflicts' MACs and count
	// them, so a conflict deleted, added or put back in the file is noticed; and a v2 state
	// means the database keeps a book of its bookkeeping MACs (book.go), so a book missing is
	// tampering. A v1 state, left by an older Spoke, is upgraded by the next write.
	v2        bool
	conflicts *lthash.Hash
	nConflict int64
	// tables is how many table counts the body holds: 0 for every table of the registry (each
	// state a write leaves), fewer for one left by a Spoke whose registry was shorter (tables
	// appended since), read and hashed as it was written until the next write widens it.
	tables int
}

// stateTablesMin is the registry's length when the state was introduced (schema 9): the
// fewest table counts a stored state can hold.
const stateTablesMin = 11

// stateSizeOf is the length of a stored v1 state's body with n table counts; a v2 state's is
// longer by its conflict sum and count (stateExtraV2).
func stateSizeOf(n int) int { return lthash.Size + 8 + 8*n + 32 }

const stateExtraV2 = lthash.Size + 8

func (st *integrityState) width() int {
	if st.tables == 0 {
		return len(schema)
	}
	return st.tables
}

func (st *integrityState) body() []byte {
	b := binary.BigEndian.AppendUint64(st.sum.Bytes(), uint64(st.maxSeq))
	for i := range st.width() {
		b = binary.BigEndian.AppendUint64(b, uint64(st.count(i)))
	}
	b = append(b, st.devices[:]...)
	if st.v2 {
		b = append(b, st.conflicts.Bytes()...)
		b = binary.BigEndian.AppendUint64(b, uint64(st.nConflict))
	}
	return b
}

// devicesDigest hashes the device numbers as stored.
func devicesDigest(ctx context.Context, q querier) ([32]byte, error) {
	h := sha256.New()
	rows, err := q.QueryContext(ctx, "SELECT n, id FROM devices ORDER BY n")
	if err != nil {
		return [32]byte{}, err
	}
	defer rows.Close()
	var b []byte
	for rows.Next() {
		var n int64
		var id string
		if err := rows.Scan(&n, &id); err != nil {
			return [32]byte{}, err
		}
		b = appendValue(appendValue(b[:0], n), id)
		h.Write(b)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d, rows.Err()
}

func (st *integrityState) count(code int) int64 {
	if code < len(st.counts) {
		return st.counts[code]
	}
	return 0
}

func (st *integrityState) addCount(code int, d int64) {
	for len(st.counts) <= code {
		st.counts = append(st.counts, 0)
	}
	st.counts[code] += d
}

// parseState reads a state's body and MAC without checking the MAC.
func parseState(b []byte) (*integrityState, []byte, bool) {
	tables, v2 := 0, false
	for n := len(schema); n >= stateTablesMin && tables == 0; n-- {
		switch len(b) - sha256.Size {
		case stateSizeOf(n):
			tables = n
		case stateSizeOf(n) + stateExtraV2:
			tables, v2 = n, true
		}
	}
	if tables == 0 {
		return nil, nil, false
	}
	size := stateSizeOf(tables)
	sum, err := lthash.Parse(b[:lthash.Size])
	if err != nil {
		return nil, nil, false
	}
	st := &integrityState{sum: sum, maxSeq: int64(binary.BigEndian.Uint64(b[lthash.Size:]))}
	if tables < len(schema) {
		st.tables = tables
	}
	for i := range tables {
		st.counts = append(st.counts, int64(binary.BigEndian.Uint64(b[lthash.Size+8+8*i:])))
	}
	copy(st.devices[:], b[size-32:size])
	if !v2 {
		return st, b[size:], true
	}
	st.v2 = true
	if st.conflicts, err = lthash.Parse(b[size : size+lthash.Size]); err != nil {
		return nil, nil, false
	}
	st.nConflict = int64(binary.BigEndian.Uint64(b[size+lthash.Size:]))
	return st, b[size+stateExtraV2:], true
}

func (st *integrityState) mac(key []byte) []byte {
	h := hmac.New(sha256.New, key)
	if st.v2 {
		h.Write([]byte("spoke/integrity-state/v2\x00"))
	} else {
		h.Write([]byte("spoke/integrity-state/v1\x00"))
	}
	h.Write(st.body())
	return h.Sum(nil)
}

// token is what the audit entry of the write that left this state records (detail
// "integrity=..."): the trail, chained and anchored outside the file, then says which state
// the newest write left, so an older state put back with older rows is caught.
func (st *integrityState) token() string {
	d := sha256.Sum256(st.body())
	return fmt.Sprintf("%x", d[:8])
}

const tokenKey = "integrity="

// withoutToken is an entry's detail as a reader sees it: the integrity token is the store's
// bookkeeping (the chain covers it), not part of what happened.
func withoutToken(detail string) string {
	i := strings.Index(detail, tokenKey)
	if i < 0 {
		return detail
	}
	j := i + len(tokenKey)
	for j < len(detail) && detail[j] != ' ' {
		j++
	}
	return strings.TrimSpace(detail[:i] + detail[j:])
}

func (st *integrityState) encode(key []byte) []byte {
	return append(st.body(), st.mac(key)...)
}

// loadState reads and authenticates the stored state; ErrNotFound if there is none.
func loadState(ctx context.Context, q querier, key []byte) (*integrityState, error) {
	b, err := getMeta(ctx, q, metaIntegrity)
	if err != nil {
		return nil, err
	}
	bad := &TamperError{Table: "meta", Row: metaIntegrity, Column: "value", Reason: "the integrity state fails authentication"}
	st, mac, ok := parseState(b)
	if !ok || !hmac.Equal(st.mac(key), mac) {
		return nil, bad
	}
	return st, nil
}

// sealRows MACs every row this transaction touched, writes the clocks of the rows it inserted,
// and updates the state, before the audit entry (bindState, after it, ties the two).
func (w *wtx) sealRows() (*integrityState, error) {
	key, err := w.s.integrityKey()
	if err != nil {
		return nil, err
	}
	st, err := w.state(key)
	if err != nil {
		return nil, err
	}
	devs, err := w.devices()
	if err != nil {
		return nil, err
	}
	byTable := map[int64][]string{}
	rows, err := w.tx.QueryContext(w.ctx, "SELECT t, id FROM temp.touched ORDER BY t, id")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t int64
		var id string
		if err := rows.Scan(&t, &id); err != nil {
			rows.Close()
			return nil, err
		}
		byTable[t] = append(byTable[t], id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pending := map[string]*rowClock{}
	for _, rc := range w.newRows {
		pending[string(rc.id)] = rc
	}
	for code, ids := range byTable {
		t := tableOfCode(code)
		for len(ids) > 0 {
			n := min(len(ids), idChunk)
			if err := w.sealChunk(key, st, devs, t, ids[:n], pending); err != nil {
				return nil, err
			}
			ids = ids[n:]
		}
	}
	if err := w.flushClocks(w.newRows); err != nil {
		return nil, err
	}
	w.newRows, w.pendingAt = nil, nil
	if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched"); err != nil {
		return nil, err
	}
	if err := w.sealConflictSum(st); err != nil {
		return nil, err
	}
	st.maxSeq, st.tables = w.seq, 0 // a state left by a shorter registry is widened (its new tables: 0 rows until now)
	return st, nil
}

// sealConflictSum brings the state's sum and count of kept conflicts up to this transaction:
// the MACs its writes added and took away, or, for a state that has none yet (new, or left by
// a Spoke from before they were counted: the upgrade), every conflict as it is now.
func (w *wtx) sealConflictSum(st *integrityState) error {
	if !st.v2 {
		sum, n, err := conflictSum(w.ctx, w.tx)
		if err != nil {
			return err
		}
		st.v2, st.conflicts, st.nConflict = true, sum, n
	} else {
		rows, err := w.tx.QueryContext(w.ctx, "SELECT d, mac FROM temp.touched_conflicts")
		if err != nil {
			return err
		}
		for rows.Next() {
			var d int64
			var mac []byte
			if err := rows.Scan(&d, &mac); err != nil {
				rows.Close()
				return err
			}
			if d > 0 {
				st.conflicts.Add(mac)
			} else {
				st.conflicts.Remove(mac)
			}
			st.nConflict += d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	_, err := w.tx.ExecContext(w.ctx, "DELETE FROM temp.touched_conflicts")
	return err
}

// conflictSum sums and counts the MACs of every kept conflict as stored.
func conflictSum(ctx context.Context, q querier) (*lthash.Hash, int64, error) {
	sum := &lthash.Hash{}
	var n int64
	rows, err := q.QueryContext(ctx, "SELECT mac FROM conflicts")
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var mac []byte
		if err := rows.Scan(&mac); err != nil {
			return nil, 0, err
		}
		sum.Add(mac)
		n++
	}
	return sum, n, rows.Err()
}

// sealChunk MACs up to idChunk touched rows of one table.
func (w *wtx) sealChunk(key []byte, st *integrityState, devs *deviceNames, t *table, ids []string, pending map[string]*rowClock) error {
	vals, names, err := readRows(w.ctx, w.tx, t, ids)
	if err != nil {
		return err
	}
	keysOf := make([][]byte, 0, len(ids))
	for _, id := range ids {
		k, err := rowKeyOf(id)
		if err != nil {
			return err
		}
		if pending[string(k)] == nil {
			keysOf = append(keysOf, k)
		}
	}
	stored, err := readClocks(w.ctx, w.tx, keysOf)
	if err != nil {
		return err
	}
	for _, id := range ids {
		k, _ := rowKeyOf(id)
		if rc := pending[string(k)]; rc != nil {
			if vals[id] == nil {
				rc.flags |= flagTerminal // inserted and deleted here: a terminal clock, no row
			} else {
				st.addCount(tableCode(t), 1)
			}
			rc.mac = rowMAC(key, t, names, vals[id], rc, devs)
			st.sum.Add(rc.mac)
			continue
		}
		rc := stored[string(k)]
		if rc == nil {
			return fmt.Errorf("store: a %s row was written without a clock", t.name)
		}
		if rc.mac != nil {
			st.sum.Remove(rc.mac)
		}
		if vals[id] == nil && rc.flags&flagTerminal == 0 {
			// Deleted here: the row's clock stays, terminal, so the deletion is a version too.
			rc.flags |= flagTerminal
			st.addCount(tableCode(t), -1)
			if err := w.exec1("UPDATE row_clocks SET flags = ? WHERE id = ?", rc.flags, rc.id); err != nil {
				return err
			}
		}
		if rc.seq <= w.seq0 {
			// Written here without a stamp (a derived column, a staff record's bookkeeping):
			// it still takes a new version, so "rows written since N" finds it.
			rc.seq = w.nextSeq()
		}
		rc.mac = rowMAC(key, t, names, vals[id], rc, devs)
		st.sum.Add(rc.mac)
		if err := w.exec1("UPDATE row_clocks SET seq = ?, mac = ? WHERE id = ?", rc.seq, rc.mac, rc.id); err != nil {
			return fmt.Errorf("row MAC: %w", err)
		}
	}
	return nil
}

// readRows reads rows of one table by id (at most idChunk), every column as stored.
func readRows(ctx context.Context, q querier, t *table, ids []string) (map[string][]any, []string, error) {
	args := make([]any, idChunk)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+t.name+" WHERE id IN "+idMarks, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	idAt := slices.Index(names, "id")
	out := map[string][]any{}
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		id, _ := vals[idAt].(string)
		out[id] = vals
	}
	return out, names, rows.Err()
}

// state returns the transaction's integrity state: the stored one, or, for a database that
// has never been sealed (new, or just migrated from the change log), one built over every
// row now. A database that was sealed (its trail says so) and has lost its state is tampered.
func (w *wtx) state(key []byte) (*integrityState, error) {
	st, err := loadState(w.ctx, w.tx, key)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return st, err
	}
	var sealed bool
	if err := w.tx.QueryRowContext(w.ctx, "SELECT EXISTS(SELECT 1 FROM audit WHERE instr(detail, ?) > 0)", tokenKey).Scan(&sealed); err != nil {
		return nil, err
	}
	if sealed {
		return nil, &TamperError{Table: "meta", Row: metaIntegrity, Column: "-", Reason: "the integrity state is missing"}
	}
	st, n, err := w.sealAll(key)
	if err != nil {
		return nil, err
	}
	st.maxSeq = w.seq0
	if err := w.s.sealBookkeeping(w.ctx, w.tx); err != nil {
		return nil, err
	}
	if n == 0 {
		return st, nil // a new database: its first write's entry names the state
	}
	if err := w.s.appendAudit(w.ctx, w.tx, storeActor, auditEntry{Action: actionSeal, Outcome: "ok", Detail: fmt.Sprintf("rows=%d %s%s", n, tokenKey, st.token())}); err != nil {
		return nil, err
	}
	return st, nil
}

// sealAll MACs every row that has a clock (the first seal of a database) and returns the sum.
func (w *wtx) sealAll(key []byte) (*integrityState, int, error) {
	devs, err := w.devices()
	if err != nil {
		return nil, 0, err
	}
	st := &integrityState{sum: &lthash.Hash{}}
	n := 0
	err = eachRow(w.ctx, w.tx, func(t *table, rc *rowClock, names []string, vals []any) error {
		rc.mac = rowMAC(key, t, names, vals, rc, devs)
		st.sum.Add(rc.mac)
		if vals != nil {
			st.addCount(tableCode(t), 1)
		}
		n++
		return w.exec1("UPDATE row_clocks SET mac = ? WHERE id = ?", rc.mac, rc.id)
	})
	return st, n, err
}

// eachRow calls fn for every row clock with its row (nil vals for a row that is gone), a
// table at a time: one query per table joins each clock to its row, and the cell clocks are
// read for idChunk rows at a time.
func eachRow(ctx context.Context, q querier, fn func(t *table, rc *rowClock, names []string, vals []any) error) error {
	for code := range schema {
		t := &schema[code]
		if !t.synced {
			continue
		}
		if gone, err := t.missing(ctx, q, "main"); err != nil || gone {
			if err != nil {
				return err
			}
			continue // a file from a Spoke before the table (an older delta): no rows of it
		}
		rows, err := q.QueryContext(ctx, "SELECT r.id, r.hlc, r.dev, r.base_seq, r.seq, r.flags, r.mac, x.id IS NOT NULL, x.* FROM row_clocks r LEFT JOIN "+
			t.name+" x ON x.id = "+uuidText+" WHERE r.tbl = ?", code)
		if err != nil {
			return err
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		names := cols[8:]
		type item struct {
			rc   *rowClock
			vals []any
		}
		var batch []item
		flush := func() error {
			keys := make([][]byte, len(batch))
			for i, it := range batch {
				keys[i] = it.rc.id
			}
			cells, err := readCells(ctx, q, keys)
			if err != nil {
				return err
			}
			for _, it := range batch {
				it.rc.cells = cells[string(it.rc.id)]
				if err := fn(t, it.rc, names, it.vals); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		for rows.Next() {
			rc := &rowClock{table: t}
			var h int64
			var present bool
			vals := make([]any, len(names))
			dest := []any{&rc.id, &h, &rc.base.dev, &rc.base.seq, &rc.seq, &rc.flags, &rc.mac, &present}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			rc.base.hlc = uint64(h)
			if !present {
				vals = nil
			}
			batch = append(batch, item{rc, vals})
			if len(batch) == idChunk {
				if err := flush(); err != nil {
					rows.Close()
					return err
				}
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if len(batch) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// readCells reads the cell clocks of rows (by key), at most idChunk of them.
func readCells(ctx context.Context, q querier, keys [][]byte) (map[string]map[int]clock, error) {
	out := map[string]map[int]clock{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, idChunk)
	for i := range args {
		args[i] = keys[min(i, len(keys)-1)]
	}
	rows, err := q.QueryContext(ctx, "SELECT id, col, hlc, dev, seq FROM cell_clocks WHERE id IN "+idMarks, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id []byte
		var c int
		var k clock
		var h int64
		if err := rows.Scan(&id, &c, &h, &k.dev, &k.seq); err != nil {
			return nil, err
		}
		k.hlc = uint64(h)
		if out[string(id)] == nil {
			out[string(id)] = map[int]clock{}
		}
		out[string(id)][c] = k
	}
	return out, rows.Err()
}

// bindState stores the state and names it in the transaction's audit entry (before that
// entry is appended).
func (w *wtx) bindState(st *integrityState) error {
	key, err := w.s.integrityKey()
	if err != nil {
		return err
	}
	if st.devices, err = devicesDigest(w.ctx, w.tx); err != nil {
		return err
	}
	if w.audit.Detail != "" {
		w.audit.Detail += " "
	}
	w.audit.Detail += tokenKey + st.token()
	return setMeta(w.ctx, w.tx, metaIntegrity, st.encode(key))
}

// checkState checks the stored state without recomputing the sum: it authenticates, covers
// the newest local sequence, and is the state the newest write's audit entry names. Cheap
// enough for every unlock; Verify adds the full recomputation. A state that authenticates but
// is not bound where it should be is returned with the error, for Verify's counts and sum.
func (s *Store) checkState(ctx context.Context, q querier) (*integrityState, error) {
	key, err := s.integrityKey()
	if err != nil {
		return nil, err
	}
	var detail string
	err = q.QueryRowContext(ctx, "SELECT detail FROM audit WHERE instr(detail, ?) > 0 ORDER BY seq DESC LIMIT 1", tokenKey).Scan(&detail)
	sealed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	st, err := loadState(ctx, q, key)
	if errors.Is(err, ErrNotFound) {
		if sealed {
			return nil, &TamperError{Table: "meta", Row: metaIntegrity, Column: "-", Reason: "the integrity state is missing"}
		}
		return nil, nil // never sealed: the first write seals it
	}
	if err != nil {
		return nil, err
	}
	top, err := maxSeq(ctx, q)
	if err != nil {
		return nil, err
	}
	if d, err := devicesDigest(ctx, q); err != nil {
		return nil, err
	} else if d != st.devices {
		return st, &TamperError{Table: "devices", Row: "-", Column: "id", Reason: "the device numbers differ from those the last write left"}
	}
	if top != st.maxSeq {
		return st, &TamperError{Table: "row_clocks", Row: "-", Column: "seq", Reason: fmt.Sprintf("the newest row version is %d, the integrity state records %d", top, st.maxSeq)}
	}
	if !sealed || !strings.Contains(" "+detail+" ", " "+tokenKey+st.token()+" ") {
		return st, &TamperError{Table: "meta", Row: metaIntegrity, Column: "value", Reason: "the integrity state is not the one the last write left (an older copy was put back)"}
	}
	return st, nil
}

// verifyIntegrity recomputes every row MAC and the sum, naming each row that fails, and
// checks the sum against the stored state.
func (s *Store) verifyIntegrity(ctx context.Context, r *Report) error {
	key, err := s.integrityKey()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := s.checkState(ctx, tx)
	var te *TamperError
	if errors.As(err, &te) {
		r.add(te.Table, te.Row, te.Column, te.Reason)
	} else if err != nil {
		return err
	}
	devs, err := loadDevices(ctx, tx)
	if err != nil {
		return err
	}
	// One reader (the transaction) feeds the rows to a worker per core, which MAC and sum
	// them; the partial sums add up (the LtHash is commutative).
	type job struct {
		t     *table
		rc    *rowClock
		names []string
		vals  []any
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan job, 256)
	sums := make([]lthash.Hash, workers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(sum *lthash.Hash) {
			defer wg.Done()
			for j := range jobs {
				sum.Add(j.rc.mac)
				// The MAC alone first; the tags, which only name columns, when it fails.
				// (Tags edited alone change the sum.)
				if !macOK(j.rc.mac, rowMACTags(key, j.t, j.names, j.vals, j.rc, devs, false)) {
					want := rowMAC(key, j.t, j.names, j.vals, j.rc, devs)
					id, _ := rowIDOf(j.rc.id)
					mu.Lock()
					r.add(j.t.name, id, badParts(j.rc.mac, want, j.names), "row fails authentication (edited outside Spoke, or an older copy put back)")
					mu.Unlock()
				}
			}
		}(&sums[i])
	}
	counts := &integrityState{}
	err = eachRow(ctx, tx, func(t *table, rc *rowClock, names []string, vals []any) error {
		r.Rows++
		if vals == nil && rc.flags&flagTerminal == 0 {
			id, _ := rowIDOf(rc.id)
			mu.Lock()
			r.add(t.name, id, "-", "row missing: its clock is there (deleted in the file)")
			mu.Unlock()
		}
		if vals != nil {
			counts.addCount(tableCode(t), 1)
		}
		if rc.mac == nil {
			if st != nil {
				id, _ := rowIDOf(rc.id)
				mu.Lock()
				r.add("row_clocks", id, "mac", "the row has no MAC")
				mu.Unlock()
			}
			return nil // never sealed (migrated, not yet unlocked for writing): nothing to check
		}
		jobs <- job{t, rc, names, vals}
		return nil
	})
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	sum := &lthash.Hash{}
	for i := range sums {
		sum.AddHash(&sums[i])
	}
	// Rows with no clock at all: added in the file.
	for code := range schema {
		t := &schema[code]
		if !t.synced {
			continue
		}
		ids, err := queryStrings(ctx, tx, "SELECT x.id FROM "+t.name+" x WHERE NOT EXISTS(SELECT 1 FROM row_clocks r WHERE r.id = unhex(replace(x.id, '-', '')) AND r.tbl = ?)", code)
		if err != nil {
			return err
		}
		for _, id := range ids {
			r.add(t.name, id, "-", "row has no clock (added outside Spoke)")
		}
	}
	var orphans int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM cell_clocks c WHERE NOT EXISTS(SELECT 1 FROM row_clocks r WHERE r.id = c.id)").Scan(&orphans); err != nil {
		return err
	}
	if orphans > 0 {
		r.add("cell_clocks", "-", "id", fmt.Sprintf("%d cell clocks belong to no row", orphans))
	}
	if st != nil && !sum.Equal(st.sum) {
		r.add("row_clocks", "-", "-", "the sum of row MACs differs from the integrity state (a whole row was deleted, added or put back)")
	}
	for code := range schema {
		if st != nil && schema[code].synced && st.count(code) != counts.count(code) {
			r.add(schema[code].name, "-", "-", fmt.Sprintf("%d rows, the integrity state records %d", counts.count(code), st.count(code)))
		}
	}
	if st != nil && st.v2 {
		csum, n, err := conflictSum(ctx, tx)
		if err != nil {
			return err
		}
		if n != st.nConflict {
			r.add("conflicts", "-", "-", fmt.Sprintf("%d kept conflicts, the integrity state records %d (deleted or added in the file)", n, st.nConflict))
		} else if !csum.Equal(st.conflicts) {
			r.add("conflicts", "-", "mac", "the sum of kept conflicts' MACs differs from the integrity state (one was replaced, or an older copy put back)")
		}
	}
	return nil
}
