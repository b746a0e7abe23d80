package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// poolPragmas are what every connection of a pool must report. A crash test alone cannot tell
// synchronous=FULL from OFF (a killed process loses nothing the OS already holds), so this
// asks each connection.
type poolPragmas struct {
	journal     string
	synchronous int // 1 NORMAL, 2 FULL
}

// checkPool closes the pool's idle connections, then holds as many connections as the pool
// allows at once, so every one of them is newly opened, and asks each for its pragmas.
func checkPool(t *testing.T, name string, db *sql.DB, want poolPragmas) {
	t.Helper()
	ctx := context.Background()
	db.SetMaxIdleConns(0) // closes the idle connections: what follows opens new ones
	defer db.SetMaxIdleConns(2)
	if n := db.Stats().OpenConnections; n != 0 {
		t.Fatalf("%s: %d connections still open", name, n)
	}
	max := db.Stats().MaxOpenConnections
	if max < 1 {
		t.Fatalf("%s: unbounded pool", name)
	}
	conns := make([]*sql.Conn, max)
	for i := range conns {
		conns[i] = must[*sql.Conn](t)(db.Conn(ctx))
		defer conns[i].Close()
	}
	if n := db.Stats().OpenConnections; n != max {
		t.Fatalf("%s: %d connections open, want %d new ones", name, n, max)
	}
	for i, c := range conns {
		var journal string
		var synchronous, fk, busy, secure, temp int
		for _, p := range []struct {
			q   string
			dst any
		}{
			{"PRAGMA journal_mode", &journal}, {"PRAGMA synchronous", &synchronous}, {"PRAGMA foreign_keys", &fk},
			{"PRAGMA busy_timeout", &busy}, {"PRAGMA secure_delete", &secure}, {"PRAGMA temp_store", &temp},
		} {
			if err := c.QueryRowContext(ctx, p.q).Scan(p.dst); err != nil {
				t.Fatalf("%s conn %d: %s: %v", name, i, p.q, err)
			}
		}
		if journal != want.journal || synchronous != want.synchronous || fk != 1 || busy != 10000 || secure != 1 || temp != 2 {
			t.Fatalf("%s conn %d: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d secure_delete=%d temp_store=%d, want %s and synchronous=%d",
				name, i, journal, synchronous, fk, busy, secure, temp, want.journal, want.synchronous)
		}
	}
}

// TestEveryConnectionsPragmas: the main pool commits at FULL, the read-audit pool at NORMAL,
// both in WAL mode, on a new database and on one opened again.
func TestEveryConnectionsPragmas(t *testing.T) {
	st, _ := newTestStore(t)
	check := func(st *Store) {
		checkPool(t, "main", st.db, poolPragmas{"wal", 2})
		ra := st.readAuditDB()
		if ra == nil {
			t.Fatal("no read-audit pool")
		}
		checkPool(t, "read-audit", ra, poolPragmas{"wal", 1})
	}
	check(st)
	dir := st.Dir()
	st.Close()
	st, err := Open(context.Background(), dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	check(st)
	// After a lookup went through it, still the same.
	ss := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(ss.CreateCustomer(context.Background(), CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	must[[]Customer](t)(ss.FindCustomers(context.Background(), ByEmail, "ada@example.com"))
	check(st)
}

// noTimer keeps the read-audit flush timer out of a test that watches what is pending.
func noTimer(st *Store) {
	st.ra.omu.Lock()
	st.ra.delay = time.Hour
	st.ra.omu.Unlock()
}

func lastAction(t *testing.T, st *Store) string {
	t.Helper()
	var a string
	if err := st.db.QueryRow("SELECT action FROM audit ORDER BY seq DESC LIMIT 1").Scan(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReadAuditsCommitAtNormal: the entries of reads that succeeded go through the NORMAL pool
// (pending until a flush); denials, break-glass and writes do not; anything that hands the head
// out of the file makes them durable first, and while it holds, reads commit at FULL.
func TestReadAuditsCommitAtNormal(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	noTimer(st)
	ss := signIn(t, st, "olga", "owner-password-1")
	id := must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	flushed := func() {
		t.Helper()
		if err := st.flushReadAudits(ctx); err != nil || st.ra.pending.Load() {
			t.Fatalf("flush: %v, pending %v", err, st.ra.pending.Load())
		}
	}
	flushed()

	for _, read := range []struct {
		action string
		run    func() error
	}{
		{"customer.lookup", func() error { _, err := ss.FindCustomers(ctx, ByEmail, "ada@example.com"); return err }},
		{"customer.read", func() error { _, err := ss.Customer(ctx, id, ""); return err }},
		{"audit.read", func() error { _, err := ss.AuditLog(ctx, AuditFilter{Limit: 5}); return err }},
	} {
		if err := read.run(); err != nil {
			t.Fatal(err)
		}
		if !st.ra.pending.Load() || lastAction(t, st) != read.action {
			t.Fatalf("%s: pending %v, last entry %s: not a read audit at NORMAL", read.action, st.ra.pending.Load(), lastAction(t, st))
		}
		seq, _, err := st.AuditHead(ctx) // a head handed out: durable first
		if err != nil || st.ra.pending.Load() || seq != headSeqRaw(t, st) {
			t.Fatalf("%s: AuditHead %d %v left it pending %v", read.action, seq, err, st.ra.pending.Load())
		}
	}

	// Not read audits: a write, a denial, a failed lookup's denial, a sign-in.
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper"}))
	if _, err := ss.Customer(ctx, "no-such-customer", ""); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	signIn(t, st, "olga", "owner-password-1")
	if st.ra.pending.Load() {
		t.Fatal("a write, a missing customer or a sign-in went through the NORMAL pool")
	}
	denied := auditEntry{Action: "customer.read", Target: id, Outcome: "denied"}
	breakGlass := auditEntry{Action: "customer.read.break_glass", Target: id, Reason: "customer called about a recall"}
	for _, e := range []auditEntry{denied, breakGlass} {
		if err := st.auditRead(ctx, ss.actor(), e); err != nil {
			t.Fatal(err)
		}
		if st.ra.pending.Load() || lastAction(t, st) != e.Action {
			t.Fatalf("%s (%s): committed at NORMAL", e.Action, e.Outcome)
		}
	}

	// While something holds the trail (a backup's snapshot, a push to the hub), reads commit at
	// FULL, so whatever it copies out is durable.
	release, err := st.holdReadAudits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
	if st.ra.pending.Load() || lastAction(t, st) != "customer.lookup" {
		t.Fatal("a read during a hold committed at NORMAL")
	}
	release()
	must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
	if !st.ra.pending.Load() {
		t.Fatal("after the hold, reads still commit at FULL")
	}
	// Entries pushed to other devices are durable too.
	if _, err := st.localAudit(ctx, 0, 1000); err != nil || st.ra.pending.Load() {
		t.Fatalf("localAudit: %v, pending %v", err, st.ra.pending.Load())
	}
	// So are those a backup copies (its manifest is an anchor), full or incremental.
	for _, kind := range []string{"full", "stream", "delta"} {
		must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
		lookup := headSeqRaw(t, st)
		var p *Snapshot
		var err error
		switch kind {
		case "full":
			p, err = ss.BackupSnapshot(ctx, filepath.Join(t.TempDir(), "snap.db"))
		case "stream":
			p, _, err = ss.StreamSnapshot(ctx, io.Discard)
		default:
			p, err = ss.BackupDelta(ctx, filepath.Join(t.TempDir(), "delta.db"), &Snapshot{DatabaseID: st.DatabaseID(), SchemaVersion: ClocksSchema})
		}
		if err != nil || st.ra.pending.Load() || p.AuditSeq < lookup {
			t.Fatalf("%s backup: %v, pending %v, its head %d below the lookup's %d", kind, err, st.ra.pending.Load(), p.AuditSeq, lookup)
		}
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// headSeqRaw is the newest entry's seq without flushing anything.
func headSeqRaw(t *testing.T, st *Store) int64 {
	t.Helper()
	seq, _, err := auditHeadIn(context.Background(), st.db)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// TestReadAuditFlushedWithinBound: with nothing else happening, the timer makes a read's entry
// durable by itself.
func TestReadAuditFlushedWithinBound(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	st.ra.omu.Lock()
	st.ra.delay = 10 * time.Millisecond
	st.ra.omu.Unlock()
	ss := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
	seq := headSeqRaw(t, st)
	// Not a timing threshold: wait for as long as it takes, the test's own timeout bounds it.
	for st.ra.pending.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	if headSeqRaw(t, st) != seq || lastAction(t, st) != "customer.lookup" {
		t.Fatal("the flush changed the trail")
	}
}

// TestReadAuditSurvivesCleanClose: Close makes the NORMAL entries durable and they are part of
// the chain when the database is opened again.
func TestReadAuditSurvivesCleanClose(t *testing.T) {
	ctx := context.Background()
	for _, keychain := range []bool{false, true} {
		t.Run(fmt.Sprintf("keychain=%v", keychain), func(t *testing.T) {
			var st *Store
			opts := testOptions()
			if keychain {
				var kc *fakeKeychain
				st, kc = newKeychainStore(t)
				opts = kcOptions(kc)
			} else {
				st, _ = newTestStore(t)
			}
			noTimer(st)
			ss := signIn(t, st, "olga", "owner-password-1")
			must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
			must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
			seq := headSeqRaw(t, st)
			if !st.ra.pending.Load() {
				t.Fatal("the lookup was not a NORMAL read audit")
			}
			dir := st.Dir()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if st.ra.pending.Load() {
				t.Fatal("Close left a read-audit entry pending")
			}
			st, err := Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if got := headSeqRaw(t, st); got != seq || lastAction(t, st) != "customer.lookup" {
				t.Fatalf("after close the trail ends at %d (%s), want %d customer.lookup", got, lastAction(t, st), seq)
			}
			if r, err := st.Verify(ctx); err != nil || !r.OK() {
				t.Fatalf("verify: %v %v", err, r.Problems)
			}
			signIn(t, st, "olga", "owner-password-1")
		})
	}
}

// powerCut stops st the way a power cut does: no flush, no anchor, no Close. The pools are shut
// only so the test can put the database files back.
func powerCut(st *Store) {
	st.ra.omu.Lock()
	st.ra.closed = true
	if st.ra.timer != nil {
		st.ra.timer.Stop()
	}
	db := st.ra.db
	st.ra.omu.Unlock()
	if db != nil {
		db.Close()
	}
	st.db.Close()
}

// TestPowerCutLosesOnlyReadAudits plays the worst power cut synchronous=NORMAL allows: every
// read-audit entry since the last FULL commit is gone (the database files are put back as they
// were right after it). The shorter trail must still verify, its head must hold, and it must
// still reach the keychain anchor, because reads never raised it: no false "rolled back". Then
// the attacker's version of the same files: once the anchor was raised over read entries (it
// makes them durable first, so no power cut can lose them), putting the older files back is a
// rollback and is caught.
func TestPowerCutLosesOnlyReadAudits(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var nowMu sync.Mutex
	kc := &fakeKeychain{m: map[string][]byte{}}
	opts := kcOptions(kc)
	opts.Now = func() time.Time { nowMu.Lock(); defer nowMu.Unlock(); return now }
	advance := func(d time.Duration) { nowMu.Lock(); now = now.Add(d); nowMu.Unlock() }
	dir := t.TempDir()
	st, _, err := Create(ctx, dir, CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	noTimer(st)
	ss := signIn(t, st, "olga", "owner-password-1")
	id := must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	if err := st.RaiseAnchor(ctx); err != nil {
		t.Fatal(err)
	}
	durable := headSeqRaw(t, st)
	top := func(st *Store) anchorHead { hs := anchored(t, st, kc); return hs[len(hs)-1] }
	if top(st).seq != durable {
		t.Fatalf("anchor %d, head %d", top(st).seq, durable)
	}
	// What the disk holds after the last FULL commit.
	image := copyDBFiles(t, dir)

	// Reads, minutes of them: none raises the anchor, however long since the last raise.
	for i := 0; i < 3; i++ {
		advance(anchorEvery + time.Minute)
		must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
		must[*CustomerCard](t)(ss.Customer(ctx, id, ""))
		must[[]AuditRecord](t)(ss.AuditLog(ctx, AuditFilter{Limit: 3}))
	}
	if got := top(st); got.seq != durable {
		t.Fatalf("reads raised the anchor from %d to %d", durable, got.seq)
	}
	if headSeqRaw(t, st) != durable+9 || !st.ra.pending.Load() {
		t.Fatalf("trail at %d after 9 reads from %d (pending %v)", headSeqRaw(t, st), durable, st.ra.pending.Load())
	}

	powerCut(st)
	putBack(t, image, dir)
	st, err = Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := headSeqRaw(t, st); got != durable {
		t.Fatalf("after the power cut the trail ends at %d, want %d", got, durable)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after losing read entries: %v %v", err, r.Problems)
	}
	ss = signIn(t, st, "olga", "owner-password-1") // not failed closed: the trail reaches its anchor
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper"}))
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after a write on the shorter trail: %v %v", err, r.Problems)
	}

	// The attacker keeps these files, reads on, and once the anchor is raised (sign-out here)
	// puts the older files back: the reads it hides were durable, so this is a rollback.
	noTimer(st)
	if err := st.RaiseAnchor(ctx); err != nil {
		t.Fatal(err)
	}
	old := copyDBFiles(t, dir)
	must[[]Customer](t)(ss.FindCustomers(ctx, ByEmail, "ada@example.com"))
	lookup := headSeqRaw(t, st)
	if err := ss.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if got := top(st); got.seq != lookup+1 {
		t.Fatalf("sign-out anchored %d, want %d (its own entry after the lookup)", got.seq, lookup+1)
	}
	powerCut(st)
	putBack(t, old, dir)
	st, err = Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	failsClosed(t, st)
}

// TestReadAuditsRaceWrites: lookups on the NORMAL pool, writes on the FULL pool and heads
// handed out, all at once, keep one linear chain that verifies.
func TestReadAuditsRaceWrites(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	st.ra.omu.Lock()
	st.ra.delay = time.Millisecond // the timer's flushes join the race
	st.ra.omu.Unlock()
	ss := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	start := headSeqRaw(t, st)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	const n = 15
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := ss.FindCustomers(ctx, ByEmail, "ada@example.com"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if _, err := ss.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Racer %d", i)}); err != nil {
				errs <- err
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if _, _, err := st.AuditHead(ctx); err != nil {
				errs <- err
			}
			if _, err := st.localAudit(ctx, 0, 10); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := headSeqRaw(t, st); got != start+4*n {
		t.Fatalf("trail grew by %d entries, want %d", got-start, 4*n)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}
