package training

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

const good = `spoke-lesson 1
id: shop-keys
lang: en
title: Keys to the shop
order: 70

Keep the keys on you.

=== quiz
Q: Where are the keys?
- On the counter
+ With you
why: Keys on the counter walk away.
Q: One?
+ a
- b
Q: Two?
+ a
- b
Q: Three?
+ a
- b
Q: Four?
- a
+ b
`

func TestParseLessonGood(t *testing.T) {
	l, err := ParseLesson("shop-keys.en.lesson", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "shop-keys" || l.Lang != "en" || l.Title != "Keys to the shop" || l.Order != 70 || l.Body != "Keep the keys on you." {
		t.Fatalf("header or body: %+v", l)
	}
	if len(l.Questions) != 5 || l.Questions[0].Answer != 1 || l.Questions[0].Why != "Keys on the counter walk away." || l.Questions[4].Answer != 1 || l.Questions[0].Line != 10 {
		t.Fatalf("questions: %+v", l.Questions)
	}
	// Windows line ends and a byte-order mark read the same.
	crlf := "\ufeff" + strings.ReplaceAll(good, "\n", "\r\n")
	if l2, err := ParseLesson("x", []byte(crlf)); err != nil || l2.Body != l.Body || len(l2.Questions) != 5 {
		t.Fatalf("CRLF: %v", err)
	}
}

// TestParseLessonRefuses: each broken file is refused with the line that breaks it.
func TestParseLessonRefuses(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	cases := []struct {
		name, file string
		line       int
		reason     string
	}{
		{"no magic", edit("spoke-lesson 1\n", "lesson\n"), 1, "first line"},
		{"empty", "", 1, "first line"},
		{"a later version", edit("spoke-lesson 1", "spoke-lesson 2"), 1, "first line"},
		{"unknown header", edit("order: 70", "colour: red"), 5, "unknown header"},
		{"header without colon", edit("order: 70", "order 70"), 5, "key: value"},
		{"bad id", edit("id: shop-keys", "id: Shop Keys"), 2, "id must be"},
		{"bad lang", edit("lang: en", "lang: fr"), 3, "lang must be"},
		{"bad order", edit("order: 70", "order: -1"), 5, "order must be"},
		{"twice", edit("order: 70", "title: again"), 5, "twice"},
		{"no title", edit("title: Keys to the shop\n", ""), 5, "no title"},
		{"ends in the header", "spoke-lesson 1\nid: a", 2, "ends in its header"},
		{"no lang", "spoke-lesson 1\nid: a\n", 3, "no lang"},
		{"no quiz", strings.Split(good, "=== quiz")[0], 9, "no \"=== quiz\""},
		{"no text", edit("Keep the keys on you.\n", ""), 8, "no text"},
		{"stray line in the quiz", edit("- On the counter", "On the counter"), 11, "starts with"},
		{"option before a question", edit("Q: Where are the keys?\n", ""), 10, "before any question"},
		{"two right answers", edit("- On the counter", "+ On the counter"), 12, "one right answer"},
		{"no right answer", edit("+ With you", "- With you"), 10, "one right answer"},
		{"one option", edit("- On the counter\n", ""), 10, "at least 2 options"},
		{"same option twice", edit("+ With you", "+ On the counter"), 12, "twice"},
		{"empty question", edit("Q: Where are the keys?", "Q:  "), 10, "starts with"},
		{"option after why", edit("why: Keys on the counter walk away.", "why: x\n- late"), 14, "after the question's"},
		{"why twice", edit("why: Keys on the counter walk away.", "why: x\nwhy: y"), 14, "one \"why: \""},
		{"too few questions", strings.Split(good, "Q: Four?")[0], 9, "at least 5"},
		{"control character", edit("Keep the keys", "Keep\x07 the keys"), 7, "control character"},
		{"not UTF-8", edit("Keep", "K\xffeep"), 0, "not UTF-8"},
		{"too long a line", edit("Keep the keys on you.", strings.Repeat("x", MaxLine+1)), 7, "longer than"},
		{"too large", good + strings.Repeat("\n", MaxFileSize), 0, "larger than"},
		{"too many options", edit("+ With you", "+ With you\n- c\n- d\n- e\n- f\n- g"), 17, "at most 6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLesson("lessons/x.lesson", []byte(c.file))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("accepted: %+v, %v", l, err)
			}
			if pe.File != "lessons/x.lesson" || pe.Line != c.line || !strings.Contains(pe.Reason, c.reason) {
				t.Fatalf("got %q (line %d), want line %d and %q", err, pe.Line, c.line, c.reason)
			}
			if !strings.HasPrefix(err.Error(), "lesson lessons/x.lesson") {
				t.Fatalf("the message does not name the file: %q", err)
			}
		})
	}
}

// TestBuiltInLessons: every built-in lesson parses, exists in both languages with the same
// title order and question count, has a text of a readable length and a pool of at least 8.
func TestBuiltInLessons(t *testing.T) {
	c, err := BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"breach", "break-glass", "counter", "passwords", "phishing", "rights"}
	if got := c.Required(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("required %v", got)
	}
	words := regexp.MustCompile(`[\p{L}\p{N}'’-]+`)
	for _, id := range want {
		en, zh := c.byID[id]["en"], c.byID[id]["zh-Hans"]
		if en == nil || zh == nil {
			t.Fatalf("%s: missing a language", id)
		}
		if !en.BuiltIn || en.Order != zh.Order || len(en.Questions) != len(zh.Questions) {
			t.Errorf("%s: the languages differ (order %d/%d, questions %d/%d)", id, en.Order, zh.Order, len(en.Questions), len(zh.Questions))
		}
		if len(en.Questions) < 8 {
			t.Errorf("%s: %d questions, want at least 8", id, len(en.Questions))
		}
		for i := range en.Questions {
			if len(en.Questions[i].Options) != len(zh.Questions[i].Options) || en.Questions[i].Answer != zh.Questions[i].Answer {
				t.Errorf("%s question %d: the languages' options or answers differ", id, i+1)
			}
			if en.Questions[i].Why == "" || zh.Questions[i].Why == "" {
				t.Errorf("%s question %d: no explanation", id, i+1)
			}
		}
		if n := len(words.FindAllString(en.Body, -1)); n < 300 || n > 600 {
			t.Errorf("%s: %d words of text, want 300 to 600", id, n)
		}
		han := 0
		for _, r := range zh.Body {
			if unicode.Is(unicode.Han, r) {
				han++
			}
		}
		if han < 450 {
			t.Errorf("%s: the Chinese text has %d characters", id, han)
		}
	}
}

func FuzzParseLesson(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(""))
	f.Add([]byte("spoke-lesson 1\nid: a\nlang: en\ntitle: t\n\nx\n=== quiz\nQ: q\n+ a\n- b\nwhy: w\n"))
	for _, name := range []string{"lessons/counter.en.lesson", "lessons/rights.zh-Hans.lesson"} {
		b, err := builtinFS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLesson("fuzz.lesson", b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.lesson" {
				t.Fatalf("not a ParseError: %v", err)
			}
			return
		}
		// What parses is usable: an id, a language, a pool a quiz can be drawn from and graded.
		if !validID(l.ID) || !ValidLang(l.Lang) || l.Title == "" || l.Body == "" || len(l.Questions) < QuizSize {
			t.Fatalf("accepted an unusable lesson: %+v", l)
		}
		for _, q := range l.Questions {
			if q.Answer < 0 || q.Answer >= len(q.Options) || len(q.Options) < 2 || len(q.Options) > MaxOptions {
				t.Fatalf("accepted a question without a usable key: %+v", q)
			}
		}
		n := 0
		qz := Draw(l, QuizSize, func(k int) int { n++; return n % k })
		right := make([]int, len(qz.Items))
		for i := range right {
			right[i] = Grade(l, qz, nil).RightAnswer[i]
		}
		if r := Grade(l, qz, right); !r.Passed || r.Correct != len(qz.Items) {
			t.Fatalf("the right answers do not pass: %+v", r)
		}
	})
}
