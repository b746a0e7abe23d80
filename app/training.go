package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/compliance/training"
	"spoke/store"
)

// paneTraining is the Administration desk's security-training pane.
const paneTraining = "training"

// noticeTraining is the notice banner's line about the signed-in user's training.
const noticeTraining = "training"

func init() {
	registerAdminPane(adminPane{order: 20, name: paneTraining, label: "Training",
		// Every signed-in user takes the training; the staff table is the owner's and managers'.
		may: func(a *App) bool { return a.ss != nil },
		build: func(a *App) (fyne.CanvasObject, func()) {
			p := newTrainingPane(a)
			return p, p.Reload
		}})
	registerNoticeCheck((*App).checkTraining)
}

// The pane's views.
const (
	trainingViewLessons = "lessons"
	trainingViewLesson  = "lesson"
	trainingViewQuiz    = "quiz"
	trainingViewResult  = "result"
)

// TrainingPane is the security training: the lessons with the signed-in user's standing, a
// lesson to read, its quiz and the result; for the owner and managers everyone's status, for
// the owner the settings. The quiz is drawn and graded in the store: the pane never holds an
// answer key.
type TrainingPane struct {
	widget.BaseWidget
	a    *App
	root *fyne.Container
	View string // which of the views shows (tests)

	// The lessons.
	Standing *widget.Label
	Warning  *ui.Message // lesson files of the shop's folder that were refused
	Error    *ui.Message
	Lessons  *widget.List
	Staff    *widget.List // nil unless owner or manager
	// The owner's settings (nil for everyone else).
	Period       *widget.Entry
	Grace        *widget.Entry
	Enforce      *widget.Check
	SaveSettings *widget.Button
	SettingsMsg  *ui.Message

	// A lesson.
	LessonTitle *widget.Label
	LessonBody  *widget.RichText
	TakeQuiz    *widget.Button
	BackLesson  *widget.Button

	// A quiz.
	QuizTitle *widget.Label
	Questions []*widget.Label
	Answers   []*widget.RadioGroup
	Submit    *widget.Button
	BackQuiz  *widget.Button
	QuizError *ui.Message

	// The result.
	Score  *widget.Label
	Review *fyne.Container
	Retry  *widget.Button
	Done   *widget.Button

	lessons  []store.LessonInfo
	staff    []store.TrainingStatus
	me       store.TrainingStatus
	settings store.TrainingSettings
	lesson   store.LessonText
	quiz     store.Quiz
	shops    map[string]string

	lessonsView, lessonView, quizView, resultView fyne.CanvasObject
	quizBox                                       *fyne.Container
}

var trainingLessonWeights = []float32{6, 3, 3}
var trainingStaffWeights = []float32{3, 3, 5, 3, 2}

func newTrainingPane(a *App) *TrainingPane {
	p := &TrainingPane{a: a, Warning: a.newMsgLabel(widget.WarningImportance), Error: a.errorLabel(), QuizError: a.errorLabel(),
		shops: map[string]string{}}
	p.ExtendBaseWidget(p)
	for _, s := range a.shops {
		p.shops[s.ID] = s.Name
	}

	// The lessons.
	p.Standing = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.Standing.Wrapping = fyne.TextWrapWord
	p.Lessons = ui.NewList(func() int { return len(p.lessons) }, ui.RowSpec{Weights: trainingLessonWeights, Labels: 3, BoldFirst: true},
		func(i widget.ListItemID, row ui.Row) {
			l := p.lessons[i]
			part := a.T("Part of the training")
			if !l.Required {
				part = a.T("This shop's own (optional)")
			}
			passed := a.T("Not passed yet")
			if !l.LastPassed.IsZero() {
				passed = a.T("Passed %s", day(l.LastPassed))
			}
			row.SetTexts(l.Title, part, passed)
		})
	p.Lessons.OnSelected = func(i widget.ListItemID) {
		a.touch()
		if i < len(p.lessons) {
			p.OpenLesson(p.lessons[i].ID)
		}
		p.Lessons.UnselectAll()
	}
	intro := ui.Note(a.T("Short lessons on handling customer data safely. Read each one and pass its quiz (4 of 5 right); you may retry as often as you like. Choose a lesson to begin."))
	top := container.NewVBox(ui.Heading(a.T("Security training")), p.Standing, intro, p.Warning, p.Error,
		ui.Header(trainingLessonWeights, a.T("Lesson"), a.T("Training"), a.T("Your last pass")))
	main := fyne.CanvasObject(container.NewBorder(top, nil, nil, nil, p.Lessons))
	if a.has(store.RoleOwner) || (a.has(store.RoleManager) && a.user.ShopID != "") {
		p.Staff = ui.NewList(func() int { return len(p.staff) }, ui.RowSpec{Weights: trainingStaffWeights, Labels: 5, BoldFirst: true},
			func(i widget.ListItemID, row ui.Row) {
				s := p.staff[i]
				shop := p.shops[s.ShopID]
				if s.ShopID == "" {
					shop = a.T("All shops")
				}
				last := day(s.LastPassed)
				if last == "" {
					last = "-"
				}
				row.SetTexts(s.Username, shop, a.T(trainingStateLabel(s.State)), last, day(s.DueAt))
				imp := widget.MediumImportance
				switch s.State {
				case store.TrainingBlocked, store.TrainingOverdue:
					imp = widget.DangerImportance
				case store.TrainingDue:
					imp = widget.WarningImportance
				}
				row.Label(2).Importance = imp
				row.Label(2).Refresh()
			})
		head := ui.Header(trainingStaffWeights, a.T("User"), a.T("Shop"), a.T("State"), a.T("Last complete"), a.T("Due"))
		var right fyne.CanvasObject
		if a.has(store.RoleOwner) {
			right = ui.FixedWidth(400, p.newSettings())
		}
		staff := container.NewBorder(ui.Heading(a.T("Staff")), nil, nil, right, container.NewBorder(head, nil, nil, nil, p.Staff))
		split := container.NewVSplit(main, staff)
		split.Offset = 0.5
		main = split
	}
	p.lessonsView = main

	// A lesson.
	p.LessonTitle = ui.Heading("")
	p.LessonBody = widget.NewRichText()
	p.LessonBody.Wrapping = fyne.TextWrapWord
	p.TakeQuiz = a.button(a.T("Take the quiz"), theme.ConfirmIcon(), p.StartQuiz)
	p.TakeQuiz.Importance = widget.HighImportance
	p.BackLesson = a.button(a.T("Back to the lessons"), theme.NavigateBackIcon(), p.showLessons)
	p.lessonView = container.NewBorder(container.NewVBox(container.NewHBox(p.BackLesson), p.LessonTitle), container.NewHBox(p.TakeQuiz), nil, nil,
		container.NewVScroll(container.NewPadded(p.LessonBody)))

	// A quiz.
	p.QuizTitle = ui.Heading("")
	p.Submit = a.button(a.T("Submit answers"), theme.ConfirmIcon(), p.SubmitQuiz)
	p.Submit.Importance = widget.HighImportance
	p.BackQuiz = a.button(a.T("Back to the lesson"), theme.NavigateBackIcon(), func() { p.show(trainingViewLesson) })
	p.quizBox = container.NewVBox()
	p.quizView = container.NewBorder(container.NewVBox(container.NewHBox(p.BackQuiz), p.QuizTitle), container.NewVBox(p.QuizError, container.NewHBox(p.Submit)), nil, nil,
		container.NewVScroll(container.NewPadded(p.quizBox)))

	// The result.
	p.Score = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.Score.Wrapping = fyne.TextWrapWord
	p.Review = container.NewVBox()
	p.Retry = a.button(a.T("Take the quiz again"), theme.ViewRefreshIcon(), p.StartQuiz)
	p.Done = a.button(a.T("Back to the lessons"), theme.NavigateBackIcon(), p.showLessons)
	p.resultView = container.NewBorder(p.Score, container.NewHBox(p.Retry, p.Done), nil, nil, container.NewVScroll(container.NewPadded(p.Review)))

	p.root = container.NewStack(p.lessonsView)
	p.View = trainingViewLessons
	return p
}

// CreateRenderer draws the pane's view in show.
func (p *TrainingPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

func (p *TrainingPane) show(view string) {
	o := map[string]fyne.CanvasObject{trainingViewLessons: p.lessonsView, trainingViewLesson: p.lessonView,
		trainingViewQuiz: p.quizView, trainingViewResult: p.resultView}[view]
	p.View = view
	p.root.Objects = []fyne.CanvasObject{o}
	p.root.Refresh()
}

func (p *TrainingPane) showLessons() {
	p.show(trainingViewLessons)
	p.Reload()
}

// newSettings is the owner's settings card.
func (p *TrainingPane) newSettings() fyne.CanvasObject {
	a := p.a
	p.Period = widget.NewEntry()
	p.Grace = widget.NewEntry()
	p.Enforce = widget.NewCheck(a.T("Overdue training closes customer data"), func(bool) { a.touch() })
	p.SaveSettings = a.button(a.T("Save"), theme.DocumentSaveIcon(), p.saveSettings)
	p.SettingsMsg = a.errorLabel()
	form := widget.NewForm(
		widget.NewFormItem(a.T("Due again after (months)"), p.Period),
		widget.NewFormItem(a.T("Grace period (days)"), p.Grace),
	)
	return widget.NewCard(a.T("Settings"), "", container.NewVBox(form, p.Enforce, container.NewHBox(p.SaveSettings), p.SettingsMsg))
}

// trainingStateLabel is a state's (translatable) name.
func trainingStateLabel(state string) string {
	switch state {
	case store.TrainingCurrent:
		return "Current"
	case store.TrainingDue:
		return "Due now"
	case store.TrainingOverdue:
		return "Overdue"
	case store.TrainingBlocked:
		return "Overdue: customers closed"
	}
	return state
}

// standingText is one sentence on where the signed-in user stands.
func (a *App) standingText(s store.TrainingStatus, grace int) string {
	switch s.State {
	case store.TrainingCurrent:
		return a.T("Your security training is current: it is due again on %s.", day(s.DueAt))
	case store.TrainingDue:
		return a.T("Your security training is due: pass every lesson by %s, or customer data closes to you then.", day(s.DueAt.AddDate(0, 0, grace)))
	case store.TrainingOverdue:
		return a.T("Your security training is overdue since %s.", day(s.DueAt))
	}
	return a.T("Your security training is overdue: customer data is closed to you until you pass every lesson.")
}

// trainingView is what the lessons view shows.
type trainingView struct {
	lessons  []store.LessonInfo
	problems string
	me       store.TrainingStatus
	settings store.TrainingSettings
	staff    []store.TrainingStatus
	staffErr error
}

// Reload loads the lessons, the standing and (owner, manager) everyone's status.
func (p *TrainingPane) Reload() {
	a := p.a
	lang := a.lang
	withStaff := p.Staff != nil
	load(a, func(ctx context.Context, ss *store.Session) (trainingView, error) {
		var v trainingView
		var err error
		v.lessons, err = ss.Lessons(ctx, lang)
		var fe *training.FolderError
		if errors.As(err, &fe) {
			var lines []string
			for _, f := range fe.Files {
				lines = append(lines, f.Error())
			}
			v.problems = strings.Join(lines, "\n")
		} else if err != nil {
			return v, err
		}
		if v.me, err = ss.MyTraining(ctx); err != nil {
			return v, err
		}
		if v.settings, err = ss.TrainingSettings(ctx); err != nil {
			return v, err
		}
		if withStaff {
			v.staff, v.staffErr = ss.TrainingStatus(ctx)
		}
		return v, nil
	}, func(v trainingView, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.Error.SetText(a.errText(v.staffErr))
		p.lessons, p.me, p.settings, p.staff = v.lessons, v.me, v.settings, v.staff
		p.Standing.SetText(a.standingText(v.me, v.settings.GraceDays))
		if v.problems != "" {
			p.Warning.SetText(a.T("Lesson files of this shop that were left out:") + "\n" + v.problems)
		} else {
			p.Warning.SetText("")
		}
		p.Lessons.Refresh()
		if p.Staff != nil {
			p.Staff.Refresh()
		}
		if p.Period != nil {
			p.Period.SetText(strconv.Itoa(v.settings.PeriodMonths))
			p.Grace.SetText(strconv.Itoa(v.settings.GraceDays))
			p.Enforce.SetChecked(v.settings.Enforce)
		}
	})
}

// LessonIDs lists the lessons shown (tests).
func (p *TrainingPane) LessonIDs() []string {
	out := make([]string, len(p.lessons))
	for i, l := range p.lessons {
		out[i] = l.ID
	}
	return out
}

// OpenLesson shows a lesson's text in the app's language.
func (p *TrainingPane) OpenLesson(id string) {
	a := p.a
	lang := a.lang
	load(a, func(ctx context.Context, ss *store.Session) (store.LessonText, error) {
		return ss.Lesson(ctx, id, lang)
	}, func(l store.LessonText, err error) {
		if err != nil {
			p.Error.SetText(a.errText(err))
			return
		}
		p.lesson = l
		p.LessonTitle.SetText(l.Title)
		p.LessonBody.ParseMarkdown(l.Body)
		p.LessonBody.Wrapping = fyne.TextWrapWord
		p.LessonBody.Refresh()
		p.show(trainingViewLesson)
	})
}

// StartQuiz draws a quiz of the open lesson (a retry draws anew).
func (p *TrainingPane) StartQuiz() {
	a := p.a
	id, lang := p.lesson.ID, a.lang
	load(a, func(ctx context.Context, ss *store.Session) (store.Quiz, error) {
		return ss.StartQuiz(ctx, id, lang)
	}, func(q store.Quiz, err error) {
		if err != nil {
			if p.View == trainingViewResult {
				p.Score.SetText(a.errText(err))
			} else {
				p.Error.SetText(a.errText(err))
				p.show(trainingViewLessons)
			}
			return
		}
		p.quiz = q
		p.QuizTitle.SetText(a.T("Quiz: %s", q.Title))
		p.Questions, p.Answers = nil, nil
		p.quizBox.Objects = nil
		p.quizBox.Add(ui.Note(a.T("%d questions; %d%% right answers pass. Choose one answer for each.", len(q.Questions), q.PassPercent)))
		for i, qq := range q.Questions {
			l := widget.NewLabelWithStyle(fmt.Sprintf("%d. %s", i+1, qq.Text), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			l.Wrapping = fyne.TextWrapWord
			r := widget.NewRadioGroup(qq.Options, func(string) { a.touch() })
			p.Questions, p.Answers = append(p.Questions, l), append(p.Answers, r)
			p.quizBox.Add(l)
			p.quizBox.Add(r)
		}
		p.QuizError.SetText("")
		p.show(trainingViewQuiz)
	})
}

// Choose picks option pos (0-based, as shown) of question i (tests).
func (p *TrainingPane) Choose(i, pos int) {
	p.Answers[i].SetSelected(p.quiz.Questions[i].Options[pos])
}

// SubmitQuiz sends the answers to be graded; every question needs one.
func (p *TrainingPane) SubmitQuiz() {
	a := p.a
	answers := make([]int, len(p.Answers))
	for i, r := range p.Answers {
		answers[i] = slices.Index(p.quiz.Questions[i].Options, r.Selected)
		if answers[i] < 0 {
			p.QuizError.SetText(a.T("Answer question %d first.", i+1))
			return
		}
	}
	id := p.quiz.ID
	load(a, func(ctx context.Context, ss *store.Session) (store.QuizResult, error) {
		return ss.SubmitQuiz(ctx, id, answers)
	}, func(r store.QuizResult, err error) {
		if err != nil {
			p.QuizError.SetText(a.errText(err))
			return
		}
		p.showResult(r)
		a.checkTraining()
		if r.Passed && r.Status.State != store.TrainingBlocked {
			a.trainingOpened()
		}
	})
}

func (p *TrainingPane) showResult(r store.QuizResult) {
	a := p.a
	if r.Passed {
		p.Score.SetText(a.T("%d of %d right (%d%%): passed.", r.Correct, r.Total, r.Percent) + "\n" + a.standingText(r.Status, p.settings.GraceDays))
		p.Score.Importance = widget.SuccessImportance
	} else {
		p.Score.SetText(a.T("%d of %d right (%d%%): not passed. The pass mark is %d%%: read the lesson again and retake the quiz.", r.Correct, r.Total, r.Percent, r.PassPercent))
		p.Score.Importance = widget.DangerImportance
	}
	p.Score.Refresh()
	p.Review.Objects = nil
	for i, rv := range r.Review {
		if rv.Correct {
			continue
		}
		q := widget.NewLabelWithStyle(fmt.Sprintf("%d. %s", i+1, rv.Question), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		q.Wrapping = fyne.TextWrapWord
		ans := ui.Note(a.T("Right answer: %s", rv.Answer))
		p.Review.Add(q)
		p.Review.Add(ans)
		if rv.Why != "" {
			p.Review.Add(ui.Note(a.T("Why: %s", rv.Why)))
		}
	}
	p.Review.Refresh()
	p.show(trainingViewResult)
}

// saveSettings saves the owner's settings.
func (p *TrainingPane) saveSettings() {
	a := p.a
	period, err1 := strconv.Atoi(strings.TrimSpace(p.Period.Text))
	grace, err2 := strconv.Atoi(strings.TrimSpace(p.Grace.Text))
	if err1 != nil || err2 != nil {
		p.SettingsMsg.SetResult(a.T("Months and days are whole numbers."), false)
		return
	}
	in := store.TrainingSettings{PeriodMonths: period, GraceDays: grace, Enforce: p.Enforce.Checked}
	do(a, func(ctx context.Context, ss *store.Session) error { return ss.SetTrainingSettings(ctx, in) }, func(err error) {
		if err != nil {
			p.SettingsMsg.SetResult(a.errText(err), false)
			return
		}
		p.SettingsMsg.SetResult(a.T("Saved. Other devices apply it with their next sync."), true)
		a.wrote()
		p.Reload()
		a.checkTraining()
		a.trainingOpened()
	})
}

// trainingOpened follows a pass (or a setting) that may have opened customer data again: the
// screens that were refused load again, in this session.
func (a *App) trainingOpened() {
	s := a.Shell
	if s == nil {
		return
	}
	if cs := s.Customers; cs != nil {
		cs.Error.SetText("")
		cs.buildIndex()
	}
	if s.Board != nil {
		s.Board.Error.SetText("")
	}
	if s.Sales != nil {
		s.Sales.Error.SetText("")
	}
}

// trainingNotice is the banner's line about the user's training ("" for none): due, overdue,
// or due again within two weeks.
func (a *App) trainingNotice(s store.TrainingStatus, grace int, now time.Time) string {
	switch s.State {
	case store.TrainingBlocked:
		return a.T("Your security training is overdue: customers stay closed to you until you pass it.")
	case store.TrainingOverdue:
		return a.T("Your security training is overdue since %s.", day(s.DueAt))
	case store.TrainingDue:
		return a.T("Your security training is due: finish it by %s, or customer data closes to you then.", day(s.DueAt.AddDate(0, 0, grace)))
	case store.TrainingCurrent:
		if s.DueAt.Sub(now) < 14*24*time.Hour {
			return a.T("Your security training is due again on %s.", day(s.DueAt))
		}
	}
	return ""
}

// checkTraining sets or clears the notice about the signed-in user's training.
func (a *App) checkTraining() {
	if a.Shell == nil {
		return
	}
	now := a.opts.Now()
	type standing struct {
		me    store.TrainingStatus
		grace int
	}
	load(a, func(ctx context.Context, ss *store.Session) (standing, error) {
		me, err := ss.MyTraining(ctx)
		if err != nil {
			return standing{}, err
		}
		set, err := ss.TrainingSettings(ctx)
		return standing{me, set.GraceDays}, err
	}, func(s standing, err error) {
		if a.Shell == nil || err != nil {
			return
		}
		a.Shell.SetNotice(noticeTraining, a.trainingNotice(s.me, s.grace, now), a.T("Open training"), func() { a.Shell.ShowAdminPane(paneTraining) })
	})
}
