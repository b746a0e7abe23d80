package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// queued waits until n hand-backs wait for Wait (Options.QueueUI).
func queued(t *testing.T, a *App, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		a.qmu.Lock()
		got := len(a.queue)
		a.qmu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("fewer than %d hand-backs queued", n)
}

// runQueued runs the hand-backs queued so far on the test goroutine (the UI goroutine of
// Options.QueueUI), without waiting for work still running, as Wait would.
func runQueued(a *App) {
	a.qmu.Lock()
	q := a.queue
	a.queue = nil
	a.qmu.Unlock()
	for _, fn := range q {
		fn()
	}
}

// A load that finishes after a lock must not reach the screens of whoever signs in next, even
// the same user again: its answer is dropped, and its context was cancelled with the session.
func TestLoadAfterLockDoesNotTouchTheNextSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(a *App)
	}{
		{"lock", func(a *App) { a.Lock("") }},
		{"switch user", func(a *App) { test.Tap(a.Shell.SwitchBtn) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSmallApp(t)
			a := h.a
			h.signInOwner()
			old := a.Session()

			release := make(chan struct{})
			workCtxErr := make(chan error, 1)
			handedBack := false
			load(a, func(ctx context.Context, ss *store.Session) (string, error) {
				<-release
				workCtxErr <- ctx.Err()
				return "the old session's answer", nil
			}, func(v string, err error) {
				handedBack = true
				a.Shell.setBackupWarning(v) // what a screen's hand-back does: write to the shell
			})

			tc.end(a)
			// Sign in again, and let the old load answer only once the new session is in place,
			// so its hand-back runs while the new session is current. Wait would wait for the
			// old load too, so the test runs the hand-backs before it itself.
			queued(t, a, 1) // the sign-in screen's list of names
			runQueued(a)
			s := a.SignIn
			s.User.SetSelected(smallOwner)
			test.Type(s.Password, smallOwnerPW)
			test.Tap(s.SignIn)
			queued(t, a, 1) // the sign-in's hand-back
			runQueued(a)
			if a.Session() == nil || a.Session() == old {
				t.Fatal("not signed in again with a new session")
			}
			close(release)
			a.Wait()

			if a.Session() == nil || a.Session() == old || a.Shell == nil {
				t.Fatal("not signed in again with a new session")
			}
			if handedBack {
				t.Fatal("a load of the previous session handed its answer to the new one")
			}
			if got := a.Shell.BackupWarning.Text; got == "the old session's answer" {
				t.Fatalf("the new shell shows the old session's answer: %q", got)
			}
			if err := <-workCtxErr; err == nil {
				t.Fatal("the old session's work ran with a live context after the lock")
			}

			// A load of the current session still hands back.
			var got string
			load(a, func(context.Context, *store.Session) (string, error) { return "fresh", nil },
				func(v string, err error) { got = v })
			a.Wait()
			if got != "fresh" {
				t.Fatalf("a current session's load handed back %q", got)
			}
		})
	}
}

// Nobody signed in: load runs nothing.
func TestLoadWithoutSessionRunsNothing(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	ran := false
	load(a, func(context.Context, *store.Session) (int, error) { ran = true; return 0, nil },
		func(int, error) { ran = true })
	a.Wait()
	if ran {
		t.Fatal("load ran with nobody signed in")
	}
}

// loadLatest hands back only the newest load's answer, whichever finishes last; drop makes
// every answer on its way moot; do hands a write's error back.
func TestLoadLatestDropsOlderAnswers(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	var l latest
	var got []string
	slow := make(chan struct{})
	loadLatest(a, &l, func(context.Context, *store.Session) (string, error) { <-slow; return "older", nil },
		func(v string, _ error) { got = append(got, v) })
	loadLatest(a, &l, func(context.Context, *store.Session) (string, error) { return "newer", nil },
		func(v string, _ error) { got = append(got, v) })
	queued(t, a, 1) // the newer answer is in first
	close(slow)
	a.Wait()
	if len(got) != 1 || got[0] != "newer" {
		t.Fatalf("handed back %q, want only the newer answer", got)
	}

	got = nil
	loadLatest(a, &l, func(context.Context, *store.Session) (string, error) { return "withdrawn", nil },
		func(v string, _ error) { got = append(got, v) })
	l.drop()
	a.Wait()
	if len(got) != 0 {
		t.Fatalf("a dropped load handed back %q", got)
	}

	var werr error = context.Canceled
	do(a, func(context.Context, *store.Session) error { return nil }, func(err error) { werr = err })
	a.Wait()
	if werr != nil {
		t.Fatalf("do handed back %v, want nil", werr)
	}
}
