package csvimport

import (
	"context"
	"fmt"
	"time"

	"spoke/store"
)

// Target says where imported customers go: shop and owner default as for
// store.Session.CreateCustomer (the user's shop, or the only one; the user).
type Target struct {
	ShopID  string
	OwnerID string
}

// Region returns the phone region to parse an import for t with: the target shop's.
func Region(ctx context.Context, ss *store.Session, t Target) (string, error) {
	return ss.CustomerRegion(ctx, t.ShopID, t.OwnerID)
}

// Candidates says what an import does with a row that matches a stored customer only by
// e-mail or phone (a candidate): never a merge.
type Candidates uint8

const (
	// SkipCandidates leaves candidates out (the default): the user looks at them and adds
	// the ones that are other people by hand, or imports again with CandidatesAsNew.
	SkipCandidates Candidates = iota
	// CandidatesAsNew imports candidates as new customers: the user has said that the
	// matches are family members sharing an address or a number, not the same person.
	CandidatesAsNew
)

// Preview is what an import of a parsed file would do, without personal data: the mapping,
// and the rows by what would happen to them, as line numbers.
type Preview struct {
	// System is the system source ids are read as ("" without a customer id column).
	System string
	// Columns is the mapping, every column of the file; its Header texts are file content.
	Columns []Column
	// New rows match no stored customer; Updates have the source id of one (and update
	// it); Candidates match one only by e-mail or phone; NotYours have the source id of a
	// customer the user may not change (skipped).
	New, Updates, Candidates, NotYours []int
	// Erased rows have the source id of a customer erased from the shop: skipped, so an old
	// export does not bring the person back.
	Erased []int
	// Invalid are the lines that cannot be imported, with line and reason, never values.
	Invalid []LineError
}

// PreviewImport matches the rows of res against the stored customers of t's shop (through
// the blind indexes; audited with the counts) and returns the preview. Nothing is written.
func PreviewImport(ctx context.Context, ss *store.Session, t Target, res *Result) (*Preview, error) {
	p := &Preview{System: res.System, Columns: res.Columns, Invalid: res.Errors}
	probes := make([]store.ImportProbe, len(res.Rows))
	for i, r := range res.Rows {
		probes[i] = store.ImportProbe{Source: r.Source, Email: r.Email, Phone: r.Phone, PhoneAlt: r.PhoneAlt}
	}
	matches, err := ss.PreviewImport(ctx, t.ShopID, t.OwnerID, probes)
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		line := res.Rows[i].Line
		switch m {
		case store.MatchNew:
			p.New = append(p.New, line)
		case store.MatchUpdate:
			p.Updates = append(p.Updates, line)
		case store.MatchCandidate:
			p.Candidates = append(p.Candidates, line)
		case store.MatchNotYours:
			p.NotYours = append(p.NotYours, line)
		case store.MatchErased:
			p.Erased = append(p.Erased, line)
		}
	}
	return p, nil
}

// Summary is what an import did: counts, and the new customers' ids.
type Summary struct {
	// IDs are the new customers' ids in row order.
	IDs []string
	// Added counts new customers (CandidatesAdded of them candidates imported as new);
	// Updated customers found by source id whose record changed, Unchanged those that did
	// not; CandidatesSkipped and NotYours rows written nowhere; Bikes bikes added.
	Added, Updated, Unchanged, CandidatesSkipped, CandidatesAdded, NotYours, Erased, Bikes int
}

// Import writes parsed rows as ImportRows does with SkipCandidates and returns the new
// customers' ids in row order.
func Import(ctx context.Context, ss *store.Session, t Target, rows []Row, progress func(done, total int)) ([]string, error) {
	s, err := ImportRows(ctx, ss, t, rows, SkipCandidates, progress)
	if err != nil {
		return nil, err
	}
	return s.IDs, nil
}

// ImportRows writes parsed rows through the store's batch write unit in one transaction, all
// or nothing. Every row is first matched as PreviewImport matches it (against the customers
// stored before the import, so the outcome is what the preview showed): a row with the source
// id of a stored customer updates that customer (the fields the row has replace the stored
// ones; empty cells keep what is there; the owner stays); a candidate is skipped or, with
// CandidatesAsNew, added; any other row is added through the same validation, sealing, change
// log and access check as CreateCustomer (a bike, when the row names one, as AddBike). The
// import is one audit entry with the counts. Errors name the row's line. progress(done,
// total), if not nil, is called every few rows from the importing goroutine, inside the
// transaction, so it must not touch the store.
func ImportRows(ctx context.Context, ss *store.Session, t Target, rows []Row, candidates Candidates, progress func(done, total int)) (*Summary, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	var sum *Summary
	err := ss.Batch(ctx, "customer.import", func(b *store.Batch) error {
		sum = &Summary{}
		shop, owner, err := b.CustomerTarget(t.ShopID, t.OwnerID)
		if err != nil {
			return err
		}
		type match struct {
			m  store.ImportMatch
			id string
		}
		matches := make([]match, len(rows))
		for i, r := range rows {
			m, id, err := b.MatchCustomer(shop, store.ImportProbe{Source: r.Source, Email: r.Email, Phone: r.Phone, PhoneAlt: r.PhoneAlt})
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			matches[i] = match{m, id}
		}
		for i, r := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := store.CustomerInput{Name: r.Name, Email: r.Email, Phone: r.Phone, PhoneAlt: r.PhoneAlt, Address: r.Address, Notes: r.Notes, Source: r.Source, ShopID: shop, OwnerID: owner}
			id := ""
			switch matches[i].m {
			case store.MatchNotYours:
				sum.NotYours++
			case store.MatchErased:
				sum.Erased++
			case store.MatchUpdate:
				id = matches[i].id
				changed, err := b.UpdateImported(id, c)
				if err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				if changed {
					sum.Updated++
				} else {
					sum.Unchanged++
				}
			case store.MatchCandidate:
				if candidates != CandidatesAsNew {
					sum.CandidatesSkipped++
					break
				}
				sum.CandidatesAdded++
				fallthrough
			default:
				if id, err = b.AddCustomer(c, time.Time{}); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				sum.IDs = append(sum.IDs, id)
				sum.Added++
			}
			if id != "" && (r.BikeMake != "" || r.BikeModel != "" || r.BikeSerial != "") {
				bk := store.Bike{Make: r.BikeMake, Model: r.BikeModel}
				if bk.Make == "" {
					bk.Make = "unknown"
				}
				m, err := b.ImportBike(shop, store.BikeProbe{Serial: r.BikeSerial, CustomerID: id}, bk)
				if err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				if m == store.BikeNew {
					sum.Bikes++
				}
			}
			if (i+1)%50 == 0 {
				progress(i+1, len(rows))
			}
		}
		progress(len(rows), len(rows))
		b.Summarize(shop, []string{"name", "email", "phone", "phone_alt", "address", "notes", "source", "bikes.serial"},
			fmt.Sprintf("customers=%d bikes=%d owner=%s updated=%d unchanged=%d candidates_skipped=%d candidates_added=%d not_yours=%d",
				sum.Added, sum.Bikes, owner, sum.Updated, sum.Unchanged, sum.CandidatesSkipped, sum.CandidatesAdded, sum.NotYours))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// BikePreview is what a bike import would do: the mapping and the rows by outcome.
type BikePreview struct {
	System  string
	Columns []Column
	// New bikes are added to their customer; Updates are the customer's bikes with that
	// serial (make, model, year and type updated). NoCustomer rows name no customer of the
	// shop; OtherCustomer rows have the serial of another customer's bike (never moved);
	// NotYours name a customer the user may not change. Those three are skipped.
	New, Updates, NoCustomer, OtherCustomer, NotYours []int
	Invalid                                           []LineError
}

func bikeProbe(r BikeRow) store.BikeProbe {
	return store.BikeProbe{Serial: r.Serial, CustomerSource: r.CustomerSource, CustomerID: r.CustomerID}
}

// PreviewBikes matches the rows of a bike file against the shop's customers and bikes
// (audited with the counts). Nothing is written.
func PreviewBikes(ctx context.Context, ss *store.Session, shopID string, res *BikeResult) (*BikePreview, error) {
	p := &BikePreview{System: res.System, Columns: res.Columns, Invalid: res.Errors}
	probes := make([]store.BikeProbe, len(res.Rows))
	for i, r := range res.Rows {
		probes[i] = bikeProbe(r)
	}
	matches, err := ss.PreviewBikes(ctx, shopID, probes)
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		lists := [...]*[]int{store.BikeNew: &p.New, store.BikeUpdate: &p.Updates, store.BikeNoCustomer: &p.NoCustomer, store.BikeOtherCustomer: &p.OtherCustomer, store.BikeNotYours: &p.NotYours}
		*lists[m] = append(*lists[m], res.Rows[i].Line)
	}
	return p, nil
}

// BikeSummary counts what a bike import did.
type BikeSummary struct {
	Added, Updated, NoCustomer, OtherCustomer, NotYours int
}

// ImportBikes writes the rows of a bike file in one audited, all-or-nothing transaction:
// each bike is attached to the customer its row names (by source id or Spoke id); a serial
// the customer already has updates that bike instead of adding a second one; rows naming no
// customer, another customer's serial, or a customer the user may not change are skipped and
// counted.
func ImportBikes(ctx context.Context, ss *store.Session, shopID string, rows []BikeRow) (*BikeSummary, error) {
	var sum *BikeSummary
	err := ss.Batch(ctx, "bike.import", func(b *store.Batch) error {
		sum = &BikeSummary{}
		shop, err := b.BikeShop(shopID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, err := b.ImportBike(shop, bikeProbe(r), store.Bike{Make: r.Make, Model: r.Model, Year: r.Year, Type: r.Type})
			if err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
			switch m {
			case store.BikeNew:
				sum.Added++
			case store.BikeUpdate:
				sum.Updated++
			case store.BikeNoCustomer:
				sum.NoCustomer++
			case store.BikeOtherCustomer:
				sum.OtherCustomer++
			case store.BikeNotYours:
				sum.NotYours++
			}
		}
		b.Summarize(shop, []string{"bikes.serial", "bikes.make", "bikes.model", "bikes.year", "bikes.type"},
			fmt.Sprintf("bikes=%d updated=%d no_customer=%d other_customer=%d not_yours=%d", sum.Added, sum.Updated, sum.NoCustomer, sum.OtherCustomer, sum.NotYours))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}
