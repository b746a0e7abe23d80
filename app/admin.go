package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// UsersScreen is the owner's staff administration: add, deactivate, change role, reset
// password.
type UsersScreen struct {
	a    *App
	root fyne.CanvasObject

	List  *widget.List
	users []store.User
	sel   int

	// The selected account.
	Selected   *widget.Label
	Role       *widget.Select
	ChangeRole *widget.Button
	Toggle     *widget.Button // deactivate / reactivate
	NewPass    *widget.Entry
	ResetPass  *widget.Button

	// A new account.
	Username    *widget.Entry
	DisplayName *widget.Entry
	NewRole     *widget.Select
	Shop        *widget.Select
	Password    *widget.Entry
	Add         *widget.Button

	Error *ui.Message
	Info  *ui.Message

	roles map[string]store.Role
	shops map[string]string
}

func newUsersScreen(a *App) *UsersScreen {
	s := &UsersScreen{a: a, sel: -1, Error: a.errorLabel(), Info: a.newMsgLabel(widget.SuccessImportance), roles: map[string]store.Role{}, shops: map[string]string{}}
	var roleNames []string
	for _, r := range store.Roles {
		n := a.T(roleLabel(r))
		roleNames = append(roleNames, n)
		s.roles[n] = r
	}
	shopNames := []string{a.T("No shop (org-wide)")}
	s.shops[shopNames[0]] = ""
	for _, sh := range a.shops {
		shopNames = append(shopNames, sh.Name)
		s.shops[sh.Name] = sh.ID
	}
	s.List = ui.NewList(func() int { return len(s.users) }, ui.RowSpec{Labels: 5, BoldFirst: true}, func(i widget.ListItemID, row ui.Row) {
		u := s.users[i]
		var roles []string
		for _, r := range u.Roles {
			roles = append(roles, a.T(roleLabel(r)))
		}
		shop := ""
		if sh, ok := a.shopByID(u.ShopID); ok {
			shop = sh.Name
		}
		state := a.T("active")
		switch {
		case !u.Active:
			state = a.T("deactivated")
		case u.LockedUntil.After(a.opts.Now()):
			state = a.T("locked out")
		}
		row.SetTexts(u.Username, u.DisplayName, strings.Join(roles, ", ")+" · "+shop, state, minute(u.LastSignIn))
	})
	s.List.OnSelected = func(i widget.ListItemID) { a.touch(); s.Select(i) }
	s.Selected = ui.Heading(a.T("Choose an account in the list"))
	s.Role = widget.NewSelect(roleNames, nil)
	ctx := a.sc
	s.ChangeRole = a.button(a.T("Change role"), theme.ConfirmIcon(), func() {
		r := s.roles[s.Role.Selected]
		s.update(func(ss *store.Session, u store.User) error {
			return ss.UpdateUser(a.sc, u.ID, []store.Role{r}, nil, nil)
		}, a.T("Role changed."))
	})
	s.Toggle = a.button(a.T("Deactivate"), theme.CancelIcon(), func() {
		u := s.users[s.sel]
		active := !u.Active
		s.update(func(ss *store.Session, u store.User) error { return ss.UpdateUser(ctx, u.ID, nil, &active, nil) }, a.T("Account updated."))
	})
	s.NewPass = widget.NewPasswordEntry()
	s.NewPass.SetPlaceHolder(a.T("new password, at least 12 characters"))
	s.ResetPass = a.button(a.T("Reset password"), theme.ViewRefreshIcon(), func() {
		pw := s.NewPass.Text
		s.update(func(ss *store.Session, u store.User) error { return ss.UpdateUser(ctx, u.ID, nil, nil, &pw) }, a.T("Password reset; a lock-out is cleared too."))
	})
	for _, b := range []*widget.Button{s.ChangeRole, s.Toggle, s.ResetPass} {
		b.Disable()
	}
	s.Username, s.DisplayName, s.Password = widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	s.Username.SetPlaceHolder(a.T("lower-case letters, digits, . _ -"))
	s.Password.SetPlaceHolder(a.T("at least 12 characters"))
	s.NewRole = widget.NewSelect(roleNames, nil)
	s.NewRole.SetSelected(a.T(roleLabel(store.RoleSales)))
	s.Shop = widget.NewSelect(shopNames, nil)
	if len(shopNames) > 1 {
		s.Shop.SetSelected(shopNames[1])
	}
	s.Add = a.button(a.T("Add account"), theme.ContentAddIcon(), s.addUser)
	s.Add.Importance = widget.HighImportance
	edit := widget.NewCard("", "", container.NewVBox(s.Selected,
		container.NewBorder(nil, nil, widget.NewLabel(a.T("Role")), s.ChangeRole, s.Role),
		container.NewBorder(nil, nil, widget.NewLabel(a.T("Password")), s.ResetPass, s.NewPass),
		container.NewHBox(s.Toggle)))
	add := widget.NewCard(a.T("Add an account"), "", widget.NewForm(
		widget.NewFormItem(a.T("Username"), s.Username), widget.NewFormItem(a.T("Display name"), s.DisplayName),
		widget.NewFormItem(a.T("Role"), s.NewRole), widget.NewFormItem(a.T("Shop"), s.Shop),
		widget.NewFormItem(a.T("Password"), s.Password), widget.NewFormItem("", s.Add)))
	head := ui.Header(nil, a.T("Username"), a.T("Display name"), a.T("Role"), a.T("State"), a.T("Last sign-in"))
	left := container.NewBorder(container.NewVBox(ui.Heading(a.T("Staff accounts")), head), nil, nil, nil, s.List)
	right := container.NewVScroll(container.NewVBox(s.Error, s.Info, edit, add))
	split := container.NewHSplit(left, right)
	split.Offset = 0.6
	s.root = split
	return s
}

// Refresh reloads the accounts.
func (s *UsersScreen) Refresh() {
	a := s.a
	var staff []store.Staff
	load(a, func(ctx context.Context, ss *store.Session) ([]store.User, error) {
		users, err := ss.Users(ctx)
		if err == nil {
			staff, err = ss.Staff(ctx)
		}
		return users, err
	}, func(users []store.User, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.users = users
		a.staff = staff
		s.List.Refresh()
		if s.sel >= 0 && s.sel < len(users) {
			s.Select(s.sel)
		}
	})
}

// Select shows account i for editing.
func (s *UsersScreen) Select(i int) {
	a := s.a
	if i < 0 || i >= len(s.users) {
		return
	}
	s.sel = i
	u := s.users[i]
	s.Selected.SetText(u.Username + " · " + u.DisplayName)
	if len(u.Roles) > 0 {
		s.Role.SetSelected(a.T(roleLabel(u.Roles[0])))
	}
	if u.Active {
		s.Toggle.SetText(a.T("Deactivate"))
	} else {
		s.Toggle.SetText(a.T("Reactivate"))
	}
	for _, b := range []*widget.Button{s.ChangeRole, s.Toggle, s.ResetPass} {
		b.Enable()
	}
}

// SelectUser selects an account by username (tests and shortcuts).
func (s *UsersScreen) SelectUser(username string) bool {
	for i, u := range s.users {
		if u.Username == username {
			s.List.Select(i)
			return true
		}
	}
	return false
}

func (s *UsersScreen) update(fn func(ss *store.Session, u store.User) error, ok string) {
	a := s.a
	if s.sel < 0 || s.sel >= len(s.users) {
		return
	}
	u := s.users[s.sel]
	s.Error.SetText("")
	s.Info.SetText("")
	do(a, func(_ context.Context, ss *store.Session) error { return fn(ss, u) }, func(err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		a.wrote()
		s.NewPass.SetText("")
		s.Info.SetText(ok)
		s.Refresh()
	})
}

func (s *UsersScreen) addUser() {
	a := s.a
	s.Error.SetText("")
	s.Info.SetText("")
	n := store.NewUser{Username: strings.TrimSpace(s.Username.Text), DisplayName: strings.TrimSpace(s.DisplayName.Text),
		Password: s.Password.Text, Roles: []store.Role{s.roles[s.NewRole.Selected]}, ShopID: s.shops[s.Shop.Selected]}
	do(a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.AddUser(ctx, n)
		return err
	}, func(err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		a.wrote()
		s.Info.SetText(a.T("Account %s added.", n.Username))
		s.Username.SetText("")
		s.DisplayName.SetText("")
		s.Password.SetText("")
		s.Refresh()
	})
}

// Usernames lists the accounts shown (tests).
func (s *UsersScreen) Usernames() []string {
	var out []string
	for _, u := range s.users {
		out = append(out, u.Username)
	}
	return out
}

// AuditScreen is the audit trail with filters, and the "verify chain" button.
type AuditScreen struct {
	a    *App
	root fyne.CanvasObject

	Action  *widget.Entry
	User    *widget.Select
	Since   *widget.Select
	Apply   *widget.Button
	List    *widget.List
	Verify  *widget.Button
	Result  *widget.Label
	Busy    *widget.ProgressBarInfinite
	Error   *ui.Message
	records []store.AuditRecord
	userIDs map[string]string
	since   map[string]time.Duration
	loads   latest // which Refresh the shown records answer; older answers are dropped
}

func newAuditScreen(a *App) *AuditScreen {
	s := &AuditScreen{a: a, Error: a.errorLabel(), Result: widget.NewLabel(""), Busy: ui.NewBusy(),
		userIDs: map[string]string{}, since: map[string]time.Duration{}}
	s.Result.Wrapping = fyne.TextWrapWord
	s.Action = widget.NewEntry()
	s.Action.SetPlaceHolder(a.T("action starts with, e.g. customer. or auth."))
	s.Action.OnSubmitted = func(string) { s.Refresh() }
	everyone := a.T("Everyone")
	users := []string{everyone}
	s.userIDs[everyone] = ""
	for _, st := range a.staff {
		users = append(users, st.Username)
		s.userIDs[st.Username] = st.ID
	}
	s.User = widget.NewSelect(users, func(string) { s.Refresh() })
	s.User.Selected = everyone
	periods := []struct {
		label string
		d     time.Duration
	}{{a.T("Today"), 24 * time.Hour}, {a.T("Last 7 days"), 7 * 24 * time.Hour}, {a.T("Last 30 days"), 30 * 24 * time.Hour}, {a.T("All time"), 0}}
	var names []string
	for _, p := range periods {
		names = append(names, p.label)
		s.since[p.label] = p.d
	}
	s.Since = widget.NewSelect(names, func(string) { s.Refresh() })
	s.Since.Selected = names[1]
	s.Apply = a.button(a.T("Filter"), theme.SearchIcon(), s.Refresh)
	s.Verify = a.button(a.T("Verify chain"), theme.ConfirmIcon(), s.verify)
	s.Verify.Importance = widget.HighImportance
	s.List = ui.NewList(func() int { return len(s.records) }, ui.RowSpec{Labels: 5}, func(i widget.ListItemID, row ui.Row) {
		r := s.records[i]
		user := r.Username
		if user == "" {
			user = r.UserID
		}
		detail := strings.Join(r.Fields, ",")
		if r.Detail != "" {
			detail = strings.TrimPrefix(detail+" "+r.Detail, " ")
		}
		if r.Reason != "" {
			detail = a.T("reason") + ": " + r.Reason + " " + detail
		}
		row.SetTexts(fmt.Sprintf("#%d %s", r.Seq, r.At.Local().Format("01-02 15:04:05")), user, r.Action, a.T(r.Outcome), detail)
		outcome := row.Label(3)
		outcome.Importance = widget.MediumImportance
		if r.Outcome != "ok" {
			outcome.Importance = widget.DangerImportance
		}
		outcome.Refresh()
	})
	filters := container.NewBorder(nil, nil, nil, container.NewHBox(s.User, s.Since, s.Apply), s.Action)
	head := ui.Header(nil, a.T("When"), a.T("Who"), a.T("Action"), a.T("Outcome"), a.T("Details"))
	verify := widget.NewCard(a.T("Tamper check"), a.T("Walks the whole hash chain and re-authenticates every stored record."),
		container.NewVBox(s.Verify, s.Busy, s.Result))
	if !a.has(store.RoleOwner) && !a.has(store.RoleAuditor) && !a.has(store.RoleManager) {
		verify.Hide()
	}
	s.root = container.NewBorder(container.NewVBox(ui.Heading(a.T("Audit trail")), filters, s.Error, head), verify, nil, nil, s.List)
	return s
}

// Refresh reloads the trail with the current filters.
func (s *AuditScreen) Refresh() {
	a := s.a
	f := store.AuditFilter{Action: strings.TrimSpace(s.Action.Text), UserID: s.userIDs[s.User.Selected], Limit: 500}
	if d := s.since[s.Since.Selected]; d > 0 {
		f.Since = a.opts.Now().Add(-d)
	}
	// Dropped when signed out, or when a newer load (other filters) was asked for since.
	loadLatest(a, &s.loads, func(ctx context.Context, ss *store.Session) ([]store.AuditRecord, error) {
		return ss.AuditLog(ctx, f)
	}, func(recs []store.AuditRecord, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.Error.SetText("")
		s.records = recs
		s.List.Refresh()
	})
}

// Actions lists the actions shown (tests).
func (s *AuditScreen) Actions() []string {
	var out []string
	for _, r := range s.records {
		out = append(out, r.Action)
	}
	return out
}

func (s *AuditScreen) verify() {
	a, st := s.a, s.a.st
	s.Verify.Disable()
	ui.SetBusy(s.Busy, true)
	s.Result.SetText(a.T("Verifying…"))
	load(a, func(ctx context.Context, _ *store.Session) (*store.Report, error) { return st.Verify(ctx) }, func(rep *store.Report, err error) {
		ui.SetBusy(s.Busy, false)
		s.Verify.Enable()
		var ce *store.ChainError
		switch {
		case errors.As(err, &ce):
			s.Result.Importance = widget.DangerImportance
			s.Result.SetText(a.T("TAMPERED: the audit chain breaks at entry %d (%s).", ce.Seq, ce.Reason))
		case err != nil:
			s.Result.Importance = widget.DangerImportance
			s.Result.SetText(a.errText(err))
		case rep.OK():
			s.Result.Importance = widget.SuccessImportance
			s.Result.SetText(a.T("All good: %d audit entries chained, %d sealed values, %d keys, %d user records and %d blind indexes verified.",
				rep.AuditEntries, rep.SealedValues, rep.WrappedKeys, rep.Users, rep.BlindIndexes))
		default:
			var lines []string
			for i, p := range rep.Problems {
				if i == 10 {
					lines = append(lines, a.T("…and %d more", len(rep.Problems)-10))
					break
				}
				lines = append(lines, p.String())
			}
			s.Result.Importance = widget.DangerImportance
			s.Result.SetText(a.T("%d problem(s) found:", len(rep.Problems)) + "\n" + strings.Join(lines, "\n"))
		}
		s.Result.Refresh()
		s.Refresh()
	})
}
