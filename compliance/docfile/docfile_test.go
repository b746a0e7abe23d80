package docfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "export.age")
	if err := WriteNew(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"an existing file": p, "a folder": dir} {
		if err := WriteNew(path, []byte("second"), 0o600); !errors.Is(err, ErrExists) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "first" {
		t.Fatalf("overwritten: %q", b)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", fi.Mode())
		}
	}
	if err := WriteNew(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600); err == nil {
		t.Error("wrote into a missing folder")
	}
	if err := WriteNew("", nil, 0o600); err == nil {
		t.Error("empty path accepted")
	}
	es, _ := os.ReadDir(dir)
	if len(es) != 1 {
		t.Fatalf("left behind: %v", es)
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.pdf")
	if err := Replace(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if err := Replace(dir, []byte("x"), 0o644); !errors.Is(err, ErrExists) {
		t.Fatalf("a folder was replaced: %v", err)
	}
	link := filepath.Join(dir, "l.pdf")
	if err := os.Symlink(p, link); err == nil {
		if err := Replace(link, []byte("x"), 0o644); !errors.Is(err, ErrExists) {
			t.Fatalf("a link was replaced: %v", err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".spoke-doc-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
