package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/compliance/checkup"
	"spoke/protocol/auditrec"
)

// reviewScene is a chain 91 days on: dora (sales, North) signed in once and never again;
// dual (sales and mechanic, North) sold but never touched a job; lee (sales, North) has a
// leaving date that passed while the account stayed active; the others signed in again.
func reviewScene(t *testing.T) (*fixture, *testClock, map[string]string) {
	t.Helper()
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	ids := map[string]string{}
	for _, u := range []struct {
		name  string
		roles []Role
	}{{"dora", []Role{RoleSales}}, {"dual", []Role{RoleSales, RoleMechanic}}, {"lee", []Role{RoleSales}}} {
		ids[u.name] = must[string](t)(owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: u.roles, ShopID: f.north}))
		f.users[u.name] = signIn(t, f.st, u.name, staffPW)
	}
	for _, n := range []string{"olga", "mia", "mo", "sam", "sue", "stan"} {
		ids[n] = f.users[n].User().ID
	}
	clk.Advance(24 * time.Hour)
	must[string](t)(f.users["dual"].CreateCustomer(ctx, CustomerInput{Name: "Dana Dualcustomer"}))
	owner = signIn(t, f.st, "olga", "owner-password-1") // a leaving date asks for a fresh password
	if err := owner.SetLeaving(ctx, ids["lee"], clk.Now().Add(59*24*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * 24 * time.Hour)
	for _, n := range []string{"olga", "mia", "mo", "sam", "sue", "stan", "dual"} {
		pw := staffPW
		if n == "olga" {
			pw = "owner-password-1"
		}
		f.users[n] = signIn(t, f.st, n, pw)
	}
	return f, clk, ids
}

func accountByName(r *Review, name string) *ReviewAccount {
	for i := range r.Accounts {
		if r.Accounts[i].Username == name {
			return &r.Accounts[i]
		}
	}
	return nil
}

// TestPermissionReview: a review with a dormant account, an excess role and a leaver shows
// each flag; a manager sees their shop and proposes, and may not decide; the review completes
// only when every account is decided; decisions are recorded and audited; the overdue banner's
// status is on before and off after.
func TestPermissionReview(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := reviewScene(t)
	owner, mia := f.users["olga"], f.users["mia"]

	// The leaver's own device refuses them by itself.
	if _, err := f.st.SignIn(ctx, "lee", staffPW); !errors.Is(err, ErrLeft) {
		t.Fatalf("leaver signs in after the date: %v", err)
	}
	for name, ss := range map[string]*Session{"owner": owner, "manager": mia} {
		st, err := ss.ReviewStatus(ctx)
		if err != nil || !st.Overdue {
			t.Fatalf("%s: status before the review %+v %v", name, st, err)
		}
	}
	if _, err := f.users["sam"].ReviewStatus(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales reads review status: %v", err)
	}

	// The manager sees North's accounts only and proposes; she may not decide.
	pre, err := mia.Review(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range pre.Accounts {
		if a.ShopID != f.north {
			t.Fatalf("manager sees %s of another shop", a.Username)
		}
	}
	prop := must[string](t)(mia.ProposeStaffChange(ctx, ids["dora"], ProposeDeactivate, nil, time.Time{}))
	if _, err := mia.ProposeStaffChange(ctx, ids["stan"], ProposeDeactivate, nil, time.Time{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("manager proposes for another shop: %v", err)
	}
	if _, err := mia.ProposeStaffChange(ctx, ids["sam"], ProposeRoles, []Role{RoleOwner}, time.Time{}); err == nil {
		t.Fatal("manager proposes the owner role")
	}
	if _, err := mia.StartReview(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("manager starts a review: %v", err)
	}

	rid := must[string](t)(owner.StartReview(ctx))
	if again := must[string](t)(owner.StartReview(ctx)); again != rid {
		t.Fatal("a second start opened another review")
	}
	if err := mia.DecideAccount(ctx, ids["sam"], DecisionCertify, nil); !errors.Is(err, ErrForbidden) {
		t.Fatalf("manager decides: %v", err)
	}
	r := must[*Review](t)(owner.Review(ctx, ""))
	// Nobody in the scene took the security training: 91 days on, it is overdue for all.
	want := map[string][]string{
		"dora": {FlagDormant, FlagExcessRole + ":sales", FlagTraining},
		"dual": {FlagExcessRole + ":mechanic", FlagTraining},
		"lee":  {FlagDormant, FlagExcessRole + ":sales", FlagLeftActive, FlagTraining}, // refused since the date: dormant too
	}
	for name, flags := range want {
		a := accountByName(r, name)
		if a == nil {
			t.Fatalf("%s missing from the review", name)
		}
		if !slices.Equal(a.Flags, flags) {
			t.Errorf("%s: flags %v, want %v", name, a.Flags, flags)
		}
	}
	if a := accountByName(r, "dual"); a.RoleLastUsed[RoleSales].IsZero() || !a.RoleLastUsed[RoleMechanic].IsZero() {
		t.Errorf("dual's role use %v", a.RoleLastUsed)
	}
	if a := accountByName(r, "sue"); slices.Contains(a.Flags, FlagDormant) || a.LastSignIn.IsZero() {
		t.Errorf("sue signed in today: %+v", a)
	}
	if a := accountByName(r, "dora"); len(a.Proposals) != 1 || a.Proposals[0].ID != prop {
		t.Errorf("dora's proposals %+v", a.Proposals)
	}
	if len(r.Accounts) != 9 {
		t.Errorf("%d accounts in the review", len(r.Accounts))
	}

	// Decide: confirm the manager's proposal; change dual's roles; deactivate lee; certify
	// the rest. Completing early is refused and names who is left.
	if err := owner.DecideProposal(ctx, prop, true); err != nil {
		t.Fatal(err)
	}
	if err := owner.DecideProposal(ctx, prop, true); !errors.Is(err, ErrProposalDecided) {
		t.Fatalf("a proposal decided twice: %v", err)
	}
	if _, err := f.st.SignIn(ctx, "dora", staffPW); !errors.Is(err, ErrInactive) {
		t.Fatalf("dora after the confirmed proposal: %v", err)
	}
	must[error](t)(nil, owner.DecideAccount(ctx, ids["dora"], DecisionDeactivate, nil))
	must[error](t)(nil, owner.DecideAccount(ctx, ids["dual"], DecisionChange, []Role{RoleSales}))
	must[error](t)(nil, owner.DecideAccount(ctx, ids["lee"], DecisionDeactivate, nil))
	if _, err := owner.CompleteReview(ctx); err == nil {
		t.Fatal("completed with undecided accounts")
	} else if ie := (*ErrReviewIncomplete)(nil); !errors.As(err, &ie) || !slices.Contains(ie.Undecided, "sam") {
		t.Fatalf("incomplete: %v", err)
	}
	for _, n := range []string{"olga", "mia", "mo", "sam", "sue", "stan"} {
		must[error](t)(nil, owner.DecideAccount(ctx, ids[n], DecisionCertify, nil))
	}
	done := must[*Review](t)(owner.CompleteReview(ctx))
	if done.CompletedAt.IsZero() {
		t.Fatal("not completed")
	}
	if u := must[User](t)(owner.UserByName(ctx, "dual")); !slices.Equal(u.Roles, []Role{RoleSales}) {
		t.Fatalf("dual's roles %v", u.Roles)
	}
	for name, ss := range map[string]*Session{"owner": owner, "manager": mia} {
		st := must[ReviewStatus](t)(ss.ReviewStatus(ctx))
		if st.Overdue || st.OpenID != "" || !st.DueAt.Equal(clk.Now().AddDate(0, 0, DefaultReviewEveryDays)) {
			t.Fatalf("%s: status after %+v", name, st)
		}
	}
	// The completed review keeps its decisions: who, when, what.
	kept := must[*Review](t)(owner.Review(ctx, rid))
	if a := accountByName(kept, "dual"); a.Decision == nil || a.Decision.Decision != DecisionChange ||
		!slices.Equal(a.Decision.RolesBefore, []Role{RoleMechanic, RoleSales}) || a.Decision.DecidedBy != ids["olga"] ||
		!slices.Equal(a.Decision.Flags, []string{FlagExcessRole + ":mechanic", FlagTraining}) {
		t.Fatalf("dual's decision %+v", a.Decision)
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "review."}))
	count := map[string]int{}
	for _, e := range recs {
		if e.Outcome != "ok" {
			continue
		}
		count[e.Action]++
		if e.Action == "review.complete" && e.Detail != "accounts=9 certified=6 changed=1 deactivated=2" {
			t.Errorf("completion entry %q", e.Detail)
		}
	}
	if count["review.decide"] != 9 || count["review.complete"] != 1 || count["review.start"] != 2 {
		t.Errorf("review entries %v", count)
	}
}

// TestLeavingDateSigned: the leaving date is part of the signed staff record: cleared in the
// file, the record fails authentication; a session open when the date comes is refused from
// then on, with no sync and no owner device.
func TestLeavingDateSigned(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, sam := f.users["olga"], f.users["sam"]
	samID := sam.User().ID
	if err := owner.SetLeaving(ctx, samID, clk.Now().Add(48*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetLeaving(ctx, owner.User().ID, clk.Now().Add(48*time.Hour), false); err == nil {
		t.Fatal("the owner set their own leaving date")
	}
	if err := f.users["mia"].SetLeaving(ctx, samID, clk.Now().Add(48*time.Hour), false); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a manager set a leaving date in the signed record: %v", err)
	}
	sam = signIn(t, f.st, "sam", staffPW) // a session open before the date
	must[string](t)(sam.CreateCustomer(ctx, CustomerInput{Name: "Before Leaving"}))
	clk.Advance(49 * time.Hour)
	if _, err := sam.CreateCustomer(ctx, CustomerInput{Name: "After Leaving"}); !errors.Is(err, ErrLeft) {
		t.Fatalf("an open session after the leaving date: %v", err)
	}
	if err := sam.BuildIndex(ctx, nil); !errors.Is(err, ErrLeft) {
		t.Fatalf("a read after the leaving date: %v", err)
	}
	if _, err := f.st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrLeft) {
		t.Fatalf("sign-in after the leaving date: %v", err)
	}
	// Clearing the date in the file is tampering with a signed, MAC'd record.
	f.st.Close()
	db := rawDB(t, f.st.Dir())
	if _, err := db.Exec("UPDATE users SET leaves_at = 0 WHERE id = ?", samID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	opts := testOptions()
	opts.Now = clk.Now
	st, err := Open(ctx, f.st.Dir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrTampered) {
		t.Fatalf("leaving date cleared in the file: %v", err)
	}
	// Someone with the org key (a shop's counter) recomputes the MAC too: the owner device's
	// signature covers the leaving date, so the record is still refused, as unsigned.
	u, err := scanUser(st.db.QueryRow("SELECT "+userCols+" FROM users WHERE id = ?", samID))
	if err != nil {
		t.Fatal(err)
	}
	if u.mac, err = st.userMAC(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Exec("UPDATE users SET mac = ? WHERE id = ?", u.mac, samID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrUnsignedStaff) {
		t.Fatalf("leaving date cleared with a fresh MAC: %v", err)
	}
}

// TestReassignAndLeaverReport: a leaver's customers move to a colleague of the same shop in one
// audited step; the report lists what they read and deleted by id, never a value; who may do
// either is the owner or the shop's manager.
func TestReassignAndLeaverReport(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, mia, sam, sue := f.users["olga"], f.users["mia"], f.users["sam"], f.users["sue"]
	samID, sueID := sam.User().ID, sue.User().ID
	names := []string{"Zoe Leavercustomer", "Quinn Leavercustomer", "Yves Leavercustomer"} // no hex letters: ids cannot hold them
	var cs []string
	for _, n := range names {
		cs = append(cs, must[string](t)(sam.CreateCustomer(ctx, CustomerInput{Name: n, Email: strings.ToLower(strings.Fields(n)[0]) + "@example.com"})))
	}
	if err := owner.SetLeaving(ctx, samID, clk.Now().Add(14*24*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	for _, id := range cs[:2] {
		must[*CustomerCard](t)(sam.Customer(ctx, id, ""))
	}
	if err := mia.DeleteCustomer(ctx, cs[2]); err != nil {
		t.Fatal(err)
	}
	// The daily summary names sam with today's reads.
	ls := must[[]Leaver](t)(mia.Leavers(ctx))
	if len(ls) != 1 || ls[0].Username != "sam" || ls[0].Reads != 2 || ls[0].Proposed {
		t.Fatalf("leavers %+v", ls)
	}
	if _, err := f.users["mo"].LeaverReport(ctx, samID, 30); !errors.Is(err, ErrForbidden) {
		t.Fatalf("another shop's manager reads the report: %v", err)
	}
	if _, err := sue.Leavers(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales reads leavers: %v", err)
	}
	rep := must[*LeaverReport](t)(mia.LeaverReport(ctx, samID, 30))
	if !slices.Equal(rep.Read, sortedKeys(map[string]bool{cs[0]: true, cs[1]: true})) || rep.Customers != 2 || len(rep.Devices) != 1 || rep.SignIns < 1 {
		t.Fatalf("report %+v", rep)
	}
	miaRep := must[*LeaverReport](t)(mia.LeaverReport(ctx, mia.User().ID, 30))
	if !slices.Equal(miaRep.Deleted, []string{cs[2]}) {
		t.Fatalf("mia's deletions %v", miaRep.Deleted)
	}

	if _, err := sue.ReassignCustomers(ctx, samID, sueID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales reassigns: %v", err)
	}
	if _, err := mia.ReassignCustomers(ctx, samID, f.users["stan"].User().ID); err == nil {
		t.Fatal("reassigned to another shop's salesperson")
	}
	n := must[int](t)(mia.ReassignCustomers(ctx, samID, sueID))
	if n != 3 {
		t.Fatalf("moved %d customers, want 3 (the deleted one too)", n)
	}
	var left int
	f.st.db.QueryRow("SELECT COUNT(*) FROM customers WHERE owner_id = ?", samID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d customers still with the leaver", left)
	}
	for _, id := range cs[:2] {
		if c := must[*CustomerCard](t)(sue.Customer(ctx, id, "")); c.OwnerID != sueID {
			t.Fatalf("customer %s owner %s", id, c.OwnerID)
		}
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "customer.reassign"}))
	recs = slices.DeleteFunc(recs, func(e AuditRecord) bool { return e.Outcome != "ok" }) // sue's denial is there too
	if len(recs) != 1 || recs[0].Target != samID || recs[0].Detail != "to="+sueID+" customers=3" {
		t.Fatalf("reassign entries %+v", recs)
	}
	// The leaver's own entries are still there.
	if reads := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{UserID: samID, Action: "customer.read"})); len(reads) != 2 {
		t.Fatalf("%d of the leaver's reads left in the trail", len(reads))
	}
	// Nothing the report or the list returns holds a customer's value.
	for _, v := range []any{rep, ls, recs} {
		s := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(fmtAny(v), "\n", " "), "\t", " "))
		for _, n := range names {
			if strings.Contains(s, strings.ToLower(strings.Fields(n)[0])) {
				t.Fatalf("a customer's name in %s", s)
			}
		}
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSharedLookingAccount: sign-ins of one account on two devices within half an hour of
// each other, twice in the period, flag it as shared-looking; the other device's sign-ins
// come from its synced trail.
func TestSharedLookingAccount(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	samID := f.users["sam"].User().ID
	akey := must[[]byte](t)(f.st.orgDerived(ctx, purposeAudit))
	var prev []byte
	var remote []auditrec.Entry
	t0 := clk.Now()
	for i, at := range []time.Time{t0.Add(5 * time.Minute), t0.Add(2 * time.Hour)} {
		e := auditrec.Entry{Seq: int64(i + 1), At: at.UnixMilli(), User: samID, Device: "counter-2", Action: "auth.sign_in", Target: samID, Outcome: "ok",
			Role: "sales", Shop: f.north}
		e.MAC = auditMAC(akey, e.Seq, e.At, e.User, e.Device, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, e.Reason, prev, auditCtx{e.Role, e.Shop, e.Grant})
		prev = e.MAC
		remote = append(remote, e)
	}
	must[int](t)(f.st.applyRemoteAudit(ctx, "counter-2", remote))
	r := must[*Review](t)(owner.Review(ctx, ""))
	if a := accountByName(r, "sam"); slices.Contains(a.Flags, FlagShared) {
		t.Fatalf("one overlap flagged: %+v", a)
	}
	clk.Advance(2*time.Hour + 10*time.Minute) // a sign-in here 10 minutes after the counter's
	signIn(t, f.st, "sam", staffPW)
	r = must[*Review](t)(owner.Review(ctx, ""))
	a := accountByName(r, "sam")
	if !slices.Contains(a.Flags, FlagShared) || a.Devices != 2 {
		t.Fatalf("sam after two overlaps: %+v", a)
	}
	if a := accountByName(r, "sue"); slices.Contains(a.Flags, FlagShared) {
		t.Fatal("sue flagged")
	}
}

// TestCheckupPeopleFindings: the check-up reports the overdue review, an account active after
// its leaving date and an overdue training; the review's finding is gone once it completes.
func TestCheckupPeopleFindings(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := reviewScene(t)
	owner := f.users["olga"]
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	for _, key := range []string{"review_overdue:review", "account_left_active:" + ids["lee"], "training_overdue:" + ids["sam"]} {
		if r.Finding(key) == nil {
			t.Errorf("no finding %s: %v", key, findingKeys(r))
		}
	}
	if d := r.Finding("account_left_active:" + ids["lee"]).Detail(checkup.EN); !strings.Contains(d, "lee left on") {
		t.Errorf("detail %q", d)
	}
	must[string](t)(owner.StartReview(ctx))
	rv := must[*Review](t)(owner.Review(ctx, ""))
	for _, a := range rv.Accounts {
		if a.Active && a.Decision == nil {
			if err := owner.DecideAccount(ctx, a.UserID, DecisionCertify, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	must[*Review](t)(owner.CompleteReview(ctx))
	clk.Advance(time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if r.Finding("review_overdue:review") != nil || r.Finding("review_open:"+rv.ID) != nil {
		t.Errorf("review findings after the review: %v", findingKeys(r))
	}
}

// TestPeopleChangesNeedAFreshPassword: changing roles or deactivating in a review, confirming a
// proposal and setting a leaving date ask for the password again when it is older than
// ReauthAfter; certifying does not.
func TestPeopleChangesNeedAFreshPassword(t *testing.T) {
	ctx := context.Background()
	f, clk, ids := reviewScene(t)
	owner := f.users["olga"]
	must[string](t)(owner.StartReview(ctx))
	clk.Advance(ReauthAfter + time.Minute)
	if err := owner.DecideAccount(ctx, ids["sam"], DecisionCertify, nil); err != nil {
		t.Fatalf("certify with a stale password: %v", err)
	}
	for name, call := range map[string]func() error{
		"change":     func() error { return owner.DecideAccount(ctx, ids["dual"], DecisionChange, []Role{RoleSales}) },
		"deactivate": func() error { return owner.DecideAccount(ctx, ids["dora"], DecisionDeactivate, nil) },
		"leaving":    func() error { return owner.SetLeaving(ctx, ids["sue"], clk.Now().Add(48*time.Hour), false) },
	} {
		if err := call(); !errors.Is(err, ErrReauthRequired) {
			t.Errorf("%s with a stale password: %v", name, err)
		}
	}
	if err := owner.Reauthenticate(ctx, "owner-password-1"); err != nil {
		t.Fatal(err)
	}
	if err := owner.DecideAccount(ctx, ids["dual"], DecisionChange, []Role{RoleSales}); err != nil {
		t.Fatalf("after reauthenticating: %v", err)
	}
}
