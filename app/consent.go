package app

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// ConsentPanel is the customer card's consent section: the current state of each purpose with
// since when, Grant and Withdraw (the same form either way: withdrawing is as easy as giving),
// the whole history, and, for a customer whose data stays on the shop's devices, a line that
// says so (PIPL Art. 39).
type ConsentPanel struct {
	a          *App
	customerID string
	root       fyne.CanvasObject

	KeptLocal *widget.Label
	Current   map[store.Purpose]*widget.Label
	Grant     *widget.Button
	Withdraw  *widget.Button
	formBox   *fyne.Container
	Form      *ConsentForm // the open form, nil when none is
	History   *fyne.Container
	Events    []store.ConsentEvent // as shown (tests)
	Error     *ui.Message
	notice    string // the newest notice version recorded: the form's default
}

// ConsentForm records one grant or withdrawal.
type ConsentForm struct {
	Granted  bool
	Purpose  *widget.Select
	Channel  *widget.Select
	Basis    *widget.Select
	Source   *widget.Select
	Notice   *widget.Entry
	Parental *widget.Check
	Save     *widget.Button
	Cancel   *widget.Button
	Error    *ui.Message

	purposes map[string]store.Purpose
	channels map[string]store.Channel
	bases    map[string]store.LawfulBasis
	sources  map[string]store.ConsentSource
}

// consentSection builds the card's consent section and loads it; writable shows Grant and
// Withdraw (the store checks the grant again).
func (s *CustomersScreen) consentSection(card *store.CustomerCard, writable bool) *ConsentPanel {
	a := s.a
	p := &ConsentPanel{a: a, customerID: card.ID, Current: map[store.Purpose]*widget.Label{}, Error: a.errorLabel()}
	p.KeptLocal = widget.NewLabelWithStyle(a.T("Kept on this shop's devices only: no consent to transfer abroad (PIPL Art. 39)"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.KeptLocal.Wrapping = fyne.TextWrapWord
	p.KeptLocal.Importance = widget.WarningImportance
	p.KeptLocal.Hide()
	states := widget.NewForm()
	for _, pu := range store.Purposes {
		l := widget.NewLabel("…")
		l.Wrapping = fyne.TextWrapWord
		p.Current[pu] = l
		states.Append(a.purposeLabel(pu), l)
	}
	p.Grant = a.button(a.T("Grant…"), theme.ConfirmIcon(), func() { p.openForm(true) })
	p.Withdraw = a.button(a.T("Withdraw…"), theme.CancelIcon(), func() { p.openForm(false) })
	if !writable {
		p.Grant.Hide()
		p.Withdraw.Hide()
	}
	p.formBox = container.NewVBox()
	p.History = container.NewVBox()
	p.root = widget.NewCard(a.T("Consent"), "", container.NewVBox(p.KeptLocal, states, container.NewHBox(p.Grant, p.Withdraw), p.formBox, p.Error,
		ui.Bold(a.T("History")), p.History))
	p.reload()
	return p
}

// consentView is what the panel shows, read in one go off the UI goroutine.
type consentView struct {
	current []store.ConsentState
	history []store.ConsentEvent
	kept    bool
}

// reload reads the consents again and shows them.
func (p *ConsentPanel) reload() {
	a, id := p.a, p.customerID
	load(a, func(ctx context.Context, ss *store.Session) (consentView, error) {
		var v consentView
		var err error
		if v.current, err = ss.CurrentConsents(ctx, id); err != nil {
			return v, err
		}
		if v.history, err = ss.ConsentHistory(ctx, id); err != nil {
			return v, err
		}
		v.kept, err = ss.TransferKeptLocal(ctx, id)
		return v, err
	}, func(v consentView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.show(v)
	})
}

func (p *ConsentPanel) show(v consentView) {
	a := p.a
	if v.kept {
		p.KeptLocal.Show()
	} else {
		p.KeptLocal.Hide()
	}
	lines := map[store.Purpose][]string{}
	for _, st := range v.current {
		text := a.T("withdrawn")
		if st.Granted {
			text = a.T("granted")
		}
		text += " · " + a.channelLabel(st.Channel) + " · " + a.T("since %s", day(st.Since))
		if st.Parental {
			text += " · " + a.T("by a parent or guardian")
		}
		lines[st.Purpose] = append(lines[st.Purpose], text)
	}
	for pu, l := range p.Current {
		if len(lines[pu]) == 0 {
			l.SetText(a.T("not given"))
			continue
		}
		l.SetText(strings.Join(lines[pu], "\n"))
	}
	p.Events = v.history
	p.History.Objects = nil
	for _, e := range v.history {
		state := a.T("withdrawn")
		if e.Granted {
			state = a.T("granted")
		}
		parts := []string{minute(e.At), a.purposeLabel(e.Purpose), a.channelLabel(e.Channel), state, a.basisLabel(e.Basis), a.sourceLabel(e.Source),
			a.T("notice %s", e.Notice), e.Recorder}
		if e.SubjectUnderAge {
			parts = append(parts, a.T("under the age of consent"))
		}
		l := widget.NewLabel(strings.Join(parts, " · "))
		l.Wrapping = fyne.TextWrapWord
		p.History.Add(l)
	}
	if len(v.history) == 0 {
		p.History.Add(widget.NewLabel(a.T("Nothing recorded yet: no reminder or campaign goes to this customer.")))
	}
	if len(v.history) > 0 {
		p.notice = v.history[0].Notice
	}
	p.History.Refresh()
	a.relayout()
}

// openForm shows the grant or withdrawal form under the buttons.
func (p *ConsentPanel) openForm(granted bool) {
	a := p.a
	f := &ConsentForm{Granted: granted, Error: a.errorLabel(), purposes: map[string]store.Purpose{}, channels: map[string]store.Channel{},
		bases: map[string]store.LawfulBasis{}, sources: map[string]store.ConsentSource{}}
	var purposes, bases, sources []string
	for _, pu := range store.Purposes {
		l := a.purposeLabel(pu)
		purposes, f.purposes[l] = append(purposes, l), pu
	}
	for _, b := range store.LawfulBases {
		l := a.basisLabel(b)
		bases, f.bases[l] = append(bases, l), b
	}
	for _, s := range store.ConsentSources {
		l := a.sourceLabel(s)
		sources, f.sources[l] = append(sources, l), s
	}
	f.Channel = widget.NewSelect(nil, nil)
	f.Purpose = widget.NewSelect(purposes, func(v string) {
		var opts []string
		f.channels = map[string]store.Channel{}
		for _, c := range store.ChannelsFor(f.purposes[v]) {
			l := a.channelLabel(c)
			opts, f.channels[l] = append(opts, l), c
		}
		f.Channel.Options = opts
		f.Channel.SetSelected(opts[0])
	})
	f.Purpose.SetSelected(purposes[0])
	f.Basis = widget.NewSelect(bases, nil)
	f.Basis.SetSelected(bases[0])
	f.Source = widget.NewSelect(sources, nil)
	f.Source.SetSelected(sources[0])
	f.Notice = widget.NewEntry()
	f.Notice.SetPlaceHolder(a.T("e.g. 2026-11"))
	f.Notice.SetText(p.notice)
	f.Parental = widget.NewCheck(a.T("Given by a parent or guardian"), nil)
	title, save := a.T("Grant consent"), a.T("Record the grant")
	if !granted {
		title, save = a.T("Withdraw consent"), a.T("Record the withdrawal")
	}
	f.Save = a.button(save, theme.DocumentSaveIcon(), func() { p.save(f) })
	f.Save.Importance = widget.HighImportance
	f.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), p.closeForm)
	form := widget.NewForm(widget.NewFormItem(a.T("Purpose"), f.Purpose), widget.NewFormItem(a.T("Channel"), f.Channel),
		widget.NewFormItem(a.T("Lawful basis"), f.Basis), widget.NewFormItem(a.T("Source"), f.Source),
		widget.NewFormItem(a.T("Notice version"), f.Notice), widget.NewFormItem("", f.Parental))
	p.Form = f
	p.formBox.Objects = []fyne.CanvasObject{ui.Bold(title), form, f.Error, container.NewHBox(f.Cancel, f.Save)}
	p.formBox.Refresh()
	a.relayout()
}

func (p *ConsentPanel) closeForm() {
	p.Form = nil
	p.formBox.Objects = nil
	p.formBox.Refresh()
	p.a.relayout()
}

func (p *ConsentPanel) save(f *ConsentForm) {
	a, id := p.a, p.customerID
	ev := store.ConsentEvent{Purpose: f.purposes[f.Purpose.Selected], Channel: f.channels[f.Channel.Selected], Granted: f.Granted,
		Basis: f.bases[f.Basis.Selected], Source: f.sources[f.Source.Selected], Notice: f.Notice.Text, Parental: f.Parental.Checked}
	if strings.TrimSpace(ev.Notice) == "" {
		f.Error.SetText(a.T("Notice version") + ": " + a.T("is required"))
		return
	}
	f.Error.SetText("")
	f.Save.Disable()
	load(a, func(ctx context.Context, ss *store.Session) (string, error) {
		return ss.RecordConsent(ctx, id, ev)
	}, func(_ string, err error) {
		f.Save.Enable()
		switch {
		case errors.Is(err, store.ErrParentalConsent):
			f.Error.SetText(a.T("This customer is under the age of digital consent in this shop's country: a parent or guardian must give it (tick the box)."))
		case errors.Is(err, store.ErrSensitiveFirst):
			f.Error.SetText(a.T("This customer is under 14 (PIPL): record a parent's or guardian's consent for sensitive data first."))
		case err != nil:
			f.Error.SetText(a.errText(err))
		default:
			a.wrote()
			p.closeForm()
			p.reload()
		}
	})
}

// The labels of the consent enums, translated.

func (a *App) purposeLabel(p store.Purpose) string {
	switch p {
	case store.PurposeServiceReminders:
		return a.T("Service reminders")
	case store.PurposeEmailMarketing:
		return a.T("E-mail marketing")
	case store.PurposeSMSMarketing:
		return a.T("SMS marketing")
	case store.PurposeBrandSharing:
		return a.T("Sharing with a brand")
	case store.PurposeCrossBorder:
		return a.T("Transfer abroad")
	case store.PurposeSensitiveData:
		return a.T("Sensitive data")
	}
	return string(p)
}

func (a *App) channelLabel(c store.Channel) string {
	switch c {
	case store.ChannelEmail:
		return a.T("E-mail")
	case store.ChannelSMS:
		return a.T("SMS")
	case store.ChannelPost:
		return a.T("Post")
	case store.ChannelPhone:
		return a.T("Phone")
	case store.ChannelAny:
		return a.T("any channel")
	}
	return string(c)
}

func (a *App) basisLabel(b store.LawfulBasis) string {
	switch b {
	case store.BasisConsent:
		return a.T("Consent")
	case store.BasisContract:
		return a.T("Contract")
	case store.BasisLegitimateInterest:
		return a.T("Legitimate interest")
	case store.BasisLegalObligation:
		return a.T("Legal obligation")
	case store.BasisParentalConsent:
		return a.T("Parent's or guardian's consent")
	}
	return string(b)
}

func (a *App) sourceLabel(s store.ConsentSource) string {
	switch s {
	case store.SourceCounter:
		return a.T("At the counter")
	case store.SourceWebForm:
		return a.T("Web form")
	case store.SourcePaper:
		return a.T("Paper form")
	case store.SourceImport:
		return a.T("Import")
	case store.SourcePhone:
		return a.T("Phone call")
	}
	return string(s)
}
