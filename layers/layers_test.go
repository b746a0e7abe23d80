// Package layers holds the test that keeps Spoke's package layering (tailscale's deps_test
// idea): each rule names the arrow it forbids and why. Arrows that exist today and are due to
// be removed (issue "architecture") are listed as known, so no new one can appear unseen, and
// a known one that has gone must be struck from the list.
package layers

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// imports returns every package of the module with its direct imports (tests excluded).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "spoke/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[f[0]] = f[1:]
	}
	return m
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func standard(pkg string) bool {
	return !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") && !under(pkg, "spoke")
}

type rule struct {
	from   string // packages at or under this path
	denied func(imp string) bool
	why    string
}

var rules = []rule{
	{"spoke/crypto", func(imp string) bool {
		return !standard(imp) && !under(imp, "golang.org/x/crypto") && !under(imp, "spoke/crypto") && imp != "github.com/zalando/go-keyring"
	}, "crypto packages build on the standard library and x/crypto only (the keychain package on go-keyring): small, auditable, no I/O of their own"},
	{"spoke/store", func(imp string) bool {
		return under(imp, "spoke/sync") || imp == "spoke/cli" || under(imp, "spoke/app")
	},
		"the store is the domain: sync, the CLI and the GUI use it, never the other way round"},
	{"spoke/sync/engine", func(imp string) bool { return imp == "spoke/sync/hub" },
		"the spoke side speaks the protocol; it must not link the hub server"},
	{"spoke/sync/hub/hubclient", func(imp string) bool { return imp == "spoke/sync/hub" },
		"the hub client speaks the protocol; it must not link the hub server"},
	{"spoke/app", func(imp string) bool { return imp == "spoke/cli" }, "the GUI and the CLI are two front ends over the same domain"},
	{"spoke", func(imp string) bool { return under(imp, "fyne.io") || under(imp, "github.com/go-gl") },
		"Fyne stops at app/ and cmd/spoke-gui"},
}

// allowedFyne may import Fyne.
var allowedFyne = map[string]bool{"spoke/cmd/spoke-gui": true, "spoke/app": true}

// known are today's exceptions, each due to go (issue "architecture").
var known = map[[2]string]string{
	{"spoke/sync/engine", "spoke/sync/hub"}:        "protocol types live in the hub server package; they move to a protocol package",
	{"spoke/sync/hub/hubclient", "spoke/sync/hub"}: "protocol types live in the hub server package; they move to a protocol package",
	{"spoke/app", "spoke/cli"}:                     "CreateDemo and DefaultDataDir live in cli; they move down",
}

func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	m := imports(t)
	seen := map[[2]string]bool{}
	var pkgs []string
	for p := range m {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		for _, imp := range m[p] {
			for _, r := range rules {
				if !under(p, r.from) || !r.denied(imp) {
					continue
				}
				if r.from == "spoke" && allowedFyne[p] {
					continue
				}
				k := [2]string{p, imp}
				if _, ok := known[k]; ok {
					seen[k] = true
					continue
				}
				t.Errorf("%s imports %s: %s", p, imp, r.why)
			}
		}
	}
	for k := range known {
		if !seen[k] {
			t.Errorf("%s no longer imports %s: strike it from the known exceptions", k[0], k[1])
		}
	}
}

// TestHubBinaryStaysSmall: the hub never links the store, the GUI or the spoke's sync engine.
func TestHubBinaryStaysSmall(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "spoke/cmd/spoke-hub").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if under(dep, "spoke/store") || under(dep, "spoke/app") || dep == "spoke/cli" || under(dep, "spoke/sync/engine") {
			t.Errorf("spoke-hub depends on %s: the hub holds sealed bytes and public keys only", dep)
		}
	}
}
