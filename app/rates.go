package app

import (
	"context"
	"sort"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// RatesForm is the owner's exchange-rate entry (Exchange rates… on the dashboard): a
// chain-wide total in one currency is computed only with these rates, shown with their day.
type RatesForm struct {
	Base, On, Pairs *widget.Entry
	Save            *widget.Button
	Error           *ui.Message
	d               dialog.Dialog
}

func (s *DashboardScreen) showRates() {
	a := s.a
	f := &RatesForm{Base: widget.NewEntry(), On: widget.NewEntry(), Pairs: widget.NewEntry(), Error: a.errorLabel()}
	f.Base.SetPlaceHolder("USD")
	f.On.SetText(a.opts.Now().Format("2006-01-02"))
	f.Pairs.SetPlaceHolder("EUR=1.08 CNY=0.14")
	f.Save = a.button(a.T("Save rates"), nil, func() {
		pairs, err := store.ParseRates(strings.Fields(f.Pairs.Text))
		if err != nil {
			f.Error.SetText(a.errText(err))
			return
		}
		base, on := f.Base.Text, strings.TrimSpace(f.On.Text)
		do(a, func(ctx context.Context, ss *store.Session) error { return ss.SetRates(ctx, base, on, pairs) }, func(err error) {
			if err != nil {
				f.Error.SetText(a.errText(err))
				return
			}
			f.d.Hide()
			s.RatesForm = nil
			s.Refresh()
		})
	})
	f.Save.Importance = widget.HighImportance
	intro := ui.WrapLabel()
	intro.SetText(a.T("One unit of each currency in the base currency, e.g. EUR=1.08 with base USD. Totals of several currencies are converted only with these rates."))
	form := widget.NewForm(widget.NewFormItem(a.T("Base currency"), f.Base), widget.NewFormItem(a.T("Rates of"), f.On), widget.NewFormItem(a.T("Rates"), f.Pairs))
	f.d = dialog.NewCustom(a.T("Exchange rates"), a.T("Close"), container.NewVBox(intro, form, f.Save, f.Error), a.W)
	s.RatesForm = f
	load(a, func(ctx context.Context, ss *store.Session) (*store.FXRates, error) { return ss.Rates(ctx) }, func(r *store.FXRates, err error) {
		if err != nil || r == nil {
			return
		}
		f.Base.SetText(r.Base)
		var curs []string
		for c := range r.Rates {
			curs = append(curs, c)
		}
		sort.Strings(curs)
		var pairs []string
		for _, c := range curs {
			pairs = append(pairs, c+"="+r.Rates[c])
		}
		f.Pairs.SetText(strings.Join(pairs, " "))
	})
	f.d.Show()
}
