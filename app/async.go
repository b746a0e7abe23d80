package app

import "fyne.io/fyne/v2"

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
