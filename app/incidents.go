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

func init() {
	registerPrivacyPane(privacyPane{order: 40, name: "incidents", label: "Incidents",
		may: func(a *App) bool { return a.can(store.OpDevices) }, build: buildIncidents})
	registerPrivacyPane(privacyPane{order: 45, name: "assessments", label: "Assessments",
		may: func(a *App) bool { return a.can(store.OpDataSubject) }, build: buildAssessments})
}

// The labels of the breach register's codes (English keys, translated where shown).
var (
	incidentKindLabels = map[string]string{store.IncidentDeviceLost: "Device lost", store.IncidentDeviceStolen: "Device stolen", store.IncidentOther: "Other"}
	decisionLabels     = map[string]string{store.DecisionUndecided: "Undecided", store.DecisionNotifyAuthority: "Notify the authority",
		store.DecisionNotifyAuthorityAll: "Notify the authority and the people concerned", store.DecisionNoNotification: "No notification"}
	decisionReasonLabels = map[string]string{store.ReasonUnlikelyRiskEncrypted: "Risk unlikely: the data was encrypted",
		store.ReasonRiskToRights: "A risk to people's rights and freedoms", store.ReasonOther: "Another reason (documented)"}
	protectionLabels = map[string]string{store.ProtectSealed: "sealed under per-customer keys", store.ProtectMasterKey: "master key in a keychain or under a passphrase",
		store.ProtectHub: "hub access revoked"}
)

func (a *App) codeLabel(m map[string]string, code string) string {
	if l, ok := m[code]; ok {
		return a.T(l)
	}
	return code
}

func (a *App) protectionText(codes []string) string {
	var parts []string
	for _, c := range codes {
		if v, ok := strings.CutPrefix(c, "scope_keys_rotated_to_v"); ok {
			parts = append(parts, a.T("keys rotated to version %s", v))
			continue
		}
		parts = append(parts, a.codeLabel(protectionLabels, c))
	}
	return strings.Join(parts, "; ")
}

// clockText is an incident's 72-hour clock: time left, overdue, or how it was decided.
func (a *App) clockText(i store.Incident, now time.Time) string {
	switch {
	case !i.Open() && i.DecidedLate():
		return a.T("decided late")
	case !i.Open():
		return a.T("decided in time")
	case i.Overdue(now):
		return a.T("OVERDUE by %s", hoursMinutes(-i.TimeLeft(now)))
	}
	return a.T("%s left", hoursMinutes(i.TimeLeft(now)))
}

func hoursMinutes(d time.Duration) string {
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// IncidentsPane is the breach register (owner): every incident with its 72-hour clock, and the
// form that records the decision to notify or not.
type IncidentsPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	Summary  *widget.Label
	List     *widget.List
	Selected *widget.Label
	Detail   *widget.Label
	Decision *widget.Select
	Reason   *widget.Select
	Decide   *widget.Button
	// ConfirmDecide asks before recording: a decision closes the incident for good.
	ConfirmDecide *dialog.ConfirmDialog
	Result        *ui.Message
	Error         *ui.Message

	incidents []store.Incident
	selected  string
}

var incidentWeights = []float32{1.2, 1.2, 0.8, 1.3, 1.3, 1.3, 1.8}

func buildIncidents(a *App) (fyne.CanvasObject, func()) {
	p := &IncidentsPane{a: a, Summary: ui.WrapLabel(), Selected: ui.Bold(""), Detail: ui.WrapLabel(),
		Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	spec := ui.RowSpec{Weights: incidentWeights, Labels: 7, BoldFirst: true}
	p.List = ui.NewList(func() int { return len(p.incidents) }, spec, func(i widget.ListItemID, r ui.Row) {
		inc := p.incidents[i]
		dev := inc.DeviceID
		if dev == "" {
			dev = "-"
		}
		r.SetTexts(a.codeLabel(incidentKindLabels, inc.Kind), shortID(dev), fmt.Sprint(inc.Total()), minute(inc.DiscoveredAt),
			minute(inc.NotifyDueAt), a.clockText(inc, a.opts.Now()), a.codeLabel(decisionLabels, inc.Decision))
		if inc.Overdue(a.opts.Now()) {
			r.Label(5).Importance = widget.DangerImportance
		} else {
			r.Label(5).Importance = widget.MediumImportance
		}
		r.Label(5).Refresh()
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.Select(p.incidents[i].ID) }
	var decisions, reasons []string
	for _, d := range store.IncidentDecisions {
		decisions = append(decisions, a.codeLabel(decisionLabels, d))
	}
	for _, r := range store.IncidentReasons {
		reasons = append(reasons, a.codeLabel(decisionReasonLabels, r))
	}
	p.Decision = widget.NewSelect(decisions, nil)
	p.Reason = widget.NewSelect(reasons, nil)
	p.Decide = a.button(a.T("Record the decision"), theme.ConfirmIcon(), p.askDecide)
	p.Decide.Importance = widget.HighImportance
	p.Decide.Disable()
	header := ui.Header(incidentWeights, a.T("Kind"), a.T("Device"), a.T("Customers"), a.T("Discovered"), a.T("Notify by"), a.T("72-hour clock"), a.T("Decision"))
	form := widget.NewCard(a.T("Decision"), a.T("GDPR Art. 33: tell the supervisory authority within 72 hours of discovery, unless the breach is unlikely to put people at risk; record the decision either way."),
		container.NewVBox(p.Selected, p.Detail, widget.NewForm(widget.NewFormItem(a.T("Decision"), p.Decision), widget.NewFormItem(a.T("Reason"), p.Reason)),
			container.NewHBox(p.Decide), p.Result, p.Error))
	top := container.NewVBox(ui.Heading(a.T("Incidents")), ui.Note(a.T("Revoking a device as lost or stolen (Sync screen) opens an incident here: how many customers of each shop were on it (counts only), what protected them, and the 72-hour clock.")), p.Summary, header)
	p.content = container.NewBorder(top, form, nil, nil, p.List)
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *IncidentsPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// Reload reads the register again. (Not Refresh: Fyne calls that to redraw.)
func (p *IncidentsPane) Reload() {
	a := p.a
	if p.content == nil {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Incident, error) { return ss.Incidents(ctx) }, func(incs []store.Incident, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.incidents = incs
		open, overdue := 0, 0
		for _, i := range incs {
			if i.Open() {
				open++
			}
			if i.Overdue(a.opts.Now()) {
				overdue++
			}
		}
		switch {
		case len(incs) == 0:
			p.Summary.SetText(a.T("No incidents recorded."))
		case overdue > 0:
			p.Summary.SetText(a.T("%d incident(s), %d open, %d OVERDUE: decide now.", len(incs), open, overdue))
		default:
			p.Summary.SetText(a.T("%d incident(s), %d open.", len(incs), open))
		}
		p.List.Refresh()
		p.Select(p.selected)
	})
}

// Select shows one incident in the decision form.
func (p *IncidentsPane) Select(id string) {
	a := p.a
	p.selected = ""
	p.Decide.Disable()
	for _, inc := range p.incidents {
		if inc.ID != id {
			continue
		}
		p.selected = id
		p.Selected.SetText(a.T("%s, device %s: %s", a.codeLabel(incidentKindLabels, inc.Kind), shortID(inc.DeviceID), a.clockText(inc, a.opts.Now())))
		var shops []string
		for shop, n := range inc.Customers {
			shops = append(shops, a.T("%s: %d customer(s)", a.shopName(shop), n))
		}
		slices.Sort(shops)
		detail := a.T("Discovered %s; notify by %s.", minute(inc.DiscoveredAt), minute(inc.NotifyDueAt)) + "\n" + strings.Join(shops, "\n") +
			"\n" + a.T("Protected: %s", a.protectionText(inc.Protection))
		if !inc.Open() {
			detail += "\n" + a.T("Decided %s: %s (%s).", minute(inc.DecidedAt), a.codeLabel(decisionLabels, inc.Decision), a.codeLabel(decisionReasonLabels, inc.Reason))
		} else {
			p.Decide.Enable()
		}
		p.Detail.SetText(detail)
		return
	}
	p.Selected.SetText(a.T("Choose an incident in the list."))
	p.Detail.SetText("")
}

func (p *IncidentsPane) askDecide() {
	a := p.a
	if p.selected == "" {
		return
	}
	di, ri := p.Decision.SelectedIndex(), p.Reason.SelectedIndex()
	if di < 0 || ri < 0 {
		p.Error.SetText(a.T("Choose a decision and its reason."))
		return
	}
	id, decision, reason := p.selected, store.IncidentDecisions[di], store.IncidentReasons[ri]
	p.ConfirmDecide = ui.Confirm(a.W, a.T("Record this decision?"),
		a.T("%s, because: %s.\nThe decision closes the incident and cannot be changed.", a.codeLabel(decisionLabels, decision), a.codeLabel(decisionReasonLabels, reason)),
		a.T("Record the decision"), widget.HighImportance, func() { p.decide(id, decision, reason) })
}

func (p *IncidentsPane) decide(id, decision, reason string) {
	a := p.a
	p.Error.SetText("")
	do(a, func(ctx context.Context, ss *store.Session) error {
		return ss.DecideIncident(ctx, id, decision, reason)
	}, func(err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Decision recorded; the incident is closed."))
		p.Reload()
	})
}

// shopName is a shop's name, or its id when it is not one of the shops loaded at sign-in.
func (a *App) shopName(id string) string {
	for _, s := range a.shops {
		if s.ID == id {
			return s.Name
		}
	}
	return id
}

// The labels of an assessment's codes.
var (
	topicLabels = map[string]string{"sensitive_data": "Sensitive personal information", "cross_border_transfer": "Transfer outside the country",
		"automated_decision": "Automated decision-making", "entrusting_processing": "Entrusting processing to another party", "other": "Other"}
	outcomeLabels = map[string]string{"proceed": "Proceed", "proceed_with_measures": "Proceed with measures", "do_not_proceed": "Do not proceed"}
	measureLabels = map[string]string{"separate_consent": "Separate consent", "encryption": "Encryption", "access_restricted": "Access restricted",
		"data_minimisation": "Data minimisation", "local_storage": "Stored in the country", "recipient_contract": "Contract with the recipient",
		"standard_contract_filed": "Standard contract filed", "staff_training": "Staff training", "other": "Other"}
)

// AssessmentsPane records PIPL personal-information impact assessments (Art. 55/56) and lists
// them with their review dates: the owner for any shop or every shop, a manager for their own.
type AssessmentsPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	List     *widget.List
	Topic    *widget.Select
	Shop     *widget.Select
	Outcome  *widget.Select
	Measures *widget.CheckGroup
	Add      *widget.Button
	Result   *ui.Message
	Error    *ui.Message

	list    []store.Assessment
	shopIDs []string // parallel to Shop's options ("" = every shop)
}

var assessmentWeights = []float32{1.6, 1.2, 1, 1.3, 2, 1}

func buildAssessments(a *App) (fyne.CanvasObject, func()) {
	p := &AssessmentsPane{a: a, Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel()}
	p.List = ui.NewList(func() int { return len(p.list) }, ui.RowSpec{Weights: assessmentWeights, Labels: 6, BoldFirst: true}, func(i widget.ListItemID, r ui.Row) {
		x := p.list[i]
		shop := a.T("All shops")
		if x.ShopID != "" {
			shop = a.shopName(x.ShopID)
		}
		var ms []string
		for _, m := range x.Measures {
			ms = append(ms, a.codeLabel(measureLabels, m))
		}
		r.SetTexts(a.codeLabel(topicLabels, x.Topic), shop, day(x.AssessedAt), a.codeLabel(outcomeLabels, x.Outcome), strings.Join(ms, ", "), day(x.ReviewDue))
	})
	var topics, outcomes, measures []string
	for _, t := range store.AssessmentTopics {
		topics = append(topics, a.codeLabel(topicLabels, t))
	}
	for _, o := range store.AssessmentOutcomes {
		outcomes = append(outcomes, a.codeLabel(outcomeLabels, o))
	}
	for _, m := range store.AssessmentMeasures {
		measures = append(measures, a.codeLabel(measureLabels, m))
	}
	var shops []string
	if a.has(store.RoleOwner) {
		shops, p.shopIDs = append(shops, a.T("All shops")), append(p.shopIDs, "")
		for _, s := range a.shops {
			shops, p.shopIDs = append(shops, s.Name), append(p.shopIDs, s.ID)
		}
	} else if a.user.ShopID != "" {
		shops, p.shopIDs = append(shops, a.shopName(a.user.ShopID)), append(p.shopIDs, a.user.ShopID)
	}
	p.Topic, p.Outcome, p.Shop = widget.NewSelect(topics, nil), widget.NewSelect(outcomes, nil), widget.NewSelect(shops, nil)
	if len(shops) > 0 {
		p.Shop.SetSelectedIndex(0)
	}
	p.Measures = widget.NewCheckGroup(measures, nil)
	p.Measures.Horizontal = true
	p.Add = a.button(a.T("Record the assessment"), theme.ContentAddIcon(), p.add)
	p.Add.Importance = widget.HighImportance
	form := widget.NewCard(a.T("New assessment"), a.T("PIPL Art. 55/56: assess before processing sensitive data, transferring abroad, deciding automatically or entrusting processing; keep the record at least 3 years."),
		container.NewVBox(widget.NewForm(widget.NewFormItem(a.T("Topic"), p.Topic), widget.NewFormItem(a.T("Shop"), p.Shop),
			widget.NewFormItem(a.T("Outcome"), p.Outcome), widget.NewFormItem(a.T("Measures"), p.Measures)), container.NewHBox(p.Add), p.Result, p.Error))
	header := ui.Header(assessmentWeights, a.T("Topic"), a.T("Shop"), a.T("Assessed"), a.T("Outcome"), a.T("Measures"), a.T("Review due"))
	p.content = container.NewBorder(container.NewVBox(ui.Heading(a.T("Impact assessments")), header), form, nil, nil, p.List)
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *AssessmentsPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

// Reload reads the list again.
func (p *AssessmentsPane) Reload() {
	a := p.a
	if p.content == nil {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Assessment, error) { return ss.Assessments(ctx) }, func(l []store.Assessment, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.list = l
		p.List.Refresh()
	})
}

func (p *AssessmentsPane) add() {
	a := p.a
	p.Error.SetText("")
	p.Result.SetText("")
	ti, oi, si := p.Topic.SelectedIndex(), p.Outcome.SelectedIndex(), p.Shop.SelectedIndex()
	if ti < 0 || oi < 0 || si < 0 {
		p.Error.SetText(a.T("Choose a topic, a shop and an outcome."))
		return
	}
	in := store.AssessmentInput{Topic: store.AssessmentTopics[ti], Outcome: store.AssessmentOutcomes[oi], ShopID: p.shopIDs[si]}
	for i, m := range store.AssessmentMeasures {
		if slices.Contains(p.Measures.Selected, a.codeLabel(measureLabels, store.AssessmentMeasures[i])) {
			in.Measures = append(in.Measures, m)
		}
	}
	load(a, func(ctx context.Context, ss *store.Session) (string, error) { return ss.AddAssessment(ctx, in) }, func(_ string, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Result.SetText(a.T("Assessment recorded; review due in 3 years."))
		p.Measures.SetSelected(nil)
		p.Reload()
	})
}
