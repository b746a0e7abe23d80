package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

func TestBackupNowDrillBannerAndRestore(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	sh := a.Shell
	// Nothing configured: the banner says so above every screen.
	if !sh.banner.Visible() || !strings.Contains(sh.BackupWarning.Text, "No backup folder") {
		t.Fatalf("no banner without a folder: visible %v %q", sh.banner.Visible(), sh.BackupWarning.Text)
	}
	test.Tap(sh.BackupOpen)
	a.Wait()
	if sh.Current() != tabBackups {
		t.Fatalf("banner button opened %q", sh.Current())
	}
	b := sh.Backups
	// The data folder itself is refused: a backup must survive the loss of this disk.
	b.Folder.SetText(filepath.Join(h.dir, "backups"))
	test.Tap(b.Save)
	a.Wait()
	if !strings.Contains(b.Error.Text, "outside Spoke's data folder") {
		t.Fatalf("backup into the data folder accepted: %q", b.Error.Text)
	}
	folder := filepath.Join(t.TempDir(), "usb")
	b.Folder.SetText(folder)
	test.Tap(b.Save)
	a.Wait()
	if b.Error.Text != "" || !strings.Contains(sh.BackupWarning.Text, "No backup has been taken yet") {
		t.Fatalf("after saving: error %q, banner %q", b.Error.Text, sh.BackupWarning.Text)
	}
	test.Tap(b.BackUpNow)
	a.Wait()
	if !strings.Contains(b.Result.Text, "Full backup taken") || !strings.Contains(b.Result.Text, "Restore drill passed") {
		t.Fatalf("back up now: %q", b.Result.Text)
	}
	if k := b.Kinds(); len(k) != 1 || !strings.HasPrefix(k[0], "Full: passed in") {
		t.Fatalf("history: %q", k)
	}
	if !strings.Contains(screenText(a), "passed in") {
		t.Fatal("the history list does not show the drill")
	}
	if sh.banner.Visible() {
		t.Fatalf("banner still up after a backup: %q", sh.BackupWarning.Text)
	}
	test.Tap(b.Check)
	a.Wait()
	if !strings.Contains(b.CheckResult.Text, "All good") {
		t.Fatalf("check: %q", b.CheckResult.Text)
	}

	// Restore refuses a folder that holds anything, and leaves it alone.
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, "keep.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.RestoreAt.Selected, "newest") {
		t.Fatalf("restore does not default to the newest backup: %q", b.RestoreAt.Selected)
	}
	b.RestoreDir.SetText(used)
	test.Tap(b.Restore)
	if b.ConfirmRestore == nil || !strings.Contains(screenText(a), "The data in use now is not changed") {
		t.Fatalf("no warning before restoring: %q", screenText(a))
	}
	b.ConfirmRestore.Confirm()
	a.Wait()
	if !strings.Contains(b.RestoreResult.Text, "is not empty") {
		t.Fatalf("restore into a used folder: %q", b.RestoreResult.Text)
	}
	if es, _ := os.ReadDir(used); len(es) != 1 {
		t.Fatalf("the used folder was touched: %v", es)
	}
	// The current data folder is refused before anything is asked.
	b.RestoreDir.SetText(h.dir)
	b.ConfirmRestore = nil
	test.Tap(b.Restore)
	if b.ConfirmRestore != nil || !strings.Contains(b.RestoreResult.Text, "current data folder") {
		t.Fatalf("restore over the data in use: %q", b.RestoreResult.Text)
	}
	// A new folder: restored, verified, and it opens.
	fresh := filepath.Join(t.TempDir(), "restored")
	b.RestoreDir.SetText(fresh)
	test.Tap(b.Restore)
	b.ConfirmRestore.Confirm()
	a.Wait()
	if !strings.Contains(b.RestoreResult.Text, "Restored and verified") || !strings.Contains(b.RestoreResult.Text, "spoke --data "+fresh) {
		t.Fatalf("restore: %q", b.RestoreResult.Text)
	}
	st, err := store.Open(context.Background(), fresh, store.Options{Passphrase: smallDevicePW, KDF: fastKDF})
	if err != nil {
		t.Fatalf("restored database does not open: %v", err)
	}
	st.Close()
}

func TestBackupsAndSyncTabsFollowTheRoles(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("sales", "")
	if a.Shell.HasTab(tabBackups) || a.Shell.HasTab(tabSync) || a.Shell.banner.Visible() || a.sched != nil {
		t.Fatalf("sales sees backups or sync: %q", screenText(a))
	}
	test.Tap(a.Shell.SwitchBtn)
	a.Wait()
	h.signInAs("manager", "")
	sh := a.Shell
	if !sh.HasTab(tabBackups) || !sh.banner.Visible() || a.sched == nil {
		t.Fatal("a manager has no backups or no banner")
	}
	// Managers back up; only the owner restores (the access matrix).
	if sh.Backups.Restore != nil {
		t.Fatal("a manager is offered a restore")
	}
	sh.Show(tabSync)
	a.Wait()
	if sh.Sync.Devices != nil || sh.Sync.Conflicts == nil || !strings.Contains(sh.Sync.State.Text, "Not connected") {
		t.Fatalf("manager's sync screen: %q", screenText(a))
	}
	if sh.Sync.Connect.Visible() {
		t.Fatal("a manager is offered to connect the device")
	}
	a.Lock("")
	a.Wait()
	if a.sched != nil {
		t.Fatal("the backup scheduler outlived the session")
	}
}
