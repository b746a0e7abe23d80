package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/crypto/keychain"
	"spoke/store"
)

// SetupScreen is the first-run wizard: the shop, the owner account and how the database key is
// kept, then the recovery code as an emergency kit the owner must confirm having saved.
type SetupScreen struct {
	a    *App
	Step int // 1 shop, 2 owner, 3 emergency kit

	ShopName *widget.Entry
	Country  *widget.SelectEntry
	Currency *widget.SelectEntry

	OwnerUsername *widget.Entry
	OwnerName     *widget.Entry
	Password      *widget.Entry
	Confirm       *widget.Entry
	KeyNote       *widget.Label
	Passphrase    *widget.Entry
	Passphrase2   *widget.Entry

	Kit      *widget.Label // the recovery code
	Saved    *widget.Check
	SaveFile *widget.Button
	Copy     *widget.Button

	Back, Next *widget.Button
	Error      *ui.Message
	Busy       *widget.ProgressBarInfinite

	keychainOK   bool
	probed       bool
	code         string
	body         *fyne.Container
	title, intro *widget.Label
}

func (a *App) showSetup() {
	s := &SetupScreen{a: a, Step: 1}
	s.ShopName = widget.NewEntry()
	s.Country = widget.NewSelectEntry([]string{"US", "DE", "CN", "GB", "FR", "NL", "CA", "AU", "JP", "TW", "HK", "SG"})
	s.Country.SetText("US")
	s.Currency = widget.NewSelectEntry([]string{"USD", "EUR", "CNY", "GBP", "CAD", "AUD", "JPY", "TWD", "HKD", "SGD", "CHF"})
	s.Currency.SetText("USD")
	s.OwnerUsername = widget.NewEntry()
	s.OwnerName = widget.NewEntry()
	s.Password = widget.NewPasswordEntry()
	s.Confirm = widget.NewPasswordEntry()
	s.KeyNote = widget.NewLabel("")
	s.KeyNote.Wrapping = fyne.TextWrapWord
	s.Passphrase = widget.NewPasswordEntry()
	s.Passphrase2 = widget.NewPasswordEntry()
	s.Kit = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})
	s.Kit.SizeName = theme.SizeNameHeadingText
	s.Saved = widget.NewCheck("", func(on bool) {
		if s.Step == 3 {
			if on {
				s.Next.Enable()
			} else {
				s.Next.Disable()
			}
		}
	})
	s.SaveFile = a.button("", theme.DocumentSaveIcon(), s.saveKit)
	s.Copy = a.button("", theme.ContentCopyIcon(), func() {
		a.FyneApp.Clipboard().SetContent(s.code)
	})
	s.Back = a.button("", theme.NavigateBackIcon(), s.back)
	s.Next = a.button("", theme.NavigateNextIcon(), s.next)
	s.Next.Importance = widget.HighImportance
	s.Error = a.errorLabel()
	s.Busy = ui.NewBusy()
	s.title = ui.Heading("")
	s.intro = widget.NewLabel("")
	s.intro.Wrapping = fyne.TextWrapWord
	s.body = container.NewVBox()
	s.keychainOK = true
	box := container.NewVBox(s.title, s.intro, s.body, s.Error, s.Busy, container.NewHBox(s.Back, layoutSpacer(), s.Next))
	a.setContent(container.NewVScroll(ui.Centered(box, 620)))
	a.Setup = s
	s.relabel()
	probe := a.opts.KeychainProbe
	a.async(func() func() {
		ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
		ok := probe(ctx)
		cancel()
		return func() {
			s.keychainOK, s.probed = ok, true
			s.relabel()
		}
	})
}

// relabel (re)draws the current step in the current language.
func (s *SetupScreen) relabel() {
	a := s.a
	s.ShopName.SetPlaceHolder(a.T("e.g. Spoke & Chain Portland"))
	s.OwnerUsername.SetPlaceHolder(a.T("lower-case letters, digits, . _ -"))
	s.Password.SetPlaceHolder(a.T("at least 12 characters"))
	s.Passphrase.SetPlaceHolder(a.T("at least 10 characters"))
	s.Saved.Text = a.T("I have printed or saved the emergency kit and put it somewhere safe")
	s.Saved.Refresh()
	s.SaveFile.SetText(a.T("Save the kit as a file to print…"))
	s.Copy.SetText(a.T("Copy the code"))
	s.Back.SetText(a.T("Back"))
	form := func(items ...*widget.FormItem) *widget.Form { return widget.NewForm(items...) }
	switch s.Step {
	case 1:
		s.title.SetText(a.T("Welcome to Spoke: set up your shop (step 1 of 3)"))
		s.intro.SetText(a.T("Spoke keeps your customers' personal data encrypted on this computer. First, tell it about your shop."))
		s.body.Objects = []fyne.CanvasObject{form(
			widget.NewFormItem(a.T("Shop name"), s.ShopName),
			widget.NewFormItem(a.T("Country (for phone numbers)"), s.Country),
			widget.NewFormItem(a.T("Currency"), s.Currency))}
		s.Back.Hide()
		s.Next.SetText(a.T("Next"))
	case 2:
		s.title.SetText(a.T("The owner account (step 2 of 3)"))
		s.intro.SetText(a.T("The owner can do everything, including adding staff. Choose a password only you know."))
		items := []*widget.FormItem{
			widget.NewFormItem(a.T("Username"), s.OwnerUsername),
			widget.NewFormItem(a.T("Your name"), s.OwnerName),
			widget.NewFormItem(a.T("Password"), s.Password),
			widget.NewFormItem(a.T("Password again"), s.Confirm),
		}
		switch {
		case !s.probed:
			s.KeyNote.SetText(a.T("Checking for a system keychain…"))
		case s.keychainOK:
			s.KeyNote.SetText(a.T("The database key will be kept in this computer's system keychain, so Spoke unlocks without a passphrase when you are logged in."))
		default:
			s.KeyNote.SetText(a.T("No system keychain answered on this computer, so the database key will be protected by a passphrase instead. You will type it each time Spoke starts; without it (or the recovery code) nobody can open the data."))
			items = append(items, widget.NewFormItem(a.T("Database passphrase"), s.Passphrase), widget.NewFormItem(a.T("Passphrase again"), s.Passphrase2))
		}
		s.body.Objects = []fyne.CanvasObject{form(items...), s.KeyNote}
		s.Back.Show()
		s.Next.SetText(a.T("Create the shop"))
	case 3:
		s.title.SetText(a.T("Your emergency kit (step 3 of 3)"))
		s.intro.SetText(a.T("This recovery code opens your data if this computer is lost, broken or stolen, or the passphrase is forgotten. It is shown only this once. Print it or write it down and keep it away from this computer."))
		kit := container.NewVBox(
			widget.NewLabelWithStyle(a.T("SPOKE EMERGENCY KIT"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
			widget.NewLabelWithStyle(s.ShopName.Text+" · "+s.OwnerUsername.Text+" · "+time.Now().Format("2006-01-02"), fyne.TextAlignCenter, fyne.TextStyle{}),
			s.Kit)
		s.body.Objects = []fyne.CanvasObject{widget.NewCard("", "", kit), container.NewHBox(s.SaveFile, s.Copy), s.Saved}
		s.Back.Hide()
		s.Next.SetText(a.T("Continue to sign-in"))
		if !s.Saved.Checked {
			s.Next.Disable()
		}
	}
	s.body.Refresh()
	a.relayout()
}

func (s *SetupScreen) back() {
	if s.Step == 2 {
		s.Step = 1
		s.Error.SetText("")
		s.relabel()
	}
}

func (s *SetupScreen) next() {
	a := s.a
	s.Error.SetText("")
	switch s.Step {
	case 1:
		if strings.TrimSpace(s.ShopName.Text) == "" {
			s.Error.SetText(a.T("Shop name") + ": " + a.T("is required"))
			return
		}
		s.Step = 2
		s.relabel()
		a.W.Canvas().Focus(s.OwnerUsername)
	case 2:
		s.create()
	case 3:
		if !s.Saved.Checked {
			s.Error.SetText(a.T("Confirm that you have saved the emergency kit first."))
			return
		}
		s.code = ""
		a.showSignIn(s.OwnerUsername.Text, "")
	}
}

func (s *SetupScreen) create() {
	a := s.a
	switch {
	case s.Password.Text != s.Confirm.Text:
		s.Error.SetText(a.T("Password") + ": " + a.T("the two entries differ"))
		return
	case !s.keychainOK && len([]rune(s.Passphrase.Text)) < 10:
		s.Error.SetText(a.T("Database passphrase") + ": " + a.T("must be at least 10 characters"))
		return
	case !s.keychainOK && s.Passphrase.Text != s.Passphrase2.Text:
		s.Error.SetText(a.T("Database passphrase") + ": " + a.T("the two entries differ"))
		return
	}
	c := store.CreateOptions{
		ShopName: strings.TrimSpace(s.ShopName.Text), Region: strings.ToUpper(strings.TrimSpace(s.Country.Text)),
		Currency: strings.ToUpper(strings.TrimSpace(s.Currency.Text)), OwnerUsername: strings.TrimSpace(s.OwnerUsername.Text),
		OwnerName: strings.TrimSpace(s.OwnerName.Text), OwnerPassword: s.Password.Text,
	}
	o := a.opts.Store
	if !s.keychainOK {
		o.Passphrase = s.Passphrase.Text
	}
	dir := a.opts.DataDir
	s.Next.Disable()
	ui.SetBusy(s.Busy, true)
	a.async(func() func() {
		st, code, err := store.Create(a.ctx, dir, c, o)
		return func() {
			ui.SetBusy(s.Busy, false)
			s.Next.Enable()
			if errors.Is(err, keychain.ErrNoKeychain) {
				s.keychainOK, s.probed = false, true
				s.relabel()
				s.Error.SetText(a.T("No system keychain answered. Choose a database passphrase below and try again."))
				return
			}
			if err != nil {
				s.Error.SetText(a.errText(err))
				return
			}
			a.st = st
			s.code = code
			s.Kit.SetText(code)
			s.Step = 3
			s.relabel()
		}
	})
}

// saveKit writes a printable emergency kit (plain text) where the owner chooses.
func (s *SetupScreen) saveKit() {
	a := s.a
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		fmt.Fprintf(w, "%s\n\n%s\n%s\n\n    %s\n\n%s\n", a.T("SPOKE EMERGENCY KIT"), s.ShopName.Text, time.Now().Format("2006-01-02"),
			s.code, a.T("This recovery code opens your data if this computer is lost, broken or stolen, or the passphrase is forgotten. It is shown only this once. Print it or write it down and keep it away from this computer."))
	}, a.W)
	d.SetFileName("spoke-emergency-kit.txt")
	d.Show()
}
