package layers

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLILinksNoFyne: Fyne's lang package logs "Error parsing user locale C" at package init
// under LANG=C.UTF-8, so any binary that links Fyne prints it before every command. The spoke
// binary (the CLI and the launcher that execs spoke-gui) and the CLI package must not depend
// on Fyne or its GL driver, directly or through any other package.
func TestCLILinksNoFyne(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	for _, pkg := range []string{"spoke", "spoke/cli", "spoke/launch"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if under(dep, "fyne.io") || under(dep, "github.com/go-gl") {
				t.Errorf("%s depends on %s: the CLI must not link Fyne (the desktop app is cmd/spoke-gui)", pkg, dep)
			}
		}
	}
}
