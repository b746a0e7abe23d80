// Package printout is what the counter prints, from the store to PDF bytes: it asks the
// signed-in Session for a document's data (the store checks the grant and audits the print)
// and hands it to spoke/paper to render. The CLI's `spoke print` and the GUI's Print… buttons
// both go through it, so they print the same paper.
//
// It names files by ids only (FileName), never by a person, and puts no value into an error.
package printout

import (
	"context"
	"regexp"
	"strings"
	"time"

	"spoke/compliance/processing"
	"spoke/compliance/subject"
	"spoke/paper"
	"spoke/store"
)

// Kind is a document the counter prints.
type Kind string

// The documents.
const (
	Ticket  Kind = "ticket"  // the customer's copy of a work order
	Tag     Kind = "tag"     // the label on the bike
	Receipt Kind = "receipt" // a sale receipt (not a fiscal receipt)
	Notice  Kind = "notice"  // the shop's privacy notice
)

// Lang turns a language name (en, zh, zh-Hans...) into the paper's; anything else is English.
func Lang(s string) paper.Lang {
	if l, err := processing.ParseLang(s); err == nil && l == processing.ZH {
		return paper.ZH
	}
	return paper.EN
}

func shop(s store.Shop, p store.ShopPaper) paper.Shop {
	return paper.Shop{Name: s.Name, Address: p.Address, Phone: p.Phone, Region: s.Region, Currency: s.Currency}
}

func lines(ls []store.Line) []paper.Line {
	out := make([]paper.Line, 0, len(ls))
	for _, l := range ls {
		out = append(out, paper.Line{Kind: l.Kind, Description: l.Description, Qty: l.Qty, UnitPrice: l.UnitPrice})
	}
	return out
}

// WorkOrder prints a work order's ticket or tag.
func WorkOrder(ctx context.Context, ss *store.Session, woID string, kind Kind, l paper.Lang) ([]byte, error) {
	doc := store.DocTicket
	if kind == Tag {
		doc = store.DocTag
	}
	p, err := ss.PrintWorkOrder(ctx, woID, doc)
	if err != nil {
		return nil, err
	}
	var bike paper.Bike
	if p.Bike != nil {
		bike = paper.Bike{Make: p.Bike.Make, Model: p.Bike.Model, Colour: p.Bike.Colour, FrameSize: p.Bike.FrameSize}
	}
	wo := p.WorkOrder
	if kind == Tag {
		return paper.RenderTag(paper.Tag{Lang: l, Shop: p.Shop.Name, JobNumber: store.JobNumber(wo.ID), Name: p.Customer, Bike: bike, Promised: wo.PromisedAt})
	}
	return paper.RenderTicket(paper.Ticket{Lang: l, Shop: shop(p.Shop, p.Paper), JobNumber: store.JobNumber(wo.ID), WorkOrder: wo.ID,
		DateIn: wo.CreatedAt, Promised: wo.PromisedAt, Bike: bike, Work: wo.Complaint, Lines: lines(wo.Lines),
		Labour: wo.LabourTotal, Parts: wo.PartsTotal, Total: wo.Total, Customer: p.Customer, Phone: p.Phone, Terms: p.Paper.Terms, PrintedAt: p.PrintedAt})
}

var roleNames = map[store.Role][2]string{
	store.RoleOwner: {"the owner", "店主"}, store.RoleManager: {"the shop manager", "店长"}, store.RoleSales: {"sales", "销售"},
	store.RoleMechanic: {"the workshop", "维修部"},
}

// Sale prints a sale's receipt.
func Sale(ctx context.Context, ss *store.Session, saleID string, l paper.Lang) ([]byte, error) {
	p, err := ss.PrintSale(ctx, saleID)
	if err != nil {
		return nil, err
	}
	seller := p.Seller
	if seller == "" {
		if n, ok := roleNames[p.Role]; ok {
			seller = n[0]
			if l == paper.ZH {
				seller = n[1]
			}
		}
	}
	return paper.RenderReceipt(paper.Receipt{Lang: l, Shop: shop(p.Shop, p.Paper), Sale: p.Sale.ID, SoldAt: p.Sale.SoldAt,
		Lines: lines(p.Sale.Lines), Total: p.Sale.Total, Payment: p.Sale.PaymentMethod, Seller: seller})
}

// PrivacyNotice prints the privacy notice of a shop ("" = the one shop the user speaks for);
// contact is where to send a request beyond the counter ("" = the shop's address as its paper
// settings hold it); now dates it.
func PrivacyNotice(ctx context.Context, ss *store.Session, shopID string, l paper.Lang, contact string, now time.Time) ([]byte, error) {
	pl := processing.EN
	if l == paper.ZH {
		pl = processing.ZH
	}
	sh, err := ss.PrintNotice(ctx, shopID, string(pl))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(contact) == "" {
		if sp, err := ss.ShopPaperOf(ctx, sh.ID); err == nil {
			contact = strings.Join(strings.Fields(strings.Join(nonEmpty(sp.Address, sp.Phone), " · ")), " ")
		}
	}
	rec := processing.Build([]store.Shop{sh}, store.PersonalFields(), subject.Settings(ctx, ss, now))
	n, err := rec.PaperNotice(pl, contact)
	if err != nil {
		return nil, err
	}
	return paper.RenderNotice(n)
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}

var idShape = regexp.MustCompile(`^[0-9A-Fa-f-]{8,64}$`)

// FileName is the default file name of a document: its kind and the id it prints (the job
// number for a work order), never a person's name: ticket-0A7F-19C2.pdf. Something that is not
// shaped like an id (a name typed where the id goes) is left out.
func FileName(kind Kind, id string) string {
	if !idShape.MatchString(id) {
		return string(kind) + ".pdf"
	}
	switch kind {
	case Ticket, Tag:
		id = store.JobNumber(id)
	default:
		id = strings.ReplaceAll(id, "-", "")
		if len(id) > 12 {
			id = id[len(id)-12:]
		}
	}
	return string(kind) + "-" + id + ".pdf"
}
