package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"spoke/store"
)

// Shortcut names used in the menu and on the canvas.
var (
	scFind        = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	scNewCustomer = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	scNewJob      = &desktop.CustomShortcut{KeyName: fyne.KeyJ, Modifier: fyne.KeyModifierShortcutDefault}
	scLock        = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
)

// installShortcuts puts the shortcuts on a main menu (which works while an entry has focus)
// and on the canvas (which the test driver and menu-less platforms use).
func (a *App) installShortcuts() {
	actions := []struct {
		sc    *desktop.CustomShortcut
		label string
		fn    func()
	}{
		{scFind, a.T("Find customer"), a.ShortcutFind},
		{scNewCustomer, a.T("New customer"), a.ShortcutNewCustomer},
		{scNewJob, a.T("New work order"), a.ShortcutNewWorkOrder},
		{scLock, a.T("Lock"), func() {
			if a.ss != nil {
				a.Lock("")
			}
		}},
	}
	var items []*fyne.MenuItem
	c := a.W.Canvas()
	for _, act := range actions {
		fn := act.fn
		c.RemoveShortcut(act.sc)
		c.AddShortcut(act.sc, func(fyne.Shortcut) { a.touch(); fn() })
		it := fyne.NewMenuItem(act.label, func() { a.touch(); fn() })
		it.Shortcut = act.sc
		items = append(items, it)
	}
	c.SetOnTypedKey(func(*fyne.KeyEvent) { a.touch() })
	c.SetOnTypedRune(func(rune) { a.touch() })
	a.W.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(a.T("Shop"), items...)))
}

// ShortcutFind (Ctrl+F) opens customer search with the cursor in the search field.
func (a *App) ShortcutFind() { a.navigate(routeFindCustomer{}) }

// ShortcutNewCustomer (Ctrl+N) opens the new-customer form.
func (a *App) ShortcutNewCustomer() {
	if a.can(store.OpCustomerWrite) {
		a.navigate(routeNewCustomer{})
	}
}

// ShortcutNewWorkOrder (Ctrl+J) opens the new-work-order form, for the open customer if any.
func (a *App) ShortcutNewWorkOrder() {
	if a.canCreateJobs() {
		a.navigate(routeNewWorkOrder{OpenCustomer: true})
	}
}
