package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/store"
)

var fastKDF = keys.KDFParams{Time: 1, Memory: 64, Threads: 1}

type env struct {
	st    *store.Store
	ss    *store.Session
	code  string
	data  string
	bdir  string
	n     int
	clock time.Time
	shop  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{data: filepath.Join(t.TempDir(), "data"), bdir: filepath.Join(t.TempDir(), "usb"), clock: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	st, code, err := store.Create(ctx, e.data, store.CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"},
		store.Options{Passphrase: "pass phrase 1", KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ss, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	e.st, e.ss, e.code = st, ss, code
	return e
}

// change adds customers, edits one, records a sale: a realistic slice of a shop day.
func (e *env) change(t *testing.T, k int) {
	t.Helper()
	ctx := context.Background()
	var last string
	for i := 0; i < k; i++ {
		e.n++
		id, err := e.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d Ærø", e.n), Email: fmt.Sprintf("c%d@example.com", e.n), Phone: "+1 415 555 0100", Notes: "note"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ss.AddBike(ctx, id, store.Bike{Make: "Trek", Model: "FX", Serial: fmt.Sprintf("WTU%06d", e.n)}); err != nil {
			t.Fatal(err)
		}
		last = id
	}
	if err := e.ss.UpdateCustomer(ctx, last, store.CustomerInput{Name: "Renamed Person", Email: "renamed@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ss.RecordSale(ctx, store.SaleInput{CustomerID: last, PaymentMethod: "card", Lines: []store.Line{{Description: "Chain", Qty: 1, UnitPrice: 2999}}}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) backup(t *testing.T, kind string) *Result {
	t.Helper()
	e.clock = e.clock.Add(time.Hour)
	r, err := Backup(context.Background(), e.ss, e.bdir, Options{Kind: kind, Now: func() time.Time { return e.clock }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Drill == nil || !r.Drill.Passed {
		t.Fatalf("drill of %s failed: %+v", kind, r.Drill)
	}
	return r
}

func TestRoundTripEveryPoint(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	type point struct {
		id   string
		want *store.Snapshot
	}
	var points []point
	take := func(kind string) {
		r := e.backup(t, kind)
		if r.Manifest.Kind != kind {
			t.Fatalf("asked %s, got %s", kind, r.Manifest.Kind)
		}
		// A delta whose parent's drill passed is drilled from its own file (O(change)); a
		// full restores.
		if r.Drill.DeltaOnly != (kind != Full) {
			t.Fatalf("%s drilled delta-only = %v", kind, r.Drill.DeltaOnly)
		}
		p, err := e.st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The backup's own audit entries came after its point; the manifest is the truth.
		if r.Manifest.Snapshot.Counts["customers"] != p.Counts["customers"] {
			t.Fatalf("manifest counts %v, live %v", r.Manifest.Snapshot.Counts, p.Counts)
		}
		points = append(points, point{r.Manifest.ID, &r.Manifest.Snapshot})
	}
	e.change(t, 3)
	take(Full)
	e.change(t, 4)
	take(Incremental)
	e.change(t, 2)
	take(Differential)
	e.change(t, 5)
	take(Incremental)
	for i, p := range points {
		t.Run(fmt.Sprintf("point %d", i), func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "restored")
			res, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{At: p.id, Store: store.Options{KDF: fastKDF}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Snapshot.ContentHash != p.want.ContentHash || res.Snapshot.Counts["customers"] != p.want.Counts["customers"] {
				t.Fatalf("restored %v, want %v", res.Snapshot.Counts, p.want.Counts)
			}
			// Per-customer comparison through the session surface.
			st, err := store.Open(ctx, dst, store.Options{RecoveryCode: e.code, KDF: fastKDF})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ss, err := st.SignIn(ctx, "olga", "owner-password-1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := ss.Search(ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != p.want.Counts["customers"] {
				t.Fatalf("%d customers visible, manifest %d", len(got), p.want.Counts["customers"])
			}
			for _, c := range got {
				card, err := ss.Customer(ctx, c.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				live, err := e.ss.Customer(ctx, c.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				if i == len(points)-1 && (card.Name != live.Name || card.Email != live.Email || len(card.Bikes) != len(live.Bikes) || card.Bikes[0].Serial != live.Bikes[0].Serial) {
					t.Fatalf("customer %s differs after restore", c.ID)
				}
			}
		})
	}
	// The newest point restored by default, and the chain used full + differential + incremental.
	res, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "latest"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 3 || res.Applied[0] != points[0].id || res.Applied[1] != points[2].id || res.Applied[2] != points[3].id {
		t.Fatalf("chain %v, points %v", res.Applied, points)
	}
}

func TestDamageDetected(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	full := e.backup(t, Full).Manifest
	e.change(t, 2)
	inc1 := e.backup(t, Incremental).Manifest
	e.change(t, 2)
	mid := e.backup(t, Incremental).Manifest // chain: full, inc1, mid
	e.change(t, 2)
	diff := e.backup(t, Differential).Manifest
	e.change(t, 2)
	inc2 := e.backup(t, Incremental).Manifest
	tests := []struct {
		name   string
		damage func(dir string)
		at     string
		want   string
	}{
		{"flipped byte in full", func(d string) { flipByte(t, filepath.Join(d, full.ID+".data")) }, "", full.ID + ".data"},
		{"flipped byte in differential", func(d string) { flipByte(t, filepath.Join(d, diff.ID+".data")) }, "", diff.ID + ".data"},
		{"flipped byte in incremental", func(d string) { flipByte(t, filepath.Join(d, inc2.ID+".data")) }, "", inc2.ID + ".data"},
		{"flipped byte in manifest", func(d string) { flipByte(t, filepath.Join(d, inc1.ID+".manifest")) }, inc1.ID, inc1.ID + ".manifest"},
		{"middle incremental deleted", func(d string) {
			os.Remove(filepath.Join(d, inc1.ID+".manifest"))
			os.Remove(filepath.Join(d, inc1.ID+".data"))
		}, mid.ID, "needs backup " + inc1.ID + ", which is missing"},
		{"middle incremental's data deleted", func(d string) { os.Remove(filepath.Join(d, inc1.ID+".data")) }, mid.ID, inc1.ID + ".data is missing"},
		{"two files swapped", func(d string) {
			a, b := filepath.Join(d, diff.ID+".data"), filepath.Join(d, inc2.ID+".data")
			os.Rename(a, a+".x")
			os.Rename(b, a)
			os.Rename(a+".x", b)
		}, "", ".data"},
		{"file truncated", func(d string) {
			p := filepath.Join(d, full.ID+".data")
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-100)
		}, "", full.ID + ".data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, e.bdir)
			tc.damage(dir)
			dst := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(ctx, dir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{At: tc.at, Store: store.Options{KDF: fastKDF}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %q", err, tc.want)
			}
			if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
				t.Fatal("a half-restored directory was left behind")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".spoke-restoring-*")); len(left) != 0 {
				t.Fatal("scratch directory left behind")
			}
			problems, err := Check(ctx, dir, Credentials{RecoveryCode: e.code}, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 {
				t.Fatal("check --read-data found nothing")
			}
		})
	}
	if problems, err := Check(ctx, e.bdir, Credentials{RecoveryCode: e.code}, true); err != nil || len(problems) != 0 {
		t.Fatalf("undamaged folder: %v %v", err, problems)
	}
}

func TestNewMachineRecoveryCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	e.backup(t, Full)
	// Another data directory, no keychain, only the code from the emergency kit.
	dst := filepath.Join(t.TempDir(), "new-laptop")
	if _, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: keys.NewRecoveryCode(), NoKeychain: true}, RestoreOptions{}); !errors.Is(err, keys.ErrWrongPassphrase) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := Restore(ctx, e.bdir, dst, Credentials{NoKeychain: true}, RestoreOptions{}); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
	if _, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: strings.ToLower(e.code), NoKeychain: true}, RestoreOptions{Store: store.Options{KDF: fastKDF}}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dst, store.Options{Passphrase: "pass phrase 1"})
	if err != nil {
		t.Fatalf("restored database with its passphrase: %v", err)
	}
	st.Close()
	// Restoring over existing data is refused and leaves it alone.
	if _, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over data: %v", err)
	}
}

func TestDeletedCustomerStaysDeleted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	full := e.backup(t, Full).Manifest
	res, _ := e.ss.Search(ctx, "", 0)
	victim := res[0].ID
	if err := e.ss.DeleteCustomer(ctx, victim); err != nil {
		t.Fatal(err)
	}
	e.backup(t, Incremental)
	dst := filepath.Join(t.TempDir(), "older")
	r, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{At: full.ID, Store: store.Options{KDF: fastKDF}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reapplied != 1 {
		t.Fatalf("reapplied %d deletions", r.Reapplied)
	}
	st, _ := store.Open(ctx, dst, store.Options{RecoveryCode: e.code})
	defer st.Close()
	ss, _ := st.SignIn(ctx, "olga", "owner-password-1")
	if _, err := ss.Customer(ctx, victim, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted customer back after restoring an older backup: %v", err)
	}
}

func TestFullBackupUnderLoad(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 5)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	writes := 0
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Load %d", i), Notes: strings.Repeat("n", i%500)}); err != nil {
				t.Error(err)
				return
			}
			writes++
			// A counter writes often but not back to back: without a pause this loop starves
			// the backup's own short writes of SQLite's lock (it has no fairness) under -race.
			time.Sleep(time.Millisecond)
		}
	}()
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer halt()
	time.Sleep(50 * time.Millisecond)
	r := e.backup(t, Full)
	inc := e.backup(t, Incremental)
	halt()
	if writes == 0 {
		t.Fatal("no writes ran during the backup")
	}
	for _, id := range []string{r.Manifest.ID, inc.Manifest.ID} {
		dst := filepath.Join(t.TempDir(), "r")
		res, err := Restore(ctx, e.bdir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{At: id, NoReapply: true, Store: store.Options{KDF: fastKDF}})
		if err != nil {
			t.Fatalf("restore of a backup taken under load: %v", err)
		}
		if !res.Verify.OK() {
			t.Fatal(res.Verify.Problems)
		}
	}
}

func TestNoPlaintextInBackupFolder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	plants := []string{"Zebulon Quixote-Leakfield", "zebulon.leak@example.org", "+14155550177", "LEAKSERIAL4242", "秘密备注泄漏"}
	id, err := e.ss.CreateCustomer(ctx, store.CustomerInput{Name: plants[0], Email: plants[1], Phone: plants[2], Notes: plants[4]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ss.AddBike(ctx, id, store.Bike{Make: "Trek", Model: "X", Serial: plants[3]}); err != nil {
		t.Fatal(err)
	}
	e.backup(t, Full)
	e.ss.UpdateCustomer(ctx, id, store.CustomerInput{Name: plants[0] + " Jr", Email: plants[1], Phone: plants[2]})
	e.backup(t, Incremental)
	e.backup(t, Differential)
	files, _ := filepath.Glob(filepath.Join(e.bdir, "*"))
	if len(files) < 7 {
		t.Fatalf("only %d files in the backup folder", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, p := range plants {
			if bytes.Contains(b, []byte(p)) || strings.Contains(filepath.Base(f), p) {
				t.Errorf("%q found in %s", p, filepath.Base(f))
			}
		}
	}
}

func TestNextKindAndRetention(t *testing.T) {
	e := newEnv(t)
	e.change(t, 1)
	s := Schedule{Full: 24 * time.Hour, Differential: 6 * time.Hour, Incremental: time.Hour, KeepFulls: 2}
	var kinds []string
	for i := 0; i < 60; i++ { // 60 hourly runs: two and a half days
		e.clock = e.clock.Add(time.Hour)
		r, err := Backup(context.Background(), e.ss, e.bdir, Options{Schedule: s, Now: func() time.Time { return e.clock }, NoDrill: i%10 != 0})
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, r.Manifest.Kind[:1])
	}
	got := strings.Join(kinds, "")
	if !strings.HasPrefix(got, "fiiiiidiiiiidiiiiidiiiiifiiiii") {
		t.Fatalf("schedule produced %s", got)
	}
	es, err := List(context.Background(), e.bdir, Credentials{RecoveryCode: e.code})
	if err != nil {
		t.Fatal(err)
	}
	fulls := 0
	for _, x := range es {
		if x.Manifest.Kind == Full {
			fulls++
		}
	}
	if fulls != 2 {
		t.Fatalf("%d fulls kept", fulls)
	}
	if _, err := Restore(context.Background(), e.bdir, filepath.Join(t.TempDir(), "r"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}}); err != nil {
		t.Fatalf("restore after pruning: %v", err)
	}
}

func flipByte(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	os.WriteFile(path, b, 0o600)
}

func copyDir(t *testing.T, src string) string {
	dst := t.TempDir()
	files, _ := os.ReadDir(src)
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(src, f.Name()))
		os.WriteFile(filepath.Join(dst, f.Name()), b, 0o600)
	}
	return dst
}

func TestSchedulerBacksUpWhenDue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	s := NewScheduler(e.ss)
	if _, err := s.RunNow(ctx, ""); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("unconfigured: %v", err)
	}
	if err := e.ss.SetBackupConfig(ctx, store.BackupConfig{Folder: e.bdir, Full: 7 * 24 * time.Hour, Differential: 24 * time.Hour, Incremental: time.Hour, KeepFulls: 2}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.now = func() time.Time { return now }
	s.every = 10 * time.Millisecond
	s.Start(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if r, _ := s.Last(); r != nil {
			break
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatal("scheduler never backed up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	r, err := s.Last()
	if err != nil || r.Manifest.Kind != Full || !r.Drill.Passed {
		t.Fatalf("first scheduled backup: %v %+v", err, r)
	}
	if due, err := s.Due(ctx); err != nil || due {
		t.Fatalf("due right after a backup: %v %v", due, err)
	}
	now = now.Add(2 * time.Hour)
	if due, _ := s.Due(ctx); !due {
		t.Fatal("not due two hours later")
	}
	if r, err := s.RunNow(ctx, ""); err != nil || r.Manifest.Kind != Incremental {
		t.Fatalf("second run: %v %+v", err, r.Manifest)
	}
}

// TestDeltaDrillNeedsAPassedParent: an incremental whose parent was never drilled (or failed
// its drill) is proved by restoring the whole chain, not by its own file.
func TestDeltaDrillNeedsAPassedParent(t *testing.T) {
	e := newEnv(t)
	e.change(t, 2)
	e.clock = e.clock.Add(time.Hour)
	if _, err := Backup(context.Background(), e.ss, e.bdir, Options{Kind: Full, NoDrill: true, Now: func() time.Time { return e.clock }}); err != nil {
		t.Fatal(err)
	}
	e.change(t, 2)
	r := e.backup(t, Incremental)
	if r.Drill.DeltaOnly {
		t.Fatal("an incremental over an undrilled full was drilled from its own file")
	}
	e.change(t, 1)
	if r := e.backup(t, Incremental); !r.Drill.DeltaOnly {
		t.Fatal("an incremental over a drilled incremental restored the whole chain")
	}
}
