package paper

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/signintech/gopdf"
)

// Lang is the language a document is printed in.
type Lang string

// The languages.
const (
	EN Lang = "en"
	ZH Lang = "zh"
)

// Shop is the shop a document is from: its name, and what the shop settings hold for its
// counter (address, phone, the terms line of a ticket).
type Shop struct {
	Name     string
	Address  string // may hold newlines
	Phone    string
	Region   string // ISO 3166-1 alpha-2: the receipt's fiscal note depends on it
	Currency string // ISO 4217: every amount of the document is in it
}

// Line is a labour or parts line; money in minor units.
type Line struct {
	Kind        string // "labour" or "part"
	Description string
	Qty         int64
	UnitPrice   int64
}

// Total is qty times unit price.
func (l Line) Total() int64 { return l.Qty * l.UnitPrice }

// Bike is what the ticket and the tag say of the bike.
type Bike struct {
	Make, Model, Colour, FrameSize string
}

// Ticket is the customer's copy of a work order.
type Ticket struct {
	Lang      Lang
	Shop      Shop
	JobNumber string // what the counter calls the job
	WorkOrder string // the full id, small
	DateIn    time.Time
	Promised  time.Time // zero: not promised
	Bike      Bike
	Work      string // what the customer asked for
	Lines     []Line
	Labour    int64
	Parts     int64
	Total     int64
	Customer  string // "" where the user may not see it
	Phone     string // likewise
	Terms     string // "" = the default terms line
	PrintedAt time.Time
}

// Tag is the label that hangs on the bike in the workshop.
type Tag struct {
	Lang      Lang
	Shop      string
	JobNumber string
	Name      string // surname or initials; "" where the user may not see the customer
	Bike      Bike
	Promised  time.Time
}

// Receipt is a sale receipt (not a fiscal receipt: it says so).
type Receipt struct {
	Lang    Lang
	Shop    Shop
	Sale    string // the sale's id
	SoldAt  time.Time
	Lines   []Line
	Total   int64
	Payment string // card, cash, bank_transfer, gift_card
	Seller  string // first name or role
}

// Notice is the shop's privacy notice: a title, a line under it, and sections.
type Notice struct {
	Lang     Lang
	Title    string
	Subtitle string
	Sections []Section
}

// Section is a heading with paragraphs, then items (a bold name and its text).
type Section struct {
	Heading    string
	Paragraphs []string
	Items      []Item
}

// Item is one entry of a section's list.
type Item struct {
	Name, Text string
}

var labels = map[string][2]string{
	"ticket":        {"Work order", "维修单"},
	"copy":          {"Customer copy", "客户联"},
	"job":           {"Job", "单号"},
	"date_in":       {"Date in", "接收日期"},
	"promised":      {"Promised", "约定取车"},
	"bike":          {"Bike", "自行车"},
	"make":          {"Make / model", "品牌 / 型号"},
	"colour":        {"Colour", "颜色"},
	"frame":         {"Frame size", "车架尺寸"},
	"customer":      {"Customer", "客户"},
	"phone":         {"Phone", "电话"},
	"work":          {"Work requested", "维修内容"},
	"desc":          {"Description", "项目"},
	"qty":           {"Qty", "数量"},
	"unit":          {"Unit price", "单价"},
	"amount":        {"Amount", "金额"},
	"labour":        {"Labour", "工时"},
	"parts":         {"Parts", "配件"},
	"total":         {"Total", "合计"},
	"status":        {"Status", "状态"},
	"printed":       {"Printed", "打印时间"},
	"terms":         {"Please bring this copy when you collect your bike. The amounts are an estimate until the work is done; we call you before doing more than agreed. Bikes not collected within 90 days of our call may be charged for storage.", "取车时请出示本联。完工前金额为估价；超出约定的维修，我们会先致电征得您同意。通知取车后 90 天内未取的自行车可能收取保管费。"},
	"receipt":       {"Sale receipt", "销售单"},
	"sale":          {"Sale", "销售单号"},
	"date":          {"Date", "日期"},
	"payment":       {"Payment", "付款方式"},
	"seller":        {"Served by", "经办人"},
	"notfiscal":     {"This is not a fiscal receipt. Spoke is not a cash register: the receipt that counts for tax is the one the shop's till issues.", "本单据不是发票或税务收据。Spoke 不是收银机：具有税务效力的凭证由门店收银系统开具。"},
	"none":          {"not set", "未定"},
	"page":          {"Page", "页"},
	"card":          {"card", "银行卡"},
	"cash":          {"cash", "现金"},
	"bank_transfer": {"bank transfer", "银行转账"},
	"gift_card":     {"gift card", "礼品卡"},
}

// The German note where the KassenSichV applies: this paper is no Kassenbeleg, the till's is.
const (
	kassenDE = "Kein Kassenbeleg: Dieses Dokument ist kein Beleg im Sinne der Kassensicherungsverordnung (KassenSichV, § 146a AO). Den Kassenbeleg erhalten Sie von der Kasse des Geschäfts."
	kassenEN = "Not a fiscal receipt: this document is not a receipt under Germany's KassenSichV (§ 146a AO). The receipt that counts for tax (Kassenbeleg) comes from the shop's till."
)

func (l Lang) t(key string) string {
	v, ok := labels[key]
	if !ok {
		return key
	}
	if l == ZH {
		return v[1]
	}
	return v[0]
}

func (l Lang) norm() Lang {
	if l == ZH {
		return ZH
	}
	return EN
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "CNY": "¥", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "CHF": "CHF "}

// zeroDecimals are the currencies without minor units (ISO 4217 exponent 0).
var zeroDecimals = map[string]bool{"JPY": true, "KRW": true, "ISK": true, "VND": true}

// Money formats minor units in a currency: $1,234.50, €12.00, ¥88.00.
func Money(minor int64, currency string) string {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole, cents := minor/100, minor%100
	if zeroDecimals[currency] {
		whole, cents = minor, -1
	}
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
		if currency == "" {
			sym = ""
		}
	}
	if cents >= 0 {
		b.WriteString(fmt.Sprintf(".%02d", cents))
	}
	return sign + sym + b.String()
}

func day(t time.Time, l Lang) string {
	if t.IsZero() {
		return l.t("none")
	}
	return t.Format("2006-01-02")
}

func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04")
}

// header sets the shop's name, address and phone at the top of a page.
func header(s *sheet, shop Shop, small bool) {
	w := s.frameW()
	size := 16.0
	if small {
		size = 12
	}
	s.block(clean(shop.Name, false), s.margin, w, style{size: size, bold: true, maxLines: 2})
	if a := clean(shop.Address, true); strings.TrimSpace(a) != "" {
		s.block(a, s.margin, w, style{size: size * 0.6, maxLines: 4, gray: 60})
	}
	if p := clean(shop.Phone, false); strings.TrimSpace(p) != "" {
		s.block(p, s.margin, w, style{size: size * 0.6, maxLines: 1, gray: 60})
	}
}

// field sets "label: value" as two columns.
func field(s *sheet, label, value string, size float64, maxLines int) {
	lw := s.frameW() * 0.28
	s.row([]column{{text: label, w: lw, bold: true}, {text: clean(value, true), w: s.frameW() - lw}}, size, maxLines)
}

// lineTable sets lines with their amounts, then the totals.
func lineTable(s *sheet, l Lang, lines []Line, currency string, totals [][2]string) {
	w := s.frameW()
	cols := func(a, b, c, d string, bold bool) []column {
		return []column{{text: a, w: w * 0.52, bold: bold}, {text: b, w: w * 0.1, align: gopdf.Right, bold: bold},
			{text: c, w: w * 0.19, align: gopdf.Right, bold: bold}, {text: d, w: w * 0.19, align: gopdf.Right, bold: bold}}
	}
	s.row(cols(l.t("desc"), l.t("qty"), l.t("unit"), l.t("amount"), true), 9, 1)
	s.rule()
	for _, ln := range lines {
		desc := clean(ln.Description, false)
		if ln.Kind == "labour" {
			desc = l.t("labour") + ": " + desc
		}
		s.row(cols(desc, strconv.FormatInt(ln.Qty, 10), Money(ln.UnitPrice, currency), Money(ln.Total(), currency), false), 9, 6)
	}
	s.rule()
	for _, t := range totals {
		s.row([]column{{text: t[0], w: w * 0.81, align: gopdf.Right, bold: true}, {text: t[1], w: w * 0.19, align: gopdf.Right, bold: true}}, 10, 1)
	}
}

// pageFooter numbers the pages and sets a line at the foot of each.
func pageFooter(l Lang, text string) func(s *sheet) {
	return func(s *sheet) {
		y := s.size.H - s.margin - 10
		ln := s.wrap(fmt.Sprintf("%s %d · %s", l.t("page"), s.page, text), 7, s.frameW(), false)
		if len(ln) > 0 {
			s.pdf.SetTextColor(110, 110, 110)
			first := ln[0]
			if len(ln) > 1 {
				first = s.ellipsis(first, 7, s.frameW())
			}
			s.draw(first, s.margin, y, 7)
			s.pdf.SetTextColor(0, 0, 0)
		}
	}
}

// RenderTicket prints the customer's copy of a work order on A4.
func RenderTicket(t Ticket) ([]byte, error) { return finish(t.set()) }

func (t Ticket) set() (*sheet, error) {
	l := t.Lang.norm()
	s, err := newSheet(sizeA4, 15*mm, 0, "Work order ticket")
	if err != nil {
		return nil, err
	}
	s.bottom = 14
	s.footer = pageFooter(l, l.t("job")+" "+clean(t.JobNumber, false))
	header(s, t.Shop, false)
	s.gap(6)
	s.block(l.t("ticket")+" · "+l.t("copy"), s.margin, s.frameW(), style{size: 13, bold: true, maxLines: 1})
	s.block(l.t("job")+" "+clean(t.JobNumber, false), s.margin, s.frameW(), style{size: 22, bold: true, maxLines: 1})
	if t.WorkOrder != "" {
		s.block(clean(t.WorkOrder, false), s.margin, s.frameW(), style{size: 7, gray: 110, maxLines: 1})
	}
	s.rule()
	field(s, l.t("date_in"), day(t.DateIn, l), 10, 1)
	field(s, l.t("promised"), day(t.Promised, l), 10, 1)
	if t.Customer != "" {
		field(s, l.t("customer"), t.Customer, 10, 2)
	}
	if t.Phone != "" {
		field(s, l.t("phone"), t.Phone, 10, 1)
	}
	field(s, l.t("make"), strings.TrimSpace(clean(t.Bike.Make, false)+" "+clean(t.Bike.Model, false)), 10, 2)
	if t.Bike.Colour != "" {
		field(s, l.t("colour"), t.Bike.Colour, 10, 1)
	}
	if t.Bike.FrameSize != "" {
		field(s, l.t("frame"), t.Bike.FrameSize, 10, 1)
	}
	s.rule()
	if strings.TrimSpace(t.Work) != "" {
		s.block(l.t("work"), s.margin, s.frameW(), style{size: 10, bold: true, maxLines: 1})
		s.block(clean(t.Work, true), s.margin, s.frameW(), style{size: 10, maxLines: 30})
		s.gap(6)
	}
	cur := t.Shop.Currency
	lineTable(s, l, t.Lines, cur, [][2]string{
		{l.t("labour"), Money(t.Labour, cur)}, {l.t("parts"), Money(t.Parts, cur)}, {l.t("total"), Money(t.Total, cur)}})
	s.gap(10)
	terms := clean(t.Terms, true)
	if strings.TrimSpace(terms) == "" {
		terms = l.t("terms")
	}
	s.block(terms, s.margin, s.frameW(), style{size: 8, gray: 60, maxLines: 10})
	if !t.PrintedAt.IsZero() {
		s.block(l.t("printed")+" "+minute(t.PrintedAt), s.margin, s.frameW(), style{size: 7, gray: 110, maxLines: 1})
	}
	return s, nil
}

// RenderTag prints the bike's tag on one 62 × 100 mm label: the job number large, the name,
// the bike and the promised date.
func RenderTag(t Tag) ([]byte, error) { return finish(t.set()) }

func (t Tag) set() (*sheet, error) {
	l := t.Lang.norm()
	s, err := newSheet(sizeTag, 4*mm, 1, "Bike tag")
	if err != nil {
		return nil, err
	}
	w := s.frameW()
	s.block(clean(t.Shop, false), s.margin, w, style{size: 8, gray: 80, maxLines: 1, align: gopdf.Center})
	job := clean(t.JobNumber, false)
	s.block(l.t("job"), s.margin, w, style{size: 8, align: gopdf.Center, maxLines: 1})
	s.block(job, s.margin, w, style{size: s.fit(job, w, 34, 12, true), bold: true, align: gopdf.Center, maxLines: 1})
	s.rule()
	if name := clean(t.Name, false); name != "" {
		s.block(name, s.margin, w, style{size: s.fit(name, w, 20, 10, true), bold: true, align: gopdf.Center, maxLines: 2})
	}
	bike := strings.TrimSpace(clean(t.Bike.Make, false) + " " + clean(t.Bike.Model, false))
	s.block(bike, s.margin, w, style{size: 10, align: gopdf.Center, maxLines: 2})
	if extra := strings.TrimSpace(strings.Join(nonEmpty(clean(t.Bike.Colour, false), clean(t.Bike.FrameSize, false)), " · ")); extra != "" {
		s.block(extra, s.margin, w, style{size: 9, align: gopdf.Center, maxLines: 1, gray: 60})
	}
	s.rule()
	s.block(l.t("promised"), s.margin, w, style{size: 8, align: gopdf.Center, maxLines: 1})
	s.block(day(t.Promised, l), s.margin, w, style{size: 18, bold: true, align: gopdf.Center, maxLines: 1})
	return s, nil
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

// RenderReceipt prints a sale receipt on A5. It is not a fiscal receipt and says so: in
// Germany (region DE) with the KassenSichV note in German and English, which points to the
// till's Kassenbeleg; elsewhere with a general note.
func RenderReceipt(r Receipt) ([]byte, error) { return finish(r.set()) }

func (r Receipt) set() (*sheet, error) {
	l := r.Lang.norm()
	s, err := newSheet(sizeA5, 10*mm, 0, "Sale receipt")
	if err != nil {
		return nil, err
	}
	s.bottom = 12
	s.footer = pageFooter(l, l.t("sale")+" "+clean(shortRef(r.Sale), false))
	header(s, r.Shop, true)
	s.gap(4)
	w := s.frameW()
	s.block(l.t("receipt"), s.margin, w, style{size: 13, bold: true, maxLines: 1})
	note := fiscalNote(r.Shop.Region, l)
	// The note stands at the top, where nobody can miss it, and again at the foot.
	s.block(note[0], s.margin, w, style{size: 8, bold: true, maxLines: 6})
	s.rule()
	field(s, l.t("sale"), r.Sale, 9, 1)
	field(s, l.t("date"), minute(r.SoldAt), 9, 1)
	field(s, l.t("payment"), l.t(r.Payment), 9, 1)
	if r.Seller != "" {
		field(s, l.t("seller"), r.Seller, 9, 1)
	}
	s.rule()
	lineTable(s, l, r.Lines, r.Shop.Currency, [][2]string{{l.t("total"), Money(r.Total, r.Shop.Currency)}})
	s.gap(8)
	for _, n := range note {
		s.block(n, s.margin, w, style{size: 8, maxLines: 6, gray: 40})
	}
	return s, nil
}

// fiscalNote is what the receipt says of itself: in Germany the KassenSichV note in German and
// English (and in Chinese too when printed in Chinese); elsewhere the general note.
func fiscalNote(region string, l Lang) []string {
	if strings.EqualFold(strings.TrimSpace(region), "DE") {
		out := []string{kassenDE, kassenEN}
		if l == ZH {
			out = append(out, "本单据不是德国《收银机安全条例》（KassenSichV）所指的收据；具有税务效力的收据（Kassenbeleg）由门店收银机开具。")
		}
		return out
	}
	return []string{l.t("notfiscal")}
}

func shortRef(id string) string {
	if len(id) <= 12 {
		return id
	}
	return id[len(id)-12:]
}

// RenderNotice prints the shop's privacy notice on A4.
func RenderNotice(n Notice) ([]byte, error) { return finish(n.set()) }

func (n Notice) set() (*sheet, error) {
	l := n.Lang.norm()
	s, err := newSheet(sizeA4, 15*mm, 0, "Privacy notice")
	if err != nil {
		return nil, err
	}
	s.bottom = 14
	s.footer = pageFooter(l, clean(n.Subtitle, false))
	w := s.frameW()
	s.block(clean(n.Title, false), s.margin, w, style{size: 17, bold: true, maxLines: 3})
	s.block(clean(n.Subtitle, false), s.margin, w, style{size: 8, gray: 90, maxLines: 2})
	for _, sec := range n.Sections {
		s.gap(8)
		s.block(clean(sec.Heading, false), s.margin, w, style{size: 12, bold: true, maxLines: 2})
		s.rule()
		for _, p := range sec.Paragraphs {
			s.block(clean(p, true), s.margin, w, style{size: 9.5, maxLines: 60})
			s.gap(3)
		}
		for _, it := range sec.Items {
			name := clean(it.Name, false)
			text := clean(it.Text, true)
			if name != "" {
				s.block("• "+name, s.margin, w, style{size: 9.5, bold: true, maxLines: 3})
				if strings.TrimSpace(text) != "" {
					s.block(text, s.margin+10, w-10, style{size: 9.5, maxLines: 40})
				}
			} else {
				s.block("• "+text, s.margin, w, style{size: 9.5, maxLines: 40})
			}
			s.gap(2)
		}
	}
	return s, nil
}

func finish(s *sheet, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return s.finish()
}
