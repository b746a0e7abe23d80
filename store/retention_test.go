package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// TestRetentionPolicyFloors: a policy under the legal floors is refused, naming the field;
// only the owner sets one.
func TestRetentionPolicyFloors(t *testing.T) {
	ctx := context.Background()
	f, _ := clockFixture(t)
	owner := f.users["olga"]
	with := func(change func(p *RetentionPolicy)) RetentionPolicy { p := DefaultRetention; change(&p); return p }
	for _, tc := range []struct {
		name, field string
		p           RetentionPolicy
	}{
		{"request log 23 months", "request_log_months", with(func(p *RetentionPolicy) { p.RequestLogMonths = 23 })},
		{"assessments 2 years", "assessment_years", with(func(p *RetentionPolicy) { p.AssessmentYears = 2 })},
		{"deleted after 10 days", "deleted_days", with(func(p *RetentionPolicy) { p.DeletedDays = 10 })},
		{"negative inactivity", "inactive_years", with(func(p *RetentionPolicy) { p.InactiveYears = -1 })},
		{"negative reasons", "reason_months", with(func(p *RetentionPolicy) { p.ReasonMonths = -3 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := owner.SetRetentionPolicy(ctx, tc.p)
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("%v", err)
			}
		})
	}
	for _, u := range []string{"mia", "sam"} {
		if _, err := f.users[u].SetRetentionPolicy(ctx, DefaultRetention); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s set the policy: %v", u, err)
		}
	}
	if p := must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx)); p != nil {
		t.Fatalf("a refused policy was stored: %+v", p)
	}
	off := with(func(p *RetentionPolicy) { p.InactiveYears, p.DeletedDays, p.ReasonMonths, p.AuditYears = 0, 0, 0, 0 })
	must[string](t)(owner.SetRetentionPolicy(ctx, off))
}

// TestRetentionApproval: the owner sets the policy; managers existed for both shops, so each
// shop waits for its manager (or a second owner); the setter cannot approve; a manager's
// approval covers their shop only; with nobody else holding the grant a policy is in force at
// once; an approval by someone without the grant counts for nothing.
func TestRetentionApproval(t *testing.T) {
	ctx := context.Background()
	f, _ := clockFixture(t)
	owner := f.users["olga"]
	id := must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))
	p := must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx))
	if p.ID != id || p.NeedsOwner || !slices.Equal(p.NeedsShops, sorted(f.north, f.south)) || p.ApprovedFor(f.north) || p.ApprovedFor(f.south) || !p.ApprovedOrg() {
		t.Fatalf("new policy: %+v", p)
	}
	if err := owner.ApproveRetention(ctx); !errors.Is(err, ErrSecondPerson) {
		t.Fatalf("the setter approved: %v", err)
	}
	if err := f.users["sam"].ApproveRetention(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson approved: %v", err)
	}
	if err := f.users["mia"].ApproveRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.users["mia"].ApproveRetention(ctx); !errors.Is(err, ErrExists) {
		t.Fatalf("approved twice: %v", err)
	}
	p = must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx))
	if !p.ApprovedFor(f.north) || p.ApprovedFor(f.south) || !p.Waiting() || p.ShopApprovals[f.north] != f.users["mia"].User().ID {
		t.Fatalf("after mia: %+v", p)
	}
	// A forged approval (a salesperson named as the approver of South) counts for nothing.
	if err := f.st.write(ctx, storeActor, "test.forged_approval", func(w *wtx) error {
		return w.insert("retention_approvals", f.south, newID(), []col{plain("policy_id", id), plain("shop_id", f.south),
			plain("approved_by", f.users["stan"].User().ID), plain("approved_at", w.now)})
	}); err != nil {
		t.Fatal(err)
	}
	if p = must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx)); p.ApprovedFor(f.south) {
		t.Fatal("a salesperson's approval counted")
	}
	if err := f.users["mo"].ApproveRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if p = must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx)); !p.ApprovedFor(f.south) || p.Waiting() {
		t.Fatalf("after mo: %+v", p)
	}
	// A second owner: the next policy waits for them (org rule included) and their approval covers all.
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "otto", Password: staffPW, Roles: []Role{RoleOwner}}))
	must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))
	p = must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx))
	if !p.NeedsOwner || p.ApprovedOrg() || p.ApprovedFor(f.north) {
		t.Fatalf("with a second owner: %+v", p)
	}
	if err := signIn(t, f.st, "otto", staffPW).ApproveRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if p = must[*RetentionPolicy](t)(owner.RetentionPolicy(ctx)); !p.ApprovedOrg() || !p.ApprovedFor(f.north) || !p.ApprovedFor(f.south) || p.Waiting() {
		t.Fatalf("after otto: %+v", p)
	}
	// Alone: a single owner's policy is in force at once.
	st, _ := newTestStore(t)
	solo := signIn(t, st, "olga", "owner-password-1")
	must[string](t)(solo.SetRetentionPolicy(ctx, DefaultRetention))
	shop := must[[]Shop](t)(solo.Shops(ctx))[0].ID
	if p := must[*RetentionPolicy](t)(solo.RetentionPolicy(ctx)); !p.ApprovedFor(shop) || !p.ApprovedOrg() || p.Waiting() {
		t.Fatalf("a lone owner's policy: %+v", p)
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// retentionScene plants, at the fixture's start, customers the policy will and will not select
// once the clock has moved on: returns the ids by name.
func retentionScene(t *testing.T, f *fixture, clk *testClock) map[string]string {
	t.Helper()
	ctx := context.Background()
	sam, stan := f.users["sam"], f.users["stan"]
	ids := map[string]string{}
	mk := func(ss *Session, name string) string {
		id := must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: name, Phone: "+1 415 555 0101"}))
		ids[name] = id
		return id
	}
	mk(sam, "idle north")
	mk(stan, "idle south")
	buyer := mk(sam, "recent buyer")
	job := mk(sam, "open job")
	must[string](t)(sam.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: job, Complaint: "wobbles"}))
	gone := mk(sam, "deleted long ago")
	recent := mk(sam, "deleted recently")
	clk.Advance(7 * 365 * day)
	must[string](t)(sam.RecordSale(ctx, SaleInput{CustomerID: buyer, PaymentMethod: "card", Lines: []Line{{Kind: "part", SKU: "T1", Description: "tube", Qty: 1, UnitPrice: 800}}}))
	if err := f.users["olga"].DeleteCustomer(ctx, gone); err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * day)
	if err := f.users["olga"].DeleteCustomer(ctx, recent); err != nil {
		t.Fatal(err)
	}
	clk.Advance(29 * day)
	return ids
}

// TestRetentionPreviewSelects: the preview counts per rule (inactive for N years: no sale, job
// or edit since and no open job; deleted more than 30 days ago), shows ids to the owner only,
// a manager only their shop, and changes nothing.
func TestRetentionPreviewSelects(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	ids := retentionScene(t, f, clk)
	must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention)) // 6 years, 30 days
	before := must[string](t)(f.st.DataHash(ctx))

	r := must[*RetentionReport](t)(owner.RetentionPreview(ctx))
	byShop := map[string]RetentionShop{}
	for _, s := range r.Shops {
		byShop[s.ShopID] = s
	}
	n, s := byShop[f.north], byShop[f.south]
	if !slices.Equal(n.InactiveIDs, []string{ids["idle north"]}) || n.Inactive != 1 {
		t.Fatalf("north inactive: %v (ids %v)", n.InactiveIDs, ids)
	}
	if !slices.Equal(n.DeletedIDs, []string{ids["deleted long ago"]}) || n.Deleted != 1 {
		t.Fatalf("north deleted: %v", n.DeletedIDs)
	}
	if !slices.Equal(s.InactiveIDs, []string{ids["idle south"]}) || s.Deleted != 0 {
		t.Fatalf("south: %+v", s)
	}
	if n.Approved || !n.Here || r.Held() != 3 || r.Due() != 0 || !r.DryRun {
		t.Fatalf("approval in the preview: %+v held %d due %d", n, r.Held(), r.Due())
	}
	// The manager: their shop's counts, no ids.
	m := must[*RetentionReport](t)(f.users["mia"].RetentionPreview(ctx))
	if len(m.Shops) != 1 || m.Shops[0].ShopID != f.north || m.Shops[0].Inactive != 1 || m.Shops[0].Deleted != 1 || m.Shops[0].InactiveIDs != nil || m.Shops[0].DeletedIDs != nil {
		t.Fatalf("manager's preview: %+v", m.Shops)
	}
	if a := lastAuditOf(t, f.st, "retention.preview"); !strings.Contains(a.Detail, "inactive=1") || strings.Contains(a.Detail, ids["idle north"]) {
		t.Fatalf("preview audit: %+v", a)
	}
	if _, err := f.users["sam"].RetentionPreview(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson previewed: %v", err)
	}
	if after := must[string](t)(f.st.DataHash(ctx)); after != before {
		t.Fatal("the preview changed data")
	}
}

// TestRetentionRunErases: until the policy is approved a run only previews; a dry run changes
// nothing; an approved run erases (crypto-shreds) the customers inactive for the policy's years
// and those soft-deleted more than 30 days ago, as the system principal, and keeps the others;
// a manager's run reaches only their shop.
func TestRetentionRunErases(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	ids := retentionScene(t, f, clk)
	must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))

	// Not approved yet: the run only previews.
	r, err := owner.RunRetention(ctx, RetentionRun{})
	if err != nil || r.Erased != 0 || r.EraseError != "" || r.Held() != 3 {
		t.Fatalf("an unapproved run: %+v %v", r, err)
	}
	if a := lastAuditOf(t, f.st, "retention.run"); a.UserID != "system:retention" || !strings.Contains(a.Detail, "held=3") || a.Outcome != "ok" {
		t.Fatalf("unapproved run's entry: %+v", a)
	}
	for _, m := range []string{"mia", "mo"} {
		if err := f.users[m].ApproveRetention(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := must[string](t)(f.st.DataHash(ctx))
	r, err = owner.RunRetention(ctx, RetentionRun{DryRun: true})
	if err != nil || r.Due() != 3 || r.Erased != 0 {
		t.Fatalf("dry run: %+v %v", r, err)
	}
	if a := lastAuditOf(t, f.st, "retention.run"); !strings.Contains(a.Detail, "dry_run=true") {
		t.Fatalf("dry run's entry: %+v", a)
	}
	if after := must[string](t)(f.st.DataHash(ctx)); after != before {
		t.Fatal("a dry run changed data")
	}
	// A manager's run erases their shop's two only.
	r, err = f.users["mia"].RunRetention(ctx, RetentionRun{})
	if err != nil || r.Erased != 2 {
		t.Fatalf("manager's run: %+v %v", r, err)
	}
	if a := lastAuditOf(t, f.st, "retention.erase"); a.UserID != "system:retention" || !strings.Contains(a.Detail, "erased=2") {
		t.Fatalf("the erasure's entry: %+v", a)
	}
	r, err = owner.RunRetention(ctx, RetentionRun{})
	if err != nil || r.Erased != 1 {
		t.Fatalf("owner's run: %+v %v", r, err)
	}
	a := lastAuditOf(t, f.st, "retention.run")
	if a.UserID != "system:retention" || a.Outcome != "ok" || !strings.Contains(a.Detail, "by="+owner.User().ID) {
		t.Fatalf("the run's entry: %+v", a)
	}
	for name, gone := range map[string]bool{"idle north": true, "idle south": true, "deleted long ago": true, "recent buyer": false, "open job": false, "deleted recently": false} {
		var n int
		if err := f.st.db.QueryRow("SELECT count(*) FROM customers WHERE id = ?", ids[name]).Scan(&n); err != nil || (n == 0) != gone {
			t.Fatalf("%s: %d rows, erased %v (%v)", name, n, gone, err)
		}
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}

// TestRetentionRunExpiresReasons: a run expires break-glass reasons older than the policy's
// months (their keys), keeps younger ones, reports old audit entries without deleting any, and
// the chain verifies after; the daily run goes once a day.
func TestRetentionRunExpiresReasons(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	c := must[string](t)(f.users["sam"].CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Phone: "+1 415 555 0101"}))
	if _, err := f.users["sue"].Customer(ctx, c, "old reason"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(400 * day)
	passTraining(t, f.users["sue"]) // a year on, her security training is overdue (training.go)
	if _, err := f.users["sue"].Customer(ctx, c, "young reason"); err != nil {
		t.Fatal(err)
	}
	p := DefaultRetention
	p.InactiveYears, p.DeletedDays, p.ReasonMonths, p.AuditYears = 0, 0, 12, 1
	must[string](t)(owner.SetRetentionPolicy(ctx, p))
	must[[]RetentionRunRecord](t)(owner.RetentionRuns(ctx, 5))
	for _, m := range []string{"mia", "mo"} {
		if err := f.users[m].ApproveRetention(ctx); err != nil {
			t.Fatal(err)
		}
	}
	entries := must[[]string](t)(queryStrings(ctx, f.st.db, "SELECT seq FROM audit"))
	prev := must[*RetentionReport](t)(owner.RetentionPreview(ctx))
	if prev.Reasons != 1 || prev.AuditOld == 0 || prev.ReasonsHeld {
		t.Fatalf("preview: %+v", prev)
	}
	r, ran, err := owner.RunRetentionIfDue(ctx)
	if err != nil || !ran || r.ReasonsExpired != 1 {
		t.Fatalf("daily run: %+v %v %v", r, ran, err)
	}
	if _, ran, err := owner.RunRetentionIfDue(ctx); ran || err != nil {
		t.Fatalf("ran twice in a day: %v", err)
	}
	clk.Advance(25 * time.Hour)
	if _, ran, err := owner.RunRetentionIfDue(ctx); !ran || err != nil {
		t.Fatalf("not run the next day: %v", err)
	}
	if got := must[[]string](t)(queryStrings(ctx, f.st.db, "SELECT seq FROM audit")); len(got) < len(entries) || got[0] != entries[0] {
		t.Fatal("an audit entry was deleted")
	}
	var old, young AuditRecord
	for _, a := range must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "customer.read.break_glass"})) {
		if a.ReasonExpired {
			old = a
		} else {
			young = a
		}
	}
	if old.Seq == 0 || young.Reason != "young reason" {
		t.Fatalf("reasons after the run: old %+v young %+v", old, young)
	}
	if a := lastAuditOf(t, f.st, "retention.run"); !strings.Contains(a.Detail, "by=scheduled") || a.UserID != "system:retention" {
		t.Fatalf("the daily run's entry: %+v", a)
	}
	runs := must[[]RetentionRunRecord](t)(owner.RetentionRuns(ctx, 5))
	if len(runs) != 2 || !strings.Contains(runs[1].Detail, "reasons_expired=1") {
		t.Fatalf("runs: %+v", runs)
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}

// TestAssessmentsKeptThreeYears: the owner records assessments for a shop or all, a manager
// for their shop only; a manager lists theirs and the org-wide ones; deletion is refused before
// three years (longer when the policy says so) and allowed after.
func TestAssessmentsKeptThreeYears(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, mia := f.users["olga"], f.users["mia"]
	all := must[string](t)(owner.AddAssessment(ctx, AssessmentInput{Topic: "cross_border_transfer", Outcome: "proceed_with_measures", Measures: []string{"standard_contract_filed", "separate_consent"}}))
	north := must[string](t)(mia.AddAssessment(ctx, AssessmentInput{Topic: "sensitive_data", ShopID: f.north, Outcome: "proceed"}))
	must[string](t)(owner.AddAssessment(ctx, AssessmentInput{Topic: "automated_decision", ShopID: f.south, Outcome: "do_not_proceed"}))
	for name, tc := range map[string]struct {
		ss *Session
		in AssessmentInput
	}{
		"manager, every shop":    {mia, AssessmentInput{Topic: "other", Outcome: "proceed"}},
		"manager, other shop":    {mia, AssessmentInput{Topic: "other", ShopID: f.south, Outcome: "proceed"}},
		"salesperson":            {f.users["sam"], AssessmentInput{Topic: "other", ShopID: f.north, Outcome: "proceed"}},
		"unknown topic":          {owner, AssessmentInput{Topic: "vibes", Outcome: "proceed"}},
		"measures missing":       {owner, AssessmentInput{Topic: "other", Outcome: "proceed_with_measures"}},
		"unknown measure":        {owner, AssessmentInput{Topic: "other", Outcome: "proceed", Measures: []string{"hope"}}},
		"assessed in the future": {owner, AssessmentInput{Topic: "other", Outcome: "proceed", AssessedAt: clk.Now().Add(day)}},
	} {
		if _, err := tc.ss.AddAssessment(ctx, tc.in); err == nil {
			t.Errorf("%s: recorded", name)
		}
	}
	list := must[[]Assessment](t)(owner.Assessments(ctx))
	if len(list) != 3 || !list[0].ReviewDue.Equal(list[0].AssessedAt.AddDate(3, 0, 0)) {
		t.Fatalf("owner's list: %+v", list)
	}
	ml := must[[]Assessment](t)(mia.Assessments(ctx))
	if len(ml) != 2 || !slices.ContainsFunc(ml, func(a Assessment) bool { return a.ID == all }) {
		t.Fatalf("manager's list: %+v", ml)
	}
	if err := owner.DeleteAssessment(ctx, north); !errors.Is(err, ErrKeptAssessment) {
		t.Fatalf("a young assessment deleted: %v", err)
	}
	p := DefaultRetention
	p.AssessmentYears = 5
	must[string](t)(owner.SetRetentionPolicy(ctx, p))
	clk.Advance(3*365*day + 2*day)
	if err := owner.DeleteAssessment(ctx, north); !errors.Is(err, ErrKeptAssessment) {
		t.Fatalf("deleted before the policy's 5 years: %v", err)
	}
	clk.Advance(2 * 366 * day)
	if err := f.users["mo"].DeleteAssessment(ctx, north); !errors.Is(err, ErrForbidden) {
		t.Fatalf("another shop's manager deleted it: %v", err)
	}
	if err := mia.DeleteAssessment(ctx, north); err != nil {
		t.Fatal(err)
	}
	if len(must[[]Assessment](t)(owner.Assessments(ctx))) != 2 {
		t.Fatal("the deleted assessment is still listed")
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}
