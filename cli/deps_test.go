package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoFyneOutsideApp keeps the GUI toolkit out of the back end (CONVENTIONS.md): store,
// crypto, sync and cli must build without fyne.io or go-gl.
func TestNoFyneOutsideApp(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "spoke/cli", "spoke/store/...", "spoke/crypto/...", "spoke/sync/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/") || strings.HasPrefix(dep, "github.com/go-gl/") {
			t.Errorf("back-end package depends on %s", dep)
		}
	}
}
