package training

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed lessons/*
var builtinFS embed.FS

// Catalog is a set of lessons, each in one or more languages.
type Catalog struct {
	byID map[string]map[string]*Lesson // id -> lang -> lesson
}

// BuiltIn parses the embedded lessons. They are part of the build, so an error here is a bug
// the package's tests catch; it is returned, never panicked.
func BuiltIn() (*Catalog, error) {
	c := &Catalog{byID: map[string]map[string]*Lesson{}}
	names, err := fs.Glob(builtinFS, "lessons/*.lesson")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		l, err := ParseLesson(name, b)
		if err != nil {
			return nil, err
		}
		l.BuiltIn = true
		if err := c.add(l); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalog) add(l *Lesson) error {
	langs := c.byID[l.ID]
	if langs == nil {
		langs = map[string]*Lesson{}
		c.byID[l.ID] = langs
	}
	for _, other := range langs {
		if other.BuiltIn != l.BuiltIn {
			return &ParseError{File: l.File, Reason: fmt.Sprintf("%q is a built-in lesson: give a shop's own lesson an id of its own", l.ID)}
		}
	}
	if prev := langs[l.Lang]; prev != nil {
		return &ParseError{File: l.File, Reason: fmt.Sprintf("lesson %q in %s is also in %s", l.ID, l.Lang, prev.File)}
	}
	langs[l.Lang] = l
	return nil
}

// FolderError lists the lesson files of a folder that were refused; the others were loaded.
type FolderError struct{ Files []*ParseError }

func (e *FolderError) Error() string {
	parts := make([]string, len(e.Files))
	for i, f := range e.Files {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the refused files' errors.
func (e *FolderError) Unwrap() []error {
	out := make([]error, len(e.Files))
	for i, f := range e.Files {
		out[i] = f
	}
	return out
}

// MaxFolderFiles is how many lesson files a folder may hold; more are refused.
const MaxFolderFiles = 200

// WithFolder returns a catalog of c's lessons and those of the *.lesson files at the top of
// fsys (a shop's own, e.g. the data folder's lessons/). Every file that is malformed, too
// large, or clashes with another lesson is left out and named in a *FolderError, with its
// line where there is one; the rest load. A folder that does not exist adds nothing and is
// no error. c itself is not changed.
func (c *Catalog) WithFolder(fsys fs.FS, dir string) (*Catalog, error) {
	out := &Catalog{byID: make(map[string]map[string]*Lesson, len(c.byID))}
	for id, langs := range c.byID {
		m := make(map[string]*Lesson, len(langs))
		for k, v := range langs {
			m[k] = v
		}
		out.byID[id] = m
	}
	entries, err := fs.ReadDir(fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, &FolderError{Files: []*ParseError{{File: dir, Reason: "the folder cannot be read: " + pathless(err)}}}
	}
	var bad []*ParseError
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".lesson") {
			continue
		}
		name := path.Join(dir, e.Name())
		if n++; n > MaxFolderFiles {
			bad = append(bad, &ParseError{File: name, Reason: fmt.Sprintf("the folder holds more than %d lessons", MaxFolderFiles)})
			continue
		}
		if info, err := e.Info(); err != nil || !info.Mode().IsRegular() {
			bad = append(bad, &ParseError{File: name, Reason: "not a regular file"})
			continue
		} else if info.Size() > MaxFileSize {
			bad = append(bad, &ParseError{File: name, Reason: fmt.Sprintf("the file is larger than %d KiB", MaxFileSize>>10)})
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			bad = append(bad, &ParseError{File: name, Reason: "cannot be read: " + pathless(err)})
			continue
		}
		l, err := ParseLesson(name, b)
		if err == nil {
			err = out.add(l)
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			bad = append(bad, pe)
		} else if err != nil {
			bad = append(bad, &ParseError{File: name, Reason: err.Error()})
		}
	}
	if len(bad) > 0 {
		return out, &FolderError{Files: bad}
	}
	return out, nil
}

// pathless is an fs error without the path it carries (the caller names the file).
func pathless(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Lesson returns lesson id in lang, or else in English, or else in the first language it has.
func (c *Catalog) Lesson(id, lang string) (*Lesson, bool) {
	langs := c.byID[id]
	if l := langs[lang]; l != nil {
		return l, true
	}
	if l := langs["en"]; l != nil {
		return l, true
	}
	for _, want := range Languages {
		if l := langs[want]; l != nil {
			return l, true
		}
	}
	return nil, false
}

// List returns every lesson once, in lang where it has it (see Lesson), by order then id:
// the built-in lessons first.
func (c *Catalog) List(lang string) []*Lesson {
	out := make([]*Lesson, 0, len(c.byID))
	for id := range c.byID {
		if l, ok := c.Lesson(id, lang); ok {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.BuiltIn != b.BuiltIn {
			return a.BuiltIn
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.ID < b.ID
	})
	return out
}

// Required lists the ids of the built-in lessons, sorted: passing each of them is what makes
// the training complete. A shop's own lessons are optional: the folder they come from is this
// computer's, so requiring them would give one person two standings on two devices.
func (c *Catalog) Required() []string {
	var out []string
	for id, langs := range c.byID {
		for _, l := range langs {
			if l.BuiltIn {
				out = append(out, id)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
