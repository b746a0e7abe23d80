package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Imports from another point-of-sale system (spoke/csvimport writes through these). A customer
// imported from an export keeps the export's own id as customers.source, "system:id", sealed,
// with a blind index: a second import of the same export finds each customer again by it and
// updates the record instead of making a second one. A row that matches a stored customer only
// by e-mail or phone is a candidate: families share an address and a landline, so such a match
// is shown, never merged; the importer imports it as a new customer only when the user says
// so. Bikes from a separate export are matched by frame serial (its blind index) the same way.

// ErrBadSource is returned by NormalizeSource.
var ErrBadSource = errors.New("a source must be a system name (letters, digits, '-') and its id, like shopify:4012345678")

// NormalizeSource returns a source reference in its stored form: the system name lower-cased
// (1 to 32 of a-z, 0-9, '-'), ':', and the id as the system wrote it, trimmed (1 to 128
// characters, no spaces at the ends, no control characters).
func NormalizeSource(v string) (string, error) {
	system, id, ok := strings.Cut(strings.TrimSpace(v), ":")
	system, id = strings.ToLower(strings.TrimSpace(system)), strings.TrimSpace(id)
	if !ok || system == "" || len(system) > 32 || id == "" || utf8.RuneCountInString(id) > 128 || !utf8.ValidString(id) {
		return "", ErrBadSource
	}
	for _, r := range system {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return "", ErrBadSource
		}
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') {
			return "", ErrBadSource
		}
	}
	return system + ":" + id, nil
}

// ImportProbe is what an imported row is matched by: its source reference and its normalised
// e-mail and phone numbers.
type ImportProbe struct {
	Source, Email, Phone, PhoneAlt string
}

// ImportMatch is how an imported row relates to the stored customers of the target shop.
type ImportMatch uint8

// The matches.
const (
	// MatchNew: no stored customer has the row's source, e-mail or phone.
	MatchNew ImportMatch = iota
	// MatchUpdate: a stored customer has the row's source; an import updates it.
	MatchUpdate
	// MatchCandidate: no customer has the source, but one has the row's e-mail or a phone
	// number: perhaps the same person, perhaps a family member. Never merged by itself.
	MatchCandidate
	// MatchNotYours: the customer with the row's source is one the user may not change
	// (another salesperson's); an import skips it.
	MatchNotYours
	// MatchErased: the row's source is that of a customer erased from the shop (the
	// erasure ledger keeps its blind index); an import skips it, so the person does not
	// come back with an old export.
	MatchErased
)

func (m ImportMatch) String() string {
	return [...]string{"new", "update", "candidate", "not_yours", "erased"}[m]
}

// matchImport classifies one probe against the customers of shop, through the blind indexes
// only: nothing of another customer is decrypted.
func (ss *Session) matchImport(ctx context.Context, q querier, shop, region string, p ImportProbe) (ImportMatch, *custRow, error) {
	s := ss.s
	if p.Source != "" {
		norm, err := NormalizeSource(p.Source)
		if err != nil {
			return 0, nil, &FieldError{"source", "is not valid"}
		}
		b, err := s.bidx(ctx, shop, "source", norm)
		if err != nil {
			return 0, nil, err
		}
		found, err := queryCusts(ctx, q, "SELECT "+custCols+" FROM customers WHERE shop_id = ? AND deleted_at = 0 AND source_bidx = ? ORDER BY created_at, id LIMIT 1", shop, b)
		if err != nil {
			return 0, nil, err
		}
		if len(found) == 1 {
			c := found[0]
			if _, ok := ss.permits(OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); !ok {
				return MatchNotYours, nil, nil
			}
			return MatchUpdate, c, nil
		}
		var one int
		err = q.QueryRowContext(ctx, "SELECT 1 FROM erasures WHERE shop_id = ? AND source_tag = hex(?) AND source_tag != '' LIMIT 1", shop, b).Scan(&one)
		if err == nil {
			return MatchErased, nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, nil, err
		}
	}
	for _, k := range []struct{ field, v string }{{"email", p.Email}, {"phone", p.Phone}, {"phone", p.PhoneAlt}} {
		if k.v == "" {
			continue
		}
		b, err := s.blindIndexOf(ctx, "customers", k.field, shop, region, k.v)
		if err != nil || b == nil {
			if err != nil {
				return 0, nil, err
			}
			continue
		}
		var one int
		err = q.QueryRowContext(ctx, "SELECT 1 FROM customers WHERE shop_id = ? AND deleted_at = 0 AND "+k.field+"_bidx = ? LIMIT 1", shop, b).Scan(&one)
		if err == nil {
			return MatchCandidate, nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, nil, err
		}
	}
	return MatchNew, nil, nil
}

// PreviewImport matches the rows of an import into (shopID, ownerID), resolved as
// CreateCustomer resolves them, against the shop's stored customers, for the mapping preview:
// one ImportMatch per probe, no personal data. The preview is audited with the counts.
func (ss *Session) PreviewImport(ctx context.Context, shopID, ownerID string, probes []ImportProbe) ([]ImportMatch, error) {
	in := CustomerInput{ShopID: shopID, OwnerID: ownerID}
	if err := ss.resolveShopOwner(ctx, ss.s.db, &in); err != nil {
		return nil, err
	}
	grant, err := ss.require(ctx, OpCustomerWrite, target{shopID: in.ShopID, ownerID: in.OwnerID}, "customer.import.preview", in.ShopID)
	if err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, "customer.import.preview", in.ShopID); err != nil {
		return nil, err
	}
	region, err := ss.s.shopRegion(ctx, ss.s.db, in.ShopID)
	if err != nil {
		return nil, err
	}
	out := make([]ImportMatch, len(probes))
	var counts [5]int
	for i, p := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, _, err := ss.matchImport(ctx, ss.s.db, in.ShopID, region, p)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		out[i] = m
		counts[m]++
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "customer.import.preview", Target: in.ShopID, Fields: []string{"source", "email", "phone"}, Grant: grant,
		Detail: fmt.Sprintf("rows=%d new=%d updates=%d candidates=%d not_yours=%d erased=%d", len(probes), counts[MatchNew], counts[MatchUpdate], counts[MatchCandidate], counts[MatchNotYours], counts[MatchErased])}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// MatchCustomer classifies an imported row against shop's customers as PreviewImport does,
// inside the batch, and returns the id of the customer to update for MatchUpdate.
func (b *Batch) MatchCustomer(shop string, p ImportProbe) (ImportMatch, string, error) {
	region, err := b.region(shop)
	if err != nil {
		return 0, "", err
	}
	m, c, err := b.ss.matchImport(b.w.ctx, b.w.tx, shop, region, p)
	if err != nil || c == nil {
		return m, "", err
	}
	if err := b.ss.s.checkRow(b.w.ctx, b.w.tx, tables["customers"], c.id); err != nil {
		return 0, "", err // fail closed: a row edited in the file is not written over
	}
	return m, c.id, nil
}

// UpdateImported updates a customer from a re-imported row: the fields the row has replace
// the stored ones, the fields it leaves empty are kept, the owner stays, and the source is set
// only where the record has none. It reports whether anything changed.
func (b *Batch) UpdateImported(id string, in CustomerInput) (bool, error) {
	c, err := b.ss.s.loadCust(b.w.ctx, b.w.tx, id)
	if err != nil {
		return false, err
	}
	changed, err := b.w.updateCustomer(b.ss, c, in, true)
	if err != nil {
		return false, err
	}
	if changed {
		b.added = append(b.added, id)
	}
	b.custs[id], b.keyed[id] = c, true
	return changed, nil
}

// BikeMatch is how an imported bike relates to the stored bikes of its customer's shop.
type BikeMatch uint8

// The bike matches.
const (
	BikeNew           BikeMatch = iota // no bike has the serial (or the row has none): added
	BikeUpdate                         // the customer's bike with this serial: updated
	BikeNoCustomer                     // no customer (of the shop, visible) has the row's source or id
	BikeOtherCustomer                  // the serial is another customer's bike: skipped, never moved
	BikeNotYours                       // the customer is one the user may not change
)

func (m BikeMatch) String() string {
	return [...]string{"new", "update", "no_customer", "other_customer", "not_yours"}[m]
}

// BikeProbe is what an imported bike is matched by: its normalised serial, and its customer's
// source reference or Spoke id.
type BikeProbe struct {
	Serial, CustomerSource, CustomerID string
}

// matchBike finds a bike row's customer and classifies the bike.
func (ss *Session) matchBike(ctx context.Context, q querier, shop string, p BikeProbe) (BikeMatch, *custRow, string, error) {
	var c *custRow
	switch {
	case p.CustomerSource != "":
		norm, err := NormalizeSource(p.CustomerSource)
		if err != nil {
			return BikeNoCustomer, nil, "", nil
		}
		b, err := ss.s.bidx(ctx, shop, "source", norm)
		if err != nil {
			return 0, nil, "", err
		}
		found, err := queryCusts(ctx, q, "SELECT "+custCols+" FROM customers WHERE shop_id = ? AND deleted_at = 0 AND source_bidx = ? ORDER BY created_at, id LIMIT 1", shop, b)
		if err != nil {
			return 0, nil, "", err
		}
		if len(found) == 1 {
			c = found[0]
		}
	case p.CustomerID != "":
		found, err := queryCusts(ctx, q, "SELECT "+custCols+" FROM customers WHERE id = ? AND shop_id = ? AND deleted_at = 0", p.CustomerID, shop)
		if err != nil {
			return 0, nil, "", err
		}
		if len(found) == 1 {
			c = found[0]
		}
	}
	if c == nil {
		return BikeNoCustomer, nil, "", nil
	}
	if _, ok := ss.permits(OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); !ok {
		return BikeNotYours, nil, "", nil
	}
	if p.Serial == "" {
		return BikeNew, c, "", nil
	}
	b, err := ss.s.bidx(ctx, shop, "serial", p.Serial)
	if err != nil {
		return 0, nil, "", err
	}
	var bikeID, owner string
	err = q.QueryRowContext(ctx, "SELECT id, customer_id FROM bikes WHERE shop_id = ? AND deleted_at = 0 AND serial_bidx = ? ORDER BY created_at, id LIMIT 1", shop, b).Scan(&bikeID, &owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return BikeNew, c, "", nil
	case err != nil:
		return 0, nil, "", err
	case owner != c.id:
		return BikeOtherCustomer, nil, "", nil
	}
	return BikeUpdate, c, bikeID, nil
}

// PreviewBikes matches the rows of a bike import into shopID ("" the user's, or the only
// shop) for the preview, audited with the counts.
func (ss *Session) PreviewBikes(ctx context.Context, shopID string, probes []BikeProbe) ([]BikeMatch, error) {
	in := CustomerInput{ShopID: shopID}
	if err := ss.resolveShopOwner(ctx, ss.s.db, &in); err != nil {
		return nil, err
	}
	grant, err := ss.require(ctx, OpCustomerWrite, target{shopID: in.ShopID, ownerID: ss.user.ID}, "bike.import.preview", in.ShopID)
	if err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, "bike.import.preview", in.ShopID); err != nil {
		return nil, err
	}
	out := make([]BikeMatch, len(probes))
	var counts [5]int
	for i, p := range probes {
		m, _, _, err := ss.matchBike(ctx, ss.s.db, in.ShopID, p)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		out[i] = m
		counts[m]++
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "bike.import.preview", Target: in.ShopID, Fields: []string{"source", "bikes.serial"}, Grant: grant,
		Detail: fmt.Sprintf("rows=%d new=%d updates=%d no_customer=%d other_customer=%d not_yours=%d", len(probes), counts[BikeNew], counts[BikeUpdate], counts[BikeNoCustomer], counts[BikeOtherCustomer], counts[BikeNotYours])}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// BikeShop resolves the shop a bike import goes to ("" the user's, or the only shop) and
// checks the user may change customers there.
func (b *Batch) BikeShop(shopID string) (string, error) {
	in := CustomerInput{ShopID: shopID}
	if err := b.ss.resolveShopOwner(b.w.ctx, b.w.tx, &in); err != nil {
		return "", err
	}
	if _, err := b.w.allow(b.ss, OpCustomerWrite, target{shopID: in.ShopID, ownerID: b.ss.user.ID}); err != nil {
		return "", err
	}
	return in.ShopID, nil
}

// ImportBike adds or updates one imported bike as matchBike classifies it: a new bike is
// added to its customer as AddBike does; a bike the customer already has (same serial) gets
// the row's make, model, year and type where the row has them. Any other match writes
// nothing. It returns the match.
func (b *Batch) ImportBike(shop string, p BikeProbe, bike Bike) (BikeMatch, error) {
	m, c, bikeID, err := b.ss.matchBike(b.w.ctx, b.w.tx, shop, p)
	if err != nil {
		return 0, err
	}
	switch m {
	case BikeNew:
		if err := b.ss.s.checkRow(b.w.ctx, b.w.tx, tables["customers"], c.id); err != nil {
			return 0, err
		}
		b.custs[c.id], b.keyed[c.id] = c, true
		bike.Serial = p.Serial
		_, err := b.AddBike(c.id, bike, time.Time{})
		return m, err
	case BikeUpdate:
		return m, b.updateBike(c, bikeID, bike)
	}
	return m, nil
}

// updateBike writes the changed business fields of a stored bike.
func (b *Batch) updateBike(c *custRow, id string, in Bike) error {
	if _, err := b.w.allow(b.ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
		return err
	}
	if err := b.ss.s.checkRow(b.w.ctx, b.w.tx, tables["bikes"], id); err != nil {
		return err
	}
	var old Bike
	if err := b.w.tx.QueryRowContext(b.w.ctx, "SELECT make, model, year, type FROM bikes WHERE id = ?", id).Scan(&old.Make, &old.Model, &old.Year, &old.Type); err != nil {
		return err
	}
	if in.Make == "" {
		in.Make = old.Make
	}
	if err := in.validate(b.ss.s.opts.Now()); err != nil {
		return err
	}
	var cols []col
	for _, f := range []struct {
		col      string
		old, new any
		empty    bool
	}{
		{"make", old.Make, in.Make, in.Make == ""}, {"model", old.Model, in.Model, in.Model == ""},
		{"year", old.Year, in.Year, in.Year == 0}, {"type", old.Type, in.Type, in.Type == ""},
	} {
		if f.empty || f.old == f.new {
			continue
		}
		cols = append(cols, plain(f.col, f.new))
	}
	if len(cols) == 0 {
		return nil
	}
	cols = append(cols, plain("updated_at", b.w.now))
	return b.w.update("bikes", c.shopID, id, cols)
}
