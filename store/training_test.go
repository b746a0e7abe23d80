package store

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/compliance/training"
)

// quizKey is the right answers of a quiz started in ss, as positions shown (the test reaches
// into the session: the key never leaves the store otherwise).
func quizKey(t *testing.T, ss *Session, quizID string) []int {
	t.Helper()
	ss.training.mu.Lock()
	p := ss.training.quizzes[quizID]
	ss.training.mu.Unlock()
	if p == nil {
		t.Fatalf("quiz %s is not pending", quizID)
	}
	return training.Grade(p.lesson, p.quiz, nil).RightAnswer
}

// takeQuiz starts and submits a quiz of lesson, answering wrong wrong questions.
func takeQuiz(t *testing.T, ss *Session, lesson string, wrong int) QuizResult {
	t.Helper()
	ctx := context.Background()
	q := must[Quiz](t)(ss.StartQuiz(ctx, lesson, "en"))
	answers := quizKey(t, ss, q.ID)
	for i := range min(wrong, len(answers)) {
		answers[i] = (answers[i] + 1) % len(q.Questions[i].Options)
	}
	return must[QuizResult](t)(ss.SubmitQuiz(ctx, q.ID, answers))
}

// passTraining passes every built-in lesson.
func passTraining(t *testing.T, ss *Session) {
	t.Helper()
	c, err := builtinLessons()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range c.Required() {
		if r := takeQuiz(t, ss, id, 0); !r.Passed {
			t.Fatalf("%s: all right answers did not pass: %+v", id, r)
		}
	}
}

// trainingFixture: a store whose clock the test moves, shop North with the owner olga, the
// manager mia, salespeople sam and sue, the mechanic mike; a customer each of sam and sue,
// sue's with a bike and an open job for mike, and a sale to sam's.
type trainingFixture struct {
	*fixture
	clk *testClock
}

func newTrainingFixture(t *testing.T) trainingFixture {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	opts := testOptions()
	opts.Now = clk.Now
	st, _, err := Create(ctx, t.TempDir(), CreateOptions{ShopName: "North", Region: "US", Currency: "USD", OwnerUsername: "olga",
		OwnerName: "Olga Owner", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, users: map[string]*Session{}, emailSue: "sue.customer@example.com"}
	owner := signIn(t, st, "olga", "owner-password-1")
	f.users["olga"] = owner
	f.north = must[[]Shop](t)(owner.Shops(ctx))[0].ID
	for _, u := range []struct {
		name string
		role Role
	}{{"mia", RoleManager}, {"sam", RoleSales}, {"sue", RoleSales}, {"mike", RoleMechanic}} {
		must[string](t)(owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: f.north}))
		f.users[u.name] = signIn(t, st, u.name, staffPW)
	}
	f.cSam = must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: "Ada Samcustomer", Email: "ada@example.com", Phone: "+1 415 555 0101"}))
	f.cSue = must[string](t)(f.users["sue"].CreateCustomer(ctx, CustomerInput{Name: "Bea Suecustomer", Email: f.emailSue, Phone: "+1 415 555 0102"}))
	bike := must[string](t)(f.users["sue"].AddBike(ctx, f.cSue, Bike{Make: "Trek", Model: "Domane", Serial: "WTU123X4567"}))
	f.woSue = must[string](t)(f.users["sue"].CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.cSue, BikeID: bike, Complaint: "gears skip", MechanicID: f.users["mike"].User().ID}))
	must[string](t)(f.users["sam"].RecordSale(ctx, SaleInput{CustomerID: f.cSam, PaymentMethod: "card", Lines: []Line{{Kind: "part", Description: "Tube", Qty: 1, UnitPrice: 900}}}))
	return trainingFixture{f, clk}
}

// piiPaths are every way a session opens customers' sealed fields, each with the user who
// may take it.
func (f trainingFixture) piiPaths() []struct {
	name, user string
	do         func(ctx context.Context, ss *Session) error
} {
	return []struct {
		name, user string
		do         func(ctx context.Context, ss *Session) error
	}{
		{"own customer's card", "sam", func(ctx context.Context, ss *Session) error { _, err := ss.Customer(ctx, f.cSam, ""); return err }},
		{"break-glass card", "sam", func(ctx context.Context, ss *Session) error {
			_, err := ss.Customer(ctx, f.cSue, "customer at the counter, Sue away")
			return err
		}},
		{"lookup by e-mail", "sam", func(ctx context.Context, ss *Session) error {
			_, err := ss.FindCustomers(ctx, ByEmail, "ada@example.com")
			return err
		}},
		{"break-glass lookup", "sam", func(ctx context.Context, ss *Session) error {
			_, err := ss.FindOthers(ctx, ByEmail, f.emailSue)
			return err
		}},
		{"type-ahead search", "sam", func(ctx context.Context, ss *Session) error { _, err := ss.Search(ctx, "ada", 10); return err }},
		{"index build", "sue", func(ctx context.Context, ss *Session) error { return ss.BuildIndex(ctx, nil) }},
		{"recent sales with names", "sam", func(ctx context.Context, ss *Session) error { _, err := ss.RecentSales(ctx, 10); return err }},
		{"mechanic's card", "mike", func(ctx context.Context, ss *Session) error { _, err := ss.Customer(ctx, f.cSue, ""); return err }},
		{"mechanic's board", "mike", func(ctx context.Context, ss *Session) error { _, err := ss.Board(ctx, "", ""); return err }},
		{"manager's card", "mia", func(ctx context.Context, ss *Session) error { _, err := ss.Customer(ctx, f.cSue, ""); return err }},
		{"data-subject export", "mia", func(ctx context.Context, ss *Session) error { _, err := ss.SubjectExport(ctx, f.cSue); return err }},
		{"conflicts' losing values", "olga", func(ctx context.Context, ss *Session) error { _, err := ss.Conflicts(ctx); return err }},
		{"owner's card", "olga", func(ctx context.Context, ss *Session) error { _, err := ss.Customer(ctx, f.cSam, ""); return err }},
	}
}

// TestTrainingGateEveryPath: within the grace period every path opens; past it each is
// refused with ErrTrainingOverdue, whose message says what to do, and audited as denied; a
// failed quiz changes nothing; passing lifts the gate in the same session; the owner, though
// overdue, administers; switching enforcement off opens everything again.
func TestTrainingGateEveryPath(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	paths := f.piiPaths()
	// A new account is due at once, with the grace period to go.
	for _, p := range paths {
		if err := p.do(ctx, f.users[p.user]); err != nil {
			t.Fatalf("%s (%s) during the grace period: %v", p.name, p.user, err)
		}
	}
	if st := must[TrainingStatus](t)(f.users["sam"].MyTraining(ctx)); st.State != TrainingDue || !st.DueAt.Equal(f.users["sam"].User().CreatedAt) {
		t.Fatalf("a new account: %+v", st)
	}
	// sam's index is built (the search above): it must not outlive the gate.
	f.clk.Advance(15 * 24 * time.Hour)
	for _, p := range paths {
		t.Run("blocked/"+p.name, func(t *testing.T) {
			ss := f.users[p.user]
			err := p.do(ctx, ss)
			if !errors.Is(err, ErrTrainingOverdue) {
				t.Fatalf("got %v, want ErrTrainingOverdue", err)
			}
			if !strings.Contains(err.Error(), "Administration → Training") {
				t.Fatalf("the message does not say what to do: %q", err)
			}
			last := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Limit: 1}))[0] // newest first
			if last.Outcome != "denied" || last.Detail != "training overdue" || last.UserID != ss.User().ID {
				t.Fatalf("not audited as denied: %+v", last)
			}
		})
	}
	ss := f.users["sam"]
	ss.mu.RLock()
	built := ss.index != nil
	ss.mu.RUnlock()
	if built {
		t.Fatal("the blocked session still holds its search index")
	}

	// A failed quiz is an attempt, audited, and counts for nothing.
	c, _ := builtinLessons()
	for _, id := range c.Required() {
		if r := takeQuiz(t, f.users["mike"], id, 2); r.Passed || r.Correct != 3 {
			t.Fatalf("two wrong passed: %+v", r)
		}
	}
	if st := must[TrainingStatus](t)(f.users["mike"].MyTraining(ctx)); st.State != TrainingBlocked || len(st.Lessons) != 0 {
		t.Fatalf("failed quizzes counted: %+v", st)
	}
	if fails := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Action: "training.fail"})); len(fails) != len(c.Required()) {
		t.Fatalf("%d training.fail entries", len(fails))
	}
	// One lesson short is not complete; four of five right is a pass.
	for _, id := range c.Required()[1:] {
		if r := takeQuiz(t, ss, id, 1); !r.Passed || r.Percent != 80 {
			t.Fatalf("4 of 5: %+v", r)
		}
	}
	if err := paths[0].do(ctx, ss); !errors.Is(err, ErrTrainingOverdue) {
		t.Fatalf("one lesson short: %v", err)
	}
	r := takeQuiz(t, ss, c.Required()[0], 0)
	if !r.Passed || r.Status.State != TrainingCurrent || !r.Status.DueAt.Equal(r.Status.LastPassed.AddDate(1, 0, 0)) {
		t.Fatalf("complete: %+v", r.Status)
	}
	// The gate lifts in the same session, for every one of sam's paths.
	for _, p := range paths {
		if p.user == "sam" {
			if err := p.do(ctx, ss); err != nil {
				t.Fatalf("%s after passing: %v", p.name, err)
			}
		}
	}
	if passes := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Action: "training.pass"})); len(passes) != len(c.Required()) {
		t.Fatalf("%d training.pass entries", len(passes))
	}

	// The owner, overdue, is refused customers but administers: staff, backups, devices,
	// settings, the training itself.
	owner := f.users["olga"]
	if _, err := owner.Customer(ctx, f.cSam, ""); !errors.Is(err, ErrTrainingOverdue) {
		t.Fatalf("overdue owner's card: %v", err)
	}
	admin := []struct {
		name string
		do   func() error
	}{
		{"list staff", func() error { _, err := owner.Users(ctx); return err }},
		{"add staff", func() error {
			_, err := owner.AddUser(ctx, NewUser{Username: "new", Password: staffPW, Roles: []Role{RoleSales}, ShopID: f.north})
			return err
		}},
		{"reset a password", func() error {
			pw := "another-password-1"
			return owner.UpdateUser(ctx, f.users["mike"].User().ID, nil, nil, &pw)
		}},
		{"backup settings", func() error {
			return owner.SetBackupConfig(ctx, BackupConfig{Folder: t.TempDir(), Full: 24 * time.Hour, Differential: time.Hour, Incremental: time.Minute, KeepFulls: 2})
		}},
		{"backup keys", func() error { _, err := owner.BackupKeys(ctx, OpBackup, "backup.keys"); return err }},
		{"restore keys", func() error { _, err := owner.BackupKeys(ctx, OpRestore, "restore.keys"); return err }},
		{"devices", func() error { _, err := owner.ReplicaFor(ctx, "device.list"); return err }},
		{"audit trail", func() error { _, err := owner.AuditLog(ctx, AuditFilter{}); return err }},
		{"training status", func() error { _, err := owner.TrainingStatus(ctx); return err }},
		{"training settings", func() error {
			return owner.SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 12, GraceDays: 14, Enforce: true})
		}},
		{"a lesson", func() error { _, err := owner.Lesson(ctx, "rights", "zh-Hans"); return err }},
	}
	// (Restore keys are a sensitive action: a password typed 15 days ago is stale for them,
	// whatever the training says.)
	if err := owner.Reauthenticate(ctx, "owner-password-1"); err != nil {
		t.Fatal(err)
	}
	for _, a := range admin {
		if err := a.do(); err != nil {
			t.Errorf("overdue owner: %s: %v", a.name, err)
		}
	}
	// Enforcement off: overdue, and open.
	if err := owner.SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 12, GraceDays: 14, Enforce: false}); err != nil {
		t.Fatal(err)
	}
	if st := must[TrainingStatus](t)(owner.MyTraining(ctx)); st.State != TrainingOverdue {
		t.Fatalf("not enforced: %s", st.State)
	}
	for _, p := range paths {
		if err := p.do(ctx, f.users[p.user]); err != nil {
			t.Errorf("%s, enforcement off: %v", p.name, err)
		}
	}
}

// TestTrainingExpiresAfterThePeriod: a complete training is current until a period after its
// oldest pass, due then, and blocks after the grace period; a setting shortens it for all.
func TestTrainingExpiresAfterThePeriod(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	sam := f.users["sam"]
	passTraining(t, sam)
	first := must[TrainingStatus](t)(sam.MyTraining(ctx))
	f.clk.Advance(24 * time.Hour)
	takeQuiz(t, sam, "rights", 0) // a newer pass of one lesson does not move the due date
	if st := must[TrainingStatus](t)(sam.MyTraining(ctx)); !st.DueAt.Equal(first.DueAt) || st.Lessons["rights"].Equal(first.Lessons["rights"]) {
		t.Fatalf("due %v -> %v", first.DueAt, st.DueAt)
	}
	f.clk.Advance(first.DueAt.Sub(f.clk.Now()))
	if st := must[TrainingStatus](t)(sam.MyTraining(ctx)); st.State != TrainingDue {
		t.Fatalf("at the due date: %s", st.State)
	}
	if _, err := sam.Customer(ctx, f.cSam, ""); err != nil {
		t.Fatalf("within the grace: %v", err)
	}
	f.clk.Advance(first.DueAt.AddDate(0, 0, 14).Sub(f.clk.Now()))
	if _, err := sam.Customer(ctx, f.cSam, ""); !errors.Is(err, ErrTrainingOverdue) {
		t.Fatalf("past the grace: %v", err)
	}
	// Back to a fresh pass; then six months with no grace blocks half a year on.
	passTraining(t, sam)
	if err := f.users["olga"].SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 6, GraceDays: 0, Enforce: true}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(190 * 24 * time.Hour)
	if _, err := sam.Customer(ctx, f.cSam, ""); !errors.Is(err, ErrTrainingOverdue) {
		t.Fatalf("six months on: %v", err)
	}
}

// TestTrainingQuizInStore: a quiz carries no key; its answers are checked; it is graded once;
// a retry draws a new quiz; the review names the right answers.
func TestTrainingQuizInStore(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	sam := f.users["sam"]
	q := must[Quiz](t)(sam.StartQuiz(ctx, "phishing", "zh-Hans"))
	if len(q.Questions) != training.QuizSize || q.Lang != "zh-Hans" || q.PassPercent != 80 || q.Title == "" {
		t.Fatalf("quiz: %+v", q)
	}
	for _, qq := range q.Questions {
		if len(qq.Options) < 2 || strings.HasPrefix(qq.Options[0], "+") {
			t.Fatalf("question: %+v", qq)
		}
	}
	if _, err := sam.SubmitQuiz(ctx, q.ID, []int{0, 0}); !errorsAsField(err, "answers") {
		t.Fatalf("two answers for five questions: %v", err)
	}
	if _, err := sam.SubmitQuiz(ctx, q.ID, []int{0, 0, 0, 0, 9}); !errorsAsField(err, "answers[5]") {
		t.Fatalf("an option out of range: %v", err)
	}
	if _, err := f.users["sue"].SubmitQuiz(ctx, q.ID, []int{0, 0, 0, 0, 0}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another session submitted sam's quiz: %v", err)
	}
	key := quizKey(t, sam, q.ID)
	blank := []int{-1, -1, -1, -1, -1}
	r := must[QuizResult](t)(sam.SubmitQuiz(ctx, q.ID, blank))
	if r.Passed || r.Correct != 0 || len(r.Review) != 5 || r.Review[0].Chosen != -1 || r.Review[0].Right != key[0] || r.Review[0].Answer != q.Questions[0].Options[key[0]] || r.Review[0].Why == "" {
		t.Fatalf("result: %+v", r)
	}
	if _, err := sam.SubmitQuiz(ctx, q.ID, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a quiz graded twice: %v", err)
	}
	if _, err := sam.StartQuiz(ctx, "no-such-lesson", "en"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown lesson: %v", err)
	}
	// Retries draw anew, from the pool of at least 8.
	seen := map[string]bool{}
	for range 6 {
		q := must[Quiz](t)(sam.StartQuiz(ctx, "phishing", "en"))
		seen[q.Questions[0].Text+q.Questions[1].Text] = true
	}
	if len(seen) < 2 {
		t.Fatal("every retry drew the same quiz")
	}
	if n := len(sam.training.quizzes); n > maxPendingQuizzes {
		t.Fatalf("%d quizzes kept", n)
	}
}

func errorsAsField(err error, field string) bool {
	var fe *FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// TestTrainingStatusWhoMay: the owner sees every account, a manager their shop's, anyone else
// is refused and audited.
func TestTrainingStatusWhoMay(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	owner := f.users["olga"]
	south := must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "stan", Password: staffPW, Roles: []Role{RoleSales}, ShopID: south}))
	passTraining(t, f.users["sue"])
	f.clk.Advance(20 * 24 * time.Hour)
	states := func(ss *Session) map[string]string {
		list := must[[]TrainingStatus](t)(ss.TrainingStatus(ctx))
		out := map[string]string{}
		for _, s := range list {
			out[s.Username] = s.State
		}
		return out
	}
	all := states(owner)
	want := map[string]string{"olga": "blocked", "mia": "blocked", "sam": "blocked", "sue": "current", "mike": "blocked", "stan": "blocked"}
	for u, s := range want {
		if all[u] != s {
			t.Errorf("%s: %s, want %s", u, all[u], s)
		}
	}
	if len(all) != len(want) {
		t.Errorf("owner sees %v", all)
	}
	mgr := states(f.users["mia"])
	if _, ok := mgr["stan"]; ok || len(mgr) != 4 {
		t.Fatalf("the manager sees %v", mgr)
	}
	for _, u := range []string{"sam", "mike"} {
		if _, err := f.users[u].TrainingStatus(ctx); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s: %v", u, err)
		}
	}
	denied := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "training.status"}))
	n := 0
	for _, r := range denied {
		if r.Outcome == "denied" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d denials audited", n)
	}
	sue := must[TrainingStatus](t)(f.users["sue"].MyTraining(ctx))
	if len(sue.Lessons) != 6 || sue.LastPassed.IsZero() {
		t.Fatalf("sue: %+v", sue)
	}
}

// TestTrainingSettingsAudited: the owner's settings are validated, audited with the old and
// new values, and refused (and audited) for anyone else.
func TestTrainingSettingsAudited(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	owner := f.users["olga"]
	if s := must[TrainingSettings](t)(owner.TrainingSettings(ctx)); s.PeriodMonths != 12 || s.GraceDays != 14 || !s.Enforce || !s.SetAt.IsZero() {
		t.Fatalf("defaults: %+v", s)
	}
	if err := owner.SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 0, GraceDays: 400}); err == nil || !strings.Contains(err.Error(), "period_months") || !strings.Contains(err.Error(), "grace_days") {
		t.Fatalf("bad values: %v", err)
	}
	if err := owner.SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 6, GraceDays: 7, Enforce: false}); err != nil {
		t.Fatal(err)
	}
	s := must[TrainingSettings](t)(f.users["sam"].TrainingSettings(ctx))
	if s.PeriodMonths != 6 || s.GraceDays != 7 || s.Enforce || s.SetBy != "olga" {
		t.Fatalf("read back: %+v", s)
	}
	if err := f.users["mia"].SetTrainingSettings(ctx, TrainingSettings{PeriodMonths: 24, GraceDays: 30, Enforce: true}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a manager set them: %v", err)
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "training.settings"}))
	var ok, denied bool
	for _, r := range recs {
		switch {
		case r.Outcome == "ok" && r.Detail == "period_months=12->6 grace_days=14->7 enforce=on->off":
			ok = true
		case r.Outcome == "denied" && r.UserID == f.users["mia"].User().ID:
			denied = true
		}
	}
	if !ok || !denied {
		t.Fatalf("audit: %+v", recs)
	}
}

// TestTrainingForgedRowsBySync plays another shop's device sending training results: a row
// naming this shop in its own shop's scope, a shop's row in the org scope, and an edit turning
// a recorded failure into a pass are refused whole; a pass it records, in its own scope, for
// someone of another shop counts for no one. The real results of a device arrive and count.
func TestTrainingForgedRowsBySync(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "US", "USD"))
	if ks, err := owner.ExportScopeKeys(ctx, []string{south}); err != nil || B.st.Replica().ImportScopeKeys(ctx, ks) != nil {
		t.Fatal("share the South key", err)
	}
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: north}))
	samA := signIn(t, A.st, "sam", staffPW)
	failed := takeQuiz(t, samA, "counter", 5)
	if failed.Passed {
		t.Fatal("a quiz of wrong answers passed")
	}
	passTraining(t, samA)
	exchange(t, A, B)
	samB := signIn(t, B.st, "sam", staffPW)
	if st := must[TrainingStatus](t)(samB.MyTraining(ctx)); st.State != TrainingCurrent {
		t.Fatalf("the passes did not arrive: %+v", st)
	}
	before := must[string](t)(B.st.DataHash(ctx))
	var failedRow string
	if err := B.st.db.QueryRow("SELECT id FROM training_results WHERE passed = 0").Scan(&failedRow); err != nil {
		t.Fatal(err)
	}
	const hlc = uint64(1) << 40
	row := func(scope, id, shop, user string) []ChangeRecord {
		rec := func(col string, v any) ChangeRecord {
			return ChangeRecord{HLC: hlc, Device: "evil-south", Scope: scope, Table: "training_results", RowID: id, Column: col, Value: v}
		}
		return []ChangeRecord{rec("user_id", user), rec("shop_id", shop), rec("lesson", "counter"), rec("lang", "en"), rec("passed", int64(1)),
			rec("correct", int64(5)), rec("total", int64(5)), rec("taken_at", int64(1))}
	}
	cases := []struct {
		name  string
		scope string
		recs  []ChangeRecord
	}{
		{"a North result in South's scope", south, row(south, newID(), north, sam)},
		{"a North result in the org scope", OrgScope, row(OrgScope, newID(), north, sam)},
		{"a South result in the org scope", OrgScope, row(OrgScope, newID(), south, sam)},
		{"a failure turned into a pass", north, []ChangeRecord{{HLC: hlc, Device: "evil-south", Scope: north, Table: "training_results", RowID: failedRow, Column: "passed", Value: int64(1)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := B.st.applyRemote(ctx, "evil-south", c.scope, c.recs, 0); !errors.Is(err, ErrRemote) {
				t.Fatalf("applied: %v", err)
			}
			if after := must[string](t)(B.st.DataHash(ctx)); after != before {
				t.Fatal("a refused set changed data")
			}
		})
	}
	// South's device may write South's rows: a pass it names for a North salesperson is kept
	// there but counts for no one (sam's results count in North's scope only).
	mike := must[string](t)(owner.AddUser(ctx, NewUser{Username: "mike", Password: staffPW, Roles: []Role{RoleMechanic}, ShopID: north}))
	exchange(t, A, B)
	var forged []ChangeRecord
	for _, l := range must[*training.Catalog](t)(builtinLessons()).Required() {
		recs := row(south, newID(), south, mike)
		recs[2].Value = l
		forged = append(forged, recs...)
	}
	if _, err := B.st.applyRemote(ctx, "evil-south", south, forged, 0); err != nil {
		t.Fatalf("South's own scope: %v", err)
	}
	mikeB := signIn(t, B.st, "mike", staffPW)
	if st := must[TrainingStatus](t)(mikeB.MyTraining(ctx)); st.State == TrainingCurrent || len(st.Lessons) != 0 {
		t.Fatalf("a pass from another shop's device counted: %+v", st)
	}
}

// TestTrainingOnTheRightDevice: a shop's counter records its own staff's training; the owner
// (org-wide) is sent to an owner device, before answering anything.
func TestTrainingOnTheRightDevice(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: north}))
	exchange(t, A, B)
	if err := B.st.SaveSyncState(ctx, SyncState{Role: "shop", Scopes: []string{north}}); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, B.st, "olga", "owner-password-1").StartQuiz(ctx, "counter", "en"); !errors.Is(err, ErrTrainingOwnerDevice) {
		t.Fatalf("the owner on a shop's counter: %v", err)
	}
	passTraining(t, signIn(t, B.st, "sam", staffPW))
}

// TestTrainingShopLessons: a shop's own lessons from the data folder are listed and may be
// taken, but are not required; a malformed file is named with its line and the rest load.
func TestTrainingShopLessons(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	dir := f.st.LessonsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	lesson := "spoke-lesson 1\nid: workshop-keys\nlang: en\ntitle: The workshop keys\norder: 5\n\nKeep them on you.\n\n=== quiz\n"
	for _, q := range []string{"one", "two", "three", "four", "five"} {
		lesson += "Q: " + q + "?\n+ right\n- wrong\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "workshop-keys.en.lesson"), []byte(lesson), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.en.lesson"), []byte(strings.Replace(lesson, "+ right", "right", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	sam := f.users["sam"]
	list, err := sam.Lessons(ctx, "zh-Hans")
	var fe *training.FolderError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "lessons/broken.en.lesson, line 11") {
		t.Fatalf("the malformed file is not named: %v", err)
	}
	ids := []string{}
	for _, l := range list {
		ids = append(ids, l.ID+"/"+l.Lang)
	}
	if len(list) != 7 || !slices.Contains(ids, "workshop-keys/en") || !slices.Contains(ids, "counter/zh-Hans") || list[6].Required {
		t.Fatalf("lessons: %v", ids)
	}
	if r := takeQuiz(t, sam, "workshop-keys", 0); !r.Passed || r.Status.State == TrainingCurrent {
		t.Fatalf("a shop's lesson: %+v", r)
	}
	if st := must[TrainingStatus](t)(sam.MyTraining(ctx)); st.Lessons["workshop-keys"].IsZero() {
		t.Fatal("the shop lesson's pass is not listed")
	}
}

// TestTrainingInTheReview: the permission review shows each account's training state and
// flags an overdue one.
func TestTrainingInTheReview(t *testing.T) {
	ctx := context.Background()
	f := newTrainingFixture(t)
	passTraining(t, f.users["sue"])
	f.clk.Advance(20 * 24 * time.Hour)
	r := must[*Review](t)(f.users["olga"].Review(ctx, ""))
	sue, sam := accountByName(r, "sue"), accountByName(r, "sam")
	if sue == nil || sam == nil {
		t.Fatal("accounts missing from the review")
	}
	if sue.Training != TrainingCurrent || slices.Contains(sue.Flags, FlagTraining) {
		t.Fatalf("sue: %s %v", sue.Training, sue.Flags)
	}
	if sam.Training != TrainingBlocked || !slices.Contains(sam.Flags, FlagTraining) {
		t.Fatalf("sam: %s %v", sam.Training, sam.Flags)
	}
}

// TestTrainingSyncsInItsScope: a shop's staff's results travel in that shop's scope, the
// owner's in the org's, in change-sets and compaction snapshots alike, and count on arrival.
func TestTrainingSyncsInItsScope(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: north}))
	passTraining(t, owner)
	passTraining(t, signIn(t, A.st, "sam", staffPW))
	scopes := map[string]string{} // result row -> scope it was sent in
	for _, r := range must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, 0, 1<<30)) {
		if r.Table == "training_results" {
			scopes[r.RowID] = r.Scope
		}
	}
	if len(scopes) != 12 {
		t.Fatalf("%d results sent", len(scopes))
	}
	rows := must[[]string](t)(queryStrings(ctx, A.st.db, "SELECT id || ' ' || "+trainingScopeSQL+" FROM training_results"))
	for _, r := range rows {
		id, scope, _ := strings.Cut(r, " ")
		if scopes[id] != scope {
			t.Fatalf("result %s sent in %q, lives in %q", id, scopes[id], scope)
		}
	}
	inSnapshot := map[string]string{}
	for _, scope := range []string{north, OrgScope} {
		for _, r := range snapshotRecords(t, A.st, scope) {
			if r.Table == "training_results" {
				inSnapshot[r.RowID] = scope
			}
		}
	}
	if !maps.Equal(inSnapshot, scopes) {
		t.Fatalf("snapshots hold %v, sets %v", inSnapshot, scopes)
	}
	exchange(t, A, B)
	for _, u := range []struct{ name, pw string }{{"olga", "owner-password-1"}, {"sam", staffPW}} {
		if st := must[TrainingStatus](t)(signIn(t, B.st, u.name, u.pw).MyTraining(ctx)); st.State != TrainingCurrent {
			t.Fatalf("%s on the other device: %+v", u.name, st)
		}
	}
}
