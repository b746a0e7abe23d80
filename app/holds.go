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
	"spoke/compliance/docfile"
	"spoke/compliance/subject"
	"spoke/store"
)

// The bulk customer export (Export… on the customers list) and the held requests pane of the
// Administration desk: a bulk export or deletion over the org's limits waits there for a
// second person with the grant (Approve / Refuse), and who asked runs it (Run… / Cancel).

const paneHolds = "holds"

func init() {
	registerAdminPane(adminPane{order: 40, name: paneHolds, label: "Held requests", may: mayHolds, build: buildHolds})
	registerNoticeCheck(checkHoldsNotice)
}

// mayHolds: the owner and a shop's manager (the bulk grant).
func mayHolds(a *App) bool { return a.can(store.OpBulk) }

// HoldsPane lists the held requests the user asked or may approve.
type HoldsPane struct {
	widget.BaseWidget
	a       *App
	content fyne.CanvasObject

	List    *widget.List
	Summary *widget.Label
	Approve *widget.Button
	Refuse  *widget.Button
	Run     *widget.Button
	Cancel  *widget.Button
	Result  *ui.Message
	Error   *ui.Message
	// Prompt is the save prompt of an export being run; Shown its passphrase (age).
	Prompt *SavePrompt
	Shown  *PassphraseView

	Holds    []store.BulkHold
	selected int
}

var holdWeights = []float32{0.8, 0.6, 1, 1, 1, 1.4, 1, 1}

func buildHolds(a *App) (fyne.CanvasObject, func()) {
	p := &HoldsPane{a: a, Summary: ui.WrapLabel(), Result: a.newMsgLabel(widget.SuccessImportance), Error: a.errorLabel(), selected: -1}
	spec := ui.RowSpec{Weights: holdWeights, Labels: 8, BoldFirst: true}
	p.List = ui.NewList(func() int { return len(p.Holds) }, spec, func(i widget.ListItemID, r ui.Row) {
		h := p.Holds[i]
		r.SetTexts(a.holdKind(h.Kind), fmt.Sprint(h.Count), a.shopName(h.ShopID), h.Requester, a.stamp(h.AskedAt), a.holdStatus(h),
			a.stamp(h.ExpiresAt), strings.Join(h.Approvers, ", "))
	})
	p.List.OnSelected = func(i widget.ListItemID) { a.touch(); p.selected = i; p.enable() }
	p.Approve = a.button(a.T("Approve"), theme.ConfirmIcon(), func() { p.decide("approve") })
	p.Approve.Importance = widget.HighImportance
	p.Refuse = a.button(a.T("Refuse"), theme.CancelIcon(), func() { p.decide("refuse") })
	p.Run = a.button(a.T("Run…"), theme.MediaPlayIcon(), p.run)
	p.Cancel = a.button(a.T("Cancel request"), theme.DeleteIcon(), func() { p.decide("cancel") })
	header := ui.Header(holdWeights, a.T("Kind"), a.T("Customers"), a.T("Shop"), a.T("Asked by"), a.T("Asked"), a.T("Status"), a.T("Expires"), a.T("Approvers"))
	intro := ui.WrapLabel()
	intro.SetText(a.T("A bulk export or deletion over the limit waits here for a second person with the grant: an owner, or the shop's manager, never who asked. Who asked runs it on their own device once approved. With nobody else to approve, it can run 24 hours after it was asked unless cancelled."))
	top := container.NewVBox(ui.Heading(a.T("Held requests")), intro, p.Summary, header)
	bottom := container.NewVBox(container.NewHBox(p.Approve, p.Refuse, p.Run, p.Cancel), p.Result, p.Error)
	p.content = container.NewBorder(top, bottom, nil, nil, p.List)
	p.enable()
	p.ExtendBaseWidget(p)
	return p, p.Reload
}

// CreateRenderer draws the pane's content.
func (p *HoldsPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

func (a *App) holdKind(k store.HoldKind) string {
	if k == store.HoldDelete {
		return a.T("delete")
	}
	return a.T("export")
}

func (a *App) stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

func (a *App) holdStatus(h store.BulkHold) string {
	switch h.Status {
	case store.HoldOpen:
		if h.Delayed() {
			return a.T("runs after %s unless cancelled", a.stamp(h.RunnableAt))
		}
		return a.T("waiting for approval")
	case store.HoldApproved:
		return a.T("approved by %s", h.Decider)
	case store.HoldRefused:
		return a.T("refused by %s", h.Decider)
	case store.HoldExpired:
		return a.T("expired")
	case store.HoldCancelled:
		return a.T("cancelled")
	}
	return a.T("done")
}

// current is the selected request (false when none).
func (p *HoldsPane) current() (store.BulkHold, bool) {
	if p.selected < 0 || p.selected >= len(p.Holds) {
		return store.BulkHold{}, false
	}
	return p.Holds[p.selected], true
}

// enable shows the buttons the selected request allows the user.
func (p *HoldsPane) enable() {
	h, ok := p.current()
	for _, b := range []struct {
		btn *widget.Button
		on  bool
	}{{p.Approve, ok && h.MayDecide}, {p.Refuse, ok && h.MayDecide}, {p.Run, ok && h.Runnable}, {p.Cancel, ok && h.MayCancel}} {
		if b.on {
			b.btn.Enable()
		} else {
			b.btn.Disable()
		}
	}
}

// Reload reads the requests again.
func (p *HoldsPane) Reload() {
	a := p.a
	load(a, func(ctx context.Context, ss *store.Session) ([]store.BulkHold, error) { return ss.Holds(ctx) }, func(hs []store.BulkHold, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Holds = hs
		open := 0
		for _, h := range hs {
			if h.Status == store.HoldOpen || h.Status == store.HoldApproved {
				open++
			}
		}
		p.Summary.SetText(a.T("%d request(s), %d open.", len(hs), open))
		if p.selected >= len(hs) {
			p.selected = -1
		}
		p.List.Refresh()
		p.enable()
	})
}

// Select selects a request by id (tests, and the notice).
func (p *HoldsPane) Select(id string) {
	for i, h := range p.Holds {
		if h.ID == id {
			p.List.Select(i)
			p.selected = i
			p.enable()
		}
	}
}

func (p *HoldsPane) after(err error, ok string) {
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

func (p *HoldsPane) decide(what string) {
	a := p.a
	h, ok := p.current()
	if !ok {
		p.Error.SetText(a.T("Choose a request."))
		return
	}
	do(a, func(ctx context.Context, ss *store.Session) error {
		switch what {
		case "approve":
			return ss.ApproveHold(ctx, h.ID)
		case "refuse":
			return ss.RefuseHold(ctx, h.ID)
		}
		return ss.CancelHold(ctx, h.ID)
	}, func(err error) {
		p.after(err, map[string]string{"approve": a.T("Approved; who asked runs it on their device."), "refuse": a.T("Refused; it will not run."),
			"cancel": a.T("Cancelled; it will not run.")}[what])
	})
}

func (p *HoldsPane) run() {
	a := p.a
	h, ok := p.current()
	if !ok {
		return
	}
	if h.Kind == store.HoldDelete {
		do(a, func(ctx context.Context, ss *store.Session) error { _, err := ss.RunHold(ctx, h.ID); return err },
			func(err error) { p.after(err, a.T("Deleted %d customers (recoverable for 30 days).", h.Count)) })
		return
	}
	p.Prompt = a.askSavePath(a.T("Export customers"), exportName(h.Format, a), func(path string, done func(error)) {
		load(a, func(ctx context.Context, ss *store.Session) (*subject.Result, error) {
			res, err := ss.RunHold(ctx, h.ID)
			if err != nil {
				return nil, err
			}
			return writeBulkExport(path, h.Format, res, a)
		}, func(r *subject.Result, err error) {
			done(err)
			p.after(err, a.T("Exported %d customers.", h.Count))
			if err == nil && r.Passphrase != "" {
				p.Shown = a.showPassphrase(r)
			}
		})
	})
}

func exportName(format string, a *App) string {
	ext := ".csv"
	if format == "age" {
		ext = ".zip.age"
	}
	return "customers-" + a.opts.Now().Format("20060102-1504") + ext
}

// writeBulkExport writes an export's CSV to path (never over a file), sealed with age under a
// fresh passphrase for the age format (returned once, in the result).
func writeBulkExport(path, format string, res *store.BulkResult, a *App) (*subject.Result, error) {
	data, pass := res.CSV, ""
	if format == "age" {
		var err error
		if pass, err = subject.NewPassphrase(); err != nil {
			return nil, err
		}
		if data, err = subject.Seal([]subject.File{{Name: "customers.csv", Data: res.CSV}}, pass, a.opts.Now()); err != nil {
			return nil, err
		}
	}
	if err := docfile.WriteNew(path, data, 0o600); err != nil {
		return nil, err
	}
	return &subject.Result{Passphrase: pass, Bytes: len(data), Files: []string{"customers.csv"}, Counts: []store.SubjectCount{{Name: "contact", N: res.Count}}}, nil
}

// checkHoldsNotice shows, to those who may approve, the requests waiting for them, and on
// every owner device the delayed requests that will run unless cancelled.
func checkHoldsNotice(a *App) {
	if !mayHolds(a) {
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]store.BulkHold, error) { return ss.Holds(ctx) }, func(hs []store.BulkHold, err error) {
		if err != nil {
			return
		}
		var lines []string
		waiting := 0
		for _, h := range hs {
			switch {
			case h.Status == store.HoldOpen && h.Delayed() && a.has(store.RoleOwner):
				lines = append(lines, a.T("A bulk %s of %d customers asked by %s runs after %s unless cancelled.", a.holdKind(h.Kind), h.Count, h.Requester, a.stamp(h.RunnableAt)))
			case h.MayDecide:
				waiting++
			}
		}
		if waiting > 0 {
			lines = append(lines, a.T("%d held bulk request(s) wait for your approval.", waiting))
		}
		a.Shell.SetNotice(paneHolds, strings.Join(lines, " "), a.T("Held requests"), func() { a.Shell.ShowAdminPane(paneHolds) })
	})
}

// BulkExportView is the customers list's Export… (owner, manager): which shop, which format,
// where to save; over the limit the request is held and the view says who can approve it.
type BulkExportView struct {
	Button *widget.Button
	Shop   *widget.Select
	Format *widget.RadioGroup
	Next   *widget.Button
	Prompt *SavePrompt
	Shown  *PassphraseView
	// Held is the request made when the export was over the limit.
	Held *store.BulkHold
	d    dialog.Dialog
}

// addBulkExport returns the Export… button for the customers list (nil for other roles).
func (s *CustomersScreen) addBulkExport() *BulkExportView {
	a := s.a
	if !a.can(store.OpBulk) {
		return nil
	}
	v := &BulkExportView{}
	v.Button = a.button(a.T("Export…"), theme.DownloadIcon(), func() { s.askBulkExport(v) })
	return v
}

func (s *CustomersScreen) askBulkExport(v *BulkExportView) {
	a := s.a
	all := a.T("All shops")
	var opts []string
	if a.has(store.RoleOwner) {
		opts = append(opts, all)
	}
	for _, sh := range a.shops {
		if a.has(store.RoleOwner) || sh.ID == a.user.ShopID {
			opts = append(opts, sh.Name)
		}
	}
	v.Shop = widget.NewSelect(opts, nil)
	if len(opts) > 0 {
		v.Shop.SetSelectedIndex(0)
	}
	v.Format = widget.NewRadioGroup([]string{"csv", "age"}, nil)
	v.Format.SetSelected("age")
	v.Held = nil
	note := ui.WrapLabel()
	note.SetText(a.T("CSV with contact details, bikes and consents. age: the CSV in a zip encrypted under a passphrase shown once. Over the limit the export waits for a second approver."))
	v.Next = a.button(a.T("Choose file…"), theme.DocumentSaveIcon(), func() {
		v.d.Hide()
		var f store.ExportFilter
		for _, sh := range a.shops {
			if sh.Name == v.Shop.Selected {
				f.ShopID = sh.ID
			}
		}
		format := v.Format.Selected
		v.Prompt = a.askSavePath(a.T("Export customers"), exportName(format, a), func(path string, done func(error)) {
			var held *store.BulkHold
			load(a, func(ctx context.Context, ss *store.Session) (*subject.Result, error) {
				res, err := ss.ExportCustomers(ctx, f, format)
				if err != nil {
					return nil, err
				}
				if res.Held != nil {
					held = res.Held
					return nil, nil
				}
				return writeBulkExport(path, format, res, a)
			}, func(r *subject.Result, err error) {
				done(err)
				if err != nil {
					return
				}
				if held != nil {
					v.Held = held
					who := strings.Join(held.Approvers, ", ")
					msg := a.T("The export of %d customers is over the limit and waits for approval by: %s. Run it from Administration, Held requests, once approved.", held.Count, who)
					if held.Delayed() {
						msg = a.T("The export of %d customers is over the limit. Nobody else can approve it: it can run after %s unless cancelled (Administration, Held requests).", held.Count, a.stamp(held.RunnableAt))
					}
					dialog.ShowInformation(a.T("Held for approval"), msg, a.W)
					a.checkNotices()
					return
				}
				if r.Passphrase != "" {
					v.Shown = a.showPassphrase(r)
				}
			})
		})
	})
	v.Next.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem(a.T("Shop"), v.Shop), widget.NewFormItem(a.T("Format"), v.Format))
	box := container.NewVBox(form, note, container.NewHBox(layoutSpacer(), v.Next))
	v.d = dialog.NewCustom(a.T("Export customers"), a.T("Cancel"), container.NewGridWrap(fyne.NewSize(520, box.MinSize().Height+20), box), a.W)
	v.d.Show()
}

// ReauthPrompt asks for the signed-in user's password again before a sensitive action whose
// sign-in is too old (store.ErrReauthRequired); right, the action is tried again.
type ReauthPrompt struct {
	Password *widget.Entry
	OK       *widget.Button
	Cancel   *widget.Button
	Error    *ui.Message
	d        dialog.Dialog
}

// askReauth shows the prompt; retry runs after a right password, giveUp when cancelled.
func (a *App) askReauth(retry, giveUp func()) {
	p := &ReauthPrompt{Password: widget.NewPasswordEntry(), Error: a.errorLabel()}
	a.Reauth = p
	submit := func() {
		pw := p.Password.Text
		p.OK.Disable()
		do(a, func(ctx context.Context, ss *store.Session) error { return ss.Reauthenticate(ctx, pw) }, func(err error) {
			p.OK.Enable()
			p.Password.SetText("")
			if err != nil {
				p.Error.SetText(a.errText(err))
				if errors.Is(err, store.ErrLockedOut) {
					p.d.Hide()
					giveUp()
				}
				return
			}
			p.d.Hide()
			a.Reauth = nil
			retry()
		})
	}
	p.Password.OnSubmitted = func(string) { submit() }
	p.OK = a.button(a.T("Confirm"), theme.ConfirmIcon(), submit)
	p.OK.Importance = widget.HighImportance
	p.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), func() { p.d.Hide(); a.Reauth = nil; giveUp() })
	msg := ui.WrapLabel()
	msg.SetText(a.T("This action needs your password again: type it to confirm it is you."))
	box := container.NewVBox(msg, widget.NewForm(widget.NewFormItem(a.T("Password"), p.Password)), p.Error, container.NewHBox(layoutSpacer(), p.Cancel, p.OK))
	p.d = dialog.NewCustomWithoutButtons(a.T("Confirm it is you"), container.NewGridWrap(fyne.NewSize(460, box.MinSize().Height), box), a.W)
	p.d.Show()
	a.W.Canvas().Focus(p.Password)
}

// BulkDeleteView is the customers list's Delete shown… (owner, manager): the customers the
// search shows, deleted in one step, or held for a second approver over the limit.
type BulkDeleteView struct {
	Button  *widget.Button
	Confirm *dialog.ConfirmDialog
	// Held is the request when the deletion was over the limit; Deleted how many went at once.
	Held    *store.BulkHold
	Deleted int
}

// addBulkDelete returns the Delete shown… button for the customers list (nil for other roles).
func (s *CustomersScreen) addBulkDelete() *BulkDeleteView {
	a := s.a
	if !a.can(store.OpBulk) {
		return nil
	}
	v := &BulkDeleteView{}
	v.Button = a.button(a.T("Delete shown…"), theme.DeleteIcon(), func() { s.askBulkDelete(v) })
	return v
}

func (s *CustomersScreen) askBulkDelete(v *BulkDeleteView) {
	a := s.a
	ids := make([]string, 0, len(s.results))
	for _, r := range s.results {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		dialog.ShowInformation(a.T("Delete customers"), a.T("Search first: the customers shown are the ones deleted."), a.W)
		return
	}
	v.Held, v.Deleted = nil, 0
	v.Confirm = ui.Confirm(a.W, a.T("Delete the %d customers shown?", len(ids)),
		a.T("They are deleted on every device at its next sync. Over the limit the deletion waits for a second approver (Administration, Held requests)."),
		a.T("Delete"), widget.DangerImportance, func() {
			load(a, func(ctx context.Context, ss *store.Session) (*store.BulkResult, error) {
				return ss.DeleteCustomers(ctx, ids)
			},
				func(res *store.BulkResult, err error) {
					if err != nil {
						dialog.ShowError(errors.New(a.errText(err)), a.W)
						return
					}
					if res.Held != nil {
						v.Held = res.Held
						dialog.ShowInformation(a.T("Held for approval"), a.T("Deleting %d customers is over the limit and waits for approval by: %s.", res.Held.Count, strings.Join(res.Held.Approvers, ", ")), a.W)
						a.checkNotices()
						return
					}
					v.Deleted = res.Deleted
					s.runSearch()
				})
		})
}
