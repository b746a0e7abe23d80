package smoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// run runs bin with args and extra environment and returns its combined output and exit status.
func run(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// expect runs bin and fails unless it exits with code and its output contains want.
func expect(t *testing.T, bin string, env, args []string, code int, want string) string {
	t.Helper()
	out, got := run(t, bin, env, args...)
	if got != code || !strings.Contains(out, want) {
		t.Fatalf("spoke %q: exit %d, output:\n%s", args, got, out)
	}
	return out
}

// TestMistypedCommandAndNoDisplay runs the real binaries as a new user would: a mistyped
// command (alone, or after global flags) says so in one line and exits 2, and never starts the
// GUI; with no display the desktop app says it needs one in one sentence, exit 1, not a GLFW
// panic.
func TestMistypedCommandAndNoDisplay(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the real binaries")
	}
	bin := buildBoth(t, t.TempDir())
	data := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"mistyped command", []string{"custmers"}, nil, 2, `unknown command "custmers" (see 'spoke help')`},
		{"mistyped after a flag", []string{"--data", data, "subjekt", "export"}, nil, 2, `unknown command "subjekt"`},
		{"no display", []string{"--data", data}, []string{"DISPLAY=", "WAYLAND_DISPLAY="}, 1, "the desktop app needs a display"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := expect(t, bin, append([]string{"LANG=C.UTF-8", "LC_ALL="}, tc.env...), tc.args, tc.code, tc.want)
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
				t.Fatalf("a stack trace:\n%s", out)
			}
			if strings.Contains(out, "Fyne") || strings.Count(strings.TrimSpace(out), "\n") > 0 {
				t.Fatalf("want one line and no Fyne start-up warnings:\n%s", out)
			}
		})
	}
}

// TestCLINeverInitialisesFyne: under LANG=C.UTF-8 (CI's default) any binary that links Fyne
// logs "Fyne error: Error parsing user locale C" at start; spoke links no Fyne, so neither
// help, nor a failing command, nor flags-then-command print it.
func TestCLINeverInitialisesFyne(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the real binaries")
	}
	bin := buildBoth(t, t.TempDir())
	data := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"help"}, 0, "Usage: spoke"},
		{"unknown command", []string{"custmers"}, 2, `unknown command "custmers"`},
		{"failing command", []string{"customers", "--as", "owner", "--data", data}, 1, "no Spoke database"},
		{"flags then command", []string{"--data", data, "customers", "--as", "owner"}, 1, "no Spoke database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := expect(t, bin, []string{"LANG=C.UTF-8", "LC_ALL=", "SPOKE_PASSPHRASE=", "SPOKE_PASSWORD=a password for the smoke test"}, tc.args, tc.code, tc.want)
			if strings.Contains(out, "Fyne") || strings.Contains(out, "locale") {
				t.Fatalf("the CLI initialised Fyne:\n%s", out)
			}
		})
	}
}

// TestLauncherExecsGUI: with no command, or the desktop app's flags alone, spoke replaces
// itself (same process id) with the spoke-gui in its own directory, passing the arguments and
// the environment through, and its exit status is spoke-gui's. A spoke-gui earlier in PATH is
// never run; without one beside spoke, one line says how to build it, exit 1.
func TestLauncherExecsGUI(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the real binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands in for spoke-gui")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "spoke"), ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "spoke")
	// The launcher asks for a display before it starts spoke-gui (a stand-in here, which
	// opens none): name one.
	disp := "DISPLAY=:0"

	// Missing: one line, exit 1.
	out, code := run(t, bin, []string{disp}, "--demo")
	if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "make build") || !strings.Contains(out, filepath.Join(dir, "spoke-gui")) {
		t.Fatalf("without spoke-gui: exit %d, output:\n%s", code, out)
	}

	// A planted spoke-gui earlier in PATH must not run.
	planted := t.TempDir()
	writeScript(t, filepath.Join(planted, "spoke-gui"), "echo hijacked; exit 9")
	out, code = run(t, bin, []string{disp, "PATH=" + planted + string(os.PathListSeparator) + os.Getenv("PATH")}, "--demo")
	if strings.Contains(out, "hijacked") || code != 1 {
		t.Fatalf("spoke ran a spoke-gui from PATH: exit %d, output:\n%s", code, out)
	}

	writeScript(t, filepath.Join(dir, "spoke-gui"), `echo "pid=$$ args=$* env=$SPOKE_SMOKE_ENV"; exit 7`)
	for _, args := range [][]string{{}, {"--demo"}, {"--data", "/some dir", "--demo-customers", "300"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), disp, "SPOKE_SMOKE_ENV=passed", "PATH="+planted+string(os.PathListSeparator)+os.Getenv("PATH"))
		b, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 7 {
			t.Fatalf("spoke %q: want spoke-gui's exit status 7, got %v\n%s", args, err, b)
		}
		want := "pid=" + strconv.Itoa(cmd.Process.Pid) + " args=" + strings.Join(args, " ") + " env=passed\n"
		if string(b) != want {
			t.Fatalf("spoke %q: got %q, want %q (same process, arguments and environment passed on)", args, b, want)
		}
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
