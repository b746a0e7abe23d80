package backup

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"spoke/store"
)

// staff adds a manager and a salesperson to the env's shop and signs them in.
func (e *env) staff(t *testing.T) (manager, sales *store.Session) {
	t.Helper()
	ctx := context.Background()
	shops, err := e.ss.Shops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.NewUser{
		{Username: "mia", Password: "manager-password-1", Roles: []store.Role{store.RoleManager}, ShopID: shops[0].ID},
		{Username: "sam", Password: "sales-password-1", Roles: []store.Role{store.RoleSales}, ShopID: shops[0].ID},
	} {
		if _, err := e.ss.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var err1, err2 error
	manager, err1 = e.st.SignIn(ctx, "mia", "manager-password-1")
	sales, err2 = e.st.SignIn(ctx, "sam", "sales-password-1")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return manager, sales
}

// denied returns how many denied entries of action the trail holds for user.
func (e *env) denied(t *testing.T, action string, user *store.Session) int {
	t.Helper()
	recs, err := e.ss.AuditLog(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Action == action && r.Outcome == "denied" && r.UserID == user.User().ID {
			n++
		}
	}
	return n
}

// TestBackupOperationsCheckTheirGrant: each operation checks the session it is given, not the
// caller: a manager backs up, lists, checks and reads the status but cannot restore; a
// salesperson can do none of it. Every refusal is audited under the operation's action, and a
// refused restore leaves nothing at the target.
func TestBackupOperationsCheckTheirGrant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	manager, sales := e.staff(t)

	// The manager's own backup, with its drill (a restore into scratch under the backup grant).
	r, err := Backup(ctx, manager, e.bdir, Options{Kind: Full, Now: func() time.Time { return e.clock }})
	if err != nil || r.Drill == nil || !r.Drill.Passed {
		t.Fatalf("manager backup: %v %+v", err, r)
	}
	if es, err := List(ctx, e.bdir, Credentials{Session: manager}); err != nil || len(es) != 1 {
		t.Fatalf("manager list: %v %d", err, len(es))
	}
	if problems, err := Check(ctx, e.bdir, Credentials{Session: manager}, true); err != nil || len(problems) != 0 {
		t.Fatalf("manager check: %v %v", err, problems)
	}
	if _, err := FolderStatus(ctx, e.bdir, Credentials{Session: manager}, DefaultSchedule, e.clock); err != nil {
		t.Fatalf("manager status: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, e.bdir, dst, Credentials{Session: manager}, RestoreOptions{Store: store.Options{KDF: fastKDF}, ProtectLikeSession: true}); !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("manager restore: %v", err)
	}
	if store.Exists(dst) {
		t.Fatal("a refused restore left a database behind")
	}
	if n := e.denied(t, "backup.restore", manager); n != 1 {
		t.Fatalf("manager's refused restore audited %d times", n)
	}

	for _, c := range []struct {
		action string
		run    func() error
	}{
		{"backup.create", func() error { _, err := Backup(ctx, sales, e.bdir, Options{Kind: Full}); return err }},
		{"backup.list", func() error { _, err := List(ctx, e.bdir, Credentials{Session: sales}); return err }},
		{"backup.check", func() error { _, err := Check(ctx, e.bdir, Credentials{Session: sales}, false); return err }},
		{"backup.status", func() error {
			_, err := FolderStatus(ctx, e.bdir, Credentials{Session: sales}, DefaultSchedule, e.clock)
			return err
		}},
		{"backup.restore", func() error {
			_, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "r"), Credentials{Session: sales}, RestoreOptions{})
			return err
		}},
	} {
		if err := c.run(); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("salesperson %s: %v", c.action, err)
		}
		if n := e.denied(t, c.action, sales); n != 1 {
			t.Errorf("salesperson's refused %s audited %d times", c.action, n)
		}
	}
	// The scheduler of a salesperson's session (the GUI never makes one) backs nothing up.
	if due, err := NewScheduler(sales).Due(ctx); due || err == nil {
		t.Fatalf("salesperson's scheduler: due=%v err=%v", due, err)
	}

	// The owner restores, protected as the data in use (a passphrase here).
	res, err := Restore(ctx, e.bdir, dst, Credentials{Session: e.ss}, RestoreOptions{Store: store.Options{KDF: fastKDF}, ProtectLikeSession: true})
	if err != nil {
		t.Fatalf("owner restore: %v", err)
	}
	if res.KeyStore != store.KeyStorePassphrase {
		t.Fatalf("restored copy keeps its key in %s", res.KeyStore)
	}
	st, err := store.Open(ctx, dst, store.Options{Passphrase: "pass phrase 1", KDF: fastKDF})
	if err != nil {
		t.Fatalf("the restored copy does not open with the passphrase of the data in use: %v", err)
	}
	st.Close()
	// The database in use records who restored what.
	recs, err := e.ss.AuditLog(ctx, store.AuditFilter{Action: "backup.restore", Limit: 5})
	if err != nil || len(recs) == 0 || recs[0].UserID != e.ss.User().ID || recs[0].Outcome != "ok" || recs[0].Target != res.Target.ID {
		t.Fatalf("restore not audited under the owner in the data in use: %+v %v", recs, err)
	}
	// A used folder is refused with a typed error.
	if _, err := Restore(ctx, e.bdir, dst, Credentials{Session: e.ss}, RestoreOptions{}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("restore into a used folder: %v", err)
	}
}

// TestScheduledBackupNamesItsPrincipal: a backup the scheduler takes because it was due is
// audited under "system:backup-scheduler" with this device's id (no person started it); one
// taken with "Back up now" (RunNow) names the user who asked.
func TestScheduledBackupNamesItsPrincipal(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	if err := e.ss.SetBackupConfig(ctx, store.BackupConfig{Folder: e.bdir, Full: 7 * 24 * time.Hour, Differential: 24 * time.Hour, Incremental: time.Hour, KeepFulls: 2}); err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(e.ss)
	s.every = 10 * time.Millisecond
	s.Start(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for r, _ := s.Last(); r == nil; r, _ = s.Last() {
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatal("scheduler never backed up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	scheduled, _ := s.Last()
	manual, err := s.RunNow(ctx, Incremental)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.ss.AuditLog(ctx, store.AuditFilter{Action: "backup."})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{scheduled.Manifest.ID: "system:backup-scheduler", manual.Manifest.ID: e.ss.User().ID}
	seen := map[string]int{}
	for _, r := range recs {
		by, ok := want[r.Target]
		if !ok || (r.Action != "backup.create" && r.Action != "backup.drill") {
			continue
		}
		if r.UserID != by || r.DeviceID != e.st.DeviceID() {
			t.Errorf("%s of %s recorded by %q on %q, want %q on %q", r.Action, r.Target, r.UserID, r.DeviceID, by, e.st.DeviceID())
		}
		seen[r.Target]++
	}
	if seen[scheduled.Manifest.ID] != 2 || seen[manual.Manifest.ID] != 2 {
		t.Fatalf("backup and drill entries: %v", seen)
	}
}
