package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The audit actions of printing: one entry per document printed, with the job's or sale's id as
// target, the fields opened, and ids and counts as detail (never a value).
const (
	ActionWorkOrderPrint = "work_order.print"
	ActionSalePrint      = "sale.print"
	ActionNoticePrint    = "notice.print"
	ActionShopPaper      = "shop.paper"
)

// ShopPaper is what a shop's printed paper says of the shop beyond its name: the address and
// phone for the header, and the terms line of a work-order ticket ("" = the default terms).
// It is business data, kept in the org settings (owner-set, synced).
type ShopPaper struct {
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Terms   string `json:"terms,omitempty"`
}

func shopPaperSetting(shopID string) string { return "paper.shop." + shopID }

// SetShopPaper sets a shop's address, phone and ticket terms for printing (owner). The trail
// records that they changed, not what they say.
func (ss *Session) SetShopPaper(ctx context.Context, shopID string, p ShopPaper) error {
	p.Address, p.Phone, p.Terms = strings.TrimSpace(p.Address), strings.TrimSpace(p.Phone), strings.TrimSpace(p.Terms)
	var ve ValidationError
	if utf8.RuneCountInString(p.Address) > 300 {
		ve.add("address", "is longer than 300 characters")
	}
	if utf8.RuneCountInString(p.Phone) > 40 {
		ve.add("phone", "is longer than 40 characters")
	}
	if utf8.RuneCountInString(p.Terms) > 600 {
		ve.add("terms", "is longer than 600 characters")
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	return ss.write(ctx, ActionShopPaper, func(w *wtx) error {
		w.audit.Target = shopID
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		var one int
		if err := w.tx.QueryRowContext(ctx, "SELECT 1 FROM shops WHERE id = ?", shopID).Scan(&one); err != nil {
			return fmt.Errorf("shop %s: %w", shopID, ErrNotFound)
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		value := string(b)
		if p == (ShopPaper{}) {
			value = ""
		}
		w.audit.Fields = []string{"address", "phone", "terms"}
		return w.putSettingUnshown(ss.user.ID, shopPaperSetting(shopID), value)
	})
}

// putSettingUnshown is putSetting for a value of free text: the trail's change entry says
// "set" or "-", not the text.
func (w *wtx) putSettingUnshown(userID, name, value string) error {
	id := settingID(name)
	shown := func(v string) string {
		if v == "" {
			return ""
		}
		return "set"
	}
	var cur string
	err := w.tx.QueryRowContext(w.ctx, "SELECT value FROM org_settings WHERE id = ?", id).Scan(&cur)
	switch {
	case err == nil && cur == value:
		return nil
	case err == nil:
		w.settingChanged(name, shown(cur), shown(value)+map[bool]string{true: "(changed)", false: ""}[cur != "" && value != ""])
		return w.update("org_settings", OrgScope, id, []col{plain("value", value), plain("set_by", userID), plain("set_at", w.now)})
	case errors.Is(err, sql.ErrNoRows):
		w.settingChanged(name, "", shown(value))
		return w.insert("org_settings", OrgScope, id, []col{plain("name", name), plain("value", value), plain("set_by", userID), plain("set_at", w.now)})
	}
	return err
}

// shopPaper reads a shop's paper settings; none set (or unreadable) is the zero value.
func (s *Store) shopPaper(ctx context.Context, shopID string) ShopPaper {
	vals, _, err := s.orgSettings(ctx, s.db)
	var p ShopPaper
	if err != nil {
		return p
	}
	if v := vals[shopPaperSetting(shopID)]; v != "" {
		if json.Unmarshal([]byte(v), &p) != nil {
			return ShopPaper{}
		}
	}
	return p
}

// ShopPaperOf returns a shop's paper settings (every signed-in user may read them: business
// data).
func (ss *Session) ShopPaperOf(ctx context.Context, shopID string) (ShopPaper, error) {
	if err := ss.gone(); err != nil {
		return ShopPaper{}, err
	}
	return ss.s.shopPaper(ctx, shopID), nil
}

func (s *Store) shopByID(ctx context.Context, id string) (Shop, error) {
	var sh Shop
	err := s.db.QueryRowContext(ctx, "SELECT id, name, region, currency FROM shops WHERE id = ?", id).Scan(&sh.ID, &sh.Name, &sh.Region, &sh.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return sh, fmt.Errorf("shop %s: %w", id, ErrNotFound)
	}
	return sh, err
}

// PrintDoc names a document of a work order.
type PrintDoc string

// The work order's documents.
const (
	DocTicket PrintDoc = "ticket" // the customer's copy
	DocTag    PrintDoc = "tag"    // the label on the bike
)

// WorkOrderPrint is what a work order's ticket or tag shows, for the signed-in user: the job
// with its lines, the shop and its paper settings, the bike (without its serial), and the
// customer's name and phone only where the user may see them (owner, manager, the customer's
// salesperson, the mechanic of the open job; on a tag only the surname).
type WorkOrderPrint struct {
	Doc       PrintDoc
	WorkOrder WorkOrder // Complaint is empty on a tag
	Shop      Shop
	Paper     ShopPaper
	Bike      *Bike // nil: none recorded
	Customer  string
	Phone     string
	PrintedAt time.Time
}

// JobNumber is what the counter calls a job: the random tail of its id (the leading digits of
// a UUIDv7 are its time, shared by every job opened that minute), as XXXX-XXXX.
func JobNumber(id string) string {
	h := strings.ToUpper(strings.ReplaceAll(id, "-", ""))
	if len(h) < 8 {
		return h
	}
	h = h[len(h)-8:]
	return h[:4] + "-" + h[4:]
}

// PrintWorkOrder assembles a work order's ticket or tag for the user, with the access rules of
// the job (OpWorkOrders: a mechanic only for a job assigned to them and still open; marketing
// and the auditor never) and of the customer (name and phone as Customer would give them). It
// is audited as work_order.print with the fields opened; the detail holds the document and the
// number of lines.
func (ss *Session) PrintWorkOrder(ctx context.Context, woID string, doc PrintDoc) (*WorkOrderPrint, error) {
	if doc != DocTicket && doc != DocTag {
		return nil, &FieldError{"document", "must be ticket or tag"}
	}
	r, c, err := ss.loadWO(ctx, ss.s.db, woID)
	if errors.Is(err, ErrNotFound) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: ActionWorkOrderPrint, Target: woID, Outcome: "denied", Detail: "doc=" + string(doc)})
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	g, err := ss.require(ctx, OpWorkOrders, ss.woTarget(r, c), ActionWorkOrderPrint, woID)
	if err != nil {
		return nil, err
	}
	if err := ss.trainingGate(ctx, ActionWorkOrderPrint, woID); err != nil {
		return nil, err // the ticket carries the customer's name and phone
	}
	// The job itself, with its text only on the ticket (the tag hangs in the workshop).
	jobs, err := ss.s.workOrdersOf(ctx, c, "", doc == DocTicket)
	if err != nil {
		return nil, err
	}
	out := &WorkOrderPrint{Doc: doc, PrintedAt: time.UnixMilli(ss.s.opts.Now().UnixMilli())}
	found := false
	for _, j := range jobs {
		if j.ID == woID {
			out.WorkOrder, found = j, true
		}
	}
	if !found {
		return nil, ErrNotFound
	}
	out.WorkOrder.Notes = "" // staff notes stay off the customer's paper
	if out.Shop, err = ss.s.shopByID(ctx, r.shopID); err != nil {
		return nil, err
	}
	out.Paper = ss.s.shopPaper(ctx, r.shopID)
	if out.WorkOrder.BikeID != "" {
		bikes, err := ss.s.bikesOf(ctx, c, true) // minimal: no serial, no notes
		if err != nil {
			return nil, err
		}
		for _, b := range bikes {
			if b.ID == out.WorkOrder.BikeID {
				b := b
				b.Serial, b.Notes = "", ""
				out.Bike = &b
			}
		}
	}
	fields := []string{}
	if doc == DocTicket {
		fields = append(fields, "work_orders.complaint")
	}
	// Name and phone where the customer's own rules give them to this user.
	if v, err := ss.view(ctx, c); err == nil && v != BreakGlass {
		o, err := ss.s.openCust(ctx, c, true)
		if err != nil {
			return nil, err
		}
		if doc == DocTicket {
			out.Customer, out.Phone = o.name, o.phone
			fields = append(fields, "customers.name", "customers.phone")
		} else {
			out.Customer = Surname(o.name)
			fields = append(fields, "customers.name")
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: ActionWorkOrderPrint, Target: woID, Fields: fields, Grant: g,
		Detail: fmt.Sprintf("doc=%s lines=%d", doc, len(out.WorkOrder.Lines))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// Surname is what a tag shows of a name: the family name, as far as it can be told: the first
// character of a name written in Chinese, Japanese or Korean without spaces (王小明 → 王), else
// the last word ("Olivia Bennett" → "Bennett"); a name of one word is cut to its initial.
func Surname(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(name)
	if unicode.Is(unicode.Han, first) || unicode.Is(unicode.Hangul, first) || unicode.Is(unicode.Hiragana, first) || unicode.Is(unicode.Katakana, first) {
		if !strings.ContainsAny(name, " \u3000") {
			return string(first)
		}
		return strings.Fields(name)[0]
	}
	words := strings.Fields(name)
	if len(words) == 1 {
		return string(first) + "."
	}
	return words[len(words)-1]
}

// FirstName is what a receipt shows of a seller's name: the first word of a name written with
// spaces ("Lena Vogel" → "Lena"); "" for a name in Chinese, Japanese or Korean written without
// them, where the first characters are the family name (the receipt then names the role).
func FirstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(f[0])
	if len(f) == 1 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)) {
		return ""
	}
	return f[0]
}

// SalePrint is what a sale receipt shows: the sale with its lines, the shop and its paper
// settings, and the seller by first name (by role where the name cannot be read). It names no
// customer.
type SalePrint struct {
	Sale   Sale
	Shop   Shop
	Paper  ShopPaper
	Seller string
	Role   Role // the seller's role, for the receipt to name where Seller is ""
}

// PrintSale assembles a sale's receipt for the user with the access rules of the sales list
// (owner all, manager their shop, a salesperson their own customers' sales and their own
// walk-in sales), audited as sale.print with the number of lines.
func (ss *Session) PrintSale(ctx context.Context, saleID string) (*SalePrint, error) {
	var sl Sale
	var cust sql.NullString
	var at int64
	err := ss.s.db.QueryRowContext(ctx, "SELECT id, shop_id, customer_id, seller_id, payment_method, total, sold_at FROM sales WHERE id = ?", saleID).
		Scan(&sl.ID, &sl.ShopID, &cust, &sl.SellerID, &sl.PaymentMethod, &sl.Total, &at)
	if errors.Is(err, sql.ErrNoRows) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: ActionSalePrint, Target: saleID, Outcome: "denied"})
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sl.CustomerID, sl.SoldAt = cust.String, time.UnixMilli(at)
	t := target{shopID: sl.ShopID, ownerID: sl.SellerID}
	if sl.CustomerID != "" {
		c, err := ss.s.loadCust(ctx, ss.s.db, sl.CustomerID)
		if err == nil {
			t.ownerID = c.ownerID
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		} else {
			t.ownerID = "" // the customer is gone: the shop's managers keep the sale
		}
	}
	g, err := ss.require(ctx, OpSales, t, ActionSalePrint, saleID)
	if err != nil {
		return nil, err
	}
	if sl.Lines, err = ss.s.linesOf(ctx, "sale_lines", "sale_id", sl.ID); err != nil {
		return nil, err
	}
	out := &SalePrint{Sale: sl}
	if out.Shop, err = ss.s.shopByID(ctx, sl.ShopID); err != nil {
		return nil, err
	}
	out.Paper = ss.s.shopPaper(ctx, sl.ShopID)
	fields := []string{}
	if us, err := ss.s.verifiedUsers(ctx, "id = ?", sl.SellerID); err == nil && len(us) == 1 {
		for _, r := range strings.Split(us[0].roles, ",") {
			if out.Role == "" && r != "" {
				out.Role = Role(r)
			}
		}
		if u, err := ss.s.toUser(ctx, us[0]); err == nil {
			if first := FirstName(u.DisplayName); first != "" {
				out.Seller = first
				fields = append(fields, "users.display_name")
			}
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: ActionSalePrint, Target: saleID, Fields: fields, Grant: g,
		Detail: fmt.Sprintf("lines=%d", len(sl.Lines))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// PrintNotice checks that the user may speak for the shop (PrivacyShops, as the notice's HTML
// does: owner, the shop's manager) and records that its privacy notice was printed:
// notice.print, with the shop's id and the language.
func (ss *Session) PrintNotice(ctx context.Context, shopID, lang string) (Shop, error) {
	shops, err := ss.PrivacyShops(ctx, DocNotice, shopID)
	if err != nil {
		return Shop{}, err
	}
	if len(shops) != 1 {
		return Shop{}, &FieldError{"shop", "a notice is for one shop: choose it"}
	}
	if lang != "en" && lang != "zh" {
		lang = "other"
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: ActionNoticePrint, Target: shops[0].ID, Detail: "lang=" + lang}); err != nil {
		return Shop{}, fmt.Errorf("audit: %w", err)
	}
	return shops[0], nil
}
