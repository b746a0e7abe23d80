package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"spoke/store"
)

// customerPicker is a search-as-you-type entry over the session's index with a result list,
// for choosing a customer in a form (a sale, a new work order). Searches run off the UI
// goroutine; a stale answer (the text changed since) is dropped.
type customerPicker struct {
	Search  *widget.Entry
	Results *widget.List

	found    []store.CustomerSummary
	searches latest
}

func newCustomerPicker(a *App, placeholder string, limit int, pick func(store.CustomerSummary)) *customerPicker {
	p := &customerPicker{Search: widget.NewEntry()}
	p.Search.SetPlaceHolder(placeholder)
	p.Results = widget.NewList(func() int { return len(p.found) }, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		o.(*widget.Label).SetText(p.found[i].Name + "  " + a.phone(p.found[i].Phone, p.found[i].ShopID))
	})
	p.Results.OnSelected = func(i widget.ListItemID) {
		p.Results.UnselectAll()
		if i < len(p.found) {
			pick(p.found[i])
		}
	}
	p.Search.OnChanged = func(q string) {
		a.touch()
		q = strings.TrimSpace(q)
		if q == "" {
			p.searches.drop()
			p.found = nil
			p.Results.Refresh()
			return
		}
		loadLatest(a, &p.searches, func(ctx context.Context, ss *store.Session) ([]store.CustomerSummary, error) {
			return ss.Search(ctx, q, limit)
		}, func(res []store.CustomerSummary, err error) {
			if err == nil {
				p.found = res
				p.Results.Refresh()
			}
		})
	}
	return p
}

// clear empties the search and its results.
func (p *customerPicker) clear() {
	p.Search.SetText("")
	p.found = nil
	p.Results.Refresh()
}
