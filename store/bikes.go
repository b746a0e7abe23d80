package store

import (
	"context"
	"strings"
	"time"

	"spoke/store/contact"
)

// Bike is a customer's bike. Serial is personal (it identifies a person's property) and sealed.
type Bike struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Make       string `json:"make"`
	Model      string `json:"model"`
	Year       int    `json:"year,omitempty"`
	Type       string `json:"type,omitempty"`
	FrameSize  string `json:"frame_size,omitempty"`
	Colour     string `json:"colour,omitempty"`
	Serial     string `json:"serial,omitempty"`
	Notes      string `json:"notes,omitempty"` // fit and service notes (saddle height, torque limits): sealed
	// SoldAt is when this shop sold the bike new (zero: not sold here, or not known); the
	// first-service and yearly reminders count from it (reminders.go).
	SoldAt    time.Time `json:"sold_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
}

// BikeTypes are the kinds of bike a shop records.
var BikeTypes = []string{"road", "gravel", "mtb", "hybrid", "e-bike", "kids", "cargo", "bmx", "other"}

func (b *Bike) validate(now time.Time) error {
	var ve ValidationError
	b.Make, b.Model = strings.TrimSpace(b.Make), strings.TrimSpace(b.Model)
	if b.Make == "" {
		ve.add("make", "is required")
	}
	if len(b.Make) > 100 || len(b.Model) > 100 || len(b.Colour) > 50 || len(b.FrameSize) > 20 || len(b.Notes) > 2000 {
		ve.add("bike", "a text field is too long")
	}
	if !b.SoldAt.IsZero() && (b.SoldAt.After(now.Add(24*time.Hour)) || b.SoldAt.Year() < 1990) {
		ve.add("sold_at", "is not a plausible date of sale")
	}
	if b.Year != 0 && (b.Year < 1900 || b.Year > now.Year()+1) {
		ve.add("year", "is not a plausible model year")
	}
	if b.Type != "" {
		ok := false
		for _, t := range BikeTypes {
			ok = ok || t == b.Type
		}
		if !ok {
			ve.add("type", "must be one of "+strings.Join(BikeTypes, ", "))
		}
	}
	if s := strings.TrimSpace(b.Serial); s != "" {
		n, err := contact.NormalizeSerial(s)
		if err != nil {
			ve.add("serial", "may use only letters, digits and '/' (up to 64)")
		}
		b.Serial = n
	} else {
		b.Serial = ""
	}
	return ve.orNil()
}

// AddBike records a bike for a customer the user may edit.
func (ss *Session) AddBike(ctx context.Context, customerID string, b Bike) (string, error) {
	var id string
	err := ss.write(ctx, "bike.create", func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, customerID)
		if err != nil {
			return err
		}
		w.audit.Target = customerID
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		if err := b.validate(ss.s.opts.Now()); err != nil {
			return err
		}
		id, err = w.insertBike(c, b, w.now)
		return err
	})
	return id, err
}

func (w *wtx) insertBike(c *custRow, b Bike, createdAt int64) (string, error) {
	id := newID()
	k, err := w.s.dek(w.ctx, c)
	if err != nil {
		return "", err
	}
	serial, err := sealField(k, "bikes", id, "serial", b.Serial)
	if err != nil {
		return "", err
	}
	notes, err := sealField(k, "bikes", id, "notes", b.Notes)
	if err != nil {
		return "", err
	}
	idx, err := w.indexCols("bikes", c.shopID, map[string]string{"serial": b.Serial})
	if err != nil {
		return "", err
	}
	err = w.insert("bikes", c.shopID, id, []col{
		plain("customer_id", c.id), plain("shop_id", c.shopID), plain("make", b.Make), plain("model", b.Model),
		plain("year", b.Year), plain("type", b.Type), plain("frame_size", b.FrameSize), plain("colour", b.Colour),
		sealedCol("serial", serial), idx[0], sealedCol("notes", notes), plain("created_at", createdAt), plain("updated_at", createdAt),
		plain("sold_at", soldAtMillis(b.SoldAt)),
	})
	w.audit.Fields = append(w.audit.Fields, "bikes.serial")
	return id, err
}

func soldAtMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// bikesOf returns a customer's bikes; minimal views get no serials.
func (s *Store) bikesOf(ctx context.Context, c *custRow, minimal bool) ([]Bike, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, make, model, year, type, frame_size, colour, serial, notes, created_at, sold_at FROM bikes WHERE customer_id = ? AND deleted_at = 0 ORDER BY created_at, id", c.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Bike
	var sealedSerials, sealedNotes [][]byte
	for rows.Next() {
		var b Bike
		var serial, notes []byte
		var created, sold int64
		if err := rows.Scan(&b.ID, &b.Make, &b.Model, &b.Year, &b.Type, &b.FrameSize, &b.Colour, &serial, &notes, &created, &sold); err != nil {
			return nil, err
		}
		if sold > 0 {
			b.SoldAt = time.UnixMilli(sold).UTC()
		}
		b.CustomerID, b.CreatedAt = c.id, time.UnixMilli(created)
		out = append(out, b)
		sealedSerials, sealedNotes = append(sealedSerials, serial), append(sealedNotes, notes)
	}
	if err := rows.Err(); err != nil || minimal {
		return out, err
	}
	k, err := s.dek(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Serial, err = openField(k, "bikes", out[i].ID, "serial", sealedSerials[i]); err != nil {
			return nil, err
		}
		if out[i].Notes, err = openField(k, "bikes", out[i].ID, "notes", sealedNotes[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
