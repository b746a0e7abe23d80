package store

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocListsEveryFile keeps doc.go's map of files by concept true: every source file of the
// package is named there, and every file named there exists.
func TestDocListsEveryFile(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(string(doc), "Files, by concept:")
	named := regexp.MustCompile(`[a-z_]+\.go`).FindAllString(list, -1)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && f != "doc.go" && !slices.Contains(named, f) {
			t.Errorf("%s is not in doc.go's file map", f)
		}
	}
	for _, f := range named {
		if !slices.Contains(files, f) {
			t.Errorf("doc.go names %s, which does not exist", f)
		}
	}
}
