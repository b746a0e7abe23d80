package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
	"spoke/store/backup"
)

// BackupsScreen is the owner's and managers' backup desk: the folder and schedule, "Back up
// now", the history with each backup's restore drill, a full check of the folder, and (owner
// only, per the access matrix) a restore into a new data directory.
type BackupsScreen struct {
	a    *App
	root fyne.CanvasObject

	// Folder and schedule.
	Folder    *widget.Entry
	Browse    *widget.Button
	FullEvery *widget.Select
	DiffEvery *widget.Select
	IncEvery  *widget.Select
	Keep      *widget.Select
	Save      *widget.Button

	// Back up now.
	Kind      *widget.Select
	BackUpNow *widget.Button
	Busy      *widget.ProgressBarInfinite
	Result    *ui.Message

	// Check the folder.
	Check       *widget.Button
	CheckBusy   *widget.ProgressBarInfinite
	CheckResult *ui.Message

	// History, newest first.
	History *widget.List
	Summary *widget.Label
	entries []backup.Entry

	// Restore (owner).
	RestoreAt     *widget.Select
	RestoreDir    *widget.Entry
	RestoreBrowse *widget.Button
	Restore       *widget.Button
	RestoreBusy   *widget.ProgressBarInfinite
	RestoreResult *ui.Message
	// ConfirmRestore is the warning shown before a restore starts (tests confirm it).
	ConfirmRestore *dialog.ConfirmDialog
	restoreIDs     map[string]string
	historyFolder  string // the folder the history (and so a restore) reads

	Error  *ui.Message
	Info   *ui.Message
	scroll *container.Scroll

	durations map[string]time.Duration
	keeps     map[string]int
	kinds     map[string]string
	loaded    bool
}

var (
	fullChoices = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour}
	diffChoices = []time.Duration{4 * time.Hour, 12 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}
	incChoices  = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 12 * time.Hour}
	keepChoices = []int{1, 2, 3, 4, 6, 8, 12}
)

func newBackupsScreen(a *App) *BackupsScreen {
	s := &BackupsScreen{a: a, Error: a.errorLabel(), Info: a.newMsgLabel(widget.SuccessImportance),
		durations: map[string]time.Duration{}, keeps: map[string]int{}, kinds: map[string]string{}, restoreIDs: map[string]string{}}
	s.Folder = widget.NewEntry()
	s.Folder.SetPlaceHolder(a.T("USB disk or network share"))
	s.Browse = a.button(a.T("Choose…"), theme.FolderOpenIcon(), func() {
		ui.ChooseFolder(a.W, func(p string) { s.Folder.SetText(p) })
	})
	s.FullEvery = s.durationSelect(fullChoices)
	s.DiffEvery = s.durationSelect(diffChoices)
	s.IncEvery = s.durationSelect(incChoices)
	var keeps []string
	for _, k := range keepChoices {
		l := a.T("%d full backup(s)", k)
		keeps = append(keeps, l)
		s.keeps[l] = k
	}
	s.Keep = widget.NewSelect(keeps, func(string) { a.touch() })
	s.setSchedule(store.BackupConfig{})
	s.Save = a.button(a.T("Save folder and schedule"), theme.DocumentSaveIcon(), s.save)

	asScheduled := a.T("As scheduled")
	kindNames := []string{asScheduled, a.T(kindLabel(backup.Full)), a.T(kindLabel(backup.Incremental)), a.T(kindLabel(backup.Differential))}
	s.kinds[asScheduled] = ""
	for i, k := range []string{backup.Full, backup.Incremental, backup.Differential} {
		s.kinds[kindNames[i+1]] = k
	}
	s.Kind = widget.NewSelect(kindNames, func(string) { a.touch() })
	s.Kind.Selected = asScheduled
	s.BackUpNow = a.button(a.T("Back up now"), theme.UploadIcon(), s.backUpNow)
	s.BackUpNow.Importance = widget.HighImportance
	s.Busy = ui.NewBusy()
	s.Result = a.newMsgLabel(widget.MediumImportance)

	s.Check = a.button(a.T("Check folder"), theme.SearchIcon(), s.check)
	s.CheckBusy = ui.NewBusy()
	s.CheckResult = a.newMsgLabel(widget.MediumImportance)

	s.Summary = ui.WrapLabel()
	s.History = ui.NewList(func() int { return len(s.entries) }, ui.RowSpec{Weights: historyWeights, Labels: 6, BoldFirst: true}, func(i widget.ListItemID, row ui.Row) {
		row.SetTexts(s.historyRow(i)...)
		drill := row.Label(5)
		imp := widget.SuccessImportance
		if d := s.entries[i].Drill; d == nil {
			imp = widget.LowImportance
		} else if !d.Passed {
			imp = widget.DangerImportance
		}
		if drill.Importance != imp {
			drill.Importance = imp
			drill.Refresh()
		}
	})

	setup := widget.NewCard(a.T("Backup folder and schedule"), "", container.NewVBox(
		ui.Note(a.T("Spoke backs up on this schedule while it is open, and restores every backup into a scratch folder to prove it works (the drill).")),
		widget.NewForm(
			widget.NewFormItem(a.T("Folder"), container.NewBorder(nil, nil, nil, s.Browse, s.Folder)),
			widget.NewFormItem(a.T("Full backup every"), s.FullEvery),
			widget.NewFormItem(a.T("Differential every"), s.DiffEvery),
			widget.NewFormItem(a.T("Incremental every"), s.IncEvery),
			widget.NewFormItem(a.T("Keep"), s.Keep),
			widget.NewFormItem("", container.NewHBox(s.Save)))))
	now := widget.NewCard(a.T("Back up now"), "", container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(a.T("Kind")), s.BackUpNow, s.Kind), s.Busy, s.Result))
	check := widget.NewCard(a.T("Check folder"), "", container.NewVBox(
		ui.Note(a.T("Authenticates every manifest and decrypts every byte of every backup, and checks that each chain is complete.")),
		container.NewHBox(s.Check), s.CheckBusy, s.CheckResult))
	left := container.NewVBox(s.Error, s.Info, setup, now, check)
	if a.canRestore() {
		left.Add(s.restoreCard())
	}
	head := ui.Header(historyWeights, a.T("Kind"), a.T("Time"), a.T("Parent"), a.T("Customers"), a.T("Size"), a.T("Restore drill"))
	right := container.NewBorder(container.NewVBox(ui.Heading(a.T("Backup history")), s.Summary, head), nil, nil, nil, s.History)
	s.scroll = container.NewVScroll(left)
	split := container.NewHSplit(s.scroll, right)
	split.Offset = 0.42
	s.root = split
	return s
}

// historyWeights are the history's column widths: the drill result needs the most room.
var historyWeights = []float32{1.2, 1.5, 1.4, 1, 0.9, 1.4}

func (s *BackupsScreen) restoreCard() fyne.CanvasObject {
	a := s.a
	s.RestoreAt = widget.NewSelect(nil, func(string) { a.touch() })
	s.RestoreAt.PlaceHolder = a.T("No backup yet")
	s.RestoreDir = widget.NewEntry()
	s.RestoreDir.SetPlaceHolder(a.T("A new, empty folder"))
	s.RestoreBrowse = a.button(a.T("Choose…"), theme.FolderOpenIcon(), func() {
		ui.ChooseFolder(a.W, func(p string) { s.RestoreDir.SetText(p) })
	})
	s.Restore = a.button(a.T("Restore…"), theme.HistoryIcon(), s.askRestore)
	s.Restore.Importance = widget.WarningImportance
	s.RestoreBusy = ui.NewBusy()
	s.RestoreResult = a.newMsgLabel(widget.MediumImportance)
	s.RestoreResult.Selectable = true
	warn := widget.NewLabel(a.T("A restore never touches the data Spoke is using now. It rebuilds the chosen backup into a NEW, empty folder and verifies it there; to work with it, quit Spoke and start it on that folder."))
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.WarningImportance
	return widget.NewCard(a.T("Restore"), "", container.NewVBox(warn, widget.NewForm(
		widget.NewFormItem(a.T("Backup"), s.RestoreAt),
		widget.NewFormItem(a.T("Into"), container.NewBorder(nil, nil, nil, s.RestoreBrowse, s.RestoreDir)),
		widget.NewFormItem("", container.NewHBox(s.Restore))), s.RestoreBusy, s.RestoreResult))
}

func (s *BackupsScreen) durationSelect(choices []time.Duration) *widget.Select {
	var opts []string
	for _, d := range choices {
		l := s.a.durationLabel(d)
		opts = append(opts, l)
		s.durations[l] = d
	}
	return widget.NewSelect(opts, func(string) { s.a.touch() })
}

// selectDuration selects d, adding it as a choice when the saved schedule holds another value.
func (s *BackupsScreen) selectDuration(sel *widget.Select, d time.Duration) {
	l := s.a.durationLabel(d)
	if _, ok := s.durations[l]; !ok {
		s.durations[l] = d
		sel.Options = append(sel.Options, l)
	}
	sel.SetSelected(l)
}

// setSchedule shows a saved configuration (the default schedule where none is saved).
func (s *BackupsScreen) setSchedule(c store.BackupConfig) {
	def := backup.DefaultSchedule
	if c.Full <= 0 {
		c.Full = def.Full
	}
	if c.Differential <= 0 {
		c.Differential = def.Differential
	}
	if c.Incremental <= 0 {
		c.Incremental = def.Incremental
	}
	if c.KeepFulls <= 0 {
		c.KeepFulls = def.KeepFulls
	}
	s.Folder.SetText(c.Folder)
	s.selectDuration(s.FullEvery, c.Full)
	s.selectDuration(s.DiffEvery, c.Differential)
	s.selectDuration(s.IncEvery, c.Incremental)
	l := s.a.T("%d full backup(s)", c.KeepFulls)
	if _, ok := s.keeps[l]; !ok {
		s.keeps[l] = c.KeepFulls
		s.Keep.Options = append(s.Keep.Options, l)
	}
	s.Keep.SetSelected(l)
}

// formConfig reads the form; it refuses a folder inside Spoke's own data folder, which would
// not survive the loss of this disk.
func (s *BackupsScreen) formConfig() (store.BackupConfig, error) {
	a := s.a
	c := store.BackupConfig{Folder: strings.TrimSpace(s.Folder.Text), Full: s.durations[s.FullEvery.Selected],
		Differential: s.durations[s.DiffEvery.Selected], Incremental: s.durations[s.IncEvery.Selected], KeepFulls: s.keeps[s.Keep.Selected]}
	if c.Folder == "" {
		return c, errors.New(a.T("Choose a backup folder first."))
	}
	if !filepath.IsAbs(c.Folder) {
		return c, errors.New(a.T("Give the folder's full path (starting with / or a drive letter)."))
	}
	c.Folder = filepath.Clean(c.Folder)
	if a.st != nil && within(c.Folder, a.st.Dir()) {
		return c, errors.New(a.T("Choose a folder outside Spoke's data folder, ideally on another disk: a backup must survive the loss of this one."))
	}
	return c, nil
}

// Refresh reloads the saved configuration and the history.
func (s *BackupsScreen) Refresh() {
	a := s.a
	sched := a.sched
	// Filled in by the work below, read by the hand-back after it.
	var es []backup.Entry
	var lerr error
	var last *backup.Result
	var lastErr error
	load(a, func(ctx context.Context, ss *store.Session) (store.BackupConfig, error) {
		cfg, err := ss.BackupConfig(ctx)
		if err == nil && cfg.Folder != "" && !folderEmpty(cfg.Folder) {
			es, lerr = listBackups(ctx, ss, cfg.Folder)
		}
		if sched != nil {
			last, lastErr = sched.Last()
		}
		return cfg, err
	}, func(cfg store.BackupConfig, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		if !s.loaded {
			// The form shows what is saved once; later refreshes keep what is being typed.
			s.loaded = true
			s.setSchedule(cfg)
		}
		s.historyFolder = cfg.Folder
		s.setEntries(es)
		var notes []string
		switch {
		case cfg.Folder == "":
			notes = append(notes, a.T("No backup folder is set up yet."))
		case lerr != nil:
			notes = append(notes, a.T("The backup folder cannot be read: %s", a.errText(lerr)))
		case len(es) == 0:
			notes = append(notes, a.T("No backup in %s yet.", cfg.Folder))
		default:
			notes = append(notes, a.T("%d backup(s) in %s.", len(es), cfg.Folder))
		}
		if lastErr != nil && !errors.Is(lastErr, context.Canceled) {
			notes = append(notes, a.T("The last backup failed: %s", a.errText(lastErr)))
		} else if last != nil && last.Drill != nil && !last.Drill.Passed {
			notes = append(notes, a.T("The last restore drill FAILED: %s", last.Drill.Problem))
		}
		s.Summary.SetText(strings.Join(notes, " "))
	})
}

// listBackups reads the folder's history with this machine's unlocked database (the session's
// backup grant, checked by backup.List).
func listBackups(ctx context.Context, ss *store.Session, folder string) ([]backup.Entry, error) {
	return backup.List(ctx, folder, backup.Credentials{Session: ss})
}

// setEntries shows the history newest first and offers each backup for a restore.
func (s *BackupsScreen) setEntries(es []backup.Entry) {
	a := s.a
	s.entries = make([]backup.Entry, len(es))
	for i, e := range es {
		s.entries[len(es)-1-i] = e
	}
	s.History.Refresh()
	if s.RestoreAt == nil {
		return
	}
	var opts []string
	s.restoreIDs = map[string]string{}
	for i, e := range s.entries {
		l := a.T(kindLabel(e.Manifest.Kind)) + " · " + minute(e.Manifest.Created)
		if i == 0 {
			l = a.T("%s (newest)", l)
		}
		opts = append(opts, l)
		s.restoreIDs[l] = e.Manifest.ID
	}
	keep := s.RestoreAt.Selected
	s.RestoreAt.Options = opts
	if _, ok := s.restoreIDs[keep]; !ok {
		keep = ""
		if len(opts) > 0 {
			keep = opts[0]
		}
	}
	s.RestoreAt.SetSelected(keep)
	s.RestoreAt.Refresh()
}

// historyRow is one history line: kind, time, parent, customers, size, drill.
func (s *BackupsScreen) historyRow(i int) []string {
	a := s.a
	m, d := s.entries[i].Manifest, s.entries[i].Drill
	parent := "—"
	for _, e := range s.entries {
		if m.Parent != "" && e.Manifest.ID == m.Parent {
			parent = a.T(kindLabel(e.Manifest.Kind)) + " " + e.Manifest.Created.Local().Format("01-02 15:04")
		}
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	drill := a.T("not run")
	if d != nil {
		drill = a.T("passed in %s", seconds(d.Duration))
		if !d.Passed {
			drill = a.T("FAILED: %s", d.Problem)
		}
	}
	return []string{a.T(kindLabel(m.Kind)), minute(m.Created), parent, fmt.Sprint(m.Snapshot.Counts["customers"]), byteSize(size), drill}
}

// Kinds lists the kinds in the history, newest first, with their drill results (tests).
func (s *BackupsScreen) Kinds() []string {
	var out []string
	for i := range s.entries {
		r := s.historyRow(i)
		out = append(out, r[0]+": "+r[5])
	}
	return out
}

func (s *BackupsScreen) save() {
	a, sched := s.a, s.a.sched
	s.Error.SetText("")
	s.Info.SetText("")
	cfg, err := s.formConfig()
	if err != nil {
		s.Error.SetText(err.Error())
		return
	}
	var empty bool
	do(a, func(ctx context.Context, ss *store.Session) error {
		err := ss.SetBackupConfig(ctx, cfg)
		empty = folderEmpty(cfg.Folder)
		return err
	}, func(err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		if empty {
			// The first backup into a folder is taken in view, so its drill is seen to pass.
			s.Info.SetText(a.T("Saved. Tap Back up now for the first backup; after that Spoke backs up on this schedule while it is open."))
		} else {
			s.Info.SetText(a.T("Saved. Spoke backs up on this schedule while it is open."))
			if a.sched == sched && sched != nil {
				sched.Start(a.sc)
			}
		}
		s.Refresh()
		a.checkBackups()
	})
}

// backUpNow saves the form if it changed, then takes one backup with its drill. The scheduler
// is stopped meanwhile (a scheduled backup in progress ends first), so only one backup writes
// to the folder at a time.
func (s *BackupsScreen) backUpNow() {
	a, sched := s.a, s.a.sched
	s.Error.SetText("")
	s.Info.SetText("")
	cfg, err := s.formConfig()
	if err != nil {
		s.Error.SetText(err.Error())
		return
	}
	if sched == nil {
		return
	}
	kind := s.kinds[s.Kind.Selected]
	s.BackUpNow.Disable()
	s.Save.Disable()
	ui.SetBusy(s.Busy, true)
	s.Result.Set(a.T("Backing up, then restoring the backup into a scratch folder to prove it works…"), widget.MediumImportance)
	load(a, func(ctx context.Context, ss *store.Session) (*backup.Result, error) {
		saved, err := ss.BackupConfig(ctx)
		if err == nil && saved != cfg {
			err = ss.SetBackupConfig(ctx, cfg)
		}
		if err != nil {
			return nil, err
		}
		sched.Stop()
		return sched.RunNow(ctx, kind)
	}, func(r *backup.Result, err error) {
		ui.SetBusy(s.Busy, false)
		s.BackUpNow.Enable()
		s.Save.Enable()
		if a.sched == sched {
			sched.Start(a.sc)
		}
		s.showResult(r, err)
		s.Refresh()
		a.checkBackups()
	})
}

func (s *BackupsScreen) showResult(r *backup.Result, err error) {
	a := s.a
	if r == nil || r.Manifest == nil {
		s.Result.SetResult(a.T("The backup failed: %s", a.errText(err)), false)
		return
	}
	m := r.Manifest
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	text := a.T("%s backup taken: %d customers, %s.", a.T(kindLabel(m.Kind)), m.Snapshot.Counts["customers"], byteSize(size))
	ok := err == nil
	switch {
	case r.Drill == nil:
	case r.Drill.Passed:
		text += " " + a.T("Restore drill passed in %s (restored, verified, wiped).", seconds(r.Drill.Duration))
	default:
		ok = false
		text += " " + a.T("RESTORE DRILL FAILED: %s", r.Drill.Problem)
	}
	if len(r.Rewritten) > 0 {
		text += " " + a.T("%d older backup(s) that held customers erased since were deleted.", len(r.Rewritten))
	}
	if len(r.Pruned) > 0 {
		text += " " + a.T("%d old backup(s) removed.", len(r.Pruned))
	}
	if err != nil {
		ok = false
		text += " " + a.errText(err)
	}
	s.Result.SetResult(text, ok)
}

// check authenticates and decrypts every byte in the folder.
func (s *BackupsScreen) check() {
	a := s.a
	folder := strings.TrimSpace(s.Folder.Text)
	if folder == "" {
		s.Error.SetText(a.T("Choose a backup folder first."))
		return
	}
	s.Error.SetText("")
	s.Check.Disable()
	ui.SetBusy(s.CheckBusy, true)
	s.CheckResult.Set(a.T("Checking every backup…"), widget.MediumImportance)
	load(a, func(ctx context.Context, ss *store.Session) ([]string, error) {
		return backup.Check(ctx, folder, backup.Credentials{Session: ss}, true)
	}, func(problems []string, err error) {
		ui.SetBusy(s.CheckBusy, false)
		s.Check.Enable()
		switch {
		case err != nil:
			s.CheckResult.SetResult(a.T("The folder cannot be checked: %s", a.errText(err)), false)
		case len(problems) == 0:
			s.CheckResult.SetResult(a.T("All good: every backup authenticates and decrypts, and every chain is complete."), true)
		default:
			lines := problems
			if len(lines) > 10 {
				lines = append(lines[:10:10], a.T("…and %d more", len(problems)-10))
			}
			s.CheckResult.SetResult(a.T("%d problem(s) found:", len(problems))+"\n"+strings.Join(lines, "\n"), false)
		}
	})
}

// askRestore warns what a restore does and does not do, then restores.
func (s *BackupsScreen) askRestore() {
	a := s.a
	s.Error.SetText("")
	dir := strings.TrimSpace(s.RestoreDir.Text)
	id := s.restoreIDs[s.RestoreAt.Selected]
	switch {
	case id == "":
		s.RestoreResult.SetResult(a.T("There is no backup to restore yet."), false)
		return
	case dir == "" || !filepath.IsAbs(dir):
		s.RestoreResult.SetResult(a.T("Give the full path of a new, empty folder to restore into."), false)
		return
	case a.st != nil && (within(dir, a.st.Dir()) || within(a.st.Dir(), dir)):
		s.RestoreResult.SetResult(a.T("That is Spoke's current data folder. A restore goes into a new, empty folder and never over the data in use."), false)
		return
	}
	dir = filepath.Clean(dir)
	s.ConfirmRestore = ui.Confirm(a.W, a.T("Restore into a new folder?"),
		a.T("Spoke rebuilds backup %s into\n%s\nand verifies it there. The data in use now is not changed.\nTo work with the restored data afterwards, quit Spoke and start it with: spoke --data %s\nAnything entered after that backup is not in it.", s.RestoreAt.Selected, dir, dir),
		a.T("Restore"), widget.WarningImportance, func() { s.restore(id, dir) })
}

func (s *BackupsScreen) restore(id, dir string) {
	a := s.a
	folder := s.historyFolder
	o := a.opts.Store
	o.Passphrase, o.RecoveryCode = "", ""
	s.Restore.Disable()
	ui.SetBusy(s.RestoreBusy, true)
	s.RestoreResult.Set(a.T("Restoring and verifying…"), widget.MediumImportance)
	load(a, func(ctx context.Context, ss *store.Session) (*backup.RestoreResult, error) {
		// The restore checks the owner's grant first (a denial is audited), refuses a used
		// folder, and keeps the restored copy's key as the data in use does on this machine:
		// in the keychain, or under the same passphrase (whatever the backup's header held).
		return backup.Restore(ctx, folder, dir, backup.Credentials{Session: ss}, backup.RestoreOptions{At: id, Store: o, ProtectLikeSession: true})
	}, func(res *backup.RestoreResult, err error) {
		notEmpty := errors.Is(err, backup.ErrTargetNotEmpty)
		ui.SetBusy(s.RestoreBusy, false)
		s.Restore.Enable()
		switch {
		case notEmpty:
			s.RestoreResult.SetResult(a.T("%s is not empty. Choose a new, empty folder: a restore never overwrites existing data.", dir), false)
		case err != nil:
			s.RestoreResult.SetResult(a.T("Nothing was restored: %s", a.errText(err)), false)
		default:
			text := a.T("Restored and verified in %s: %d backup(s) applied; integrity state, %d customers, %d work orders and an audit chain of %d entries match the backup.",
				seconds(res.Duration), len(res.Applied), res.Snapshot.Counts["customers"], res.Snapshot.Counts["work_orders"], res.Verify.AuditEntries)
			if res.Reapplied > 0 {
				text += " " + a.T("%d customer(s) deleted after that backup were deleted again.", res.Reapplied)
			}
			if res.Newest != nil {
				text += " " + a.T("It is an older point than the newest backup: its audit trail ends at entry %d, the newest backup's at %d.", res.Snapshot.AuditSeq, res.Newest.Snapshot.AuditSeq)
			}
			if res.KeyStore == store.KeyStoreKeychain {
				text += " " + a.T("Its key is in this computer's keychain, like the data in use now.")
			} else {
				text += " " + a.T("It opens with the same passphrase as the data in use now.")
			}
			text += "\n" + a.T("To use it, quit Spoke and start it with: spoke --data %s", dir)
			s.RestoreResult.SetResult(text, true)
		}
	})
}
