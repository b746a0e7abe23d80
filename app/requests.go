package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/compliance/deadline"
	"spoke/store"
)

// paneRequests is the privacy desk's data-subject request pane.
const paneRequests = "requests"

func init() {
	registerPrivacyPane(privacyPane{order: 10, name: paneRequests, label: "Requests", may: (*App).mayPrivacy,
		build: func(a *App) (fyne.CanvasObject, func()) {
			p := newRequestsPane(a)
			return p, p.Reload
		}})
	for k, v := range map[string]string{
		"subject": "Subject", "received": "Received", "channel": "Channel", "method": "Identity check", "notice": "Notice sent",
		"outcome": "Outcome", "reason": "Reason", "confirmed": "Receipt", "verified": "Identity", "day": "Day", "label": "Holiday",
	} {
		fieldLabels[k] = v
	}
}

// requestLabels are the English (translatable) names of the request desk's codes.
var requestLabels = map[string]string{
	"access": "Access (a copy of the data)", "rectification": "Rectification", "erasure": "Erasure",
	"restriction": "Restriction of processing", "objection": "Objection", "portability": "Portability",
	"ccpa_opt_out_sale": "Do not sell or share (CCPA)", "ccpa_limit_sensitive": "Limit use of sensitive data (CCPA)",
	"counter": "At the counter", "email": "E-mail", "phone": "Phone", "post": "Post", "web_form": "Web form",
	"received": "Just received", "verifying": "Verifying identity", "in_progress": "Being answered", "extended": "Extended",
	"completed": "Completed", "refused": "Declined", "withdrawn": "Withdrawn",
	"id_document_seen": "ID document seen", "email_match": "E-mail matches", "phone_match": "Phone matches",
	"account_signin": "Signed in to their account", "known_in_person": "Known in person", "other": "Something else",
	"fulfilled": "Fulfilled", "partially_fulfilled": "Partially fulfilled",
	"identity_not_verified": "Identity not verified", "manifestly_unfounded": "Manifestly unfounded", "excessive": "Excessive",
	"legal_obligation_to_retain": "Legal obligation to keep the data", "no_data_held": "No data held",
	"gdpr": "GDPR", "ccpa": "CCPA", "pipl": "PIPL", "default": "No statutory period",
}

// requestLabel names a code (the code itself when it has no name).
func requestLabel(code string) string {
	if l, ok := requestLabels[code]; ok {
		return l
	}
	return code
}

// codeSelect is a select over codes shown by their translated names.
type codeSelect struct {
	*widget.Select
	codes map[string]string // label -> code
}

func (a *App) newCodeSelect(codes []string, placeholder string) *codeSelect {
	c := &codeSelect{codes: map[string]string{}}
	var opts []string
	for _, code := range codes {
		l := a.T(requestLabel(code))
		opts = append(opts, l)
		c.codes[l] = code
	}
	c.Select = widget.NewSelect(opts, func(string) { a.touch() })
	c.PlaceHolder = placeholder
	return c
}

// Code is the chosen code ("" for none).
func (c *codeSelect) Code() string { return c.codes[c.Selected] }

// SetCode chooses a code ("" clears).
func (c *codeSelect) SetCode(code string) {
	for l, k := range c.codes {
		if k == code {
			c.SetSelected(l)
			return
		}
	}
	c.ClearSelected()
}

// requestErrText is errText, with the request rules' own refusals translated.
func (a *App) requestErrText(err error) string {
	for _, e := range []error{deadline.ErrNoExtension, deadline.ErrAlreadyExtended, deadline.ErrNoticeLate, deadline.ErrNoticeEarly,
		deadline.ErrNotInJurisdiction, store.ErrRequestClosed, store.ErrRequestKept} {
		if errors.Is(err, e) {
			return a.T(e.Error())
		}
	}
	return a.errText(err)
}

// RequestsPane is the data-subject request desk: the requests with their deadlines, the steps
// on the one selected, a form for a new one, and the shop's holidays. It is the pane's content
// itself, so a test reaches it from PrivacyScreen.Panes.
type RequestsPane struct {
	widget.BaseWidget
	a    *App
	root fyne.CanvasObject

	List *widget.List
	Note *ui.Message

	// The selected request and its steps.
	Selected     *widget.Label
	ConfirmBtn   *widget.Button
	VerifyMethod *codeSelect
	VerifyBtn    *widget.Button
	NoticeDate   *widget.Entry
	ExtendBtn    *widget.Button
	Outcome      *codeSelect
	Reason       *codeSelect
	CloseBtn     *widget.Button
	Message      *ui.Message

	// A new request.
	NewType    *codeSelect
	NewChannel *codeSelect
	NewShop    *widget.Select
	*customerPicker
	Subject      *widget.Label
	ClearSubject *widget.Button
	NewReceived  *widget.Entry
	NewSave      *widget.Button
	NewError     *ui.Message

	// The shop's holidays.
	Holidays     *widget.Label
	HolidayDay   *widget.Entry
	HolidayLabel *widget.Entry
	HolidayAdd   *widget.Button
	HolidayDel   *widget.Button
	HolidayNote  *ui.Message

	requests  []store.PrivacyRequest
	selected  string // the selected request's id
	subjectID string
	shopIDs   map[string]string // shop name -> id
	lists     latest
}

func newRequestsPane(a *App) *RequestsPane {
	p := &RequestsPane{a: a, Note: a.newMsgLabel(widget.MediumImportance), Message: a.errorLabel(), NewError: a.errorLabel(),
		HolidayNote: a.errorLabel(), shopIDs: map[string]string{}}
	p.ExtendBaseWidget(p)

	rows := ui.RowSpec{Weights: requestWeights, Labels: 6}
	p.List = ui.NewList(func() int { return len(p.requests) }, rows, func(i widget.ListItemID, row ui.Row) {
		r := p.requests[i]
		subject := "-"
		if r.SubjectID != "" {
			subject = shortSubject(r.SubjectID)
		}
		row.SetTexts(a.T(requestLabel(r.Type)), subject, r.Received, r.Due, a.T(requestLabel(r.Status)), p.stateText(r))
		imp := widget.MediumImportance
		switch {
		case r.Overdue:
			imp = widget.DangerImportance
		case r.DueSoon:
			imp = widget.WarningImportance
		}
		row.Label(5).Importance = imp
		row.Label(5).Refresh()
	})
	p.List.OnSelected = func(i widget.ListItemID) {
		a.touch()
		if i < len(p.requests) {
			p.selected = p.requests[i].ID
			p.showSelected()
		}
	}
	head := ui.Header(requestWeights, a.T("Type"), a.T("Subject"), a.T("Received"), a.T("Due"), a.T("Status"), a.T("Deadline"))

	p.Selected = widget.NewLabel("") // lines of its own: a wrapped label would measure itself before its width is known
	p.ConfirmBtn = a.button(a.T("Confirm receipt"), theme.MailSendIcon(), p.confirm)
	p.VerifyMethod = a.newCodeSelect(store.VerifyMethods, a.T("How was the identity checked?"))
	p.VerifyBtn = a.button(a.T("Verify identity"), theme.ConfirmIcon(), p.verify)
	p.NoticeDate = widget.NewEntry()
	p.NoticeDate.SetPlaceHolder("YYYY-MM-DD")
	p.ExtendBtn = a.button(a.T("Extend"), theme.HistoryIcon(), p.extend)
	p.Outcome = a.newCodeSelect(store.RequestOutcomes, a.T("Outcome"))
	p.Reason = a.newCodeSelect(store.RefusalReasons, a.T("Reason (for a refusal)"))
	p.CloseBtn = a.button(a.T("Close request"), theme.DocumentSaveIcon(), p.close)
	steps := widget.NewForm(
		widget.NewFormItem(a.T("Receipt"), container.NewHBox(p.ConfirmBtn)),
		widget.NewFormItem(a.T("Identity"), container.NewBorder(nil, nil, nil, p.VerifyBtn, p.VerifyMethod.Select)),
		widget.NewFormItem(a.T("Notice sent"), container.NewBorder(nil, nil, nil, p.ExtendBtn, p.NoticeDate)),
		widget.NewFormItem(a.T("Answer"), container.NewBorder(nil, nil, nil, p.CloseBtn, container.NewGridWithColumns(2, p.Outcome.Select, p.Reason.Select))),
	)
	selected := widget.NewCard(a.T("Selected request"), "", container.NewVBox(p.Selected, steps, p.Message))

	help := ui.Note(a.T("Each request's legal deadline follows the shop's country: GDPR one month, CCPA 45 days (receipt confirmed within 10 business days), opt-outs 15 business days. Nothing typed about the person is kept here: the subject is a customer id."))
	left := container.NewBorder(container.NewVBox(ui.Heading(a.T("Data-subject requests")), help, p.Note, head), container.NewPadded(selected), nil, nil, p.List)

	// New request.
	p.NewType = a.newCodeSelect(store.RequestTypes, a.T("What is asked"))
	p.NewChannel = a.newCodeSelect(store.RequestChannels, a.T("How it came"))
	p.NewShop = widget.NewSelect(nil, func(string) { a.touch() })
	for _, sh := range a.shops {
		if a.user.ShopID == "" || a.user.ShopID == sh.ID {
			p.NewShop.Options = append(p.NewShop.Options, sh.Name)
			p.shopIDs[sh.Name] = sh.ID
		}
	}
	if len(p.NewShop.Options) > 0 {
		p.NewShop.SetSelected(p.NewShop.Options[0])
	}
	p.customerPicker = newCustomerPicker(a, a.T("Find the customer (leave empty for a person not found)"), 10, func(c store.CustomerSummary) {
		p.subjectID = c.ID
		p.Subject.SetText(c.Name + " · " + shortSubject(c.ID))
	})
	p.Subject = widget.NewLabel(a.T("Not a customer we found"))
	p.ClearSubject = a.button("", theme.ContentClearIcon(), func() { p.setSubject("") })
	p.NewReceived = widget.NewEntry()
	p.NewReceived.SetPlaceHolder(a.T("today (or YYYY-MM-DD)"))
	p.NewSave = a.button(a.T("Record request"), theme.ContentAddIcon(), p.create)
	p.NewSave.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(a.T("Type"), p.NewType.Select),
		widget.NewFormItem(a.T("Channel"), p.NewChannel.Select),
		widget.NewFormItem(a.T("Received"), p.NewReceived),
	)
	if len(p.NewShop.Options) > 1 {
		form.Append(a.T("Shop"), p.NewShop)
	}
	subject := container.NewVBox(container.NewBorder(nil, nil, nil, p.ClearSubject, p.Subject), p.Search, container.NewGridWrap(fyne.NewSize(360, 120), p.Results))
	newCard := widget.NewCard(a.T("New request"), "", container.NewVBox(form, widget.NewLabel(a.T("Subject")), subject, p.NewError, p.NewSave))

	// Holidays.
	p.Holidays = ui.WrapLabel()
	p.HolidayDay = widget.NewEntry()
	p.HolidayDay.SetPlaceHolder("YYYY-MM-DD")
	p.HolidayLabel = widget.NewEntry()
	p.HolidayLabel.SetPlaceHolder(a.T("e.g. Christmas Day"))
	p.HolidayAdd = a.button(a.T("Add holiday"), theme.ContentAddIcon(), p.addHoliday)
	p.HolidayDel = a.button(a.T("Remove"), theme.DeleteIcon(), p.removeHoliday)
	holidays := widget.NewCard(a.T("Holidays"), a.T("Business-day deadlines skip weekends and these days."), container.NewVBox(p.Holidays,
		container.NewGridWithColumns(2, p.HolidayDay, p.HolidayLabel), container.NewHBox(p.HolidayAdd, p.HolidayDel), p.HolidayNote))

	right := container.NewVScroll(container.NewPadded(container.NewVBox(newCard, holidays)))
	split := container.NewHSplit(container.NewPadded(left), right)
	split.Offset = 0.62
	p.root = split
	p.showSelected()
	return p
}

var requestWeights = []float32{1.6, 0.9, 1, 1, 1, 1.2}

// shortSubject shows a subject's customer id by its last 8 digits: a UUIDv7's tail is random,
// its head the time it was made (shared by customers recorded the same day).
func shortSubject(id string) string {
	if len(id) <= 8 {
		return id
	}
	return "…" + id[len(id)-8:]
}

// CreateRenderer draws the pane's layout.
func (p *RequestsPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// stateText says where a request stands: OVERDUE, due in N days, or its outcome.
func (p *RequestsPane) stateText(r store.PrivacyRequest) string {
	a := p.a
	switch {
	case !r.Open:
		return a.T(requestLabel(r.Outcome))
	case r.Overdue && r.Next == "confirm":
		return a.T("OVERDUE: confirm receipt")
	case r.Overdue:
		return a.T("OVERDUE")
	case r.DaysLeft == 0:
		return a.T("due today")
	case r.Next == "confirm":
		return a.T("confirm in %d day(s)", r.DaysLeft)
	}
	return a.T("due in %d day(s)", r.DaysLeft)
}

func (p *RequestsPane) current() (store.PrivacyRequest, bool) {
	for _, r := range p.requests {
		if r.ID == p.selected {
			return r, true
		}
	}
	return store.PrivacyRequest{}, false
}

// showSelected fills the steps for the selected request, enabling what may still be done.
func (p *RequestsPane) showSelected() {
	a := p.a
	r, ok := p.current()
	buttons := []*widget.Button{p.ConfirmBtn, p.VerifyBtn, p.ExtendBtn, p.CloseBtn}
	if !ok {
		p.Selected.SetText(a.T("Select a request to record its next step."))
		for _, b := range buttons {
			b.Disable()
		}
		return
	}
	text := a.T(requestLabel(r.Type)) + " · " + a.T(requestLabel(r.Channel)) + " · " + a.T(requestLabel(r.Jurisdiction)) + "\n" +
		a.T("Received %s, answer due %s.", r.Received, r.Due) + "\n"
	if r.ConfirmDue != "" {
		if r.ConfirmedAt != nil {
			text += a.T("Receipt confirmed.") + " "
		} else {
			text += a.T("Confirm receipt by %s.", r.ConfirmDue) + " "
		}
	}
	if r.VerifiedAt != nil {
		text += a.T("Identity: %s.", a.T(requestLabel(r.VerifyMethod))) + " "
	}
	if r.ExtendedAt != nil {
		text += a.T("Extended.") + " "
	}
	if !r.Open {
		text += a.T("Closed: %s.", a.T(requestLabel(r.Outcome))) + " "
		if r.RefusalReason != "" {
			text += a.T(requestLabel(r.RefusalReason))
		}
	}
	p.Selected.SetText(strings.TrimSpace(text))
	a.relayout() // the card grows or shrinks with the lines
	enable := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	enable(p.ConfirmBtn, r.Open && r.ConfirmedAt == nil)
	enable(p.VerifyBtn, r.Open && r.VerifiedAt == nil)
	enable(p.ExtendBtn, r.Open && r.CanExtend)
	enable(p.CloseBtn, r.Open)
	if p.NoticeDate.Text == "" {
		p.NoticeDate.SetText(a.opts.Now().Format(time.DateOnly))
	}
}

// Reload lists the requests (and the holidays of the chosen shop) again.
func (p *RequestsPane) Reload() {
	a := p.a
	type loaded struct {
		rs  []store.PrivacyRequest
		hs  []store.Holiday
		her error
	}
	shop := p.shopIDs[p.NewShop.Selected]
	loadLatest(a, &p.lists, func(ctx context.Context, ss *store.Session) (loaded, error) {
		var l loaded
		var err error
		l.rs, err = ss.Requests(ctx, store.RequestFilter{})
		if err == nil {
			l.hs, l.her = ss.Holidays(ctx, shop)
		}
		return l, err
	}, func(l loaded, err error) {
		if err != nil {
			p.Note.Set(a.requestErrText(err), widget.DangerImportance)
			return
		}
		p.requests = l.rs
		p.List.Refresh()
		overdue, soon, open := 0, 0, 0
		for _, r := range l.rs {
			switch {
			case !r.Open:
				continue
			case r.Overdue:
				overdue++
			case r.DueSoon:
				soon++
			}
			open++
		}
		switch {
		case len(l.rs) == 0:
			p.Note.Set(a.T("No requests recorded."), widget.MediumImportance)
		case overdue > 0:
			p.Note.Set(a.T("%d open, %d OVERDUE, %d due within 3 days.", open, overdue, soon), widget.DangerImportance)
		default:
			p.Note.Set(a.T("%d open, %d due within 3 days.", open, soon), widget.MediumImportance)
		}
		p.showSelected()
		p.showHolidays(l.hs, l.her)
	})
}

func (p *RequestsPane) showHolidays(hs []store.Holiday, err error) {
	a := p.a
	if err != nil {
		p.Holidays.SetText(a.requestErrText(err))
		return
	}
	if len(hs) == 0 {
		p.Holidays.SetText(a.T("No holidays: only weekends are skipped."))
		return
	}
	var lines []string
	for _, h := range hs {
		lines = append(lines, h.Day+"  "+h.Label)
	}
	p.Holidays.SetText(strings.Join(lines, "\n"))
}

// after runs once a step was recorded: the list, the banner, the sync.
func (p *RequestsPane) after(err error, msg *ui.Message, ok string) {
	a := p.a
	if err != nil {
		msg.SetText(a.requestErrText(err))
		return
	}
	msg.Set(ok, widget.SuccessImportance)
	a.wrote()
	p.Reload()
	a.checkRequests()
}

func (p *RequestsPane) step(work func(ctx context.Context, ss *store.Session, id string) error, ok string) {
	id := p.selected
	if id == "" {
		return
	}
	do(p.a, func(ctx context.Context, ss *store.Session) error { return work(ctx, ss, id) }, func(err error) { p.after(err, p.Message, ok) })
}

func (p *RequestsPane) confirm() {
	p.step(func(ctx context.Context, ss *store.Session, id string) error { return ss.ConfirmReceipt(ctx, id) }, p.a.T("Receipt confirmed."))
}

func (p *RequestsPane) verify() {
	a := p.a
	method := p.VerifyMethod.Code()
	if method == "" {
		p.Message.SetText(a.T("Choose how the identity was checked."))
		return
	}
	p.step(func(ctx context.Context, ss *store.Session, id string) error {
		return ss.VerifyIdentity(ctx, id, method)
	}, a.T("Identity verified."))
}

func (p *RequestsPane) extend() {
	a := p.a
	d, err := deadline.ParseDate(strings.TrimSpace(p.NoticeDate.Text))
	if err != nil {
		p.Message.SetText(a.T("Give the day the person was told, as YYYY-MM-DD."))
		return
	}
	p.step(func(ctx context.Context, ss *store.Session, id string) error { return ss.ExtendRequest(ctx, id, d) }, a.T("Deadline extended."))
}

func (p *RequestsPane) close() {
	a := p.a
	outcome, reason := p.Outcome.Code(), p.Reason.Code()
	if outcome == "" {
		p.Message.SetText(a.T("Choose the outcome."))
		return
	}
	if outcome != "refused" && outcome != "partially_fulfilled" {
		reason = ""
	}
	p.step(func(ctx context.Context, ss *store.Session, id string) error {
		return ss.CloseRequest(ctx, id, outcome, reason)
	}, a.T("Request closed."))
}

func (p *RequestsPane) setSubject(id string) {
	p.subjectID = id
	if id == "" {
		p.Subject.SetText(p.a.T("Not a customer we found"))
		p.clear()
	}
}

func (p *RequestsPane) create() {
	a := p.a
	in := store.RequestInput{ShopID: p.shopIDs[p.NewShop.Selected], SubjectID: p.subjectID, Type: p.NewType.Code(), Channel: p.NewChannel.Code()}
	if in.Type == "" || in.Channel == "" {
		p.NewError.SetText(a.T("Choose what is asked and how it came."))
		return
	}
	if s := strings.TrimSpace(p.NewReceived.Text); s != "" {
		d, err := deadline.ParseDate(s)
		if err != nil {
			p.NewError.SetText(a.T("Write the day it came as YYYY-MM-DD, or leave it empty for today."))
			return
		}
		in.Received = d
	}
	var id string
	do(a, func(ctx context.Context, ss *store.Session) error {
		var err error
		id, err = ss.NewRequest(ctx, in)
		return err
	}, func(err error) {
		if err == nil {
			p.selected = id
			p.NewType.ClearSelected()
			p.NewChannel.ClearSelected()
			p.NewReceived.SetText("")
			p.setSubject("")
		}
		p.after(err, p.NewError, a.T("Request recorded."))
	})
}

func (p *RequestsPane) holidayDay() (deadline.Date, bool) {
	d, err := deadline.ParseDate(strings.TrimSpace(p.HolidayDay.Text))
	if err != nil {
		p.HolidayNote.SetText(p.a.T("Write the holiday as YYYY-MM-DD."))
		return d, false
	}
	return d, true
}

func (p *RequestsPane) addHoliday() {
	d, ok := p.holidayDay()
	if !ok {
		return
	}
	shop, label := p.shopIDs[p.NewShop.Selected], p.HolidayLabel.Text
	do(p.a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.AddHoliday(ctx, shop, d, label)
		return err
	}, func(err error) {
		if err == nil {
			p.HolidayDay.SetText("")
			p.HolidayLabel.SetText("")
		}
		p.after(err, p.HolidayNote, p.a.T("Holiday added."))
	})
}

func (p *RequestsPane) removeHoliday() {
	d, ok := p.holidayDay()
	if !ok {
		return
	}
	shop := p.shopIDs[p.NewShop.Selected]
	do(p.a, func(ctx context.Context, ss *store.Session) error { return ss.RemoveHoliday(ctx, shop, d) }, func(err error) {
		if err == nil {
			p.HolidayDay.SetText("")
		}
		p.after(err, p.HolidayNote, p.a.T("Holiday removed."))
	})
}

// newRequestsBanner builds the shell's second banner: privacy requests overdue or due soon,
// with a button to the desk. It starts hidden; checkRequests shows it.
func (s *Shell) newRequestsBanner() fyne.CanvasObject {
	a := s.a
	s.RequestsWarning = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.RequestsWarning.Wrapping = fyne.TextWrapWord
	s.RequestsOpen = a.button(a.T("Open requests"), theme.VisibilityIcon(), s.ShowRequests)
	b := container.NewStack(canvasRect(theme.ColorNameError, 0x30), container.NewPadded(
		container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), s.RequestsOpen, s.RequestsWarning)))
	b.Hide()
	return b
}

// ShowRequests opens the privacy desk on its Requests pane.
func (s *Shell) ShowRequests() {
	s.Show(tabPrivacy)
	if s.Privacy != nil {
		if it := s.Privacy.Panes[paneRequests]; it != nil {
			s.Privacy.Tabs.Select(it)
		}
	}
}

// checkRequests refreshes the requests banner (owner and managers) from the store's counts.
func (a *App) checkRequests() {
	if a.Shell == nil || !a.mayPrivacy() {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (store.RequestSummary, error) {
		return ss.OverdueSummary(ctx)
	}, func(sum store.RequestSummary, err error) {
		if a.Shell == nil || err != nil {
			return
		}
		a.Shell.setRequestsWarning(a.requestsWarningText(sum))
	})
}

// requestsWarningText is the banner's text ("" when nothing is overdue or due soon).
func (a *App) requestsWarningText(sum store.RequestSummary) string {
	switch {
	case sum.Overdue > 0 && sum.DueSoon > 0:
		return a.T("%d privacy request(s) OVERDUE and %d more due within 3 days: answer them on the Privacy desk.", sum.Overdue, sum.DueSoon)
	case sum.Overdue > 0:
		return a.T("%d privacy request(s) OVERDUE: answer them on the Privacy desk.", sum.Overdue)
	case sum.DueSoon > 0:
		return a.T("%d privacy request(s) due within 3 days.", sum.DueSoon)
	}
	return ""
}

// setRequestsWarning shows the requests banner with text, or hides it when text is empty.
func (s *Shell) setRequestsWarning(text string) {
	if text == s.RequestsWarning.Text && s.requestsBanner.Visible() == (text != "") {
		return
	}
	s.RequestsWarning.SetText(text)
	if text == "" {
		s.requestsBanner.Hide()
	} else {
		s.requestsBanner.Show()
	}
	s.a.relayout()
}
