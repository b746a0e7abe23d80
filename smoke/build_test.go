package smoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// buildBoth builds the real binaries as `make build` does, side by side in dir: spoke (the CLI
// and launcher, no Fyne) and spoke-gui (the desktop app), and returns spoke's path.
func buildBoth(t *testing.T, dir string) string {
	t.Helper()
	for _, b := range []struct{ out, pkg string }{{"spoke", "."}, {"spoke-gui", "./cmd/spoke-gui"}} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		build.Dir = ".." // the module root
		build.Env = os.Environ()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return filepath.Join(dir, "spoke")
}
