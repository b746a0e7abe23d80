package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"spoke/compliance/training"
	"spoke/store"
)

func init() {
	register(command{name: "training", summary: "security training: list, show LESSON, take LESSON; status (owner, manager) and settings (owner)", run: runTraining})
}

const trainingUsage = `usage: spoke training [list] --as USER [--lang en|zh-Hans] [--json]
       spoke training show --as USER [--lang en|zh-Hans] LESSON
       spoke training take --as USER [--lang en|zh-Hans] [--answers 1,3,2,1,2] LESSON
       spoke training status --as USER [--json]
       spoke training settings --as USER [--period-months N] [--grace-days N] [--enforce on|off]`

var trainingSteps = []string{"list", "show", "take", "status", "settings"}

func runTraining(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if !slices.Contains(trainingSteps, args[0]) {
			return errUsage{fmt.Sprintf("unknown step %q\n%s", args[0], trainingUsage)}
		}
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("training "+sub, env, &c, true)
	var (
		lang    = fs.String("lang", "en", "the lessons' language: en or zh-Hans")
		asJSON  = fs.Bool("json", false, "print JSON")
		answers = fs.String("answers", "", "the answers, by number, comma-separated, instead of asking (for scripts)")
		period  = fs.Int("period-months", 0, "training is due again this many months after the last complete pass")
		grace   = fs.Int("grace-days", -1, "days after the due date before customer data closes")
		enforce = fs.String("enforce", "", "on: an overdue training closes customer data; off: it only warns")
	)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	allowed := map[string][]string{
		"list": {"lang", "json"}, "show": {"lang"}, "take": {"lang", "answers"}, "status": {"json"},
		"settings": {"period-months", "grace-days", "enforce"},
	}[sub]
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains([]string{"data", "passphrase-file", "as", "password-file"}, f.Name) && !slices.Contains(allowed, f.Name) {
			stray = append(stray, "--"+f.Name)
		}
	})
	if len(stray) > 0 {
		return errUsage{fmt.Sprintf("%s does not apply here\n%s", strings.Join(stray, ", "), trainingUsage)}
	}
	if want := map[string]int{"show": 1, "take": 1}[sub]; len(pos) != want {
		return errUsage{trainingUsage}
	}
	if !training.ValidLang(*lang) {
		return errUsage{"--lang must be en or zh-Hans"}
	}
	var given []int
	if *answers != "" {
		for _, a := range strings.Split(*answers, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil || n < 0 {
				return errUsage{"--answers is the number of each answer, comma-separated, like 1,3,2,1,2 (0 for none)"}
			}
			given = append(given, n-1)
		}
	}
	if *enforce != "" && *enforce != "on" && *enforce != "off" {
		return errUsage{"--enforce must be on or off"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "list":
		return trainingList(ctx, env, ss, *lang, *asJSON)
	case "show":
		l, err := ss.Lesson(ctx, pos[0], *lang)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s\n%s\n\n%s\n\nTake the quiz: spoke training take %s\n", l.Title, strings.Repeat("=", 40), l.Body, l.ID)
		return nil
	case "take":
		return trainingTake(ctx, env, ss, pos[0], *lang, given)
	case "status":
		return trainingStatus(ctx, env, ss, *asJSON)
	}
	return trainingSettings(ctx, env, ss, fs, *period, *grace, *enforce)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02")
}

// standingLine is one sentence on where a person stands.
func standingLine(s store.TrainingStatus, grace int) string {
	closes := day(s.DueAt.AddDate(0, 0, grace))
	switch s.State {
	case store.TrainingCurrent:
		return fmt.Sprintf("current: due again on %s", day(s.DueAt))
	case store.TrainingDue:
		return fmt.Sprintf("DUE since %s: pass every lesson by %s, or customer data closes then", day(s.DueAt), closes)
	case store.TrainingOverdue:
		return fmt.Sprintf("OVERDUE since %s (customer data stays open: the owner switched enforcement off)", day(s.DueAt))
	}
	return fmt.Sprintf("OVERDUE since %s: customer data is closed to you until you pass every lesson", day(s.DueAt))
}

func trainingList(ctx context.Context, env Env, ss *store.Session, lang string, asJSON bool) error {
	lessons, err := ss.Lessons(ctx, lang)
	var fe *training.FolderError
	if errors.As(err, &fe) {
		for _, f := range fe.Files {
			fmt.Fprintf(env.Stderr, "warning: %s (left out)\n", f)
		}
	} else if err != nil {
		return err
	}
	me, err := ss.MyTraining(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			Status  store.TrainingStatus `json:"status"`
			Lessons []store.LessonInfo   `json:"lessons"`
		}{me, lessons})
	}
	set, err := ss.TrainingSettings(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Your security training: %s\n\n", standingLine(me, set.GraceDays))
	if err := emit(env.Stdout, false, lessons, []string{"LESSON", "TITLE", "PART OF THE TRAINING", "LAST PASSED"}, func(l store.LessonInfo) []any {
		req := "yes"
		if !l.Required {
			req = "no (this shop's own)"
		}
		return []any{l.ID, l.Title, req, day(l.LastPassed)}
	}); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "\nRead one: spoke training show LESSON; take its quiz: spoke training take LESSON")
	return nil
}

func trainingTake(ctx context.Context, env Env, ss *store.Session, lesson, lang string, given []int) error {
	q, err := ss.StartQuiz(ctx, lesson, lang)
	if err != nil {
		return err
	}
	if given != nil && len(given) != len(q.Questions) {
		return errUsage{fmt.Sprintf("--answers gives %d answers; the quiz has %d questions", len(given), len(q.Questions))}
	}
	fmt.Fprintf(env.Stdout, "%s: %d questions, pass mark %d%%\n", q.Title, len(q.Questions), q.PassPercent)
	in := bufio.NewScanner(env.Stdin)
	answers := make([]int, len(q.Questions))
	for i, qq := range q.Questions {
		fmt.Fprintf(env.Stdout, "\n%d. %s\n", i+1, qq.Text)
		for j, o := range qq.Options {
			fmt.Fprintf(env.Stdout, "   %d) %s\n", j+1, o)
		}
		if given != nil {
			if given[i] >= len(qq.Options) {
				return errUsage{fmt.Sprintf("--answers: question %d has %d options", i+1, len(qq.Options))}
			}
			answers[i] = given[i]
			continue
		}
		for tries := 0; ; tries++ {
			fmt.Fprintf(env.Stdout, "Your answer (1-%d): ", len(qq.Options))
			if !in.Scan() {
				return errors.New("the quiz needs an answer to every question (standard input ended); nothing was recorded")
			}
			n, err := strconv.Atoi(strings.TrimSpace(in.Text()))
			if err == nil && n >= 1 && n <= len(qq.Options) {
				answers[i] = n - 1
				break
			}
			if tries == 4 {
				return errors.New("no valid answer after five tries; nothing was recorded")
			}
			fmt.Fprintf(env.Stdout, "Type a number from 1 to %d.\n", len(qq.Options))
		}
	}
	r, err := ss.SubmitQuiz(ctx, q.ID, answers)
	if err != nil {
		return err
	}
	verdict := "PASSED"
	if !r.Passed {
		verdict = fmt.Sprintf("not passed (the pass mark is %d%%): read the lesson again and retake it with 'spoke training take %s'", r.PassPercent, r.LessonID)
	}
	fmt.Fprintf(env.Stdout, "\n%d of %d right (%d%%): %s\n", r.Correct, r.Total, r.Percent, verdict)
	for i, rv := range r.Review {
		if rv.Correct {
			continue
		}
		fmt.Fprintf(env.Stdout, "\n%d. %s\n   Right answer: %d) %s\n", i+1, rv.Question, rv.Right+1, rv.Answer)
		if rv.Why != "" {
			fmt.Fprintf(env.Stdout, "   Why: %s\n", rv.Why)
		}
	}
	set, err := ss.TrainingSettings(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nYour security training: %s\n", standingLine(r.Status, set.GraceDays))
	if !r.Passed {
		return errExit(1)
	}
	return nil
}

func trainingStatus(ctx context.Context, env Env, ss *store.Session, asJSON bool) error {
	list, err := ss.TrainingStatus(ctx)
	if err != nil {
		return err
	}
	shops := map[string]string{}
	if all, err := ss.Shops(ctx); err == nil {
		for _, s := range all {
			shops[s.ID] = s.Name
		}
	}
	return emit(env.Stdout, asJSON, list, []string{"USER", "SHOP", "STATE", "LAST COMPLETE", "DUE", "LESSONS PASSED"}, func(s store.TrainingStatus) []any {
		shop := shops[s.ShopID]
		if s.ShopID == "" {
			shop = "(all shops)"
		}
		return []any{s.Username, shop, s.State, day(s.LastPassed), day(s.DueAt), len(s.Lessons)}
	})
}

func trainingSettings(ctx context.Context, env Env, ss *store.Session, fs *flag.FlagSet, period, grace int, enforce string) error {
	cur, err := ss.TrainingSettings(ctx)
	if err != nil {
		return err
	}
	changing := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "period-months", "grace-days", "enforce":
			changing = true
		}
	})
	if changing {
		next := cur
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "period-months":
				next.PeriodMonths = period
			case "grace-days":
				next.GraceDays = grace
			case "enforce":
				next.Enforce = enforce == "on"
			}
		})
		if err := ss.SetTrainingSettings(ctx, next); err != nil {
			return err
		}
		if cur, err = ss.TrainingSettings(ctx); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "Saved; other devices apply it with their next sync.")
	}
	enf := "on: an overdue training closes customer data until it is passed"
	if !cur.Enforce {
		enf = "off: an overdue training only warns"
	}
	fmt.Fprintf(env.Stdout, "Period:      %d months after the last complete pass\nGrace:       %d days past the due date\nEnforcement: %s\n", cur.PeriodMonths, cur.GraceDays, enf)
	if !cur.SetAt.IsZero() {
		fmt.Fprintf(env.Stdout, "Set by %s on %s\n", cur.SetBy, day(cur.SetAt))
	}
	return nil
}
