// Package app is Spoke's Fyne GUI: screens, widgets, theme and translations. It holds no SQL
// and no cryptography; every read and write goes through store.Session (and store.Store for
// unlocking, setting up, signing in and verifying). It takes a fyne.App from cmd/spoke-gui, so its
// tests run on Fyne's software test driver without a display.
//
// Threading: anything that can take more than a frame (keychain reads, Argon2id unlock and
// sign-in, index builds, imports, every store call) runs in a goroutine started with
// App.async, which hands the result back to the UI goroutine with fyne.DoAndWait. A screen's
// store calls go through load (or loadLatest, do), which hands the answer back only while the
// session that asked is still signed in. Tests call App.Wait to let that work finish before
// they look at the screen.
//
// Screens are structs that keep their widgets as exported fields, so tests can tap and type.
// Widgets shared by screens live in app/ui, which never sees the App.
package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"spoke/assets"
	"spoke/crypto/keychain"
	"spoke/demo"
	"spoke/store"
	"spoke/store/backup"
	"spoke/sync/engine"
	"spoke/sync/hubclient"
)

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
	demo    *demo.Created
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
	// retention runs the retention policy daily for a signed-in owner or manager (nil otherwise).
	retention *retentionLoop
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
	// PasswordChange is the new-password screen after a sign-in whose password fails the
	// policy (password.go).
	PasswordChange *PasswordScreen
	// Reauth is the password prompt of a sensitive action while it is open (tests type into it).
	Reauth *ReauthPrompt
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

// Store is the unlocked store (nil before unlocking).
func (a *App) Store() *store.Store { return a.st }

// Session is the signed-in user's session (nil when nobody is signed in).
func (a *App) Session() *store.Session { return a.ss }

// Demo is the demo shop (nil unless started with --demo).
func (a *App) Demo() *demo.Created { return a.demo }

func (a *App) setContent(o fyne.CanvasObject) {
	a.Loading, a.Unlock, a.Setup, a.SignIn = nil, nil, nil, nil
	if a.Shell != nil && o != a.Shell.root {
		a.Shell = nil
	}
	a.W.SetContent(o)
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
