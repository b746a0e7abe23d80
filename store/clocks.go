package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Clocks: how the store knows which write each value is, without a log that grows with
// history (migration 0009). A value lives once, in its row. Each row has one clock in
// row_clocks: the hybrid logical clock and device of the write that made it (the clock of every
// cell that has no clock of its own), the local sequence of that write, and the row's version,
// the last local sequence that wrote the row. A cell written after its row gets a clock of its
// own in cell_clocks; most rows are written once and have none. Every row write on this device,
// local or merged from another device, takes the next local sequence, so "rows written since N"
// is a range of row_clocks' seq: what sync pushes (the cells this device wrote) and what an
// incremental backup carries (whole rows). Ids are stored as 16-byte UUIDs, devices as small
// integers (devices), tables and columns as their place in the registry (schema.go), which
// never reorders: a later column is appended.

// ChangeRecord is one field write as sync carries it.
type ChangeRecord struct {
	// Seq is a local position (meaningful only on the device that holds it): after sending
	// this record and every one before it, a sender may resume after Seq.
	Seq    int64
	HLC    uint64
	Device string // origin device
	Scope  string
	Table  string
	RowID  string
	Column string
	Value  any // nil, int64, string or []byte (sealed ciphertext when Sealed)
	Sealed bool
}

// clock is one write's place: its stamp, the device's number and the local sequence.
type clock struct {
	hlc uint64
	dev int64
	seq int64
}

// rowClock is a row's entry in row_clocks, with the cells that have their own clock.
type rowClock struct {
	id    []byte // 16 bytes
	table *table
	base  clock // the row's write
	seq   int64 // the row's version
	flags int64
	mac   []byte
	cells map[int]clock // column code -> clock
}

const flagTerminal = 1

// cellClock is the clock of the column with code c.
func (rc *rowClock) cellClock(c int) clock {
	if k, ok := rc.cells[c]; ok {
		return k
	}
	return rc.base
}

// rowKeyOf is a row id as row_clocks stores it: its 16 bytes. Row ids are canonical UUIDs
// (newID); anything else is refused, so one row has one key.
func rowKeyOf(id string) ([]byte, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 || u.String() != id {
		return nil, fmt.Errorf("row id is not a canonical UUID")
	}
	return u[:], nil
}

// rowIDOf is rowKeyOf's inverse.
func rowIDOf(key []byte) (string, error) {
	u, err := uuid.FromBytes(key)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// colCode is a synced column's code: its place in its table's registry entry.
func colCode(t *table, name string) (int, bool) {
	for i, c := range t.cols {
		if c.name == name {
			return i, true
		}
	}
	return 0, false
}

// tableCode is a table's place in the registry.
func tableCode(t *table) int {
	if c, ok := tableCodes[t.name]; ok {
		return c
	}
	panic("store: table outside the registry: " + t.name)
}

var tableCodes = func() map[string]int {
	m := map[string]int{}
	for i := range schema {
		m[schema[i].name] = i
	}
	return m
}()

// tableOfCode is tableCode's inverse; nil for a code that names no synced table.
func tableOfCode(code int64) *table {
	if code < 0 || code >= int64(len(schema)) || !schema[code].synced {
		return nil
	}
	return &schema[code]
}

// devices: device ids by number. The numbers are this database's own; the table is small (one
// row per device that ever wrote a row here) and read once per store.
type deviceNames struct {
	byID map[string]int64
	byN  map[int64]string
}

// loadDevices reads the device numbers.
func loadDevices(ctx context.Context, q querier) (*deviceNames, error) {
	d := &deviceNames{byID: map[string]int64{}, byN: map[int64]string{}}
	rows, err := q.QueryContext(ctx, "SELECT n, id FROM devices")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var id string
		if err := rows.Scan(&n, &id); err != nil {
			return nil, err
		}
		d.byID[id], d.byN[n] = n, id
	}
	return d, rows.Err()
}

// devices returns the transaction's view of the device numbers, read once per transaction.
func (w *wtx) devices() (*deviceNames, error) {
	if w.devs == nil {
		d, err := loadDevices(w.ctx, w.tx)
		if err != nil {
			return nil, err
		}
		w.devs = d
	}
	return w.devs, nil
}

// devN returns a device's number, giving it one if it has none yet.
func (w *wtx) devN(id string) (int64, error) {
	d, err := w.devices()
	if err != nil {
		return 0, err
	}
	if n, ok := d.byID[id]; ok {
		return n, nil
	}
	var n int64
	if err := w.tx.QueryRowContext(w.ctx, "INSERT INTO devices(id) VALUES(?) RETURNING n", id).Scan(&n); err != nil {
		return 0, fmt.Errorf("device number: %w", err)
	}
	d.byID[id], d.byN[n] = n, id
	return n, nil
}

// nextSeq returns the next local sequence.
func (w *wtx) nextSeq() int64 {
	w.seq++
	return w.seq
}

// maxSeq is the newest local sequence in the database.
func maxSeq(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM row_clocks").Scan(&n)
	return n, err
}

// logs reports whether a column write is one the clocks record (and sync carries). On insert
// a NULL column is not: absent means the column's default, which is what the row holds.
func logs(table string, c col, insert bool) (bool, error) {
	class := classOf(table, c.name)
	if class == 0 {
		return false, fmt.Errorf("store: %s.%s is not in the schema registry", table, c.name)
	}
	return class != Derived && !c.unlogged && !(insert && c.value == nil), nil
}

// stampRow records a local write of a row: on insert the row's clock, on update a clock for
// each written cell the registry logs. Either way the row takes the next local sequence as its
// version, and its MAC is renewed before commit (integrity.go).
func (w *wtx) stampRow(table, scope, id string, cols []col, insert bool) error {
	t := tables[table]
	if t == nil || !t.synced {
		return fmt.Errorf("store: %s is not a synced table", table)
	}
	key, err := rowKeyOf(id)
	if err != nil {
		return err
	}
	var logged []int
	for _, c := range cols {
		ok, err := logs(table, c, insert)
		if err != nil {
			return err
		}
		if ok {
			code, _ := colCode(t, c.name)
			logged = append(logged, code)
		}
	}
	if len(logged) > 0 && !w.mayWrite(scope) { // asked once per transaction and scope
		// Org data (staff accounts, shops) is written only on owner devices, a shop's only
		// on that shop's devices or an owner's: every other device refuses the rest, so a
		// change made here could never leave. (Sign-in bookkeeping is not logged.)
		if scope == OrgScope {
			return ErrOwnerDeviceOnly
		}
		return ErrOtherShopsDevice
	}
	if table == "users" && len(logged) > 0 {
		w.usersLogged = append(w.usersLogged, id)
	}
	me, err := w.devN(w.s.deviceID)
	if err != nil {
		return err
	}
	seq := w.nextSeq()
	if insert {
		w.newRows = append(w.newRows, &rowClock{id: key, table: t, base: clock{uint64(w.s.clock.Now()), me, seq}, seq: seq})
		return nil
	}
	var k clock
	if len(logged) > 0 {
		k = clock{uint64(w.s.clock.Now()), me, seq}
	}
	return w.restamp(t, id, key, seq, logged, k)
}

// restamp gives an existing row a new version and the cells the clock k.
func (w *wtx) restamp(t *table, id string, key []byte, seq int64, cells []int, k clock) error {
	if i, ok := w.pendingRow(key); ok {
		// Inserted in this transaction and not yet written: the new clock goes with it.
		rc := w.newRows[i]
		rc.seq = seq
		for _, c := range cells {
			if rc.cells == nil {
				rc.cells = map[int]clock{}
			}
			rc.cells[c] = k
		}
		return nil
	}
	st, err := w.stmt("UPDATE row_clocks SET seq = ? WHERE id = ?")
	if err != nil {
		return err
	}
	res, err := st.ExecContext(w.ctx, seq, key)
	if err != nil {
		return fmt.Errorf("row clock: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return &TamperError{Table: t.name, Row: id, Column: "-", Reason: "the row has no clock"}
	}
	for _, c := range cells {
		if err := w.setCell(key, c, k); err != nil {
			return err
		}
	}
	return nil
}

// setCell gives one cell of an existing row its own clock.
func (w *wtx) setCell(key []byte, code int, k clock) error {
	if err := w.exec1("INSERT INTO cell_clocks(id, col, hlc, dev, seq) VALUES(?, ?, ?, ?, ?) ON CONFLICT(id, col) DO UPDATE SET hlc = excluded.hlc, dev = excluded.dev, seq = excluded.seq",
		key, code, int64(k.hlc), k.dev, k.seq); err != nil {
		return fmt.Errorf("cell clock: %w", err)
	}
	return nil
}

// pendingRow finds a row inserted in this transaction whose clock is not yet written.
func (w *wtx) pendingRow(key []byte) (int, bool) {
	if w.pendingAt == nil {
		w.pendingAt = map[string]int{}
	}
	for j := len(w.pendingAt); j < len(w.newRows); j++ {
		w.pendingAt[string(w.newRows[j].id)] = j
	}
	i, ok := w.pendingAt[string(key)]
	return i, ok
}

// exec1 runs a statement prepared once per transaction.
func (w *wtx) exec1(q string, args ...any) error {
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, args...)
	return err
}

func (w *wtx) mayWrite(scope string) bool {
	ok, seen := w.writable[scope]
	if !seen {
		if w.writable == nil {
			w.writable = map[string]bool{}
		}
		ok = w.s.mayWrite(w.ctx, w.tx, scope)
		w.writable[scope] = ok
	}
	return ok
}

// Row clocks of new rows are inserted clockBatch rows per statement: bulk writes (imports,
// the demo) spend most of their time in per-statement overhead otherwise.
const clockBatch = 64

// flushClocks writes the clocks of the rows inserted since the last flush, with their MACs;
// sealRows calls it once it has computed them.
func (w *wtx) flushClocks(rcs []*rowClock) error {
	for len(rcs) > 0 {
		n := min(len(rcs), clockBatch)
		args := make([]any, 0, n*8)
		var cells []any
		for _, rc := range rcs[:n] {
			args = append(args, rc.id, tableCode(rc.table), int64(rc.base.hlc), rc.base.dev, rc.base.seq, rc.seq, rc.flags, rc.mac)
			for c, k := range rc.cells {
				cells = append(cells, rc.id, c, int64(k.hlc), k.dev, k.seq)
			}
		}
		st, err := w.stmt("INSERT INTO row_clocks(id, tbl, hlc, dev, base_seq, seq, flags, mac) VALUES" +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?),", n), ","))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(w.ctx, args...); err != nil {
			return fmt.Errorf("row clocks: %w", err)
		}
		for len(cells) > 0 {
			m := min(len(cells)/5, clockBatch)
			q := "INSERT INTO cell_clocks(id, col, hlc, dev, seq) VALUES" + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?),", m), ",")
			if err := w.exec1(q, cells[:m*5]...); err != nil {
				return fmt.Errorf("cell clocks: %w", err)
			}
			cells = cells[m*5:]
		}
		rcs = rcs[n:]
	}
	return nil
}

// readClocks reads the clocks of rows (by key), cells included, a chunk of keys per query.
func readClocks(ctx context.Context, q querier, keys [][]byte) (map[string]*rowClock, error) {
	out := map[string]*rowClock{}
	for len(keys) > 0 {
		n := min(len(keys), idChunk)
		args := make([]any, idChunk)
		for i := range args {
			args[i] = keys[min(i, n-1)]
		}
		rows, err := q.QueryContext(ctx, "SELECT id, tbl, hlc, dev, base_seq, seq, flags, mac FROM row_clocks WHERE id IN "+idMarks, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			rc := &rowClock{}
			var code, h int64
			if err := rows.Scan(&rc.id, &code, &h, &rc.base.dev, &rc.base.seq, &rc.seq, &rc.flags, &rc.mac); err != nil {
				rows.Close()
				return nil, err
			}
			rc.base.hlc = uint64(h)
			if rc.table = tableOfCode(code); rc.table == nil {
				rows.Close()
				return nil, &TamperError{Table: "row_clocks", Row: fmt.Sprintf("%x", rc.id), Column: "tbl", Reason: "names no synced table"}
			}
			out[string(rc.id)] = rc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		cells, err := readCells(ctx, q, keys[:n])
		if err != nil {
			return nil, err
		}
		for id, cs := range cells {
			if rc := out[id]; rc != nil { // a cell of no row: verify names it
				rc.cells = cs
			}
		}
		keys = keys[n:]
	}
	return out, nil
}

// LocalChanges returns the cells this device wrote after local sequence after, at most limit
// records (cut between rows, never inside one), with their current values from the rows: what
// the sync engine seals and pushes. A row's records come together; rows come in the order of
// their first write after after, so a row always comes before the rows that refer to it. A
// record's Seq is where a sender that has sent it and everything before it may resume: a later
// row's records then come again if the sender stops between rows (a receiver counts them as
// duplicates).
func (s *Store) LocalChanges(ctx context.Context, after int64, limit int) ([]ChangeRecord, error) {
	devs, err := loadDevices(ctx, s.db)
	if err != nil {
		return nil, err
	}
	me, ok := devs.byID[s.deviceID]
	if !ok {
		return nil, nil // this device never wrote a row
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	type pending struct {
		rc    *rowClock
		first int64 // the first local sequence after after that wrote one of its cells here
	}
	var todo []pending
	top, err := maxSeq(ctx, tx)
	if err != nil {
		return nil, err
	}
	top = max(top, after)
	var keys [][]byte
	// Every row written since after, this device's and merged ones: a sender that finds nothing
	// of its own to send moves its position to the top all the same (advancePushed), so the rows
	// merged from others are read once.
	rows, err := tx.QueryContext(ctx, "SELECT id FROM row_clocks WHERE seq > ? ORDER BY seq", after)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	clocks, err := readClocks(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	// Rows of customers whose data may not leave without their consent stay (transfer.go).
	held, err := s.heldBack(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		rc := clocks[string(k)]
		if rc == nil || rc.flags&flagTerminal != 0 {
			continue // gone for good: nothing of it is sent again
		}
		if held.has(k) {
			continue // kept here; a consent later sends it again (release)
		}
		first := int64(0)
		mine := func(c clock) bool { return c.dev == me && c.seq > after }
		if mine(rc.base) {
			first = rc.base.seq
		}
		for _, c := range rc.cells {
			if mine(c) && (first == 0 || c.seq < first) {
				first = c.seq
			}
		}
		if first > 0 {
			todo = append(todo, pending{rc, first})
		}
	}
	slices.SortFunc(todo, func(a, b pending) int { return int(a.first - b.first) })
	// Rows go in the order of their first write since after, each preceded by the rows it
	// refers to that are to be sent too (a row's values are read as they are now, so an early
	// row may name a later one: a customer edited, then given to a new salesperson).
	at := make(map[string]int, len(todo)) // row id -> index in todo
	ids := make([]string, len(todo))
	for i, p := range todo {
		ids[i], _ = rowIDOf(p.rc.id)
		at[ids[i]] = i
	}
	recsOf := map[int][]ChangeRecord{}
	load := func(i int) error { // the records of todo[i] and of the next rows, a chunk a query
		if _, ok := recsOf[i]; ok {
			return nil
		}
		var chunk []int
		for j := i; j < len(todo) && len(chunk) < idChunk; j++ {
			if _, ok := recsOf[j]; !ok {
				chunk = append(chunk, j)
			}
		}
		rcs := make([]*rowClock, len(chunk))
		for k, j := range chunk {
			rcs[k] = todo[j].rc
		}
		recs, err := s.rowRecords(ctx, tx, rcs, me, after, nil)
		if err != nil {
			return err
		}
		for k, j := range chunk {
			recsOf[j] = recs[k]
		}
		return nil
	}
	emitted := make([]bool, len(todo))
	var order []int // emitted rows, in order
	var visit func(i int) error
	visit = func(i int) error {
		if emitted[i] {
			return nil
		}
		emitted[i] = true // before its parents: no table refers to itself, so no cycle
		if err := load(i); err != nil {
			return err
		}
		for _, r := range recsOf[i] {
			if v, ok := r.Value.(string); ok && refersTo[r.Table+"."+r.Column] {
				if j, ok := at[v]; ok && !emitted[j] {
					if err := visit(j); err != nil {
						return err
					}
				}
			}
		}
		order = append(order, i)
		return nil
	}
	n := 0 // records in order
	for i := range todo {
		if emitted[i] {
			continue
		}
		mark := len(order)
		if err := visit(i); err != nil {
			return nil, err
		}
		added := 0
		for _, j := range order[mark:] {
			added += len(recsOf[j])
		}
		if n > 0 && n+added > limit {
			for _, j := range order[mark:] {
				emitted[j] = false
			}
			order = order[:mark]
			break
		}
		n += added
	}
	// A record's Seq: where to resume once it and everything before it is sent, the row after
	// it in order included or not: below the first write of every row not sent yet.
	rest := int64(math.MaxInt64)
	for i, e := range emitted {
		if !e {
			rest = min(rest, todo[i].first)
		}
	}
	resume := make([]int64, len(order))
	for k := len(order) - 1; k >= 0; k-- {
		resume[k] = rest
		rest = min(rest, todo[order[k]].first)
	}
	out := make([]ChangeRecord, 0, n)
	for k, i := range order {
		seq := top
		if resume[k] != math.MaxInt64 {
			seq = resume[k] - 1
		}
		for _, r := range recsOf[i] {
			if held.strips(r) {
				continue
			}
			r.Seq = seq
			out = append(out, r)
		}
	}
	return out, nil
}

// refersTo marks the columns that name another synced row (the tables' foreign keys).
var refersTo = map[string]bool{}

func init() {
	for _, c := range []string{
		"users.shop_id",
		"customers.shop_id",
		"customers.owner_id",
		"bikes.customer_id",
		"bikes.shop_id",
		"work_orders.shop_id",
		"work_orders.customer_id",
		"work_orders.bike_id",
		"work_orders.mechanic_id",
		"work_order_lines.work_order_id",
		"sales.shop_id",
		"sales.customer_id",
		"sales.seller_id",
		"sale_lines.sale_id",
		"erasures.shop_id",
		"index_keys.shop_id",
		"privacy_requests.shop_id",
		"privacy_requests.subject_id",
		"privacy_requests.verified_by",
		"privacy_requests.created_by",
		"shop_holidays.shop_id",
		"incidents.device_id", // a device, not a row: it matches no row and orders nothing
		"incidents.opened_by",
		"incidents.decided_by",
		"assessments.shop_id",
		"assessments.assessed_by",
		"retention_policies.set_by",
		"retention_policies.approved_by",
		"retention_approvals.policy_id",
		"retention_approvals.shop_id",
		"retention_approvals.approved_by",
		"consents.customer_id",
		"consents.shop_id",
		"consents.recorded_by",
		"org_settings.set_by",
		"permission_reviews.started_by",
		"permission_reviews.completed_by",
		"review_decisions.review_id",
		"review_decisions.user_id",
		"review_decisions.decided_by",
		"staff_proposals.shop_id",
		"staff_proposals.user_id",
		"staff_proposals.proposed_by",
		"staff_proposals.decided_by",
		"training_results.user_id",
		"training_results.shop_id", // '' (org-wide staff) matches no row and orders nothing
		"checkup_runs.run_by",
		"checkup_runs.device_id", // a device, not a row: it matches no row and orders nothing
		"checkup_decisions.run_id",
		"checkup_decisions.decided_by",
		"checkup_decisions.device_id", // a device, as above
		"alerts.user_id",
		"alerts.decided_by",
		"bulk_holds.shop_id",
		"bulk_holds.requested_by",
		"bulk_holds.decided_by",
		"reminder_rules.shop_id",
		"reminder_rules.set_by",
		"reminder_sends.shop_id",
		"reminder_sends.customer_id",
		"reminder_sends.bike_id",
		"reminder_sends.work_order_id",
		"reminder_sends.sent_by",
		"shop_mail.shop_id",
		"shop_mail.set_by",
		"unsubscribe_tokens.shop_id",
		"unsubscribe_tokens.customer_id",
		"campaigns.shop_id",
		"campaigns.campaign_id", // the id a campaign's rows share: it matches no row and orders nothing
		"campaigns.created_by",
		"campaigns.sent_by",
		"recalls.created_by",
		"recall_serials.recall_id",
		"recall_serials.shop_id",
		"recall_notices.recall_id",
		"recall_notices.bike_id",
		"recall_notices.customer_id",
		"recall_notices.shop_id",
		"recall_notices.noticed_by",
	} {
		refersTo[c] = true
	}
}

// scopeOfRows is, per synced table, the SQL expression of a row's scope.
var scopeOfRows = map[string]string{
	"shops":               "'" + OrgScope + "'",
	"users":               "'" + OrgScope + "'",
	"customers":           "shop_id",
	"bikes":               "shop_id",
	"work_orders":         "shop_id",
	"sales":               "shop_id",
	"work_order_lines":    "(SELECT w.shop_id FROM work_orders w WHERE w.id = work_order_id)",
	"sale_lines":          "(SELECT s.shop_id FROM sales s WHERE s.id = sale_id)",
	"incidents":           "'" + OrgScope + "'",
	"assessments":         "'" + OrgScope + "'",
	"retention_policies":  "'" + OrgScope + "'",
	"retention_approvals": "shop_id",
	"erasures":            "shop_id",
	"index_keys":          "shop_id",
	"privacy_requests":    "shop_id",
	"shop_holidays":       "shop_id",
	"consents":            "shop_id",
	"org_settings":        "'" + OrgScope + "'",
	"permission_reviews":  "'" + OrgScope + "'",
	"review_decisions":    "'" + OrgScope + "'",
	"staff_proposals":     "shop_id",
	"training_results":    trainingScopeSQL,
	"checkup_runs":        "'" + OrgScope + "'",
	"checkup_decisions":   "'" + OrgScope + "'",
	"alerts":              "scope",
	"bulk_holds":          "shop_id",
	"reminder_rules":      "shop_id",
	"reminder_sends":      "shop_id",
	"shop_mail":           "shop_id",
	"unsubscribe_tokens":  "shop_id",
	"campaigns":           "shop_id",
	"recalls":             "scope",
	"recall_serials":      "shop_id",
	"recall_notices":      "shop_id",
}

// trainingScopeSQL is a training result's scope: its shop, or the org for org-wide staff.
const trainingScopeSQL = "COALESCE(NULLIF(shop_id, ''), '" + OrgScope + "')"

// mixedScope are the tables whose rows live, row by row, in a shop's scope or in the org's.
var mixedScope = map[string]bool{"training_results": true, "alerts": true, "recalls": true}

// inScopeKind reports whether a table's rows may travel in scope at all: org tables in the
// org scope, shop tables in a shop's, mixed ones in either (each row's own scope is checked
// against the set's by rowShops).
func inScopeKind(table, scope string) bool {
	return mixedScope[table] || orgTable(table) == (scope == OrgScope)
}

// orgTable reports whether a synced table's rows are org data (the org scope, written on owner
// devices only): staff, shops, the breach register, assessments, retention policies.
func orgTable(name string) bool { return scopeOfRows[name] == "'"+OrgScope+"'" }

// rowRecords returns, for each row (at most idChunk), the cells this device wrote after after,
// with the rows' current values, reading the rows of each table in one query. With all set it
// returns every written cell instead, each with the device of its clock (a snapshot's records).
func (s *Store) rowRecords(ctx context.Context, q querier, rcs []*rowClock, me, after int64, all *deviceNames) ([][]ChangeRecord, error) {
	type got struct {
		scope string
		vals  []any
	}
	byTable := map[*table][]string{}
	ids := make([]string, len(rcs))
	for i, rc := range rcs {
		id, err := rowIDOf(rc.id)
		if err != nil {
			return nil, err
		}
		ids[i] = id
		byTable[rc.table] = append(byTable[rc.table], id)
	}
	rowsOf := map[string]*got{}
	for t, tids := range byTable {
		names := syncColumns[t.name]
		args := make([]any, idChunk)
		for i := range args {
			args[i] = tids[min(i, len(tids)-1)]
		}
		rows, err := q.QueryContext(ctx, "SELECT id, "+scopeOfRows[t.name]+", "+strings.Join(names, ", ")+" FROM "+t.name+" WHERE id IN "+idMarks, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			g := &got{vals: make([]any, len(names))}
			var id string
			var scope sql.NullString
			dest := []any{&id, &scope}
			for i := range g.vals {
				dest = append(dest, &g.vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, err
			}
			g.scope = scope.String
			rowsOf[id] = g
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([][]ChangeRecord, len(rcs))
	for i, rc := range rcs {
		t, g := rc.table, rowsOf[ids[i]]
		if g == nil {
			return nil, &TamperError{Table: t.name, Row: ids[i], Column: "-", Reason: "a row with a clock is missing"}
		}
		for j, name := range syncColumns[t.name] {
			code, _ := colCode(t, name)
			k := rc.cellClock(code)
			_, own := rc.cells[code]
			dev := s.deviceID
			switch {
			case !own && g.vals[j] == nil:
				continue // never written: the column's default
			case all != nil:
				if k.dev == 0 {
					continue // the empty clock (a migrated row's): the receiver's default too
				}
				if dev = all.byN[k.dev]; dev == "" {
					return nil, &TamperError{Table: "row_clocks", Row: ids[i], Column: "dev", Reason: "names no device"}
				}
			case k.dev != me || k.seq <= after:
				continue
			}
			out[i] = append(out[i], ChangeRecord{HLC: k.hlc, Device: dev, Scope: g.scope, Table: t.name, RowID: ids[i], Column: name,
				Value: g.vals[j], Sealed: isSealed(t.name, name)})
		}
	}
	return out, nil
}

// pendingRows counts the rows with cells this device wrote after after.
func pendingRows(ctx context.Context, q querier, me, after int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM row_clocks r WHERE r.seq > ?1 AND ((r.dev = ?2 AND r.base_seq > ?1)
		OR EXISTS(SELECT 1 FROM cell_clocks c WHERE c.id = r.id AND c.dev = ?2 AND c.seq > ?1))`, after, me).Scan(&n)
	return n, err
}

// recordUserVersions records the version of every user record this transaction logged a
// write of, before the audit head that covers the summary is written. A local edit has just
// raised it. A merge of another device's (signed) change-set takes the winning record's
// version, which after concurrent edits of one user on two owner devices may be lower than the
// one this device wrote: that record is the user now. Nothing else moves the summary, so a row
// put back into the file stays older than it.
func (w *wtx) recordUserVersions() error {
	if len(w.usersLogged) == 0 {
		return nil
	}
	ids := slices.Clone(w.usersLogged)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	uv, err := loadUserVersions(w.ctx, w.tx)
	if err != nil {
		return err
	}
	changed := false
	for _, id := range ids {
		var v int64
		err := w.tx.QueryRowContext(w.ctx, "SELECT version FROM users WHERE id = ?", id).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if v != uv[id] {
			uv[id], changed = v, true
		}
	}
	if !changed {
		return nil
	}
	return uv.save(w.ctx, w.s, w.tx)
}
