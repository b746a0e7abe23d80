package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/compliance/checkup"
	"spoke/compliance/docfile"
	"spoke/store"
)

// paneCheckup is the Administration desk's security check-up pane.
const paneCheckup = "checkup"

func init() {
	registerAdminPane(adminPane{order: 40, name: paneCheckup, label: "Check-up",
		may: func(a *App) bool { return a.can(store.OpUsers) }, build: buildCheckup})
	registerNoticeCheck(func(a *App) { a.checkCheckup() })
}

// The labels of the check-up's severities and statuses (English keys, translated where shown).
var (
	severityLabels = map[checkup.Severity]string{checkup.Critical: "Critical", checkup.High: "High", checkup.Medium: "Medium",
		checkup.Low: "Low", checkup.Info: "Information"}
	findingStatusLabels = map[checkup.Status]string{checkup.Open: "Open", checkup.Accepted: "Accepted", checkup.Fixed: "Marked fixed"}
)

// docLang is the report language matching the GUI's.
func (a *App) docLang() checkup.Lang {
	if a.lang == langZH {
		return checkup.ZH
	}
	return checkup.EN
}

func (a *App) findingStatus(f checkup.Finding) string {
	if f.Status == checkup.Open && f.Reopened {
		return a.T("Open again (was marked fixed)")
	}
	return a.T(findingStatusLabels[f.Status])
}

// CheckupPane is the security check-up (owner): the latest report with its findings most
// urgent first, Run now, marking a finding fixed or accepted with a note, the report as an
// HTML document, and the schedule.
type CheckupPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	Summary *widget.Label
	Counts  *widget.Label
	RunNow  *widget.Button
	Export  *widget.Button
	Lang    *widget.Select // the exported report's language
	List    *widget.List

	Selected  *widget.Label
	Detail    *widget.Label
	Note      *widget.Entry
	MarkFixed *widget.Button
	Accept    *widget.Button

	EveryDays, SilentDays *widget.Entry
	SaveSettings          *widget.Button

	Result *ui.Message
	Error  *ui.Message
	Prompt *SavePrompt

	report   *checkup.Report
	status   store.CheckupStatus
	selected string
}

var checkupWeights = []float32{0.8, 1.4, 3}

func buildCheckup(a *App) (fyne.CanvasObject, func()) {
	p := &CheckupPane{a: a, Summary: ui.WrapLabel(), Counts: ui.Bold(""), Selected: ui.Bold(""), Detail: ui.WrapLabel(),
		Note: widget.NewMultiLineEntry(), EveryDays: widget.NewEntry(), SilentDays: widget.NewEntry(),
		Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	p.List = ui.NewList(func() int { return p.count() }, ui.RowSpec{Weights: checkupWeights, Labels: 3, BoldFirst: true}, func(i widget.ListItemID, r ui.Row) {
		f := p.report.Findings[i]
		r.SetTexts(a.T(severityLabels[f.Severity]), p.a.findingStatus(f), f.Title(a.docLang()))
		imp := widget.MediumImportance
		switch f.Severity {
		case checkup.Critical, checkup.High:
			imp = widget.DangerImportance
		case checkup.Medium:
			imp = widget.WarningImportance
		}
		if f.Status != checkup.Open {
			imp = widget.LowImportance
		}
		r.Label(0).Importance = imp
		r.Label(0).Refresh()
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.Select(p.report.Findings[i].Key) }
	p.RunNow = a.button(a.T("Run now"), theme.ViewRefreshIcon(), p.Run)
	p.RunNow.Importance = widget.HighImportance
	p.Lang = widget.NewSelect([]string{languageNames[langEN], languageNames[langZH]}, nil)
	p.Lang.SetSelected(languageNames[a.lang])
	p.Export = a.button(a.T("Save as HTML…"), theme.DocumentSaveIcon(), p.AskExport)
	p.Note.SetPlaceHolder(a.T("Note: what was done, or why the risk is accepted (kept sealed; no customer names)"))
	p.Note.SetMinRowsVisible(2)
	p.MarkFixed = a.button(a.T("Mark fixed"), theme.ConfirmIcon(), func() { p.Decide(string(checkup.Fixed)) })
	p.Accept = a.button(a.T("Accept the risk"), theme.WarningIcon(), func() { p.Decide(string(checkup.Accepted)) })
	p.MarkFixed.Disable()
	p.Accept.Disable()
	p.SaveSettings = a.button(a.T("Save schedule"), theme.DocumentSaveIcon(), p.saveSettings)
	header := ui.Header(checkupWeights, a.T("Severity"), a.T("Status"), a.T("Finding"))
	top := container.NewVBox(ui.Heading(a.T("Security check-up")),
		ui.Note(a.T("The shop's own security audit: software versions, devices, the master key, backups, privacy requests, incidents, staff passwords and every configuration change since the last check-up. Mark each finding fixed or accepted.")),
		p.Summary, p.Counts, container.NewHBox(p.RunNow, p.Lang, p.Export), p.Result, p.Error)
	decide := widget.NewCard(a.T("Decision"), "", container.NewVBox(p.Selected, p.Detail, p.Note, container.NewHBox(p.MarkFixed, p.Accept)))
	schedule := widget.NewForm(widget.NewFormItem(a.T("A check-up every (days)"), p.EveryDays),
		widget.NewFormItem(a.T("A device is silent after (days)"), p.SilentDays))
	side := container.NewVScroll(container.NewVBox(decide, widget.NewCard(a.T("Schedule"), "", container.NewVBox(schedule, container.NewHBox(p.SaveSettings)))))
	split := container.NewHSplit(container.NewBorder(header, nil, nil, nil, p.List), side)
	split.Offset = 0.58
	p.content = container.NewBorder(top, nil, nil, nil, split)
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *CheckupPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

func (p *CheckupPane) count() int {
	if p.report == nil {
		return 0
	}
	return len(p.report.Findings)
}

type checkupView struct {
	status store.CheckupStatus
	report *checkup.Report
}

// Reload reads the status and the latest report again. (Not Refresh: Fyne calls that to redraw.)
func (p *CheckupPane) Reload() {
	a := p.a
	if p.content == nil {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (checkupView, error) {
		st, err := ss.CheckupStatus(ctx)
		if err != nil {
			return checkupView{}, err
		}
		r, err := ss.CheckupReport(ctx, "")
		if errors.Is(err, store.ErrNotFound) {
			return checkupView{status: st}, nil
		}
		return checkupView{status: st, report: r}, err
	}, func(v checkupView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.show(v)
	})
}

func (p *CheckupPane) show(v checkupView) {
	a := p.a
	p.status, p.report = v.status, v.report
	p.EveryDays.SetText(strconv.Itoa(v.status.Settings.EveryDays))
	p.SilentDays.SetText(strconv.Itoa(v.status.Settings.SilentDays))
	if p.report == nil {
		p.Summary.SetText(a.T("No check-up has run yet. Run one now; after that one is due every %d days.", v.status.Settings.EveryDays))
		p.Counts.SetText("")
		p.Export.Disable()
	} else {
		due := a.T("next due %s", day(v.status.Due))
		if v.status.Overdue {
			due = a.T("OVERDUE since %s", day(v.status.Due))
		}
		by := p.report.RunBy
		if p.report.Trigger == store.CheckupScheduled {
			by = a.T("scheduled, as %s", by)
		}
		p.Summary.SetText(a.T("Last check-up %s (%s) on device %s, Spoke %s; %s.", minute(p.report.At), by, shortID(p.report.Device), p.report.Version, due))
		var parts []string
		for _, c := range p.report.Counts() {
			if n := c.Open; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", a.T(severityLabels[c.Severity]), n))
			}
		}
		if len(parts) == 0 {
			p.Counts.SetText(a.T("Nothing open."))
		} else {
			p.Counts.SetText(a.T("Open: %s", strings.Join(parts, " · ")))
		}
		p.Export.Enable()
	}
	p.List.UnselectAll()
	p.List.Refresh()
	p.Select(p.selected)
}

// Select shows one finding in the decision form.
func (p *CheckupPane) Select(key string) {
	a := p.a
	p.selected = ""
	p.MarkFixed.Disable()
	p.Accept.Disable()
	if p.report != nil {
		if f := p.report.Finding(key); f != nil {
			p.selected = key
			p.Selected.SetText(fmt.Sprintf("%s · %s · %s", a.T(severityLabels[f.Severity]), a.findingStatus(*f), f.Title(a.docLang())))
			detail := f.Detail(a.docLang()) + "\n" + a.T("Key: %s", f.Key)
			if f.DecidedBy != "" {
				detail += "\n" + a.T("Decided by %s on %s.", f.DecidedBy, day(f.DecidedAt))
			}
			if f.Note != "" {
				detail += "\n" + a.T("Note: %s", f.Note)
			} else if f.NoteExpired {
				detail += "\n" + a.T("The note has expired under the retention policy.")
			}
			p.Detail.SetText(detail)
			p.MarkFixed.Enable()
			p.Accept.Enable()
			return
		}
	}
	p.Selected.SetText(a.T("Choose a finding in the list."))
	p.Detail.SetText("")
}

// Run runs the check-up now.
func (p *CheckupPane) Run() {
	a := p.a
	p.Error.SetText("")
	p.RunNow.Disable()
	load(a, func(ctx context.Context, ss *store.Session) (*checkup.Report, error) { return ss.RunCheckup(ctx) }, func(r *checkup.Report, err error) {
		p.RunNow.Enable()
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Check-up done: %d finding(s).", len(r.Findings)))
		p.Reload()
		a.checkNotices()
	})
}

// Decide records the owner's decision on the selected finding, with the note typed.
func (p *CheckupPane) Decide(decision string) {
	a := p.a
	key, note := p.selected, p.Note.Text
	if key == "" {
		return
	}
	p.Error.SetText("")
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.DecideCheckupFinding(ctx, key, decision, note)
	}, func(err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Note.SetText("")
		if decision == string(checkup.Fixed) {
			p.Result.SetText(a.T("Marked fixed: the next check-up shows it again if it is still found."))
		} else {
			p.Result.SetText(a.T("Accepted: it stays listed as accepted while it is found."))
		}
		p.Reload()
		a.checkNotices()
	})
}

func (p *CheckupPane) exportLang() checkup.Lang {
	if p.Lang.Selected == languageNames[langZH] {
		return checkup.ZH
	}
	return checkup.EN
}

// AskExport asks where to save the report shown as an HTML document.
func (p *CheckupPane) AskExport() {
	a := p.a
	if p.report == nil {
		return
	}
	r, l := p.report, p.exportLang()
	name := fmt.Sprintf("spoke-checkup-%s-%s.html", r.At.Local().Format("20060102"), l)
	p.Prompt = a.askSavePath(a.T("Save the check-up report"), name, func(path string, done func(error)) {
		now := a.opts.Now()
		do(a, func(ctx context.Context, ss *store.Session) error {
			// Read again, so the document has the decisions made until now (and is audited).
			fresh, err := ss.CheckupReport(ctx, r.RunID)
			if err != nil {
				return err
			}
			b, err := fresh.HTML(l, now)
			if err != nil {
				return err
			}
			return docfile.WriteNew(path, b, 0o600)
		}, func(err error) {
			done(err)
			if err == nil {
				p.Result.SetText(a.T("Saved to %s.", path))
			}
		})
	})
}

func (p *CheckupPane) saveSettings() {
	a := p.a
	every, err1 := strconv.Atoi(strings.TrimSpace(p.EveryDays.Text))
	silent, err2 := strconv.Atoi(strings.TrimSpace(p.SilentDays.Text))
	if err1 != nil || err2 != nil {
		p.Error.SetText(a.T("Give both periods as whole days."))
		return
	}
	p.Error.SetText("")
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.SetCheckupSettings(ctx, store.CheckupSettings{EveryDays: every, SilentDays: silent})
	}, func(err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Schedule saved."))
		p.Reload()
		a.checkNotices()
	})
}

// startCheckup runs the check-up at sign-in when it is due, on an owner device with an owner
// signed in (the store decides both), then refreshes the notices.
func (a *App) startCheckup() {
	if !a.can(store.OpUsers) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (bool, error) {
		_, ran, err := ss.RunCheckupIfDue(ctx)
		return ran, err
	}, func(ran bool, err error) {
		if ran && err == nil && a.Shell != nil {
			a.checkNotices()
			if a.Shell.Admin != nil {
				a.Shell.Admin.Refresh()
			}
		}
	})
}

// checkCheckup sets the check-up's notice (owner): overdue, or critical findings still open.
func (a *App) checkCheckup() {
	if a.Shell == nil || !a.can(store.OpUsers) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (store.CheckupStatus, error) {
		return ss.CheckupStatus(ctx)
	},
		func(st store.CheckupStatus, err error) {
			if a.Shell == nil || err != nil {
				return
			}
			a.Shell.SetNotice(paneCheckup, a.checkupNoticeText(st), a.T("Open the check-up"), func() { a.Shell.ShowAdminPane(paneCheckup) })
		})
}

// checkupNoticeText is the notice's text ("" when the check-up is current and nothing critical
// is open).
func (a *App) checkupNoticeText(st store.CheckupStatus) string {
	var parts []string
	switch {
	case st.Overdue && st.LastRun.IsZero():
		parts = append(parts, a.T("No security check-up has run yet."))
	case st.Overdue:
		parts = append(parts, a.T("The security check-up is overdue (last run %s).", day(st.LastRun)))
	}
	if st.Critical > 0 {
		parts = append(parts, a.T("%d critical finding(s) of the security check-up are open.", st.Critical))
	}
	return strings.Join(parts, " ")
}
