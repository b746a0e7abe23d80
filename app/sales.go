package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// SalesScreen records a sale (customer or walk-in, lines, payment method, live total) and lists
// recent sales.
type SalesScreen struct {
	a    *App
	root fyne.CanvasObject

	*customerPicker
	Customer *widget.Label
	WalkIn   *widget.Button
	Lines    []*SaleLine
	linesBox *fyne.Container
	AddLine  *widget.Button
	Payment  *widget.Select
	Total    *widget.Label
	Record   *widget.Button
	Error    *ui.Message
	Done     *ui.Message
	Recent   *widget.List
	// PrintReceipt saves the receipt of the sale just recorded, or of the one chosen in the
	// recent list, as PDF.
	PrintReceipt *widget.Button
	Printed      *Printed
	saleID       string

	customerID string
	shopID     string
	recent     []store.SaleSummary
	payments   map[string]string
}

// SaleLine is one line of the sale being written.
type SaleLine struct {
	Desc, SKU, Qty, Price *widget.Entry
	Remove                *widget.Button
	row                   fyne.CanvasObject
}

func newSalesScreen(a *App) *SalesScreen {
	s := &SalesScreen{a: a, Error: a.errorLabel(), Done: a.newMsgLabel(widget.SuccessImportance), payments: map[string]string{}}
	s.customerPicker = newCustomerPicker(a, a.T("Find the customer by name or phone"), 20, func(c store.CustomerSummary) {
		s.SetCustomer(c.ID, c.Name, c.ShopID)
	})
	s.Customer = widget.NewLabelWithStyle(a.T("Walk-in customer"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.WalkIn = a.button(a.T("Walk-in"), theme.ContentClearIcon(), func() { s.SetCustomer("", "", "") })
	var opts []string
	for _, m := range store.PaymentMethods {
		l := a.T(paymentLabel(m))
		opts = append(opts, l)
		s.payments[l] = m
	}
	s.Payment = widget.NewSelect(opts, func(string) { a.touch() })
	s.Payment.SetSelected(opts[0])
	s.Total = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	s.Total.SizeName = theme.SizeNameSubHeadingText
	s.linesBox = container.NewVBox()
	s.AddLine = a.button(a.T("Add line"), theme.ContentAddIcon(), func() { s.addLine() })
	s.Record = a.button(a.T("Record sale"), theme.ConfirmIcon(), s.record)
	s.Record.Importance = widget.HighImportance
	s.addLine()
	s.Recent = ui.NewList(func() int { return len(s.recent) }, ui.RowSpec{Labels: 4}, func(i widget.ListItemID, row ui.Row) {
		r := s.recent[i]
		shop, _ := a.shopByID(r.ShopID)
		name := r.CustomerName
		if r.CustomerID == "" {
			name = a.T("Walk-in customer")
		}
		row.SetTexts(minute(r.SoldAt), name, money(r.Total, shop.Currency), a.T(paymentLabel(r.PaymentMethod))+" · "+r.Seller)
	})
	s.Recent.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(s.recent) {
			s.saleID = s.recent[i].ID
			s.PrintReceipt.Enable()
		}
	}
	s.PrintReceipt = a.button(a.T("Print receipt…"), theme.DocumentPrintIcon(), func() {
		if s.saleID != "" {
			s.Printed = a.printReceipt(s.saleID)
		}
	})
	s.PrintReceipt.Disable()
	head := container.NewGridWithColumns(4, widget.NewLabel(a.T("Item")), widget.NewLabel(a.T("SKU")), widget.NewLabel(a.T("Qty")), widget.NewLabel(a.T("Unit price")))
	customer := container.NewVBox(container.NewBorder(nil, nil, nil, s.WalkIn, s.Customer), s.Search, container.NewGridWrap(fyne.NewSize(420, 150), s.Results))
	form := container.NewVBox(ui.Heading(a.T("New sale")),
		widget.NewCard(a.T("Customer"), "", customer),
		widget.NewCard(a.T("Lines"), "", container.NewVBox(head, s.linesBox, s.AddLine)),
		container.NewBorder(nil, nil, widget.NewLabel(a.T("Payment")), s.Total, s.Payment),
		s.Error, s.Done, s.Record)
	recentHead := ui.Header(nil, a.T("When"), a.T("Customer"), a.T("Total"), a.T("Payment"))
	recent := container.NewBorder(container.NewVBox(ui.Heading(a.T("Recent sales")), recentHead), container.NewHBox(s.PrintReceipt), nil, nil, s.Recent)
	split := container.NewHSplit(container.NewVScroll(container.NewPadded(form)), container.NewPadded(recent))
	split.Offset = 0.5
	s.root = split
	s.updateTotal()
	return s
}

func (s *SalesScreen) addLine() *SaleLine {
	a := s.a
	l := &SaleLine{Desc: widget.NewEntry(), SKU: widget.NewEntry(), Qty: widget.NewEntry(), Price: widget.NewEntry()}
	l.Desc.SetPlaceHolder(a.T("e.g. Inner tube 700x28"))
	l.Qty.SetText("1")
	l.Price.SetPlaceHolder("0.00")
	for _, e := range []*widget.Entry{l.Desc, l.SKU, l.Qty, l.Price} {
		e.OnChanged = func(string) { a.touch(); s.updateTotal() }
	}
	l.Remove = a.button("", theme.DeleteIcon(), func() {
		for i, x := range s.Lines {
			if x == l {
				s.Lines = append(s.Lines[:i], s.Lines[i+1:]...)
				s.linesBox.Remove(l.row)
			}
		}
		s.updateTotal()
		a.relayout()
	})
	l.row = container.NewBorder(nil, nil, nil, l.Remove, container.NewGridWithColumns(4, l.Desc, l.SKU, l.Qty, l.Price))
	s.Lines = append(s.Lines, l)
	s.linesBox.Add(l.row)
	a.relayout()
	return l
}

func (s *SalesScreen) currency() string {
	if sh, ok := s.a.shopByID(s.shopID); ok {
		return sh.Currency
	}
	return s.a.userShop().Currency
}

// updateTotal recomputes the live total from the lines typed so far.
func (s *SalesScreen) updateTotal() {
	var total int64
	for _, l := range s.Lines {
		q, err1 := parseQty(l.Qty.Text)
		p, err2 := parseMoney(l.Price.Text)
		if err1 == nil && err2 == nil {
			total += q * p
		}
	}
	s.Total.SetText(s.a.T("Total") + " " + money(total, s.currency()))
}

// SetCustomer picks the customer of the sale ("" for a walk-in) and so its shop.
func (s *SalesScreen) SetCustomer(id, name, shopID string) {
	s.customerID, s.shopID = id, shopID
	s.updateTotal()
	if id == "" {
		name = s.a.T("Walk-in customer")
	}
	s.Customer.SetText(name)
	s.clear()
}

// Refresh reloads the recent sales.
func (s *SalesScreen) Refresh() {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) ([]store.SaleSummary, error) {
		return ss.RecentSales(ctx, 100)
	}, func(list []store.SaleSummary, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.recent = list
		s.Recent.Refresh()
	})
}

// RecentNames lists the customer names in the recent-sales list (tests).
func (s *SalesScreen) RecentNames() []string {
	var out []string
	for _, r := range s.recent {
		out = append(out, r.CustomerName)
	}
	return out
}

func (s *SalesScreen) record() {
	a := s.a
	s.Error.SetText("")
	s.Done.SetText("")
	in := store.SaleInput{CustomerID: s.customerID, PaymentMethod: s.payments[s.Payment.Selected]}
	for i, l := range s.Lines {
		if strings.TrimSpace(l.Desc.Text) == "" && strings.TrimSpace(l.Price.Text) == "" {
			continue
		}
		q, err := parseQty(l.Qty.Text)
		if err != nil {
			s.Error.SetText(a.T("Line %d", i+1) + ": " + a.T("Qty") + " " + a.T("must be a whole number of at least 1"))
			return
		}
		p, err := parseMoney(l.Price.Text)
		if err != nil {
			s.Error.SetText(a.T("Line %d", i+1) + ": " + a.T("Unit price") + " " + a.T("must be an amount like 12.50"))
			return
		}
		in.Lines = append(in.Lines, store.Line{Kind: "part", SKU: strings.TrimSpace(l.SKU.Text), Description: l.Desc.Text, Qty: q, UnitPrice: p})
	}
	if in.CustomerID == "" && a.user.ShopID == "" {
		in.ShopID = a.userShop().ID
	}
	s.Record.Disable()
	var recorded string
	do(a, func(ctx context.Context, ss *store.Session) error {
		id, err := ss.RecordSale(ctx, in)
		recorded = id
		return err
	}, func(err error) {
		s.Record.Enable()
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		a.wrote()
		total := s.Total.Text
		s.Lines = nil
		s.linesBox.RemoveAll()
		s.addLine()
		s.updateTotal()
		s.SetCustomer("", "", "")
		s.Done.SetText(a.T("Sale recorded (%s).", total))
		s.saleID = recorded
		s.PrintReceipt.Enable()
		s.Refresh()
	})
}
