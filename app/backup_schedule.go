package app

import (
	"context"
	"errors"
	"strings"

	"spoke/store"
	"spoke/store/backup"
)

// backupStatusEvery is how often (in idle-ticker ticks) the shell re-reads the backup folder
// for its warning banner, so a backup the scheduler took meanwhile clears it.
const backupStatusEvery = 60 // 5 minutes

// startBackups makes the signed-in owner's or manager's scheduler and starts it when a folder
// is configured. It stops at sign-out, lock and quit.
func (a *App) startBackups() {
	if !a.can(store.OpBackup) {
		return
	}
	ctx := a.sc
	sched := backup.NewScheduler(a.ss)
	a.sched = sched
	load(a, func(ctx context.Context, ss *store.Session) (store.BackupConfig, error) { return ss.BackupConfig(ctx) }, func(cfg store.BackupConfig, err error) {
		if err == nil && cfg.Folder != "" && a.sched == sched {
			sched.Start(ctx)
		}
	})
}

// backupState is what the shell's warning banner is made from.
type backupState struct {
	cfg    store.BackupConfig
	empty  bool
	status *backup.Status
	err    error
}

// checkBackups re-reads the backup folder and shows or hides the shell's warning banner.
func (a *App) checkBackups() {
	if a.Shell == nil || !a.can(store.OpBackup) {
		return
	}
	now := a.opts.Now()
	load(a, func(ctx context.Context, ss *store.Session) (backupState, error) {
		var b backupState
		b.cfg, b.err = ss.BackupConfig(ctx)
		if b.err == nil && b.cfg.Folder != "" {
			b.empty = folderEmpty(b.cfg.Folder)
			if !b.empty {
				sch := backup.Schedule{Full: b.cfg.Full, Differential: b.cfg.Differential, Incremental: b.cfg.Incremental, KeepFulls: b.cfg.KeepFulls}
				b.status, b.err = backup.FolderStatus(ctx, b.cfg.Folder, backup.Credentials{Session: ss}, sch, now)
			}
		}
		return b, nil // the banner shows b.err itself
	}, func(b backupState, _ error) {
		if a.Shell != nil {
			a.Shell.setBackupWarning(a.backupWarningText(b))
		}
	})
}

// backupWarningText is the banner's text ("" when backups are in order).
func (a *App) backupWarningText(b backupState) string {
	switch {
	case errors.Is(b.err, context.Canceled):
		return ""
	case b.err != nil && b.cfg.Folder == "":
		return a.errText(b.err)
	case b.cfg.Folder == "":
		return a.T("No backup folder is set up: if this computer is lost or breaks, the shop's data is gone. Choose a folder on a USB disk or network share under Backups.")
	case b.empty:
		return a.T("No backup has been taken yet. Open Backups and tap Back up now.")
	case b.err != nil:
		return a.T("The backup folder %s cannot be read (%s). Is the disk connected?", b.cfg.Folder, a.errText(b.err))
	}
	st := b.status
	var parts []string
	if st.LastDrillFailed {
		parts = append(parts, a.T("The last restore drill FAILED: the newest backup may not restore. Check the folder and take a full backup."))
	}
	if st.BackupOverdue {
		if st.LastBackup.IsZero() {
			parts = append(parts, a.T("Backups are overdue: there is none yet."))
		} else {
			parts = append(parts, a.T("Backups are overdue: the last one was taken %s.", minute(st.LastBackup)))
		}
	}
	if st.DrillOverdue && !st.LastDrillFailed {
		if st.LastPassedDrill.IsZero() {
			parts = append(parts, a.T("No restore drill has passed yet."))
		} else {
			parts = append(parts, a.T("No restore drill has passed since %s.", minute(st.LastPassedDrill)))
		}
	}
	return strings.Join(parts, " ")
}
