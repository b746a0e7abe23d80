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

// TransferPane is the privacy desk's declaration of where the hub and the owner's laptops are
// (PIPL Art. 38/39): with one abroad, a mainland-China shop's customers' data leaves its
// devices only with the customer's consent to the transfer.
type TransferPane struct {
	Hub    *widget.Entry
	Owners *widget.Entry
	Save   *widget.Button
	Status *widget.Label
	Result *ui.Message
}

func init() {
	registerPrivacyPane(privacyPane{order: 60, name: "transfers", label: "Transfers abroad",
		may: func(a *App) bool { return a.can(store.OpDevices) }, build: buildTransferPane})
}

func buildTransferPane(a *App) (fyne.CanvasObject, func()) {
	p := &TransferPane{Hub: widget.NewEntry(), Owners: widget.NewEntry(), Status: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance)}
	p.Hub.SetPlaceHolder(a.T("two-letter country code, e.g. DE or CN"))
	p.Owners.SetPlaceHolder(a.T("e.g. DE, US"))
	refresh := func() {
		load(a, func(ctx context.Context, ss *store.Session) (store.TransferSetting, error) {
			return ss.TransferSetting(ctx)
		}, func(ts store.TransferSetting, err error) {
			if err != nil {
				p.Result.SetResult(a.errText(err), false)
				return
			}
			p.Hub.SetText(ts.HubCountry)
			p.Owners.SetText(strings.Join(ts.OwnerCountries, ", "))
			if len(ts.KeptLocal) == 0 {
				p.Status.SetText(a.T("No shop's customer data is kept back: every customer's data syncs."))
				return
			}
			var names []string
			for _, id := range ts.KeptLocal {
				if sh, ok := a.shopByID(id); ok {
					names = append(names, sh.Name)
				}
			}
			p.Status.SetText(a.T("%s: a customer's data leaves the shop's devices only with their consent to the transfer (PIPL Art. 39).", strings.Join(names, ", ")))
		})
	}
	p.Save = a.button(a.T("Save"), theme.DocumentSaveIcon(), func() {
		in := store.TransferSetting{HubCountry: p.Hub.Text}
		for _, c := range strings.Split(p.Owners.Text, ",") {
			if c = strings.TrimSpace(c); c != "" {
				in.OwnerCountries = append(in.OwnerCountries, c)
			}
		}
		do(a, func(ctx context.Context, ss *store.Session) error { return ss.SetTransferSetting(ctx, in) }, func(err error) {
			if err != nil {
				p.Result.SetResult(a.errText(err), false)
				return
			}
			a.wrote()
			p.Result.SetResult(a.T("Saved. Every device applies it from its next sync."), true)
			refresh()
		})
	})
	p.Save.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem(a.T("Hub runs in"), p.Hub), widget.NewFormItem(a.T("Owner laptops are in"), p.Owners))
	box := container.NewVBox(ui.Heading(a.T("Where the data goes")),
		ui.Note(a.T("Declare where the hub and the owner's laptops are. While any is outside mainland China, a Chinese shop's customers' data stays on the shop's devices unless the customer consents to the transfer (recorded on the customer card).")),
		form, container.NewHBox(p.Save), p.Result, p.Status)
	return container.NewVScroll(ui.Centered(box, 640)), refresh
}
