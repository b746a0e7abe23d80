package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/store/contact"
)

// CustomerInput is what a form or an import gives for a customer. Empty optional fields mean
// "none". ShopID and OwnerID may be empty: they default to the user's shop and to the user.
type CustomerInput struct {
	Name     string
	Email    string
	Phone    string
	Address  string
	Birthday string // YYYY-MM-DD
	Notes    string
	ShopID   string
	OwnerID  string
	// PhoneAlt is a second number (an export's landline next to its mobile).
	PhoneAlt string
	// Source is the customer's id in the system they were imported from, "system:id"
	// (NormalizeSource); only an import sets it, an edit keeps it.
	Source string
}

// Customer is a customer as the signed-in user may see it. Fields the user may not see are
// empty and Minimal is true (break-glass or mechanic view).
type Customer struct {
	ID        string    `json:"id"`
	ShopID    string    `json:"shop_id"`
	OwnerID   string    `json:"owner_id"`
	Owner     string    `json:"owner"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Address   string    `json:"address,omitempty"`
	Birthday  string    `json:"birthday,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	PhoneAlt  string    `json:"phone_alt,omitempty"`
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Minimal   bool      `json:"minimal,omitempty"`
}

// CustomerCard is a customer with their bikes, work orders and sales.
type CustomerCard struct {
	Customer
	Bikes      []Bike      `json:"bikes"`
	WorkOrders []WorkOrder `json:"work_orders"`
	Sales      []Sale      `json:"sales,omitempty"`
	BreakGlass bool        `json:"break_glass,omitempty"`
}

// custRow is a stored customer: sealed values and their keys' metadata.
type custRow struct {
	id, shopID, ownerID                         string
	dek                                         []byte
	dekVersion                                  uint32
	name, email, phone, address, birthday, note []byte
	emailBidx, phoneBidx                        []byte
	phoneAlt, source, sourceBidx                []byte
	createdAt, updatedAt, deletedAt             int64
}

const custCols = "id, shop_id, owner_id, dek, dek_version, name, email, phone, address, birthday, notes, email_bidx, phone_bidx, created_at, updated_at, deleted_at, phone_alt, source, source_bidx"

func scanCust(sc interface{ Scan(...any) error }) (*custRow, error) {
	c := &custRow{}
	err := sc.Scan(&c.id, &c.shopID, &c.ownerID, &c.dek, &c.dekVersion, &c.name, &c.email, &c.phone, &c.address, &c.birthday, &c.note, &c.emailBidx, &c.phoneBidx, &c.createdAt, &c.updatedAt, &c.deletedAt, &c.phoneAlt, &c.source, &c.sourceBidx)
	return c, err
}

// queryCusts runs a query selecting custCols and returns the rows.
func queryCusts(ctx context.Context, q querier, query string, args ...any) ([]*custRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanCusts(rows)
}

// scanCusts reads customer rows from a query of custCols and closes it.
func scanCusts(rows *sql.Rows) ([]*custRow, error) {
	defer rows.Close()
	var out []*custRow
	for rows.Next() {
		c, err := scanCust(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) loadCust(ctx context.Context, q querier, id string) (*custRow, error) {
	c, err := scanCust(q.QueryRowContext(ctx, "SELECT "+custCols+" FROM customers WHERE id = ? AND deleted_at = 0", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	// Fail closed: a row edited in the file (any column, or its clock) is not read, and not
	// written over (an edit would MAC the tampered values as its own).
	if err := s.checkRow(ctx, q, tables["customers"], id); err != nil {
		return nil, err
	}
	return c, nil
}

func dekLabel(customerID string, scopeVersion uint32) []byte {
	return seal.Label("dek", customerID, fmt.Sprint(scopeVersion))
}

// dek returns a customer's unwrapped data key, caching it for the life of the Store.
func (s *Store) dek(ctx context.Context, c *custRow) ([]byte, error) {
	k, cached, err := s.dekOnce(ctx, c)
	if err == nil && !cached {
		s.mu.Lock()
		s.deks[c.id] = k
		s.mu.Unlock()
	}
	return k, err
}

// dekOnce returns a customer's data key from the cache (cached) or unwrapped, without
// caching it: the caller either caches it or wipes it.
func (s *Store) dekOnce(ctx context.Context, c *custRow) (k []byte, cached bool, err error) {
	s.mu.RLock()
	k = s.deks[c.id]
	s.mu.RUnlock()
	if k != nil {
		return k, true, nil
	}
	sk, _, err := s.scopeKey(ctx, c.shopID, c.dekVersion)
	if err != nil {
		return nil, false, err
	}
	k, err = keys.Unwrap(sk, c.dek, dekLabel(c.id, c.dekVersion))
	if err != nil {
		return nil, false, &SealError{Table: "customers", Row: c.id, Column: "dek", Err: err}
	}
	return k, false, nil
}

// opened is a customer's decrypted personal fields.
type opened struct{ name, email, phone, address, birthday, notes, phoneAlt, source string }

// Which of a customer's personal fields openFields decrypts.
type fieldSet uint8

const (
	fieldsMinimal fieldSet = iota // name and phone: a mechanic's or a break-glass view
	fieldsIndexed                 // name, e-mail and phone: what a search index holds
	fieldsAll
)

func (s *Store) openCust(ctx context.Context, c *custRow, minimal bool) (*opened, error) {
	if minimal {
		return s.openFields(ctx, c, fieldsMinimal, true)
	}
	return s.openFields(ctx, c, fieldsAll, true)
}

// openFields decrypts the fields of set. keep caches the customer's data key for the life of
// the Store (a card, an edit, a change to the index); a bulk read (the index build) passes
// false, so that it leaves no key of every customer in memory, and the key it unwrapped is
// wiped once the fields are open.
func (s *Store) openFields(ctx context.Context, c *custRow, set fieldSet, keep bool) (*opened, error) {
	var (
		k      []byte
		cached bool
		err    error
	)
	if keep {
		k, err = s.dek(ctx, c)
	} else if k, cached, err = s.dekOnce(ctx, c); err == nil && !cached {
		defer seal.Wipe(k)
	}
	if err != nil {
		return nil, err
	}
	var o opened
	fields := []struct {
		col string
		v   []byte
		dst *string
	}{{"name", c.name, &o.name}, {"phone", c.phone, &o.phone}, {"email", c.email, &o.email},
		{"address", c.address, &o.address}, {"birthday", c.birthday, &o.birthday}, {"notes", c.note, &o.notes},
		{"phone_alt", c.phoneAlt, &o.phoneAlt}, {"source", c.source, &o.source}}
	switch set {
	case fieldsMinimal:
		fields = fields[:2]
	case fieldsIndexed:
		fields = fields[:3]
	}
	for _, f := range fields {
		if *f.dst, err = openField(k, "customers", c.id, f.col, f.v); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// validate normalises a customer input in place and lists every bad field.
func (in *CustomerInput) validate(region string, now time.Time) error {
	var ve ValidationError
	in.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		ve.add("name", "is required")
	case n > 200:
		ve.add("name", "is longer than 200 characters")
	}
	if s := strings.TrimSpace(in.Email); s != "" {
		if e, err := contact.NormalizeEmail(s); err != nil {
			ve.add("email", "is not a valid e-mail address")
		} else {
			in.Email = e
		}
	} else {
		in.Email = ""
	}
	if s := strings.TrimSpace(in.Phone); s != "" {
		if p, err := contact.NormalizePhone(s, region); err != nil {
			ve.add("phone", "is not a valid phone number (use +country code if it is not a "+region+" number)")
		} else {
			in.Phone = p
		}
	} else {
		in.Phone = ""
	}
	if s := strings.TrimSpace(in.PhoneAlt); s != "" {
		if p, err := contact.NormalizePhone(s, region); err != nil {
			ve.add("phone_alt", "is not a valid phone number (use +country code if it is not a "+region+" number)")
		} else {
			in.PhoneAlt = p
		}
	} else {
		in.PhoneAlt = ""
	}
	if s := strings.TrimSpace(in.Source); s != "" {
		if n, err := NormalizeSource(s); err != nil {
			ve.add("source", "must be a system name and its id, like shopify:4012345678")
		} else {
			in.Source = n
		}
	} else {
		in.Source = ""
	}
	in.Address = strings.TrimSpace(in.Address)
	if utf8.RuneCountInString(in.Address) > 500 {
		ve.add("address", "is longer than 500 characters")
	}
	if b := strings.TrimSpace(in.Birthday); b != "" {
		t, err := time.Parse(time.DateOnly, b)
		switch {
		case err != nil:
			ve.add("birthday", "must be a date like 1985-04-23")
		case t.After(now) || t.Year() < 1900:
			ve.add("birthday", "is not a plausible birth date")
		default:
			in.Birthday = t.Format(time.DateOnly)
		}
	} else {
		in.Birthday = ""
	}
	if utf8.RuneCountInString(in.Notes) > 4000 {
		ve.add("notes", "is longer than 4000 characters")
	}
	for _, f := range []string{in.Name, in.Address, in.Notes} {
		if strings.ContainsFunc(f, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
			ve.add("text", "contains control characters")
			break
		}
	}
	return ve.orNil()
}

// shopRegion returns the phone region of a shop.
func (s *Store) shopRegion(ctx context.Context, q querier, shopID string) (string, error) {
	var r string
	err := s.queryRow(ctx, q, "SELECT region FROM shops WHERE id = ?", shopID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &FieldError{"shop", "no such shop"}
	}
	return r, err
}

// resolveShopOwner fills in defaults and checks that the owner can hold customers of that shop.
func (ss *Session) resolveShopOwner(ctx context.Context, q querier, in *CustomerInput) error {
	if in.ShopID == "" {
		in.ShopID = ss.user.ShopID
	}
	if in.ShopID == "" {
		// An org-wide user (the owner) with a single shop needs no choice.
		var n int
		var id string
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MIN(id), '') FROM shops").Scan(&n, &id); err != nil {
			return err
		}
		if n != 1 {
			return &FieldError{"shop", "choose a shop"}
		}
		in.ShopID = id
	}
	if in.OwnerID == "" {
		in.OwnerID = ss.user.ID
	}
	if in.OwnerID != ss.user.ID {
		var roles string
		var shop sql.NullString
		var active bool
		err := q.QueryRowContext(ctx, "SELECT roles, shop_id, active FROM users WHERE id = ?", in.OwnerID).Scan(&roles, &shop, &active)
		if err != nil || !active {
			return &FieldError{"owner", "no such active user"}
		}
		if !strings.Contains(roles, string(RoleOwner)) && shop.String != in.ShopID {
			return &FieldError{"owner", "works at another shop"}
		}
	}
	return nil
}

// CreateCustomer adds a customer. Sales users create customers they own; managers in their shop;
// the owner anywhere.
func (ss *Session) CreateCustomer(ctx context.Context, in CustomerInput) (string, error) {
	var id string
	err := ss.write(ctx, "customer.create", func(w *wtx) error {
		var err error
		id, err = w.createCustomer(ss, in)
		return err
	})
	if err != nil {
		return "", err
	}
	ss.s.reindex(ctx, []string{id}, ss, "customer.create")
	return id, nil
}

func (w *wtx) createCustomer(ss *Session, in CustomerInput) (string, error) {
	ctx := w.ctx
	if err := ss.resolveShopOwner(ctx, w.tx, &in); err != nil {
		return "", err
	}
	if _, err := w.allow(ss, OpCustomerWrite, target{shopID: in.ShopID, ownerID: in.OwnerID}); err != nil {
		return "", err
	}
	region, err := w.s.shopRegion(ctx, w.tx, in.ShopID)
	if err != nil {
		return "", err
	}
	if err := in.validate(region, w.s.opts.Now()); err != nil {
		return "", err
	}
	return w.insertCustomer(in, w.now)
}

// insertCustomer seals and inserts a validated customer with a fresh data key.
func (w *wtx) insertCustomer(in CustomerInput, createdAt int64) (string, error) {
	ctx := w.ctx
	id := newID()
	sk, ver, err := w.s.scopeKey(ctx, in.ShopID, 0)
	if err != nil {
		return "", err
	}
	dek := keys.New()
	wrapped, err := keys.Wrap(sk, dek, dekLabel(id, ver))
	if err != nil {
		return "", err
	}
	cols := []col{plain("shop_id", in.ShopID), plain("owner_id", in.OwnerID), plain("dek", wrapped), plain("dek_version", ver)}
	for _, f := range []struct{ col, v string }{
		{"name", in.Name}, {"email", in.Email}, {"phone", in.Phone}, {"address", in.Address}, {"birthday", in.Birthday}, {"notes", in.Notes},
		{"phone_alt", in.PhoneAlt}, {"source", in.Source},
	} {
		sv, err := sealField(dek, "customers", id, f.col, f.v)
		if err != nil {
			return "", err
		}
		cols = append(cols, sealedCol(f.col, sv))
	}
	idx, err := w.indexCols("customers", in.ShopID, map[string]string{"email": in.Email, "phone": in.Phone, "source": in.Source})
	if err != nil {
		return "", err
	}
	cols = append(append(cols, idx...), plain("created_at", createdAt), plain("updated_at", createdAt))
	if err := w.insert("customers", in.ShopID, id, cols); err != nil {
		return "", err
	}
	w.s.mu.Lock()
	w.s.deks[id] = dek
	w.s.mu.Unlock()
	w.audit.Target = id
	w.audit.Fields = []string{"name", "email", "phone", "address", "birthday", "notes", "phone_alt"}
	if in.Source != "" {
		w.audit.Fields = append(w.audit.Fields, "source")
	}
	return id, nil
}

// bidx computes a blind index of a normalised value, nil for "".
func (s *Store) bidx(ctx context.Context, shopID, field, normalised string) ([]byte, error) {
	if normalised == "" {
		return nil, nil
	}
	k, err := s.blindKey(ctx, shopID, field)
	if err != nil {
		return nil, err
	}
	return k.Sum(normalised), nil
}

// UpdateCustomer changes a customer's details. Only fields whose value changed are written
// (and enter the change log), so concurrent edits of different fields on two devices merge.
func (ss *Session) UpdateCustomer(ctx context.Context, id string, in CustomerInput) error {
	err := ss.write(ctx, "customer.update", func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, id)
		if err != nil {
			return err
		}
		w.audit.Target = id
		_, err = w.updateCustomer(ss, c, in, false)
		return err
	})
	if err != nil {
		return err
	}
	ss.s.reindex(ctx, []string{id}, ss, "customer.update")
	return nil
}

// updateCustomer writes the changed fields of a stored customer. An edit (merge false) sets
// every field as given, but never the source, which only an import sets; a re-import (merge
// true) leaves the fields the file has empty as they are, and sets the source only where the
// record has none. It reports whether anything changed.
func (w *wtx) updateCustomer(ss *Session, c *custRow, in CustomerInput, merge bool) (bool, error) {
	ctx, id := w.ctx, c.id
	if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
		return false, err
	}
	region, err := ss.s.shopRegion(ctx, w.tx, c.shopID)
	if err != nil {
		return false, err
	}
	if err := in.validate(region, ss.s.opts.Now()); err != nil {
		return false, err
	}
	old, err := ss.s.openCust(ctx, c, false)
	if err != nil {
		return false, err
	}
	k, err := ss.s.dek(ctx, c)
	if err != nil {
		return false, err
	}
	if !merge || old.source != "" {
		in.Source = old.source
	}
	var cols []col
	changed := map[string]string{}
	for _, f := range []struct{ col, old, new string }{
		{"name", old.name, in.Name}, {"email", old.email, in.Email}, {"phone", old.phone, in.Phone},
		{"address", old.address, in.Address}, {"birthday", old.birthday, in.Birthday}, {"notes", old.notes, in.Notes},
		{"phone_alt", old.phoneAlt, in.PhoneAlt}, {"source", old.source, in.Source},
	} {
		if f.old == f.new || (merge && f.new == "") {
			continue
		}
		sv, err := sealField(k, "customers", id, f.col, f.new)
		if err != nil {
			return false, err
		}
		cols = append(cols, sealedCol(f.col, sv))
		w.audit.Fields = append(w.audit.Fields, f.col)
		changed[f.col] = f.new
	}
	idx, err := w.indexCols("customers", c.shopID, changed)
	if err != nil {
		return false, err
	}
	cols = append(cols, idx...)
	if !merge && in.OwnerID != "" && in.OwnerID != c.ownerID {
		in.ShopID = c.shopID
		if err := ss.resolveShopOwner(ctx, w.tx, &in); err != nil {
			return false, err
		}
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: in.OwnerID}); err != nil {
			return false, err
		}
		cols = append(cols, plain("owner_id", in.OwnerID))
		w.audit.Fields = append(w.audit.Fields, "owner_id")
	}
	if len(cols) == 0 {
		return false, nil
	}
	cols = append(cols, plain("updated_at", w.now))
	return true, w.update("customers", c.shopID, id, cols)
}

// DeleteCustomer soft-deletes a customer (recoverable for 30 days by a later feature).
// Sales users may only request it, which this build does not yet route: they get ErrForbidden.
func (ss *Session) DeleteCustomer(ctx context.Context, id string) error {
	err := ss.write(ctx, "customer.delete", func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, id)
		if err != nil {
			return err
		}
		w.audit.Target = id
		if _, err := w.allow(ss, OpCustomerDelete, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		w.audit.Target = id
		return w.update("customers", c.shopID, id, []col{plain("deleted_at", w.now), plain("updated_at", w.now)})
	})
	if err != nil {
		return err
	}
	ss.s.reindex(ctx, []string{id}, ss, "customer.delete")
	return nil
}

// view decides what the user may see of a stored customer: full, minimal (mechanic of an open
// job, or break-glass with a reason), or nothing.
func (ss *Session) view(ctx context.Context, c *custRow) (Grant, error) {
	assigned := false
	if ss.user.Has(RoleMechanic) {
		var one int
		err := ss.s.db.QueryRowContext(ctx, "SELECT 1 FROM work_orders WHERE customer_id = ? AND mechanic_id = ? AND "+openJobSQL+" LIMIT 1", c.id, ss.user.ID).Scan(&one)
		assigned = err == nil
	}
	t := target{shopID: c.shopID, ownerID: c.ownerID, assigned: assigned}
	if g, ok := ss.permits(OpCustomerPIIOwn, t); ok && (g == All || g == ShopOnly || (g == Own && c.ownerID == ss.user.ID)) {
		return g, nil
	}
	if g, ok := ss.permits(OpCustomerPIIOther, t); ok {
		return g, nil
	}
	return Deny, ErrForbidden
}

// Customer opens one customer's card: details, bikes, work orders and sales. Opening another
// salesperson's customer is break-glass: it needs a reason, returns only name, phone, the bikes
// without serials and the jobs without their complaint and notes (free text about the customer
// is not "minimal"), and is audited with the reason. A mechanic gets name, phone and their own
// open jobs with the text they work from. Every open is audited with exactly the fields it
// decrypted.
func (ss *Session) Customer(ctx context.Context, id, reason string) (*CustomerCard, error) {
	// Before anything is read: an overdue training learns nothing, not even that it exists.
	if err := ss.trainingGate(ctx, "customer.read", id); err != nil {
		return nil, err
	}
	c, err := ss.s.loadCust(ctx, ss.s.db, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	g, err := ss.view(ctx, c)
	if err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.read", Target: id, Outcome: "denied"})
		return nil, ErrNotFound // do not confirm the customer exists
	}
	reason = strings.TrimSpace(reason)
	if g == BreakGlass && utf8.RuneCountInString(reason) < 5 {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "customer.read.break_glass", Target: id, Outcome: "denied", Detail: "no reason"})
		return nil, ErrReasonRequired
	}
	minimal := g == BreakGlass || g == Assigned
	o, err := ss.s.openCust(ctx, c, minimal)
	if err != nil {
		return nil, err
	}
	card := &CustomerCard{Customer: Customer{
		ID: c.id, ShopID: c.shopID, OwnerID: c.ownerID, Name: o.name, Email: o.email, Phone: o.phone,
		Address: o.address, Birthday: o.birthday, Notes: o.notes, PhoneAlt: o.phoneAlt, Source: o.source, Minimal: minimal,
		CreatedAt: time.UnixMilli(c.createdAt), UpdatedAt: time.UnixMilli(c.updatedAt),
	}, BreakGlass: g == BreakGlass}
	card.Owner = ss.s.username(ctx, c.ownerID)
	if card.Bikes, err = ss.s.bikesOf(ctx, c, minimal); err != nil {
		return nil, err
	}
	mech := ""
	if g == Assigned {
		mech = ss.user.ID
	}
	jobText := g != BreakGlass
	if card.WorkOrders, err = ss.s.workOrdersOf(ctx, c, mech, jobText); err != nil {
		return nil, err
	}
	if !minimal {
		if card.Sales, err = ss.s.salesOf(ctx, c.id); err != nil {
			return nil, err
		}
	}
	// The entry names what was decrypted, no more and no less, so a reviewer reading the trail
	// knows what the user saw.
	e := auditEntry{Action: "customer.read", Target: id, Fields: []string{"name", "phone"}}
	if !minimal {
		e.Fields = []string{"name", "email", "phone", "address", "birthday", "notes", "phone_alt", "source"}
		if len(card.Bikes) > 0 {
			e.Fields = append(e.Fields, "bikes.serial")
		}
	}
	if jobText && len(card.WorkOrders) > 0 {
		e.Fields = append(e.Fields, "work_orders.complaint", "work_orders.notes")
	}
	if g == BreakGlass {
		e.Action, e.Reason = "customer.read.break_glass", reason
	}
	e.Grant = g
	// A break-glass read carries its reason: auditRead commits it at FULL like a write.
	if err := ss.s.auditRead(ctx, ss.actor(), e); err != nil {
		// Fail closed: a read that cannot be audited is not returned.
		return nil, fmt.Errorf("audit: %w", err)
	}
	return card, nil
}

// username returns a user's login name ("" if unknown); names are business data.
func (s *Store) username(ctx context.Context, id string) string {
	var u string
	s.queryRow(ctx, s.db, "SELECT username FROM users WHERE id = ?", id).Scan(&u)
	return u
}
