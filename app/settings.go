package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// SettingsScreen: language, theme, idle lock, and what protects the database.
type SettingsScreen struct {
	a        *App
	root     fyne.CanvasObject
	Language *widget.RadioGroup
	Theme    *widget.RadioGroup
	Idle     *widget.Select
}

var idleChoices = []int{1, 2, 5, 10, 15, 30, 60}

func newSettingsScreen(a *App) *SettingsScreen {
	s := &SettingsScreen{a: a}
	s.Language = widget.NewRadioGroup([]string{languageNames[langEN], languageNames[langZH]}, nil)
	s.Language.Selected = languageNames[a.lang]
	s.Language.OnChanged = func(v string) {
		for k, n := range languageNames {
			if n == v {
				a.touch()
				a.SetLanguage(k)
			}
		}
	}
	light, dark := a.T("Light"), a.T("Dark")
	s.Theme = widget.NewRadioGroup([]string{light, dark}, nil)
	s.Theme.Horizontal = true
	s.Theme.Selected = light
	if a.dark {
		s.Theme.Selected = dark
	}
	s.Theme.OnChanged = func(v string) { a.touch(); a.SetDark(v == dark) }
	var idle []string
	cur := ""
	for _, m := range idleChoices {
		l := a.T("%d minutes", m)
		idle = append(idle, l)
		if time.Duration(m)*time.Minute == a.idle {
			cur = l
		}
	}
	s.Idle = widget.NewSelect(idle, func(v string) {
		for i, l := range idle {
			if l == v {
				a.touch()
				a.SetIdleTimeout(time.Duration(idleChoices[i]) * time.Minute)
			}
		}
	})
	s.Idle.Selected = cur
	where := a.T("in this computer's system keychain")
	if a.st != nil && a.st.KeyStore() == store.KeyStorePassphrase {
		where = a.T("protected by the database passphrase (no system keychain)")
	}
	dir := ""
	if a.st != nil {
		dir = a.st.Dir()
	}
	keys := widget.NewLabel(a.T("Ctrl+F find a customer · Ctrl+N new customer · Ctrl+J new work order · Ctrl+L lock"))
	keys.Wrapping = fyne.TextWrapWord
	idleNote := widget.NewLabel(a.T("The shared counter locks itself after this long without a click or key press; all personal data leaves the screen."))
	idleNote.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(a.T("Language"), s.Language),
		widget.NewFormItem(a.T("Theme"), s.Theme),
		widget.NewFormItem(a.T("Lock when idle for"), container.NewVBox(s.Idle, idleNote)),
		widget.NewFormItem(a.T("Keyboard"), keys),
		widget.NewFormItem(a.T("Database key"), widget.NewLabel(where)),
		widget.NewFormItem(a.T("Data folder"), widget.NewLabel(dir)),
		widget.NewFormItem(a.T("Signed in as"), widget.NewLabel(a.user.Username)),
	)
	s.root = container.NewVScroll(container.NewVBox(ui.Heading(a.T("Settings")), form))
	return s
}
