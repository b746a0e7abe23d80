package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"spoke/compliance/training"
	"spoke/crypto/keys"
	"spoke/store"
)

// fixedDraw makes every quiz of a lesson the same draw, so a test knows its key.
func fixedDraw(n int) int { return n / 2 }

// runQuiz runs one command with stdin and the fixed draw.
func (c *cliT) runQuiz(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return c.vars[k] },
		Options: store.Options{KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}, Keychain: c.kc, Now: c.now, Intn: fixedDraw}}
	code := Run(context.Background(), env, append(args, "--data", c.dir))
	return code, out.String(), errb.String()
}

// quizAnswers is the fixed draw's right answers of a lesson, numbered from 1, with wrong of
// them made wrong.
func quizAnswers(t *testing.T, lesson string, wrong int) []int {
	t.Helper()
	c, err := training.BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := c.Lesson(lesson, "en")
	q := training.Draw(l, training.QuizSize, fixedDraw)
	key := training.Grade(l, q, nil).RightAnswer
	for i := range key {
		if i < wrong {
			key[i] = (key[i] + 1) % len(q.Items[i].Options)
		}
		key[i]++
	}
	return key
}

func joined(a []int) string {
	s := make([]string, len(a))
	for i, n := range a {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func TestCLITraining(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email,phone\nAda Lovelace,ada@example.com,(415) 555-0101\n")))

	out := sam.ok("training", "--as", "sam")
	if !strings.Contains(out, "Your security training: DUE since") || strings.Count(out, "  yes  ") != 6 || !strings.Contains(out, "counter") {
		t.Fatalf("list: %s", out)
	}
	if out := sam.ok("training", "show", "rights", "--as", "sam", "--lang", "zh-Hans"); !strings.Contains(out, "客户的权利请求") || !strings.Contains(out, "spoke training take rights") {
		t.Fatalf("show: %s", out)
	}
	// Fifteen days on, customer data is closed to sam, with what to do.
	later := func(c *cliT) *cliT {
		c2 := *c
		c2.now = func() time.Time { return time.Now().Add(15 * 24 * time.Hour) }
		return &c2
	}
	samL, ownerL := later(sam), later(owner)
	code, _, errs := samL.run("customers", "--as", "sam")
	if code != 1 || !strings.Contains(errs, "Administration → Training") || !strings.Contains(errs, "spoke training") {
		t.Fatalf("blocked customers: exit %d %q", code, errs)
	}
	if out := samL.ok("training", "list", "--as", "sam"); !strings.Contains(out, "customer data is closed to you") {
		t.Fatalf("list when blocked: %s", out)
	}
	// A failed quiz: exit 1, the right answers and why, and nothing counts.
	code, out, _ = samL.runQuiz("", "training", "take", "counter", "--as", "sam", "--answers", joined(quizAnswers(t, "counter", 2)))
	if code != 1 || !strings.Contains(out, "3 of 5 right (60%): not passed") || strings.Count(out, "Right answer: ") != 2 || !strings.Contains(out, "Why: ") {
		t.Fatalf("failed quiz: exit %d\n%s", code, out)
	}
	// Interactive: a wrong entry is asked again.
	stdin := "x\n9\n" + strings.ReplaceAll(joined(quizAnswers(t, "counter", 0)), ",", "\n") + "\n"
	code, out, _ = samL.runQuiz(stdin, "training", "take", "counter", "--as", "sam")
	if code != 0 || !strings.Contains(out, "5 of 5 right (100%): PASSED") || strings.Count(out, "Type a number from 1 to") != 2 || !strings.Contains(out, "   1) ") {
		t.Fatalf("interactive quiz: exit %d\n%s", code, out)
	}
	for _, l := range []string{"passwords", "phishing", "break-glass", "breach"} {
		if code, out, _ := samL.runQuiz("", "training", "take", l, "--as", "sam", "--answers", joined(quizAnswers(t, l, 1))); code != 0 || !strings.Contains(out, "4 of 5 right (80%): PASSED") {
			t.Fatalf("%s: exit %d\n%s", l, code, out)
		}
	}
	if code, _, errs := samL.run("customers", "--as", "sam"); code != 1 || !strings.Contains(errs, "overdue") {
		t.Fatalf("one lesson short: %d %q", code, errs)
	}
	code, out, _ = samL.runQuiz("", "training", "take", "rights", "--as", "sam", "--answers", joined(quizAnswers(t, "rights", 0)))
	if code != 0 || !strings.Contains(out, "Your security training: current: due again on") {
		t.Fatalf("the last lesson: exit %d\n%s", code, out)
	}
	if out := samL.ok("customers", "--as", "sam"); !strings.Contains(out, "Ada Lovelace") {
		t.Fatalf("customers after passing: %s", out)
	}

	// Status for the owner; the owner, overdue, still administers (settings) but not customers.
	var rows []store.TrainingStatus
	for _, l := range strings.Split(strings.TrimSpace(ownerL.ok("training", "status", "--as", "olga", "--json")), "\n") {
		var s store.TrainingStatus
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, s)
	}
	states := map[string]string{}
	for _, s := range rows {
		states[s.Username] = s.State
	}
	if states["sam"] != "current" || states["olga"] != "blocked" || states["sue"] != "blocked" || len(states) != 4 {
		t.Fatalf("status: %v", states)
	}
	if out := ownerL.ok("training", "status", "--as", "olga"); !strings.Contains(out, "LAST COMPLETE") || !strings.Contains(out, "Spoke & Chain") {
		t.Fatalf("status table: %s", out)
	}
	if out := ownerL.ok("training", "settings", "--as", "olga", "--period-months", "6", "--grace-days", "7", "--enforce", "off"); !strings.Contains(out, "6 months") || !strings.Contains(out, "7 days") || !strings.Contains(out, "off:") || !strings.Contains(out, "Set by olga") {
		t.Fatalf("settings: %s", out)
	}
	if out := ownerL.ok("audit", "--as", "olga", "--action", "training.settings"); !strings.Contains(out, "period_months=12->6 grace_days=14->7 enforce=on->off") {
		t.Fatalf("the settings change is not audited with old and new values: %s", out)
	}
	if out := ownerL.ok("customers", "--as", "olga"); !strings.Contains(out, "Ada Lovelace") {
		t.Fatalf("enforcement off: %s", out)
	}
	if out := ownerL.ok("training", "settings", "--as", "olga"); !strings.Contains(out, "6 months") {
		t.Fatalf("settings shown: %s", out)
	}

	for _, tc := range []struct {
		name string
		cli  *cliT
		args []string
		code int
		want string
	}{
		{"unknown step", sam, []string{"training", "learn", "--as", "sam"}, 2, "unknown step"},
		{"show without a lesson", sam, []string{"training", "show", "--as", "sam"}, 2, "usage"},
		{"a flag of another step", sam, []string{"training", "show", "counter", "--as", "sam", "--answers", "1"}, 2, "--answers does not apply"},
		{"bad language", sam, []string{"training", "show", "counter", "--as", "sam", "--lang", "fr"}, 2, "--lang"},
		{"unknown lesson", sam, []string{"training", "show", "cooking", "--as", "sam"}, 1, "not found"},
		{"too few answers", sam, []string{"training", "take", "counter", "--as", "sam", "--answers", "1,2"}, 2, "the quiz has 5 questions"},
		{"bad answers", sam, []string{"training", "take", "counter", "--as", "sam", "--answers", "a,b"}, 2, "--answers"},
		{"an answer out of range", sam, []string{"training", "take", "counter", "--as", "sam", "--answers", "9,9,9,9,9"}, 2, "options"},
		{"no stdin", sam, []string{"training", "take", "counter", "--as", "sam"}, 1, "standard input ended"},
		{"sales asks for status", sam, []string{"training", "status", "--as", "sam"}, 1, "not allowed"},
		{"sales sets", sam, []string{"training", "settings", "--as", "sam", "--grace-days", "100"}, 1, "not allowed"},
		{"bad enforce", owner, []string{"training", "settings", "--as", "olga", "--enforce", "maybe"}, 2, "--enforce"},
		{"bad period", owner, []string{"training", "settings", "--as", "olga", "--period-months", "0"}, 1, "period_months"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := tc.cli.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// TestCLITrainingShopLessons: a malformed file in the data folder's lessons/ is named, with
// its line, as a warning, and the rest is listed.
func TestCLITrainingShopLessons(t *testing.T) {
	c := setupShop(t)
	sam := c.as("sam", "sales-password-1")
	dir := filepath.Join(c.dir, "lessons")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys.en.lesson"), []byte("spoke-lesson 1\nid: keys\nlang: en\n\ntext\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := sam.run("training", "--as", "sam")
	if code != 0 || !strings.Contains(errs, "warning: lesson lessons/keys.en.lesson, line 4: the header has no title (left out)") || !strings.Contains(out, "break-glass") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}
