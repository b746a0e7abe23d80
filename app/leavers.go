package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

const paneLeavers = "leavers"

func init() {
	registerAdminPane(adminPane{order: 30, name: paneLeavers, label: "Leavers", may: mayLeavers, build: buildLeavers})
	registerNoticeCheck(checkLeaversNotice)
}

// mayLeavers: the owner (every shop) and a shop's manager (their shop).
func mayLeavers(a *App) bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) && a.user.ShopID != ""
}

// LeaversPane is the departing employee: the leaving date (owner), the daily watch, the report
// of what they read, exported or deleted, and the reassignment of their customers.
type LeaversPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	List     *widget.List
	Summary  *widget.Label
	Person   *widget.Select // the member of staff the form acts on
	Date     *widget.Entry
	SetDate  *widget.Button
	AtOnce   *widget.Button
	Report   *widget.Button
	To       *widget.Select
	Reassign *widget.Button
	// ConfirmAtOnce and ConfirmReassign are the open confirmations (tests tap them).
	ConfirmAtOnce, ConfirmReassign *dialog.ConfirmDialog
	ReportText                     *widget.Label
	Scroll                         *container.Scroll
	Result                         *ui.Message
	Error                          *ui.Message

	leavers []store.Leaver
	// LastReport is the report shown (tests).
	LastReport *store.LeaverReport
}

var leaverWeights = []float32{1, 1, 1, 1.2, 0.8, 1, 0.8}

func buildLeavers(a *App) (fyne.CanvasObject, func()) {
	p := &LeaversPane{a: a, Summary: ui.WrapLabel(), ReportText: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	spec := ui.RowSpec{Weights: leaverWeights, Labels: 7, BoldFirst: true}
	p.List = ui.NewList(func() int { return len(p.leavers) }, spec, func(i widget.ListItemID, r ui.Row) {
		l := p.leavers[i]
		r.SetTexts(l.Username, a.shopName(l.ShopID), day(l.LeavesAt), a.leaverState(l), fmt.Sprint(l.Reads),
			a.T("%d (%d customers)", l.Exports, l.Exported), fmt.Sprint(l.Deletions))
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.Person.SetSelected(p.leavers[i].Username) }
	p.Person = widget.NewSelect(p.people(), func(string) { p.Error.SetText(""); p.fillTo() })
	p.Date = widget.NewEntry()
	p.Date.SetPlaceHolder("YYYY-MM-DD")
	p.SetDate = a.button(a.T("Set leaving date"), theme.CalendarIcon(), p.setDate)
	p.AtOnce = a.button(a.T("End the account now"), theme.CancelIcon(), p.askAtOnce)
	p.AtOnce.Importance = widget.DangerImportance
	p.Report = a.button(a.T("Report: last 30 days"), theme.DocumentIcon(), p.report)
	p.To = widget.NewSelect(nil, nil)
	p.Reassign = a.button(a.T("Move their customers"), theme.MailForwardIcon(), p.askReassign)
	owner := a.has(store.RoleOwner)
	if !owner {
		// A manager proposes a leaving date on the review pane; the owner signs it.
		p.SetDate.Hide()
		p.AtOnce.Hide()
		p.Date.Hide()
	}
	header := ui.Header(leaverWeights, a.T("User"), a.T("Shop"), a.T("Leaves"), a.T("State"), a.T("Read (24 h)"), a.T("Exports (24 h)"), a.T("Deleted (24 h)"))
	form := widget.NewForm(widget.NewFormItem(a.T("Member of staff"), p.Person), widget.NewFormItem(a.T("Leaving date"), p.Date))
	actions := container.NewVBox(container.NewHBox(p.SetDate, p.AtOnce, p.Report),
		container.NewBorder(nil, nil, widget.NewLabel(a.T("Give their customers to")), p.Reassign, p.To))
	card := widget.NewCard(a.T("Leaving"), a.T("From the leaving date every device refuses the account by itself. Until then what they read, export and delete is summarised here every day."),
		container.NewVBox(form, actions, p.Result, p.Error, p.ReportText))
	top := container.NewVBox(ui.Heading(a.T("Leavers")), p.Summary, header)
	p.Scroll = container.NewVScroll(card)
	split := container.NewVSplit(p.List, p.Scroll)
	split.Offset = 0.3
	p.content = container.NewBorder(top, nil, nil, nil, split)
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *LeaversPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

func (a *App) leaverState(l store.Leaver) string {
	switch {
	case !l.Active:
		return a.T("deactivated")
	case l.Proposed:
		return a.T("proposed by the manager")
	case !a.opts.Now().Before(l.LeavesAt):
		return a.T("left")
	}
	return a.T("leaving")
}

// people are the staff the form may act on: the owner's whole directory but themselves, a
// manager's own shop.
func (p *LeaversPane) people() []string {
	a := p.a
	var out []string
	for _, s := range a.staff {
		if s.ID == a.user.ID || !a.has(store.RoleOwner) && s.ShopID != a.user.ShopID {
			continue
		}
		out = append(out, s.Username)
	}
	return out
}

// personID is the selected member of staff's id ("" when none).
func (p *LeaversPane) personID() (store.Staff, bool) {
	for _, s := range p.a.staff {
		if s.Username == p.Person.Selected {
			return s, true
		}
	}
	return store.Staff{}, false
}

// Reload reads the leavers again. (Not Refresh: Fyne calls that to redraw.)
func (p *LeaversPane) Reload() {
	a := p.a
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Leaver, error) { return ss.Leavers(ctx) }, func(ls []store.Leaver, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.leavers = ls
		if len(ls) == 0 {
			p.Summary.SetText(a.T("Nobody is leaving."))
		} else {
			p.Summary.SetText(a.T("%d member(s) of staff with a leaving date: their last 24 hours below.", len(ls)))
		}
		p.Person.Options = p.people()
		p.Person.Refresh()
		p.List.Refresh()
		p.fillTo()
	})
}

// fillTo offers the colleagues of the selected person's shop who may take customers.
func (p *LeaversPane) fillTo() {
	a := p.a
	src, ok := p.personID()
	var opts []string
	for _, s := range a.staff {
		if ok && s.ID != src.ID && s.ShopID == src.ShopID && (slices.Contains(s.Roles, store.RoleSales) || slices.Contains(s.Roles, store.RoleManager)) {
			opts = append(opts, s.Username)
		}
	}
	p.To.Options = opts
	p.To.Refresh()
}

func (p *LeaversPane) after(err error, ok string) {
	a := p.a
	if err != nil {
		p.Result.SetText("")
		p.Error.SetText(a.errText(err))
		return
	}
	p.Error.SetText("")
	p.Result.SetText(ok)
	p.Reload()
	a.checkNotices()
}

func (p *LeaversPane) setDate() {
	a := p.a
	who, ok := p.personID()
	if !ok {
		p.Error.SetText(a.T("Choose a member of staff."))
		return
	}
	at, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(p.Date.Text), time.Local)
	if err != nil {
		p.Error.SetText(a.T("Give the leaving date as YYYY-MM-DD."))
		return
	}
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.SetLeaving(ctx, who.ID, at, false) },
		func(err error) {
			p.after(err, a.T("%s leaves on %s; every device refuses the account from then on.", who.Username, day(at)))
		})
}

func (p *LeaversPane) askAtOnce() {
	a := p.a
	who, ok := p.personID()
	if !ok {
		p.Error.SetText(a.T("Choose a member of staff."))
		return
	}
	p.ConfirmAtOnce = ui.Confirm(a.W, a.T("End %s's account now?", who.Username),
		a.T("The account is deactivated now on this device, and on every other device at its next sync."), a.T("End the account now"), widget.DangerImportance,
		func() {
			do(a, func(ctx context.Context, ss *store.Session) error {
				return ss.SetLeaving(ctx, who.ID, time.Time{}, true)
			},
				func(err error) { p.after(err, a.T("%s's account is deactivated.", who.Username)) })
		})
}

func (p *LeaversPane) report() {
	a := p.a
	who, ok := p.personID()
	if !ok {
		p.Error.SetText(a.T("Choose a member of staff."))
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (*store.LeaverReport, error) {
		return ss.LeaverReport(ctx, who.ID, 30)
	},
		func(r *store.LeaverReport, err error) {
			if err != nil {
				p.Error.SetText(a.errText(err))
				return
			}
			p.LastReport = r
			p.ReportText.SetText(a.leaverReportText(r))
			p.Scroll.ScrollToBottom()
		})
}

// leaverReportText is the report as the screen shows it: counts, devices and customer ids.
func (a *App) leaverReportText(r *store.LeaverReport) string {
	lines := []string{
		a.T("What %s did from %s to %s (counts and ids, no values):", r.Username, day(r.From), day(r.To)),
		a.T("Sign-ins: %d on %d device(s).", r.SignIns, len(r.Devices)),
		a.T("Customers read: %d (break-glass: %d).", len(r.Read), r.BreakGlass),
		a.T("Exports: %d (%d customers).", r.Exports, r.Exported),
		a.T("Customers deleted: %d.", len(r.Deleted)),
		a.T("Denied attempts: %d.", r.Denied),
		a.T("Customers still owned: %d; open jobs assigned: %d.", r.Customers, r.OpenJobs),
	}
	if len(r.Read) > 0 {
		lines = append(lines, a.T("Read: %s", shortIDs(r.Read, 20)))
	}
	if len(r.Deleted) > 0 {
		lines = append(lines, a.T("Deleted: %s", shortIDs(r.Deleted, 20)))
	}
	return strings.Join(lines, "\n")
}

func shortIDs(ids []string, n int) string {
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, fmt.Sprintf("… +%d", len(ids)-n))
			break
		}
		parts = append(parts, shortID(id))
	}
	return strings.Join(parts, " ")
}

func (p *LeaversPane) askReassign() {
	a := p.a
	who, ok := p.personID()
	if !ok || p.To.Selected == "" {
		p.fillTo()
		p.Error.SetText(a.T("Choose a member of staff and who takes their customers."))
		return
	}
	var to store.Staff
	for _, s := range a.staff {
		if s.Username == p.To.Selected {
			to = s
		}
	}
	p.ConfirmReassign = ui.Confirm(a.W, a.T("Move %s's customers to %s?", who.Username, to.Username),
		a.T("Every customer %s owns moves to %s in one step, recorded in the audit trail.", who.Username, to.Username), a.T("Move their customers"), widget.HighImportance,
		func() {
			var n int
			do(a, func(ctx context.Context, ss *store.Session) error {
				var err error
				n, err = ss.ReassignCustomers(ctx, who.ID, to.ID)
				return err
			}, func(err error) { p.after(err, a.T("%d customer(s) moved to %s.", n, to.Username)) })
		})
}

// checkLeaversNotice is the daily watch until the detector exists: the owner and a shop's
// manager see each leaver's last 24 hours.
func checkLeaversNotice(a *App) {
	if a.Shell == nil || !mayLeavers(a) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Leaver, error) { return ss.Leavers(ctx) },
		func(ls []store.Leaver, err error) {
			if a.Shell == nil || err != nil {
				return
			}
			var parts []string
			for _, l := range ls {
				if l.Active && a.opts.Now().Before(l.LeavesAt) {
					parts = append(parts, a.T("%s (leaves %s): %d customers read, %d export(s), %d deletion(s) in the last 24 hours", l.Username, day(l.LeavesAt), l.Reads, l.Exports, l.Deletions))
				}
			}
			text := ""
			if len(parts) > 0 {
				text = a.T("Leaving staff: %s.", strings.Join(parts, "; "))
			}
			a.Shell.SetNotice("leavers", text, a.T("Open leavers"), func() { a.Shell.ShowAdminPane(paneLeavers) })
		})
}
