package smoke

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSmokeRealWindow builds the real binaries, starts spoke with --demo (which execs spoke-gui) on a private Xvfb display
// and checks that it stays up and maps a window titled "Spoke". It needs Xvfb and xwininfo
// (scripts/setup-debian.sh installs them; .ci/run calls that script).
func TestSmokeRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the smoke test builds and runs the real binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the smoke test uses Xvfb (Linux only)")
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("Xvfb is not installed (apt-get install xvfb x11-utils, or run scripts/setup-debian.sh): smoke test skipped")
	}
	xwininfo, err := exec.LookPath("xwininfo")
	if err != nil {
		t.Skip("xwininfo is not installed (apt-get install x11-utils): smoke test skipped")
	}
	tmp := t.TempDir()
	bin := buildBoth(t, tmp) // spoke --demo execs the spoke-gui beside it

	// A display number nobody uses.
	display := ""
	for n := 90 + os.Getpid()%50; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); os.IsNotExist(err) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
				display = fmt.Sprintf(":%d", n)
				break
			}
		}
	}
	if display == "" {
		t.Skip("no free X display number")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	x := exec.CommandContext(ctx, xvfb, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	defer func() { x.Process.Kill(); x.Wait() }()
	env := append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8", "XDG_DATA_HOME="+filepath.Join(tmp, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"), "HOME="+tmp)
	xwin := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, xwininfo, args...)
		cmd.Env = env
		return cmd
	}
	if !waitFor(20*time.Second, func() bool { return xwin("-root").Run() == nil }) {
		t.Fatal("Xvfb did not come up")
	}

	app := exec.CommandContext(ctx, bin, "--demo", "--demo-customers", "300")
	app.Env = env
	var out strings.Builder
	app.Stdout, app.Stderr = &out, &out
	if err := app.Start(); err != nil {
		t.Fatalf("start spoke: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	defer func() {
		app.Process.Kill()
		<-exited
	}()
	found := waitFor(60*time.Second, func() bool {
		select {
		case err := <-exited:
			exited <- err
			return true
		default:
		}
		b, err := xwin("-root", "-tree").Output()
		return err == nil && strings.Contains(string(b), `"Spoke"`)
	})
	select {
	case err := <-exited:
		t.Fatalf("spoke exited early (%v):\n%s", err, out.String())
	default:
	}
	if !found {
		t.Fatalf("no window titled Spoke appeared:\n%s", out.String())
	}
	// It stays up while the demo shop loads and the sign-in screen draws.
	time.Sleep(3 * time.Second)
	select {
	case err := <-exited:
		t.Fatalf("spoke exited after drawing its window (%v):\n%s", err, out.String())
	default:
	}
	info, err := xwin("-name", "Spoke").Output()
	if err != nil || !strings.Contains(string(info), "IsViewable") {
		t.Fatalf("window not viewable: %v\n%s", err, info)
	}
}

func waitFor(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return true
		}
		time.Sleep(300 * time.Millisecond)
	}
	return false
}
