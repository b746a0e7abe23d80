package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is a work order's place on the board.
type Status string

// Work order statuses, in board order; cancelled is off the board.
const (
	StatusIntake       Status = "intake"
	StatusEstimate     Status = "estimate"
	StatusApproved     Status = "approved"
	StatusInProgress   Status = "in_progress"
	StatusWaitingParts Status = "waiting_parts"
	StatusReady        Status = "ready"
	StatusCollected    Status = "collected"
	StatusCancelled    Status = "cancelled"
)

// Statuses lists the board's columns in order.
var Statuses = []Status{StatusIntake, StatusEstimate, StatusApproved, StatusInProgress, StatusWaitingParts, StatusReady, StatusCollected, StatusCancelled}

// transitions says which moves a job may make: forward along the board, back to in progress
// from waiting for parts or ready, and cancellation before collection.
var transitions = map[Status][]Status{
	StatusIntake:       {StatusEstimate, StatusApproved, StatusCancelled},
	StatusEstimate:     {StatusApproved, StatusCancelled},
	StatusApproved:     {StatusInProgress, StatusWaitingParts, StatusCancelled},
	StatusInProgress:   {StatusWaitingParts, StatusReady, StatusCancelled},
	StatusWaitingParts: {StatusInProgress, StatusCancelled},
	StatusReady:        {StatusCollected, StatusInProgress},
}

// CanMove reports whether a job may go from one status to another.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Open reports whether a job is still being worked on. A collected or cancelled job is closed,
// and with it a mechanic's view of its customer: the mechanic's grant is for the job at hand,
// not for a record of everyone whose bike they once fixed.
func (s Status) Open() bool { return s != StatusCollected && s != StatusCancelled }

// openJobSQL is Status.Open as a condition on work_orders.status.
const openJobSQL = "status NOT IN ('collected', 'cancelled')"

// Line is a labour or parts line. Money is in minor units (cents), never float.
type Line struct {
	ID          string `json:"id,omitempty"`
	Kind        string `json:"kind"` // "labour" or "part" (work orders); sales use "part"
	SKU         string `json:"sku,omitempty"`
	Description string `json:"description"`
	Qty         int64  `json:"qty"`
	UnitPrice   int64  `json:"unit_price"`
}

// Total is qty times unit price.
func (l Line) Total() int64 { return l.Qty * l.UnitPrice }

func (l *Line) validate(i int, ve *ValidationError) {
	f := fmt.Sprintf("lines[%d]", i+1)
	l.Description = strings.TrimSpace(l.Description)
	if l.Kind == "" {
		l.Kind = "part"
	}
	if l.Kind != "labour" && l.Kind != "part" {
		ve.add(f+".kind", "must be labour or part")
	}
	if l.Description == "" || utf8.RuneCountInString(l.Description) > 200 {
		ve.add(f+".description", "is required (up to 200 characters)")
	}
	if l.Qty <= 0 || l.Qty > 10000 {
		ve.add(f+".qty", "must be between 1 and 10000")
	}
	if l.UnitPrice < 0 || l.UnitPrice > 100_000_000 {
		ve.add(f+".unit_price", "must be between 0 and 1,000,000.00")
	}
}

// WorkOrder is a repair job.
type WorkOrder struct {
	ID          string    `json:"id"`
	ShopID      string    `json:"shop_id"`
	CustomerID  string    `json:"customer_id"`
	BikeID      string    `json:"bike_id,omitempty"`
	Status      Status    `json:"status"`
	MechanicID  string    `json:"mechanic_id,omitempty"`
	Mechanic    string    `json:"mechanic,omitempty"`
	PromisedAt  time.Time `json:"promised_at,omitzero"`
	Complaint   string    `json:"complaint,omitempty"`
	Notes       string    `json:"notes,omitempty"`
	Lines       []Line    `json:"lines,omitempty"`
	LabourTotal int64     `json:"labour_total"`
	PartsTotal  int64     `json:"parts_total"`
	Total       int64     `json:"total"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
}

// WorkOrderInput opens a job.
type WorkOrderInput struct {
	CustomerID string
	BikeID     string
	Complaint  string
	Notes      string
	MechanicID string
	PromisedAt time.Time
	Lines      []Line
}

// CreateWorkOrder opens a job at intake for a customer the user may handle.
func (ss *Session) CreateWorkOrder(ctx context.Context, in WorkOrderInput) (string, error) {
	var id string
	err := ss.write(ctx, "work_order.create", func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, in.CustomerID)
		if err != nil {
			return err
		}
		w.audit.Target = in.CustomerID
		if _, err := w.allow(ss, OpWorkOrders, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		// Mechanics work on jobs; they do not open them.
		if !ss.user.Has(RoleOwner) && !ss.user.Has(RoleManager) && !ss.user.Has(RoleSales) {
			return ErrForbidden
		}
		id, err = w.insertWorkOrder(c, in, StatusIntake, w.now, 0)
		return err
	})
	if err != nil {
		return "", err
	}
	// The job's mechanic may now find its customer.
	ss.s.reindex(ctx, []string{in.CustomerID}, ss, "work_order.create")
	return id, nil
}

func (w *wtx) checkMechanic(shopID, userID string) error {
	if userID == "" {
		return nil
	}
	var roles string
	var shop sql.NullString
	var active bool
	err := w.tx.QueryRowContext(w.ctx, "SELECT roles, shop_id, active FROM users WHERE id = ?", userID).Scan(&roles, &shop, &active)
	if err != nil || !active || !strings.Contains(roles, string(RoleMechanic)) || shop.String != shopID {
		return &FieldError{"mechanic", "is not an active mechanic of this shop"}
	}
	return nil
}

func (w *wtx) insertWorkOrder(c *custRow, in WorkOrderInput, status Status, createdAt, closedAt int64) (string, error) {
	var ve ValidationError
	in.Complaint = strings.TrimSpace(in.Complaint)
	if in.Complaint == "" || utf8.RuneCountInString(in.Complaint) > 2000 {
		ve.add("complaint", "is required (up to 2000 characters)")
	}
	if utf8.RuneCountInString(in.Notes) > 4000 {
		ve.add("notes", "is longer than 4000 characters")
	}
	for i := range in.Lines {
		in.Lines[i].validate(i, &ve)
	}
	if err := ve.orNil(); err != nil {
		return "", err
	}
	if in.BikeID != "" {
		var owner string
		if err := w.tx.QueryRowContext(w.ctx, "SELECT customer_id FROM bikes WHERE id = ? AND deleted_at = 0", in.BikeID).Scan(&owner); err != nil || owner != c.id {
			return "", &FieldError{"bike", "is not one of this customer's bikes"}
		}
	}
	if err := w.checkMechanic(c.shopID, in.MechanicID); err != nil {
		return "", err
	}
	id := newID()
	k, err := w.s.dek(w.ctx, c)
	if err != nil {
		return "", err
	}
	complaint, err := sealField(k, "work_orders", id, "complaint", in.Complaint)
	if err != nil {
		return "", err
	}
	notes, err := sealField(k, "work_orders", id, "notes", in.Notes)
	if err != nil {
		return "", err
	}
	var promised int64
	if !in.PromisedAt.IsZero() {
		promised = in.PromisedAt.UnixMilli()
	}
	var bike, mech any
	if in.BikeID != "" {
		bike = in.BikeID
	}
	if in.MechanicID != "" {
		mech = in.MechanicID
	}
	err = w.insert("work_orders", c.shopID, id, []col{
		plain("shop_id", c.shopID), plain("customer_id", c.id), plain("bike_id", bike), plain("status", string(status)),
		plain("mechanic_id", mech), plain("promised_at", promised), sealedCol("complaint", complaint), sealedCol("notes", notes),
		plain("created_at", createdAt), plain("updated_at", createdAt), plain("closed_at", closedAt),
	})
	if err != nil {
		return "", err
	}
	for _, l := range in.Lines {
		if err := w.insertLine(c.shopID, id, l, createdAt); err != nil {
			return "", err
		}
	}
	if err := w.retotal("work_orders", id); err != nil {
		return "", err
	}
	w.audit.Target = id
	w.audit.Fields = []string{"complaint", "notes"}
	return id, nil
}

func (w *wtx) insertLine(shopID, woID string, l Line, at int64) error {
	return w.insert("work_order_lines", shopID, newID(), []col{
		plain("work_order_id", woID), plain("kind", l.Kind), plain("sku", l.SKU), plain("description", l.Description),
		plain("qty", l.Qty), plain("unit_price", l.UnitPrice), plain("created_at", at),
	})
}

// woRow is the access-relevant part of a stored job.
type woRow struct {
	id, shopID, customerID, status string
	mechanicID                     sql.NullString
}

func (ss *Session) loadWO(ctx context.Context, q querier, id string) (*woRow, *custRow, error) {
	r := &woRow{}
	err := q.QueryRowContext(ctx, "SELECT id, shop_id, customer_id, status, mechanic_id FROM work_orders WHERE id = ?", id).Scan(&r.id, &r.shopID, &r.customerID, &r.status, &r.mechanicID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := ss.s.loadCust(ctx, q, r.customerID)
	if err != nil {
		return nil, nil, err
	}
	return r, c, nil
}

// woTarget is a job as an access target. A mechanic is "assigned" only while the job is open,
// as in Session.view.
func (ss *Session) woTarget(r *woRow, c *custRow) target {
	return target{shopID: r.shopID, ownerID: c.ownerID,
		assigned: r.mechanicID.Valid && r.mechanicID.String == ss.user.ID && Status(r.status).Open()}
}

// AddWorkOrderLine adds a labour or parts line and updates the totals.
func (ss *Session) AddWorkOrderLine(ctx context.Context, woID string, l Line) error {
	return ss.write(ctx, "work_order.add_line", func(w *wtx) error {
		r, c, err := ss.loadWO(ctx, w.tx, woID)
		if err != nil {
			return err
		}
		w.audit.Target = woID
		if _, err := w.allow(ss, OpWorkOrders, ss.woTarget(r, c)); err != nil {
			return err
		}
		if Status(r.status) == StatusCollected || Status(r.status) == StatusCancelled {
			return &FieldError{"status", "the job is closed"}
		}
		var ve ValidationError
		l.validate(0, &ve)
		if err := ve.orNil(); err != nil {
			return err
		}
		if err := w.insertLine(r.shopID, woID, l, w.now); err != nil {
			return err
		}
		return w.retotal("work_orders", woID)
	})
}

// MoveWorkOrder moves a job to another status along the board.
func (ss *Session) MoveWorkOrder(ctx context.Context, woID string, to Status) error {
	var cust string
	err := ss.write(ctx, "work_order.status", func(w *wtx) error {
		r, c, err := ss.loadWO(ctx, w.tx, woID)
		if err != nil {
			return err
		}
		cust = c.id
		w.audit.Target = woID
		if _, err := w.allow(ss, OpWorkOrders, ss.woTarget(r, c)); err != nil {
			return err
		}
		if !CanMove(Status(r.status), to) {
			return &FieldError{"status", fmt.Sprintf("a job cannot move from %s to %s", r.status, to)}
		}
		w.audit.Detail = r.status + "->" + string(to)
		cols := []col{plain("status", string(to)), plain("updated_at", w.now)}
		if to == StatusCollected || to == StatusCancelled {
			cols = append(cols, plain("closed_at", w.now))
		}
		return w.update("work_orders", r.shopID, woID, cols)
	})
	if err != nil {
		return err
	}
	// A job that closes takes its customer out of the mechanic's search.
	ss.s.reindex(ctx, []string{cust}, ss, "work_order.status")
	return nil
}

// AssignMechanic gives a job to a mechanic of its shop ("" unassigns). Owner, manager and the
// customer's salesperson may assign.
func (ss *Session) AssignMechanic(ctx context.Context, woID, mechanicID string) error {
	var cust string
	err := ss.write(ctx, "work_order.assign", func(w *wtx) error {
		r, c, err := ss.loadWO(ctx, w.tx, woID)
		if err != nil {
			return err
		}
		cust = c.id
		w.audit.Target = woID
		t := ss.woTarget(r, c)
		t.assigned = false // a mechanic cannot hand jobs around
		if _, err := w.allow(ss, OpWorkOrders, t); err != nil {
			return err
		}
		if err := w.checkMechanic(r.shopID, mechanicID); err != nil {
			return err
		}
		var m any
		if mechanicID != "" {
			m = mechanicID
		}
		w.audit.Detail = "mechanic=" + mechanicID
		return w.update("work_orders", r.shopID, woID, []col{plain("mechanic_id", m), plain("updated_at", w.now)})
	})
	if err != nil {
		return err
	}
	// The old mechanic loses the customer from their search, the new one gains it.
	ss.s.reindex(ctx, []string{cust}, ss, "work_order.assign")
	return nil
}

const woCols = "w.id, w.shop_id, w.customer_id, COALESCE(w.bike_id, ''), w.status, COALESCE(w.mechanic_id, ''), COALESCE(u.username, ''), w.promised_at, w.complaint, w.notes, w.labour_total, w.parts_total, w.total, w.created_at, w.updated_at, w.closed_at"

func scanWO(sc interface{ Scan(...any) error }) (*WorkOrder, []byte, []byte, error) {
	var wo WorkOrder
	var status string
	var promised, created, updated, closed int64
	var complaint, notes []byte
	err := sc.Scan(&wo.ID, &wo.ShopID, &wo.CustomerID, &wo.BikeID, &status, &wo.MechanicID, &wo.Mechanic, &promised, &complaint, &notes,
		&wo.LabourTotal, &wo.PartsTotal, &wo.Total, &created, &updated, &closed)
	wo.Status = Status(status)
	wo.CreatedAt, wo.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	if promised > 0 {
		wo.PromisedAt = time.UnixMilli(promised)
	}
	if closed > 0 {
		wo.ClosedAt = time.UnixMilli(closed)
	}
	return &wo, complaint, notes, err
}

// workOrdersOf returns a customer's jobs with lines; with mechanicID set, only that mechanic's
// open jobs. Complaint and notes are opened only when text is true: they are free text about the
// customer, which a minimal (break-glass) view must not carry.
func (s *Store) workOrdersOf(ctx context.Context, c *custRow, mechanicID string, text bool) ([]WorkOrder, error) {
	q := "SELECT " + woCols + " FROM work_orders w LEFT JOIN users u ON u.id = w.mechanic_id WHERE w.customer_id = ?"
	args := []any{c.id}
	if mechanicID != "" {
		q += " AND w.mechanic_id = ? AND w." + openJobSQL
		args = append(args, mechanicID)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY w.created_at DESC, w.id", args...)
	if err != nil {
		return nil, err
	}
	var out []WorkOrder
	var sealed [][2][]byte
	for rows.Next() {
		wo, cm, nt, err := scanWO(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *wo)
		sealed = append(sealed, [2][]byte{cm, nt})
	}
	rows.Close()
	if len(out) == 0 {
		return nil, rows.Err()
	}
	var k []byte
	if text {
		if k, err = s.dek(ctx, c); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if text {
			if out[i].Complaint, err = openField(k, "work_orders", out[i].ID, "complaint", sealed[i][0]); err != nil {
				return nil, err
			}
			if out[i].Notes, err = openField(k, "work_orders", out[i].ID, "notes", sealed[i][1]); err != nil {
				return nil, err
			}
		}
		if out[i].Lines, err = s.linesOf(ctx, "work_order_lines", "work_order_id", out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) linesOf(ctx context.Context, table, fk, id string) ([]Line, error) {
	kind := "kind"
	if table == "sale_lines" {
		kind = "'part'"
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, "+kind+", sku, description, qty, unit_price FROM "+table+" WHERE "+fk+" = ? ORDER BY rowid", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ID, &l.Kind, &l.SKU, &l.Description, &l.Qty, &l.UnitPrice); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// BoardItem is a job as the board shows it: no complaint text, the customer's name only where
// the user may see it.
type BoardItem struct {
	WorkOrder
	CustomerName  string `json:"customer_name,omitempty"`
	CustomerPhone string `json:"customer_phone,omitempty"`
}

// Board lists open and recent jobs the user may see: all (owner), the shop's (manager), those of
// their customers in their shop (sales), those assigned to them (mechanic, with customer name
// and phone while the job is open).
// mechanicID filters by mechanic; status "" means every status.
func (ss *Session) Board(ctx context.Context, status Status, mechanicID string) ([]BoardItem, error) {
	g, err := ss.require(ctx, OpWorkOrders, target{any: true}, "work_order.list", "")
	if err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, "work_order.list", ""); err != nil {
		return nil, err // the board carries customers' names and phones
	}
	q := "SELECT " + woCols + ", c.owner_id FROM work_orders w LEFT JOIN users u ON u.id = w.mechanic_id JOIN customers c ON c.id = w.customer_id WHERE c.deleted_at = 0"
	var args []any
	switch g {
	case ShopOnly:
		q += " AND w.shop_id = ?"
		args = append(args, ss.user.ShopID)
	case Own:
		q += " AND c.owner_id = ? AND c.shop_id = ?"
		args = append(args, ss.user.ID, ss.user.ShopID)
	case Assigned:
		q += " AND w.mechanic_id = ?"
		args = append(args, ss.user.ID)
	}
	if status != "" {
		q += " AND w.status = ?"
		args = append(args, string(status))
	}
	if mechanicID != "" {
		q += " AND w.mechanic_id = ?"
		args = append(args, mechanicID)
	}
	rows, err := ss.s.db.QueryContext(ctx, q+" ORDER BY w.promised_at, w.created_at LIMIT 5000", args...)
	if err != nil {
		return nil, err
	}
	var items []BoardItem
	for rows.Next() {
		var wo WorkOrder
		var st, owner string
		var promised, created, updated, closed int64
		var cm, nt []byte
		if err := rows.Scan(&wo.ID, &wo.ShopID, &wo.CustomerID, &wo.BikeID, &st, &wo.MechanicID, &wo.Mechanic, &promised, &cm, &nt,
			&wo.LabourTotal, &wo.PartsTotal, &wo.Total, &created, &updated, &closed, &owner); err != nil {
			rows.Close()
			return nil, err
		}
		wo.Status, wo.CreatedAt, wo.UpdatedAt = Status(st), time.UnixMilli(created), time.UnixMilli(updated)
		if promised > 0 {
			wo.PromisedAt = time.UnixMilli(promised)
		}
		items = append(items, BoardItem{WorkOrder: wo})
	}
	rows.Close()
	names := 0
	for i := range items {
		if g == Assigned && !items[i].Status.Open() {
			// The job is done: the mechanic keeps its place on the board, not its customer.
			continue
		}
		c, err := ss.s.loadCust(ctx, ss.s.db, items[i].CustomerID)
		if err != nil {
			continue
		}
		o, err := ss.s.openCust(ctx, c, true)
		if err != nil {
			return nil, err
		}
		items[i].CustomerName, items[i].CustomerPhone = o.name, o.phone
		names++
	}
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "work_order.list", Fields: []string{"customers.name", "customers.phone"},
		Detail: fmt.Sprintf("jobs=%d", names)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return items, nil
}
