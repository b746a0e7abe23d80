package app

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/printout"
	"spoke/store"
)

// BoardScreen is the workshop board: one column per status, jobs as cards that move right.
type BoardScreen struct {
	a    *App
	root fyne.CanvasObject
	body *fyne.Container

	Mechanic  *widget.Select
	NewBtn    *widget.Button
	RefreshBt *widget.Button
	Error     *ui.Message
	boardView fyne.CanvasObject
	columns   map[store.Status]*fyne.Container
	counts    map[store.Status]*widget.Label
	items     []store.BoardItem
	mechIDs   map[string]string
	loads     latest // the board shown answers the newest Refresh

	// Cards are the jobs on show, by id; each has a button to move it one step along.
	Cards map[string]*JobCard

	Job     *JobView
	NewForm *WorkOrderForm
}

// JobCard is one job on the board.
type JobCard struct {
	Item   store.BoardItem
	Open   *widget.Button
	Next   *widget.Button // moves to the next status along the board (nil at the end)
	Status store.Status
}

const perColumn = 40

func newBoardScreen(a *App) *BoardScreen {
	s := &BoardScreen{a: a, Error: a.errorLabel(), columns: map[store.Status]*fyne.Container{}, counts: map[store.Status]*widget.Label{},
		mechIDs: map[string]string{}, Cards: map[string]*JobCard{}}
	all := a.T("All mechanics")
	opts := []string{all}
	s.mechIDs[all] = ""
	for _, m := range a.mechanics(a.user.ShopID) {
		opts = append(opts, m.Username)
		s.mechIDs[m.Username] = m.ID
	}
	s.Mechanic = widget.NewSelect(opts, func(string) { a.touch(); s.Refresh() })
	s.Mechanic.Selected = all
	if a.has(store.RoleMechanic) && !a.has(store.RoleManager) && !a.has(store.RoleOwner) {
		s.Mechanic.Hide() // a mechanic's board holds only their own jobs
	}
	s.NewBtn = a.button(a.T("New work order"), theme.ContentAddIcon(), func() { s.NewWorkOrder(nil, "") })
	s.NewBtn.Importance = widget.HighImportance
	if !a.canCreateJobs() {
		s.NewBtn.Hide()
	}
	s.RefreshBt = a.button("", theme.ViewRefreshIcon(), s.Refresh)
	cols := make([]fyne.CanvasObject, 0, len(boardStatuses))
	for i, st := range boardStatuses {
		s.columns[st] = container.NewVBox()
		s.counts[st] = widget.NewLabel("")
		title := widget.NewLabelWithStyle(a.T(statusLabel(st)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Truncation = fyne.TextTruncateEllipsis
		head := container.NewStack(canvasRectColor(chartPalette[i%len(chartPalette)], 0x40), container.NewBorder(nil, nil, nil, s.counts[st], title))
		cols = append(cols, container.NewBorder(head, nil, nil, nil, container.NewVScroll(s.columns[st])))
	}
	filter := container.NewHBox(widget.NewLabel(a.T("Mechanic")), s.Mechanic, layoutSpacer(), s.RefreshBt, s.NewBtn)
	s.boardView = container.NewBorder(filter, nil, nil, nil, container.NewGridWithColumns(len(cols), cols...))
	s.body = container.NewStack(s.boardView)
	s.root = container.NewBorder(s.Error, nil, nil, nil, s.body)
	return s
}

func (s *BoardScreen) setBody(o fyne.CanvasObject) {
	s.Error.SetText("")
	s.body.Objects = []fyne.CanvasObject{o}
	s.body.Refresh()
}

// ShowBoard goes back to the board and reloads it.
func (s *BoardScreen) ShowBoard() {
	s.Job, s.NewForm = nil, nil
	s.setBody(s.boardView)
	s.Refresh()
}

// Refresh reloads the board.
func (s *BoardScreen) Refresh() {
	if s.Job != nil || s.NewForm != nil {
		return
	}
	a := s.a
	mech := s.mechIDs[s.Mechanic.Selected]
	loadLatest(a, &s.loads, func(ctx context.Context, ss *store.Session) ([]store.BoardItem, error) {
		return ss.Board(ctx, "", mech)
	}, func(items []store.BoardItem, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.items = items
		s.render()
	})
}

// nextStatus is the move a card's arrow makes: the next column that CanMove allows.
func nextStatus(from store.Status) store.Status {
	i := slices.Index(boardStatuses, from)
	for _, to := range boardStatuses[i+1:] {
		if store.CanMove(from, to) {
			return to
		}
	}
	return ""
}

func (s *BoardScreen) render() {
	a := s.a
	byStatus := map[store.Status][]store.BoardItem{}
	for _, it := range s.items {
		byStatus[it.Status] = append(byStatus[it.Status], it)
	}
	// Collected jobs: the most recent first.
	slices.SortFunc(byStatus[store.StatusCollected], func(x, y store.BoardItem) int { return y.UpdatedAt.Compare(x.UpdatedAt) })
	s.Cards = map[string]*JobCard{}
	for _, st := range boardStatuses {
		col := s.columns[st]
		list := byStatus[st]
		s.counts[st].SetText(itoa(len(list)))
		col.Objects = nil
		for i, it := range list {
			if i == perColumn {
				col.Add(widget.NewLabel(a.T("+%d more", len(list)-perColumn)))
				break
			}
			col.Add(s.card(it))
		}
		col.Refresh()
	}
}

func (s *BoardScreen) card(it store.BoardItem) fyne.CanvasObject {
	a := s.a
	c := &JobCard{Item: it, Status: it.Status}
	shop, _ := a.shopByID(it.ShopID)
	name := it.CustomerName
	if name == "" {
		name = a.T("(customer hidden)")
	}
	c.Open = a.button(name, nil, func() { s.OpenJob(it.CustomerID, it.ID) })
	c.Open.Alignment = widget.ButtonAlignLeading
	c.Open.Importance = widget.LowImportance
	lines := []string{money(it.Total, shop.Currency)}
	if it.Mechanic != "" {
		lines = append(lines, it.Mechanic)
	} else {
		lines = append(lines, a.T("unassigned"))
	}
	if !it.PromisedAt.IsZero() && it.Status != store.StatusCollected {
		p := a.T("due %s", it.PromisedAt.Local().Format("01-02"))
		if it.PromisedAt.Before(a.opts.Now()) {
			p = "⚠ " + p
		}
		lines = append(lines, p)
	}
	if it.CustomerPhone != "" && a.has(store.RoleMechanic) {
		lines = append(lines, it.CustomerPhone)
	}
	info := widget.NewLabel(strings.Join(lines, "\n"))
	info.Truncation = fyne.TextTruncateEllipsis
	var right fyne.CanvasObject
	if to := nextStatus(it.Status); to != "" {
		c.Next = a.button("", theme.NavigateNextIcon(), func() { s.Move(it.ID, to) })
		c.Next.Importance = widget.LowImportance
		right = container.NewVBox(layoutSpacer(), c.Next)
	}
	s.Cards[it.ID] = c
	bg := canvasRect(theme.ColorNameInputBackground, 0xff)
	return container.NewStack(bg, container.NewBorder(c.Open, nil, nil, right, info))
}

// Move moves a job to another status and reloads whatever is on show.
func (s *BoardScreen) Move(woID string, to store.Status) {
	a := s.a
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.MoveWorkOrder(ctx, woID, to) }, func(err error) {
		if err != nil {
			if s.Job != nil {
				s.Job.Error.SetText(a.errText(err))
			} else {
				s.Error.SetText(a.errText(err))
			}
			return
		}
		a.wrote()
		if s.Job != nil {
			s.OpenJob(s.Job.customerID, woID)
		} else {
			s.Refresh()
		}
		if to == store.StatusReady && a.can(store.OpCustomerWrite) {
			s.tellReady(woID)
		}
	})
}

// tellReady sends the job's "your bike is ready" notice at once where the shop has a mail
// server and the customer has not withdrawn service messages; otherwise it stays on the
// Reminders tab to call.
func (s *BoardScreen) tellReady(woID string) {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*store.SendReport, error) {
		return ss.SendReadyNotice(ctx, woID, a.mailer())
	}, func(rep *store.SendReport, err error) {
		msg := s.Error
		if s.Job != nil {
			msg = s.Job.Error
		}
		switch {
		case errors.Is(err, store.ErrNoMailServer):
			msg.Set(a.T("Ready: the customer is on the Reminders tab to call (this shop has no mail server)."), widget.MediumImportance)
		case err != nil:
			msg.SetText(a.errText(err))
		case rep.Sent == 1:
			msg.Set(a.T("Ready: the customer was told by e-mail."), widget.SuccessImportance)
		default:
			msg.Set(a.T("Ready: no e-mail (no address, or withdrawn); the customer is on the Reminders tab to call."), widget.MediumImportance)
		}
	})
}

// ColumnOf says in which column a job is shown ("" if not on the board).
func (s *BoardScreen) ColumnOf(woID string) store.Status {
	if c := s.Cards[woID]; c != nil {
		return c.Status
	}
	return ""
}

// JobView is one work order: lines with live totals, mechanic, status moves.
type JobView struct {
	customerID string
	WO         store.WorkOrder
	Title      *widget.Label
	Status     *widget.Label
	Lines      *fyne.Container
	Labour     *widget.Label
	Parts      *widget.Label
	Total      *widget.Label

	Kind      *widget.RadioGroup
	Desc      *widget.Entry
	Qty       *widget.Entry
	Price     *widget.Entry
	LineTotal *widget.Label // live: this line and the job's total with it
	AddLine   *widget.Button

	Mechanic *widget.Select
	Assign   *widget.Button
	Moves    map[store.Status]*widget.Button
	Back     *widget.Button
	Error    *ui.Message

	// PrintTicket and PrintTag save the customer's copy and the bike's tag as PDF.
	PrintTicket *widget.Button
	PrintTag    *widget.Button
	Printed     *Printed
}

// OpenJob loads a job (through the customer's card, which applies the user's view) and shows it.
func (s *BoardScreen) OpenJob(customerID, woID string) {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*store.CustomerCard, error) {
		return ss.Customer(ctx, customerID, "")
	}, func(card *store.CustomerCard, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		for _, wo := range card.WorkOrders {
			if wo.ID == woID {
				s.showJob(card, wo)
				return
			}
		}
		s.Error.SetText(a.T("Not found, or not visible to you."))
	})
}

func (s *BoardScreen) showJob(card *store.CustomerCard, wo store.WorkOrder) {
	a := s.a
	shop, _ := a.shopByID(wo.ShopID)
	cur := shop.Currency
	v := &JobView{customerID: card.ID, WO: wo, Error: a.errorLabel(), Moves: map[store.Status]*widget.Button{}}
	bike := ""
	for _, b := range card.Bikes {
		if b.ID == wo.BikeID {
			bike = strings.TrimSpace(b.Make + " " + b.Model)
		}
	}
	v.Title = ui.Heading(card.Name + "  ·  " + bike)
	v.Status = widget.NewLabelWithStyle(a.T(statusLabel(wo.Status)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Status.Importance = widget.HighImportance
	v.Back = a.button(a.T("Back to the board"), theme.NavigateBackIcon(), s.ShowBoard)
	complaint := widget.NewLabel(wo.Complaint)
	complaint.Wrapping = fyne.TextWrapWord
	notes := widget.NewLabel(wo.Notes)
	notes.Wrapping = fyne.TextWrapWord
	info := widget.NewForm(
		widget.NewFormItem(a.T("Status"), v.Status),
		widget.NewFormItem(a.T("Phone"), widget.NewLabel(a.phone(card.Phone, card.ShopID))),
		widget.NewFormItem(a.T("Complaint"), complaint),
		widget.NewFormItem(a.T("Notes"), notes),
		widget.NewFormItem(a.T("Opened"), widget.NewLabel(minute(wo.CreatedAt))),
		widget.NewFormItem(a.T("Promised"), widget.NewLabel(day(wo.PromisedAt))),
	)
	// Lines and totals.
	row := func(desc fyne.CanvasObject, rest ...fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, ui.FixedWidth(290, container.NewGridWithColumns(3, rest...)), desc)
	}
	v.Lines = container.NewVBox(row(ui.Bold(a.T("Item")), ui.Bold(a.T("Qty")), ui.Bold(a.T("Unit price")), ui.Bold(a.T("Amount"))))
	for _, l := range wo.Lines {
		kind := a.T("Part")
		if l.Kind == "labour" {
			kind = a.T("Labour")
		}
		d := widget.NewLabel(kind + ": " + l.Description)
		d.Truncation = fyne.TextTruncateEllipsis
		v.Lines.Add(row(d, widget.NewLabel(itoa(int(l.Qty))), widget.NewLabel(money(l.UnitPrice, cur)), widget.NewLabel(money(l.Total(), cur))))
	}
	v.Labour = widget.NewLabel(money(wo.LabourTotal, cur))
	v.Parts = widget.NewLabel(money(wo.PartsTotal, cur))
	v.Total = widget.NewLabelWithStyle(money(wo.Total, cur), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	totals := widget.NewForm(widget.NewFormItem(a.T("Labour"), v.Labour), widget.NewFormItem(a.T("Parts"), v.Parts), widget.NewFormItem(a.T("Total"), v.Total))
	// A new line, with live totals.
	v.Kind = widget.NewRadioGroup([]string{a.T("Labour"), a.T("Part")}, nil)
	v.Kind.Horizontal = true
	v.Kind.SetSelected(a.T("Labour"))
	v.Desc, v.Qty, v.Price = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	v.Desc.SetPlaceHolder(a.T("e.g. Brake bleed, or Chain KMC X11"))
	v.Qty.SetText("1")
	v.Price.SetPlaceHolder("0.00")
	v.LineTotal = widget.NewLabel("")
	live := func(string) {
		a.touch()
		q, err1 := parseQty(v.Qty.Text)
		p, err2 := parseMoney(v.Price.Text)
		if err1 != nil || err2 != nil {
			v.LineTotal.SetText(a.T("Total") + ": " + money(wo.Total, cur))
			return
		}
		v.LineTotal.SetText(a.T("Line %s · new total %s", money(q*p, cur), money(wo.Total+q*p, cur)))
	}
	v.Qty.OnChanged, v.Price.OnChanged = live, live
	live("")
	v.AddLine = a.button(a.T("Add line"), theme.ContentAddIcon(), func() { s.addLine(v) })
	closed := wo.Status == store.StatusCollected || wo.Status == store.StatusCancelled
	newLine := container.NewVBox(v.Kind, container.NewBorder(nil, nil, nil, ui.FixedWidth(200, container.NewGridWithColumns(2, v.Qty, v.Price)), v.Desc),
		container.NewBorder(nil, nil, nil, v.AddLine, v.LineTotal))
	if closed {
		newLine.Hide()
	}
	// Mechanic.
	mechs := a.mechanics(wo.ShopID)
	none := a.T("Nobody")
	opts := []string{none}
	ids := map[string]string{none: ""}
	for _, m := range mechs {
		opts = append(opts, m.Username)
		ids[m.Username] = m.ID
	}
	v.Mechanic = widget.NewSelect(opts, nil)
	v.Mechanic.Selected = none
	if wo.Mechanic != "" {
		v.Mechanic.Selected = wo.Mechanic
	}
	v.Assign = a.button(a.T("Assign"), theme.ConfirmIcon(), func() {
		id := ids[v.Mechanic.Selected]
		do(a, func(ctx context.Context, ss *store.Session) error { return ss.AssignMechanic(ctx, wo.ID, id) }, func(err error) {
			if err != nil {
				v.Error.SetText(a.errText(err))
				return
			}
			a.wrote()
			s.OpenJob(card.ID, wo.ID)
		})
	})
	mechRow := container.NewHBox(widget.NewLabel(a.T("Mechanic")), v.Mechanic, v.Assign)
	if a.has(store.RoleMechanic) && !a.canCreateJobs() || closed {
		mechRow.Hide()
	}
	// Moves.
	moves := container.NewHBox(widget.NewLabel(a.T("Move to")))
	for _, to := range store.Statuses {
		if store.CanMove(wo.Status, to) {
			target := to
			b := a.button(a.T(statusLabel(to)), theme.NavigateNextIcon(), func() { s.Move(wo.ID, target) })
			if to == store.StatusCancelled {
				b.Importance = widget.DangerImportance
				b.SetIcon(theme.CancelIcon())
			}
			v.Moves[to] = b
			moves.Add(b)
		}
	}
	if len(v.Moves) == 0 {
		moves.Hide()
	}
	v.PrintTicket = a.button(a.T("Print ticket…"), theme.DocumentPrintIcon(), func() { v.Printed = a.printWorkOrder(wo.ID, printout.Ticket) })
	v.PrintTag = a.button(a.T("Print tag…"), theme.DocumentPrintIcon(), func() { v.Printed = a.printWorkOrder(wo.ID, printout.Tag) })
	left := container.NewVBox(widget.NewCard(a.T("Job"), "", info), mechRow, moves, container.NewHBox(v.PrintTicket, v.PrintTag))
	right := container.NewVBox(widget.NewCard(a.T("Labour and parts"), "", container.NewVBox(v.Lines, widget.NewSeparator(), totals)),
		widget.NewCard(a.T("Add a line"), "", newLine))
	s.NewForm = nil
	s.Job = v
	s.setBody(container.NewBorder(container.NewVBox(container.NewHBox(v.Back, v.Title), v.Error), nil, nil, nil,
		container.NewVScroll(container.NewGridWithColumns(2, left, right))))
}

func (s *BoardScreen) addLine(v *JobView) {
	a := s.a
	q, err := parseQty(v.Qty.Text)
	if err != nil {
		v.Error.SetText(a.T("Qty") + ": " + a.T("must be a whole number of at least 1"))
		return
	}
	p, err := parseMoney(v.Price.Text)
	if err != nil {
		v.Error.SetText(a.T("Unit price") + ": " + a.T("must be an amount like 12.50"))
		return
	}
	kind := "part"
	if v.Kind.Selected == a.T("Labour") {
		kind = "labour"
	}
	l := store.Line{Kind: kind, Description: v.Desc.Text, Qty: q, UnitPrice: p}
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.AddWorkOrderLine(ctx, v.WO.ID, l) }, func(err error) {
		if err != nil {
			v.Error.SetText(a.errText(err))
			return
		}
		a.wrote()
		s.OpenJob(v.customerID, v.WO.ID)
	})
}

// WorkOrderForm opens a job: customer (preset from a card, or searched), bike, complaint.
type WorkOrderForm struct {
	*customerPicker
	Customer  *widget.Label
	Bike      *widget.Select
	Complaint *widget.Entry
	Mechanic  *widget.Select
	Promised  *widget.Entry
	Create    *widget.Button
	Cancel    *widget.Button
	Error     *ui.Message

	card    *store.CustomerCard
	bikeIDs map[string]string
	mechIDs map[string]string
}

// NewWorkOrder opens the new-job form, for card's customer (and bike) when given.
func (s *BoardScreen) NewWorkOrder(card *store.CustomerCard, bikeID string) {
	a := s.a
	f := &WorkOrderForm{Customer: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		Complaint: widget.NewMultiLineEntry(), Promised: widget.NewEntry(), Error: a.errorLabel(), bikeIDs: map[string]string{}, mechIDs: map[string]string{}}
	f.customerPicker = newCustomerPicker(a, a.T("Search by name, phone or e-mail (Ctrl+F)"), 30, func(c store.CustomerSummary) {
		s.pickCustomer(f, c.ID, "")
	})
	f.Bike = widget.NewSelect(nil, nil)
	f.Complaint.SetPlaceHolder(a.T("What does the customer say is wrong?"))
	f.Complaint.SetMinRowsVisible(3)
	f.Promised.SetPlaceHolder(a.T("YYYY-MM-DD (optional)"))
	f.Mechanic = widget.NewSelect(nil, nil)
	f.Create = a.button(a.T("Open work order"), theme.ConfirmIcon(), func() { s.createJob(f) })
	f.Create.Importance = widget.HighImportance
	f.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), s.ShowBoard)
	picker := container.NewBorder(f.Search, nil, nil, nil, f.Results)
	pickerBox := container.NewGridWrap(fyne.NewSize(560, 220), picker)
	form := widget.NewForm(
		widget.NewFormItem(a.T("Customer"), container.NewVBox(f.Customer, pickerBox)),
		widget.NewFormItem(a.T("Bike"), f.Bike),
		widget.NewFormItem(a.T("Complaint")+" *", f.Complaint),
		widget.NewFormItem(a.T("Mechanic"), f.Mechanic),
		widget.NewFormItem(a.T("Promised"), f.Promised))
	box := container.NewVBox(ui.Heading(a.T("New work order")), form, f.Error, container.NewHBox(f.Cancel, f.Create))
	s.Job = nil
	s.NewForm = f
	s.setBody(container.NewVScroll(ui.Centered(box, 700)))
	if card != nil {
		pickerBox.Hide()
		s.setJobCustomer(f, card, bikeID)
		a.W.Canvas().Focus(f.Complaint)
	} else {
		a.W.Canvas().Focus(f.Search)
	}
}

func (s *BoardScreen) pickCustomer(f *WorkOrderForm, id, reason string) {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*store.CustomerCard, error) {
		return ss.Customer(ctx, id, reason)
	}, func(card *store.CustomerCard, err error) {
		if err != nil {
			f.Error.SetText(a.errText(err))
			return
		}
		s.setJobCustomer(f, card, "")
	})
}

func (s *BoardScreen) setJobCustomer(f *WorkOrderForm, card *store.CustomerCard, bikeID string) {
	a := s.a
	f.card = card
	f.Customer.SetText(card.Name + "  " + a.phone(card.Phone, card.ShopID))
	none := a.T("No particular bike")
	opts := []string{none}
	f.bikeIDs = map[string]string{none: ""}
	sel := none
	for _, b := range card.Bikes {
		label := strings.TrimSpace(b.Make + " " + b.Model + " " + b.Colour)
		for f.bikeIDs[label] != "" {
			label += "'"
		}
		opts = append(opts, label)
		f.bikeIDs[label] = b.ID
		if b.ID == bikeID || (bikeID == "" && len(card.Bikes) == 1) {
			sel = label
		}
	}
	f.Bike.Options = opts
	f.Bike.SetSelected(sel)
	nobody := a.T("Nobody yet")
	mopts := []string{nobody}
	f.mechIDs = map[string]string{nobody: ""}
	for _, m := range a.mechanics(card.ShopID) {
		mopts = append(mopts, m.Username)
		f.mechIDs[m.Username] = m.ID
	}
	f.Mechanic.Options = mopts
	f.Mechanic.SetSelected(nobody)
}

func (s *BoardScreen) createJob(f *WorkOrderForm) {
	a := s.a
	if f.card == nil {
		f.Error.SetText(a.T("Customer") + ": " + a.T("choose a customer first"))
		return
	}
	in := store.WorkOrderInput{CustomerID: f.card.ID, BikeID: f.bikeIDs[f.Bike.Selected], Complaint: f.Complaint.Text,
		MechanicID: f.mechIDs[f.Mechanic.Selected]}
	if p := strings.TrimSpace(f.Promised.Text); p != "" {
		t, err := time.ParseInLocation("2006-01-02", p, time.Local)
		if err != nil {
			f.Error.SetText(a.T("Promised") + ": " + a.T("must be a date like 2026-05-31"))
			return
		}
		in.PromisedAt = t.Add(17 * time.Hour)
	}
	if strings.TrimSpace(in.Complaint) == "" {
		f.Error.SetText(a.T("Complaint") + ": " + a.T("is required"))
		return
	}
	f.Create.Disable()
	cust := f.card.ID
	load(a, func(ctx context.Context, ss *store.Session) (string, error) { return ss.CreateWorkOrder(ctx, in) }, func(id string, err error) {
		f.Create.Enable()
		if err != nil {
			f.Error.SetText(a.errText(err))
			return
		}
		a.wrote()
		s.NewForm = nil
		s.OpenJob(cust, id)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
