package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goCmd runs the go command with extra environment.
func goCmd(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNoFyneNoCgo keeps the hub binary free of the GUI toolkit and of cgo
// (CONVENTIONS.md, tailscale's deps_test idea): a server must not drag in
// OpenGL, and must cross-compile and run from a static binary.
func TestNoFyneNoCgo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	deps := goCmd(t, []string{"CGO_ENABLED=0"}, "list", "-deps", "spoke/cmd/spoke-hub")
	for _, dep := range strings.Fields(deps) {
		if strings.HasPrefix(dep, "fyne.io/") || strings.HasPrefix(dep, "github.com/go-gl/") || dep == "runtime/cgo" || dep == "C" {
			t.Errorf("spoke-hub depends on %s", dep)
		}
	}
	if !strings.Contains(deps, "spoke/sync/hub/postgres") || !strings.Contains(deps, "modernc.org/sqlite") {
		t.Fatalf("dependency list looks wrong:\n%s", deps)
	}
	// With cgo available, no non-standard dependency may use it either
	// (the standard library's optional cgo, in net and os/user, is fine).
	cgo := goCmd(t, nil, "list", "-deps", "-f", "{{if and .CgoFiles (not .Standard)}}{{.ImportPath}}{{end}}", "spoke/cmd/spoke-hub")
	if s := strings.TrimSpace(cgo); s != "" {
		t.Errorf("spoke-hub dependencies with cgo files: %s", s)
	}
}

// TestBuildsWithoutCgo builds the binary with CGO_ENABLED=0.
func TestBuildsWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "spoke-hub")
	goCmd(t, []string{"CGO_ENABLED=0"}, "build", "-o", bin, ".")
	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "spoke-hub init") {
		t.Fatalf("built binary: %v\n%s", err, out)
	}
}
