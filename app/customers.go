package app

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// CustomersScreen is type-ahead search over the customers the user may see, the customer card,
// the create/edit forms, and the break-glass step for another salesperson's customer.
type CustomersScreen struct {
	a    *App
	root fyne.CanvasObject
	body *fyne.Container

	Search        *widget.Entry
	Results       *widget.List
	Count         *widget.Label
	NewBtn        *widget.Button
	IndexProgress *widget.ProgressBar
	IndexLabel    *widget.Label
	indexBox      *fyne.Container
	listView      fyne.CanvasObject
	Error         *ui.Message

	// Break-glass lookup (sales): another salesperson's customer, by exact phone or e-mail.
	OtherValue  *widget.Entry
	OtherFind   *widget.Button
	OtherResult *widget.Label
	OtherOpen   *widget.Button
	otherID     string

	results    []store.CustomerSummary
	searches   latest // the results shown answer the newest search
	indexReady bool

	Card       *CardView
	Form       *CustomerForm
	BreakGlass *BreakGlassPanel
	BikeForm   *BikeForm
	Erase      *ErasePanel
	// BulkExport is Export… (owner, manager): the bulk customer export.
	BulkExport *BulkExportView
	// BulkDelete is Delete shown… (owner, manager): the customers shown, deleted in one step.
	BulkDelete *BulkDeleteView
}

func newCustomersScreen(a *App) *CustomersScreen {
	s := &CustomersScreen{a: a, Error: a.errorLabel()}
	s.Search = widget.NewEntry()
	s.Search.SetPlaceHolder(a.T("Search by name, phone or e-mail (Ctrl+F)"))
	s.Search.OnChanged = func(string) { a.touch(); s.runSearch() }
	s.Search.OnSubmitted = func(string) {
		if len(s.results) > 0 {
			s.Open(s.results[0].ID, "")
		}
	}
	s.Count = widget.NewLabel("")
	s.NewBtn = a.button(a.T("New customer"), theme.ContentAddIcon(), s.NewCustomer)
	s.NewBtn.Importance = widget.HighImportance
	if !a.can(store.OpCustomerWrite) {
		s.NewBtn.Hide()
	}
	s.Results = ui.NewList(func() int { return len(s.results) }, ui.RowSpec{Labels: 4, BoldFirst: true}, func(i widget.ListItemID, row ui.Row) {
		r := s.results[i]
		row.SetTexts(r.Name, a.phone(r.Phone, r.ShopID), r.Email, r.Owner)
	})
	s.Results.OnSelected = func(i widget.ListItemID) {
		a.touch()
		s.Results.UnselectAll()
		if i < len(s.results) {
			s.Open(s.results[i].ID, "")
		}
	}
	s.IndexProgress = widget.NewProgressBar()
	s.IndexLabel = widget.NewLabel(a.T("Building the search index…"))
	s.indexBox = container.NewVBox(s.IndexLabel, s.IndexProgress)
	s.indexBox.Hide()
	header := ui.Header(nil, a.T("Name"), a.T("Phone"), a.T("E-mail"), a.T("Salesperson"))
	s.Count.Importance = widget.LowImportance
	var right fyne.CanvasObject = s.NewBtn
	if s.BulkExport = s.addBulkExport(); s.BulkExport != nil {
		s.BulkDelete = s.addBulkDelete()
		right = container.NewHBox(s.BulkDelete.Button, s.BulkExport.Button, s.NewBtn)
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, right, s.Search), s.indexBox, s.Count, header)
	var bottom fyne.CanvasObject
	if a.has(store.RoleSales) && a.user.ShopID != "" {
		s.OtherValue = widget.NewEntry()
		s.OtherValue.SetPlaceHolder(a.T("Exact phone or e-mail"))
		s.OtherFind = a.button(a.T("Find"), theme.SearchIcon(), s.findOther)
		s.OtherResult = widget.NewLabel("")
		s.OtherResult.Wrapping = fyne.TextWrapWord
		s.OtherOpen = a.button(a.T("Open with a reason…"), theme.WarningIcon(), func() {
			if s.otherID != "" {
				s.showBreakGlass(s.otherID)
			}
		})
		s.OtherOpen.Hide()
		bottom = widget.NewCard("", a.T("A colleague's customer? Look them up by exact phone or e-mail (break-glass, audited)."),
			container.NewVBox(container.NewBorder(nil, nil, nil, s.OtherFind, s.OtherValue), container.NewBorder(nil, nil, nil, s.OtherOpen, s.OtherResult)))
	}
	s.listView = container.NewBorder(top, bottom, nil, nil, s.Results)
	s.body = container.NewStack(s.listView)
	s.root = container.NewBorder(s.Error, nil, nil, nil, s.body)
	return s
}

func (s *CustomersScreen) refresh() {}

func (s *CustomersScreen) setBody(o fyne.CanvasObject) {
	s.Error.SetText("")
	s.body.Objects = []fyne.CanvasObject{o}
	s.body.Refresh()
}

// showList goes back to the search results, dropping any open card or form.
func (s *CustomersScreen) showList() {
	s.Card, s.Form, s.BreakGlass, s.BikeForm = nil, nil, nil, nil
	s.setBody(s.listView)
}

// buildIndex decrypts what the user may see into the in-memory index, off the UI goroutine,
// with a progress bar when it takes more than a moment.
func (s *CustomersScreen) buildIndex() {
	a := s.a
	if a.indexed {
		s.indexReady = true
		s.runSearch()
		return
	}
	start := time.Now()
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.BuildIndex(ctx, func(done, total int) {
			if total == 0 || done == total || time.Since(start) < 300*time.Millisecond {
				return
			}
			f := float64(done) / float64(total)
			a.handBack(ss, func() {
				s.indexBox.Show()
				s.IndexProgress.SetValue(f)
			})
		})
	}, func(err error) {
		s.indexBox.Hide()
		s.indexReady = true
		a.indexed = err == nil
		if err != nil && !errors.Is(err, store.ErrForbidden) {
			s.Error.SetText(a.errText(err))
		}
		s.runSearch()
	})
}

// runSearch queries the index for the search text; a newer query makes older answers moot.
func (s *CustomersScreen) runSearch() {
	if !s.indexReady {
		return
	}
	a, q := s.a, strings.TrimSpace(s.Search.Text)
	loadLatest(a, &s.searches, func(ctx context.Context, ss *store.Session) ([]store.CustomerSummary, error) {
		res, err := ss.Search(ctx, q, 200)
		if q == "" {
			slices.SortFunc(res, func(x, y store.CustomerSummary) int { return strings.Compare(x.Name, y.Name) })
			if len(res) > 200 {
				res = res[:200]
			}
		}
		return res, err
	}, func(res []store.CustomerSummary, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.results = res
		s.Results.UnselectAll()
		s.Results.ScrollToTop()
		s.Results.Refresh()
		s.Count.SetText(a.T("%d shown", len(res)))
	})
}

// Results returns the names currently listed (tests).
func (s *CustomersScreen) ResultNames() []string {
	out := make([]string, len(s.results))
	for i, r := range s.results {
		out[i] = r.Name
	}
	return out
}

// Open opens a customer's card; another salesperson's customer first asks for a reason.
func (s *CustomersScreen) Open(id, reason string) {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*store.CustomerCard, error) {
		return ss.Customer(ctx, id, reason)
	}, func(card *store.CustomerCard, err error) {
		switch {
		case errors.Is(err, store.ErrReasonRequired):
			if s.BreakGlass != nil && reason != "" {
				s.BreakGlass.Error.SetText(a.T("Give a reason of at least 5 characters."))
				return
			}
			s.showBreakGlass(id)
		case err != nil:
			s.Error.SetText(a.errText(err))
		default:
			s.showCard(card)
		}
	})
}

// findOther looks up a colleague's customer by exact phone or e-mail (no personal data back).
func (s *CustomersScreen) findOther() {
	a := s.a
	v := strings.TrimSpace(s.OtherValue.Text)
	field := store.ByPhone
	if strings.Contains(v, "@") {
		field = store.ByEmail
	}
	s.OtherOpen.Hide()
	s.otherID = ""
	load(a, func(ctx context.Context, ss *store.Session) ([]store.CustomerRef, error) {
		return ss.FindOthers(ctx, field, v)
	}, func(refs []store.CustomerRef, err error) {
		switch {
		case err != nil:
			s.OtherResult.SetText(a.errText(err))
		case len(refs) == 0:
			s.OtherResult.SetText(a.T("No colleague's customer has that phone or e-mail."))
		default:
			s.otherID = refs[0].ID
			s.OtherResult.SetText(a.T("A customer of %s matches. Opening it needs a reason and is recorded.", refs[0].Owner))
			s.OtherOpen.Show()
		}
	})
}

// BreakGlassPanel asks why a salesperson opens a colleague's customer before showing anything.
type BreakGlassPanel struct {
	Reason *widget.Entry
	Open   *widget.Button
	Cancel *widget.Button
	Error  *ui.Message
}

func (s *CustomersScreen) showBreakGlass(id string) {
	a := s.a
	p := &BreakGlassPanel{Reason: widget.NewMultiLineEntry(), Error: a.errorLabel()}
	p.Reason.SetPlaceHolder(a.T("e.g. customer at the counter asks about the repair while their salesperson is away"))
	p.Reason.SetMinRowsVisible(3)
	p.Open = a.button(a.T("Open (break-glass, audited)"), theme.WarningIcon(), func() {
		r := strings.TrimSpace(p.Reason.Text)
		if utf8.RuneCountInString(r) < 5 {
			p.Error.SetText(a.T("Give a reason of at least 5 characters."))
			return
		}
		s.Open(id, r)
	})
	p.Open.Importance = widget.DangerImportance
	p.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), s.showList)
	msg := widget.NewLabel(a.T("This customer belongs to another salesperson. You may open it only for a real need: your reason is recorded in the audit trail with your name, and you will see only the name, phone, bikes and work orders."))
	msg.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(ui.Heading(a.T("Break-glass: why do you need this customer?")), msg, p.Reason, p.Error, container.NewHBox(p.Cancel, p.Open))
	s.Card, s.Form, s.BikeForm = nil, nil, nil
	s.BreakGlass = p
	s.setBody(container.NewVScroll(ui.Centered(box, 600)))
	a.W.Canvas().Focus(p.Reason)
}

// CardView is one customer: contact details, bikes, work orders and sales.
type CardView struct {
	card        *store.CustomerCard
	Banner      *widget.Label // shown for a break-glass read
	Name        *widget.Label
	Details     map[string]*widget.Label
	Edit        *widget.Button
	NewSale     *widget.Button
	AddBike     *widget.Button
	Back        *widget.Button
	NewJobs     []*widget.Button // one "New work order" per bike
	OpenJobs    []*widget.Button // one per work order
	Customer    store.CustomerCard
	SalesLabels []*widget.Label
	Erase       *widget.Button     // owner and manager: erase for good (nil for others)
	Export      *SubjectExportView // owner, manager: the data-subject export
	Consent     *ConsentPanel      // consent.go; nil for a restricted view
}

func (s *CustomersScreen) showCard(card *store.CustomerCard) {
	a := s.a
	v := &CardView{card: card, Customer: *card, Details: map[string]*widget.Label{}}
	shop, _ := a.shopByID(card.ShopID)
	v.Name = ui.Heading(card.Name)
	v.Back = a.button(a.T("Back to search"), theme.NavigateBackIcon(), s.showList)
	v.Edit = a.button(a.T("Edit"), theme.DocumentCreateIcon(), func() { s.showForm(card) })
	v.NewSale = a.button(a.T("New sale"), theme.ContentAddIcon(), func() {
		a.navigate(routeNewSale{CustomerID: card.ID, Name: card.Name, ShopID: card.ShopID})
	})
	v.AddBike = a.button(a.T("Add bike"), theme.ContentAddIcon(), func() { s.showBikeForm(card) })
	writable := !card.Minimal && a.can(store.OpCustomerWrite)
	if !writable {
		v.Edit.Hide()
		v.AddBike.Hide()
	}
	if card.Minimal || !a.can(store.OpSales) {
		v.NewSale.Hide()
	}
	top := container.NewHBox(v.Back, v.Name, layoutSpacer(), v.Edit, v.AddBike, v.NewSale)
	s.addSubjectExport(v, card, top)
	if v.Erase = s.eraseButton(card); v.Erase != nil {
		top.Add(v.Erase)
	}
	var banner fyne.CanvasObject = container.NewVBox()
	if card.BreakGlass || card.Minimal {
		text := a.T("Restricted view: only name, phone, bikes and work orders are shown.")
		if card.BreakGlass {
			text = a.T("BREAK-GLASS: this is another salesperson's customer (%s). This access was recorded with your reason. Only name, phone, bikes and work orders are shown.", card.Owner)
		}
		v.Banner = widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		v.Banner.Wrapping = fyne.TextWrapWord
		v.Banner.Importance = widget.DangerImportance
		bg := canvasRect(theme.ColorNameError, 0x30)
		banner = container.NewStack(bg, container.NewPadded(v.Banner))
	}
	// Contact details.
	form := widget.NewForm()
	addField := func(key, label, value string) {
		l := widget.NewLabel(value)
		l.Wrapping = fyne.TextWrapWord
		v.Details[key] = l
		form.Append(label, l)
	}
	addField("phone", a.T("Phone"), a.phone(card.Phone, card.ShopID))
	if !card.Minimal {
		if card.PhoneAlt != "" {
			addField("phone_alt", a.T("Second phone"), a.phone(card.PhoneAlt, card.ShopID))
		}
		addField("email", a.T("E-mail"), card.Email)
		addField("address", a.T("Address"), card.Address)
		addField("birthday", a.T("Birthday"), card.Birthday)
		addField("notes", a.T("Notes"), card.Notes)
	}
	addField("owner", a.T("Salesperson"), card.Owner)
	addField("shop", a.T("Shop"), shop.Name)
	addField("since", a.T("Customer since"), day(card.CreatedAt))
	if !card.Minimal && card.Source != "" {
		addField("source", a.T("Imported from"), card.Source)
	}
	// Bikes.
	bikes := container.NewVBox()
	for _, b := range card.Bikes {
		desc := strings.TrimSpace(b.Make + " " + b.Model)
		if b.Year > 0 {
			desc += " (" + strconv.Itoa(b.Year) + ")"
		}
		extra := []string{}
		for _, x := range []string{b.Type, b.Colour, b.FrameSize} {
			if x != "" {
				extra = append(extra, x)
			}
		}
		if b.Serial != "" {
			extra = append(extra, a.T("serial")+" "+b.Serial)
		}
		bike := b
		job := a.button(a.T("New work order"), theme.ContentAddIcon(), func() {
			a.navigate(routeNewWorkOrder{Card: card, BikeID: bike.ID})
		})
		if !a.canCreateJobs() {
			job.Hide()
		}
		v.NewJobs = append(v.NewJobs, job)
		info := widget.NewLabel(desc + "\n" + strings.Join(extra, " · "))
		info.Wrapping = fyne.TextWrapWord
		bikes.Add(container.NewBorder(nil, nil, nil, job, info))
	}
	if len(card.Bikes) == 0 {
		bikes.Add(widget.NewLabel(a.T("No bikes yet.")))
	}
	// Work orders.
	jobs := container.NewVBox()
	cur := shop.Currency
	for _, wo := range card.WorkOrders {
		w := wo
		label := a.T(statusLabel(w.Status)) + " · " + day(w.CreatedAt) + " · " + money(w.Total, cur)
		if w.Mechanic != "" {
			label += " · " + w.Mechanic
		}
		btn := a.button(label, theme.ListIcon(), func() {
			a.navigate(routeJob{CustomerID: card.ID, WorkOrderID: w.ID})
		})
		btn.Alignment = widget.ButtonAlignLeading
		v.OpenJobs = append(v.OpenJobs, btn)
		complaint := widget.NewLabel(w.Complaint)
		complaint.Wrapping = fyne.TextWrapWord
		jobs.Add(container.NewVBox(btn, complaint))
	}
	if len(card.WorkOrders) == 0 {
		jobs.Add(widget.NewLabel(a.T("No work orders yet.")))
	}
	right := container.NewVBox(widget.NewCard(a.T("Bikes"), "", bikes), widget.NewCard(a.T("Work orders"), "", jobs))
	if !card.Minimal {
		sales := container.NewVBox()
		for _, sl := range card.Sales {
			items := []string{}
			for _, l := range sl.Lines {
				items = append(items, l.Description)
			}
			l := widget.NewLabel(day(sl.SoldAt) + " · " + money(sl.Total, cur) + " · " + a.T(paymentLabel(sl.PaymentMethod)) + "\n" + strings.Join(items, ", "))
			l.Wrapping = fyne.TextWrapWord
			v.SalesLabels = append(v.SalesLabels, l)
			sales.Add(l)
		}
		if len(card.Sales) == 0 {
			sales.Add(widget.NewLabel(a.T("No sales yet.")))
		}
		right.Add(widget.NewCard(a.T("Sales"), "", sales))
		v.Consent = s.consentSection(card, writable)
		right.Add(v.Consent.root)
	}
	left := widget.NewCard(a.T("Contact details"), "", form)
	body := container.NewGridWithColumns(2, container.NewVBox(left), right)
	s.Form, s.BreakGlass, s.BikeForm = nil, nil, nil
	s.Card = v
	s.setBody(container.NewBorder(container.NewVBox(top, banner), nil, nil, nil, container.NewVScroll(body)))
}

// CustomerForm creates or edits a customer and says which field is wrong.
type CustomerForm struct {
	id          string
	Name        *widget.Entry
	Email       *widget.Entry
	Phone       *widget.Entry
	PhoneAlt    *widget.Entry
	Address     *widget.Entry
	Birthday    *widget.Entry
	Notes       *widget.Entry
	Shop        *widget.Select // org-wide users with several shops
	Salesperson *widget.Select // owner and manager: whose customer
	FieldErrors map[string]*ui.Message
	Save        *widget.Button
	Cancel      *widget.Button
	Error       *ui.Message
	shopIDs     map[string]string
	staffIDs    map[string]string
}

// NewCustomer opens an empty customer form.
func (s *CustomersScreen) NewCustomer() { s.showForm(nil) }

func phoneExample(region string) string {
	switch region {
	case "US", "CA":
		return "(503) 555-0142"
	case "DE":
		return "030 1234567"
	case "CN":
		return "138 0013 8000"
	case "GB":
		return "020 7946 0018"
	}
	return "+1 503 555 0142"
}

func (s *CustomersScreen) showForm(card *store.CustomerCard) {
	a := s.a
	f := &CustomerForm{FieldErrors: map[string]*ui.Message{}, Error: a.errorLabel(), shopIDs: map[string]string{}, staffIDs: map[string]string{}}
	f.Name, f.Email, f.Phone, f.Address, f.Birthday = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.PhoneAlt = widget.NewEntry()
	f.Notes = widget.NewMultiLineEntry()
	f.Notes.SetMinRowsVisible(3)
	shop := a.userShop()
	title := a.T("New customer")
	if card != nil {
		f.id = card.ID
		title = a.T("Edit customer")
		f.Name.SetText(card.Name)
		f.Email.SetText(card.Email)
		f.Phone.SetText(a.phone(card.Phone, card.ShopID))
		f.PhoneAlt.SetText(a.phone(card.PhoneAlt, card.ShopID))
		f.Address.SetText(card.Address)
		f.Birthday.SetText(card.Birthday)
		f.Notes.SetText(card.Notes)
		shop, _ = a.shopByID(card.ShopID)
	}
	f.Email.SetPlaceHolder("name@example.com")
	f.Birthday.SetPlaceHolder(a.T("YYYY-MM-DD (optional)"))
	setPhoneHint := func(region string) {
		f.Phone.SetPlaceHolder(a.T("e.g. %s (numbers without +country code are read as %s)", phoneExample(region), region))
	}
	setPhoneHint(shop.Region)
	form := widget.NewForm()
	field := func(key, label string, w fyne.CanvasObject, required bool) {
		e := a.errorLabel()
		e.Hide()
		f.FieldErrors[key] = e
		text := label
		if required {
			text += " *"
		}
		form.Append(text, container.NewVBox(w, e))
	}
	if card == nil && a.user.ShopID == "" && len(a.shops) > 1 {
		var names []string
		for _, sh := range a.shops {
			names = append(names, sh.Name)
			f.shopIDs[sh.Name] = sh.ID
		}
		f.Shop = widget.NewSelect(names, func(v string) {
			if sh, ok := a.shopByID(f.shopIDs[v]); ok {
				setPhoneHint(sh.Region)
				f.fillSalespeople(a, sh.ID)
			}
		})
		f.Shop.PlaceHolder = a.T("choose a shop")
		field("shop", a.T("Shop"), f.Shop, true)
	}
	if card == nil && (a.has(store.RoleOwner) || a.has(store.RoleManager)) {
		f.Salesperson = widget.NewSelect(nil, nil)
		f.fillSalespeople(a, a.user.ShopID)
		field("owner", a.T("Salesperson"), f.Salesperson, false)
	}
	field("name", a.T("Name"), f.Name, true)
	field("phone", a.T("Phone"), f.Phone, false)
	field("phone_alt", a.T("Second phone"), f.PhoneAlt, false)
	field("email", a.T("E-mail"), f.Email, false)
	field("address", a.T("Address"), f.Address, false)
	field("birthday", a.T("Birthday"), f.Birthday, false)
	field("notes", a.T("Notes"), f.Notes, false)
	f.Save = a.button(a.T("Save"), theme.DocumentSaveIcon(), func() { s.saveForm(f) })
	f.Save.Importance = widget.HighImportance
	f.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), func() {
		if card != nil {
			s.showCard(card)
		} else {
			s.showList()
		}
	})
	box := container.NewVBox(ui.Heading(title), form, f.Error, container.NewHBox(f.Cancel, f.Save))
	s.Card, s.BreakGlass, s.BikeForm = nil, nil, nil
	s.Form = f
	s.setBody(container.NewVScroll(ui.Centered(box, 640)))
	a.W.Canvas().Focus(f.Name)
}

func (f *CustomerForm) fillSalespeople(a *App, shopID string) {
	if f.Salesperson == nil {
		return
	}
	me := a.T("Me (%s)", a.user.Username)
	opts := []string{me}
	f.staffIDs = map[string]string{me: ""}
	for _, st := range a.staff {
		if slices.Contains(st.Roles, store.RoleSales) && (shopID == "" || st.ShopID == shopID) {
			opts = append(opts, st.Username)
			f.staffIDs[st.Username] = st.ID
		}
	}
	f.Salesperson.Options = opts
	f.Salesperson.SetSelected(me)
}

func (s *CustomersScreen) saveForm(f *CustomerForm) {
	a := s.a
	for _, l := range f.FieldErrors {
		l.SetText("")
		l.Hide()
	}
	a.relayout()
	f.Error.SetText("")
	in := store.CustomerInput{Name: f.Name.Text, Email: f.Email.Text, Phone: f.Phone.Text, PhoneAlt: f.PhoneAlt.Text, Address: f.Address.Text,
		Birthday: f.Birthday.Text, Notes: f.Notes.Text}
	if f.Shop != nil {
		in.ShopID = f.shopIDs[f.Shop.Selected]
		if in.ShopID == "" {
			f.showFieldError(a, "shop", a.T("choose a shop"))
			return
		}
	}
	if f.Salesperson != nil {
		in.OwnerID = f.staffIDs[f.Salesperson.Selected]
	}
	if strings.TrimSpace(in.Name) == "" {
		f.showFieldError(a, "name", a.T("is required"))
		return
	}
	f.Save.Disable()
	id := f.id
	load(a, func(ctx context.Context, ss *store.Session) (string, error) {
		if id == "" {
			return ss.CreateCustomer(ctx, in)
		}
		return id, ss.UpdateCustomer(ctx, id, in)
	}, func(id string, err error) {
		f.Save.Enable()
		var ve *store.ValidationError
		var fe *store.FieldError
		switch {
		case errors.As(err, &ve):
			for _, e := range ve.Fields {
				f.showFieldError(a, e.Field, a.T(e.Reason))
			}
			f.Error.SetText(a.T("Please correct the marked fields."))
		case errors.As(err, &fe):
			f.showFieldError(a, fe.Field, a.T(fe.Reason))
		case err != nil:
			f.Error.SetText(a.errText(err))
		default:
			a.wrote()
			s.runSearch()
			s.Open(id, "")
		}
	})
}

func (f *CustomerForm) showFieldError(a *App, field, msg string) {
	if field == "text" {
		field = "notes"
	}
	if l := f.FieldErrors[field]; l != nil {
		l.SetText(msg)
		l.Show()
		a.relayout()
		return
	}
	f.Error.SetText(a.T(fieldLabel(field)) + ": " + msg)
}

// BikeForm adds a bike to a customer.
type BikeForm struct {
	Make, Model, Year, Colour, Size, Serial *widget.Entry
	Type                                    *widget.Select
	Save, Cancel                            *widget.Button
	Error                                   *ui.Message
}

func (s *CustomersScreen) showBikeForm(card *store.CustomerCard) {
	a := s.a
	f := &BikeForm{Make: widget.NewEntry(), Model: widget.NewEntry(), Year: widget.NewEntry(), Colour: widget.NewEntry(),
		Size: widget.NewEntry(), Serial: widget.NewEntry(), Type: widget.NewSelect(store.BikeTypes, nil), Error: a.errorLabel()}
	f.Serial.SetPlaceHolder(a.T("letters and digits, as stamped under the bottom bracket"))
	f.Save = a.button(a.T("Save"), theme.DocumentSaveIcon(), func() {
		b := store.Bike{Make: f.Make.Text, Model: f.Model.Text, Type: f.Type.Selected, Colour: f.Colour.Text, FrameSize: f.Size.Text, Serial: f.Serial.Text}
		if y := strings.TrimSpace(f.Year.Text); y != "" {
			n, err := strconv.Atoi(y)
			if err != nil {
				f.Error.SetText(a.T("Year") + ": " + a.T("is not a plausible model year"))
				return
			}
			b.Year = n
		}
		do(a, func(ctx context.Context, ss *store.Session) error {
			_, err := ss.AddBike(ctx, card.ID, b)
			return err
		}, func(err error) {
			if err != nil {
				f.Error.SetText(a.errText(err))
				return
			}
			a.wrote()
			s.Open(card.ID, "")
		})
	})
	f.Save.Importance = widget.HighImportance
	f.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), func() { s.showCard(card) })
	form := widget.NewForm(widget.NewFormItem(a.T("Make")+" *", f.Make), widget.NewFormItem(a.T("Model"), f.Model),
		widget.NewFormItem(a.T("Year"), f.Year), widget.NewFormItem(a.T("Type"), f.Type), widget.NewFormItem(a.T("Colour"), f.Colour),
		widget.NewFormItem(a.T("Frame size"), f.Size), widget.NewFormItem(a.T("Frame serial"), f.Serial))
	box := container.NewVBox(ui.Heading(a.T("Add a bike for %s", card.Name)), form, f.Error, container.NewHBox(f.Cancel, f.Save))
	s.Card, s.Form, s.BreakGlass = nil, nil, nil
	s.BikeForm = f
	s.setBody(container.NewVScroll(ui.Centered(box, 600)))
}
