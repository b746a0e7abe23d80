package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/mail"
	"spoke/store"
)

// The Reminders tab: the counter's due list (service reminders by rule, "your bike is ready"
// notices) to call or send by e-mail, for whoever may see the customers: a salesperson their
// own, a manager the shop's, the owner any shop's. And the "Mail and reminders" pane of the
// Administration desk, where the owner or the shop's manager sets the shop's mail server and
// its reminder rules.

const tabReminders = "reminders"

// RemindersScreen is the due list.
type RemindersScreen struct {
	a    *App
	root fyne.CanvasObject

	Shop    *widget.Select
	List    *widget.List
	Summary *widget.Label
	SendAll *widget.Button
	SendOne *widget.Button
	Called  *widget.Button
	Dismiss *widget.Button
	Result  *ui.Message
	Error   *ui.Message

	Due      []store.DueReminder
	selected int
	shopID   string
}

var reminderWeights = []float32{0.8, 1, 1.4, 1, 1.2, 0.6, 0.8}

func newRemindersScreen(a *App) *RemindersScreen {
	s := &RemindersScreen{a: a, Summary: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel(), selected: -1, shopID: a.user.ShopID}
	spec := ui.RowSpec{Weights: reminderWeights, Labels: 7, BoldFirst: true}
	s.List = ui.NewList(func() int { return len(s.Due) }, spec, func(i widget.ListItemID, r ui.Row) {
		d := s.Due[i]
		r.SetTexts(d.Due.Local().Format("2006-01-02"), a.reminderKind(d.Kind), d.Name, d.Phone, d.Bike, a.yesNo(d.HasEmail), a.consentWord(d.Consent))
	})
	s.List.OnSelected = func(i widget.ListItemID) { a.touch(); s.selected = i; s.enable() }
	s.SendAll = a.button(a.T("Send all by e-mail"), theme.MailSendIcon(), func() { s.send(nil) })
	s.SendAll.Importance = widget.HighImportance
	s.SendOne = a.button(a.T("Send selected"), theme.MailSendIcon(), func() {
		if d, ok := s.current(); ok {
			s.send([]string{d.ID})
		}
	})
	s.Called = a.button(a.T("Called"), theme.ConfirmIcon(), func() { s.mark(store.OutcomeCalled) })
	s.Dismiss = a.button(a.T("Dismiss"), theme.CancelIcon(), func() { s.mark(store.OutcomeDismissed) })
	refresh := a.button(a.T("Refresh"), theme.ViewRefreshIcon(), s.Refresh)
	var shopRow fyne.CanvasObject = layoutSpacer()
	if a.user.ShopID == "" && len(a.shops) > 0 {
		var names []string
		for _, sh := range a.shops {
			names = append(names, sh.Name)
		}
		s.Shop = widget.NewSelect(names, func(v string) {
			for _, sh := range a.shops {
				if sh.Name == v {
					s.shopID = sh.ID
				}
			}
			s.Refresh()
		})
		s.shopID = a.shops[0].ID
		s.Shop.Selected = a.shops[0].Name
		shopRow = container.NewHBox(widget.NewLabel(a.T("Shop")), s.Shop)
	}
	intro := ui.WrapLabel()
	intro.SetText(a.T("Bikes due for a service in the next two weeks, and jobs ready for collection. E-mail goes only to customers whose consent for service reminders by e-mail is current (a ready notice unless they withdrew it); call the others. Nothing tracks whether a message is opened."))
	header := ui.Header(reminderWeights, a.T("Due"), a.T("Reminder"), a.T("Customer"), a.T("Phone"), a.T("Bike"), a.T("E-mail"), a.T("Consent"))
	top := container.NewVBox(container.NewHBox(ui.Heading(a.T("Reminders")), layoutSpacer(), shopRow, refresh), intro, s.Summary, header)
	bottom := container.NewVBox(container.NewHBox(s.SendAll, s.SendOne, s.Called, s.Dismiss), s.Result, s.Error)
	s.root = container.NewBorder(top, bottom, nil, nil, s.List)
	s.enable()
	return s
}

func (a *App) reminderKind(k store.ReminderKind) string {
	return map[store.ReminderKind]string{store.KindFirstService: a.T("First service"), store.KindYearly: a.T("Yearly service"),
		store.KindEBike: a.T("E-bike check"), store.KindAfterJob: a.T("Twelve months after a job"), store.KindReady: a.T("Bike ready")}[k]
}

func (a *App) consentWord(c string) string {
	switch c {
	case "granted":
		return a.T("granted")
	case "withdrawn":
		return a.T("withdrawn")
	}
	return a.T("none")
}

func (a *App) yesNo(b bool) string {
	if b {
		return a.T("yes")
	}
	return a.T("no")
}

func (s *RemindersScreen) current() (store.DueReminder, bool) {
	if s.selected < 0 || s.selected >= len(s.Due) {
		return store.DueReminder{}, false
	}
	return s.Due[s.selected], true
}

func (s *RemindersScreen) enable() {
	_, ok := s.current()
	for _, b := range []*widget.Button{s.SendOne, s.Called, s.Dismiss} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if len(s.Due) == 0 {
		s.SendAll.Disable()
	} else {
		s.SendAll.Enable()
	}
}

// Refresh reads the due list again.
func (s *RemindersScreen) Refresh() {
	a := s.a
	shop := s.shopID
	load(a, func(ctx context.Context, ss *store.Session) ([]store.DueReminder, error) {
		return ss.DueReminders(ctx, store.DueOptions{ShopID: shop})
	}, func(due []store.DueReminder, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.Error.SetText("")
		s.Due, s.selected = due, -1
		s.List.UnselectAll()
		consented := 0
		for _, d := range due {
			if d.HasEmail && (d.Consent == "granted" || d.Kind == store.KindReady && d.Consent != "withdrawn") {
				consented++
			}
		}
		s.Summary.SetText(a.T("%d due; %d can be sent by e-mail, the others need a call.", len(due), consented))
		s.List.Refresh()
		s.enable()
	})
}

func (s *RemindersScreen) send(ids []string) {
	a := s.a
	shop := s.shopID
	load(a, func(ctx context.Context, ss *store.Session) (*store.SendReport, error) {
		return ss.SendReminders(ctx, shop, ids, a.mailer())
	}, func(rep *store.SendReport, err error) {
		if err != nil {
			s.Result.SetText("")
			if errors.Is(err, store.ErrNoMailServer) {
				s.Error.SetText(a.T("This shop has no mail server yet: the owner or the shop's manager sets one under Administration, Mail and reminders."))
				return
			}
			s.Error.SetText(a.errText(err))
			return
		}
		s.Error.SetText("")
		s.Result.SetText(a.T("Sent %d; not sent: %d without consent, %d without an e-mail address, %d failed.", rep.Sent, rep.NoConsent, rep.NoAddress, rep.Failed))
		s.Refresh()
	})
}

func (s *RemindersScreen) mark(o store.ReminderOutcome) {
	a := s.a
	d, ok := s.current()
	if !ok {
		return
	}
	shop := s.shopID
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.MarkReminder(ctx, shop, d.ID, o) }, func(err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.Result.SetText(a.T("Marked; it leaves the list on every device."))
		s.Refresh()
	})
}

// mailer is the transport sends go through: the shop's SMTP server (its settings name a
// private CA where it has one).
func (a *App) mailer() mail.Transport { return mail.SMTP{} }

// The Administration pane for the shop's mail server and reminder rules.

const paneMail = "mail"

func init() {
	registerAdminPane(adminPane{order: 45, name: paneMail, label: "Mail and reminders", may: mayMail, build: buildMail})
}

// mayMail: the owner, and a shop's manager.
func mayMail(a *App) bool { return a.has(store.RoleOwner) || a.has(store.RoleManager) }

// MailPane sets the shop's mail server and its reminder rules.
type MailPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject
	shopID  string

	Host, Port, From, FromName, User, Password, Booking, Unsubscribe *widget.Entry
	ImplicitTLS                                                      *widget.Check
	Lang                                                             *widget.Select
	Save                                                             *widget.Button
	Status                                                           *widget.Label
	Rules                                                            []*ruleRow
	SaveRules                                                        *widget.Button
	Result                                                           *ui.Message
	Error                                                            *ui.Message
}

type ruleRow struct {
	kind    store.ReminderKind
	On      *widget.Check
	Every   *widget.Entry
	Unit    *widget.Select
	current store.ReminderRule
}

func buildMail(a *App) (fyne.CanvasObject, func()) {
	p := &MailPane{a: a, shopID: a.user.ShopID, Status: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	if p.shopID == "" && len(a.shops) > 0 {
		p.shopID = a.shops[0].ID
	}
	entry := func(ph string) *widget.Entry { e := widget.NewEntry(); e.SetPlaceHolder(ph); return e }
	p.Host, p.Port, p.From, p.FromName = entry("smtp.example.com"), entry("587"), entry("service@shop.example"), entry(a.T("Shop name"))
	p.User, p.Password = entry(a.T("login (optional)")), widget.NewPasswordEntry()
	p.Password.SetPlaceHolder(a.T("unchanged when empty"))
	p.Booking, p.Unsubscribe = entry("https://shop.example/book"), entry("https://hub.example.com")
	p.ImplicitTLS = widget.NewCheck(a.T("TLS from the first byte (port 465); otherwise STARTTLS is required"), nil)
	p.Lang = widget.NewSelect([]string{"en", "zh"}, nil)
	p.Lang.Selected = "en"
	p.Save = a.button(a.T("Save mail server"), theme.DocumentSaveIcon(), p.save)
	p.Save.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(a.T("SMTP server"), p.Host), widget.NewFormItem(a.T("Port"), p.Port), widget.NewFormItem("", p.ImplicitTLS),
		widget.NewFormItem(a.T("Sender address"), p.From), widget.NewFormItem(a.T("Sender name"), p.FromName),
		widget.NewFormItem(a.T("Login"), p.User), widget.NewFormItem(a.T("Password"), p.Password),
		widget.NewFormItem(a.T("Letters in"), p.Lang), widget.NewFormItem(a.T("Booking link"), p.Booking),
		widget.NewFormItem(a.T("Hub's public address"), p.Unsubscribe))
	rules := container.NewVBox()
	for _, k := range store.ReminderKinds {
		r := &ruleRow{kind: k, On: widget.NewCheck(a.reminderKind(k), nil), Every: widget.NewEntry(), Unit: widget.NewSelect([]string{"weeks", "months"}, nil)}
		p.Rules = append(p.Rules, r)
		rules.Add(container.NewGridWithColumns(3, r.On, r.Every, r.Unit))
	}
	p.SaveRules = a.button(a.T("Save rules"), theme.DocumentSaveIcon(), p.saveRules)
	intro := ui.WrapLabel()
	intro.SetText(a.T("Reminders go through the shop's own mail server, over TLS only. The login is sealed so that every device of the shop can send. With the hub's public address, each message has a one-click unsubscribe; without it, customers unsubscribe by replying."))
	p.content = container.NewVScroll(container.NewVBox(ui.Heading(a.T("Mail and reminders")), intro, p.Status, form, p.Save,
		ui.Bold(a.T("Reminder rules")), rules, p.SaveRules, p.Result, p.Error))
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane.
func (p *MailPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

type mailView struct {
	m     *store.MailSettings
	rules []store.ReminderRule
}

// Reload reads the settings and rules.
func (p *MailPane) Reload() {
	a, shop := p.a, p.shopID
	load(a, func(ctx context.Context, ss *store.Session) (mailView, error) {
		m, err := ss.MailSettings(ctx, shop)
		if err != nil && !errors.Is(err, store.ErrNoMailServer) {
			return mailView{}, err
		}
		rules, err := ss.ReminderRules(ctx, shop)
		return mailView{m, rules}, err
	}, func(v mailView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		if v.m == nil {
			p.Status.SetText(a.T("No mail server set yet: reminders can only be called."))
		} else {
			p.Host.SetText(v.m.Host)
			p.Port.SetText(strconv.Itoa(v.m.Port))
			p.ImplicitTLS.SetChecked(v.m.ImplicitTLS)
			p.From.SetText(v.m.From)
			p.FromName.SetText(v.m.FromName)
			p.User.SetText(v.m.Username)
			p.Lang.SetSelected(v.m.Lang)
			p.Booking.SetText(v.m.Booking)
			p.Unsubscribe.SetText(v.m.UnsubscribeBase)
			p.Status.SetText(a.T("Mail server set on %s; password stored: %s.", v.m.SetAt.Local().Format("2006-01-02"), a.yesNo(v.m.HasPassword)))
		}
		for _, r := range p.Rules {
			for _, x := range v.rules {
				if x.Kind == r.kind {
					r.current = x
					r.On.SetChecked(x.Enabled)
					r.Every.SetText(strconv.Itoa(x.Every))
					r.Unit.SetSelected(x.Unit)
				}
			}
		}
	})
}

func (p *MailPane) save() {
	a, shop := p.a, p.shopID
	port := 0
	if p.Port.Text != "" {
		n, err := strconv.Atoi(p.Port.Text)
		if err != nil {
			p.Error.SetText(a.T("The port is a number, e.g. 587."))
			return
		}
		port = n
	}
	m := store.MailSettings{Settings: mail.Settings{Host: p.Host.Text, Port: port, ImplicitTLS: p.ImplicitTLS.Checked, Username: p.User.Text,
		Password: p.Password.Text, From: p.From.Text, FromName: p.FromName.Text}, Lang: p.Lang.Selected, Booking: p.Booking.Text, UnsubscribeBase: p.Unsubscribe.Text}
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.SetMailSettings(ctx, shop, m) }, func(err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Password.SetText("")
		p.Error.SetText("")
		p.Result.SetText(a.T("Mail server saved; every device of the shop sends through it after the next sync."))
		p.Reload()
	})
}

func (p *MailPane) saveRules() {
	a, shop := p.a, p.shopID
	var rules []store.ReminderRule
	for _, r := range p.Rules {
		n, err := strconv.Atoi(r.Every.Text)
		if err != nil {
			p.Error.SetText(a.T("Every rule needs a number of weeks or months."))
			return
		}
		nr := store.ReminderRule{Kind: r.kind, BikeType: r.current.BikeType, Every: n, Unit: r.Unit.Selected, Enabled: r.On.Checked}
		if nr.Every != r.current.Every || nr.Unit != r.current.Unit || nr.Enabled != r.current.Enabled {
			rules = append(rules, nr)
		}
	}
	do(a, func(ctx context.Context, ss *store.Session) error {
		for _, r := range rules {
			if err := ss.SetReminderRule(ctx, shop, r); err != nil {
				return fmt.Errorf("%s: %w", r.Kind, err)
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText("")
		p.Result.SetText(a.T("%d rule(s) saved.", len(rules)))
		p.Reload()
	})
}
