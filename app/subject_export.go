package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/compliance/processing"
	"spoke/compliance/subject"
	"spoke/store"
)

// SubjectExportView is the customer card's "Export personal data…" (owner, manager): where to
// save, the export off the UI goroutine, then the passphrase shown once.
type SubjectExportView struct {
	Button *widget.Button
	Prompt *SavePrompt
	Shown  *PassphraseView // the passphrase dialog while it is open
}

// PassphraseView shows an export's passphrase once, with Copy. Closing it forgets it.
type PassphraseView struct {
	Passphrase *widget.Label
	Copy       *widget.Button
	Summary    *widget.Label
	d          dialog.Dialog
}

// addSubjectExport puts the export button on a card the user may export (the store checks
// again, per customer).
func (s *CustomersScreen) addSubjectExport(v *CardView, card *store.CustomerCard, bar *fyne.Container) {
	a := s.a
	if card.Minimal || !a.can(store.OpDataSubject) {
		return
	}
	e := &SubjectExportView{}
	e.Button = a.button(a.T("Export personal data…"), theme.DownloadIcon(), func() {
		e.Prompt = a.askSavePath(a.T("Export personal data"), subject.DefaultName(card.ID, a.opts.Now()), func(path string, done func(error)) {
			s.runSubjectExport(e, card.ID, path, done)
		})
	})
	v.Export = e
	bar.Add(e.Button)
}

func (s *CustomersScreen) runSubjectExport(e *SubjectExportView, id, path string, done func(error)) {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*subject.Result, error) {
		d, err := ss.SubjectExport(ctx, id)
		if err != nil {
			return nil, err
		}
		rec := processing.Build([]store.Shop{d.Shop}, store.PersonalFields(), subject.Settings(ctx, ss, d.GeneratedAt))
		return subject.Write(path, d, rec)
	}, func(res *subject.Result, err error) {
		done(err)
		if err == nil {
			e.Shown = a.showPassphrase(res)
		}
	})
}

// showPassphrase shows the export's passphrase once: to be given to the person by another
// channel than the file. It is in no field of the screen afterwards.
func (a *App) showPassphrase(res *subject.Result) *PassphraseView {
	p := &PassphraseView{Passphrase: widget.NewLabelWithStyle(res.Passphrase, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})}
	p.Passphrase.Selectable = true
	pass := res.Passphrase
	p.Copy = a.button(a.T("Copy"), theme.ContentCopyIcon(), func() { a.FyneApp.Clipboard().SetContent(pass) })
	var parts []string
	for _, c := range res.Counts {
		parts = append(parts, fmt.Sprintf("%s %d", a.T(countLabel(c.Name)), c.N))
	}
	p.Summary = widget.NewLabel(a.T("Saved, encrypted (%d bytes). It holds: %s.", res.Bytes, strings.Join(parts, ", ")))
	p.Summary.Wrapping = fyne.TextWrapWord
	msg := widget.NewLabel(a.T("Give this passphrase to the person by another channel than the file (in person or by phone). It is shown only now and is not kept anywhere. They open the file with age (age-encryption.org)."))
	msg.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(p.Summary, msg, container.NewBorder(nil, nil, nil, p.Copy, p.Passphrase))
	p.d = dialog.NewCustom(a.T("Passphrase for the export"), a.T("Done"), container.NewGridWrap(fyne.NewSize(560, box.MinSize().Height+40), box), a.W)
	p.d.SetOnClosed(func() { p.Passphrase.SetText("") })
	p.d.Show()
	return p
}

// Close closes the dialog, as Done does.
func (p *PassphraseView) Close() { p.d.Hide() }

// countLabel names a part of an export for the staff member.
func countLabel(name string) string {
	switch name {
	case "contact":
		return "contact"
	case "bikes":
		return "bikes"
	case "work_orders":
		return "work orders"
	case "work_order_lines":
		return "work order lines"
	case "sales":
		return "sales"
	case "sale_lines":
		return "sale lines"
	case "audit":
		return "audit entries"
	}
	return name
}
