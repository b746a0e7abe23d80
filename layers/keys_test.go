package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestFrontEndsHoldNoKeys: the GUI and the CLI (app/, cli/, cmd/) never handle key material or
// reach past an operation's own check. They pass the store's sync port, st.Replica(), straight
// to the sync engine and call nothing on it (it carries scope keys and device secrets); and they
// never call what lends the master key or the store to an operation (BackupKeys, StoreFor,
// OpenBackupKey, WrapBackupKey, ExportScopeKeys): the operations in store/backup and sync/engine do, after
// checking the session they were given.
func TestFrontEndsHoldNoKeys(t *testing.T) {
	forbidden := map[string]string{
		"BackupKeys":      "lends the master key to a backup operation: call the operation (backup.List, Check, Restore...)",
		"StoreFor":        "hands an operation the store after its check: call the operation",
		"OpenBackupKey":   "opens a backup folder's key: for store/backup only",
		"WrapBackupKey":   "wraps a backup folder's key: for store/backup only",
		"MasterKeyCopy":   "the master key never leaves the store",
		"ExportScopeKeys": "returns raw scope keys, for sealing them to a new device (sync/engine)",
	}
	fset := token.NewFileSet()
	for _, root := range []string{"../app", "../cli", "../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			var stack []ast.Node
			ast.Inspect(f, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return false
				}
				stack = append(stack, n)
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if why, bad := forbidden[sel.Sel.Name]; bad {
					t.Errorf("%s: calls %s, which %s", fset.Position(call.Pos()), sel.Sel.Name, why)
				}
				if sel.Sel.Name == "Replica" && len(call.Args) == 0 && !argumentToEngine(stack) {
					t.Errorf("%s: uses the store's sync port other than as an argument to the sync engine", fset.Position(call.Pos()))
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// argumentToEngine reports whether the innermost node of stack (a call) is directly an argument
// of a call to a function of package engine.
func argumentToEngine(stack []ast.Node) bool {
	if len(stack) < 2 {
		return false
	}
	parent, ok := stack[len(stack)-2].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := parent.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || pkg.Name != "engine" {
		return false
	}
	for _, a := range parent.Args {
		if a == stack[len(stack)-1] {
			return true
		}
	}
	return false
}
