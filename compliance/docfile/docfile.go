// Package docfile writes a document a person asked for (a data-subject export, a record of
// processing, a privacy notice) to the path they chose: never over an existing file, and never
// half-written (a temporary file in the same folder, synced, then linked or renamed into place).
// It names no path and no content in its errors, since a path a person typed may hold a name.
package docfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrWrite means the file could not be written where asked; nothing was saved there.
var ErrWrite = errors.New("the file could not be written there; choose another place (nothing was saved)")

// ErrExists means a file of that name is already there; nothing was written.
var ErrExists = errors.New("a file of that name already exists; choose another name (nothing was overwritten)")

// WriteNew writes data to path with permissions perm, refusing to replace anything there.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	if path == "" {
		return errors.New("no file name given")
	}
	if _, err := os.Lstat(path); err == nil {
		return ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return ErrWrite
	}
	dir := filepath.Dir(path)
	name, err := writeTemp(dir, data, perm)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.Remove(name)
		}
	}()
	// A hard link fails if the name exists, so a file created meanwhile is not replaced; a
	// file system without links (FAT, some shares) gets the check above and a rename.
	switch err := os.Link(name, path); {
	case err == nil:
		os.Remove(name)
	case errors.Is(err, fs.ErrExist):
		return ErrExists
	default:
		if _, err := os.Lstat(path); err == nil {
			return ErrExists
		}
		if err := os.Rename(name, path); err != nil {
			return ErrWrite
		}
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Replace writes data to path with permissions perm, replacing a file there (never a folder or
// a link) in one rename, so the path holds the old file or the new one, never half of either.
// Use it only where the person asked to overwrite.
func Replace(path string, data []byte, perm fs.FileMode) error {
	if path == "" {
		return errors.New("no file name given")
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return ErrExists // a folder, a link or a device is not overwritten
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ErrWrite
	}
	dir := filepath.Dir(path)
	name, err := writeTemp(dir, data, perm)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(name)
		}
	}()
	if err := os.Rename(name, path); err != nil {
		return ErrWrite
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeTemp writes data, synced and with permissions perm, to a new temporary file in dir and
// returns its name; on an error nothing is left behind.
func writeTemp(dir string, data []byte, perm fs.FileMode) (string, error) {
	tmp, err := os.CreateTemp(dir, ".spoke-doc-*.tmp")
	if err != nil {
		return "", ErrWrite
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, perm)
	}
	if werr != nil {
		os.Remove(name)
		return "", ErrWrite
	}
	return name, nil
}
