package layers

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// lenders are the store's methods that hand out key material or the store's sync port, or
// that lend the master key to an operation. Only the store itself and the operations that
// check a session first (store/backup, sync/engine) may name them.
var lenders = map[string]string{
	"BackupKeys":      "lends the master key to a backup operation: call the operation (backup.List, Check, Restore...)",
	"ReplicaFor":      "hands a device operation the sync port after its check: call the operation (engine.Connect...)",
	"OpenBackupKey":   "opens a backup folder's key: for store/backup only",
	"WrapBackupKey":   "wraps a backup folder's key: for store/backup only",
	"MasterKeyCopy":   "the master key never leaves the store",
	"ExportScopeKeys": "returns raw scope keys, for sealing them to a new device (sync/engine)",
	"ImportScopeKeys": "takes raw scope keys (sync/engine)",
	"ScopeKey":        "returns a raw scope key (the sync port's, for sync/engine)",
	"Secret":          "returns a device secret (the sync port's, for sync/engine)",
	"SetSecret":       "stores a device secret (the sync port's, for sync/engine)",
	"DeleteSecret":    "deletes a device secret (the sync port's, for sync/engine)",
	"DeviceIdentity":  "returns the device's private keys (the sync port's, for sync/engine)",
	"RawValue":        "reads stored bytes past the session (the sync port's, for sync tests)",
}

// mayLend are the packages allowed to name the lenders: the store, and the operations that
// check the session they are given before they use what is lent.
func mayLend(pkg string) bool {
	return under(pkg, "spoke/store") || pkg == "spoke/sync/engine"
}

// TestFrontEndsHoldNoKeys: no package that can reach the store (it imports spoke/store), bar the
// store and the operations above, names a method that lends keys (as a call, a method value or a
// method expression alike), and the store's sync port, st.Replica(), is only ever handed straight
// to a function of the sync engine (found by the file's own name for spoke/sync/engine, aliases
// included), never kept or called.
func TestFrontEndsHoldNoKeys(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "spoke/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var checked []string
	for dec.More() {
		var p struct {
			ImportPath, Dir string
			GoFiles         []string
			Imports         []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if mayLend(p.ImportPath) || !contains(p.Imports, "spoke/store") {
			continue
		}
		checked = append(checked, p.ImportPath)
		for _, f := range p.GoFiles {
			for _, v := range keyViolations(t, filepath.Join(p.Dir, f), nil) {
				t.Error(v)
			}
		}
	}
	for _, want := range []string{"spoke/app", "spoke/cli", "spoke/demo", "spoke/csvimport"} {
		if !contains(checked, want) {
			t.Errorf("%s was not checked (checked: %v): the walk is broken", want, checked)
		}
	}
}

// TestKeyCheckBites: each way of reaching a lender that the check must catch is caught.
func TestKeyCheckBites(t *testing.T) {
	for name, src := range map[string]string{
		"call":              `func f(st *store.Store) { st.Replica().ScopeKey(nil, "org", 1) }`,
		"kept port":         `func f(st *store.Store) { r := st.Replica(); _ = r }`,
		"method value":      `func f(st *store.Store) { g := st.Replica; _ = g }`,
		"method expression": `func f(st *store.Store) { _ = (*store.Store).Replica(st) }`,
		"lender":            `func f(ss *store.Session) { ss.BackupKeys(nil, "", "") }`,
		"fake engine name":  `func f(st *store.Store) { var engine struct{ New func(any) }; engine.New(st.Replica()) }`,
		"port call":         `func f(ss *store.Session) { ss.ReplicaFor(nil, "x") }`,
	} {
		path := filepath.Join(t.TempDir(), "x.go")
		file := "package x\n\nimport \"spoke/store\"\n\n" + src + "\n"
		if vs := keyViolations(t, path, []byte(file)); len(vs) == 0 {
			t.Errorf("%s: not caught:\n%s", name, src)
		}
	}
	ok := "package x\n\nimport (\n\t\"spoke/store\"\n\tsync \"spoke/sync/engine\"\n)\n\nfunc f(st *store.Store) { sync.New(st.Replica(), nil) }\n"
	if vs := keyViolations(t, filepath.Join(t.TempDir(), "ok.go"), []byte(ok)); len(vs) != 0 {
		t.Errorf("the port handed to the engine (aliased) is refused: %v", vs)
	}
}

// keyViolations parses one file (src, or the file at path) and returns what it does wrong.
func keyViolations(t *testing.T, path string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	var f *ast.File
	var err error
	if src != nil {
		f, err = parser.ParseFile(fset, path, src, 0)
	} else {
		f, err = parser.ParseFile(fset, path, nil, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	engine := "" // this file's name for the engine package
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "spoke/sync/engine" {
			engine = "engine"
			if im.Name != nil {
				engine = im.Name.Name
			}
		}
	}
	var out []string
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if why, bad := lenders[sel.Sel.Name]; bad {
			out = append(out, fset.Position(sel.Pos()).String()+": names "+sel.Sel.Name+", which "+why)
		}
		if sel.Sel.Name == "Replica" && !handedToEngine(stack, engine) {
			out = append(out, fset.Position(sel.Pos()).String()+": uses the store's sync port other than as an argument to the sync engine")
		}
		return true
	})
	return out
}

// handedToEngine reports whether the innermost node of stack (the selector X.Replica) is called
// with no arguments and that call is directly an argument of a call engine.F(...).
func handedToEngine(stack []ast.Node, engine string) bool {
	if engine == "" || len(stack) < 3 {
		return false
	}
	call, ok := stack[len(stack)-2].(*ast.CallExpr)
	if !ok || call.Fun != stack[len(stack)-1] || len(call.Args) != 0 {
		return false
	}
	parent, ok := stack[len(stack)-3].(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, ok := parent.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if pkg, ok := fn.X.(*ast.Ident); !ok || pkg.Name != engine || pkg.Obj != nil {
		return false // pkg.Obj is set for a local of that name, never for an import
	}
	for _, a := range parent.Args {
		if a == call {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
