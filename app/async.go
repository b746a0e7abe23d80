package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"

	"spoke/store"
)

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

// load runs work off the UI goroutine with the signed-in session and that session's context,
// then hands its answer to done on the UI goroutine, but only while the same session is still
// signed in: after a sign-out, a lock or a switch of user the answer is dropped, so slow work
// never reaches a later session's screens or state. Every store call of a screen goes
// through it (writes too: their screen is gone with the session). Nobody signed in: nothing
// runs.
func load[T any](a *App, work func(ctx context.Context, ss *store.Session) (T, error), done func(T, error)) {
	loadLatest(a, nil, work, done)
}

// loadLatest is load for work asked for again and again (a search typed further, other
// filters): the answer is dropped too when a newer load on l was started since. l nil: load.
func loadLatest[T any](a *App, l *latest, work func(ctx context.Context, ss *store.Session) (T, error), done func(T, error)) {
	ss, ctx := a.ss, a.sc
	if ss == nil {
		return
	}
	var n uint64
	if l != nil {
		l.n++
		n = l.n
	}
	a.async(func() func() {
		v, err := work(ctx, ss)
		return func() {
			if !a.current(ss) || l != nil && l.n != n {
				return
			}
			if errors.Is(err, store.ErrReauthRequired) {
				// A sensitive action on an old sign-in: ask for the password, then try again.
				a.askReauth(func() { loadLatest(a, l, work, done) }, func() { done(v, err) })
				return
			}
			done(v, err)
		}
	})
}

// do is load for work that answers only with an error (a write).
func do(a *App, work func(ctx context.Context, ss *store.Session) error, done func(error)) {
	load(a, func(ctx context.Context, ss *store.Session) (struct{}, error) { return struct{}{}, work(ctx, ss) },
		func(_ struct{}, err error) { done(err) })
}

// latest counts the loads of one kind (see loadLatest); its zero value is ready.
type latest struct{ n uint64 }

// drop makes every answer still on its way moot (the request it answers was withdrawn).
func (l *latest) drop() { l.n++ }

// current reports whether ss is the signed-in session.
func (a *App) current(ss *store.Session) bool { return ss != nil && a.ss == ss }

// handBack runs fn on the UI goroutine while ss is still the signed-in session: for progress
// reported from inside work started by load.
func (a *App) handBack(ss *store.Session, fn func()) {
	a.ui(func() {
		if a.current(ss) {
			fn()
		}
	})
}
