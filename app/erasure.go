package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// ErasePanel is the last step before a customer is erased for good (a data subject's erasure
// request): what goes, what stays, a confirmation, then the erasure off the UI goroutine.
type ErasePanel struct {
	Explain    *widget.Label
	Understood *widget.Check
	Erase      *widget.Button
	Cancel     *widget.Button
	Error      *ui.Message
	Done       *widget.Label // after the erasure: counts, never the person
}

// eraseButton returns the card's "Erase…" button, or nil when the user may not erase.
func (s *CustomersScreen) eraseButton(card *store.CustomerCard) *widget.Button {
	if card.Minimal || !s.a.can(store.OpDataSubject) {
		return nil
	}
	b := s.a.button(s.a.T("Erase…"), theme.DeleteIcon(), func() { s.showErase(card) })
	b.Importance = widget.DangerImportance
	return b
}

func (s *CustomersScreen) showErase(card *store.CustomerCard) {
	a := s.a
	p := &ErasePanel{Error: a.errorLabel()}
	p.Explain = widget.NewLabel(a.T("Erasing deletes this customer, their bikes and work orders on every device, and destroys the key their data is sealed under, so no copy (the hub, old change-sets, backups) can be read again. Their sales stay, without their name, because the law requires invoice amounts and dates. This cannot be undone."))
	p.Explain.Wrapping = fyne.TextWrapWord
	p.Done = widget.NewLabel("")
	p.Done.Wrapping = fyne.TextWrapWord
	p.Erase = a.button(a.T("Erase for good"), theme.DeleteIcon(), nil)
	p.Erase.Importance = widget.DangerImportance
	p.Erase.Disable()
	p.Understood = widget.NewCheck(a.T("I understand that this cannot be undone"), func(on bool) {
		if on {
			p.Erase.Enable()
		} else {
			p.Erase.Disable()
		}
	})
	p.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), func() { s.Open(card.ID, "") })
	p.Erase.OnTapped = func() {
		a.touch()
		p.Erase.Disable()
		p.Cancel.Disable()
		var res *store.ErasureResult
		do(a, func(ctx context.Context, ss *store.Session) error {
			var err error
			res, err = ss.EraseCustomer(ctx, card.ID)
			return err
		}, func(err error) {
			p.Cancel.Enable()
			if err != nil && res == nil {
				p.Error.SetText(a.errText(err))
				p.Erase.Enable()
				return
			}
			p.Understood.Hide()
			p.Erase.Hide()
			p.Cancel.SetText(a.T("Back to search"))
			p.Cancel.OnTapped = s.showList
			p.Done.SetText(a.T("Erased. Deleted %d bike(s) and %d work order(s); %d sale(s) kept without the customer. Other devices erase it at their next sync; the backup folder is rewritten at the next backup.",
				res.Deleted["bikes"], res.Deleted["work_orders"], res.SalesKept))
			if err != nil { // erased, but the file could not be cleaned yet
				p.Error.SetText(a.errText(err))
			}
			if s.a.Shell != nil && s.a.Shell.Customers != nil {
				s.a.Shell.Customers.runSearch()
			}
		})
	}
	s.Erase = p
	title := ui.Heading(fmt.Sprintf("%s: %s", a.T("Erase customer"), card.Name))
	s.setBody(container.NewVBox(title, p.Explain, p.Understood, container.NewHBox(p.Cancel, p.Erase), p.Error, p.Done))
}
