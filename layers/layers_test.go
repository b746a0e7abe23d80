// Package layers holds the test that keeps Spoke's package layering, in the style of
// tailscale's deps_test (deptest.DepChecker{BadDeps}): each rule names the arrows it forbids
// and why. There are no known exceptions: an arrow a rule forbids fails the test.
//
// The checker is a function over an import graph (check), so TestRulesBite can feed it a
// synthetic graph with each forbidden arrow added and show that every one is reported; the
// real graph comes from `go list -deps` (tests excluded: a test may still start a real hub).
package layers

import (
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// graph maps each package to its direct imports (non-test files).
type graph map[string][]string

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func anyUnder(pkg string, prefixes ...string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return under(pkg, p) })
}

// standard reports whether pkg is in the standard library: no dot in its first element, and
// not this module.
func standard(pkg string) bool {
	return !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") && !under(pkg, "spoke")
}

func fyne(pkg string) bool { return anyUnder(pkg, "fyne.io", "github.com/go-gl") }

// rule forbids arrows. A direct rule looks at the imports of every package from matches; a
// reach rule (reach = true) at everything those packages depend on, transitively, as the
// linker would see it.
type rule struct {
	name   string
	from   func(pkg string) bool
	denied func(pkg, imp string) bool
	reach  bool
	why    string
}

var rules = []rule{
	{
		name: "crypto is a leaf",
		from: func(p string) bool { return under(p, "spoke/crypto") },
		denied: func(p, imp string) bool {
			if imp == "github.com/zalando/go-keyring" {
				return p != "spoke/crypto/keychain"
			}
			return !standard(imp) && !anyUnder(imp, "golang.org/x/crypto", "spoke/crypto")
		},
		why: "crypto packages build on the standard library and x/crypto only (the keychain package on go-keyring): small, auditable, no I/O or domain knowledge of their own",
	},
	{
		name: "store is the domain",
		from: func(p string) bool { return under(p, "spoke/store") },
		denied: func(_, imp string) bool {
			if anyUnder(imp, "spoke/compliance/deadline", "spoke/compliance/training", "spoke/compliance/checkup") {
				return false // pure rules over dates, answers and findings, like store/contact's over phone numbers
			}
			return anyUnder(imp, "spoke/sync", "spoke/cli", "spoke/app", "spoke/demo", "spoke/csvimport", "spoke/cmd", "spoke/compliance") || imp == "spoke"
		},
		why: "the store is the domain: sync, the importer, the demo loader, the CLI and the GUI use it, never the other way round (they write through store.Session and its Batch); of compliance it uses only the pure rule sets: the legal clocks, the check-up's finding model and texts, and the training's lessons, grading and standing (the store draws and grades quizzes itself, so the answer key never leaves it, and gates customer data on the standing)",
	},
	{
		name: "compliance renders what the store hands out",
		from: func(p string) bool { return under(p, "spoke/compliance") },
		denied: func(_, imp string) bool {
			return anyUnder(imp, "spoke/sync", "spoke/cli", "spoke/app", "spoke/demo", "spoke/csvimport", "spoke/cmd", "spoke/crypto") || imp == "spoke"
		},
		why: "the records, notices and subject exports are built from what a Session returned after its own check and audit; they hold no key (their sealing for transit is age's) and no front end",
	},
	{
		name:   "the client side speaks the protocol",
		from:   func(p string) bool { return anyUnder(p, "spoke/sync/engine", "spoke/sync/hubclient") },
		denied: func(_, imp string) bool { return under(imp, "spoke/sync/hub") },
		why:    "the hub client and the sync engine speak spoke/protocol; they must not link the hub server (its storage, CA, limits), which they have no business calling",
	},
	{
		name:   "front ends are peers",
		from:   func(p string) bool { return under(p, "spoke/app") },
		denied: func(_, imp string) bool { return under(imp, "spoke/cli") },
		why:    "the GUI and the CLI are two front ends over the same domain; what both need lives below them (store, demo, csvimport)",
	},
	{
		name:   "shared widgets see no app",
		from:   func(p string) bool { return under(p, "spoke/app/ui") },
		denied: func(_, imp string) bool { return under(imp, "spoke") },
		why:    "the shared widgets never see the app, the store or a session: a screen hands them what they show",
	},
	{
		name: "the legal rules are pure",
		from: func(p string) bool {
			return anyUnder(p, "spoke/compliance/deadline", "spoke/compliance/training", "spoke/compliance/checkup")
		},
		denied: func(_, imp string) bool { return !standard(imp) },
		why:    "the legal clocks, the training rules and the check-up's findings are rules over dates, codes and answers: standard library only, no store, no I/O (a shop's lesson folder is handed in as an fs.FS), so each rule is tested on its own and every front end (and the store) gets the same answer",
	},
	{
		name:   "the detector is pure",
		from:   func(p string) bool { return under(p, "spoke/detect") },
		denied: func(_, imp string) bool { return !standard(imp) && !under(imp, "spoke/detect") },
		why:    "the detector is a function of the audit events it is fed (ids, actions, grants, counts): standard library only, no store, no keys, no I/O of its own, so the store can run it on the device and over the owner's synced trails, spoke detect can replay a file with no database, and the harness scores the same code; it never holds anything that could open a personal value",
	},
	{
		name: "the protocol is a leaf",
		from: func(p string) bool { return under(p, "spoke/protocol") },
		denied: func(_, imp string) bool {
			return !standard(imp) && !anyUnder(imp, "golang.org/x/crypto", "spoke/crypto", "spoke/hlc", "spoke/protocol")
		},
		why: "both the hub and the spokes import the protocol: it carries wire types and codecs only, so it may pull in neither side",
	},
	{
		name: "the hub binary is small",
		from: func(p string) bool { return p == "spoke/cmd/spoke-hub" },
		denied: func(_, dep string) bool {
			return anyUnder(dep, "spoke/store", "spoke/app", "spoke/cli", "spoke/sync/engine", "spoke/demo", "spoke/csvimport")
		},
		reach: true,
		why:   "the hub holds sealed bytes and public keys only: it never links the store, the GUI, the CLI or the spoke's sync engine",
	},
	{
		name: "Fyne stops at app/",
		from: func(p string) bool {
			return under(p, "spoke") && !under(p, "spoke/app") && p != "spoke/cmd/spoke-gui"
		},
		denied: func(_, dep string) bool { return fyne(dep) },
		reach:  true,
		why:    "only the GUI (spoke/app and its main, spoke/cmd/spoke-gui) links Fyne and cgo: everything else, the spoke CLI and launcher included, builds and tests headless with CGO_ENABLED=0, and never prints Fyne's start-up warnings",
	},
}

// violation is one forbidden arrow: from imports (or, for a reach rule, depends through path
// on) to.
type violation struct {
	rule     string
	from, to string
	path     []string
}

func (v violation) String() string {
	s := fmt.Sprintf("%s -> %s", v.from, v.to)
	if len(v.path) > 2 {
		s = strings.Join(v.path, " -> ")
	}
	return s
}

// check returns every arrow of g that a rule forbids, sorted.
func check(g graph, rules []rule) []violation {
	var pkgs []string
	for p := range g {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	var out []violation
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.from(p) {
				continue
			}
			if !r.reach {
				for _, imp := range g[p] {
					if r.denied(p, imp) {
						out = append(out, violation{rule: r.name, from: p, to: imp})
					}
				}
				continue
			}
			for _, path := range reachable(g, p) {
				if dep := path[len(path)-1]; r.denied(p, dep) {
					out = append(out, violation{rule: r.name, from: p, to: dep, path: path})
				}
			}
		}
	}
	return out
}

// reachable returns, for every package p depends on (transitively), one shortest import path
// from p to it, in a stable order.
func reachable(g graph, p string) [][]string {
	prev := map[string]string{p: ""}
	queue := []string{p}
	var order []string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		imps := slices.Clone(g[cur])
		sort.Strings(imps)
		for _, imp := range imps {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = cur
			order = append(order, imp)
			queue = append(queue, imp)
		}
	}
	out := make([][]string, 0, len(order))
	for _, dep := range order {
		var path []string
		for n := dep; n != ""; n = prev[n] {
			path = append([]string{n}, path...)
		}
		out = append(out, path)
	}
	return out
}

// moduleGraph is the real graph: every package the module's packages depend on, with its
// direct imports, as `go list -deps` reports them for non-test builds.
func moduleGraph(t *testing.T) graph {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "spoke/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g := graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		g[f[0]] = f[1:]
	}
	return g
}

func TestLayers(t *testing.T) {
	g := moduleGraph(t)
	why := map[string]string{}
	for _, r := range rules {
		why[r.name] = r.why
	}
	for _, v := range check(g, rules) {
		t.Errorf("%s: %s\n\t(%s)", v.rule, v, why[v.rule])
	}
	for _, r := range rules {
		// A rule that matches no package (a package renamed away from it) guards nothing.
		if !slices.ContainsFunc(mapKeys(g), r.from) {
			t.Errorf("rule %q matches no package of the module: update it", r.name)
		}
	}
}

func mapKeys(g graph) []string {
	var out []string
	for k := range g {
		out = append(out, k)
	}
	return out
}

// clean is a small synthetic module laid out as Spoke is meant to be, every allowed arrow
// present.
func clean() graph {
	return graph{
		"spoke":                            {"spoke/cli", "spoke/launch"},
		"spoke/cmd/spoke-gui":              {"spoke/app", "spoke/launch", "fyne.io/fyne/v2/app"},
		"spoke/launch":                     {"flag", "syscall"},
		"spoke/cmd/spoke-hub":              {"spoke/sync/hub", "spoke/sync/hub/sqlite", "spoke/protocol"},
		"spoke/app":                        {"spoke/store", "spoke/demo", "spoke/csvimport", "spoke/sync/engine", "spoke/protocol", "spoke/app/ui", "fyne.io/fyne/v2"},
		"spoke/app/ui":                     {"fyne.io/fyne/v2", "github.com/go-gl/glfw/v3.3/glfw"},
		"spoke/cli":                        {"spoke/store", "spoke/store/backup", "spoke/demo", "spoke/csvimport", "spoke/sync/engine", "spoke/protocol", "spoke/compliance/subject", "spoke/detect"},
		"spoke/detect":                     {"encoding/json", "time", "time/tzdata"},
		"spoke/detect/eval":                {"spoke/detect", "math/rand/v2"},
		"spoke/detect/eval/cmd/spoke-eval": {"spoke/detect", "spoke/detect/eval", "flag"},
		"spoke/compliance/subject":         {"spoke/store", "spoke/compliance/processing", "filippo.io/age"},
		"spoke/demo":                       {"spoke/store", "math/rand/v2"},
		"spoke/csvimport":                  {"spoke/store", "spoke/store/contact", "encoding/csv"},
		"spoke/compliance/deadline":        {"time", "time/tzdata", "errors"},
		"spoke/compliance/training":        {"embed", "io/fs", "time"},
		"spoke/store":                      {"spoke/compliance/deadline", "spoke/compliance/training", "spoke/detect", "spoke/crypto/seal", "spoke/crypto/keys", "spoke/crypto/keychain", "spoke/hlc", "spoke/protocol/auditrec", "spoke/store/contact", "modernc.org/sqlite"},
		"spoke/store/backup":               {"spoke/store", "spoke/crypto/stream"},
		"spoke/store/contact":              {"strings"},
		"spoke/sync/engine":                {"spoke/store", "spoke/sync/hubclient", "spoke/sync/wire", "spoke/protocol", "spoke/protocol/auditrec"},
		"spoke/sync/hubclient":             {"spoke/protocol", "net/http"},
		"spoke/sync/wire":                  {"spoke/crypto/seal", "spoke/hlc"},
		"spoke/sync/hub":                   {"spoke/protocol", "spoke/sync/wire", "net/http"},
		"spoke/sync/hub/sqlite":            {"spoke/sync/hub", "modernc.org/sqlite"},
		"spoke/protocol":                   {"spoke/crypto/seal", "spoke/hlc", "golang.org/x/crypto/hkdf", "crypto/ed25519"},
		"spoke/protocol/auditrec":          {"encoding/json"},
		"spoke/crypto/seal":                {"crypto/aes", "crypto/cipher"},
		"spoke/crypto/stream":              {"spoke/crypto/seal", "crypto/aes"},
		"spoke/crypto/keys":                {"golang.org/x/crypto/argon2", "spoke/crypto/seal"},
		"spoke/crypto/keychain":            {"github.com/zalando/go-keyring", "context"},
		"spoke/crypto/keychain/fake":       {"spoke/crypto/keychain"},
		"spoke/hlc":                        {"time"},
		"fyne.io/fyne/v2/app":              {"fyne.io/fyne/v2", "github.com/go-gl/glfw/v3.3/glfw"},
		"fyne.io/fyne/v2":                  {"image"},
		"modernc.org/sqlite":               {"database/sql"},
		"github.com/zalando/go-keyring":    {"github.com/godbus/dbus/v5"},
	}
}

// TestRulesBite: the clean graph passes, and each forbidden arrow added to it is reported by
// the rule meant to catch it, so TestLayers fails the day any of them appears.
func TestRulesBite(t *testing.T) {
	if vs := check(clean(), rules); len(vs) != 0 {
		t.Fatalf("the clean graph is refused: %v", vs)
	}
	arrows := []struct {
		from, to string
		rule     string
	}{
		{"spoke/crypto/seal", "spoke/store", "crypto is a leaf"},
		{"spoke/crypto/stream", "spoke/sync/wire", "crypto is a leaf"},
		{"spoke/crypto/keys", "github.com/some/helper", "crypto is a leaf"},
		{"spoke/crypto/seal", "github.com/zalando/go-keyring", "crypto is a leaf"},
		{"spoke/crypto/keychain/fake", "github.com/zalando/go-keyring", "crypto is a leaf"},
		{"spoke/store", "spoke/sync/engine", "store is the domain"},
		{"spoke/store", "spoke/sync/wire", "store is the domain"},
		{"spoke/store", "spoke/cli", "store is the domain"},
		{"spoke/store", "spoke/app", "store is the domain"},
		{"spoke/store", "spoke/demo", "store is the domain"},
		{"spoke/store", "spoke/csvimport", "store is the domain"},
		{"spoke/store/backup", "spoke/sync/hubclient", "store is the domain"},
		{"spoke/store/contact", "spoke/csvimport", "store is the domain"},
		{"spoke/store", "spoke/compliance/subject", "store is the domain"},
		{"spoke/compliance/subject", "spoke/crypto/seal", "compliance renders what the store hands out"},
		{"spoke/compliance/subject", "spoke/app", "compliance renders what the store hands out"},
		{"spoke/sync/engine", "spoke/sync/hub", "the client side speaks the protocol"},
		{"spoke/sync/engine", "spoke/sync/hub/sqlite", "the client side speaks the protocol"},
		{"spoke/sync/hubclient", "spoke/sync/hub", "the client side speaks the protocol"},
		{"spoke/app", "spoke/cli", "front ends are peers"},
		{"spoke/app/ui", "spoke/cli", "front ends are peers"},
		{"spoke/app/ui", "spoke/store", "shared widgets see no app"},
		{"spoke/app/ui", "spoke/app", "shared widgets see no app"},
		{"spoke/compliance/deadline", "spoke/store", "the legal rules are pure"},
		{"spoke/compliance/deadline", "github.com/some/helper", "the legal rules are pure"},
		{"spoke/compliance/deadline", "spoke/store/contact", "the legal rules are pure"},
		{"spoke/detect", "spoke/store", "the detector is pure"},
		{"spoke/detect", "spoke/crypto/seal", "the detector is pure"},
		{"spoke/detect", "spoke/hlc", "the detector is pure"},
		{"spoke/detect/eval", "spoke/demo", "the detector is pure"},
		{"spoke/detect/eval/cmd/spoke-eval", "github.com/some/helper", "the detector is pure"},
		{"spoke/compliance/training", "spoke/store", "the legal rules are pure"},
		{"spoke/compliance/training", "github.com/some/helper", "the legal rules are pure"},
		{"spoke/store", "spoke/compliance/processing", "store is the domain"},
		{"spoke/protocol", "spoke/store", "the protocol is a leaf"},
		{"spoke/protocol", "spoke/sync/hub", "the protocol is a leaf"},
		{"spoke/protocol/auditrec", "spoke/sync/wire", "the protocol is a leaf"},
		{"spoke/protocol", "github.com/some/helper", "the protocol is a leaf"},
		{"spoke/cmd/spoke-hub", "spoke/store", "the hub binary is small"},
		{"spoke/cmd/spoke-hub", "spoke/cli", "the hub binary is small"},
		{"spoke/sync/hub", "spoke/store/contact", "the hub binary is small"},
		{"spoke/sync/hub/sqlite", "spoke/sync/engine", "the hub binary is small"},
		{"spoke/protocol", "spoke/app", "the hub binary is small"},
		{"spoke/sync/hub", "spoke/demo", "the hub binary is small"},
		{"spoke/store", "fyne.io/fyne/v2", "Fyne stops at app/"},
		{"spoke/cli", "spoke/app", "Fyne stops at app/"},
		{"spoke", "spoke/app", "Fyne stops at app/"},
		{"spoke/launch", "fyne.io/fyne/v2", "Fyne stops at app/"},
		{"spoke/sync/engine", "github.com/go-gl/glfw/v3.3/glfw", "Fyne stops at app/"},
		{"spoke/cmd/spoke-hub", "fyne.io/fyne/v2/app", "Fyne stops at app/"},
		{"spoke/demo", "spoke/app/ui", "Fyne stops at app/"},
	}
	for _, a := range arrows {
		t.Run(a.from+" -> "+a.to, func(t *testing.T) {
			g := clean()
			if slices.Contains(g[a.from], a.to) {
				t.Fatalf("the clean graph already has %s -> %s", a.from, a.to)
			}
			g[a.from] = append(slices.Clone(g[a.from]), a.to)
			if _, ok := g[a.to]; !ok {
				g[a.to] = nil
			}
			vs := check(g, rules)
			if !slices.ContainsFunc(vs, func(v violation) bool {
				return v.rule == a.rule && (v.to == a.to || slices.Contains(v.path, a.to)) && (v.from == a.from || slices.Contains(v.path, a.from))
			}) {
				t.Fatalf("not reported by %q: got %v", a.rule, vs)
			}
		})
	}
	// Every rule is exercised above.
	for _, r := range rules {
		if !slices.ContainsFunc(arrows, func(a struct{ from, to, rule string }) bool { return a.rule == r.name }) {
			t.Errorf("rule %q has no forbidden arrow in this test", r.name)
		}
	}
}

// TestReachPath: a transitive violation names the path that brings the dependency in.
func TestReachPath(t *testing.T) {
	g := clean()
	g["spoke/sync/hub"] = append(g["spoke/sync/hub"], "spoke/sync/engine")
	for _, v := range check(g, rules) {
		if v.rule == "the hub binary is small" && v.to == "spoke/store" {
			if got := v.String(); got != "spoke/cmd/spoke-hub -> spoke/sync/hub -> spoke/sync/engine -> spoke/store" {
				t.Fatalf("path %q", got)
			}
			return
		}
	}
	t.Fatal("the hub reaching the store through the engine is not reported")
}
