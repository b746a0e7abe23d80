package training

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestWithFolder: a shop's lessons load beside the built-in ones; each malformed or clashing
// file is left out and named (with its line), the rest still load, and other files are ignored.
func TestWithFolder(t *testing.T) {
	base, err := BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	zh := strings.Replace(good, "lang: en", "lang: zh-Hans", 1)
	clash := strings.Replace(good, "id: shop-keys", "id: counter", 1)
	broken := strings.Replace(good, "+ With you", "With you", 1)
	fsys := fstest.MapFS{
		"shop-keys.en.lesson":      {Data: []byte(good)},
		"shop-keys.zh-Hans.lesson": {Data: []byte(zh)},
		"again.en.lesson":          {Data: []byte(good)}, // shop-keys in English a second time
		"counter.en.lesson":        {Data: []byte(clash)},
		"broken.en.lesson":         {Data: []byte(broken)},
		"README.txt":               {Data: []byte("not a lesson")},
		"sub/deep.lesson":          {Data: []byte(broken)},
	}
	c, err := base.WithFolder(fsys, "lessons")
	var fe *FolderError
	if !errors.As(err, &fe) || len(fe.Files) != 3 {
		t.Fatalf("want three refused files, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"lesson lessons/broken.en.lesson, line 12: in the quiz", "lessons/counter.en.lesson", "built-in", "lessons/again.en.lesson", "also in"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatal("the folder error does not unwrap to the files' errors")
	}
	if l, ok := c.Lesson("shop-keys", "zh-Hans"); !ok || l.Lang != "zh-Hans" || l.BuiltIn {
		t.Fatalf("the shop's lesson: %+v", l)
	}
	if l, ok := c.Lesson("counter", "en"); !ok || !l.BuiltIn {
		t.Fatal("a shop's file replaced a built-in lesson")
	}
	if got := strings.Join(c.Required(), ","); got != strings.Join(base.Required(), ",") {
		t.Fatalf("a shop's lesson became required: %s", got)
	}
	list := c.List("en")
	if len(list) != 7 || list[len(list)-1].ID != "shop-keys" || list[0].ID != "counter" {
		t.Fatalf("list order: %v", ids(list))
	}
	// The base catalog is unchanged; a missing folder is no error.
	if _, ok := base.Lesson("shop-keys", "en"); ok {
		t.Fatal("WithFolder changed its receiver")
	}
	if _, err := base.WithFolder(fstest.MapFS{}, "lessons"); err != nil {
		t.Fatal(err)
	}
}

func TestLessonLanguageFallback(t *testing.T) {
	c, _ := BuiltIn()
	c2, err := c.WithFolder(fstest.MapFS{"k.lesson": {Data: []byte(strings.Replace(good, "lang: en", "lang: zh-Hans", 1))}}, "lessons")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := c2.Lesson("counter", "zh-Hans"); l.Lang != "zh-Hans" {
		t.Fatal("no Chinese counter lesson")
	}
	if l, _ := c2.Lesson("counter", "de"); l.Lang != "en" {
		t.Fatal("an unknown language does not fall back to English")
	}
	if l, _ := c2.Lesson("shop-keys", "en"); l == nil || l.Lang != "zh-Hans" {
		t.Fatal("a lesson only in Chinese is not found in English")
	}
	if _, ok := c2.Lesson("nope", "en"); ok {
		t.Fatal("found a lesson that does not exist")
	}
}

func ids(ls []*Lesson) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}
