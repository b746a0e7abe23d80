package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"spoke/crypto/keys"
	"spoke/demo"
	"spoke/store"
)

// BenchmarkGUIMemory measures the resident memory of the GUI signed in on a large shop, the
// "RSS" row of the README's measured table:
//
//	SPOKE_BENCH_CUSTOMERS=100000 go test ./app/ -run '^$' -bench GUIMemory -benchtime 1x -timeout 30m
//
// It builds a demo database of SPOKE_BENCH_CUSTOMERS customers (default 100,000; the production
// KDF, as a user's database has) and then measures in a fresh child process (this test binary
// again), so that the building's garbage and allocator pages are not counted. The child starts
// the app on the database with Fyne's test driver, as newDemoApp does, and reads VmRSS from
// /proc/self/status (Linux only) three times, each after runtime.GC and debug.FreeOSMemory:
// before opening anything (baseline), at the sign-in screen (the store unlocked), and after the
// owner signed in through the sign-in screen's widgets and the customer list shows (the
// type-ahead index built). rss-signed-in-before-gc-MB is read just before that last settling,
// as a user's process would show it. hwm-MB is VmHWM, the child's peak, read after sign-in.
// heap-*-MB is the Go heap in use (runtime.MemStats.HeapInuse) at each point. The child logs a
// breakdown: anonymous memory held by the Go runtime (heap, stacks, GC metadata) and the rest
// of it, which is modernc SQLite's C heap (page caches, statements; the Go figure counts some
// reserved pages, so this rest is an underestimate), and file-backed pages (the binary).
//
// The numbers are those of a test binary: its RSS includes the testing harness and Fyne's
// software test driver, which draws nothing until asked, so the real window (GL driver, glyph
// textures) holds more at every point; what signing in adds is the same code.
//
// SPOKE_BENCH_GUI_DB=dir keeps the database in dir and reuses it on the next run (building the
// 100k one takes minutes); SPOKE_BENCH_HEAPPROFILE=file writes the child's heap profile to file
// when signed in and to file.signin-screen at the sign-in screen (go tool pprof -top file).
func BenchmarkGUIMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("reads /proc/self/status (Linux)")
	}
	if root := os.Getenv(envGUIMemoryChild); root != "" {
		guiMemoryChild(b, root)
		return
	}
	root := os.Getenv("SPOKE_BENCH_GUI_DB")
	if root == "" {
		root = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(root, "owner.json")); err != nil {
		buildMemoryDB(b, root)
	}
	out := filepath.Join(b.TempDir(), "points.json")
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkGUIMemory$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), envGUIMemoryChild+"="+root, envGUIMemoryOut+"="+out)
		log, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("measuring child: %v\n%s", err, log)
		}
		for _, l := range strings.Split(string(log), "\n") {
			if strings.Contains(l, "memory_bench_test.go") {
				b.Log(strings.TrimSpace(l))
			}
		}
	}
	var p guiMemoryPoints
	raw, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(0, "ns/op") // one run of minutes; the time says nothing
	b.ReportMetric(p.Baseline.RSS, "rss-baseline-MB")
	b.ReportMetric(p.Screen.RSS, "rss-signin-screen-MB")
	b.ReportMetric(p.Signed.RSS, "rss-signed-in-MB")
	b.ReportMetric(p.Signed.RSS-p.Screen.RSS, "rss-sign-in-adds-MB")
	b.ReportMetric(p.Unsettled.RSS, "rss-signed-in-before-gc-MB")
	b.ReportMetric(p.Signed.HWM, "hwm-MB")
	b.ReportMetric(p.Baseline.Heap, "heap-baseline-MB")
	b.ReportMetric(p.Screen.Heap, "heap-signin-screen-MB")
	b.ReportMetric(p.Signed.Heap, "heap-signed-in-MB")
}

const (
	envGUIMemoryChild = "SPOKE_GUI_MEMORY_CHILD" // the database root: measure, do not build
	envGUIMemoryOut   = "SPOKE_GUI_MEMORY_OUT"   // where the child writes its points
	memoryPass        = "gui memory benchmark passphrase"
)

// memoryOwner is the owner's demo account, kept beside the database for the child.
type memoryOwner struct {
	Username, Password string
	Customers          int
}

func buildMemoryDB(b *testing.B, root string) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SPOKE_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	start := time.Now()
	d, err := demo.CreateShop(context.Background(), filepath.Join(root, "db"), n, 1,
		store.Options{Passphrase: memoryPass, KDF: keys.DefaultKDF}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Store.Close(); err != nil {
		b.Fatal(err)
	}
	o := memoryOwner{Customers: n}
	for _, s := range d.Chain.Staff {
		if s.Role == string(store.RoleOwner) {
			o.Username, o.Password = s.Username, s.Password
		}
	}
	raw, _ := json.Marshal(o)
	if err := os.WriteFile(filepath.Join(root, "owner.json"), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("demo database with %d customers built in %s", n, time.Since(start).Round(time.Second))
}

// memPoint is one reading, in MB (10^6 bytes).
type memPoint struct {
	RSS, HWM, Anon, File float64 // /proc/self/status VmRSS, VmHWM, RssAnon, RssFile
	Heap                 float64 // runtime.MemStats.HeapInuse
	GoMapped             float64 // runtime.MemStats.Sys - HeapReleased: what the Go runtime holds
}

type guiMemoryPoints struct {
	Baseline, Screen, Signed memPoint
	// Unsettled is read right after sign-in, before settle: what a user's process shows, whose
	// freed pages the Go runtime returns to the OS only slowly.
	Unsettled memPoint
}

// settle collects garbage and returns freed pages to the OS, then reads.
func settle(b *testing.B) memPoint {
	runtime.GC()
	debug.FreeOSMemory()
	return readMem(b)
}

// readMem reads /proc/self/status and the Go runtime's statistics.
func readMem(b *testing.B) memPoint {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const mb = 1e6
	p := memPoint{Heap: float64(ms.HeapInuse) / mb, GoMapped: float64(ms.Sys-ms.HeapReleased) / mb}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var kb float64
		fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb)
		switch k {
		case "VmRSS":
			p.RSS = kb * 1024 / mb
		case "VmHWM":
			p.HWM = kb * 1024 / mb
		case "RssAnon":
			p.Anon = kb * 1024 / mb
		case "RssFile":
			p.File = kb * 1024 / mb
		}
	}
	if p.RSS == 0 {
		b.Fatal("no VmRSS in /proc/self/status")
	}
	return p
}

// guiMemoryChild is the measuring process: it starts the GUI on the database under root, signs
// the owner in and writes its three readings to envGUIMemoryOut.
func guiMemoryChild(b *testing.B, root string) {
	var o memoryOwner
	raw, err := os.ReadFile(filepath.Join(root, "owner.json"))
	if err == nil {
		err = json.Unmarshal(raw, &o)
	}
	if err != nil {
		b.Fatal(err)
	}
	var p guiMemoryPoints
	for b.Loop() {
		p = measureGUI(b, filepath.Join(root, "db"), o)
	}
	for _, x := range []struct {
		name string
		m    memPoint
	}{{"baseline", p.Baseline}, {"sign-in screen", p.Screen}, {"signed in (no GC)", p.Unsettled}, {"signed in", p.Signed}} {
		b.Logf("%-17s RSS %6.1f MB = anon %6.1f (Go runtime %6.1f, of it heap in use %6.1f; other, mostly SQLite, %6.1f) + file %5.1f; HWM %6.1f",
			x.name, x.m.RSS, x.m.Anon, x.m.GoMapped, x.m.Heap, x.m.Anon-x.m.GoMapped, x.m.File, x.m.HWM)
	}
	raw, _ = json.Marshal(p)
	if err := os.WriteFile(os.Getenv(envGUIMemoryOut), raw, 0o600); err != nil {
		b.Fatal(err)
	}
}

func measureGUI(b *testing.B, dir string, o memoryOwner) guiMemoryPoints {
	var p guiMemoryPoints
	p.Baseline = settle(b)

	a := New(test.NewTempApp(b), Options{DataDir: dir, Passphrase: memoryPass, ManualIdle: true, QueueUI: true})
	defer a.Close()
	a.Wait()
	if a.SignIn == nil || !slices.Contains(a.SignIn.User.Options, o.Username) {
		b.Fatalf("no sign-in screen listing %s; screen shows %q", o.Username, screenText(a))
	}
	p.Screen = settle(b)
	heapProfile(b, ".signin-screen")

	s := a.SignIn
	s.User.SetSelected(o.Username)
	test.Type(s.Password, o.Password)
	test.Tap(s.SignIn)
	a.Wait()
	if a.Shell == nil || a.Shell.Customers == nil {
		b.Fatalf("owner sign-in failed: %q", screenText(a))
	}
	c := a.Shell.Customers
	if !c.indexReady || len(c.results) == 0 || !strings.Contains(screenText(a), c.results[0].Name) {
		b.Fatalf("the customer list is not shown: %q", screenText(a))
	}
	p.Unsettled = readMem(b)
	p.Signed = settle(b)
	heapProfile(b, "")
	return p
}

// heapProfile writes the heap profile to $SPOKE_BENCH_HEAPPROFILE+suffix, if that is set.
func heapProfile(b *testing.B, suffix string) {
	path := os.Getenv("SPOKE_BENCH_HEAPPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path + suffix)
	if err == nil {
		err = errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
	}
	if err != nil {
		b.Fatal(err)
	}
}
