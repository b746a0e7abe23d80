package store

import (
	"context"
	"testing"
)

// TestAuditNamesItsPrincipal: the one audit entry point records a session's user, or a named
// system principal as "system:NAME", always with this device; it refuses an unnamed system
// principal, no principal, a session of another database and an entry without an action.
func TestAuditNamesItsPrincipal(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	if err := st.Audit(ctx, owner, Event{Action: "test.by_user", Target: "t1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Audit(ctx, System("retention"), Event{Action: "test.by_system", Target: "t2", Outcome: "warning"}); err != nil {
		t.Fatal(err)
	}
	other, _ := newTestStore(t)
	stranger := signIn(t, other, "olga", "owner-password-1")
	for name, bad := range map[string]func() error{
		"unnamed system":  func() error { return st.Audit(ctx, System(""), Event{Action: "test.bad"}) },
		"spaced system":   func() error { return st.Audit(ctx, System("a b"), Event{Action: "test.bad"}) },
		"colon system":    func() error { return st.Audit(ctx, System("x:y"), Event{Action: "test.bad"}) },
		"no principal":    func() error { return st.Audit(ctx, nil, Event{Action: "test.bad"}) },
		"other database":  func() error { return st.Audit(ctx, stranger, Event{Action: "test.bad"}) },
		"no action":       func() error { return st.Audit(ctx, System("retention"), Event{}) },
		"replica no name": func() error { return st.Replica().Audit(ctx, System(""), Event{Action: "test.bad"}) },
		"store's own":     func() error { return st.Audit(ctx, System("verify"), Event{Action: "store.verify"}) },
		"unknown system":  func() error { return st.Audit(ctx, System("janitor"), Event{Action: "test.bad"}) },
		"embedded system": func() error { return st.Audit(ctx, struct{ System }{}, Event{Action: "test.bad"}) },
	} {
		if err := bad(); err == nil {
			t.Errorf("%s: recorded", name)
		}
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "test."}))
	got := map[string]AuditRecord{}
	for _, r := range recs {
		got[r.Action] = r
	}
	if len(got) != 2 {
		t.Fatalf("entries %+v", recs)
	}
	if r := got["test.by_user"]; r.UserID != owner.User().ID || r.DeviceID != st.DeviceID() || r.Outcome != "ok" || r.Target != "t1" {
		t.Fatalf("user entry %+v", r)
	}
	if r := got["test.by_system"]; r.UserID != "system:retention" || r.DeviceID != st.DeviceID() || r.Outcome != "warning" {
		t.Fatalf("system entry %+v", r)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}
}

// TestNoAnonymousSystemEntries: the store's own work (creation, key protection, verify, a
// restore's re-applied deletions) never lands in the trail as an anonymous "system" or "sync".
func TestNoAnonymousSystemEntries(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	if _, err := st.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReapplyDeletions(ctx, nil); err != nil {
		t.Fatal(err)
	}
	owner := signIn(t, st, "olga", "owner-password-1")
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Limit: 10000}))
	named := 0
	for _, r := range recs {
		switch {
		case r.UserID == "system" || r.UserID == "sync" || r.UserID == "" || r.UserID == "system:":
			t.Errorf("%s recorded anonymously as %q", r.Action, r.UserID)
		case r.UserID == "system:store" || r.UserID == "system:verify" || r.UserID == "system:restore":
			named++
			if r.DeviceID != st.DeviceID() {
				t.Errorf("%s recorded on %q, not this device", r.Action, r.DeviceID)
			}
		}
	}
	if named < 3 {
		t.Fatalf("expected the store's creation, verify and re-applied deletions under named principals: %+v", recs)
	}
}
