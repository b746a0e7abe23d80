package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// TestHeldExportGUI: a manager's Export… of her shop (over the limit of 50) is held and says
// who can approve it; the owner sees the notice, approves it on the Held requests pane (after
// typing her password again, the sign-in being older than five minutes: a wrong one is
// refused and counted); the manager then runs it into a file.
func TestHeldExportGUI(t *testing.T) {
	h := newDemoAppOneClock(t)
	a := h.a
	dir := t.TempDir()
	mgr := h.signInAs("manager", "")
	cs := a.Shell.Customers
	if cs.BulkExport == nil {
		t.Fatal("the manager's customer list has no Export…")
	}
	test.Tap(cs.BulkExport.Button)
	v := cs.BulkExport
	v.Format.SetSelected("csv")
	test.Tap(v.Next)
	v.Prompt.Folder.SetText(dir)
	test.Tap(v.Prompt.Save)
	a.Wait()
	if v.Held == nil || v.Held.Count <= 50 {
		t.Fatalf("not held: %+v", v.Held)
	}
	id := v.Held.ID
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatal("a held export wrote a file")
	}

	a.SwitchUser()
	a.Wait()
	owner := h.signInAs("owner", "")
	a.checkNotices()
	a.Wait()
	if n := a.Shell.Notices[paneHolds]; n == nil || !strings.Contains(n.Text.Text, "wait for your approval") {
		t.Fatalf("the owner's notice: %v", a.Shell.Notices)
	}
	p := showAdmin[*HoldsPane](t, a, paneHolds)
	p.Select(id)
	if p.Approve.Disabled() || !p.Run.Disabled() {
		t.Fatal("the owner's buttons")
	}
	h.clock.Add(6 * time.Minute)
	test.Tap(p.Approve)
	a.Wait()
	if a.Reauth == nil {
		t.Fatal("no password prompt after six minutes")
	}
	test.Type(a.Reauth.Password, "wrong password")
	test.Tap(a.Reauth.OK)
	a.Wait()
	if a.Reauth == nil || a.Reauth.Error.Text == "" {
		t.Fatal("a wrong password passed")
	}
	test.Type(a.Reauth.Password, owner.Password)
	test.Tap(a.Reauth.OK)
	a.Wait()
	if a.Reauth != nil || p.Error.Text != "" || !strings.Contains(p.Result.Text, "Approved") {
		t.Fatalf("after the password: %q %q", p.Error.Text, p.Result.Text)
	}

	a.SwitchUser()
	a.Wait()
	h.signIn(mgr.Username, mgr.Password)
	p = showAdmin[*HoldsPane](t, a, paneHolds)
	p.Select(id)
	if p.Run.Disabled() || !p.Approve.Disabled() {
		t.Fatal("the manager's buttons")
	}
	test.Tap(p.Run)
	p.Prompt.Folder.SetText(dir)
	test.Tap(p.Prompt.Save)
	a.Wait()
	if p.Error.Text != "" {
		t.Fatalf("run: %s", p.Error.Text)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "customers-*.csv"))
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(b), "id,shop_id,owner,name") || strings.Count(string(b), "\n") != v.Held.Count+1 {
		t.Fatalf("the CSV has %d lines", strings.Count(string(b), "\n"))
	}
	if hs, _ := a.Session().Holds(t.Context()); len(hs) == 0 || hs[0].Status != store.HoldDone {
		t.Fatalf("after the run: %+v", hs)
	}
}

// TestNoBulkExportForSales: a salesperson's customer list has no Export… and no Held requests pane.
func TestNoBulkExportForSales(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("sales", "")
	if a.Shell.Customers.BulkExport != nil {
		t.Fatal("a salesperson has Export…")
	}
	if mayHolds(a) {
		t.Fatal("a salesperson sees the held requests")
	}
}

// TestBulkDeleteGUI: a manager searches, taps Delete shown… and confirms: a few customers go at
// once; over the limit the deletion is held and the owner's Held requests pane has it.
func TestBulkDeleteGUI(t *testing.T) {
	h := newDemoAppOneClock(t)
	a := h.a
	h.signInAs("manager", "")
	cs := a.Shell.Customers
	if cs.BulkDelete == nil {
		t.Fatal("the manager's customer list has no Delete shown…")
	}
	// A narrow search first: at most the limit, deleted at once.
	first := cs.ResultNames()
	if len(first) == 0 {
		cs.Search.SetText("a")
		a.Wait()
		first = cs.ResultNames()
	}
	cs.Search.SetText(strings.Fields(first[0])[0])
	a.Wait()
	n := len(cs.results)
	if n == 0 || n > 10 {
		t.Skipf("test premise: a search showing 1 to 10 customers (got %d)", n)
	}
	test.Tap(cs.BulkDelete.Button)
	cs.BulkDelete.Confirm.Confirm()
	a.Wait()
	if cs.BulkDelete.Deleted != n || cs.BulkDelete.Held != nil {
		t.Fatalf("deleted %d of %d, held %+v", cs.BulkDelete.Deleted, n, cs.BulkDelete.Held)
	}
	// Everyone shown: over the limit, held.
	cs.Search.SetText("")
	a.Wait()
	if len(cs.results) <= 10 {
		t.Skipf("test premise: more than 10 customers shown (got %d)", len(cs.results))
	}
	test.Tap(cs.BulkDelete.Button)
	cs.BulkDelete.Confirm.Confirm()
	a.Wait()
	if cs.BulkDelete.Held == nil || cs.BulkDelete.Deleted != 0 {
		t.Fatalf("not held: %+v", cs.BulkDelete)
	}
	id := cs.BulkDelete.Held.ID
	a.SwitchUser()
	a.Wait()
	h.signInAs("owner", "")
	p := showAdmin[*HoldsPane](t, a, paneHolds)
	p.Reload()
	a.Wait()
	if !slices.ContainsFunc(p.Holds, func(h store.BulkHold) bool { return h.ID == id && h.Kind == store.HoldDelete }) {
		t.Fatalf("the owner's pane has no deletion request %s: %+v", id, p.Holds)
	}
}
