package backup

import (
	"context"
	"errors"
	"sync"
	"time"

	"spoke/store"
)

// Scheduler runs backups while the app runs, shaped like litestream's Replica: Start, Stop
// (cancel and wait) and a synchronous RunNow for the "Back up now" button and tests.
type Scheduler struct {
	ss    *store.Session
	every time.Duration // how often to look whether a backup is due
	now   func() time.Time

	runMu  sync.Mutex // one backup into the folder at a time, scheduled or manual
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	last   *Result
	err    error
}

// NewScheduler makes a scheduler for the session's saved BackupConfig.
func NewScheduler(ss *store.Session) *Scheduler {
	return &Scheduler{ss: ss, every: time.Minute, now: time.Now}
}

// ErrNotConfigured means no backup folder is set.
var ErrNotConfigured = errors.New("no backup folder is configured: choose one first")

func (s *Scheduler) config(ctx context.Context) (store.BackupConfig, Schedule, error) {
	c, err := s.ss.BackupConfig(ctx)
	if err != nil {
		return c, Schedule{}, err
	}
	if c.Folder == "" {
		return c, Schedule{}, ErrNotConfigured
	}
	return c, Schedule{Full: c.Full, Differential: c.Differential, Incremental: c.Incremental, KeepFulls: c.KeepFulls}, nil
}

// Due reports whether the newest backup is older than the most frequent scheduled kind.
func (s *Scheduler) Due(ctx context.Context) (bool, error) {
	c, sch, err := s.config(ctx)
	if err != nil {
		return false, err
	}
	st, err := FolderStatus(ctx, c.Folder, Credentials{Session: s.ss}, sch, s.now())
	if errors.Is(err, store.ErrForbidden) {
		return false, err
	}
	if err != nil {
		// A folder with no key file yet has never been backed up to.
		return true, nil
	}
	return st.BackupOverdue, nil
}

// RunNow takes the backup the schedule calls for (kind "" ) or the given kind, with its drill:
// asked for by the signed-in user, so audited under them.
func (s *Scheduler) RunNow(ctx context.Context, kind string) (*Result, error) {
	return s.run(ctx, kind, nil)
}

// scheduler is the principal of the backups the scheduler takes when due: no one asked for them.
const scheduler = store.System("backup-scheduler")

func (s *Scheduler) run(ctx context.Context, kind string, by store.Principal) (*Result, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	c, sch, err := s.config(ctx)
	if err != nil {
		return nil, err
	}
	r, err := Backup(ctx, s.ss, c.Folder, Options{Kind: kind, Schedule: sch, Now: s.now, by: by})
	s.mu.Lock()
	s.last, s.err = r, err
	s.mu.Unlock()
	return r, err
}

// Last returns the most recent result and error of a scheduled or manual run.
func (s *Scheduler) Last() (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.err
}

// Start checks every minute and backs up when due. A failure is kept for Last (the GUI shows
// it) and retried at the next check.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			if due, err := s.Due(ctx); err == nil && due {
				s.run(ctx, "", scheduler)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop cancels the loop and waits for a running backup to finish or abort.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
