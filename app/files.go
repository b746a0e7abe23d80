package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// folderEmpty reports whether a folder is missing or holds nothing.
func folderEmpty(dir string) bool {
	es, err := os.ReadDir(dir)
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	return len(es) == 0
}
