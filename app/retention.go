package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

func init() {
	registerPrivacyPane(privacyPane{order: 50, name: "retention", label: "Retention",
		may: func(a *App) bool { return a.can(store.OpDataSubject) }, build: buildRetention})
}

// retentionCheckEvery is how often the app asks whether the daily retention run is due.
const retentionCheckEvery = time.Hour

// retentionLoop runs the retention policy once a day while an owner or manager is signed in
// (the store decides whether a run is due from the trail, so a restart does not run it twice).
// Shaped like the backup scheduler: Stop cancels and waits.
type retentionLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startRetention starts the signed-in owner's or manager's daily retention run. It stops at
// sign-out, lock and quit.
func (a *App) startRetention() {
	if !a.can(store.OpDataSubject) {
		return
	}
	ss := a.ss
	ctx, cancel := context.WithCancel(a.sc)
	l := &retentionLoop{cancel: cancel, done: make(chan struct{})}
	a.retention = l
	go func() {
		defer close(l.done)
		t := time.NewTicker(retentionCheckEvery)
		defer t.Stop()
		for {
			// The run records its outcome (a failed erasure included) in the trail, which the
			// Retention pane's last runs show.
			ss.RunRetentionIfDue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the loop and waits for a run in progress.
func (l *retentionLoop) Stop() {
	if l != nil {
		l.cancel()
		<-l.done
	}
}

// RetentionPane is the retention desk: the policy (set by the owner), who still has to approve
// it, a preview of what it selects now, "Run now", and the last runs.
type RetentionPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	Inactive, Deleted, Reasons, Audit, Requests, Assessments *widget.Entry
	Save                                                     *widget.Button
	Approval                                                 *widget.Label
	Approve                                                  *widget.Button
	Preview                                                  *widget.Button
	RunNow                                                   *widget.Button
	Report                                                   *widget.Label
	Runs                                                     *widget.Label
	Result                                                   *ui.Message
	Error                                                    *ui.Message

	policy *store.RetentionPolicy
}

func buildRetention(a *App) (fyne.CanvasObject, func()) {
	p := &RetentionPane{a: a, Approval: ui.WrapLabel(), Report: ui.WrapLabel(), Runs: ui.WrapLabel(),
		Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	for _, e := range []**widget.Entry{&p.Inactive, &p.Deleted, &p.Reasons, &p.Audit, &p.Requests, &p.Assessments} {
		*e = widget.NewEntry()
	}
	p.Save = a.button(a.T("Save the policy"), theme.DocumentSaveIcon(), p.save)
	p.Save.Importance = widget.HighImportance
	p.Approve = a.button(a.T("Approve the policy"), theme.ConfirmIcon(), p.approve)
	p.Preview = a.button(a.T("Preview"), theme.SearchIcon(), func() { p.run(true) })
	p.RunNow = a.button(a.T("Run now"), theme.MediaPlayIcon(), func() { p.run(false) })
	owner := a.can(store.OpUsers) // the policy covers every shop: the owner sets it
	if !owner {
		p.Save.Hide()
		for _, e := range []*widget.Entry{p.Inactive, p.Deleted, p.Reasons, p.Audit, p.Requests, p.Assessments} {
			e.Disable()
		}
	}
	form := widget.NewForm(
		widget.NewFormItem(a.T("Anonymise customers inactive for (years, 0 = off)"), p.Inactive),
		widget.NewFormItem(a.T("Erase deleted customers after (days, 0 = off, at least 30)"), p.Deleted),
		widget.NewFormItem(a.T("Expire break-glass reasons after (months, 0 = off)"), p.Reasons),
		widget.NewFormItem(a.T("Report audit entries older than (years; never deleted)"), p.Audit),
		widget.NewFormItem(a.T("Keep the request log (months, at least 24)"), p.Requests),
		widget.NewFormItem(a.T("Keep impact assessments (years, at least 3)"), p.Assessments))
	policy := widget.NewCard(a.T("Policy"), a.T("Set by the owner and approved once by a second person with the grant (another owner, or a shop's manager for their shop), so its runs are not held as bulk deletes. Until then runs only preview."),
		container.NewVBox(form, container.NewHBox(p.Save, p.Approve), p.Approval))
	runs := widget.NewCard(a.T("Runs"), a.T("Spoke runs the policy once a day while an owner or manager is signed in. Audit entries are never deleted: the chain must stay whole."),
		container.NewVBox(container.NewHBox(p.Preview, p.RunNow), p.Result, p.Error, p.Report, ui.Bold(a.T("Last runs")), p.Runs))
	p.content = container.NewVScroll(container.NewVBox(ui.Heading(a.T("Retention")), policy, runs))
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *RetentionPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

type retentionView struct {
	policy *store.RetentionPolicy
	runs   []store.RetentionRunRecord
}

// Reload reads the policy and the last runs again.
func (p *RetentionPane) Reload() {
	a := p.a
	load(a, func(ctx context.Context, ss *store.Session) (retentionView, error) {
		var v retentionView
		var err error
		if v.policy, err = ss.RetentionPolicy(ctx); err != nil {
			return v, err
		}
		v.runs, err = ss.RetentionRuns(ctx, 5)
		return v, err
	}, func(v retentionView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.show(v)
	})
}

func (p *RetentionPane) show(v retentionView) {
	a := p.a
	p.policy = v.policy
	shown := store.DefaultRetention
	if v.policy != nil {
		shown = *v.policy
	}
	for _, f := range []struct {
		e *widget.Entry
		v int
	}{{p.Inactive, shown.InactiveYears}, {p.Deleted, shown.DeletedDays}, {p.Reasons, shown.ReasonMonths}, {p.Audit, shown.AuditYears},
		{p.Requests, shown.RequestLogMonths}, {p.Assessments, shown.AssessmentYears}} {
		f.e.SetText(strconv.Itoa(f.v))
	}
	p.Approval.SetText(p.approvalText(v.policy))
	if v.policy == nil || !v.policy.Waiting() || v.policy.SetBy == a.user.ID {
		p.Approve.Disable()
	} else {
		p.Approve.Enable()
	}
	var lines []string
	for _, r := range v.runs {
		out := a.T("ok")
		if r.Outcome != "ok" {
			out = a.T("FAILED")
		}
		lines = append(lines, minute(r.At)+"  "+out+"  "+r.Detail)
	}
	if len(lines) == 0 {
		lines = append(lines, a.T("No runs yet."))
	}
	p.Runs.SetText(strings.Join(lines, "\n"))
}

func (p *RetentionPane) approvalText(pol *store.RetentionPolicy) string {
	a := p.a
	switch {
	case pol == nil:
		return a.T("No policy is set yet: the values above are the suggested ones. Nothing is deleted until the owner saves a policy.")
	case pol.ApprovedBy != "":
		return a.T("Approved by a second owner on %s: in force in every shop.", minute(pol.ApprovedAt))
	case !pol.NeedsOwner && len(pol.NeedsShops) == 0:
		return a.T("In force since %s: nobody else held the grant when it was set, so no second approval is needed.", minute(pol.SetAt))
	}
	var lines []string
	if pol.NeedsOwner {
		lines = append(lines, a.T("Break-glass reasons: waiting for another owner's approval."))
	}
	for _, s := range a.shops {
		switch {
		case pol.ShopApprovals[s.ID] != "":
			lines = append(lines, a.T("%s: approved by its manager.", s.Name))
		case pol.ApprovedFor(s.ID):
			lines = append(lines, a.T("%s: in force.", s.Name))
		default:
			lines = append(lines, a.T("%s: waiting for approval by its manager or another owner (runs only preview there).", s.Name))
		}
	}
	return strings.Join(lines, "\n")
}

func (p *RetentionPane) save() {
	a := p.a
	p.Error.SetText("")
	p.Result.SetText("")
	var pol store.RetentionPolicy
	for _, f := range []struct {
		e   *widget.Entry
		dst *int
	}{{p.Inactive, &pol.InactiveYears}, {p.Deleted, &pol.DeletedDays}, {p.Reasons, &pol.ReasonMonths}, {p.Audit, &pol.AuditYears},
		{p.Requests, &pol.RequestLogMonths}, {p.Assessments, &pol.AssessmentYears}} {
		n, err := strconv.Atoi(strings.TrimSpace(f.e.Text))
		if err != nil {
			p.Error.SetText(a.T("Each value is a whole number."))
			return
		}
		*f.dst = n
	}
	load(a, func(ctx context.Context, ss *store.Session) (string, error) { return ss.SetRetentionPolicy(ctx, pol) }, func(_ string, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Policy saved."))
		p.Reload()
	})
}

func (p *RetentionPane) approve() {
	a := p.a
	p.Error.SetText("")
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.ApproveRetention(ctx) }, func(err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Policy approved."))
		p.Reload()
	})
}

// run previews (dry) or runs the policy now.
func (p *RetentionPane) run(dry bool) {
	a := p.a
	p.Error.SetText("")
	p.Result.SetText("")
	type answer struct {
		r   *store.RetentionReport
		err error
	}
	load(a, func(ctx context.Context, ss *store.Session) (answer, error) {
		var r *store.RetentionReport
		var err error
		if dry {
			r, err = ss.RetentionPreview(ctx)
		} else {
			r, err = ss.RunRetention(ctx, store.RetentionRun{})
		}
		return answer{r, err}, nil
	}, func(ans answer, _ error) {
		var failed *store.ErasureFailed
		switch {
		case errors.As(ans.err, &failed):
			p.Error.SetText(a.T("%d customer(s) due under the policy were NOT erased: %s", failed.Customers, a.errText(failed.Err)))
		case ans.err != nil:
			p.Error.SetText(a.errText(ans.err))
			return
		case dry:
			p.Result.SetText(a.T("Preview: nothing was changed."))
		default:
			p.Result.SetText(a.T("Run done."))
		}
		p.Report.SetText(p.reportText(ans.r))
		p.Reload()
	})
}

// reportText says, rule by rule, what the policy selects or did.
func (p *RetentionPane) reportText(r *store.RetentionReport) string {
	a := p.a
	if r == nil || r.Policy == nil {
		return a.T("No policy is set.")
	}
	pol := r.Policy
	var lines []string
	for _, s := range r.Shops {
		state := ""
		switch {
		case !s.Approved:
			state = a.T("waiting for approval: preview only")
		case !s.Here:
			state = a.T("a device of that shop runs it")
		}
		if pol.InactiveYears > 0 {
			lines = append(lines, a.T("%s: %d customer(s) inactive for %d years", a.shopName(s.ShopID), s.Inactive, pol.InactiveYears)+suffix(state))
		}
		if pol.DeletedDays > 0 {
			lines = append(lines, a.T("%s: %d customer(s) deleted more than %d days ago", a.shopName(s.ShopID), s.Deleted, pol.DeletedDays)+suffix(state))
		}
		if ids := append(append([]string(nil), s.InactiveIDs...), s.DeletedIDs...); len(ids) > 0 {
			lines = append(lines, "  "+strings.Join(ids, " "))
		}
	}
	if pol.ReasonMonths > 0 {
		l := a.T("%d break-glass reason(s) older than %d months", r.Reasons, pol.ReasonMonths)
		if r.ReasonsHeld {
			l += suffix(a.T("waiting for another owner's approval"))
		} else if !r.DryRun {
			l += suffix(a.T("%d expired", r.ReasonsExpired))
		}
		lines = append(lines, l)
		if r.LegacyReasons > 0 {
			lines = append(lines, a.T("%d older reason(s) sealed before reasons had keys of their own cannot expire", r.LegacyReasons))
		}
	}
	if pol.AuditYears > 0 {
		lines = append(lines, a.T("%d audit entries older than %d years: reported only, never deleted", r.AuditOld+r.AuditCopiesOld, pol.AuditYears))
	}
	lines = append(lines, a.T("%d assessment(s) older than %d years may be deleted", r.AssessmentsOld, pol.AssessmentYears))
	return strings.Join(lines, "\n")
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (%s)", s)
}
