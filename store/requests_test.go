package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"spoke/compliance/deadline"
	"spoke/crypto/lthash"
)

// reqClock is a settable wall clock for the store.
type reqClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *reqClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *reqClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// clockStore creates a one-shop database in region whose clock starts at start; its owner is
// signed in.
func clockStore(t *testing.T, region string, start time.Time) (*Store, *Session, *reqClock) {
	t.Helper()
	clk := &reqClock{t: start}
	o := testOptions()
	o.Now = clk.Now
	st, _, err := Create(context.Background(), t.TempDir(), CreateOptions{
		ShopName: "North", Region: region, Currency: "EUR", OwnerUsername: "olga", OwnerName: "Olga Owner", OwnerPassword: "owner-password-1",
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, signIn(t, st, "olga", "owner-password-1"), clk
}

func date(t *testing.T, s string) deadline.Date {
	t.Helper()
	d, err := deadline.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func requestByID(t *testing.T, ss *Session, id string) PrivacyRequest {
	t.Helper()
	rs, err := ss.Requests(context.Background(), RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("request %s not listed", id)
	return PrivacyRequest{}
}

// fieldOf names the field a validation error is about ("" when it is none).
func fieldOf(err error) string {
	var ve *ValidationError
	var fe *FieldError
	switch {
	case errors.As(err, &ve):
		return ve.Fields[0].Field
	case errors.As(err, &fe):
		return fe.Field
	}
	return ""
}

// TestRequestAccess: the desk is the owner's (every shop) and each manager's (their shop);
// sales, mechanics, marketing, auditors and the other shop's manager are refused every step,
// nothing is written, and each refusal is audited as denied with the request as target.
func TestRequestAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.users["olga"]
	northReq := must[string](t)(owner.NewRequest(ctx, RequestInput{ShopID: f.north, SubjectID: f.cSue, Type: "access", Channel: "email"}))
	southReq := must[string](t)(owner.NewRequest(ctx, RequestInput{ShopID: f.south, Type: "erasure", Channel: "counter"}))
	allowed := map[string]bool{"olga": true, "mia": true}
	for _, user := range []string{"olga", "mia", "mo", "sam", "sue", "stan", "mike", "mark", "aud"} {
		ss := f.users[user]
		northReq := must[string](t)(owner.NewRequest(ctx, RequestInput{ShopID: f.north, Type: "access", Channel: "email"}))
		want := "forbidden"
		if allowed[user] {
			want = "ok"
		}
		steps := []struct {
			name string
			do   func() error
			any  bool // not about North: South's manager may too
		}{
			{"request.new", func() error {
				_, err := ss.NewRequest(ctx, RequestInput{ShopID: f.north, Type: "objection", Channel: "phone"})
				return err
			}, false},
			{"request.confirm", func() error { return ss.ConfirmReceipt(ctx, northReq) }, false},
			{"request.verify", func() error { return ss.VerifyIdentity(ctx, northReq, "email_match") }, false},
			{"holiday.add", func() error {
				_, err := ss.AddHoliday(ctx, f.north, date(t, "2030-07-04"), "Independence Day")
				return err
			}, false},
			{"holiday.remove", func() error { return ss.RemoveHoliday(ctx, f.north, date(t, "2030-07-04")) }, false},
			{"holiday.list", func() error { _, err := ss.Holidays(ctx, f.north); return err }, false},
			{"request.summary", func() error { _, err := ss.OverdueSummary(ctx); return err }, true},
		}
		for _, s := range steps {
			t.Run(user+"/"+s.name, func(t *testing.T) {
				before := must[string](t)(f.st.DataHash(ctx))
				err := s.do()
				want := want
				if s.any && user == "mo" {
					want = "ok"
				}
				if got := outcome(err); got != want {
					t.Fatalf("%s: %s, want %s", s.name, got, want)
				}
				if want == "forbidden" {
					if after := must[string](t)(f.st.DataHash(ctx)); after != before {
						t.Fatal("a refused step changed data")
					}
					if e := lastAudit(t, f, user, s.name); e.Outcome != "denied" {
						t.Fatalf("the refusal was audited as %q", e.Outcome)
					} else if (s.name == "request.confirm" || s.name == "request.verify") && e.Target != northReq {
						t.Fatalf("denied entry's target %q", e.Target)
					}
				}
			})
		}
		t.Run(user+"/list", func(t *testing.T) {
			rs, err := ss.Requests(ctx, RequestFilter{})
			if !allowed[user] && user != "mo" {
				if !errors.Is(err, ErrForbidden) {
					t.Fatalf("listed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			switch user {
			case "olga":
				if !slices.Contains(ids, northReq) || !slices.Contains(ids, southReq) {
					t.Fatalf("the owner sees %v", ids)
				}
			case "mia":
				if !slices.Contains(ids, northReq) || slices.Contains(ids, southReq) {
					t.Fatalf("North's manager sees %v", ids)
				}
			case "mo":
				if slices.Contains(ids, northReq) || !slices.Contains(ids, southReq) {
					t.Fatalf("South's manager sees %v", ids)
				}
			}
		})
	}
	// South's manager may answer South's requests, not North's: extend and close included.
	mo := f.users["mo"]
	if err := mo.ExtendRequest(ctx, northReq, deadline.DateOf(time.Now(), time.Local)); !errors.Is(err, ErrForbidden) {
		t.Fatalf("another shop's manager extended: %v", err)
	}
	if err := mo.CloseRequest(ctx, northReq, "withdrawn", ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("another shop's manager closed: %v", err)
	}
	if err := f.users["sam"].CloseRequest(ctx, northReq, "withdrawn", ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales closed: %v", err)
	}
	if err := f.users["sam"].DeleteRequest(ctx, northReq); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales deleted: %v", err)
	}
	if err := mo.VerifyIdentity(ctx, southReq, "id_document_seen"); err != nil {
		t.Fatalf("South's manager on South's request: %v", err)
	}
	if e := lastAudit(t, f, "mo", "request.verify"); e.Target != southReq || e.Detail == "" || !strings.Contains(e.Detail, "method=id_document_seen") {
		t.Fatalf("audit entry %+v", e)
	}
	// A request for a South customer in North is refused like an unknown id.
	if _, err := owner.NewRequest(ctx, RequestInput{ShopID: f.north, SubjectID: f.cStan, Type: "access", Channel: "email"}); fieldOf(err) != "subject" {
		t.Fatalf("another shop's customer as subject: %v", err)
	}
}

// TestRequestTransitions walks a request through every step and tries each step where it does
// not belong.
func TestRequestTransitions(t *testing.T) {
	ctx := context.Background()
	_, owner := clockStoreNow(t, "US")
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	newReq := func(typ string) string {
		return must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: cust, Type: typ, Channel: "web_form"}))
	}
	type step struct {
		do     func(id string) error
		status string // after the step; "" when it must fail
		field  string // the failing step's field, or
		target error  // its sentinel
	}
	confirm := func(id string) error { return owner.ConfirmReceipt(ctx, id) }
	verify := func(m string) func(string) error {
		return func(id string) error { return owner.VerifyIdentity(ctx, id, m) }
	}
	extend := func(id string) error { return owner.ExtendRequest(ctx, id, deadline.DateOf(time.Now(), time.Local)) }
	closeAs := func(o, r string) func(string) error {
		return func(id string) error { return owner.CloseRequest(ctx, id, o, r) }
	}
	cases := []struct {
		name  string
		typ   string
		steps []step
	}{
		{"the whole way", "access", []step{
			{do: confirm, status: "verifying"}, {do: verify("email_match"), status: "in_progress"},
			{do: extend, status: "extended"}, {do: closeAs("fulfilled", ""), status: "completed"}}},
		{"verify first, then confirm", "erasure", []step{
			{do: verify("phone_match"), status: "in_progress"}, {do: confirm, status: "in_progress"},
			{do: closeAs("partially_fulfilled", "legal_obligation_to_retain"), status: "completed"}}},
		{"extend before verifying", "portability", []step{
			{do: extend, status: "extended"}, {do: verify("account_signin"), status: "extended"},
			{do: extend, target: deadline.ErrAlreadyExtended}, {do: closeAs("fulfilled", ""), status: "completed"}}},
		{"twice is refused", "rectification", []step{
			{do: confirm, status: "verifying"}, {do: confirm, field: "confirmed"},
			{do: verify("known_in_person"), status: "in_progress"}, {do: verify("other"), field: "verified"}}},
		{"a method off the list", "access", []step{{do: verify("looked trustworthy"), field: "method"}}},
		{"no answer before verifying", "access", []step{
			{do: closeAs("fulfilled", ""), field: "verified"}, {do: closeAs("partially_fulfilled", "excessive"), field: "verified"}}},
		{"a refusal needs a reason", "objection", []step{
			{do: closeAs("refused", ""), field: "reason"}, {do: closeAs("refused", "because"), field: "reason"},
			{do: closeAs("refused", "manifestly_unfounded"), status: "refused"}}},
		{"not verified is a reason only before verifying", "restriction", []step{
			{do: verify("email_match"), status: "in_progress"}, {do: closeAs("refused", "identity_not_verified"), field: "reason"},
			{do: closeAs("refused", "excessive"), status: "refused"}}},
		{"refused as not verified", "access", []step{{do: closeAs("refused", "identity_not_verified"), status: "refused"}}},
		{"a fulfilled answer takes no reason", "access", []step{
			{do: verify("email_match"), status: "in_progress"}, {do: closeAs("fulfilled", "other"), field: "reason"}}},
		{"an outcome off the list", "access", []step{{do: closeAs("ignored", ""), field: "outcome"}}},
		{"withdrawn", "erasure", []step{{do: closeAs("withdrawn", ""), status: "withdrawn"}}},
		{"an opt-out needs no verification and no extension", "ccpa_opt_out_sale", []step{
			{do: extend, target: deadline.ErrNoExtension}, {do: closeAs("fulfilled", ""), status: "completed"}}},
		{"a limit request likewise", "ccpa_limit_sensitive", []step{{do: closeAs("fulfilled", ""), status: "completed"}}},
		{"closed is closed", "access", []step{
			{do: closeAs("withdrawn", ""), status: "withdrawn"}, {do: confirm, target: ErrRequestClosed},
			{do: verify("email_match"), target: ErrRequestClosed}, {do: extend, target: ErrRequestClosed},
			{do: closeAs("refused", "excessive"), target: ErrRequestClosed}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := newReq(c.typ)
			if r := requestByID(t, owner, id); r.Status != "received" || !r.Open || r.SubjectID != cust || r.Jurisdiction != "ccpa" {
				t.Fatalf("new request %+v", r)
			}
			for i, s := range c.steps {
				before := requestByID(t, owner, id)
				err := s.do(id)
				after := requestByID(t, owner, id)
				if s.status != "" {
					if err != nil || after.Status != s.status {
						t.Fatalf("step %d: %v, status %s, want %s", i, err, after.Status, s.status)
					}
					continue
				}
				if err == nil || s.field != "" && fieldOf(err) != s.field || s.target != nil && !errors.Is(err, s.target) {
					t.Fatalf("step %d: %v, want field %q / %v", i, err, s.field, s.target)
				}
				if after.Status != before.Status || after.DueAt != before.DueAt || (after.ClosedAt == nil) != (before.ClosedAt == nil) {
					t.Fatalf("step %d: a refused step changed the request", i)
				}
			}
		})
	}
	// Every step is in the trail under the request's id with codes only.
	id := newReq("access")
	if err := owner.VerifyIdentity(ctx, id, "id_document_seen"); err != nil {
		t.Fatal(err)
	}
	if err := owner.CloseRequest(ctx, id, "refused", "excessive"); err != nil {
		t.Fatal(err)
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "request.", Limit: 3}))
	if len(recs) != 3 || recs[0].Action != "request.close" || recs[1].Action != "request.verify" || recs[2].Action != "request.new" {
		t.Fatalf("trail %+v", recs)
	}
	for _, r := range recs {
		if r.Target != id {
			t.Fatalf("%s names %s", r.Action, r.Target)
		}
	}
	if !strings.Contains(recs[0].Detail, "outcome=refused reason=excessive status=refused") || !strings.Contains(recs[2].Detail, "type=access channel=web_form jurisdiction=ccpa") {
		t.Fatalf("details %q / %q", recs[0].Detail, recs[2].Detail)
	}
	if r := requestByID(t, owner, id); r.VerifiedBy != owner.User().ID || r.VerifyMethod != "id_document_seen" || r.RefusalReason != "excessive" || r.Outcome != "refused" {
		t.Fatalf("closed request %+v", r)
	}
}

// clockStoreNow is clockStore on the real clock.
func clockStoreNow(t *testing.T, region string) (*Store, *Session) {
	st, ss, _ := clockStore(t, region, time.Now())
	return st, ss
}

// TestRequestInput: what a new request may name.
func TestRequestInput(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	_, owner, _ := clockStore(t, "DE", time.Date(2026, 3, 10, 12, 0, 0, 0, berlin))
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	for _, c := range []struct {
		name  string
		in    RequestInput
		field string
		is    error
	}{
		{"no type", RequestInput{Channel: "email"}, "type", nil},
		{"a type off the list", RequestInput{Type: "forget_me", Channel: "email"}, "type", nil},
		{"a channel off the list", RequestInput{Type: "access", Channel: "pigeon"}, "channel", nil},
		{"a subject that is no id", RequestInput{Type: "access", Channel: "email", SubjectID: "Ada Lovelace"}, "subject", nil},
		{"an unknown subject", RequestInput{Type: "access", Channel: "email", SubjectID: "01234567-89ab-7def-8123-456789abcdef"}, "subject", nil},
		{"received tomorrow", RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-03-11")}, "received", nil},
		{"received 25 months ago", RequestInput{Type: "access", Channel: "email", Received: date(t, "2024-02-09")}, "received", nil},
		{"a CCPA right in Germany", RequestInput{Type: "ccpa_opt_out_sale", Channel: "email"}, "", deadline.ErrNotInJurisdiction},
		{"another shop", RequestInput{Type: "access", Channel: "email", ShopID: "01234567-89ab-7def-8123-456789abcdef"}, "shop", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := owner.NewRequest(ctx, c.in)
			if err == nil || c.field != "" && fieldOf(err) != c.field || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want field %q / %v", err, c.field, c.is)
			}
			if strings.Contains(err.Error(), "Ada") || strings.Contains(err.Error(), "pigeon") {
				t.Fatalf("the error repeats the value: %v", err)
			}
		})
	}
	// Received on 31 January, recorded on 10 March: due 28 February, so overdue already.
	id := must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: cust, Type: "access", Channel: "post", Received: date(t, "2026-01-31")}))
	r := requestByID(t, owner, id)
	if r.Received != "2026-01-31" || r.Due != "2026-02-28" || r.Jurisdiction != "gdpr" || !r.Overdue || r.DaysLeft != -10 || !r.CanExtend {
		t.Fatalf("back-dated request %+v", r)
	}
	if !r.DueAt.Equal(time.Date(2026, 2, 28, 23, 59, 59, 999e6, berlin)) {
		t.Fatalf("due at %s", r.DueAt)
	}
	// Today: due in a month, no duty to confirm under GDPR.
	id = must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "portability", Channel: "counter"}))
	if r := requestByID(t, owner, id); r.Received != "2026-03-10" || r.Due != "2026-04-10" || r.ConfirmDue != "" || r.Overdue || r.DueSoon || r.DaysLeft != 31 || !r.CanExtend || r.SubjectID != "" {
		t.Fatalf("today's request %+v", r)
	}
}

// TestRequestExtensionRule plays the extension rule through the store with the shop's clock:
// a notice within the first month extends by two months, once; one given after it, or dated
// in the future, is refused; an opt-out has no extension.
func TestRequestExtensionRule(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	_, owner, clk := clockStore(t, "DE", time.Date(2026, 2, 1, 9, 0, 0, 0, berlin))
	inTime := must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-01-31")}))
	late := must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "erasure", Channel: "email", Received: date(t, "2026-01-31")}))
	clk.set(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	if err := owner.ExtendRequest(ctx, inTime, date(t, "2026-03-03")); fieldOf(err) != "notice" {
		t.Fatalf("a notice dated tomorrow: %v", err)
	}
	if err := owner.ExtendRequest(ctx, late, date(t, "2026-03-01")); !errors.Is(err, deadline.ErrNoticeLate) {
		t.Fatalf("a notice after the first month: %v", err)
	}
	if err := owner.ExtendRequest(ctx, inTime, date(t, "2026-01-30")); !errors.Is(err, deadline.ErrNoticeEarly) {
		t.Fatalf("a notice before receipt: %v", err)
	}
	// Recorded late (the notice was sent on 28 February, the last day): allowed.
	if err := owner.ExtendRequest(ctx, inTime, date(t, "2026-02-28")); err != nil {
		t.Fatal(err)
	}
	r := requestByID(t, owner, inTime)
	if r.Status != "extended" || r.Due != "2026-04-28" || r.Overdue || r.CanExtend || r.ExtensionNoticeAt == nil ||
		deadline.DateOf(*r.ExtensionNoticeAt, berlin).String() != "2026-02-28" || r.ExtendedAt == nil {
		t.Fatalf("extended request %+v", r)
	}
	if err := owner.ExtendRequest(ctx, inTime, date(t, "2026-02-28")); !errors.Is(err, deadline.ErrAlreadyExtended) {
		t.Fatalf("a second extension: %v", err)
	}
	if r := requestByID(t, owner, late); r.Status != "received" || r.Due != "2026-02-28" || !r.Overdue {
		t.Fatalf("the refused one %+v", r)
	}
	if e := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "request.extend", Limit: 1})); len(e) != 1 || e[0].Target != inTime || !strings.Contains(e[0].Detail, "due=2026-04-28") {
		t.Fatalf("trail %+v", e)
	}
}

// TestRequestCCPAClocks: a US shop's request counts business days over its holidays for the
// confirmation, 45 calendar days for the answer; an opt-out 15 business days; a holiday added
// later does not move a deadline already recorded.
func TestRequestCCPAClocks(t *testing.T) {
	ctx := context.Background()
	la, _ := time.LoadLocation("America/Los_Angeles")
	_, owner, clk := clockStore(t, "US", time.Date(2026, 3, 2, 11, 0, 0, 0, la))
	if _, err := owner.AddHoliday(ctx, "", date(t, "2026-03-09"), "Staff day"); err != nil {
		t.Fatal(err)
	}
	know := must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "web_form"}))
	opt := must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "ccpa_opt_out_sale", Channel: "web_form"}))
	if _, err := owner.AddHoliday(ctx, "", date(t, "2026-03-10"), "Added later"); err != nil {
		t.Fatal(err)
	}
	r := requestByID(t, owner, know)
	if r.ConfirmDue != "2026-03-17" || r.Due != "2026-04-16" || r.Next != "confirm" || r.DaysLeft != 15 || !r.CanExtend {
		t.Fatalf("right to know %+v", r)
	}
	if o := requestByID(t, owner, opt); o.ConfirmDue != "" || o.Due != "2026-03-24" || o.Next != "answer" || o.CanExtend {
		t.Fatalf("opt-out %+v", o)
	}
	// The day after the confirmation was due: overdue, though the answer is not.
	clk.set(time.Date(2026, 3, 18, 0, 30, 0, 0, la))
	if r := requestByID(t, owner, know); !r.Overdue || r.Next != "confirm" || r.DaysLeft != -1 {
		t.Fatalf("unconfirmed %+v", r)
	}
	if err := owner.ConfirmReceipt(ctx, know); err != nil {
		t.Fatal(err)
	}
	if r := requestByID(t, owner, know); r.Overdue || r.Next != "answer" || r.DaysLeft != 29 {
		t.Fatalf("confirmed late %+v", r)
	}
	if e := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "request.confirm", Limit: 1})); len(e) != 1 || !strings.Contains(e[0].Detail, "late=true") {
		t.Fatalf("trail %+v", e)
	}
	// Extended on day 45 (16 April, the notice sent that day): due 31 May.
	clk.set(time.Date(2026, 4, 16, 17, 0, 0, 0, la))
	if err := owner.ExtendRequest(ctx, know, date(t, "2026-04-16")); err != nil {
		t.Fatal(err)
	}
	if r := requestByID(t, owner, know); r.Due != "2026-05-31" || r.Status != "extended" {
		t.Fatalf("extended %+v", r)
	}
}

// TestOverdueSummary counts what the banner shows, per user: overdue, due within three days.
func TestOverdueSummary(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	st, owner, clk := clockStore(t, "DE", time.Date(2026, 3, 10, 12, 0, 0, 0, berlin))
	shop := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "mia", Password: staffPW, Roles: []Role{RoleManager}, ShopID: shop}))
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shop}))
	mia, sam := signIn(t, st, "mia", staffPW), signIn(t, st, "sam", staffPW)
	if s := must[RequestSummary](t)(owner.OverdueSummary(ctx)); s != (RequestSummary{}) {
		t.Fatalf("empty desk %+v", s)
	}
	must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-02-01")}))         // due 1 March: overdue
	must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-02-12")}))         // due 12 March: in 2 days
	must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-02-13")}))         // due 13 March: in 3 days
	must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-02-14")}))         // in 4: neither
	done := must[string](t)(owner.NewRequest(ctx, RequestInput{Type: "access", Channel: "email", Received: date(t, "2026-02-02")})) // overdue, then closed
	if err := owner.CloseRequest(ctx, done, "withdrawn", ""); err != nil {
		t.Fatal(err)
	}
	want := RequestSummary{Open: 4, Overdue: 1, DueSoon: 2}
	for _, ss := range []*Session{owner, mia} {
		if s := must[RequestSummary](t)(ss.OverdueSummary(ctx)); s != want {
			t.Fatalf("%s: %+v, want %+v", ss.User().Username, s, want)
		}
	}
	if _, err := sam.OverdueSummary(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sales: %v", err)
	}
	// A week later everything open is overdue; --overdue lists those.
	clk.set(time.Date(2026, 3, 17, 12, 0, 0, 0, berlin))
	if s := must[RequestSummary](t)(owner.OverdueSummary(ctx)); s != (RequestSummary{Open: 4, Overdue: 4}) {
		t.Fatalf("a week later %+v", s)
	}
	rs := must[[]PrivacyRequest](t)(owner.Requests(ctx, RequestFilter{OverdueOnly: true}))
	if len(rs) != 4 || rs[0].Received != "2026-02-01" {
		t.Fatalf("overdue list %d, first %+v", len(rs), rs[0])
	}
	all := must[[]PrivacyRequest](t)(owner.Requests(ctx, RequestFilter{}))
	if len(all) != 5 || all[4].ID != done {
		t.Fatalf("the closed one is not last: %d", len(all))
	}
}

// TestRequestKeptTwoYears: a closed request is kept 24 months (CCPA §7101): deleting it sooner
// is refused, by the store and, for a row edited past it, by the table's CHECK; afterwards it
// goes, its subject id with it.
func TestRequestKeptTwoYears(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	st, owner, clk := clockStore(t, "DE", time.Date(2026, 3, 10, 12, 0, 0, 0, berlin))
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	id := must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: cust, Type: "erasure", Channel: "email"}))
	if err := owner.DeleteRequest(ctx, id); fieldOf(err) != "status" {
		t.Fatalf("an open request deleted: %v", err)
	}
	if err := owner.VerifyIdentity(ctx, id, "email_match"); err != nil {
		t.Fatal(err)
	}
	if err := owner.CloseRequest(ctx, id, "fulfilled", ""); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{
		time.Date(2026, 3, 10, 13, 0, 0, 0, berlin),
		time.Date(2028, 3, 9, 23, 0, 0, 0, berlin), // a day short of 24 months
	} {
		clk.set(at)
		if err := owner.DeleteRequest(ctx, id); !errors.Is(err, ErrRequestKept) {
			t.Fatalf("deleted at %s: %v", at, err)
		}
	}
	// The table holds the line too: a tombstone written under it is refused by the file.
	if _, err := st.db.Exec("UPDATE privacy_requests SET deleted_at = closed_at + 1000 WHERE id = ?", id); err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Fatalf("the CHECK let an early deletion through: %v", err)
	}
	clk.set(time.Date(2028, 3, 10, 13, 0, 0, 0, berlin))
	if err := owner.DeleteRequest(ctx, id); err != nil {
		t.Fatal(err)
	}
	if rs := must[[]PrivacyRequest](t)(owner.Requests(ctx, RequestFilter{})); len(rs) != 0 {
		t.Fatalf("still listed: %+v", rs)
	}
	var subject any
	if err := st.db.QueryRow("SELECT subject_id FROM privacy_requests WHERE id = ?", id).Scan(&subject); err != nil || subject != nil {
		t.Fatalf("the tombstone keeps its subject: %v %v", subject, err)
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// TestRequestOutlivesItsSubject: the request names its subject by id alone, no foreign key, so
// the customer's erasure (which removes what the id pointed at) leaves the request row as it
// is, for the 24 months it is kept.
func TestRequestOutlivesItsSubject(t *testing.T) {
	ctx := context.Background()
	st, owner := clockStoreNow(t, "DE")
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	id := must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: cust, Type: "erasure", Channel: "email"}))
	refs := must[[]string](t)(queryStrings(ctx, st.db, "SELECT \"from\" FROM pragma_foreign_key_list('privacy_requests')"))
	if slices.Contains(refs, "subject_id") {
		t.Fatalf("subject_id references a table: %v", refs)
	}
	// What an erasure leaves (the customer row gone): the request reads as before.
	if _, err := st.db.Exec("DELETE FROM customers WHERE id = ?", cust); err != nil {
		t.Fatal(err)
	}
	if r := requestByID(t, owner, id); r.SubjectID != cust || r.Type != "erasure" {
		t.Fatalf("after the subject went: %+v", r)
	}
}

// TestHolidays: a shop's calendar, one row per day.
func TestHolidays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mia, mo := f.users["mia"], f.users["mo"]
	xmas := date(t, "2030-12-25")
	id := must[string](t)(mia.AddHoliday(ctx, "", xmas, "  Christmas Day "))
	if _, err := mia.AddHoliday(ctx, f.north, xmas, "Again"); fieldOf(err) != "day" {
		t.Fatalf("the same day twice: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("x", 81), "two\nlines"} {
		if _, err := mia.AddHoliday(ctx, "", date(t, "2030-12-26"), bad); fieldOf(err) != "label" {
			t.Fatalf("label %q: %v", bad, err)
		}
	}
	if _, err := mia.AddHoliday(ctx, "", deadline.Date{}, "No day"); fieldOf(err) != "day" {
		t.Fatalf("no day: %v", err)
	}
	if _, err := mo.AddHoliday(ctx, f.north, date(t, "2030-12-26"), "Boxing Day"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("South's manager on North's calendar: %v", err)
	}
	hs := must[[]Holiday](t)(mia.Holidays(ctx, ""))
	if len(hs) != 1 || hs[0].Day != "2030-12-25" || hs[0].Label != "Christmas Day" || hs[0].ID != id || hs[0].ShopID != f.north {
		t.Fatalf("holidays %+v", hs)
	}
	if hs := must[[]Holiday](t)(mo.Holidays(ctx, "")); len(hs) != 0 {
		t.Fatalf("South's calendar %+v", hs)
	}
	if err := mia.RemoveHoliday(ctx, "", date(t, "2030-12-24")); fieldOf(err) != "day" {
		t.Fatalf("removing a day that is none: %v", err)
	}
	if err := mia.RemoveHoliday(ctx, "", xmas); err != nil {
		t.Fatal(err)
	}
	if hs := must[[]Holiday](t)(mia.Holidays(ctx, "")); len(hs) != 0 {
		t.Fatalf("after removing %+v", hs)
	}
	// Added again: the same row comes back.
	if again := must[string](t)(mia.AddHoliday(ctx, "", xmas, "Christmas")); again != id {
		t.Fatalf("a new row %s for a day removed before", again)
	}
	if _, err := f.users["olga"].Holidays(ctx, ""); fieldOf(err) != "shop" {
		t.Fatalf("the owner of two shops must choose: %v", err)
	}
}

// TestRemoteRequestsStayInTheirShop: requests and holidays travel to the shop's other devices,
// with their deadlines as recorded; a device of another shop cannot write, move or plant one
// in this shop, nor send a code off the lists or an early deletion.
func TestRemoteRequestsStayInTheirShop(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	if ks, err := owner.ExportScopeKeys(ctx, []string{south}); err != nil || B.st.Replica().ImportScopeKeys(ctx, ks) != nil {
		t.Fatal("share the South key", err)
	}
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada North", ShopID: north}))
	req := must[string](t)(owner.NewRequest(ctx, RequestInput{ShopID: north, SubjectID: cust, Type: "erasure", Channel: "email"}))
	southReq := must[string](t)(owner.NewRequest(ctx, RequestInput{ShopID: south, Type: "access", Channel: "email"}))
	hol := must[string](t)(owner.AddHoliday(ctx, north, date(t, "2030-11-26"), "Thanksgiving"))
	exchange(t, A, B)
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	want, got := requestByID(t, owner, req), requestByID(t, ownerB, req)
	if got.Due != want.Due || got.ConfirmDue != want.ConfirmDue || got.SubjectID != cust || got.Status != "received" {
		t.Fatalf("on the other device %+v, here %+v", got, want)
	}
	if hs := must[[]Holiday](t)(ownerB.Holidays(ctx, north)); len(hs) != 1 || hs[0].ID != hol {
		t.Fatalf("holidays there %+v", hs)
	}
	exchange(t, B, A)
	before := must[string](t)(B.st.DataHash(ctx))
	// Clocks ahead of every write here (within the skew allowed): each record would win its merge.
	hlc := uint64(time.Now().Add(time.Second).UnixMilli()) << 16
	rec := func(scope, table, row, col string, v any) ChangeRecord {
		return ChangeRecord{HLC: hlc, Device: "evil-south", Scope: scope, Table: table, RowID: row, Column: col, Value: v}
	}
	newRow := func(scope, row, shop, typ string) []ChangeRecord {
		vals := map[string]any{"shop_id": shop, "subject_id": nil, "type": typ, "channel": "email", "received_at": int64(1), "jurisdiction": "ccpa",
			"confirm_due_at": int64(0), "due_at": int64(2), "status": "received", "verify_method": "", "verified_by": nil, "verified_at": int64(0),
			"extended_at": int64(0), "extension_notice_at": int64(0), "confirmed_at": int64(0), "closed_at": int64(0), "outcome": "",
			"refusal_reason": "", "created_by": owner.User().ID, "created_at": int64(1), "deleted_at": int64(0)}
		var out []ChangeRecord
		for _, c := range syncColumns["privacy_requests"] {
			out = append(out, rec(scope, "privacy_requests", row, c, vals[c]))
		}
		return out
	}
	cases := []struct {
		name string
		recs []ChangeRecord
	}{
		{"close a North request", []ChangeRecord{rec(south, "privacy_requests", req, "status", "completed"), rec(south, "privacy_requests", req, "closed_at", int64(5))}},
		{"move a North request to South", []ChangeRecord{rec(south, "privacy_requests", req, "shop_id", south)}},
		{"plant a request in North", newRow(south, "01234567-89ab-7def-8123-456789abcde0", north, "access")},
		{"plant a North holiday", []ChangeRecord{
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde1", "shop_id", north), rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde1", "day", "2030-12-31"),
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde1", "label", "x"), rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde1", "created_at", int64(1)),
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde1", "deleted_at", int64(0))}},
		{"remove a North holiday", []ChangeRecord{rec(south, "shop_holidays", hol, "deleted_at", int64(5))}},
		{"a South request of a type off the list", newRow(south, "01234567-89ab-7def-8123-456789abcde2", south, "forget_everything")},
		{"a South request's status off the list", []ChangeRecord{rec(south, "privacy_requests", southReq, "status", "ignored")}},
		{"a South request deleted the day it came", []ChangeRecord{rec(south, "privacy_requests", southReq, "deleted_at", int64(5))}},
		{"a South holiday on no date", []ChangeRecord{
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde3", "shop_id", south), rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde3", "day", "soon"),
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde3", "label", "x"), rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde3", "created_at", int64(1)),
			rec(south, "shop_holidays", "01234567-89ab-7def-8123-456789abcde3", "deleted_at", int64(0))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := B.st.applyRemote(ctx, "evil-south", south, c.recs, 0); !errors.Is(err, ErrRemote) {
				t.Fatalf("applied: %v", err)
			}
			if after := must[string](t)(B.st.DataHash(ctx)); after != before {
				t.Fatal("a refused set changed data")
			}
		})
	}
	// South's own request, in its own shop's set: fine.
	if _, err := B.st.applyRemote(ctx, "evil-south", south, []ChangeRecord{rec(south, "privacy_requests", southReq, "status", "verifying")}, 0); err != nil {
		t.Fatalf("a South device on a South request: %v", err)
	}
}

// TestStateFromAShorterRegistry: an integrity state written by a Spoke whose registry ended
// before the request tables (every database and backup from before them) parses, hashes and
// authenticates as it was written, and the next write widens it to the whole registry.
func TestStateFromAShorterRegistry(t *testing.T) {
	key := make([]byte, 32)
	for _, v2 := range []bool{false, true} {
		old := &integrityState{sum: &lthash.Hash{}, maxSeq: 7, tables: stateTablesMin, v2: v2, conflicts: &lthash.Hash{}, nConflict: 2}
		for i := range stateTablesMin {
			old.addCount(i, int64(i+1))
		}
		b := old.encode(key)
		want := stateSizeOf(stateTablesMin) + sha256.Size
		if v2 {
			want += stateExtraV2
		}
		if len(b) != want {
			t.Fatalf("v2=%v: %d bytes, want %d", v2, len(b), want)
		}
		got, mac, ok := parseState(b)
		if !ok || !hmac.Equal(got.mac(key), mac) || !bytes.Equal(got.body(), old.body()) || got.tables != stateTablesMin || got.v2 != v2 || got.count(3) != 4 {
			t.Fatalf("v2=%v: parsed %v %+v", v2, ok, got)
		}
		got.tables = 0 // what sealRows does
		wide := got.encode(key)
		if len(wide) != stateSizeOf(len(schema))+len(b)-stateSizeOf(stateTablesMin) {
			t.Fatalf("widened to %d bytes", len(wide))
		}
		again, _, ok := parseState(wide)
		if !ok || again.tables != 0 || again.count(len(schema)-1) != 0 || again.count(3) != 4 {
			t.Fatalf("the widened state: %v %+v", ok, again)
		}
	}
	if _, _, ok := parseState(make([]byte, stateSizeOf(stateTablesMin-1)+sha256.Size)); ok {
		t.Fatal("a state narrower than any registry parsed")
	}
}
