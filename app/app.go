// Package app is Spoke's Fyne GUI: screens, widgets, theme and translations. It holds no SQL
// and no cryptography; every read and write goes through store.Session (and store.Store for
// unlocking, setting up, signing in and verifying). It takes a fyne.App from main.go, so its
// tests run on Fyne's software test driver without a display.
//
// Threading: anything that can take more than a frame (keychain reads, Argon2id unlock and
// sign-in, index builds, imports, every store call) runs in a goroutine started with
// App.async, which hands the result back to the UI goroutine with fyne.DoAndWait. Tests call
// App.Wait to let that work finish before they look at the screen.
//
// Screens are structs that keep their widgets as exported fields, so tests can tap and type.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/assets"
	"spoke/cli"
	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/launch"
	"spoke/store"
	"spoke/store/backup"
	"spoke/store/contact"
	"spoke/sync/engine"
	"spoke/sync/hub/hubclient"
)

// Options are the GUI's command-line flags and the seams tests use.
type Options struct {
	DataDir    string
	Demo       bool
	Passphrase string

	// DemoCustomers sizes the demo shop (0: 1200, enough for three shops, Shanghai included).
	DemoCustomers int
	// Store tunes the store (tests lower the Argon2id cost and inject a keychain and a clock).
	Store store.Options
	// KeychainProbe reports whether an OS keychain answers (nil: crypto/keychain.Available).
	KeychainProbe func(ctx context.Context) bool
	// Now is the clock of the idle lock (nil: time.Now).
	Now func() time.Time
	// ManualIdle turns off the idle ticker; tests call CheckIdle themselves.
	ManualIdle bool
	// QueueUI queues the hand-backs of background work instead of running them on the UI
	// goroutine; Wait runs them on its caller's goroutine. Fyne's test driver has no UI
	// goroutine of its own, so a test goroutine plays it and nothing runs beside it.
	QueueUI bool
}

// ParseFlags reads the GUI flags (spoke [--data DIR] [--demo] [--passphrase-file F]); the flag
// set itself lives in launch, which the Fyne-free spoke launcher also reads.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	f, err := launch.ParseGUI(args, cli.DefaultDataDir(), stderr)
	o.DataDir, o.Demo, o.DemoCustomers = f.DataDir, f.Demo, f.DemoCustomers
	if err != nil {
		return o, err
	}
	o.Passphrase = os.Getenv("SPOKE_PASSPHRASE")
	if f.PassphraseFile != "" {
		b, err := os.ReadFile(f.PassphraseFile)
		if err != nil {
			fmt.Fprintln(stderr, "spoke: cannot read the passphrase file")
			return o, fmt.Errorf("read passphrase file: %w", err)
		}
		o.Passphrase = strings.TrimRight(string(b), "\r\n")
	}
	return o, nil
}

// ExtraArgError is a word after the desktop app's flags (see launch.ExtraArgError).
type ExtraArgError = launch.ExtraArgError

// CheckDisplay says, in one sentence, why the desktop app cannot start here: on Linux and the
// BSDs without an X11 or Wayland display, GLFW would otherwise panic with a stack trace.
func CheckDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set); 'spoke help' lists the commands that run without one")
		}
	}
	return nil
}

// Preference keys.
const (
	prefLang  = "language"
	prefDark  = "dark"
	prefIdle  = "idle_minutes"
	idleTickS = 5
)

// App is the running GUI: one window whose content is the current screen.
type App struct {
	FyneApp fyne.App
	W       fyne.Window

	opts    Options
	ctx     context.Context
	cancel  context.CancelFunc
	lang    string
	dark    bool
	idle    time.Duration
	bg      sync.WaitGroup
	qmu     sync.Mutex
	queue   []func() // hand-backs waiting for Wait (Options.QueueUI)
	closing atomic.Bool

	st      *store.Store
	demo    *cli.DemoShop
	demoDir string

	ss *store.Session
	// indexed says the session's search index is built (a rebuilt screen need not redo it).
	indexed bool
	sc      context.Context // the session's context: cancelled at sign-out, so its work stops
	scEnd   context.CancelFunc
	user    store.User
	shops   []store.Shop
	staff   []store.Staff

	// sched takes the signed-in owner's or manager's scheduled backups (nil for other roles).
	sched *backup.Scheduler
	// eng is the background sync loop, running while the store is open on a connected device;
	// hc is its hub client. Both are touched on the UI goroutine only.
	eng     *engine.Engine
	hc      *hubclient.Client
	syncErr error // why a connected device's loop could not start
	// backupWarning is the backup banner's last text ("" when backups are in order).
	backupWarning string

	lastActivity time.Time
	stopIdle     chan struct{}
	ticks        int

	// The screen on show (nil when another is shown). Tests reach widgets through these.
	Loading *LoadingScreen
	Unlock  *UnlockScreen
	Setup   *SetupScreen
	SignIn  *SignInScreen
	Shell   *Shell
}

// New builds the window and starts: the demo shop, the set-up wizard, or unlocking.
func New(fa fyne.App, o Options) *App {
	loadTranslations()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeychainProbe == nil {
		o.KeychainProbe = keychain.Available
	}
	if o.DemoCustomers <= 0 {
		o.DemoCustomers = 1200
	}
	a := &App{FyneApp: fa, opts: o}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	prefs := fa.Preferences()
	a.lang = prefs.StringWithFallback(prefLang, systemLanguage())
	if _, ok := catalogs[a.lang]; !ok {
		a.lang = langEN
	}
	a.dark = prefs.Bool(prefDark)
	a.idle = time.Duration(prefs.IntWithFallback(prefIdle, 5)) * time.Minute
	fa.Settings().SetTheme(newTheme(a.dark))
	fa.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	a.W = fa.NewWindow("Spoke")
	a.W.Resize(fyne.NewSize(1280, 800))
	a.W.SetMaster()
	a.installShortcuts()
	a.lastActivity = o.Now()
	if !o.ManualIdle {
		a.stopIdle = make(chan struct{})
		go a.idleTicker()
	}
	a.start()
	return a
}

// Run shows the window until it closes, then locks everything away.
func (a *App) Run() {
	a.W.ShowAndRun()
	a.Close()
}

// Close signs out, closes the store (wiping its keys) and removes a demo shop's files.
func (a *App) Close() {
	if !a.closing.CompareAndSwap(false, true) {
		return
	}
	if a.stopIdle != nil {
		close(a.stopIdle)
	}
	a.cancel()
	// Background work stops at the cancelled context; a hand-back that was waiting for the
	// (now stopped) UI loop must not keep the process alive, hence the bound.
	done := make(chan struct{})
	go func() { a.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	// Both loops were cancelled with the context; Stop waits for a backup or round in progress
	// to end before the store closes under it.
	if a.sched != nil {
		a.sched.Stop()
		a.sched = nil
	}
	a.stopSync()
	if a.ss != nil {
		a.ss.SignOut(context.Background())
		a.ss = nil
	}
	if a.st != nil {
		a.st.Close()
		a.st = nil
	}
	if a.demoDir != "" {
		os.RemoveAll(a.demoDir)
	}
}

// Wait blocks until every background task started so far (and those they started) has
// finished and handed its result to the screen.
func (a *App) Wait() {
	for {
		a.bg.Wait()
		a.qmu.Lock()
		q := a.queue
		a.queue = nil
		a.qmu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			if !a.closing.Load() {
				fn()
			}
		}
	}
}

// async runs work off the UI goroutine; the function it returns (if any) runs on the UI
// goroutine afterwards.
func (a *App) async(work func() func()) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if done := work(); done != nil {
			a.ui(done)
		}
	}()
}

// ui runs fn on the UI goroutine and waits for it (or queues it for Wait, in tests).
func (a *App) ui(fn func()) {
	if a.closing.Load() {
		return
	}
	if a.opts.QueueUI {
		a.qmu.Lock()
		a.queue = append(a.queue, fn)
		a.qmu.Unlock()
		return
	}
	fyne.DoAndWait(fn)
}

// Store is the unlocked store (nil before unlocking).
func (a *App) Store() *store.Store { return a.st }

// Session is the signed-in user's session (nil when nobody is signed in).
func (a *App) Session() *store.Session { return a.ss }

// Demo is the demo shop (nil unless started with --demo).
func (a *App) Demo() *cli.DemoShop { return a.demo }

func (a *App) setContent(o fyne.CanvasObject) {
	a.Loading, a.Unlock, a.Setup, a.SignIn = nil, nil, nil, nil
	if a.Shell != nil && o != a.Shell.root {
		a.Shell = nil
	}
	a.W.SetContent(o)
}

// start decides the first screen.
func (a *App) start() {
	switch {
	case a.opts.Demo:
		a.startDemo()
	case !store.Exists(a.opts.DataDir):
		a.showSetup()
	default:
		a.unlockWith(a.opts.Passphrase, "", true)
	}
}

func (a *App) startDemo() {
	l := a.showLoading(a.T("Preparing a demo shop with synthetic customers…"))
	n := a.opts.DemoCustomers
	a.async(func() func() {
		dir, err := os.MkdirTemp("", "spoke-demo-")
		if err != nil {
			return func() { a.showFatal(err) }
		}
		o := a.opts.Store
		if o.Passphrase == "" {
			// A throw-away shop gets a throw-away passphrase held only in memory.
			o.Passphrase = fmt.Sprintf("demo-%d-%d", os.Getpid(), time.Now().UnixNano())
		}
		d, err := cli.CreateDemo(a.ctx, dir, n, 1, o, func(stage string, done, total int) {
			if total > 0 {
				f := float64(done) / float64(total)
				a.ui(func() {
					if a.Loading == l {
						l.Progress.SetValue(f)
					}
				})
			}
		})
		if err != nil {
			os.RemoveAll(dir)
			return func() { a.showFatal(err) }
		}
		return func() {
			a.demo, a.demoDir, a.st = d, dir, d.Store
			a.showSignIn("", "")
		}
	})
}

// unlockWith opens the database off the UI goroutine: a keychain read can block on an OS
// unlock dialog, and a passphrase costs an Argon2id derivation.
func (a *App) unlockWith(passphrase, recovery string, first bool) {
	if first {
		a.showLoading(a.T("Unlocking the database…"))
	}
	o := a.opts.Store
	o.Passphrase, o.RecoveryCode = passphrase, recovery
	dir := a.opts.DataDir
	a.async(func() func() {
		st, err := store.Open(a.ctx, dir, o)
		return func() {
			if err == nil {
				a.st = st
				a.showSignIn("", "")
				a.startSync()
				return
			}
			a.unlockFailed(err, first)
		}
	})
}

func (a *App) unlockFailed(err error, first bool) {
	why := ""
	switch {
	case errors.Is(err, store.ErrPassphraseNeeded):
		why = a.T("This database is protected by a passphrase, because no system keychain was used when it was set up. Enter the passphrase to unlock it.")
	case errors.Is(err, keychain.ErrNoKeychain):
		why = a.T("No system keychain answered on this computer, so Spoke cannot fetch the database key from it. Enter the passphrase, or the recovery code from the emergency kit.")
	case errors.Is(err, keychain.ErrNotFound):
		why = a.T("The system keychain holds no key for this database (was it created on another computer or user account?). Unlock it with the recovery code from the emergency kit.")
	case errors.Is(err, keys.ErrWrongPassphrase), errors.Is(err, keys.ErrBadRecoveryCode):
		if a.Unlock != nil {
			a.Unlock.failed(a.T("That passphrase or recovery code is wrong. Nothing was changed; try again."))
			return
		}
		why = a.T("That passphrase or recovery code is wrong. Nothing was changed; try again.")
	default:
		if a.Unlock != nil {
			a.Unlock.failed(a.errText(err))
			return
		}
		a.showFatal(err)
		return
	}
	if a.Unlock != nil && !first {
		a.Unlock.failed(why)
		return
	}
	a.showUnlock(why)
}

// LoadingScreen is shown while something long happens before any other screen exists.
type LoadingScreen struct {
	Message  *widget.Label
	Progress *widget.ProgressBar
}

func (a *App) showLoading(msg string) *LoadingScreen {
	l := &LoadingScreen{Message: widget.NewLabel(msg), Progress: widget.NewProgressBar()}
	l.Message.Alignment = fyne.TextAlignCenter
	l.Message.Wrapping = fyne.TextWrapWord
	icon := widget.NewIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	box := container.NewVBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(96, 96), icon)), l.Message, l.Progress)
	a.setContent(centered(box, 460))
	a.Loading = l
	return l
}

func (a *App) showFatal(err error) {
	msg := widget.NewLabel(a.errText(err))
	msg.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle(a.T("Spoke could not start"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	a.setContent(centered(container.NewVBox(title, msg), 560))
}

// touch records user activity for the idle lock.
func (a *App) touch() { a.lastActivity = a.opts.Now() }

func (a *App) idleTicker() {
	t := time.NewTicker(idleTickS * time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.stopIdle:
			return
		case <-t.C:
			fyne.Do(a.CheckIdle)
			fyne.Do(a.periodic)
		}
	}
}

// CheckIdle locks the counter when the signed-in user has been idle for the configured time.
func (a *App) CheckIdle() {
	if a.ss == nil || a.idle <= 0 {
		return
	}
	if a.opts.Now().Sub(a.lastActivity) >= a.idle {
		a.Lock(a.T("Locked after %d minutes without activity. Sign in again to continue.", int(a.idle/time.Minute)))
	}
}

// periodic refreshes what changes without the user: the backup banner (the scheduler may have
// taken a backup) and the sync screen's state (the background loop may have synced).
func (a *App) periodic() {
	a.ticks++
	if a.Shell == nil {
		return
	}
	// While the banner is up, look every minute, so it goes soon after a scheduled backup.
	if a.ticks%backupStatusEvery == 0 || a.backupWarning != "" && a.ticks%(60/idleTickS) == 0 {
		a.checkBackups()
	}
	if a.ticks%(60/idleTickS) == 0 && a.Shell.current == tabSync && a.Shell.Sync != nil {
		a.Shell.Sync.Refresh()
	}
}

// SetIdleTimeout changes (and remembers) the idle lock time.
func (a *App) SetIdleTimeout(d time.Duration) {
	a.idle = d
	a.FyneApp.Preferences().SetInt(prefIdle, int(d/time.Minute))
}

// Lock signs the user out and shows the sign-in screen with that user preselected. Every
// screen holding personal data is dropped, and the session's search index is wiped.
func (a *App) Lock(notice string) {
	user := a.user.Username
	a.endSession()
	a.showSignIn(user, notice)
}

// SwitchUser signs the user out and shows an empty sign-in screen.
func (a *App) SwitchUser() {
	a.endSession()
	a.showSignIn("", "")
}

func (a *App) endSession() {
	ss, sched := a.ss, a.sched
	if a.scEnd != nil {
		a.scEnd()
	}
	a.ss, a.user, a.staff, a.indexed, a.sched, a.backupWarning = nil, store.User{}, nil, false, nil, ""
	a.Shell = nil
	a.W.SetContent(widget.NewLabel(""))
	if ss != nil {
		a.async(func() func() {
			// The scheduler works as the signed-out user: it stops (its context is cancelled,
			// a backup in progress aborts) before the session ends.
			if sched != nil {
				sched.Stop()
			}
			ss.SignOut(context.Background())
			return nil
		})
	}
}

// SetLanguage switches every string of the window to lang ("en" or "zh-Hans") and remembers
// the choice. The current screen is rebuilt in the new language.
func (a *App) SetLanguage(lang string) {
	if _, ok := catalogs[lang]; !ok || lang == a.lang {
		return
	}
	a.lang = lang
	a.FyneApp.Preferences().SetString(prefLang, lang)
	a.installShortcuts()
	a.rebuild()
}

// Language is the current language code.
func (a *App) Language() string { return a.lang }

// SetDark switches between the light and the dark theme.
func (a *App) SetDark(dark bool) {
	a.dark = dark
	a.FyneApp.Preferences().SetBool(prefDark, dark)
	a.FyneApp.Settings().SetTheme(newTheme(dark))
}

// Dark reports whether the dark theme is on.
func (a *App) Dark() bool { return a.dark }

// rebuild re-creates the current screen (after a language switch).
func (a *App) rebuild() {
	switch {
	case a.Shell != nil:
		tab := a.Shell.current
		a.showShell()
		a.Shell.Show(tab)
	case a.SignIn != nil:
		a.showSignIn(a.SignIn.User.Selected, "")
	case a.Setup != nil:
		a.Setup.relabel()
	case a.Unlock != nil:
		a.showUnlock(a.Unlock.Why.Text)
	}
}

// Shortcut names used in the menu and on the canvas.
var (
	scFind        = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	scNewCustomer = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	scNewJob      = &desktop.CustomShortcut{KeyName: fyne.KeyJ, Modifier: fyne.KeyModifierShortcutDefault}
	scLock        = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
)

// installShortcuts puts the shortcuts on a main menu (which works while an entry has focus)
// and on the canvas (which the test driver and menu-less platforms use).
func (a *App) installShortcuts() {
	actions := []struct {
		sc    *desktop.CustomShortcut
		label string
		fn    func()
	}{
		{scFind, a.T("Find customer"), a.ShortcutFind},
		{scNewCustomer, a.T("New customer"), a.ShortcutNewCustomer},
		{scNewJob, a.T("New work order"), a.ShortcutNewWorkOrder},
		{scLock, a.T("Lock"), func() {
			if a.ss != nil {
				a.Lock("")
			}
		}},
	}
	var items []*fyne.MenuItem
	c := a.W.Canvas()
	for _, act := range actions {
		fn := act.fn
		c.RemoveShortcut(act.sc)
		c.AddShortcut(act.sc, func(fyne.Shortcut) { a.touch(); fn() })
		it := fyne.NewMenuItem(act.label, func() { a.touch(); fn() })
		it.Shortcut = act.sc
		items = append(items, it)
	}
	c.SetOnTypedKey(func(*fyne.KeyEvent) { a.touch() })
	c.SetOnTypedRune(func(rune) { a.touch() })
	a.W.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(a.T("Shop"), items...)))
}

// ShortcutFind (Ctrl+F) opens customer search with the cursor in the search field.
func (a *App) ShortcutFind() {
	if a.Shell == nil || a.Shell.Customers == nil {
		return
	}
	a.Shell.Show(tabCustomers)
	a.Shell.Customers.showList()
	a.W.Canvas().Focus(a.Shell.Customers.Search)
}

// ShortcutNewCustomer (Ctrl+N) opens the new-customer form.
func (a *App) ShortcutNewCustomer() {
	if a.Shell == nil || a.Shell.Customers == nil || !a.can(store.OpCustomerWrite) {
		return
	}
	a.Shell.Show(tabCustomers)
	a.Shell.Customers.NewCustomer()
}

// ShortcutNewWorkOrder (Ctrl+J) opens the new-work-order form, for the open customer if any.
func (a *App) ShortcutNewWorkOrder() {
	if a.Shell == nil || a.Shell.Board == nil || !a.canCreateJobs() {
		return
	}
	var card *store.CustomerCard
	if cs := a.Shell.Customers; cs != nil && cs.Card != nil && a.Shell.current == tabCustomers {
		card = cs.Card.card
	}
	a.Shell.Show(tabBoard)
	a.Shell.Board.NewWorkOrder(card, "")
}

// can reports whether the signed-in user's roles grant op at all (the store decides per row).
func (a *App) can(op store.Op) bool {
	for _, r := range a.user.Roles {
		if store.Matrix[op][r] != store.Deny && store.Matrix[op][r] != store.Request {
			return true
		}
	}
	return false
}

func (a *App) has(r store.Role) bool { return a.user.Has(r) }

func (a *App) canCreateJobs() bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) || a.has(store.RoleSales)
}

// shopByID returns a shop from the cached list.
func (a *App) shopByID(id string) (store.Shop, bool) {
	for _, s := range a.shops {
		if s.ID == id {
			return s, true
		}
	}
	return store.Shop{}, false
}

// phone shows a stored E.164 number the way people write it in the customer's shop's country
// (the user's shop when it is not known); E.164 stays underneath, in the store.
func (a *App) phone(e164, shopID string) string {
	region := a.userShop().Region
	if s, ok := a.shopByID(shopID); ok {
		region = s.Region
	}
	return contact.FormatPhone(e164, region)
}

// userShop is the signed-in user's shop, or the first shop for org-wide users.
func (a *App) userShop() store.Shop {
	if s, ok := a.shopByID(a.user.ShopID); ok {
		return s
	}
	if len(a.shops) > 0 {
		return a.shops[0]
	}
	return store.Shop{Region: "US", Currency: "USD"}
}

// mechanics lists the active mechanics of a shop ("" = every shop).
func (a *App) mechanics(shopID string) []store.Staff {
	var out []store.Staff
	for _, s := range a.staff {
		for _, r := range s.Roles {
			if r == store.RoleMechanic && (shopID == "" || s.ShopID == shopID) {
				out = append(out, s)
			}
		}
	}
	return out
}

// errText turns an error into a sentence for the screen. Store errors never hold personal
// values, so they may be shown; known ones are translated.
func (a *App) errText(err error) string {
	var ve *store.ValidationError
	var fe *store.FieldError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve):
		var parts []string
		for _, f := range ve.Fields {
			parts = append(parts, a.T(fieldLabel(f.Field))+": "+a.T(f.Reason))
		}
		return strings.Join(parts, "; ")
	case errors.As(err, &fe):
		return a.T(fieldLabel(fe.Field)) + ": " + a.T(fe.Reason)
	case errors.Is(err, store.ErrForbidden):
		return a.T("Your role does not allow this.")
	case errors.Is(err, store.ErrNotFound):
		return a.T("Not found, or not visible to you.")
	case errors.Is(err, store.ErrBadCredentials):
		return a.T("Wrong username or password.")
	case errors.Is(err, store.ErrLockedOut):
		return a.T("This account is locked after repeated failed sign-ins. Wait 15 minutes or ask the owner to reset the password.")
	case errors.Is(err, store.ErrInactive):
		return a.T("This account is deactivated. Ask the owner.")
	case errors.Is(err, store.ErrTampered):
		return a.T("A stored record failed authentication: the database was altered outside Spoke. Ask the owner to run Verify.")
	case errors.Is(err, keychain.ErrNoKeychain):
		return a.T("No system keychain answered on this computer, so Spoke cannot fetch the database key from it. Enter the passphrase, or the recovery code from the emergency kit.")
	case errors.Is(err, context.Canceled):
		return a.T("Cancelled.")
	}
	return err.Error()
}

// fieldLabel maps a store field name to its (translatable) form label.
func fieldLabel(f string) string {
	switch {
	case strings.HasPrefix(f, "lines["):
		return "Line"
	}
	switch f {
	case "name":
		return "Name"
	case "email":
		return "E-mail"
	case "phone":
		return "Phone"
	case "address":
		return "Address"
	case "birthday":
		return "Birthday"
	case "notes":
		return "Notes"
	case "text":
		return "Text"
	case "shop":
		return "Shop"
	case "owner":
		return "Salesperson"
	case "username":
		return "Username"
	case "password":
		return "Password"
	case "role":
		return "Role"
	case "region":
		return "Country"
	case "complaint":
		return "Complaint"
	case "bike":
		return "Bike"
	case "mechanic":
		return "Mechanic"
	case "status":
		return "Status"
	case "make":
		return "Make"
	case "year":
		return "Year"
	case "type":
		return "Type"
	case "serial":
		return "Frame serial"
	case "payment_method":
		return "Payment"
	case "lines":
		return "Lines"
	case "active":
		return "Active"
	case "schedule":
		return "Schedule"
	case "updated_at":
		return "Last changed"
	}
	return f
}

// centered puts content in the middle of the window at a readable width.
func centered(content fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.NewCenter(container.New(&fixedWidth{w: width}, content))
}

// fixedWidth lays its objects out at a fixed width (and their own height).
type fixedWidth struct{ w float32 }

func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.w, h)
}

func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// heading is a bold, larger label.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// msgLabel is a wrapping label that takes no room while it has nothing to say.
type msgLabel struct {
	widget.Label
	a *App
}

// SetText sets the message and shows the label only while the message is not empty; the
// window is laid out again, since the label's height changed.
func (l *msgLabel) SetText(s string) {
	if s == l.Text && l.Visible() == (s != "") {
		return
	}
	l.Label.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
	if l.a != nil {
		l.a.relayout()
	}
}

func (a *App) newMsgLabel(imp widget.Importance) *msgLabel {
	l := &msgLabel{a: a}
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	l.ExtendBaseWidget(l)
	l.Hide()
	return l
}

// errorLabel is a label for error messages (red, wrapping, hidden until used).
func (a *App) errorLabel() *msgLabel { return a.newMsgLabel(widget.DangerImportance) }

// relayout re-runs every layout of the window after content changed size.
func (a *App) relayout() {
	if c := a.W.Content(); c != nil {
		c.Refresh()
	}
}

// button is a widget.Button that also counts as activity for the idle lock.
func (a *App) button(label string, icon fyne.Resource, fn func()) *widget.Button {
	return widget.NewButtonWithIcon(label, icon, func() { a.touch(); fn() })
}
