package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/assets"
	"spoke/store"
)

// SignInScreen is the shared counter's front door: pick your name, type your password.
type SignInScreen struct {
	a        *App
	User     *widget.Select
	Password *widget.Entry
	SignIn   *widget.Button
	Notice   *widget.Label
	Error    *ui.Message
	Busy     *widget.ProgressBarInfinite
	// DemoStaff lists the demo shop's accounts (demo only); tapping one fills the form.
	DemoStaff *widget.List
}

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

func (a *App) showSignIn(user, notice string) {
	s := &SignInScreen{a: a, Password: widget.NewPasswordEntry(), Notice: widget.NewLabel(notice), Error: a.errorLabel(),
		Busy: ui.NewBusy()}
	s.User = widget.NewSelect(nil, func(string) { a.touch() })
	s.User.PlaceHolder = a.T("Choose your name")
	s.Password.SetPlaceHolder(a.T("Password"))
	s.Password.OnSubmitted = func(string) { s.submit() }
	s.Notice.Wrapping = fyne.TextWrapWord
	s.Notice.Importance = widget.WarningImportance
	if notice == "" {
		s.Notice.Hide()
	}
	s.SignIn = a.button(a.T("Sign in"), theme.LoginIcon(), s.submit)
	s.SignIn.Importance = widget.HighImportance
	ui.SetBusy(s.Busy, false)
	lang := widget.NewSelect([]string{languageNames[langEN], languageNames[langZH]}, func(v string) {
		for k, n := range languageNames {
			if n == v {
				a.SetLanguage(k)
			}
		}
	})
	lang.Selected = languageNames[a.lang]
	title := ui.Heading(a.T("Sign in to Spoke"))
	form := widget.NewForm(widget.NewFormItem(a.T("Name"), s.User), widget.NewFormItem(a.T("Password"), s.Password))
	logo := widget.NewIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	box := container.NewVBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(88, 88), logo)), title, s.Notice, form, s.SignIn, s.Busy, s.Error)
	var content fyne.CanvasObject = ui.Centered(box, 420)
	if a.demo != nil {
		staff := a.demo.Chain.Staff
		s.DemoStaff = widget.NewList(func() int { return len(staff) }, func() fyne.CanvasObject {
			return container.NewGridWithColumns(3, widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""))
		}, func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container).Objects
			row[0].(*widget.Label).SetText(staff[i].Username)
			row[1].(*widget.Label).SetText(a.T(roleLabel(store.Role(staff[i].Role))))
			row[2].(*widget.Label).SetText(staff[i].Password)
		})
		s.DemoStaff.OnSelected = func(i widget.ListItemID) {
			s.User.SetSelected(staff[i].Username)
			s.Password.SetText(staff[i].Password)
			s.DemoStaff.UnselectAll()
			s.submit()
		}
		info := widget.NewLabel(a.T("This is a throw-away demo shop with synthetic customers; it is deleted when Spoke closes. Tap an account to sign in as that person."))
		info.Wrapping = fyne.TextWrapWord
		demo := container.NewBorder(container.NewVBox(ui.Heading(a.T("Demo accounts")), info,
			container.NewGridWithColumns(3, ui.Bold(a.T("Username")), ui.Bold(a.T("Role")), ui.Bold(a.T("Password")))), nil, nil, nil, s.DemoStaff)
		content = container.NewHSplit(content, container.NewPadded(demo))
		content.(*container.Split).Offset = 0.5
	}
	top := container.NewHBox(layoutSpacer(), lang)
	a.setContent(container.NewBorder(top, nil, nil, nil, content))
	a.SignIn = s
	a.async(func() func() {
		names, err := a.st.Usernames(a.ctx)
		return func() {
			if err != nil {
				s.Error.SetText(a.errText(err))
				return
			}
			s.User.Options = names
			if user != "" {
				s.User.SetSelected(user)
			}
			s.User.Refresh()
			if s.User.Selected != "" {
				a.W.Canvas().Focus(s.Password)
			}
		}
	})
}

func (s *SignInScreen) submit() {
	a := s.a
	user, pw := s.User.Selected, s.Password.Text
	if user == "" {
		s.Error.SetText(a.T("Choose your name first."))
		return
	}
	s.Error.SetText("")
	s.SignIn.Disable()
	ui.SetBusy(s.Busy, true)
	st := a.st
	a.async(func() func() {
		ss, err := st.SignIn(a.ctx, user, pw)
		var shops []store.Shop
		var staff []store.Staff
		if err == nil {
			shops, err = ss.Shops(a.ctx)
			if err == nil {
				staff, err = ss.Staff(a.ctx)
			}
		}
		return func() {
			ui.SetBusy(s.Busy, false)
			s.SignIn.Enable()
			if err != nil {
				s.Password.SetText("")
				msg := a.errText(err)
				if errors.Is(err, store.ErrBadCredentials) {
					msg = a.T("Wrong username or password.")
				}
				s.Error.SetText(msg)
				a.W.Canvas().Focus(s.Password)
				return
			}
			a.ss, a.user, a.shops, a.staff = ss, ss.User(), shops, staff
			a.sc, a.scEnd = context.WithCancel(a.ctx)
			a.lastActivity = a.opts.Now()
			if ss.PasswordChangeRequired() {
				a.showPasswordChange() // the store allows nothing else until it is changed
				return
			}
			a.startSession()
		}
	})
}

// roleLabel is the English (translatable) name of a role.
func roleLabel(r store.Role) string {
	switch r {
	case store.RoleOwner:
		return "Owner"
	case store.RoleManager:
		return "Manager"
	case store.RoleSales:
		return "Sales"
	case store.RoleMechanic:
		return "Mechanic"
	case store.RoleMarketing:
		return "Marketing"
	case store.RoleAuditor:
		return "Auditor"
	}
	return string(r)
}
