package store

// Staff security training (issue 12, part 2). The lessons, the quiz rules and the standing
// rule are compliance/training's; this file keeps the results (training_results: insert-only,
// synced in the trainee's shop's scope, or the org's for org-wide staff), the owner's
// settings (org_settings), draws and grades every quiz itself (the answer key never leaves the
// store before the answers are in), and closes customer personal data to a user whose
// training is overdue past its grace period while the owner enforces it (trainingGate, called
// by every path that opens a customer's sealed fields). Nothing else is gated: the owner can
// always reach users, devices, backups, restore, settings and the training itself.
//
// "Complete" means every built-in lesson passed. A shop's own lessons (the data folder's
// lessons/) may be taken and are recorded, but they are this computer's files, so requiring
// them would give one person two standings on two devices.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"spoke/compliance/training"
)

// ErrTrainingOverdue means the user's security training is overdue past its grace period and
// the owner enforces it: customer personal data stays closed until they pass.
var ErrTrainingOverdue = errors.New("your security training is overdue: finish the security training under Administration → Training (or 'spoke training'), then open customers again")

// ErrTrainingOwnerDevice means an org-wide member of staff (the owner) tried to take a quiz on
// a shop's device, which may not write org records.
var ErrTrainingOwnerDevice = errors.New("org-wide staff take the training on an owner device (the owner's laptop): a shop's counter records only its own shop's staff")

// The org settings of the training (org_settings rows, owner-set, synced).
const (
	settingTrainingPeriod  = "training.period_months"
	settingTrainingGrace   = "training.grace_days"
	settingTrainingEnforce = "training.enforce"
	// settingTrainingSince is when the training started in this organisation (unix ms): the
	// creation of the database, or the first unlock of an owner device after the upgrade that
	// brought the training. An account older than that is due from then, not from its
	// creation, so an upgrade does not lock every long-serving member of staff out at once.
	settingTrainingSince = "training.since"
)

// Limits of the settings.
const (
	MaxTrainingPeriodMonths = 60
	MaxTrainingGraceDays    = 365
)

// The training states (compliance/training's).
const (
	TrainingCurrent = training.StateCurrent
	TrainingDue     = training.StateDue
	TrainingOverdue = training.StateOverdue
	TrainingBlocked = training.StateBlocked
)

// TrainingSettings are the owner's training settings.
type TrainingSettings struct {
	PeriodMonths int       `json:"period_months"` // due again this long after the last complete pass
	GraceDays    int       `json:"grace_days"`    // days past due before customer data closes
	Enforce      bool      `json:"enforce"`       // whether it closes at all
	SetAt        time.Time `json:"set_at,omitzero"`
	SetBy        string    `json:"set_by,omitempty"` // username
}

// TrainingStatus is where one member of staff stands. State is "current", "due" (the grace
// period runs), "overdue" (past it, not enforced) or "blocked" (past it: customer personal data
// is closed until they pass). LastPassed is when the training was last complete (the oldest of
// the newest passes of the built-in lessons; zero: never); Lessons maps every lesson they
// passed (a shop's own too) to their newest pass.
type TrainingStatus struct {
	UserID     string               `json:"user_id"`
	Username   string               `json:"username"`
	ShopID     string               `json:"shop_id,omitempty"`
	LastPassed time.Time            `json:"last_passed,omitzero"`
	DueAt      time.Time            `json:"due_at"`
	State      string               `json:"state"`
	Lessons    map[string]time.Time `json:"lessons"`
}

// LessonInfo is a lesson as the list shows it, with the signed-in user's newest pass.
type LessonInfo struct {
	ID         string    `json:"id"`
	Lang       string    `json:"lang"` // the language it is shown in
	Title      string    `json:"title"`
	Required   bool      `json:"required"` // built in: part of the training
	Questions  int       `json:"questions"`
	LastPassed time.Time `json:"last_passed,omitzero"`
}

// LessonText is a lesson to read.
type LessonText struct {
	ID       string `json:"id"`
	Lang     string `json:"lang"`
	Title    string `json:"title"`
	Body     string `json:"body"` // paragraphs, "## " headings and "- " bullets
	Required bool   `json:"required"`
}

// Quiz is a drawn quiz as the person taking it sees it: the questions and their options in
// the order to show them, and no answer key.
type Quiz struct {
	ID          string         `json:"id"`
	LessonID    string         `json:"lesson_id"`
	Lang        string         `json:"lang"`
	Title       string         `json:"title"`
	PassPercent int            `json:"pass_percent"`
	Questions   []QuizQuestion `json:"questions"`
}

// QuizQuestion is one question of a quiz.
type QuizQuestion struct {
	Text    string   `json:"text"`
	Options []string `json:"options"`
}

// QuizResult is a graded quiz. Passed results count; a failed one is recorded as an attempt
// and changes nothing. Review says, per question, what was chosen and what was right
// (positions as shown), with the lesson's explanation.
type QuizResult struct {
	QuizID      string         `json:"quiz_id"`
	LessonID    string         `json:"lesson_id"`
	Correct     int            `json:"correct"`
	Total       int            `json:"total"`
	Percent     int            `json:"percent"`
	PassPercent int            `json:"pass_percent"`
	Passed      bool           `json:"passed"`
	Review      []QuizReview   `json:"review"`
	Status      TrainingStatus `json:"status"` // the standing after this quiz
}

// QuizReview is one graded question.
type QuizReview struct {
	Question string `json:"question"`
	Chosen   int    `json:"chosen"` // training.Unanswered (-1) for none
	Right    int    `json:"right"`
	Answer   string `json:"answer"` // the right option's text
	Correct  bool   `json:"correct"`
	Why      string `json:"why,omitempty"`
}

// pendingQuiz is a drawn quiz waiting for its answers: the lesson as it was drawn from, and
// the key. It lives in the session only.
type pendingQuiz struct {
	lesson *training.Lesson
	quiz   training.Quiz
}

// maxPendingQuizzes is how many drawn quizzes a session keeps; the oldest goes first.
const maxPendingQuizzes = 8

// trainingState is a session's training bookkeeping: drawn quizzes, and the gate's last
// answer, kept while no write committed (gen) and the clock has not reached until.
type trainingState struct {
	mu      sync.Mutex
	quizzes map[string]*pendingQuiz
	order   []string
	gate    struct {
		ok, blocked bool
		gen         uint64
		until       time.Time
	}
}

var (
	builtinOnce sync.Once
	builtinCat  *training.Catalog
	builtinErr  error
)

func builtinLessons() (*training.Catalog, error) {
	builtinOnce.Do(func() { builtinCat, builtinErr = training.BuiltIn() })
	return builtinCat, builtinErr
}

// LessonsDir is the folder a shop puts its own lessons in (files NAME.LANG.lesson, the
// format of compliance/training): lessons/ in the data folder.
func (s *Store) LessonsDir() string { return filepath.Join(s.dir, "lessons") }

// lessons returns the built-in lessons and the shop's own. A shop file that is malformed is
// left out and named, with its line, in a *training.FolderError returned with the rest.
func (s *Store) lessons() (*training.Catalog, error) {
	c, err := builtinLessons()
	if err != nil {
		return nil, fmt.Errorf("built-in lessons: %w", err)
	}
	return c.WithFolder(os.DirFS(s.LessonsDir()), "lessons")
}

// catalog is lessons for a session method: a refused shop file does not stop the training.
func (s *Store) catalog() (*training.Catalog, *training.FolderError, error) {
	c, err := s.lessons()
	var fe *training.FolderError
	if errors.As(err, &fe) {
		return c, fe, nil
	}
	return c, nil, err
}

func validLang(lang string) string {
	if training.ValidLang(lang) {
		return lang
	}
	return "en"
}

// Lessons lists the lessons in lang (English where one has no translation), the built-in ones
// first, each with the signed-in user's newest pass. Every signed-in user may. When a file of
// the shop's lessons folder is refused, the others are listed and the error is a
// *training.FolderError naming each refused file and line.
func (ss *Session) Lessons(ctx context.Context, lang string) ([]LessonInfo, error) {
	c, fe, err := ss.s.catalog()
	if err != nil {
		return nil, err
	}
	passes, err := ss.s.passesOf(ctx, ss.s.db, ss.user.ID, ss.user.ShopID)
	if err != nil {
		return nil, err
	}
	var out []LessonInfo
	for _, l := range c.List(validLang(lang)) {
		out = append(out, LessonInfo{ID: l.ID, Lang: l.Lang, Title: l.Title, Required: l.BuiltIn, Questions: len(l.Questions), LastPassed: passes[l.ID]})
	}
	if fe != nil {
		return out, fe
	}
	return out, nil
}

// Lesson returns one lesson's text in lang (or English, or the language it has).
func (ss *Session) Lesson(ctx context.Context, id, lang string) (LessonText, error) {
	c, _, err := ss.s.catalog()
	if err != nil {
		return LessonText{}, err
	}
	l, ok := c.Lesson(id, validLang(lang))
	if !ok {
		return LessonText{}, fmt.Errorf("lesson %q: %w", id, ErrNotFound)
	}
	return LessonText{ID: l.ID, Lang: l.Lang, Title: l.Title, Body: l.Body, Required: l.BuiltIn}, nil
}

// trainingScope is the scope a user's results live in: their shop's, or the org's.
func trainingScope(shopID string) string {
	if shopID == "" {
		return OrgScope
	}
	return shopID
}

// StartQuiz draws a quiz of lesson id in lang: training.QuizSize questions from its pool, each
// with its options shuffled. The key stays in the session until SubmitQuiz; a quiz may be
// started again at any time (a retry draws anew). A member of staff takes it on a device that
// may record their results: their shop's or an owner's.
func (ss *Session) StartQuiz(ctx context.Context, lessonID, lang string) (Quiz, error) {
	if err := ss.gone(); err != nil {
		return Quiz{}, err
	}
	c, _, err := ss.s.catalog()
	if err != nil {
		return Quiz{}, err
	}
	l, ok := c.Lesson(lessonID, validLang(lang))
	if !ok {
		return Quiz{}, fmt.Errorf("lesson %q: %w", lessonID, ErrNotFound)
	}
	if scope := trainingScope(ss.user.ShopID); !ss.s.mayWrite(ctx, ss.s.db, scope) {
		if scope == OrgScope {
			return Quiz{}, ErrTrainingOwnerDevice
		}
		return Quiz{}, ErrOtherShopsDevice
	}
	intn := ss.s.opts.Intn
	if intn == nil {
		intn = rand.IntN
	}
	drawn := training.Draw(l, training.QuizSize, intn)
	q := Quiz{ID: newID(), LessonID: l.ID, Lang: l.Lang, Title: l.Title, PassPercent: training.PassPercent}
	for _, it := range drawn.Items {
		pq := l.Questions[it.Question]
		qq := QuizQuestion{Text: pq.Text}
		for _, o := range it.Options {
			qq.Options = append(qq.Options, pq.Options[o])
		}
		q.Questions = append(q.Questions, qq)
	}
	t := &ss.training
	t.mu.Lock()
	if t.quizzes == nil {
		t.quizzes = map[string]*pendingQuiz{}
	}
	t.quizzes[q.ID] = &pendingQuiz{lesson: l, quiz: drawn}
	t.order = append(t.order, q.ID)
	for len(t.order) > maxPendingQuizzes {
		delete(t.quizzes, t.order[0])
		t.order = t.order[1:]
	}
	t.mu.Unlock()
	return q, nil
}

// SubmitQuiz grades a quiz started in this session: answers holds, per question, the position
// of the option chosen (0-based, as shown; training.Unanswered for none). The result is
// recorded either way and audited, "training.pass" or "training.fail"; only a pass counts
// towards the training. A quiz is graded once: to retry, start a new one. A pass that
// completes the training lifts the gate on customer data at once, in this session.
func (ss *Session) SubmitQuiz(ctx context.Context, quizID string, answers []int) (QuizResult, error) {
	t := &ss.training
	t.mu.Lock()
	p := t.quizzes[quizID]
	t.mu.Unlock()
	if p == nil {
		return QuizResult{}, fmt.Errorf("quiz %s (start the quiz again): %w", quizID, ErrNotFound)
	}
	if len(answers) != len(p.quiz.Items) {
		return QuizResult{}, &FieldError{"answers", fmt.Sprintf("give one answer for each of the %d questions", len(p.quiz.Items))}
	}
	for i, a := range answers {
		if a < training.Unanswered || a >= len(p.quiz.Items[i].Options) {
			return QuizResult{}, &FieldError{fmt.Sprintf("answers[%d]", i+1), fmt.Sprintf("must be an option from 1 to %d", len(p.quiz.Items[i].Options))}
		}
	}
	t.mu.Lock()
	if t.quizzes[quizID] != p { // graded meanwhile by another call
		t.mu.Unlock()
		return QuizResult{}, fmt.Errorf("quiz %s (start the quiz again): %w", quizID, ErrNotFound)
	}
	delete(t.quizzes, quizID)
	t.order = slices.DeleteFunc(t.order, func(id string) bool { return id == quizID })
	t.mu.Unlock()

	g := training.Grade(p.lesson, p.quiz, answers)
	res := QuizResult{QuizID: quizID, LessonID: p.lesson.ID, Correct: g.Correct, Total: g.Total, Percent: g.Percent,
		PassPercent: training.PassPercent, Passed: g.Passed}
	for i, it := range p.quiz.Items {
		q := p.lesson.Questions[it.Question]
		r := QuizReview{Question: q.Text, Chosen: answers[i], Right: g.RightAnswer[i], Correct: g.Right[i], Why: q.Why}
		if g.RightAnswer[i] >= 0 {
			r.Answer = q.Options[it.Options[g.RightAnswer[i]]]
		}
		res.Review = append(res.Review, r)
	}
	action := "training.fail"
	if g.Passed {
		action = "training.pass"
	}
	scope := trainingScope(ss.user.ShopID)
	err := ss.write(ctx, action, func(w *wtx) error {
		w.audit.Target = ss.user.ID
		if err := ss.gone(); err != nil {
			return err // deactivated, or left, while the quiz was open
		}
		w.audit.Detail = fmt.Sprintf("lesson=%s lang=%s correct=%d total=%d", p.lesson.ID, p.lesson.Lang, g.Correct, g.Total)
		return w.insert("training_results", scope, newID(), []col{
			plain("user_id", ss.user.ID), plain("shop_id", ss.user.ShopID), plain("lesson", p.lesson.ID), plain("lang", p.lesson.Lang),
			plain("passed", boolInt(g.Passed)), plain("correct", g.Correct), plain("total", g.Total), plain("taken_at", w.now),
		})
	})
	if errors.Is(err, ErrOwnerDeviceOnly) {
		err = ErrTrainingOwnerDevice
	}
	if err != nil {
		return QuizResult{}, err
	}
	if res.Status, err = ss.MyTraining(ctx); err != nil {
		return QuizResult{}, err
	}
	return res, nil
}

// passesOf returns a user's newest pass per lesson, counting only results in the scope of the
// user's current shop (or the org's): a result another shop's device wrote for them counts for
// no one. Every row read is authenticated.
func (s *Store) passesOf(ctx context.Context, q querier, userID, shopID string) (map[string]time.Time, error) {
	all, err := s.passes(ctx, q, "user_id = ?", userID)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, p := range all {
		if p.shopID == shopID {
			if at := time.UnixMilli(p.at); at.After(out[p.lesson]) {
				out[p.lesson] = at
			}
		}
	}
	return out, nil
}

type passRow struct {
	id, userID, shopID, lesson string
	at                         int64
}

// passes reads the passed results matching where, each row's MAC checked.
func (s *Store) passes(ctx context.Context, q querier, where string, args ...any) ([]passRow, error) {
	if missing, err := tables["training_results"].missing(ctx, q, "main"); err != nil || missing {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT id, user_id, shop_id, lesson, taken_at FROM training_results WHERE passed = 1 AND "+where, args...)
	if err != nil {
		return nil, err
	}
	var out []passRow
	for rows.Next() {
		var p passRow
		if err := rows.Scan(&p.id, &p.userID, &p.shopID, &p.lesson, &p.at); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range out {
		// Fail closed: a result edited or planted in the file opens nothing.
		if err := s.checkRow(ctx, q, tables["training_results"], p.id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// trainingPolicy reads the owner's settings (the defaults where none are set) and when the
// training started (zero: not yet recorded).
func (s *Store) trainingPolicy(ctx context.Context, q querier) (TrainingSettings, time.Time, error) {
	vals, _, err := s.orgSettings(ctx, q)
	if err != nil {
		return TrainingSettings{}, time.Time{}, err
	}
	d := training.DefaultPolicy
	ts := TrainingSettings{PeriodMonths: d.PeriodMonths, GraceDays: d.GraceDays, Enforce: d.Enforce}
	if n, err := strconv.Atoi(vals[settingTrainingPeriod]); err == nil && n >= 1 && n <= MaxTrainingPeriodMonths {
		ts.PeriodMonths = n
	}
	if n, err := strconv.Atoi(vals[settingTrainingGrace]); err == nil && n >= 0 && n <= MaxTrainingGraceDays {
		ts.GraceDays = n
	}
	if v := vals[settingTrainingEnforce]; v == "off" {
		ts.Enforce = false
	}
	var since time.Time
	if n, err := strconv.ParseInt(vals[settingTrainingSince], 10, 64); err == nil && n > 0 {
		since = time.UnixMilli(n)
	}
	return ts, since, nil
}

func (ts TrainingSettings) policy() training.Policy {
	return training.Policy{PeriodMonths: ts.PeriodMonths, GraceDays: ts.GraceDays, Enforce: ts.Enforce}
}

// trainingRules is what a standing is computed from.
type trainingRules struct {
	settings TrainingSettings
	since    time.Time
	required []string
	now      time.Time
}

func (s *Store) trainingRules(ctx context.Context, q querier) (trainingRules, error) {
	c, err := builtinLessons()
	if err != nil {
		return trainingRules{}, err
	}
	ts, since, err := s.trainingPolicy(ctx, q)
	if err != nil {
		return trainingRules{}, err
	}
	now := s.opts.Now()
	if since.IsZero() {
		// No owner device has recorded the start yet (a shop's device upgraded first): from
		// now, so nobody is shut out before the owner's device says since when it counts.
		since = now
	}
	return trainingRules{settings: ts, since: since, required: c.Required(), now: now}, nil
}

// standing computes one user's standing from their passes.
func (r trainingRules) standing(userID, username, shopID string, created time.Time, passes map[string]time.Time) (TrainingStatus, training.Standing) {
	start := created
	if r.since.After(start) {
		start = r.since
	}
	st := training.Evaluate(r.settings.policy(), start, r.required, passes, r.now)
	return TrainingStatus{UserID: userID, Username: username, ShopID: shopID, LastPassed: st.LastPassed, DueAt: st.DueAt,
		State: st.State, Lessons: passes}, st
}

// myStanding is the signed-in user's standing.
func (ss *Session) myStanding(ctx context.Context) (TrainingStatus, training.Standing, error) {
	r, err := ss.s.trainingRules(ctx, ss.s.db)
	if err != nil {
		return TrainingStatus{}, training.Standing{}, err
	}
	passes, err := ss.s.passesOf(ctx, ss.s.db, ss.user.ID, ss.user.ShopID)
	if err != nil {
		return TrainingStatus{}, training.Standing{}, err
	}
	ts, st := r.standing(ss.user.ID, ss.user.Username, ss.user.ShopID, ss.user.CreatedAt, passes)
	return ts, st, nil
}

// MyTraining is the signed-in user's training status. Every signed-in user may.
func (ss *Session) MyTraining(ctx context.Context) (TrainingStatus, error) {
	ts, _, err := ss.myStanding(ctx)
	return ts, err
}

// TrainingStatus lists the training status of active staff: every account for the owner,
// their shop's for a manager; anyone else is refused (audited). The list is audited with its
// count; it holds usernames, dates and lesson codes only.
func (ss *Session) TrainingStatus(ctx context.Context) ([]TrainingStatus, error) {
	const action = "training.status"
	if err := ss.gone(); err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "refused", Detail: "account ended"})
		return nil, err
	}
	all := ss.user.Has(RoleOwner)
	if !all && !(ss.user.Has(RoleManager) && ss.user.ShopID != "") {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "denied"})
		return nil, ErrForbidden
	}
	users, err := ss.s.verifiedUsers(ctx, "active = 1")
	if err != nil {
		return nil, err
	}
	if !all {
		users = slices.DeleteFunc(users, func(u *userRow) bool { return u.shopID.String != ss.user.ShopID })
	}
	out, err := ss.s.statusesOf(ctx, ss.s.db, users)
	if err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: action, Detail: fmt.Sprintf("users=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// statusesOf computes the training status of each of users from one read of the results.
func (s *Store) statusesOf(ctx context.Context, q querier, users []*userRow) ([]TrainingStatus, error) {
	r, err := s.trainingRules(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := s.passes(ctx, q, "1 = 1")
	if err != nil {
		return nil, err
	}
	byUser := map[string][]passRow{}
	for _, p := range rows {
		byUser[p.userID] = append(byUser[p.userID], p)
	}
	out := make([]TrainingStatus, 0, len(users))
	for _, u := range users {
		passes := map[string]time.Time{}
		for _, p := range byUser[u.id] {
			if at := time.UnixMilli(p.at); p.shopID == u.shopID.String && at.After(passes[p.lesson]) {
				passes[p.lesson] = at
			}
		}
		ts, _ := r.standing(u.id, u.username, u.shopID.String, time.UnixMilli(u.createdAt), passes)
		out = append(out, ts)
	}
	return out, nil
}

// trainingStates is every account's training state ("current", "due", "overdue",
// "blocked"): the permission review's training column and flag (review.go).
func (s *Store) trainingStates(ctx context.Context, q querier) (map[string]string, error) {
	users, err := s.verifiedUsersVia(ctx, q, "1 = 1")
	if err != nil {
		return nil, err
	}
	list, err := s.statusesOf(ctx, q, users)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, st := range list {
		out[st.UserID] = st.State
	}
	return out, nil
}

// TrainingSettings returns the owner's training settings (business data: every signed-in
// user may read them).
func (ss *Session) TrainingSettings(ctx context.Context) (TrainingSettings, error) {
	ts, _, err := ss.s.trainingPolicy(ctx, ss.s.db)
	if err != nil {
		return ts, err
	}
	// Who set them last (trainingPolicy authenticated the rows).
	var at int64
	var by string
	err = ss.s.db.QueryRowContext(ctx, "SELECT set_at, set_by FROM org_settings WHERE name IN (?, ?, ?) ORDER BY set_at DESC, name LIMIT 1",
		settingTrainingPeriod, settingTrainingGrace, settingTrainingEnforce).Scan(&at, &by)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ts, nil
	case err != nil:
		return ts, err
	}
	ts.SetAt, ts.SetBy = time.UnixMilli(at), ss.s.username(ctx, by)
	return ts, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// SetTrainingSettings sets the period, the grace days and whether an overdue training closes
// customer data (owner only, on an owner device: org data every device applies). Audited
// "training.settings" with each old and new value.
func (ss *Session) SetTrainingSettings(ctx context.Context, in TrainingSettings) error {
	var ve ValidationError
	if in.PeriodMonths < 1 || in.PeriodMonths > MaxTrainingPeriodMonths {
		ve.add("period_months", fmt.Sprintf("must be 1 to %d", MaxTrainingPeriodMonths))
	}
	if in.GraceDays < 0 || in.GraceDays > MaxTrainingGraceDays {
		ve.add("grace_days", fmt.Sprintf("must be 0 to %d", MaxTrainingGraceDays))
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	err := ss.write(ctx, "training.settings", func(w *wtx) error {
		w.audit.Target = OrgScope
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		old, _, err := w.s.trainingPolicy(w.ctx, w.tx)
		if err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("period_months=%d->%d grace_days=%d->%d enforce=%s->%s",
			old.PeriodMonths, in.PeriodMonths, old.GraceDays, in.GraceDays, onOff(old.Enforce), onOff(in.Enforce))
		for _, kv := range [][2]string{
			{settingTrainingPeriod, strconv.Itoa(in.PeriodMonths)},
			{settingTrainingGrace, strconv.Itoa(in.GraceDays)},
			{settingTrainingEnforce, onOff(in.Enforce)},
		} {
			if err := w.putSetting(ss.user.ID, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrOwnerDeviceOnly) {
		return fmt.Errorf("the training settings are org data: %w", err)
	}
	return err
}

// putTrainingSince records when the training started, if no device has.
func (w *wtx) putTrainingSince(userID string) error {
	var n int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM org_settings WHERE name = ?", settingTrainingSince).Scan(&n); err != nil || n > 0 {
		return err
	}
	return w.putSetting(userID, settingTrainingSince, strconv.FormatInt(w.now, 10))
}

// ensureTrainingSince records, on an owner device unlocking a database from before the
// training, when the training started: today. It is org data, synced to every device, so all
// of them count an older account's training from the same day.
func (s *Store) ensureTrainingSince(ctx context.Context) error {
	if s.trailProblem() != nil {
		return nil
	}
	var have, staff int
	err := s.db.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM org_settings WHERE name = ?), (SELECT COUNT(*) FROM users)", settingTrainingSince).Scan(&have, &staff)
	if err != nil || have > 0 || staff == 0 {
		return err
	}
	if org, err := hasOrgKey(ctx, s.db); err != nil || !org || !s.mayWrite(ctx, s.db, OrgScope) {
		return err
	}
	var owner string
	err = s.db.QueryRowContext(ctx, "SELECT id FROM users WHERE roles LIKE '%owner%' ORDER BY created_at, id LIMIT 1").Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.write(ctx, systemActor(s), "training.since", func(w *wtx) error {
		w.audit.Target = OrgScope
		return w.putTrainingSince(owner)
	})
}

// trainingBlocked reports whether customer personal data is closed to the signed-in user. The
// answer is kept until a write commits on this store (a pass, a settings change, a sync) or
// the clock reaches the moment it would change by itself.
func (ss *Session) trainingBlocked(ctx context.Context) (bool, error) {
	t := &ss.training
	gen := ss.s.gen.Load()
	now := ss.s.opts.Now()
	t.mu.Lock()
	g := t.gate
	t.mu.Unlock()
	if g.ok && g.gen == gen && (g.blocked || now.Before(g.until)) {
		return g.blocked, nil
	}
	_, st, err := ss.myStanding(ctx)
	if err != nil {
		return false, err
	}
	g.ok, g.gen, g.blocked = true, gen, st.State == training.StateBlocked
	switch st.State {
	case training.StateCurrent, training.StateDue:
		g.until = st.BlocksAt
	default: // overdue without enforcement: changes only with a write
		g.until = now.AddDate(100, 0, 0)
	}
	t.mu.Lock()
	t.gate = g
	t.mu.Unlock()
	return g.blocked, nil
}

// trainingGate refuses customer personal data to a user whose training blocks it: the
// refusal is audited as denied (action, target) and the session's search index, which holds
// decrypted names, is dropped. Every path that opens a customer's sealed fields calls it.
func (ss *Session) trainingGate(ctx context.Context, action, targetID string) error {
	blocked, err := ss.trainingBlocked(ctx)
	if err != nil || !blocked {
		return err
	}
	ss.mu.Lock()
	if ss.index != nil {
		ss.index.Wipe()
	}
	ss.index, ss.cards = nil, nil
	ss.mu.Unlock()
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: targetID, Outcome: "denied", Detail: "training overdue"})
	return ErrTrainingOverdue
}
