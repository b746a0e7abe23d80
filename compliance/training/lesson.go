package training

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The format's limits.
const (
	// Magic is the first line of every lesson file: the format and its version.
	Magic = "spoke-lesson 1"
	// MaxFileSize is the largest lesson file read.
	MaxFileSize = 64 << 10
	// MaxOptions is the most options a question may offer.
	MaxOptions = 6
	// MaxLine is the longest line, in characters.
	MaxLine = 2000
	// MaxQuestions is the largest question pool of a lesson.
	MaxQuestions = 100
)

// Languages are the languages a lesson may be written in: the app's.
var Languages = []string{"en", "zh-Hans"}

// Lesson is one lesson in one language.
type Lesson struct {
	ID        string
	Lang      string
	Title     string
	Order     int
	Body      string // paragraphs, "## " headings, "- " bullets
	Questions []Question
	File      string // where it came from, as the errors name it
	BuiltIn   bool
}

// Question is one single-choice question of a lesson's pool.
type Question struct {
	Text    string
	Options []string
	Answer  int    // the index of the right option
	Why     string // shown after grading; may be empty
	Line    int    // the line of its "Q: " in the file
}

// ParseError is a lesson file refused: the file, the line (0: the whole file) and why.
type ParseError struct {
	File   string
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("lesson %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("lesson %s, line %d: %s", e.File, e.Line, e.Reason)
}

// validID reports whether id is a lesson id: lower-case ASCII letters, digits and '-', 1 to
// 40 characters, starting with a letter.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 40 || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidLang reports whether lang is one of Languages.
func ValidLang(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// ParseLesson reads one lesson file. name is what errors call the file. It never panics: every
// input is either a lesson or a *ParseError.
func ParseLesson(name string, data []byte) (*Lesson, error) {
	fail := func(line int, format string, a ...any) (*Lesson, error) {
		return nil, &ParseError{File: name, Line: line, Reason: fmt.Sprintf(format, a...)}
	}
	if len(data) > MaxFileSize {
		return fail(0, "the file is larger than %d KiB", MaxFileSize>>10)
	}
	if !utf8.Valid(data) {
		return fail(0, "the file is not UTF-8 text")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte-order mark some editors write
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, l := range lines {
		if utf8.RuneCountInString(l) > MaxLine {
			return fail(i+1, "the line is longer than %d characters", MaxLine)
		}
		if strings.ContainsFunc(l, func(r rune) bool { return r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') }) {
			return fail(i+1, "the line holds a control character")
		}
		lines[i] = strings.TrimRight(l, " \t")
	}
	l := &Lesson{File: name}
	n := 0 // index of the next line
	next := func() (string, int, bool) {
		if n >= len(lines) {
			return "", n, false
		}
		n++
		return lines[n-1], n, true
	}
	// The magic line, then the header.
	first, _, _ := next()
	if first != Magic {
		return fail(1, "the first line must be %q", Magic)
	}
	seen := map[string]bool{}
	for {
		line, at, ok := next()
		if !ok {
			return fail(at, "the file ends in its header: a blank line, the text and \"=== quiz\" must follow")
		}
		if line == "" {
			break
		}
		key, value, found := strings.Cut(line, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !found || key == "" {
			return fail(at, "a header line is \"key: value\" (id, lang, title, order)")
		}
		if seen[key] {
			return fail(at, "%s is given twice", key)
		}
		seen[key] = true
		switch key {
		case "id":
			if !validID(value) {
				return fail(at, "id must be 1 to 40 lower-case letters, digits or '-', starting with a letter")
			}
			l.ID = value
		case "lang":
			if !ValidLang(value) {
				return fail(at, "lang must be one of %s", strings.Join(Languages, ", "))
			}
			l.Lang = value
		case "title":
			if value == "" || utf8.RuneCountInString(value) > 120 {
				return fail(at, "title must be 1 to 120 characters")
			}
			l.Title = value
		case "order":
			o, err := strconv.Atoi(value)
			if err != nil || o < 0 || o > 100000 {
				return fail(at, "order must be a whole number from 0 to 100000")
			}
			l.Order = o
		default:
			return fail(at, "unknown header %q (id, lang, title, order)", key)
		}
	}
	for _, k := range []string{"id", "lang", "title"} {
		if !seen[k] {
			return fail(n, "the header has no %s", k)
		}
	}
	// The text, up to the quiz.
	var body []string
	quizAt := 0
	for {
		line, at, ok := next()
		if !ok {
			return fail(at, "the file has no \"=== quiz\" line")
		}
		if line == "=== quiz" {
			quizAt = at
			break
		}
		body = append(body, line)
	}
	l.Body = strings.TrimSpace(strings.Join(body, "\n"))
	if l.Body == "" {
		return fail(quizAt, "the lesson has no text before \"=== quiz\"")
	}
	// The questions.
	var q *Question
	finish := func() error {
		if q == nil {
			return nil
		}
		switch {
		case len(q.Options) < 2:
			return &ParseError{name, q.Line, "a question needs at least 2 options"}
		case q.Answer < 0:
			return &ParseError{name, q.Line, "a question needs one right answer (an option line starting with \"+ \")"}
		}
		l.Questions = append(l.Questions, *q)
		q = nil
		return nil
	}
	for {
		line, at, ok := next()
		if !ok {
			break
		}
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "Q: "):
			if err := finish(); err != nil {
				return nil, err
			}
			if len(l.Questions) >= MaxQuestions {
				return fail(at, "a lesson has at most %d questions", MaxQuestions)
			}
			text := strings.TrimSpace(line[3:])
			if text == "" {
				return fail(at, "the question has no text")
			}
			q = &Question{Text: text, Answer: -1, Line: at}
		case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "+ "):
			if q == nil {
				return fail(at, "an option comes before any question (\"Q: \")")
			}
			if q.Why != "" {
				return fail(at, "an option comes after the question's \"why: \" line")
			}
			if len(q.Options) == MaxOptions {
				return fail(at, "a question has at most %d options", MaxOptions)
			}
			text := strings.TrimSpace(line[2:])
			if text == "" {
				return fail(at, "the option has no text")
			}
			for _, o := range q.Options {
				if o == text {
					return fail(at, "the option is given twice")
				}
			}
			if line[0] == '+' {
				if q.Answer >= 0 {
					return fail(at, "a question has one right answer: a second \"+ \" option")
				}
				q.Answer = len(q.Options)
			}
			q.Options = append(q.Options, text)
		case strings.HasPrefix(line, "why: "):
			if q == nil || len(q.Options) == 0 {
				return fail(at, "\"why: \" comes after a question's options")
			}
			if q.Why != "" {
				return fail(at, "a question has one \"why: \" line")
			}
			q.Why = strings.TrimSpace(line[5:])
		default:
			return fail(at, "in the quiz a line starts with \"Q: \", \"- \", \"+ \" or \"why: \"")
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(l.Questions) < QuizSize {
		return fail(quizAt, "the quiz has %d questions; a lesson needs at least %d", len(l.Questions), QuizSize)
	}
	return l, nil
}
