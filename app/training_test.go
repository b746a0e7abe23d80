package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/compliance/training"
	"spoke/store"
)

// fixedDraw makes every quiz of a lesson the same draw, so a test knows its key.
func fixedDraw(n int) int { return n / 2 }

// quizKey is the fixed draw's right answers (positions shown) of a lesson in lang.
func quizKey(t *testing.T, lesson, lang string) []int {
	t.Helper()
	c, err := training.BuiltIn()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := c.Lesson(lesson, lang)
	return training.Grade(l, training.Draw(l, training.QuizSize, fixedDraw), nil).RightAnswer
}

// newTrainingApp: a one-shop database whose clock the test moves (store and app alike), with
// the owner olga and the salesperson sam, who has a customer, and the GUI on its sign-in
// screen with the clock 15 days on: sam's and olga's training blocks customer data.
func newTrainingApp(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF, Now: c.Now, Intn: fixedDraw}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "North", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	shops, _ := owner.Shops(ctx)
	if _, err := owner.AddUser(ctx, store.NewUser{Username: "sam", Password: "sales-password-1", Roles: []store.Role{store.RoleSales}, ShopID: shops[0].ID}); err != nil {
		t.Fatal(err)
	}
	sam, err := st.SignIn(ctx, "sam", "sales-password-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sam.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	c.Add(15 * 24 * time.Hour)
	fa := test.NewTempApp(t)
	a := New(fa, Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF, Now: c.Now, Intn: fixedDraw},
		ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	return &harness{t: t, a: a, clock: c, dir: dir}
}

func trainingPane(t *testing.T, a *App) *TrainingPane {
	t.Helper()
	if a.Shell.Admin == nil || a.Shell.Admin.Panes[paneTraining] == nil {
		t.Fatal("no training pane")
	}
	return a.Shell.Admin.Panes[paneTraining].Content.(*TrainingPane)
}

// answer takes the open lesson's quiz with wrong answers wrong.
func answer(t *testing.T, a *App, p *TrainingPane, wrong int) {
	t.Helper()
	if p.View != trainingViewQuiz || len(p.Answers) != training.QuizSize {
		t.Fatalf("not on a quiz: %s, %d questions", p.View, len(p.Answers))
	}
	key := quizKey(t, p.lesson.ID, a.lang)
	for i, right := range key {
		pos := right
		if i < wrong {
			pos = (right + 1) % len(p.quiz.Questions[i].Options)
		}
		p.Choose(i, pos)
	}
	test.Tap(p.Submit)
	a.Wait()
	if p.View != trainingViewResult {
		t.Fatalf("no result: %q", p.QuizError.Text)
	}
}

// TestTrainingPaneTakeFailRetryPass: a salesperson whose training is overdue finds customers
// closed with the reason and a notice that opens the training; they read a lesson, fail its
// quiz, retry and pass, pass the rest, and customers open in the same session.
func TestTrainingPaneTakeFailRetryPass(t *testing.T) {
	h := newTrainingApp(t)
	a := h.a
	h.signIn("sam", "sales-password-1")
	if a.Shell == nil {
		t.Fatalf("sign-in failed: %s", screenText(a))
	}
	a.Wait()
	cs := a.Shell.Customers
	if !strings.Contains(cs.Error.Text, "Administration → Training") || len(cs.ResultNames()) != 0 {
		t.Fatalf("customers of a blocked user: %q %v", cs.Error.Text, cs.ResultNames())
	}
	n := a.Shell.Notices[noticeTraining]
	if n == nil || !strings.Contains(n.Text.Text, "overdue") || n.Open == nil {
		t.Fatalf("no training notice: %v", a.Shell.Notices)
	}
	test.Tap(n.Open)
	a.Wait()
	if a.Shell.Current() != tabAdmin {
		t.Fatalf("the notice opened %s", a.Shell.Current())
	}
	p := trainingPane(t, a)
	if p.Staff != nil || p.Period != nil {
		t.Fatal("a salesperson sees the staff table or the settings")
	}
	if ids := p.LessonIDs(); len(ids) != 6 || ids[0] != "counter" {
		t.Fatalf("lessons: %v", ids)
	}
	if !strings.Contains(p.Standing.Text, "closed to you") {
		t.Fatalf("standing: %q", p.Standing.Text)
	}
	p.Lessons.Select(0)
	a.Wait()
	if p.View != trainingViewLesson || p.LessonTitle.Text != "Customer data at the counter and on the phone" || !strings.Contains(p.LessonBody.String(), "repair tag") {
		t.Fatalf("lesson: %s %q", p.View, p.LessonTitle.Text)
	}
	test.Tap(p.TakeQuiz)
	a.Wait()
	// Not every question answered: refused in the pane.
	p.Choose(0, 0)
	test.Tap(p.Submit)
	if p.View != trainingViewQuiz || !strings.Contains(p.QuizError.Text, "Answer question 2") {
		t.Fatalf("a half-answered quiz: %s %q", p.View, p.QuizError.Text)
	}
	answer(t, a, p, 2)
	if !strings.Contains(p.Score.Text, "3 of 5 right (60%): not passed") || len(p.Review.Objects) < 4 || !strings.Contains(screenText(a), "Right answer: ") {
		t.Fatalf("failed: %q, %d review lines", p.Score.Text, len(p.Review.Objects))
	}
	test.Tap(p.Retry)
	a.Wait()
	answer(t, a, p, 0)
	if !strings.Contains(p.Score.Text, "5 of 5 right (100%): passed.") {
		t.Fatalf("retry: %q", p.Score.Text)
	}
	test.Tap(p.Done)
	a.Wait()
	if p.View != trainingViewLessons || !strings.Contains(screenText(a), "Passed "+day(h.clock.Now())) {
		t.Fatalf("after a pass: %s", p.View)
	}
	if _, err := a.Session().Customer(context.Background(), "x", ""); err == nil || !strings.Contains(err.Error(), "overdue") {
		t.Fatalf("one lesson of six opened customers: %v", err)
	}
	for i, id := range p.LessonIDs()[1:] {
		p.OpenLesson(id)
		a.Wait()
		test.Tap(p.TakeQuiz)
		a.Wait()
		answer(t, a, p, i%2) // four of five pass as well
		if !strings.Contains(p.Score.Text, "passed.") {
			t.Fatalf("%s: %q", id, p.Score.Text)
		}
	}
	if !strings.Contains(p.Score.Text, "current") {
		t.Fatalf("the last pass: %q", p.Score.Text)
	}
	// The gate lifts in this session: the notice goes, customers list again.
	if a.Shell.Notices[noticeTraining] != nil {
		t.Fatal("the training notice stayed")
	}
	a.Shell.Show(tabCustomers)
	a.Wait()
	if cs.Error.Text != "" || len(cs.ResultNames()) != 1 || cs.ResultNames()[0] != "Ada Lovelace" {
		t.Fatalf("customers after passing: %q %v", cs.Error.Text, cs.ResultNames())
	}
}

// TestTrainingPaneOwner: the owner, overdue, sees everyone's status and changes the settings
// (switching enforcement off opens customers); the lesson follows the app's language.
func TestTrainingPaneOwner(t *testing.T) {
	h := newTrainingApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	a.Shell.ShowAdminPane(paneTraining)
	a.Wait()
	p := trainingPane(t, a)
	if p.Staff == nil || len(p.staff) != 2 || p.Period.Text != "12" || p.Grace.Text != "14" || !p.Enforce.Checked {
		t.Fatalf("owner's pane: %d staff, %q %q %v", len(p.staff), p.Period.Text, p.Grace.Text, p.Enforce != nil && p.Enforce.Checked)
	}
	if txt := screenText(a); !strings.Contains(txt, "sam") || !strings.Contains(txt, "Overdue: customers closed") {
		t.Fatalf("staff table: %s", txt)
	}
	p.Period.SetText("x")
	test.Tap(p.SaveSettings)
	if !strings.Contains(p.SettingsMsg.Text, "whole numbers") {
		t.Fatalf("bad months: %q", p.SettingsMsg.Text)
	}
	p.Period.SetText("6")
	p.Enforce.SetChecked(false)
	test.Tap(p.SaveSettings)
	a.Wait()
	if !strings.Contains(p.SettingsMsg.Text, "Saved") {
		t.Fatalf("save: %q", p.SettingsMsg.Text)
	}
	if s, err := a.Session().TrainingSettings(context.Background()); err != nil || s.PeriodMonths != 6 || s.Enforce {
		t.Fatalf("settings: %+v %v", s, err)
	}
	if n := a.Shell.Notices[noticeTraining]; n == nil || strings.Contains(n.Text.Text, "closed") {
		t.Fatal("the notice does not say overdue without closing")
	}
	a.Shell.Show(tabCustomers)
	a.Wait()
	if got := a.Shell.Customers.ResultNames(); len(got) != 1 {
		t.Fatalf("customers with enforcement off: %v %q", got, a.Shell.Customers.Error.Text)
	}
	a.SetLanguage(langZH)
	a.Wait()
	a.Shell.ShowAdminPane(paneTraining)
	a.Wait()
	p = trainingPane(t, a)
	p.OpenLesson("rights")
	a.Wait()
	if p.LessonTitle.Text != "客户的权利请求" || !strings.Contains(screenText(a), "返回课程列表") {
		t.Fatalf("the Chinese lesson: %q", p.LessonTitle.Text)
	}
}
