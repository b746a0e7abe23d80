package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/assets"
	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/demo"
	"spoke/store"
)

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
	a.retention.Stop()
	a.retention = nil
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
		d, err := demo.CreateShop(a.ctx, dir, n, 1, o, func(stage string, done, total int) {
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
	a.setContent(ui.Centered(box, 460))
	a.Loading = l
	return l
}

func (a *App) showFatal(err error) {
	msg := widget.NewLabel(a.errText(err))
	msg.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle(a.T("Spoke could not start"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	a.setContent(ui.Centered(container.NewVBox(title, msg), 560))
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
	ss, sched, ret := a.ss, a.sched, a.retention
	if a.scEnd != nil {
		a.scEnd()
	}
	a.ss, a.user, a.staff, a.indexed, a.sched, a.retention, a.backupWarning = nil, store.User{}, nil, false, nil, nil, ""
	a.Shell = nil
	a.W.SetContent(widget.NewLabel(""))
	if ss != nil {
		a.async(func() func() {
			// The scheduler works as the signed-out user: it stops (its context is cancelled,
			// a backup in progress aborts) before the session ends.
			if sched != nil {
				sched.Stop()
			}
			ret.Stop() // likewise the daily retention run
			ss.SignOut(context.Background())
			return nil
		})
	}
}
