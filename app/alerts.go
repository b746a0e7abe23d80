package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

const paneAlerts = "alerts"

func init() {
	registerAdminPane(adminPane{order: 40, name: paneAlerts, label: "Alerts", may: mayAlerts, build: buildAlerts})
	registerNoticeCheck(checkAlertsNotice)
}

// mayAlerts: the owner (every alert), a shop's manager (their shop's), the auditor (without
// notes).
func mayAlerts(a *App) bool {
	return a.has(store.RoleOwner) || a.has(store.RoleAuditor) || a.has(store.RoleManager) && a.user.ShopID != ""
}

// mayDecideAlerts: the owner and a shop's manager review alerts; the auditor only reads.
func mayDecideAlerts(a *App) bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) && a.user.ShopID != ""
}

var alertKindLabels = map[string]string{"mass_read": "many customers read", "off_hours": "outside opening hours",
	"break_glass": "break-glass reads", "probing": "probing", "credential_guessing": "password guessing",
	"bulk_export": "bulk export", "bulk_delete": "bulk delete", "slow_exfiltration": "slow exfiltration", "mass_send": "mass send"}

var alertStatusLabels = map[string]string{store.AlertOpen: "open", store.AlertAcknowledged: "acknowledged",
	store.AlertConfirmed: "confirmed", store.AlertDismissed: "dismissed"}

// AlertsPane lists the detector's alerts (kind, user, score, first evidence, reasons) with
// their review (acknowledge, confirm, dismiss, with a note) and the effectiveness.
type AlertsPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	Summary     *widget.Label // the effectiveness
	ShowAll     *widget.Check
	List        *widget.List
	Detail      *widget.Label
	Note        *widget.Entry
	Suspend     *widget.Check // owner: confirming deactivates the account
	Acknowledge *widget.Button
	Confirm     *widget.Button
	Dismiss     *widget.Button
	Lift        *widget.Button // owner: lift the account's suspension on this device
	Result      *ui.Message
	Error       *ui.Message

	alerts   []store.AlertRecord
	selected string
}

var alertWeights = []float32{1.1, 0.8, 0.5, 1, 0.8, 3}

func buildAlerts(a *App) (fyne.CanvasObject, func()) {
	p := &AlertsPane{a: a, Summary: ui.WrapLabel(), Detail: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	spec := ui.RowSpec{Weights: alertWeights, Labels: 6, BoldFirst: true}
	p.List = ui.NewList(func() int { return len(p.alerts) }, spec, func(i widget.ListItemID, r ui.Row) {
		x := p.alerts[i]
		r.SetTexts(a.codeLabel(alertKindLabels, x.Kind), alertUser(x), fmt.Sprint(x.Score), minute(x.FirstAt),
			a.alertStatus(x), strings.Join(x.Reasons, "; "))
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.Select(p.alerts[i].ID) }
	p.ShowAll = widget.NewCheck(a.T("Show decided alerts"), func(bool) { p.Reload() })
	p.Note = widget.NewMultiLineEntry()
	p.Note.SetPlaceHolder(a.T("Note (sealed; the auditor never sees it)"))
	p.Suspend = widget.NewCheck(a.T("Deactivate the account on every device"), nil)
	p.Acknowledge = a.button(a.T("Acknowledge"), theme.VisibilityIcon(), func() { p.decide(store.AlertAcknowledged) })
	p.Confirm = a.button(a.T("Confirm"), theme.ConfirmIcon(), func() { p.decide(store.AlertConfirmed) })
	p.Confirm.Importance = widget.DangerImportance
	p.Dismiss = a.button(a.T("Dismiss"), theme.CancelIcon(), func() { p.decide(store.AlertDismissed) })
	p.Lift = a.button(a.T("Lift the suspension here"), theme.LoginIcon(), p.lift)
	if !a.has(store.RoleOwner) {
		p.Suspend.Hide()
		p.Lift.Hide()
	}
	if !mayDecideAlerts(a) {
		// The auditor reads; the review is not theirs.
		for _, w := range []fyne.Widget{p.Note, p.Acknowledge, p.Confirm, p.Dismiss} {
			w.Hide()
		}
	}
	header := ui.Header(alertWeights, a.T("Kind"), a.T("User"), a.T("Score"), a.T("First evidence"), a.T("Status"), a.T("Reasons"))
	var review fyne.CanvasObject = container.NewVBox(p.Detail, p.Result, p.Error)
	if mayDecideAlerts(a) {
		review = container.NewVBox(p.Detail, widget.NewForm(widget.NewFormItem(a.T("Note"), p.Note)), p.Suspend,
			container.NewHBox(p.Acknowledge, p.Confirm, p.Dismiss, p.Lift), p.Result, p.Error)
	}
	card := widget.NewCard(a.T("Review"), a.T("Confirm an alert that was real, dismiss a false one; the effectiveness counts both."), review)
	top := container.NewVBox(ui.Heading(a.T("Alerts")), p.Summary, p.ShowAll, header)
	split := container.NewVSplit(p.List, container.NewVScroll(card))
	split.Offset = 0.35
	p.content = container.NewBorder(top, nil, nil, nil, split)
	p.enable(nil)
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *AlertsPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

func alertUser(x store.AlertRecord) string {
	if x.Username != "" {
		return x.Username
	}
	return x.UserID
}

func (a *App) alertStatus(x store.AlertRecord) string {
	s := a.codeLabel(alertStatusLabels, x.Status)
	if x.SuspendedHere {
		s += " · " + a.T("suspended here")
	}
	return s
}

type alertsLoad struct {
	alerts []store.AlertRecord
	eff    store.AlertEffectiveness
}

// Reload reads the alerts again.
func (p *AlertsPane) Reload() {
	a := p.a
	all := p.ShowAll.Checked
	load(a, func(ctx context.Context, ss *store.Session) (alertsLoad, error) {
		every, err := ss.Alerts(ctx, store.AlertFilter{All: true})
		if err != nil {
			return alertsLoad{}, err
		}
		out := alertsLoad{alerts: every, eff: store.EffectivenessOf(every)}
		if !all {
			out.alerts = nil
			for _, x := range every {
				if x.Status == store.AlertOpen || x.Status == store.AlertAcknowledged {
					out.alerts = append(out.alerts, x)
				}
			}
		}
		return out, nil
	}, func(l alertsLoad, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.alerts = l.alerts
		p.Summary.SetText(a.effectivenessText(l.eff, len(l.alerts)))
		p.List.Refresh()
		p.Select(p.selected)
		a.checkNotices()
	})
}

func (a *App) effectivenessText(e store.AlertEffectiveness, shown int) string {
	head := a.T("Alerts shown: %d.", shown)
	if e.Overall.Rate < 0 {
		return head + " " + a.T("Effectiveness: no alert decided yet.")
	}
	out := head + " " + a.T("Effectiveness: %d%% (%d confirmed, %d dismissed).", int(100*e.Overall.Rate+0.5), e.Overall.Confirmed, e.Overall.Dismissed)
	kinds := make([]string, 0, len(e.ByKind))
	for k := range e.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		x := e.ByKind[k]
		out += " " + a.T("%s: %d%%.", a.codeLabel(alertKindLabels, k), int(100*x.Rate+0.5))
	}
	return out
}

// Select shows an alert's detail ("" none) and enables the review.
func (p *AlertsPane) Select(id string) {
	a := p.a
	p.selected = id
	var x *store.AlertRecord
	for i := range p.alerts {
		if p.alerts[i].ID == id {
			x = &p.alerts[i]
		}
	}
	p.enable(x)
	if x == nil {
		p.Detail.SetText(a.T("Select an alert to review it."))
		return
	}
	text := a.T("%s by %s, score %d: first evidence %s, raised %s.", a.codeLabel(alertKindLabels, x.Kind), alertUser(*x), x.Score, minute(x.FirstAt), minute(x.RaisedAt)) +
		"\n" + strings.Join(x.Reasons, "\n")
	text += "\n" + a.T("Status: %s.", a.alertStatus(*x))
	if x.Note != "" {
		text += "\n" + a.T("Note: %s", x.Note)
	}
	p.Detail.SetText(text)
}

func (p *AlertsPane) enable(x *store.AlertRecord) {
	open := x != nil && (x.Status == store.AlertOpen || x.Status == store.AlertAcknowledged) && x.UserID != p.a.user.ID
	for _, b := range []*widget.Button{p.Acknowledge, p.Confirm, p.Dismiss} {
		if open {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if x != nil && x.Status == store.AlertAcknowledged {
		p.Acknowledge.Disable()
	}
	if x != nil && x.SuspendedHere {
		p.Lift.Enable()
	} else {
		p.Lift.Disable()
	}
}

// lift lifts the selected alert's suspension of the account on this device (owner).
func (p *AlertsPane) lift() {
	a := p.a
	var user string
	for _, x := range p.alerts {
		if x.ID == p.selected && x.SuspendedHere {
			user = x.UserID
		}
	}
	if user == "" {
		return
	}
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.LiftSuspension(ctx, user) }, func(err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText("")
		p.Result.SetText(a.T("Suspension lifted on this device."))
		p.Reload()
	})
}

func (p *AlertsPane) decide(status string) {
	a := p.a
	id, note, suspend := p.selected, p.Note.Text, p.Suspend.Checked && status == store.AlertConfirmed
	if id == "" {
		return
	}
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.DecideAlert(ctx, id, status, note, suspend)
	}, func(err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText("")
		p.Result.SetText(a.T("Alert %s.", a.codeLabel(alertStatusLabels, status)))
		p.Note.SetText("")
		p.Suspend.SetChecked(false)
		p.Reload()
	})
}

// checkAlertsNotice: open alerts scoring NoticeScore or more are a notice for the owner and
// a shop's manager.
func checkAlertsNotice(a *App) {
	if a.Shell == nil || !mayDecideAlerts(a) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (int, error) { return ss.OpenAlertCount(ctx) }, func(n int, err error) {
		if a.Shell == nil || err != nil {
			return
		}
		text := ""
		if n > 0 {
			text = a.T("Open alerts of unusual behaviour to review: %d.", n)
		}
		a.Shell.SetNotice("alerts", text, a.T("Open the alerts"), func() { a.Shell.ShowAdminPane(paneAlerts) })
	})
}
