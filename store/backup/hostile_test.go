package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestHostileSmallFiles: a backup folder (a share anyone may write) whose manifest, key file or
// drill record is replaced by a huge file or a link to an endless device is refused with a
// clear error before anything reads it whole; the genuine files keep working once restored.
func TestHostileSmallFiles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	r := e.backup(t, "full")
	c := Credentials{Session: e.ss}
	for _, name := range []string{r.Manifest.ID + ".manifest", keyFile} {
		path := filepath.Join(e.bdir, name)
		saved, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for how, plant := range map[string]func() error{
			"huge file": func() error { return os.Truncate(path, 1<<30) }, // sparse: no disk used
			"link to /dev/zero": func() error {
				if err := os.Remove(path); err != nil {
					return err
				}
				return os.Symlink("/dev/zero", path)
			},
		} {
			if err := plant(); err != nil {
				t.Fatal(err)
			}
			_, err := List(ctx, e.bdir, c)
			if !errors.Is(err, ErrNotAFile) {
				t.Errorf("%s as %s: List says %v, want ErrNotAFile", how, name, err)
			}
			os.Remove(path)
			if err := os.WriteFile(path, saved, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if es, err := List(ctx, e.bdir, c); err != nil || len(es) != 1 {
		t.Fatalf("the genuine folder: %v, %d backups", err, len(es))
	}
}
