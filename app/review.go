package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

const paneReview = "review"

func init() {
	registerAdminPane(adminPane{order: 10, name: paneReview, label: "Permission review", may: mayReview, build: buildReview})
	registerNoticeCheck(checkReviewNotice)
}

// mayReview: the owner reviews; a shop's manager sees their shop's accounts and proposes.
func mayReview(a *App) bool {
	return a.can(store.OpUsers) || a.has(store.RoleManager) && a.user.ShopID != ""
}

// flagLabels are the review's flags as the screen names them.
var flagLabels = map[string]string{store.FlagDormant: "dormant", store.FlagShared: "shared-looking", store.FlagLeftActive: "active after leaving date",
	store.FlagTraining: "training overdue"}

func (a *App) flagText(flags []string) string {
	var parts []string
	for _, f := range flags {
		if r, ok := strings.CutPrefix(f, store.FlagExcessRole+":"); ok {
			parts = append(parts, a.T("unused role: %s", a.T(roleLabel(store.Role(r)))))
			continue
		}
		parts = append(parts, a.codeLabel(flagLabels, f))
	}
	return strings.Join(parts, ", ")
}

func (a *App) rolesText(rs []store.Role) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, a.T(roleLabel(r)))
	}
	return strings.Join(parts, ", ")
}

var reviewDecisionLabels = map[string]string{store.DecisionCertify: "certified", store.DecisionChange: "roles changed", store.DecisionDeactivate: "deactivated"}

// ReviewPane is the permission review: every account with its activity and flags, a decision
// per account (owner) or a proposal (a shop's manager), and the completion.
type ReviewPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	Summary  *widget.Label
	Start    *widget.Button
	Complete *widget.Button
	List     *widget.List
	Selected *widget.Label
	Detail   *widget.Label
	Roles    *widget.CheckGroup
	// Owner: decide the selected account; confirm or reject its manager's proposal.
	Certify, Change, Deactivate *widget.Button
	Confirm, Reject             *widget.Button
	// Manager: propose for the selected account.
	ProposeRoles, ProposeDeactivate, ProposeLeave *widget.Button
	LeaveDate                                     *widget.Entry
	Result                                        *ui.Message
	Error                                         *ui.Message

	status   store.ReviewStatus
	review   *store.Review
	selected string
}

var reviewWeights = []float32{1.1, 0.9, 1, 0.9, 1.4, 0.8, 1.1, 0.8, 1.6, 0.9}

func buildReview(a *App) (fyne.CanvasObject, func()) {
	p := &ReviewPane{a: a, Summary: ui.WrapLabel(), Selected: ui.Bold(""), Detail: ui.WrapLabel(),
		Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	spec := ui.RowSpec{Weights: reviewWeights, Labels: 10, BoldFirst: true}
	p.List = ui.NewList(func() int {
		if p.review == nil {
			return 0
		}
		return len(p.review.Accounts)
	}, spec, func(i widget.ListItemID, r ui.Row) {
		acc := p.review.Accounts[i]
		decision := "-"
		if acc.Decision != nil {
			decision = a.codeLabel(reviewDecisionLabels, acc.Decision.Decision)
		} else if len(acc.Proposals) > 0 {
			decision = a.T("proposal waiting")
		}
		training := acc.Training
		if training == "" {
			training = "-"
		}
		r.SetTexts(acc.Username, a.rolesText(acc.Roles), a.shopName(acc.ShopID), dayOr(acc.LastSignIn, a.T("never")), a.roleUseText(acc),
			fmt.Sprint(acc.BreakGlass), fmt.Sprint(acc.FailedSignIns), a.T(training), a.flagText(acc.Flags), decision)
		imp := widget.MediumImportance
		if len(acc.Flags) > 0 && acc.Decision == nil {
			imp = widget.WarningImportance
		}
		r.Label(8).Importance = imp
		r.Label(8).Refresh()
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.Select(p.review.Accounts[i].UserID) }
	var roleNames []string
	for _, r := range store.Roles {
		roleNames = append(roleNames, a.T(roleLabel(r)))
	}
	p.Roles = widget.NewCheckGroup(roleNames, nil)
	p.Roles.Horizontal = true
	p.Start = a.button(a.T("Start the review"), theme.MediaPlayIcon(), p.start)
	p.Start.Importance = widget.HighImportance
	p.Complete = a.button(a.T("Complete the review"), theme.ConfirmIcon(), p.complete)
	p.Certify = a.button(a.T("Certify as is"), theme.ConfirmIcon(), func() { p.decide(store.DecisionCertify) })
	p.Change = a.button(a.T("Change to the roles ticked"), theme.DocumentCreateIcon(), func() { p.decide(store.DecisionChange) })
	p.Deactivate = a.button(a.T("Deactivate"), theme.CancelIcon(), func() { p.decide(store.DecisionDeactivate) })
	p.Deactivate.Importance = widget.DangerImportance
	p.Confirm = a.button(a.T("Confirm the proposal"), theme.ConfirmIcon(), func() { p.decideProposal(true) })
	p.Reject = a.button(a.T("Reject the proposal"), theme.CancelIcon(), func() { p.decideProposal(false) })
	p.ProposeRoles = a.button(a.T("Propose the roles ticked"), theme.DocumentCreateIcon(), func() { p.propose(store.ProposeRoles) })
	p.ProposeDeactivate = a.button(a.T("Propose deactivation"), theme.CancelIcon(), func() { p.propose(store.ProposeDeactivate) })
	p.ProposeLeave = a.button(a.T("Propose leaving date"), theme.CalendarIcon(), func() { p.propose(store.ProposeLeave) })
	p.LeaveDate = widget.NewEntry()
	p.LeaveDate.SetPlaceHolder("YYYY-MM-DD")
	owner := a.can(store.OpUsers)
	var actions fyne.CanvasObject
	if owner {
		actions = container.NewVBox(p.Roles, container.NewHBox(p.Certify, p.Change, p.Deactivate), container.NewHBox(p.Confirm, p.Reject))
	} else {
		actions = container.NewVBox(p.Roles, container.NewHBox(p.ProposeRoles, p.ProposeDeactivate),
			container.NewBorder(nil, nil, widget.NewLabel(a.T("Leaving date")), p.ProposeLeave, p.LeaveDate))
		p.Start.Hide()
		p.Complete.Hide()
	}
	header := ui.Header(reviewWeights, a.T("User"), a.T("Roles"), a.T("Shop"), a.T("Last sign-in"), a.T("Roles last used"), a.T("Break-glass"),
		a.T("Failed sign-ins"), a.T("Training"), a.T("Flags"), a.T("Decision"))
	intro := a.T("Every account's access, looked at again: certify it, change its roles or deactivate it. The review is complete when every active account is decided.")
	if !owner {
		intro = a.T("Your shop's accounts in the next review. Propose a change; the owner confirms it.")
	}
	form := widget.NewCard(a.T("Account"), "", container.NewVBox(p.Selected, p.Detail, actions, p.Result, p.Error))
	top := container.NewVBox(ui.Heading(a.T("Permission review")), ui.Note(intro), p.Summary, container.NewHBox(p.Start, p.Complete), header)
	p.content = container.NewBorder(top, form, nil, nil, p.List)
	p.ExtendBaseWidget(p)
	p.Select("")
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *ReviewPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

func dayOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return day(t)
}

// roleUseText is when each role's powers were last used: "Sales 2026-03-01; Mechanic never".
func (a *App) roleUseText(acc store.ReviewAccount) string {
	var parts []string
	for _, r := range acc.Roles {
		parts = append(parts, a.T(roleLabel(r))+" "+dayOr(acc.RoleLastUsed[r], a.T("never")))
	}
	return strings.Join(parts, "; ")
}

type reviewLoad struct {
	status store.ReviewStatus
	review *store.Review
}

// Reload reads the review again. (Not Refresh: Fyne calls that to redraw.)
func (p *ReviewPane) Reload() {
	a := p.a
	load(a, func(ctx context.Context, ss *store.Session) (reviewLoad, error) {
		st, err := ss.ReviewStatus(ctx)
		if err != nil {
			return reviewLoad{}, err
		}
		r, err := ss.Review(ctx, "")
		return reviewLoad{st, r}, err
	}, func(l reviewLoad, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.status, p.review = l.status, l.review
		p.Summary.SetText(a.reviewSummary(l.status, l.review))
		if l.review.ID == "" {
			p.Start.Enable()
			p.Complete.Disable()
		} else {
			p.Start.Disable()
			p.Complete.Enable()
		}
		p.List.Refresh()
		p.Select(p.selected)
		a.checkNotices()
	})
}

func (a *App) reviewSummary(st store.ReviewStatus, r *store.Review) string {
	due := a.T("Next review due %s (every %d days).", day(st.DueAt), st.EveryDays)
	if st.Overdue {
		due = a.T("The review is OVERDUE since %s.", day(st.DueAt))
	}
	if r.ID == "" {
		return due + " " + a.T("No review in progress: this is a preview of the next one.")
	}
	return due + " " + a.T("Review in progress since %s: %d of %d account(s) still undecided.", day(r.StartedAt), len(r.Undecided()), len(r.Accounts))
}

// Account returns the review's line for a username (tests).
func (p *ReviewPane) Account(username string) *store.ReviewAccount {
	if p.review == nil {
		return nil
	}
	for i := range p.review.Accounts {
		if p.review.Accounts[i].Username == username {
			return &p.review.Accounts[i]
		}
	}
	return nil
}

// Select shows one account in the form; "" clears it.
func (p *ReviewPane) Select(userID string) {
	a := p.a
	p.selected = ""
	buttons := []*widget.Button{p.Certify, p.Change, p.Deactivate, p.Confirm, p.Reject, p.ProposeRoles, p.ProposeDeactivate, p.ProposeLeave}
	for _, b := range buttons {
		b.Disable()
	}
	var acc *store.ReviewAccount
	if p.review != nil {
		for i := range p.review.Accounts {
			if p.review.Accounts[i].UserID == userID {
				acc = &p.review.Accounts[i]
			}
		}
	}
	if acc == nil {
		p.Selected.SetText(a.T("Choose an account in the list."))
		p.Detail.SetText("")
		return
	}
	p.selected = userID
	p.Selected.SetText(acc.Username + " · " + a.rolesText(acc.Roles))
	var lines []string
	if len(acc.Flags) > 0 {
		lines = append(lines, a.T("Look again: %s", a.flagText(acc.Flags)))
	}
	lines = append(lines, a.T("Signed in on %d device(s) in the period; last sign-in %s.", acc.Devices, dayOr(acc.LastSignIn, a.T("never"))))
	if !acc.LeavesAt.IsZero() {
		lines = append(lines, a.T("Leaving date: %s", day(acc.LeavesAt)))
	}
	if acc.Decision != nil {
		lines = append(lines, a.T("Decided %s: %s (%s → %s).", minute(acc.Decision.DecidedAt), a.codeLabel(reviewDecisionLabels, acc.Decision.Decision),
			a.rolesText(acc.Decision.RolesBefore), a.rolesText(acc.Decision.RolesAfter)))
	}
	for _, pr := range acc.Proposals {
		lines = append(lines, a.T("Proposed by the manager %s: %s", day(pr.ProposedAt), a.proposalText(pr)))
	}
	p.Detail.SetText(strings.Join(lines, "\n"))
	var ticked []string
	for _, r := range acc.Roles {
		ticked = append(ticked, a.T(roleLabel(r)))
	}
	p.Roles.SetSelected(ticked)
	if a.can(store.OpUsers) {
		if p.review.ID != "" {
			p.Certify.Enable()
			p.Change.Enable()
			if acc.UserID != a.user.ID {
				p.Deactivate.Enable()
			}
		}
		if len(acc.Proposals) > 0 {
			p.Confirm.Enable()
			p.Reject.Enable()
		}
	} else if acc.UserID != a.user.ID {
		p.ProposeRoles.Enable()
		p.ProposeDeactivate.Enable()
		p.ProposeLeave.Enable()
	}
}

func (a *App) proposalText(p store.StaffProposal) string {
	switch p.Kind {
	case store.ProposeRoles:
		return a.T("roles %s", a.rolesText(p.Roles))
	case store.ProposeDeactivate:
		return a.T("deactivate")
	}
	return a.T("leaving date %s", day(p.LeavesAt))
}

// tickedRoles are the roles ticked in the form.
func (p *ReviewPane) tickedRoles() []store.Role {
	var out []store.Role
	for _, r := range store.Roles {
		if slices.Contains(p.Roles.Selected, p.a.T(roleLabel(r))) {
			out = append(out, r)
		}
	}
	return out
}

func (p *ReviewPane) after(err error, ok string) {
	a := p.a
	if err != nil {
		p.Result.SetText("")
		p.Error.SetText(a.errText(err))
		return
	}
	p.Error.SetText("")
	p.Result.SetText(ok)
	p.Reload()
}

func (p *ReviewPane) start() {
	do(p.a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.StartReview(ctx)
		return err
	}, func(err error) { p.after(err, p.a.T("Review started: decide every account.")) })
}

func (p *ReviewPane) complete() {
	a := p.a
	do(a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.CompleteReview(ctx)
		return err
	}, func(err error) { p.after(err, a.T("Review complete and recorded.")) })
}

func (p *ReviewPane) decide(decision string) {
	a := p.a
	id := p.selected
	if id == "" {
		return
	}
	roles := p.tickedRoles()
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.DecideAccount(ctx, id, decision, roles)
	}, func(err error) { p.after(err, a.T("Decision recorded.")) })
}

func (p *ReviewPane) decideProposal(confirm bool) {
	a := p.a
	var acc *store.ReviewAccount
	for i := range p.review.Accounts {
		if p.review.Accounts[i].UserID == p.selected {
			acc = &p.review.Accounts[i]
		}
	}
	if acc == nil || len(acc.Proposals) == 0 {
		return
	}
	id := acc.Proposals[0].ID
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.DecideProposal(ctx, id, confirm) },
		func(err error) { p.after(err, a.T("Proposal decided.")) })
}

func (p *ReviewPane) propose(kind string) {
	a := p.a
	id := p.selected
	if id == "" {
		return
	}
	var leaves time.Time
	if kind == store.ProposeLeave {
		t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(p.LeaveDate.Text), time.Local)
		if err != nil {
			p.Error.SetText(a.T("Give the leaving date as YYYY-MM-DD."))
			return
		}
		leaves = t
	}
	roles := p.tickedRoles()
	do(a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.ProposeStaffChange(ctx, id, kind, roles, leaves)
		return err
	}, func(err error) { p.after(err, a.T("Proposal sent to the owner.")) })
}

// checkReviewNotice shows the overdue-review notice to the owner and a shop's managers.
func checkReviewNotice(a *App) {
	if a.Shell == nil || !mayReview(a) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (store.ReviewStatus, error) { return ss.ReviewStatus(ctx) },
		func(st store.ReviewStatus, err error) {
			if a.Shell == nil || err != nil {
				return
			}
			text := ""
			if st.Overdue {
				text = a.T("The permission review is overdue since %s: look at every account's access again.", day(st.DueAt))
			}
			a.Shell.SetNotice("review", text, a.T("Open the review"), func() { a.Shell.ShowAdminPane(paneReview) })
		})
}
