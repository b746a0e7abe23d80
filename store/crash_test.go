package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the crash test's child: with SPOKE_CRASH_CHILD set it writes customers
// in a loop, printing each id only after its transaction committed, and looks each up by
// e-mail (a read audit, committed at synchronous=NORMAL), printing that too, until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SPOKE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	ctx := context.Background()
	st, err := Open(ctx, dir, testOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	ss, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child sign-in:", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		id, err := ss.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Crash Customer %d", i), Email: fmt.Sprintf("crash%d-%d@example.com", os.Getpid(), i), Notes: strings.Repeat("x", i%300)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child write:", err)
			os.Exit(4)
		}
		if i%3 == 0 {
			if _, err := ss.AddBike(ctx, id, Bike{Make: "Giant", Model: "TCR", Serial: fmt.Sprintf("GNT%07d", i)}); err != nil {
				fmt.Fprintln(os.Stderr, "child bike:", err)
				os.Exit(4)
			}
		}
		fmt.Fprintln(os.Stdout, "committed", id) // os.Stdout is unbuffered
		if _, err := ss.FindCustomers(ctx, ByEmail, fmt.Sprintf("crash%d-%d@example.com", os.Getpid(), i)); err != nil {
			fmt.Fprintln(os.Stderr, "child lookup:", err)
			os.Exit(4)
		}
		fmt.Fprintln(os.Stdout, "looked", id)
	}
}

func TestCrashMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop skipped in -short mode")
	}
	ctx := context.Background()
	st, _ := newTestStore(t)
	dir := st.Dir()
	st.Close()
	var committed, looked []string
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SPOKE_CRASH_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it commit a few writes, then kill it at a random moment.
		deadline := time.After(time.Duration(150+rng.IntN(400)) * time.Millisecond)
		got := 0
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited early: %s", stderr.String())
				}
				committed, looked = crashLine(committed, looked, l)
				got++
			case <-deadline:
				if got == 0 {
					deadline = time.After(100 * time.Millisecond)
					continue
				}
				break read
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines { // ids printed before the kill landed still count
			committed, looked = crashLine(committed, looked, l)
		}
		cmd.Wait()

		st, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		r, err := st.Verify(ctx)
		if err != nil || !r.OK() {
			t.Fatalf("round %d: verify after kill: %v %v", round, err, r.Problems)
		}
		rows := countBy(t, st, "SELECT id, 1 FROM customers")
		changes := countBy(t, st, "SELECT "+strings.ReplaceAll(uuidText, "r.id", "id")+", 1 FROM row_clocks WHERE tbl = 4 AND mac IS NOT NULL")
		audits := countBy(t, st, "SELECT target, COUNT(*) FROM audit WHERE action = 'customer.create' GROUP BY target")
		for _, id := range committed {
			if rows[id] != 1 || changes[id] != 1 || audits[id] != 1 {
				t.Fatalf("round %d: committed customer %s: rows=%d MAC'd clocks=%d audit=%d", round, id, rows[id], changes[id], audits[id])
			}
		}
		// A killed process loses no read audit either: synchronous=NORMAL defers only the
		// fsync, the log was written before the lookup returned.
		lookups := countBy(t, st, "SELECT substr(detail, length('matches=1 ') + 1), COUNT(*) FROM audit WHERE action = 'customer.lookup' GROUP BY 1")
		for _, id := range looked {
			if lookups[id] != 1 {
				t.Fatalf("round %d: lookup of %s returned but has %d audit entries", round, id, lookups[id])
			}
		}
		st.Close()
		t.Logf("round %d: %d writes committed so far, verify ok", round, len(committed))
	}
}

func crashLine(committed, looked []string, l string) ([]string, []string) {
	if id, ok := strings.CutPrefix(l, "looked "); ok {
		return committed, append(looked, id)
	}
	return append(committed, strings.TrimPrefix(l, "committed ")), looked
}

// countBy runs a two-column (key, count) query into a map.
func countBy(t *testing.T, st *Store, q string) map[string]int {
	t.Helper()
	rows, err := st.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		m[k] = n
	}
	return m
}
