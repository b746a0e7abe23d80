package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/protocol"
	"spoke/store"
	"spoke/sync/engine"
	"spoke/sync/hub"
	"spoke/sync/hub/sqlite"
)

// startHub runs a real hub (TLS 1.3, client certificates, SQLite storage) on a loopback port
// and returns the owner's first enrollment code, as `spoke-hub init` prints it.
func startHub(t *testing.T) protocol.EnrollCode {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	d, err := hub.InitDir(t.TempDir(), addr, hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hs, err := sqlite.Open(ctx, filepath.Join(d.Path, hub.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hub.NewServer(hub.ConfigFromDir(d, hs, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(); hs.Close() })
	code, _, err := hub.IssueToken(ctx, hs, d.CA, addr, protocol.RoleOwner, nil, nil, "init", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// waitFor polls until cond holds (background work the app does not track, such as the sync
// loop's rounds).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSyncScreenConnectSyncDevicesAndConflicts(t *testing.T) {
	ctx := context.Background()
	code := startHub(t)
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	sh := a.Shell
	sh.Show(tabSync)
	a.Wait()
	s := sh.Sync
	if !strings.Contains(s.State.Text, "Not connected") || !strings.Contains(screenText(a), "spoke connect --code CODE") {
		t.Fatalf("unconnected sync screen: %q", screenText(a))
	}
	test.Type(s.Code, "spoke1_garbage")
	test.Tap(s.Connect)
	a.Wait()
	if !strings.Contains(s.Error.Text, "not a valid Spoke code") || a.eng != nil {
		t.Fatalf("a bad code: %q", s.Error.Text)
	}
	s.Code.SetText(code.Encode())
	test.Tap(s.Connect)
	// The background loop starts when the connect hands back, and its first round runs at
	// once; it must be over before the write below, so that Sync now is the round pushing it.
	a.bg.Wait()
	state, err := a.st.SyncState(ctx)
	if err != nil || state.LastSync.IsZero() {
		t.Fatalf("connect's first round: %v %+v", err, state)
	}
	a.Wait()
	if a.eng == nil || !strings.Contains(s.State.Text, "Connected") || !strings.Contains(s.Result.Text, "Pushed") {
		t.Fatalf("connect: state %q result %q error %q", s.State.Text, s.Result.Text, s.Error.Text)
	}
	waitFor(t, "the background loop's first round", func() bool {
		st, err := a.st.SyncState(ctx)
		return err == nil && st.LastSync.After(state.LastSync)
	})

	// The owner sees this device, makes a code for a second owner computer and enrols it.
	waitFor(t, "the device list", func() bool { a.Wait(); return len(s.devices) == 1 })
	me := a.st.DeviceID()
	if !strings.Contains(screenText(a), shortID(me)) {
		t.Fatalf("device list does not show this device: %q", screenText(a))
	}
	test.Tap(s.AddDevice)
	a.Wait()
	second, err := protocol.DecodeEnrollCode(s.NewCode.Text)
	if err != nil || !s.NewCode.Selectable || !s.codeBox.Visible() {
		t.Fatalf("add device code %q: %v", s.NewCode.Text, err)
	}
	st2, eng2 := enrolSecond(t, second)
	// The same customer edited on both computers: the second one first, this one later, so
	// this one's value wins and the second one's is kept here as a conflict.
	id := editOnBoth(t, a, st2, eng2)
	s.Refresh()
	a.Wait()
	if s.pendingChanges == 0 {
		t.Fatalf("no pending change after a write: %q", s.Pending.Text)
	}
	test.Tap(s.SyncNow)
	a.Wait()
	if !strings.Contains(s.Result.Text, "Pushed ") || strings.Contains(s.Result.Text, "Pushed 0") || s.LastSync.Text == "never" || s.LastSync.Text == "" {
		t.Fatalf("sync now: result %q, last sync %q", s.Result.Text, s.LastSync.Text)
	}
	if s.pendingChanges != 0 || s.pendingSets != 0 || !strings.HasPrefix(s.Pending.Text, "0 change(s)") {
		t.Fatalf("still pending after a sync: %q", s.Pending.Text)
	}
	var lost store.Conflict
	for _, c := range s.conflicts {
		if c.Column == "name" {
			lost = c
		}
	}
	if lost.Value != "Ada (second computer)" || !strings.Contains(screenText(a), "Ada (second computer)") {
		t.Fatalf("conflicts: %+v\n%s", s.conflicts, screenText(a))
	}
	n := len(s.conflicts)
	s.RestoreConflict(lost.ID)
	a.Wait()
	if card, err := a.Session().Customer(ctx, id, ""); err != nil || card.Name != "Ada (second computer)" || len(s.conflicts) != n-1 {
		t.Fatalf("restored conflict: %v %+v, %d left", err, card, len(s.conflicts))
	}

	// Every device's audit chain matches its checkpoint at the hub.
	test.Tap(s.Verify)
	a.Wait()
	if !strings.Contains(s.Anchors.Text, "All audit chains match") || !strings.Contains(s.Anchors.Text, shortID(st2.DeviceID())) {
		t.Fatalf("verify: %q", s.Anchors.Text)
	}

	// Revoking the second computer asks first, then the hub refuses it.
	waitFor(t, "two devices", func() bool { s.refreshDevices(); a.Wait(); return len(s.devices) == 2 })
	s.AskRevoke(st2.DeviceID())
	if s.ConfirmRevoke == nil || !strings.Contains(screenText(a), "Revoke this device?") {
		t.Fatalf("no confirmation: %q", screenText(a))
	}
	s.ConfirmRevoke.Confirm()
	a.Wait()
	if !strings.Contains(s.DevicesNote.Text, "Revoked") {
		t.Fatalf("revoke: %q", s.DevicesNote.Text)
	}
	for _, d := range s.devices {
		if d.ID == st2.DeviceID() && d.Status != "revoked" {
			t.Fatalf("second computer is %s", d.Status)
		}
	}
	if _, err := eng2.SyncNow(ctx); err == nil {
		t.Fatal("the revoked computer still syncs")
	}
}

// enrolSecond sets up a second computer with a code from Add device and syncs it once.
func enrolSecond(t *testing.T, code protocol.EnrollCode) (*store.Store, *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	st, _, err := store.CreateReplica(ctx, t.TempDir(), store.Options{Passphrase: "second device pass", KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := engine.Join(ctx, st.Replica(), code); err != nil {
		t.Fatal(err)
	}
	hc, err := engine.Dial(ctx, st.Replica())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Close)
	eng := engine.New(st.Replica(), hc)
	if _, err := eng.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	return st, eng
}

// editOnBoth renames Ada on the second computer (which syncs) and then on the app's, so the
// second computer's name loses the merge here. It returns the customer's id.
func editOnBoth(t *testing.T, a *App, st2 *store.Store, eng2 *engine.Engine) string {
	t.Helper()
	ctx := context.Background()
	ss2, err := st2.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss2.BuildIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	found, err := ss2.Search(ctx, "Ada", 5)
	if err != nil || len(found) != 1 {
		t.Fatalf("replica search: %v %v", err, found)
	}
	id := found[0].ID
	if err := ss2.UpdateCustomer(ctx, id, store.CustomerInput{Name: "Ada (second computer)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng2.SyncNow(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Session().UpdateCustomer(ctx, id, store.CustomerInput{Name: "Ada (this computer)"}); err != nil {
		t.Fatal(err)
	}
	return id
}
