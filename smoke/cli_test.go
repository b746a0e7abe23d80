package smoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMistypedCommandAndNoDisplay runs the real binary as a new user would: a mistyped command
// (alone, or after global flags) says so in one line and exits 2, and never starts the GUI;
// with no display the desktop app says it needs one in one sentence, exit 1, not a GLFW panic.
func TestMistypedCommandAndNoDisplay(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the real binary")
	}
	bin := filepath.Join(t.TempDir(), "spoke")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"mistyped command", []string{"custmers"}, nil, 2, `unknown command "custmers" (see 'spoke help')`},
		{"mistyped after a flag", []string{"--data", data, "subject", "export"}, nil, 2, `unknown command "subject"`},
		{"no display", []string{"--data", data}, []string{"DISPLAY=", "WAYLAND_DISPLAY="}, 1, "the desktop app needs a display"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), append([]string{"LANG=en_US.UTF-8"}, tc.env...)...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit %d, output:\n%s", code, out)
			}
			if strings.Contains(string(out), "panic") || strings.Contains(string(out), "goroutine") {
				t.Fatalf("a stack trace:\n%s", out)
			}
		})
	}
}
