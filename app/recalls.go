package app

import (
	"context"
	"io"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// The Recalls pane of the Administration desk (owner, managers): enter a brand recall (make,
// models, model years and/or a list of frame serials), see the affected bikes with their
// owners and the progress, and record a notice (sent under the legal obligation).

const paneRecalls = "recalls"

func init() {
	registerAdminPane(adminPane{order: 50, name: paneRecalls, label: "Recalls", may: mayRecalls, build: buildRecalls})
}

// mayRecalls: the owner and a shop's manager (the data-subject grant).
func mayRecalls(a *App) bool { return a.can(store.OpDataSubject) }

// RecallsPane lists the recalls, the selected one's affected bikes, and enters new ones.
type RecallsPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	// The new recall's form.
	Make, Models, Years, Reference, Title, Issued *widget.Entry
	Serials                                       *widget.Entry // pasted, one a line
	Shop                                          *widget.Select
	FromFile                                      *widget.Button
	Create                                        *widget.Button
	fileSerials                                   []string // read from a file: replaces the pasted list

	List     *widget.List
	Progress *widget.Label
	Matches  *widget.List
	Channel  *widget.Select
	Outcome  *widget.Select
	Record   *widget.Button
	// SendEmail e-mails the notice to every affected customer not reached yet.
	SendEmail *widget.Button
	Result    *ui.Message
	Error     *ui.Message

	Recalls      []store.Recall
	Found        []store.RecallMatch
	selected     int
	selMatch     int
	shopChoices  map[string]string // label -> shop id ("" every shop)
	channelCodes map[string]store.NoticeChannel
	outcomeCodes map[string]store.NoticeOutcome
}

var recallWeights = []float32{0.8, 0.8, 0.8, 1, 0.6, 0.5, 0.8, 1.6}
var matchWeights = []float32{0.8, 0.8, 0.9, 0.4, 0.6, 1.1, 1.4, 0.9, 1.2}

func buildRecalls(a *App) (fyne.CanvasObject, func()) {
	p := &RecallsPane{a: a, Progress: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel(), selected: -1, selMatch: -1,
		Make: widget.NewEntry(), Models: widget.NewEntry(), Years: widget.NewEntry(), Reference: widget.NewEntry(), Title: widget.NewEntry(), Issued: widget.NewEntry(),
		Serials: widget.NewMultiLineEntry(), shopChoices: map[string]string{}, channelCodes: map[string]store.NoticeChannel{}, outcomeCodes: map[string]store.NoticeOutcome{}}
	p.Models.SetPlaceHolder(a.T("models, separated by commas (empty: any model)"))
	p.Years.SetPlaceHolder("2021-2023")
	p.Issued.SetPlaceHolder("YYYY-MM-DD")
	p.Issued.SetText(a.opts.Now().Format("2006-01-02"))
	p.Serials.SetPlaceHolder(a.T("frame serials, one a line (optional)"))
	p.Serials.SetMinRowsVisible(3)
	var shops []string
	if a.user.ShopID == "" {
		l := a.T("Every shop")
		shops = append(shops, l)
		p.shopChoices[l] = ""
	}
	for _, s := range a.shops {
		if a.user.ShopID == "" || s.ID == a.user.ShopID {
			shops = append(shops, s.Name)
			p.shopChoices[s.Name] = s.ID
		}
	}
	p.Shop = widget.NewSelect(shops, nil)
	if len(shops) > 0 {
		p.Shop.SetSelectedIndex(0)
	}
	p.FromFile = a.button(a.T("Serials from a file…"), theme.FolderOpenIcon(), p.chooseFile)
	p.Create = a.button(a.T("Enter recall"), theme.ContentAddIcon(), p.create)
	p.Create.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(a.T("Make"), p.Make), widget.NewFormItem(a.T("Models"), p.Models), widget.NewFormItem(a.T("Model years"), p.Years),
		widget.NewFormItem(a.T("Reference"), p.Reference), widget.NewFormItem(a.T("Title"), p.Title), widget.NewFormItem(a.T("Issued"), p.Issued),
		widget.NewFormItem(a.T("Shops"), p.Shop), widget.NewFormItem(a.T("Frame serials"), p.Serials), widget.NewFormItem("", container.NewHBox(p.FromFile, p.Create)))

	p.List = ui.NewList(func() int { return len(p.Recalls) }, ui.RowSpec{Weights: recallWeights, Labels: 8, BoldFirst: true}, func(i widget.ListItemID, r ui.Row) {
		x := p.Recalls[i]
		r.SetTexts(x.IssuedOn, x.Reference, x.Make, dashText(strings.Join(x.Models, ", ")), recallYears(x), strconv.Itoa(x.Serials), p.scopeText(x.Scope), x.Title)
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.selected = i; p.selMatch = -1; p.loadMatches() }
	p.Matches = ui.NewList(func() int { return len(p.Found) }, ui.RowSpec{Weights: matchWeights, Labels: 9, BoldFirst: true}, func(i widget.ListItemID, r ui.Row) {
		m := p.Found[i]
		year := "–"
		if m.Year != 0 {
			year = strconv.Itoa(m.Year)
		}
		r.SetTexts(a.shopName(m.ShopID), m.Make, dashText(m.Model), year, a.T(matchBy(m.By)), m.Name, dashText(m.Email), dashText(m.Phone), p.lastNotice(m))
	})
	p.Matches.OnSelected = func(i widget.ListItemID) { a.touch(); p.selMatch = i; p.enable() }
	var chs, outs []string
	for _, c := range []struct {
		code  store.NoticeChannel
		label string
	}{{store.NoticeEmail, "e-mail"}, {store.NoticePhone, "phone"}, {store.NoticePost, "post"}, {store.NoticeInPerson, "in person"}} {
		l := a.T(c.label)
		chs = append(chs, l)
		p.channelCodes[l] = c.code
	}
	for _, o := range []struct {
		code  store.NoticeOutcome
		label string
	}{{store.NoticeReached, "reached"}, {store.NoticeUnreachable, "unreachable"}, {store.NoticeDeclined, "declined the repair"}} {
		l := a.T(o.label)
		outs = append(outs, l)
		p.outcomeCodes[l] = o.code
	}
	p.Channel = widget.NewSelect(chs, func(string) { p.enable() })
	p.Outcome = widget.NewSelect(outs, func(string) { p.enable() })
	p.Record = a.button(a.T("Record notice"), theme.ConfirmIcon(), p.record)
	p.SendEmail = a.button(a.T("E-mail the notice to those not reached"), theme.MailSendIcon(), p.sendEmail)

	intro := ui.WrapLabel()
	intro.SetText(a.T("A brand recall finds the affected bikes by make, model and model year, and by frame serial through each shop's blind index (the serial list is never kept in clear). A recall notice is sent under the legal obligation, not marketing consent: record who was reached, how and when."))
	recalls := container.NewBorder(ui.Header(recallWeights, a.T("Issued"), a.T("Reference"), a.T("Make"), a.T("Models"), a.T("Years"), a.T("Serials"), a.T("Shops"), a.T("Title")), nil, nil, nil, p.List)
	matches := container.NewBorder(container.NewVBox(p.Progress, ui.Header(matchWeights, a.T("Shop"), a.T("Make"), a.T("Model"), a.T("Year"), a.T("Found by"), a.T("Customer"), a.T("E-mail"), a.T("Phone"), a.T("Last notice"))),
		container.NewHBox(widget.NewLabel(a.T("Notice")), p.Channel, p.Outcome, p.Record, p.SendEmail), nil, nil, p.Matches)
	split := container.NewVSplit(recalls, matches)
	top := container.NewVBox(ui.Heading(a.T("Recalls")), intro, widget.NewAccordion(widget.NewAccordionItem(a.T("Enter a recall"), form)))
	p.content = container.NewBorder(top, container.NewVBox(p.Result, p.Error), nil, nil, split)
	p.enable()
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *RecallsPane) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}

func dashText(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func recallYears(r store.Recall) string {
	switch {
	case r.YearFrom == 0 && r.YearTo == 0:
		return "–"
	case r.YearFrom == r.YearTo:
		return strconv.Itoa(r.YearFrom)
	case r.YearTo == 0:
		return strconv.Itoa(r.YearFrom) + "–"
	case r.YearFrom == 0:
		return "–" + strconv.Itoa(r.YearTo)
	}
	return strconv.Itoa(r.YearFrom) + "–" + strconv.Itoa(r.YearTo)
}

func matchBy(by string) string {
	switch by {
	case "serial":
		return "serial"
	case "serial+model":
		return "serial and model"
	}
	return "model"
}

func (p *RecallsPane) scopeText(scope string) string {
	if scope == store.OrgScope {
		return p.a.T("Every shop")
	}
	return p.a.shopName(scope)
}

func (p *RecallsPane) lastNotice(m store.RecallMatch) string {
	a := p.a
	if m.Outcome == "" {
		return a.T("not yet")
	}
	for l, c := range p.outcomeCodes {
		if c == m.Outcome {
			return l + ", " + m.NoticedAt.Local().Format("2006-01-02")
		}
	}
	return string(m.Outcome)
}

func (p *RecallsPane) enable() {
	if p.selected >= 0 && p.selected < len(p.Recalls) {
		p.SendEmail.Enable()
	} else {
		p.SendEmail.Disable()
	}
	if p.selMatch >= 0 && p.selMatch < len(p.Found) && p.Channel.Selected != "" && p.Outcome.Selected != "" {
		p.Record.Enable()
	} else {
		p.Record.Disable()
	}
}

// Reload reads the recalls again.
func (p *RecallsPane) Reload() {
	a := p.a
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Recall, error) { return ss.Recalls(ctx) }, func(rs []store.Recall, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Recalls = rs
		if p.selected >= len(rs) {
			p.selected = -1
		}
		p.List.Refresh()
		p.loadMatches()
	})
}

// Select selects a recall by id (tests).
func (p *RecallsPane) Select(id string) {
	for i, r := range p.Recalls {
		if r.ID == id {
			p.List.Select(i)
		}
	}
}

type recallView struct {
	progress store.RecallProgress
	matches  []store.RecallMatch
}

func (p *RecallsPane) loadMatches() {
	a := p.a
	if p.selected < 0 || p.selected >= len(p.Recalls) {
		p.Found = nil
		p.Progress.SetText(a.T("Choose a recall to see the affected bikes."))
		p.Matches.Refresh()
		p.enable()
		return
	}
	id := p.Recalls[p.selected].ID
	load(a, func(ctx context.Context, ss *store.Session) (recallView, error) {
		_, pr, err := ss.RecallProgress(ctx, id)
		if err != nil {
			return recallView{}, err
		}
		ms, err := ss.RecallMatches(ctx, id)
		return recallView{pr, ms}, err
	}, func(v recallView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Found = v.matches
		pr := v.progress
		p.Progress.SetText(a.T("Affected %d · reached %d · declined %d · unreachable %d · outstanding %d", pr.Affected, pr.Reached, pr.Declined, pr.Unreachable, pr.Outstanding))
		if p.selMatch >= len(p.Found) {
			p.selMatch = -1
		}
		p.Matches.Refresh()
		p.enable()
	})
}

// SelectMatch selects an affected bike (tests).
func (p *RecallsPane) SelectMatch(bikeID string) {
	for i, m := range p.Found {
		if m.BikeID == bikeID {
			p.Matches.Select(i)
		}
	}
}

func (p *RecallsPane) chooseFile() {
	a := p.a
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		load(a, func(context.Context, *store.Session) ([]string, error) {
			defer r.Close()
			return store.ParseSerialList(io.LimitReader(r, 64<<20))
		}, func(serials []string, err error) {
			if err != nil {
				p.Error.SetText(a.errText(err))
				return
			}
			p.SetFileSerials(serials)
		})
	}, a.W)
}

// SetFileSerials takes a serial list read from a file in place of the pasted one.
func (p *RecallsPane) SetFileSerials(serials []string) {
	p.fileSerials = serials
	p.Serials.SetText("")
	p.Serials.Disable()
	p.Error.SetText("")
	p.Result.SetText(p.a.T("%d frame serials read from the file.", len(serials)))
}

func (p *RecallsPane) create() {
	a := p.a
	in := store.RecallInput{ShopID: p.shopChoices[p.Shop.Selected], Make: p.Make.Text, Reference: p.Reference.Text, Title: p.Title.Text, IssuedOn: strings.TrimSpace(p.Issued.Text)}
	for _, m := range strings.Split(p.Models.Text, ",") {
		if m = strings.TrimSpace(m); m != "" {
			in.Models = append(in.Models, m)
		}
	}
	if y := strings.TrimSpace(p.Years.Text); y != "" {
		from, to, ranged := strings.Cut(y, "-")
		var err1, err2 error
		in.YearFrom, err1 = atoiOrZero(from)
		in.YearTo, err2 = atoiOrZero(to)
		if !ranged {
			in.YearTo = in.YearFrom
		}
		if err1 != nil || err2 != nil {
			p.Error.SetText(a.T("Write model years as 2021-2023 or 2022."))
			return
		}
	}
	pasted := p.Serials.Text
	file := p.fileSerials
	do(a, func(ctx context.Context, ss *store.Session) error {
		in.Serials = file
		if file == nil && strings.TrimSpace(pasted) != "" {
			var err error
			if in.Serials, err = store.ParseSerialList(strings.NewReader(pasted)); err != nil {
				return err
			}
		}
		_, err := ss.CreateRecall(ctx, in)
		return err
	}, func(err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText("")
		p.Result.SetText(a.T("Recall entered with %d frame serials.", len(in.Serials)))
		for _, e := range []*widget.Entry{p.Make, p.Models, p.Years, p.Reference, p.Title, p.Serials} {
			e.SetText("")
		}
		p.fileSerials = nil
		p.Serials.Enable()
		p.Reload()
	})
}

func atoiOrZero(s string) (int, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

func (p *RecallsPane) record() {
	a := p.a
	if p.selected < 0 || p.selMatch < 0 || p.selMatch >= len(p.Found) {
		p.Error.SetText(a.T("Choose an affected bike."))
		return
	}
	in := store.RecallNoticeInput{RecallID: p.Recalls[p.selected].ID, BikeID: p.Found[p.selMatch].BikeID,
		Channel: p.channelCodes[p.Channel.Selected], Outcome: p.outcomeCodes[p.Outcome.Selected]}
	do(a, func(ctx context.Context, ss *store.Session) error {
		_, err := ss.RecordRecallNotice(ctx, in)
		return err
	}, func(err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText("")
		p.Result.SetText(a.T("Notice recorded (lawful basis: legal obligation)."))
		p.loadMatches()
	})
}

// sendEmail e-mails the selected recall's notice to the affected customers not reached yet,
// through each shop's mail server, and records each bike's notice.
func (p *RecallsPane) sendEmail() {
	a := p.a
	if p.selected < 0 || p.selected >= len(p.Recalls) {
		return
	}
	id := p.Recalls[p.selected].ID
	load(a, func(ctx context.Context, ss *store.Session) (*store.SendReport, error) {
		return ss.SendRecallNotices(ctx, id, a.mailer())
	}, func(rep *store.SendReport, err error) {
		if err != nil {
			p.Result.SetText("")
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText(strings.Join(rep.Errors, "; "))
		p.Result.SetText(a.T("Sent %d recall notice(s) by e-mail; %d without an e-mail address, %d not sent. Call or write to the rest and record it.", rep.Sent, rep.NoAddress, rep.Failed))
		p.loadMatches()
	})
}
