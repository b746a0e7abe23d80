package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Read-audit entries: the entry a read of personal data leaves (a lookup, opening a customer,
// reading the trail, a sales list) is committed on a pool of its own at synchronous=NORMAL, so
// the read does not wait for an fsync; everything else (customer data, the change log, staff,
// keys, denials, sign-in, sign-out, break-glass) stays at synchronous=FULL on the main pool.
//
// What a power cut can cost: only read-audit entries committed after the last fsync of the
// log, and never more than readAuditFlush's worth of them, because:
//
//   - In WAL mode a commit appends its pages to the log. A FULL commit fsyncs the log, which
//     makes every earlier frame durable too, and SQLite recovers the log only up to the first
//     frame whose checksum (chained over all earlier frames) fails. So what a power cut loses is
//     always a suffix of the log: the newest read-audit transactions, whole, in order.
//   - Each read-audit transaction carries its entry and the head pointer that authenticates it,
//     so the trail that survives ends at an entry whose head is intact: Verify holds, exactly.
//   - A read audit never raises the keychain anchor, and no head leaves the file (the keychain
//     anchor, a hub checkpoint, entries pushed to the hub, a backup) before flushReadAudits has
//     made it durable: holdReadAudits first flushes, then, until released, sends read audits to
//     the FULL pool. An anchor can therefore never name an entry a power cut may still take
//     away, which would look exactly like a rolled-back trail.
//   - At most readAuditFlush after a read-audit commit, a FULL commit makes it durable.
//
// A process crash (kill, panic) loses nothing: the log is written before the commit returns;
// only the fsync is deferred.

// readAuditFlush bounds how long a read-audit entry may stay in the operating system's cache
// only: one fsync per period of reading, whatever the number of reads.
const readAuditFlush = time.Second

// readAudits is the Store's read-audit pool and what it has not yet made durable.
type readAudits struct {
	// mu is held shared by a read audit from choosing its pool until its commit returns, and
	// taken exclusively for a moment by holdReadAudits, which therefore sees every NORMAL commit
	// finished before it flushes.
	mu    sync.RWMutex
	holds int // guarded by mu: while > 0, read audits commit at FULL

	// pending: a read-audit entry may not be durable yet. Set inside the entry's transaction
	// (after BEGIN IMMEDIATE took the write lock), cleared by a flush before it asks for the
	// write lock: a flush that clears it commits after every transaction that set it.
	pending atomic.Bool
	fmu     sync.Mutex // one flush at a time, so Close waits for the timer's

	omu    sync.Mutex // guards the fields below
	db     *sql.DB    // opened on first use; nil after Close
	closed bool
	timer  *time.Timer
	delay  time.Duration // readAuditFlush unless a test sets it
}

// readAuditDB returns the NORMAL pool, opening it on first use, or nil (closed, or it failed
// to open: the caller commits at FULL instead).
func (s *Store) readAuditDB() *sql.DB {
	s.ra.omu.Lock()
	defer s.ra.omu.Unlock()
	if s.ra.db == nil && !s.ra.closed {
		if db, err := openPool(s.dir, false, syncNormal, 2); err == nil {
			s.ra.db = db
		}
	}
	return s.ra.db
}

// auditRead records the entry of a read that succeeded. Denials and break-glass reads (an entry
// with a reason) are not read audits: they go through auditAlone, at FULL. A read audit never
// raises the keychain anchor.
func (s *Store) auditRead(ctx context.Context, a actor, e auditEntry) error {
	if e.Reason != "" || (e.Outcome != "" && e.Outcome != "ok") {
		return s.auditAlone(ctx, a, e)
	}
	if err := s.trailProblem(); err != nil {
		return err
	}
	if err := s.auditReadHeld(ctx, a, e); err != nil {
		return err
	}
	s.observe(ctx, "") // once the read-audit lock is let go: raising an alert writes
	return nil
}

func (s *Store) auditReadHeld(ctx context.Context, a actor, e auditEntry) error {
	s.ra.mu.RLock()
	defer s.ra.mu.RUnlock()
	db := s.readAuditDB()
	if db == nil || s.ra.holds > 0 {
		return s.auditTx(ctx, s.db, a, e, nil)
	}
	if err := s.auditTx(ctx, db, a, e, func() { s.ra.pending.Store(true) }); err != nil {
		return err
	}
	s.scheduleReadAuditFlush()
	return nil
}

// auditTx appends e in a transaction of its own on db; inTx runs inside it, before the commit.
func (s *Store) auditTx(ctx context.Context, db *sql.DB, a actor, e auditEntry, inTx func()) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if inTx != nil {
		inTx()
	}
	if err := s.appendAudit(ctx, tx, a, e); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) scheduleReadAuditFlush() {
	s.ra.omu.Lock()
	defer s.ra.omu.Unlock()
	if s.ra.timer != nil || s.ra.closed {
		return
	}
	d := s.ra.delay
	if d <= 0 {
		d = readAuditFlush
	}
	s.ra.timer = time.AfterFunc(d, func() {
		s.ra.omu.Lock()
		s.ra.timer = nil
		closed := s.ra.closed
		s.ra.omu.Unlock()
		if !closed && s.flushReadAudits(context.Background()) != nil {
			s.scheduleReadAuditFlush() // still pending: try again, so the bound holds
		}
	})
}

// flushReadAudits makes every committed read-audit entry durable: a FULL commit on the main
// pool fsyncs the log, and with it every frame written before. The commit rewrites
// PRAGMA user_version with its own value: it changes nothing, but it dirties the header page,
// and a commit that wrote no page would not fsync at all (SQLite also skips a row rewrite that
// leaves the bytes as they were).
func (s *Store) flushReadAudits(ctx context.Context) error {
	s.ra.fmu.Lock()
	defer s.ra.fmu.Unlock()
	if !s.ra.pending.Swap(false) {
		return nil
	}
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		s.ra.pending.Store(true)
		return fmt.Errorf("make read-audit entries durable: %w", err)
	}
	return nil
}

// holdReadAudits makes every read-audit entry durable and keeps new ones durable (committed at
// FULL) until release is called: for whatever lets the trail's head or entries leave the file.
func (s *Store) holdReadAudits(ctx context.Context) (release func(), err error) {
	s.ra.mu.Lock()
	s.ra.holds++
	s.ra.mu.Unlock()
	release = func() {
		s.ra.mu.Lock()
		s.ra.holds--
		s.ra.mu.Unlock()
	}
	if err := s.flushReadAudits(ctx); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// closeReadAudits stops the flush timer, waits for read audits under way, closes the NORMAL
// pool and makes what it wrote durable.
func (s *Store) closeReadAudits(ctx context.Context) error {
	s.ra.mu.Lock() // read audits hold it shared until their commit returned
	s.ra.omu.Lock()
	s.ra.closed = true
	if s.ra.timer != nil {
		s.ra.timer.Stop()
		s.ra.timer = nil
	}
	db := s.ra.db
	s.ra.db = nil
	s.ra.omu.Unlock()
	s.ra.mu.Unlock()
	if db != nil {
		db.Close()
	}
	return s.flushReadAudits(ctx)
}
