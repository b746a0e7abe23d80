package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The data-subject access export (GDPR Art. 15 and 20, CCPA's right to know, PIPL Art. 45):
// everything the database holds on one customer, decrypted, for the person. The store gathers
// it, checks the grant (OpDataSubject: owner every shop, manager their own) and audits it; the
// renderers and the sealing for transit live in compliance/subject, which never sees a key.
//
// The JSON form of SubjectData is the machine-readable export, so its field names are a
// format (SubjectFormat) and change only with a new version:
//
//	format             "spoke.subject/v1"
//	generated_at       RFC 3339, UTC
//	customer_id        the customer's id
//	shop               {id, name, region, currency}: the shop that holds the record
//	contact            {name, email, phone, address, birthday, notes, phone_alt?, source?,
//	                   created_at, updated_at,
//	                   deleted_at (only when the record is soft-deleted)}; "" = none
//	bikes[]            {id, make, model, year, type, frame_size, colour, serial, notes,
//	                   created_at, updated_at, deleted_at?}
//	work_orders[]      {id, bike_id, status, promised_at?, complaint, notes, lines[], labour_total,
//	                   parts_total, total, created_at, updated_at, closed_at?}
//	sales[]            {id, payment_method, sold_at, total, lines[]}
//	lines[]            {kind ("labour" or "part"), sku, description, qty, unit_price, total}
//	sections[]         {name, rows[]: objects with the section's column keys}: parts other
//	                   features add (consents, privacy requests), see registerSubjectSection
//	audit[]            {at, action, about, target, by_role, outcome, fields[], reason?,
//	                   reason_expired?}: who (by role) did what with the person's records
//
// Amounts are integers in minor units (cents) of shop.currency. Times are RFC 3339 in UTC.
// Staff are named by role, never by name or id: the person learns that and why their data was
// used (Art. 15(1)(a), (c)), not who the employee was (CJEU C-579/21, Pankki S). A break-glass
// read's reason is the purpose of that access, so it is included; a reason whose key retention
// has already destroyed shows reason_expired instead.

// SubjectFormat names the version of the export's JSON.
const SubjectFormat = "spoke.subject/v1"

// SubjectData is one customer's data as exported to them.
type SubjectData struct {
	Format      string             `json:"format"`
	GeneratedAt time.Time          `json:"generated_at"`
	CustomerID  string             `json:"customer_id"`
	Shop        Shop               `json:"shop"`
	Contact     SubjectContact     `json:"contact"`
	Bikes       []SubjectBike      `json:"bikes"`
	WorkOrders  []SubjectWorkOrder `json:"work_orders"`
	Sales       []SubjectSale      `json:"sales"`
	// Sections are the parts that features with tables of their own add (consents, privacy
	// requests): each registers a subjectSection, and SubjectExport fills one per
	// registration, in order. The renderers show any section without changes.
	Sections []SubjectSection `json:"sections"`
	Audit    []SubjectAccess  `json:"audit"`
}

// SubjectContact is the customer's own record.
type SubjectContact struct {
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Address   string    `json:"address"`
	Birthday  string    `json:"birthday"`
	Notes     string    `json:"notes"`
	PhoneAlt  string    `json:"phone_alt,omitempty"` // a second number
	Source    string    `json:"source,omitempty"`    // the id in the system the record was imported from
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// SubjectBike is one of the customer's bikes.
type SubjectBike struct {
	ID        string    `json:"id"`
	Make      string    `json:"make"`
	Model     string    `json:"model"`
	Year      int       `json:"year"`
	Type      string    `json:"type"`
	FrameSize string    `json:"frame_size"`
	Colour    string    `json:"colour"`
	Serial    string    `json:"serial"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// SubjectLine is a line of a work order or a sale.
type SubjectLine struct {
	Kind        string `json:"kind"`
	SKU         string `json:"sku"`
	Description string `json:"description"`
	Qty         int64  `json:"qty"`
	UnitPrice   int64  `json:"unit_price"`
	Total       int64  `json:"total"`
}

// SubjectWorkOrder is a repair job for the customer.
type SubjectWorkOrder struct {
	ID          string        `json:"id"`
	BikeID      string        `json:"bike_id"`
	Status      Status        `json:"status"`
	PromisedAt  time.Time     `json:"promised_at,omitzero"`
	Complaint   string        `json:"complaint"`
	Notes       string        `json:"notes"`
	Lines       []SubjectLine `json:"lines"`
	LabourTotal int64         `json:"labour_total"`
	PartsTotal  int64         `json:"parts_total"`
	Total       int64         `json:"total"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	ClosedAt    time.Time     `json:"closed_at,omitzero"`
}

// SubjectSale is a sale to the customer.
type SubjectSale struct {
	ID            string        `json:"id"`
	PaymentMethod string        `json:"payment_method"`
	SoldAt        time.Time     `json:"sold_at"`
	Total         int64         `json:"total"`
	Lines         []SubjectLine `json:"lines"`
}

// SubjectAccess is an audit entry about the customer or one of their rows.
type SubjectAccess struct {
	At      time.Time `json:"at"`
	Action  string    `json:"action"`
	About   string    `json:"about"`  // "customer", "bike", "work_order", "sale" or a section's name
	Target  string    `json:"target"` // that row's id
	ByRole  string    `json:"by_role"`
	Outcome string    `json:"outcome"`
	Fields  []string  `json:"fields"`
	Reason  string    `json:"reason,omitempty"` // a break-glass read's reason
	// ReasonExpired: the entry had a reason, but retention has destroyed the key it was sealed
	// under.
	ReasonExpired bool `json:"reason_expired,omitempty"`
}

// Label is a text in English and Simplified Chinese.
type Label struct{ En, Zh string }

// SectionColumn is one column of a section: Key is its JSON name.
type SectionColumn struct {
	Key   string
	Label Label
}

// SubjectSection is one part of the export that another feature adds.
type SubjectSection struct {
	Name    string
	Title   Label
	Columns []SectionColumn
	Rows    [][]string // one value per column
}

// MarshalJSON writes {"name": ..., "rows": [{key: value, ...}, ...]}, keys in column order.
func (s SubjectSection) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	name, _ := json.Marshal(s.Name)
	b.WriteString(`{"name":` + string(name) + `,"rows":[`)
	for i, row := range s.Rows {
		if len(row) != len(s.Columns) {
			return nil, fmt.Errorf("section %s: row %d has %d values for %d columns", s.Name, i, len(row), len(s.Columns))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, c := range s.Columns {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c.Key)
			v, _ := json.Marshal(row[j])
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return []byte(b.String()), nil
}

// UnmarshalJSON reads what MarshalJSON writes (so a subject.json can be read back): the
// columns are the first row's keys in order (their labels are not in the JSON), and every row
// must have the same keys in the same order, each with a string value.
func (s *SubjectSection) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name string            `json:"name"`
		Rows []json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := SubjectSection{Name: raw.Name, Rows: [][]string{}}
	for i, r := range raw.Rows {
		keys, vals, err := orderedStrings(r)
		if err != nil {
			return fmt.Errorf("section %q row %d: %w", raw.Name, i, err)
		}
		if i == 0 {
			for _, k := range keys {
				out.Columns = append(out.Columns, SectionColumn{Key: k})
			}
		} else if !slices.Equal(keys, columnKeys(out.Columns)) {
			return fmt.Errorf("section %q row %d: its keys differ from the first row's", raw.Name, i)
		}
		out.Rows = append(out.Rows, vals)
	}
	*s = out
	return nil
}

func columnKeys(cs []SectionColumn) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key
	}
	return out
}

// orderedStrings reads a JSON object of string values, keeping the keys' order.
func orderedStrings(b []byte) (keys, vals []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("a row must be an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := kt.(string)
		vt, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		v, ok := vt.(string)
		if !ok {
			return nil, nil, fmt.Errorf("value of %q must be a string", k)
		}
		if seen[k] {
			return nil, nil, fmt.Errorf("key %q twice", k)
		}
		seen[k] = true
		keys, vals = append(keys, k), append(vals, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return keys, vals, nil
}

// subjectSection is how a feature with a table of its own (consents, privacy requests) adds
// its rows about the customer to the export: register one from an init function in the
// feature's file. collect returns the rows (one value per column, personal values opened with
// the customer's data key) and the ids of the rows, so audit entries about them are included.
type subjectSection struct {
	order   int
	name    string
	title   Label
	columns []SectionColumn
	collect func(ctx context.Context, s *Store, q querier, c *custRow) (rows [][]string, ids []string, err error)
}

var subjectSections []subjectSection

func registerSubjectSection(sec subjectSection) {
	subjectSections = append(subjectSections, sec)
	sort.SliceStable(subjectSections, func(i, j int) bool { return subjectSections[i].order < subjectSections[j].order })
}

// SubjectCount is the size of one part of an export.
type SubjectCount struct {
	Name string
	N    int
}

// Counts lists how much each part holds, in the export's order: what the audit entry and the
// staff member see (never a value).
func (d *SubjectData) Counts() []SubjectCount {
	wl, sl := 0, 0
	for _, w := range d.WorkOrders {
		wl += len(w.Lines)
	}
	for _, s := range d.Sales {
		sl += len(s.Lines)
	}
	out := []SubjectCount{{"contact", 1}, {"bikes", len(d.Bikes)}, {"work_orders", len(d.WorkOrders)}, {"work_order_lines", wl},
		{"sales", len(d.Sales)}, {"sale_lines", sl}}
	for _, s := range d.Sections {
		out = append(out, SubjectCount{s.Name, len(s.Rows)})
	}
	return append(out, SubjectCount{"audit", len(d.Audit)})
}

// CountsString is Counts as "contact=1 bikes=2 ...".
func (d *SubjectData) CountsString() string {
	var parts []string
	for _, c := range d.Counts() {
		parts = append(parts, fmt.Sprintf("%s=%d", c.Name, c.N))
	}
	return strings.Join(parts, " ")
}

// SubjectExport gathers everything held on one customer for an access or portability request:
// the owner for any shop's customer, a manager for their shop's. A soft-deleted customer is
// exported too (the data is still held). The export is audited as "subject.export" with the
// fields it decrypted and counts per part, at synchronous=FULL; if that entry cannot be written
// nothing is returned. Every row is checked against its MAC first: a tampered row fails the
// export rather than reaching the person.
func (ss *Session) SubjectExport(ctx context.Context, customerID string) (*SubjectData, error) {
	const action = "subject.export"
	if _, err := ss.require(ctx, OpDataSubject, target{any: true}, action, customerID); err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, action, customerID); err != nil {
		return nil, err
	}
	tx, err := ss.s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := ss.s.loadSubject(ctx, tx, customerID)
	if err != nil {
		return nil, err
	}
	if _, err := ss.require(ctx, OpDataSubject, target{shopID: c.shopID, ownerID: c.ownerID}, action, customerID); err != nil {
		return nil, err
	}
	d, fields, err := ss.s.gatherSubject(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	tx.Rollback()
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: customerID, Fields: fields, Detail: d.CountsString()}); err != nil {
		return nil, fmt.Errorf("audit: %w", err) // fail closed: an export that cannot be audited is not handed out
	}
	return d, nil
}

// loadSubject loads a customer, soft-deleted or not, after checking the row's MAC.
func (s *Store) loadSubject(ctx context.Context, q querier, id string) (*custRow, error) {
	c, err := scanCust(q.QueryRowContext(ctx, "SELECT "+custCols+" FROM customers WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.notHeld(ctx, q, id) // erased (the ledger says so), or never here
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["customers"], id); err != nil {
		return nil, err
	}
	return c, nil
}

func utcMilli(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// gatherSubject reads and opens every part; fields are the sealed columns it opened.
func (s *Store) gatherSubject(ctx context.Context, q querier, c *custRow) (*SubjectData, []string, error) {
	d := &SubjectData{Format: SubjectFormat, GeneratedAt: s.opts.Now().UTC().Truncate(time.Second), CustomerID: c.id,
		Bikes: []SubjectBike{}, WorkOrders: []SubjectWorkOrder{}, Sales: []SubjectSale{}, Sections: []SubjectSection{}, Audit: []SubjectAccess{}}
	if err := q.QueryRowContext(ctx, "SELECT id, name, region, currency FROM shops WHERE id = ?", c.shopID).
		Scan(&d.Shop.ID, &d.Shop.Name, &d.Shop.Region, &d.Shop.Currency); err != nil {
		return nil, nil, fmt.Errorf("shop %s of customer %s: %w", c.shopID, c.id, err)
	}
	o, err := s.openFields(ctx, c, fieldsAll, true)
	if err != nil {
		return nil, nil, err
	}
	d.Contact = SubjectContact{Name: o.name, Email: o.email, Phone: o.phone, Address: o.address, Birthday: o.birthday, Notes: o.notes,
		PhoneAlt: o.phoneAlt, Source: o.source, CreatedAt: utcMilli(c.createdAt), UpdatedAt: utcMilli(c.updatedAt), DeletedAt: utcMilli(c.deletedAt)}
	fields := []string{"name", "email", "phone", "address", "birthday", "notes", "phone_alt", "source"}
	k, err := s.dek(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	// about maps every row id of the customer to its kind, for the audit entries.
	about := map[string]string{c.id: "customer"}

	if d.Bikes, err = s.subjectBikes(ctx, q, c, k); err != nil {
		return nil, nil, err
	}
	for _, b := range d.Bikes {
		about[b.ID] = "bike"
	}
	if len(d.Bikes) > 0 {
		fields = append(fields, "bikes.serial", "bikes.notes")
	}
	if d.WorkOrders, err = s.subjectWorkOrders(ctx, q, c, k); err != nil {
		return nil, nil, err
	}
	for _, w := range d.WorkOrders {
		about[w.ID] = "work_order"
	}
	if len(d.WorkOrders) > 0 {
		fields = append(fields, "work_orders.complaint", "work_orders.notes")
	}
	if d.Sales, err = s.subjectSales(ctx, q, c); err != nil {
		return nil, nil, err
	}
	for _, sl := range d.Sales {
		about[sl.ID] = "sale"
	}
	for _, sec := range subjectSections {
		rows, ids, err := sec.collect(ctx, s, q, c)
		if err != nil {
			return nil, nil, fmt.Errorf("export section %s: %w", sec.name, err)
		}
		if rows == nil {
			rows = [][]string{}
		}
		d.Sections = append(d.Sections, SubjectSection{Name: sec.name, Title: sec.title, Columns: sec.columns, Rows: rows})
		for _, id := range ids {
			about[id] = sec.name
		}
	}
	if d.Audit, err = s.subjectAudit(ctx, q, about); err != nil {
		return nil, nil, err
	}
	return d, fields, nil
}

func (s *Store) subjectBikes(ctx context.Context, q querier, c *custRow, k []byte) ([]SubjectBike, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, make, model, year, type, frame_size, colour, serial, notes, created_at, updated_at, deleted_at FROM bikes WHERE customer_id = ? ORDER BY created_at, id", c.id)
	if err != nil {
		return nil, err
	}
	var out []SubjectBike
	var sealed [][2][]byte
	for rows.Next() {
		var b SubjectBike
		var serial, notes []byte
		var created, updated, deleted int64
		if err := rows.Scan(&b.ID, &b.Make, &b.Model, &b.Year, &b.Type, &b.FrameSize, &b.Colour, &serial, &notes, &created, &updated, &deleted); err != nil {
			rows.Close()
			return nil, err
		}
		b.CreatedAt, b.UpdatedAt, b.DeletedAt = utcMilli(created), utcMilli(updated), utcMilli(deleted)
		out = append(out, b)
		sealed = append(sealed, [2][]byte{serial, notes})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.checkRow(ctx, q, tables["bikes"], out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Serial, err = openField(k, "bikes", out[i].ID, "serial", sealed[i][0]); err != nil {
			return nil, err
		}
		if out[i].Notes, err = openField(k, "bikes", out[i].ID, "notes", sealed[i][1]); err != nil {
			return nil, err
		}
	}
	return orEmpty(out), nil
}

func (s *Store) subjectWorkOrders(ctx context.Context, q querier, c *custRow, k []byte) ([]SubjectWorkOrder, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(bike_id, ''), status, promised_at, complaint, notes, labour_total, parts_total, total,
		created_at, updated_at, closed_at FROM work_orders WHERE customer_id = ? ORDER BY created_at, id`, c.id)
	if err != nil {
		return nil, err
	}
	var out []SubjectWorkOrder
	var sealed [][2][]byte
	for rows.Next() {
		var w SubjectWorkOrder
		var status string
		var complaint, notes []byte
		var promised, created, updated, closed int64
		if err := rows.Scan(&w.ID, &w.BikeID, &status, &promised, &complaint, &notes, &w.LabourTotal, &w.PartsTotal, &w.Total,
			&created, &updated, &closed); err != nil {
			rows.Close()
			return nil, err
		}
		w.Status = Status(status)
		w.PromisedAt, w.CreatedAt, w.UpdatedAt, w.ClosedAt = utcMilli(promised), utcMilli(created), utcMilli(updated), utcMilli(closed)
		out = append(out, w)
		sealed = append(sealed, [2][]byte{complaint, notes})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.checkRow(ctx, q, tables["work_orders"], out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Complaint, err = openField(k, "work_orders", out[i].ID, "complaint", sealed[i][0]); err != nil {
			return nil, err
		}
		if out[i].Notes, err = openField(k, "work_orders", out[i].ID, "notes", sealed[i][1]); err != nil {
			return nil, err
		}
		if out[i].Lines, err = s.subjectLines(ctx, q, "work_order_lines", "work_order_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return orEmpty(out), nil
}

func (s *Store) subjectSales(ctx context.Context, q querier, c *custRow) ([]SubjectSale, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, payment_method, total, sold_at FROM sales WHERE customer_id = ? ORDER BY sold_at, id", c.id)
	if err != nil {
		return nil, err
	}
	var out []SubjectSale
	for rows.Next() {
		var sl SubjectSale
		var at int64
		if err := rows.Scan(&sl.ID, &sl.PaymentMethod, &sl.Total, &at); err != nil {
			rows.Close()
			return nil, err
		}
		sl.SoldAt = utcMilli(at)
		out = append(out, sl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.checkRow(ctx, q, tables["sales"], out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Lines, err = s.subjectLines(ctx, q, "sale_lines", "sale_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return orEmpty(out), nil
}

// subjectLines reads the lines of a job or a sale (table and fk are constants of this file).
func (s *Store) subjectLines(ctx context.Context, q querier, table, fk, id string) ([]SubjectLine, error) {
	kind := "kind"
	if table == "sale_lines" {
		kind = "'part'"
	}
	rows, err := q.QueryContext(ctx, "SELECT id, "+kind+", sku, description, qty, unit_price FROM "+table+" WHERE "+fk+" = ? ORDER BY rowid", id)
	if err != nil {
		return nil, err
	}
	var out []SubjectLine
	var ids []string
	for rows.Next() {
		var l SubjectLine
		var lid string
		if err := rows.Scan(&lid, &l.Kind, &l.SKU, &l.Description, &l.Qty, &l.UnitPrice); err != nil {
			rows.Close()
			return nil, err
		}
		l.Total = l.Qty * l.UnitPrice
		out = append(out, l)
		ids = append(ids, lid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, lid := range ids {
		if err := s.checkRow(ctx, q, tables[table], lid); err != nil {
			return nil, err
		}
	}
	return orEmpty(out), nil
}

// subjectAudit returns the entries of this device's trail and of the other devices' copies
// whose target is one of the customer's rows, oldest first, staff named by role.
func (s *Store) subjectAudit(ctx context.Context, q querier, about map[string]string) ([]SubjectAccess, error) {
	ids := make([]string, 0, len(about))
	for id := range about {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	list, _ := json.Marshal(ids)
	rows, err := q.QueryContext(ctx, `SELECT seq, at, user_id, action, target, fields, outcome, reason, 0, device_id FROM audit
			WHERE target IN (SELECT value FROM json_each(?1))
		UNION ALL SELECT seq, at, user_id, action, target, fields, outcome, reason, 1, device_id FROM remote_audit
			WHERE target IN (SELECT value FROM json_each(?1))
		ORDER BY at, 9, seq`, string(list))
	if err != nil {
		return nil, err
	}
	type raw struct {
		seq    int64
		user   string
		device string
		reason []byte
	}
	var out []SubjectAccess
	var raws []raw
	for rows.Next() {
		var e SubjectAccess
		var r raw
		var at int64
		var fields string
		var remote int
		if err := rows.Scan(&r.seq, &at, &r.user, &e.Action, &e.Target, &fields, &e.Outcome, &r.reason, &remote, &r.device); err != nil {
			rows.Close()
			return nil, err
		}
		e.At, e.About, e.Fields = utcMilli(at), about[e.Target], []string{}
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
		}
		out = append(out, e)
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	roles := map[string]string{}
	for i := range out {
		out[i].ByRole = s.roleName(ctx, q, raws[i].user, roles)
		if raws[i].reason != nil {
			// A reason is sealed under the org key with the entry's seq in its additional
			// data, on whichever device wrote it. One retention has expired (its key
			// destroyed) is reported as such, not as a failed export.
			r, err := s.openReason(ctx, q, raws[i].device, raws[i].seq, raws[i].reason)
			if err != nil {
				out[i].ReasonExpired = true
			} else {
				out[i].Reason = r
			}
		}
	}
	return orEmpty(out), nil
}

// roleName names who an audit entry's user is, by role: "owner", "manager,sales", "system" for
// the store's own work, "staff" for an account this device does not know.
func (s *Store) roleName(ctx context.Context, q querier, userID string, cache map[string]string) string {
	if strings.HasPrefix(userID, "system:") {
		return "system"
	}
	if r, ok := cache[userID]; ok {
		return r
	}
	var roles string
	if err := q.QueryRowContext(ctx, "SELECT roles FROM users WHERE id = ?", userID).Scan(&roles); err != nil || roles == "" {
		roles = "staff"
	}
	cache[userID] = roles
	return roles
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
