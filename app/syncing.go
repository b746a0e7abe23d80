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
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/engine"
	"spoke/sync/hubclient"
)

// syncInterval is how often the background loop syncs when nothing was written.
const syncInterval = time.Minute

// SyncScreen shows this device's place in the chain's sync: connected or not, the hub, the
// last round, what is waiting, and a "Sync now" button; for the owner the enrolled devices
// (add one with a one-time code, revoke one) and a check of every device's audit chain against
// the hub; for owners and managers the values that lost a merge, with a way to restore them.
type SyncScreen struct {
	a    *App
	root fyne.CanvasObject

	State     *widget.Label
	Hub       *widget.Label
	Role      *widget.Label
	LastSync  *widget.Label
	Pending   *widget.Label
	Refused   *widget.Label
	LastError *widget.Label
	// DeviceList says whether an owner device has confirmed the device list lately, or what
	// was wrong with what the hub relayed; Waiting lists change-sets held back (a gap, an
	// unconfirmed sender, a clock ahead).
	DeviceList *widget.Label
	Waiting    *widget.Label
	SyncNow    *widget.Button
	Busy       *widget.ProgressBarInfinite
	Result     *ui.Message
	Error      *ui.Message

	// Not connected: enrol with a one-time code.
	connectBox *fyne.Container
	statusBox  *fyne.Container
	Code       *widget.Entry
	Connect    *widget.Button

	// Owner: devices.
	Devices       *widget.List
	DevicesNote   *widget.Label
	AddFor        *widget.Select
	AddDevice     *widget.Button
	NewCode       *widget.Label // the one-time code, selectable
	CopyCode      *widget.Button
	codeBox       *fyne.Container
	ConfirmRevoke *dialog.ConfirmDialog
	// RevokeAs, in the Revoke dialog: was the device lost or stolen? Then the revocation also
	// opens an incident in the breach register (Privacy, Incidents) with its 72-hour clock.
	RevokeAs   *widget.RadioGroup
	devices    []engine.DeviceEntry
	devicesMsg string
	addFor     map[string]string

	// Audit chains against the hub's checkpoints.
	Verify     *widget.Button
	VerifyBusy *widget.ProgressBarInfinite
	Anchors    *ui.Message

	// Owner and manager: conflicts.
	Conflicts     *widget.List
	ConflictsNote *widget.Label
	conflicts     []store.Conflict

	state          store.SyncState
	pendingChanges int
	pendingSets    int
	held           []store.HeldSummary
}

func newSyncScreen(a *App) *SyncScreen {
	s := &SyncScreen{a: a, Error: a.errorLabel(), addFor: map[string]string{}}
	for _, l := range []**widget.Label{&s.State, &s.Hub, &s.Role, &s.LastSync, &s.Pending, &s.Refused, &s.LastError, &s.DeviceList, &s.Waiting} {
		*l = widget.NewLabel("")
		(*l).Wrapping = fyne.TextWrapWord
	}
	s.State.TextStyle.Bold = true
	s.SyncNow = a.button(a.T("Sync now"), theme.ViewRefreshIcon(), s.syncNow)
	s.SyncNow.Importance = widget.HighImportance
	s.Busy = ui.NewBusy()
	s.Result = a.newMsgLabel(widget.MediumImportance)
	s.statusBox = container.NewVBox(widget.NewForm(
		widget.NewFormItem(a.T("Hub"), s.Hub),
		widget.NewFormItem(a.T("This device"), s.Role),
		widget.NewFormItem(a.T("Last sync"), s.LastSync),
		widget.NewFormItem(a.T("Waiting to sync"), s.Pending),
		widget.NewFormItem(a.T("Refused"), s.Refused),
		widget.NewFormItem(a.T("Last error"), s.LastError),
		widget.NewFormItem(a.T("Device list"), s.DeviceList),
		widget.NewFormItem(a.T("Held back"), s.Waiting)),
		container.NewHBox(s.SyncNow), s.Busy, s.Result)

	help := widget.NewLabel(a.T("This computer is not connected to a hub, so its data stays here. To connect it, get a one-time code (from 'spoke-hub init' or from the owner's Sync screen) and paste it below, or run: spoke connect --code CODE"))
	help.Wrapping = fyne.TextWrapWord
	s.Code = widget.NewEntry()
	s.Code.SetPlaceHolder("spoke1_…")
	s.Connect = a.button(a.T("Connect"), theme.LoginIcon(), s.connect)
	s.Connect.Importance = widget.HighImportance
	s.connectBox = container.NewVBox(help)
	if a.has(store.RoleOwner) {
		s.connectBox.Add(container.NewBorder(nil, nil, nil, s.Connect, s.Code))
	} else {
		s.Connect.Hide()
		s.connectBox.Add(widget.NewLabel(a.T("Ask the owner to connect this computer.")))
	}
	s.statusBox.Hide() // showState shows it once the state says connected
	left := container.NewVBox(ui.Heading(a.T("Sync")), s.State, s.Error, s.statusBox, s.connectBox)

	s.Anchors = a.newMsgLabel(widget.MediumImportance)
	s.Verify = a.button(a.T("Verify audit chains"), theme.ConfirmIcon(), s.verify)
	s.VerifyBusy = ui.NewBusy()
	what := a.T("Compares this device's audit trail with the signed checkpoints it left at the hub, so a trail cut short or rewritten here shows.")
	if a.has(store.RoleOwner) {
		what = a.T("Compares every device's audit trail, as copied here by sync, with the signed checkpoints that device left at the hub, so a trail cut short or rewritten on any device shows.")
	}
	verify := widget.NewCard(a.T("Audit chains"), "", container.NewVBox(ui.Note(what), container.NewHBox(s.Verify), s.VerifyBusy, s.Anchors))
	left.Add(verify)

	var right []fyne.CanvasObject
	if a.can(store.OpDevices) {
		right = append(right, s.devicesView())
	}
	if a.has(store.RoleOwner) || a.has(store.RoleManager) {
		right = append(right, s.conflictsView())
	}
	var root fyne.CanvasObject = container.NewVScroll(left)
	switch len(right) {
	case 1:
		root = container.NewHSplit(root, right[0])
		root.(*container.Split).Offset = 0.45
	case 2:
		v := container.NewVSplit(right[0], right[1])
		v.Offset = 0.55
		root = container.NewHSplit(root, v)
		root.(*container.Split).Offset = 0.45
	}
	s.root = root
	s.showState()
	return s
}

func (s *SyncScreen) devicesView() fyne.CanvasObject {
	a := s.a
	s.DevicesNote = ui.WrapLabel()
	rows := ui.RowSpec{Weights: deviceWeights, Labels: 4, Extra: func() []fyne.CanvasObject {
		revoke := widget.NewButtonWithIcon(a.T("Revoke"), theme.CancelIcon(), nil)
		revoke.Importance = widget.DangerImportance
		return []fyne.CanvasObject{revoke}
	}}
	s.Devices = ui.NewList(func() int { return len(s.devices) }, rows, func(i widget.ListItemID, row ui.Row) {
		d := s.devices[i]
		row.SetTexts(s.deviceRow(d)...)
		revoke := row.Cell(4).(*widget.Button)
		revoke.OnTapped = func() { a.touch(); s.AskRevoke(d.ID) }
		if d.ID == a.st.DeviceID() || d.Status != "active" {
			revoke.Hide()
		} else {
			revoke.Show()
		}
	})
	owner := a.T("Owner computer (every shop)")
	opts := []string{owner}
	s.addFor[owner] = ""
	for _, sh := range a.shops {
		l := a.T("Counter computer: %s", sh.Name)
		opts = append(opts, l)
		s.addFor[l] = sh.ID
	}
	s.AddFor = widget.NewSelect(opts, func(string) { a.touch() })
	s.AddFor.Selected = owner
	s.AddDevice = a.button(a.T("Add device"), theme.ContentAddIcon(), s.addDevice)
	s.NewCode = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.NewCode.Wrapping = fyne.TextWrapBreak
	s.NewCode.Selectable = true
	s.CopyCode = a.button(a.T("Copy"), theme.ContentCopyIcon(), func() { a.FyneApp.Clipboard().SetContent(s.NewCode.Text) })
	codeHelp := widget.NewLabel(a.T("One-time code: it works once and expires. On the new computer, paste it into Sync, or run: spoke connect --code CODE"))
	codeHelp.Wrapping = fyne.TextWrapWord
	s.codeBox = container.NewVBox(codeHelp, container.NewBorder(nil, nil, nil, s.CopyCode, s.NewCode))
	s.codeBox.Hide()
	head := ui.Header(deviceWeights, a.T("Device"), a.T("Reads"), a.T("Status"), a.T("Last seen"), "")
	top := container.NewVBox(ui.Heading(a.T("Devices")), container.NewBorder(nil, nil, nil, s.AddDevice, s.AddFor), s.codeBox, s.DevicesNote, head)
	return container.NewBorder(top, nil, nil, nil, s.Devices)
}

var deviceWeights = []float32{1.7, 1.2, 0.8, 1, 1}

// shortID shows a device id by its random tail (UUIDv7s of devices enrolled the same day
// share their leading, time-based digits).
func shortID(id string) string {
	if len(id) <= 12 {
		return id
	}
	return "…" + id[len(id)-12:]
}

// deviceRow is one device line: id, what it reads, status, last seen.
func (s *SyncScreen) deviceRow(d engine.DeviceEntry) []string {
	a := s.a
	id := shortID(d.ID)
	if d.ID == a.st.DeviceID() {
		id = a.T("%s (this one)", id)
	}
	reads := a.T("every shop")
	if d.Role != string(protocol.RoleOwner) {
		var names []string
		for _, sc := range d.Scopes {
			if sh, ok := a.shopByID(sc); ok {
				names = append(names, sh.Name)
			} else if sc != store.OrgScope {
				names = append(names, sc)
			}
		}
		reads = strings.Join(names, ", ")
	}
	return []string{id, reads, a.T(deviceStatusLabel(d.Status)), shortTime(d.LastSeen)}
}

func (s *SyncScreen) conflictsView() fyne.CanvasObject {
	a := s.a
	s.ConflictsNote = ui.WrapLabel()
	rows := ui.RowSpec{Weights: conflictWeights, Labels: 3, Extra: func() []fyne.CanvasObject {
		return []fyne.CanvasObject{widget.NewButtonWithIcon(a.T("Restore"), theme.HistoryIcon(), nil)}
	}}
	s.Conflicts = ui.NewList(func() int { return len(s.conflicts) }, rows, func(i widget.ListItemID, row ui.Row) {
		c := s.conflicts[i]
		row.SetTexts(shortTime(time.UnixMilli(c.RecordedAt)), a.T(tableLabel(c.Table))+" · "+a.T(fieldLabel(c.Column)), conflictValue(c))
		row.Cell(3).(*widget.Button).OnTapped = func() { a.touch(); s.RestoreConflict(c.ID) }
	})
	help := widget.NewLabel(a.T("When two computers changed the same field before syncing, the later change wins and the other value is kept here. Restore brings a kept value back (it then wins everywhere)."))
	help.Wrapping = fyne.TextWrapWord
	head := ui.Header(conflictWeights, a.T("Recorded"), a.T("Field"), a.T("Value that lost"), "")
	return container.NewBorder(container.NewVBox(ui.Heading(a.T("Conflicts")), help, s.ConflictsNote, head), nil, nil, nil, s.Conflicts)
}

var conflictWeights = []float32{0.9, 1.3, 2, 0.9}

// Refresh reloads the state, the devices and the conflicts.
func (s *SyncScreen) Refresh() {
	a, st := s.a, s.a.st
	conflicts := s.Conflicts != nil
	// Filled in by the work below, read by the hand-back after it.
	var ch, sets int
	var held []store.HeldSummary
	var cs []store.Conflict
	var cerr error
	load(a, func(ctx context.Context, ss *store.Session) (store.SyncState, error) {
		state, err := st.SyncState(ctx)
		var perr, herr error
		ch, sets, perr = st.PendingChanges(ctx)
		if err == nil {
			err = perr
		}
		held, herr = st.HeldSummaries(ctx)
		if err == nil {
			err = herr
		}
		if conflicts {
			cs, cerr = ss.Conflicts(ctx)
		}
		return state, err
	}, func(state store.SyncState, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.state, s.pendingChanges, s.pendingSets, s.held = state, ch, sets, held
		s.showState()
		if conflicts {
			s.conflicts = cs
			s.Conflicts.Refresh()
			switch {
			case cerr != nil:
				s.ConflictsNote.SetText(a.errText(cerr))
			case len(cs) == 0:
				s.ConflictsNote.SetText(a.T("No conflicts."))
			default:
				s.ConflictsNote.SetText(a.T("%d value(s) lost a merge.", len(cs)))
			}
		}
		if s.Devices != nil && state.Connected() {
			s.refreshDevices()
		}
	})
}

func (s *SyncScreen) refreshDevices() {
	a, hc := s.a, s.a.hc
	if a.ss == nil {
		return
	}
	if hc == nil {
		s.DevicesNote.SetText(s.notRunning())
		return
	}
	load(a, func(ctx context.Context, ss *store.Session) ([]engine.DeviceEntry, error) {
		return engine.Devices(ctx, ss, hc)
	}, func(devs []engine.DeviceEntry, err error) {
		if err != nil {
			s.DevicesNote.SetText(a.T("The hub did not answer: %s", a.errText(err)))
			return
		}
		s.devices = devs
		s.Devices.Refresh()
		note := a.T("%d device(s) enrolled.", len(devs))
		if s.devicesMsg != "" {
			note, s.devicesMsg = s.devicesMsg, ""
		}
		s.DevicesNote.SetText(note)
	})
}

// showState fills the labels from the last state read.
func (s *SyncScreen) showState() {
	a, st := s.a, s.state
	connected := st.Connected()
	wasConnected := s.statusBox.Visible()
	if connected {
		s.State.Importance = widget.SuccessImportance
		s.State.SetText(a.T("Connected: changes sync in the background every minute and soon after each save."))
		if a.eng == nil {
			s.State.Importance = widget.WarningImportance
			s.State.SetText(a.T("Connected, but background sync is not running: %s", s.notRunning()))
		}
		s.statusBox.Show()
		s.connectBox.Hide()
	} else {
		s.State.Importance = widget.WarningImportance
		s.State.SetText(a.T("Not connected to a hub."))
		s.statusBox.Hide()
		s.connectBox.Show()
	}
	s.State.Refresh()
	s.Hub.SetText(st.HubAddr)
	role := a.T("Owner computer: every shop")
	if st.Role == string(protocol.RoleShop) {
		var names []string
		for _, sc := range st.Scopes {
			if sh, ok := a.shopByID(sc); ok {
				names = append(names, sh.Name)
			}
		}
		role = a.T("Counter computer: %s", strings.Join(names, ", "))
	}
	s.Role.SetText(role + " · " + a.st.DeviceID())
	last := a.T("never")
	if !st.LastSync.IsZero() {
		last = minute(st.LastSync)
	}
	s.LastSync.SetText(last)
	s.Pending.SetText(a.T("%d change(s) to seal, %d change-set(s) to push", s.pendingChanges, s.pendingSets))
	s.Refused.SetText(a.T("%d change-set(s) from other devices refused so far", st.Refused))
	s.Refused.Importance = widget.MediumImportance
	if st.Refused > 0 {
		s.Refused.Importance = widget.DangerImportance
	}
	s.Refused.Refresh()
	lastErr := a.T("none")
	s.LastError.Importance = widget.MediumImportance
	if st.LastError != "" {
		lastErr = st.LastError
		s.LastError.Importance = widget.DangerImportance
	}
	s.LastError.SetText(lastErr)
	s.DeviceList.Importance = widget.MediumImportance
	if w := engine.RosterWarning(st, time.Now()); w != "" {
		s.DeviceList.Importance = widget.DangerImportance
		s.DeviceList.SetText(w)
	} else {
		s.DeviceList.SetText(a.T("confirmed by an owner device at %s", minute(st.RosterConfirmed)))
	}
	waiting := a.T("none")
	s.Waiting.Importance = widget.MediumImportance
	if len(s.held) > 0 {
		var lines []string
		for _, h := range s.held {
			lines = append(lines, h.String())
		}
		waiting = strings.Join(lines, "\n")
		s.Waiting.Importance = widget.WarningImportance
	}
	s.Waiting.SetText(waiting)
	for _, b := range []*widget.Button{s.SyncNow, s.Verify} {
		if connected && a.eng != nil {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if s.AddDevice != nil {
		if connected && a.hc != nil {
			s.AddDevice.Enable()
		} else {
			s.AddDevice.Disable()
			s.DevicesNote.SetText(a.T("The computers enrolled with the hub show here once this one is connected."))
		}
	}
	if connected != wasConnected {
		a.relayout()
	}
}

func (s *SyncScreen) notRunning() string {
	if s.a.syncErr != nil {
		return s.a.errText(s.a.syncErr)
	}
	return s.a.T("not connected")
}

// syncNow runs one round off the UI goroutine, then shows what it did.
func (s *SyncScreen) syncNow() {
	a, eng := s.a, s.a.eng
	if eng == nil {
		return
	}
	s.SyncNow.Disable()
	ui.SetBusy(s.Busy, true)
	s.Result.Set(a.T("Syncing…"), widget.MediumImportance)
	load(a, func(ctx context.Context, _ *store.Session) (*engine.Report, error) { return eng.SyncNow(ctx) }, func(r *engine.Report, err error) {
		ui.SetBusy(s.Busy, false)
		s.SyncNow.Enable()
		if err != nil {
			s.Result.SetResult(a.T("The sync failed: %s", a.errText(err)), false)
		} else {
			s.Result.SetResult(a.report(r), r.Refused == 0)
		}
		s.Refresh()
	})
}

// report says what one round did.
func (a *App) report(r *engine.Report) string {
	text := a.T("Pushed %d change-set(s), pulled %d, applied %d field change(s).", r.Pushed, r.Pulled, r.Applied)
	if r.KeysImported > 0 {
		text += " " + a.T("Received %d key(s).", r.KeysImported)
	}
	if r.Conflicts > 0 {
		text += " " + a.T("%d conflict(s) kept for review.", r.Conflicts)
	}
	if r.Refused > 0 {
		text += " " + a.T("REFUSED %d change-set(s): see the audit trail.", r.Refused)
	}
	return text
}

// connect enrols this computer with the hub named in a one-time code (owner), starts the
// background loop and runs the first round.
func (s *SyncScreen) connect() {
	a, ss, ctx, st := s.a, s.a.ss, s.a.sc, s.a.st
	text := strings.TrimSpace(s.Code.Text)
	s.Error.SetText("")
	if text == "" {
		s.Error.SetText(a.T("Paste the one-time code first."))
		return
	}
	s.Connect.Disable()
	ui.SetBusy(s.Busy, true)
	a.async(func() func() {
		code, err := protocol.DecodeEnrollCode(text)
		if err != nil {
			err = errBadCode
		}
		var hc *hubclient.Client
		var eng *engine.Engine
		var r *engine.Report
		var serr error
		if err == nil {
			_, err = engine.Connect(ctx, ss, code) // the owner's: Connect checks and audits
		}
		if err == nil {
			if hc, err = engine.Dial(ctx, st.Replica()); err == nil {
				eng = engine.New(st.Replica(), hc)
				r, serr = eng.SyncNow(ctx)
			}
		}
		return func() {
			if err == nil {
				a.setSync(hc, eng) // connected, whoever is signed in by now
			}
			ui.SetBusy(s.Busy, false)
			s.Connect.Enable()
			if a.ss != ss {
				return
			}
			switch {
			case errors.Is(err, errBadCode):
				s.Error.SetText(a.T("That is not a valid Spoke code: check that it was copied whole."))
				return
			case err != nil:
				s.Error.SetText(a.T("Not connected: %s", a.errText(err)))
				return
			}
			s.Code.SetText("")
			if serr != nil {
				s.Result.SetResult(a.T("Connected, but the first sync failed: %s. It is retried in the background.", a.errText(serr)), false)
			} else {
				s.Result.SetResult(a.T("Connected.")+" "+a.report(r), true)
			}
			s.Refresh()
		}
	})
}

var errBadCode = errors.New("bad code")

// addDevice asks the hub for a one-time code for another computer and shows it.
func (s *SyncScreen) addDevice() {
	a, hc := s.a, s.a.hc
	if hc == nil {
		return
	}
	shopID := s.addFor[s.AddFor.Selected]
	s.AddDevice.Disable()
	s.DevicesNote.SetText(a.T("Asking the hub for a code…"))
	load(a, func(ctx context.Context, ss *store.Session) (string, error) {
		return engine.AddDevice(ctx, ss, hc, shopID)
	}, func(code string, err error) {
		s.AddDevice.Enable()
		if err != nil {
			s.DevicesNote.SetText(a.T("No code: %s", a.errText(err)))
			return
		}
		s.DevicesNote.SetText("")
		s.NewCode.SetText(code)
		s.codeBox.Show()
		a.relayout()
	})
}

// revokeKinds are the Revoke dialog's choices: a plain revocation, or a lost or stolen device
// (an incident).
var revokeKinds = []string{"", store.IncidentDeviceLost, store.IncidentDeviceStolen}

// AskRevoke asks before revoking a device, and whether it was lost or stolen.
func (s *SyncScreen) AskRevoke(id string) {
	a := s.a
	s.RevokeAs = widget.NewRadioGroup([]string{a.T("Revoke only (it is retired, not lost)"), a.T("It was lost"), a.T("It was stolen")}, nil)
	s.RevokeAs.SetSelected(s.RevokeAs.Options[0])
	msg := widget.NewLabel(a.T("The hub will refuse device\n%s\nfrom now on, and the keys of every shop it could read are replaced, so it receives nothing written from now on.\nWhat it already holds stays on it. To join again it needs a new code.", id))
	lost := ui.Note(a.T("Lost or stolen: an incident is opened in the breach register (Privacy, Incidents) with the customers it held and the 72-hour clock to decide whether to notify."))
	s.ConfirmRevoke = dialog.NewCustomConfirm(a.T("Revoke this device?"), a.T("Revoke"), a.T("Cancel"),
		container.NewVBox(msg, ui.Bold(a.T("Lost or stolen?")), s.RevokeAs, lost), func(ok bool) {
			if ok {
				kind := ""
				for i, o := range s.RevokeAs.Options {
					if o == s.RevokeAs.Selected {
						kind = revokeKinds[i]
					}
				}
				s.revoke(id, kind)
			}
		}, a.W)
	s.ConfirmRevoke.SetConfirmImportance(widget.DangerImportance)
	s.ConfirmRevoke.Show()
}

// revoke revokes a device; kind "" is a plain revocation, a lost or stolen one also opens an
// incident (engine.RevokeLost), discovered now.
func (s *SyncScreen) revoke(id, kind string) {
	a, hc, eng := s.a, s.a.hc, s.a.eng
	s.DevicesNote.SetText(a.T("Revoking…"))
	var serr error // the sync after the revocation
	var incident string
	load(a, func(ctx context.Context, ss *store.Session) ([]string, error) {
		if eng != nil {
			// Take in what the device sent before it is revoked (its later sets are refused),
			// so the staff records it signed are signed again here.
			eng.SyncNow(ctx)
		}
		var rotated []string
		var err error
		if kind != "" {
			rotated, incident, err = engine.RevokeLost(ctx, ss, hc, id, kind, time.Time{})
		} else {
			rotated, err = engine.RevokeDevice(ctx, ss, hc, id)
		}
		if (err == nil || kind != "" && rotated != nil) && eng != nil {
			// The new keys reach the remaining devices with the next round.
			_, serr = eng.SyncNow(ctx)
		}
		return rotated, err
	}, func(rotated []string, err error) {
		if err != nil && (kind == "" || rotated == nil) { // RevokeLost: rotated, the device is revoked
			s.DevicesNote.SetText(a.T("Not revoked: %s", a.errText(err)))
			return
		}
		msg := a.T("Revoked; the keys of %d scope(s) were replaced for the remaining devices.", len(rotated))
		if incident != "" {
			msg += " " + a.T("An incident is open: decide within 72 hours whether to notify (Privacy, Incidents).")
		} else if err != nil {
			msg += " " + a.T("The incident could not be recorded: %s", a.errText(err))
		}
		if serr != nil {
			msg += " " + a.T("The sync afterwards failed: %s", a.errText(serr))
		}
		s.DevicesNote.SetText(msg)
		s.devicesMsg = msg // the device list reloads below; the message stays
		s.Refresh()
	})
}

// verify syncs, then compares audit chains with the hub's signed checkpoints.
func (s *SyncScreen) verify() {
	a, st, hc, eng := s.a, s.a.st, s.a.hc, s.a.eng
	if hc == nil {
		return
	}
	all := a.can(store.OpDevices)
	s.Verify.Disable()
	ui.SetBusy(s.VerifyBusy, true)
	s.Anchors.Set(a.T("Verifying…"), widget.MediumImportance)
	load(a, func(ctx context.Context, ss *store.Session) ([]engine.Anchor, error) {
		if eng != nil {
			eng.SyncNow(ctx) // compare with the newest copies; a failure leaves what is here
		}
		if all {
			return engine.VerifyAnchors(ctx, ss, hc) // every device's: checks the owner's grant
		}
		return engine.VerifyOwnAnchor(ctx, st.Replica(), hc)
	}, func(anchors []engine.Anchor, err error) {
		ui.SetBusy(s.VerifyBusy, false)
		s.Verify.Enable()
		if err != nil {
			s.Anchors.SetResult(a.errText(err), false)
			return
		}
		ok := true
		var lines []string
		for _, an := range anchors {
			dev := shortID(an.Device)
			if an.Device == st.DeviceID() {
				dev = a.T("%s (this one)", dev)
			}
			lines = append(lines, fmt.Sprintf("%s → %s", dev, a.T(anchorLabel(an.Status))))
			ok = ok && an.OK()
		}
		head := a.T("All audit chains match their checkpoints at the hub.")
		if !ok {
			head = a.T("TAMPERED: an audit chain does not match its checkpoint at the hub.")
		}
		s.Anchors.SetResult(head+"\n"+strings.Join(lines, "\n"), ok)
	})
}

// RestoreConflict brings a losing value back as a new local write.
func (s *SyncScreen) RestoreConflict(id int64) {
	a := s.a
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.RestoreConflict(ctx, id) }, func(err error) {
		if err != nil {
			s.ConflictsNote.SetText(a.errText(err))
			return
		}
		a.wrote()
		s.Refresh()
	})
}

// tableLabel is the English (translatable) name of a synced table's row.
func tableLabel(t string) string {
	switch t {
	case "customers":
		return "Customer"
	case "bikes":
		return "Bike"
	case "work_orders":
		return "Work order"
	case "work_order_lines":
		return "Work order line"
	case "sales":
		return "Sale"
	case "sale_lines":
		return "Sale line"
	case "shops":
		return "Shop"
	case "users":
		return "Staff account"
	case "privacy_requests":
		return "Privacy request"
	case "shop_holidays":
		return "Holiday"
	case "campaigns":
		return "Campaign"
	}
	return t
}

// conflictValue shows a losing value; a timestamp column reads as a time.
func conflictValue(c store.Conflict) string {
	if strings.HasSuffix(c.Column, "_at") {
		if ms, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
		}
	}
	return c.Value
}

// deviceStatusLabel is the English (translatable) name of a device's standing in the
// owner-signed device list.
func deviceStatusLabel(st string) string {
	switch st {
	case "active":
		return "active"
	case "revoked":
		return "revoked"
	case "unconfirmed":
		return "not confirmed by an owner"
	}
	return st
}

// anchorLabel explains an audit anchor's status.
func anchorLabel(st string) string {
	switch st {
	case "ok":
		return "matches the hub's checkpoint"
	case "behind":
		return "copy still arriving"
	case "no-checkpoint":
		return "no checkpoint at the hub yet"
	case "truncated":
		return "CUT SHORT: entries the hub saw are missing"
	case "rewritten":
		return "REWRITTEN: entries differ from what the hub saw"
	case "bad-signature":
		return "BAD SIGNATURE on the hub's checkpoint"
	}
	return st
}

// anchorStatuses are the statuses anchorLabel explains (the translation test walks them).
var anchorStatuses = []string{"ok", "behind", "no-checkpoint", "truncated", "rewritten", "bad-signature"}

// startSync starts the background sync loop once the store is open on a connected device.
// The loop needs no signed-in user: it moves sealed sets, so it keeps going while the counter
// is locked, and stops when Spoke quits.
func (a *App) startSync() {
	st := a.st
	if st == nil || a.eng != nil {
		return
	}
	a.async(func() func() {
		state, err := st.SyncState(a.ctx)
		if err != nil || !state.Connected() {
			return nil
		}
		hc, err := engine.Dial(a.ctx, st.Replica())
		return func() {
			if err != nil {
				a.syncErr = err
				return
			}
			a.setSync(hc, engine.New(st.Replica(), hc))
		}
	})
}

// setSync installs and starts the sync loop (on the UI goroutine), unless one runs already.
func (a *App) setSync(hc *hubclient.Client, eng *engine.Engine) {
	if a.eng != nil || a.closing.Load() {
		hc.Close()
		return
	}
	a.hc, a.eng, a.syncErr = hc, eng, nil
	eng.Start(a.ctx, syncInterval)
}

// stopSync stops the loop (waiting for a round in progress) and closes the hub client.
func (a *App) stopSync() {
	eng, hc := a.eng, a.hc
	a.eng, a.hc = nil, nil
	if eng != nil {
		eng.Stop()
	}
	if hc != nil {
		hc.Close()
	}
}

// wrote tells the sync loop that something was saved, so it syncs soon (UI goroutine).
func (a *App) wrote() {
	if a.eng != nil {
		a.eng.Poke()
	}
}
