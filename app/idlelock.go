package app

import (
	"time"

	"fyne.io/fyne/v2"
)

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
// taken a backup), the requests banner (a deadline passed) and the sync screen's state (the
// background loop may have synced).
func (a *App) periodic() {
	a.ticks++
	if a.Shell == nil {
		return
	}
	// While the banner is up, look every minute, so it goes soon after a scheduled backup.
	if a.ticks%backupStatusEvery == 0 || a.backupWarning != "" && a.ticks%(60/idleTickS) == 0 {
		a.checkBackups()
	}
	if a.ticks%backupStatusEvery == 0 {
		a.checkRequests() // a deadline passes, or a request arrives by sync
	}
	if a.ticks%(60/idleTickS) == 0 {
		a.Shell.refreshShown(tabSync)
	}
}

// SetIdleTimeout changes (and remembers) the idle lock time.
func (a *App) SetIdleTimeout(d time.Duration) {
	a.idle = d
	a.FyneApp.Preferences().SetInt(prefIdle, int(d/time.Minute))
}
