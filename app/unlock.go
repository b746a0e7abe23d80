package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
)

// UnlockScreen asks for the database passphrase (or the recovery code) where the master key
// is not in an OS keychain, and says why.
type UnlockScreen struct {
	a           *App
	Why         *widget.Label
	Passphrase  *widget.Entry
	UseRecovery *widget.Check
	Unlock      *widget.Button
	Error       *ui.Message
	Busy        *widget.ProgressBarInfinite
}

func (a *App) showUnlock(why string) {
	s := &UnlockScreen{a: a, Why: widget.NewLabel(why), Passphrase: widget.NewPasswordEntry(), Error: a.errorLabel(),
		Busy: ui.NewBusy()}
	s.Why.Wrapping = fyne.TextWrapWord
	s.Passphrase.SetPlaceHolder(a.T("Passphrase"))
	s.UseRecovery = widget.NewCheck(a.T("Use the recovery code from the emergency kit instead"), func(on bool) {
		if on {
			s.Passphrase.Password = false
			s.Passphrase.SetPlaceHolder(a.T("Recovery code (32 letters and digits)"))
		} else {
			s.Passphrase.Password = true
			s.Passphrase.SetPlaceHolder(a.T("Passphrase"))
		}
		s.Passphrase.Refresh()
	})
	s.Unlock = a.button(a.T("Unlock"), theme.LoginIcon(), s.submit)
	s.Unlock.Importance = widget.HighImportance
	s.Passphrase.OnSubmitted = func(string) { s.submit() }
	box := container.NewVBox(ui.Heading(a.T("Unlock Spoke")), s.Why, s.Passphrase, s.UseRecovery, s.Unlock, s.Busy, s.Error)
	a.setContent(ui.Centered(box, 520))
	a.Unlock = s
	a.W.Canvas().Focus(s.Passphrase)
}

func (s *UnlockScreen) submit() {
	if s.Passphrase.Text == "" {
		s.Error.SetText(s.a.T("Enter the passphrase first."))
		return
	}
	s.Error.SetText("")
	s.Unlock.Disable()
	ui.SetBusy(s.Busy, true)
	if s.UseRecovery.Checked {
		s.a.unlockWith("", s.Passphrase.Text, false)
	} else {
		s.a.unlockWith(s.Passphrase.Text, "", false)
	}
}

// failed shows why unlocking did not work; what was typed stays, so a typo can be fixed.
func (s *UnlockScreen) failed(msg string) {
	ui.SetBusy(s.Busy, false)
	s.Unlock.Enable()
	s.Error.SetText(msg)
	s.a.W.Canvas().Focus(s.Passphrase)
}
