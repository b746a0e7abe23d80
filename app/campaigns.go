package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// The Campaigns screen (issue 14). Marketing (and an owner, or a manager for their shop)
// builds an audience from business attributes and sees only counts (under 5: "<5"), creates
// a campaign, and follows each shop's send as counts. The shop side (the owner, or the shop's
// manager, on the shop's device) lists the campaigns waiting for their shop and resolves the
// recipients on this device: their number, never a name on this screen.

const tabCampaigns = "campaigns"

// CampaignsScreen is the campaigns area.
type CampaignsScreen struct {
	a    *App
	root fyne.CanvasObject

	// The audience builder.
	Shops          *widget.CheckGroup
	Types          *widget.CheckGroup
	Makes          *widget.Entry // comma-separated
	BoughtFrom     *widget.Entry
	BoughtTo       *widget.Entry
	ServicedAfter  *widget.Entry
	ServicedBefore *widget.Entry
	SpendMin       *widget.Entry
	SpendMax       *widget.Entry
	Currency       *widget.Select
	Purpose        *widget.Select
	CountBtn       *widget.Button
	Counts         *widget.Label
	Counted        *store.AudienceCounts

	// The campaign.
	Name      *widget.Entry
	SubjectEN *widget.Entry
	BodyEN    *widget.Entry
	SubjectZH *widget.Entry
	BodyZH    *widget.Entry
	Create    *widget.Button

	// The list, with per-shop counts; the shop side's buttons.
	List       *widget.List
	Campaigns  []store.Campaign
	selected   int
	Recipients *widget.Button
	Send       *widget.Button
	Detail     *widget.Label
	Result     *ui.Message
	Error      *ui.Message // the builder's and composer's
	ListError  *ui.Message // the list's and the shop side's

	counting latest
	left     *fyne.Container // the builder and composer, laid out again when the counts change
	shopIDs  []string        // the Shops check group's options, in order
}

func (a *App) mayCampaigns() bool { return a.can(store.OpCampaigns) }

// maySendCampaigns: the owner or a shop's manager (they resolve recipients on their shop's device).
func (a *App) maySendCampaigns() bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) && a.user.ShopID != ""
}

var campaignWeights = []float32{1.2, 1.4, 1.4}

func newCampaignsScreen(a *App) *CampaignsScreen {
	s := &CampaignsScreen{a: a, Counts: widget.NewLabel(""), Detail: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel(), ListError: a.errorLabel(), selected: -1}
	var names []string
	for _, sh := range a.shops {
		if a.user.ShopID != "" && !a.has(store.RoleOwner) && !a.has(store.RoleMarketing) && sh.ID != a.user.ShopID {
			continue
		}
		names = append(names, sh.Name)
		s.shopIDs = append(s.shopIDs, sh.ID)
	}
	live := func(_ []string) { s.Count() }
	s.Shops = widget.NewCheckGroup(names, live)
	s.Shops.Horizontal = true
	s.Types = widget.NewCheckGroup(store.BikeTypes, live)
	s.Types.Horizontal = true
	entry := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(ph)
		e.OnSubmitted = func(string) { s.Count() }
		return e
	}
	s.Makes = entry(a.T("Makes, comma-separated (e.g. Trek, Giant)"))
	s.BoughtFrom, s.BoughtTo = entry("YYYY-MM-DD"), entry("YYYY-MM-DD")
	s.ServicedAfter, s.ServicedBefore = entry("YYYY-MM-DD"), entry("YYYY-MM-DD")
	s.SpendMin, s.SpendMax = entry("0.00"), entry("0.00")
	var curs []string
	for _, sh := range a.shops {
		if !containsStr(curs, sh.Currency) {
			curs = append(curs, sh.Currency)
		}
	}
	s.Currency = widget.NewSelect(curs, func(string) { s.Count() })
	if len(curs) > 0 {
		s.Currency.Selected = curs[0]
	}
	var purposes []string
	for _, p := range store.CampaignPurposes {
		purposes = append(purposes, a.purposeLabel(p))
	}
	s.Purpose = widget.NewSelect(purposes, func(string) { s.Count() })
	s.Purpose.Selected = purposes[0]
	s.CountBtn = a.button(a.T("Count"), theme.SearchIcon(), s.Count)
	s.CountBtn.Importance = widget.HighImportance

	s.Name = widget.NewEntry()
	s.SubjectEN, s.SubjectZH = widget.NewEntry(), widget.NewEntry()
	s.BodyEN, s.BodyZH = widget.NewMultiLineEntry(), widget.NewMultiLineEntry()
	s.BodyEN.SetMinRowsVisible(3)
	s.BodyZH.SetMinRowsVisible(3)
	s.Create = a.button(a.T("Create campaign"), theme.ContentAddIcon(), s.create)

	s.List = ui.NewList(func() int { return len(s.Campaigns) }, ui.RowSpec{Weights: campaignWeights, Labels: 3, BoldFirst: true}, func(i widget.ListItemID, r ui.Row) {
		c := s.Campaigns[i]
		var aud, sent []string
		for _, sh := range c.Shops {
			aud = append(aud, sh.Shop+" "+a.cellText(sh.Audience))
			if sh.SentAt.IsZero() {
				sent = append(sent, sh.Shop+" –")
			} else {
				sent = append(sent, a.T("%s %s sent, %s skipped", sh.Shop, a.cellText(sh.Sent), a.cellText(sh.Skipped)))
			}
		}
		r.SetTexts(c.Name, strings.Join(aud, ", "), strings.Join(sent, "; "))
	})
	s.List.OnSelected = func(i widget.ListItemID) { a.touch(); s.selected = i; s.showDetail() }
	s.Recipients = a.button(a.T("Resolve recipients"), theme.AccountIcon(), s.recipients)
	s.Send = a.button(a.T("Send"), theme.MailSendIcon(), s.send)
	s.Send.Importance = widget.HighImportance

	form := widget.NewForm(
		widget.NewFormItem(a.T("Shops"), s.Shops),
		widget.NewFormItem(a.T("Bike type"), s.Types),
		widget.NewFormItem(a.T("Make"), s.Makes),
		widget.NewFormItem(a.T("Bought between"), container.NewGridWithColumns(2, s.BoughtFrom, s.BoughtTo)),
		widget.NewFormItem(a.T("Last service on or after / before"), container.NewGridWithColumns(2, s.ServicedAfter, s.ServicedBefore)),
		widget.NewFormItem(a.T("Spend between"), container.NewGridWithColumns(3, s.SpendMin, s.SpendMax, s.Currency)),
		widget.NewFormItem(a.T("Consent"), s.Purpose),
	)
	intro := ui.WrapLabel()
	intro.SetText(a.T("Choose an audience by shop, bike, purchase, last service and spend: only counts are shown, and groups under %d are hidden. An audience fewer than %d customers apart from one you built in the last 90 days shows that one's counts, so no difference points at a person. A spend band is in one currency and selects only shops keeping it. Opens and clicks are never tracked.", store.MinCell, store.MinCell))
	builder := container.NewVBox(ui.Heading(a.T("Audience")), intro, form, container.NewHBox(s.CountBtn), s.Counts)
	compose := widget.NewForm(
		widget.NewFormItem(a.T("Campaign name"), s.Name),
		widget.NewFormItem(a.T("Subject (English)"), s.SubjectEN),
		widget.NewFormItem(a.T("Body (English)"), s.BodyEN),
		widget.NewFormItem(a.T("Subject (Chinese)"), s.SubjectZH),
		widget.NewFormItem(a.T("Body (Chinese)"), s.BodyZH),
	)
	placeholders := ui.WrapLabel()
	placeholders.SetText(a.T("Plain text. Placeholders: %s (the customer's first name) and %s (the shop's name), filled on the shop's device when it sends.", store.PlaceholderFirstName, store.PlaceholderShop))
	composer := container.NewVBox(ui.Heading(a.T("Campaign")), placeholders, compose, container.NewHBox(s.Create))
	header := ui.Header(campaignWeights, a.T("Campaign name"), a.T("Audience per shop"), a.T("Sent per shop"))
	buttons := container.NewHBox()
	if a.maySendCampaigns() {
		buttons.Add(s.Recipients)
		buttons.Add(s.Send)
	}
	listPane := container.NewBorder(container.NewVBox(ui.Heading(a.T("Campaigns")), header), container.NewVBox(s.Detail, buttons, s.Result, s.ListError), nil, nil, s.List)
	s.left = container.NewVBox(builder, s.Error, widget.NewSeparator(), composer)
	split := container.NewHSplit(container.NewScroll(s.left), listPane)
	split.Offset = 0.6
	s.root = split
	s.enable()
	return s
}

func containsStr(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// cellText shows a count, suppressed ones as "<5".
func (a *App) cellText(n int64) string {
	if n < 0 {
		return fmt.Sprintf("<%d", store.MinCell)
	}
	return fmt.Sprint(n)
}

// spec reads the builder into a spec (amounts in major units, two decimals).
func (s *CampaignsScreen) spec() (store.AudienceSpec, error) {
	sp := store.AudienceSpec{Purpose: store.CampaignPurposes[0]}
	for i, p := range store.CampaignPurposes {
		if s.a.purposeLabel(p) == s.Purpose.Selected {
			sp.Purpose = store.CampaignPurposes[i]
		}
	}
	for i, name := range s.Shops.Options {
		if containsStr(s.Shops.Selected, name) {
			sp.Shops = append(sp.Shops, s.shopIDs[i])
		}
	}
	sp.BikeTypes = append(sp.BikeTypes, s.Types.Selected...)
	for _, m := range strings.Split(s.Makes.Text, ",") {
		if m = strings.TrimSpace(m); m != "" {
			sp.Makes = append(sp.Makes, m)
		}
	}
	sp.BoughtFrom, sp.BoughtTo = s.BoughtFrom.Text, s.BoughtTo.Text
	sp.ServicedAfter, sp.ServicedBefore = s.ServicedAfter.Text, s.ServicedBefore.Text
	var err error
	if sp.SpendMin, err = parseMoney(s.SpendMin.Text); err != nil && strings.TrimSpace(s.SpendMin.Text) != "" {
		return sp, &store.FieldError{Field: "spend_min", Reason: "an amount like 500 or 499.50"}
	}
	if sp.SpendMax, err = parseMoney(s.SpendMax.Text); err != nil && strings.TrimSpace(s.SpendMax.Text) != "" {
		return sp, &store.FieldError{Field: "spend_max", Reason: "an amount like 500 or 499.50"}
	}
	if sp.SpendMin > 0 || sp.SpendMax > 0 {
		sp.SpendCurrency = s.Currency.Selected
	}
	return sp, nil
}

// Count counts the audience as built (off the UI goroutine; a newer count drops an older one).
func (s *CampaignsScreen) Count() {
	a := s.a
	sp, err := s.spec()
	if err != nil {
		s.Error.SetText(a.errText(err))
		return
	}
	loadLatest(a, &s.counting, func(ctx context.Context, ss *store.Session) (*store.AudienceCounts, error) {
		return ss.AudienceCount(ctx, sp)
	},
		func(c *store.AudienceCounts, err error) {
			s.Counted = nil
			if err != nil {
				s.Counts.SetText("")
				s.Error.SetText(s.countErr(err))
				s.left.Refresh()
				return
			}
			s.Error.SetText("")
			s.Counted = c
			var lines []string
			for _, sh := range c.Shops {
				lines = append(lines, sh.Shop+": "+a.cellText(sh.Count))
			}
			lines = append(lines, a.T("Total: %s", a.cellText(c.Total)))
			if c.Approximate {
				lines = append(lines, a.T("Fewer than %d customers apart from an audience you built on %s: these are its counts.", store.MinCell, a.stamp(c.Since)))
			}
			s.Counts.SetText(strings.Join(lines, "\n"))
			s.left.Refresh()
		})
}

func (s *CampaignsScreen) countErr(err error) string {
	if errors.Is(err, store.ErrAudienceTooClose) {
		return s.a.T("This audience is fewer than 5 customers apart from a combination of audiences you built in the last 90 days: widen it, or use an earlier one.")
	}
	return s.a.errText(err)
}

func (s *CampaignsScreen) create() {
	a := s.a
	sp, err := s.spec()
	if err != nil {
		s.Error.SetText(a.errText(err))
		return
	}
	in := store.CampaignInput{Name: s.Name.Text, Spec: sp, SubjectEN: s.SubjectEN.Text, BodyEN: s.BodyEN.Text, SubjectZH: s.SubjectZH.Text, BodyZH: s.BodyZH.Text}
	load(a, func(ctx context.Context, ss *store.Session) (string, error) { return ss.CreateCampaign(ctx, in) }, func(_ string, err error) {
		if err != nil {
			s.Result.SetText("")
			s.Error.SetText(s.countErr(err))
			return
		}
		s.Error.SetText("")
		s.Result.SetText(a.T("Campaign created: it reaches each shop with the next sync, and each shop sends to its own consented customers."))
		s.Refresh()
	})
}

// Refresh reloads the campaigns.
func (s *CampaignsScreen) Refresh() {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) ([]store.Campaign, error) { return ss.Campaigns(ctx) }, func(cs []store.Campaign, err error) {
		if err != nil {
			s.ListError.SetText(a.errText(err))
			return
		}
		s.Campaigns = cs
		if s.selected >= len(cs) {
			s.selected = -1
		}
		s.List.Refresh()
		s.showDetail()
	})
}

// Select selects a campaign by id (tests).
func (s *CampaignsScreen) Select(id string) {
	for i, c := range s.Campaigns {
		if c.ID == id {
			s.List.Select(i)
			s.selected = i
			s.showDetail()
		}
	}
}

func (s *CampaignsScreen) current() (store.Campaign, bool) {
	if s.selected < 0 || s.selected >= len(s.Campaigns) {
		return store.Campaign{}, false
	}
	return s.Campaigns[s.selected], true
}

// myShopRow is the selected campaign's row of the user's shop not sent yet (manager), or the
// first such row (owner).
func (s *CampaignsScreen) myShopRow(c store.Campaign) (store.CampaignShop, bool) {
	for _, sh := range c.Shops {
		if sh.Status == store.CampaignActive && sh.SentAt.IsZero() && (s.a.user.ShopID == "" || sh.ShopID == s.a.user.ShopID) {
			return sh, true
		}
	}
	return store.CampaignShop{}, false
}

func (s *CampaignsScreen) showDetail() {
	a := s.a
	c, ok := s.current()
	if !ok {
		s.Detail.SetText("")
	} else {
		subj, _ := c.Template(string(a.lang))
		s.Detail.SetText(a.T("%s · %s by %s · created %s by %s · subject: %s", c.Name, a.purposeLabel(c.Purpose), a.channelLabel(c.Channel), a.stamp(c.CreatedAt), c.Creator, subj))
	}
	s.enable()
}

func (s *CampaignsScreen) enable() {
	c, ok := s.current()
	_, mine := s.myShopRow(c)
	if ok && mine && s.a.maySendCampaigns() {
		s.Recipients.Enable()
	} else {
		s.Recipients.Disable()
	}
	if ok && mine && s.a.maySendCampaigns() && c.Channel == store.ChannelEmail {
		s.Send.Enable()
	} else {
		s.Send.Disable()
	}
}

// recipients resolves the selected campaign's recipients for the user's shop on this device
// and shows how many there are (the ids stay in the store's answer, not on screen).
func (s *CampaignsScreen) recipients() {
	a := s.a
	c, ok := s.current()
	row, mine := s.myShopRow(c)
	if !ok || !mine {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]string, error) {
		return ss.CampaignRecipientsFor(ctx, c.ID, row.ShopID)
	},
		func(ids []string, err error) {
			if err != nil {
				s.Result.SetText("")
				s.ListError.SetText(a.errText(err))
				return
			}
			s.ListError.SetText("")
			s.Result.SetText(a.T("%d customers of %s have a current consent and match now.", len(ids), row.Shop))
		})
}

// send e-mails the campaign to the user's shop's consented members through the shop's mail
// server (the addresses are opened in the store on this device, never shown) and records the
// counts.
func (s *CampaignsScreen) send() {
	a := s.a
	c, ok := s.current()
	row, mine := s.myShopRow(c)
	if !ok || !mine {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) (*store.SendReport, error) {
		return ss.SendCampaign(ctx, c.ID, row.ShopID, a.mailer())
	}, func(rep *store.SendReport, err error) {
		if err != nil {
			s.Result.SetText("")
			s.ListError.SetText(a.errText(err))
			return
		}
		s.ListError.SetText("")
		s.Result.SetText(a.T("Sent %d, skipped %d.", rep.Sent, rep.NoConsent+rep.NoAddress+rep.Failed))
		s.Refresh()
	})
}
