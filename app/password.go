package app

import (
	"context"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

func init() { registerNoticeCheck(func(a *App) { a.checkPasswordPolicy() }) }

// PasswordScreen comes after a sign-in whose password fails the password policy, on a device
// that may change it (the store allows nothing else until it is changed): the current
// password, the new one twice, or sign out.
type PasswordScreen struct {
	a                    *App
	Why                  *widget.Label
	Current, New, Repeat *widget.Entry
	Change, SignOut      *widget.Button
	Error                *ui.Message
	Busy                 *widget.ProgressBarInfinite
}

// startSession starts what runs for a signed-in user and shows the shell.
func (a *App) startSession() {
	a.startBackups()
	a.startRetention()
	a.startCheckup()
	a.showShell()
}

func (a *App) showPasswordChange() {
	s := &PasswordScreen{a: a, Current: widget.NewPasswordEntry(), New: widget.NewPasswordEntry(), Repeat: widget.NewPasswordEntry(),
		Error: a.errorLabel(), Busy: ui.NewBusy()}
	a.PasswordChange = s
	s.Why = ui.Note(a.T("Your password does not meet the password policy (%s). Choose a new one before you go on: at least 12 characters, not a common password, not your username. A short sentence of your own is easy to remember.",
		a.T(store.PasswordRuleText(a.ss.PasswordRule()))))
	s.New.SetPlaceHolder(a.T("new password, at least 12 characters"))
	s.Repeat.SetPlaceHolder(a.T("the new password again"))
	s.Repeat.OnSubmitted = func(string) { s.submit() }
	s.Change = a.button(a.T("Change the password"), theme.ConfirmIcon(), s.submit)
	s.Change.Importance = widget.HighImportance
	s.SignOut = a.button(a.T("Sign out"), theme.LogoutIcon(), a.SwitchUser)
	ui.SetBusy(s.Busy, false)
	form := widget.NewForm(widget.NewFormItem(a.T("Current password"), s.Current), widget.NewFormItem(a.T("New password"), s.New),
		widget.NewFormItem(a.T("Again"), s.Repeat))
	box := container.NewVBox(ui.Heading(a.T("Change your password")), s.Why, form, container.NewHBox(s.SignOut, layoutSpacer(), s.Change), s.Busy, s.Error)
	a.setContent(ui.Centered(box, 520))
	a.W.Canvas().Focus(s.Current)
}

func (s *PasswordScreen) submit() {
	a := s.a
	if s.New.Text != s.Repeat.Text {
		s.Error.SetText(a.T("The two new passwords differ."))
		return
	}
	cur, next := s.Current.Text, s.New.Text
	s.Error.SetText("")
	s.Change.Disable()
	ui.SetBusy(s.Busy, true)
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.ChangePassword(ctx, cur, next) }, func(err error) {
		s.Change.Enable()
		ui.SetBusy(s.Busy, false)
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		a.PasswordChange = nil
		a.startSession()
	})
}

// checkPasswordPolicy tells a user whose password fails the policy, on a device that cannot
// change it (a shop's counter), to ask the owner to reset it.
func (a *App) checkPasswordPolicy() {
	if a.Shell == nil || a.ss == nil {
		return
	}
	text := ""
	if a.ss.PasswordRule() != "" && !a.ss.PasswordChangeRequired() {
		text = a.T("Your password does not meet the password policy (at least 12 characters, not a common password). Passwords are changed on the owner's laptop: ask the owner to reset yours.")
	}
	a.Shell.SetNotice("password", text, "", nil)
}
