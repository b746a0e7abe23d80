package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/detect"
)

// useAlertTables writes an alert row (raised as the detector would, then acknowledged with a
// note), for the fixtures that must use every table.
func useAlertTables(t *testing.T, st *Store, owner *Session) {
	t.Helper()
	ctx := context.Background()
	shops := must[[]Shop](t)(owner.Shops(ctx))
	u := must[string](t)(owner.AddUser(ctx, NewUser{Username: "alerted", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	now := st.opts.Now()
	id, wrote, err := st.raiseAlert(ctx, detect.Alert{UserID: u, ShopID: shops[0].ID, Kind: detect.KindMassRead, Score: 77,
		FirstAt: now.Add(-time.Hour), RaisedAt: now, Reasons: []string{"read 80 customers in 40 minutes; their usual busiest hour is 9"}})
	if err != nil || !wrote {
		t.Fatalf("raise: %v %v", wrote, err)
	}
	if err := owner.DecideAlert(ctx, id, AlertAcknowledged, "asked her about it", false); err != nil {
		t.Fatal(err)
	}
}

// deleteMany has ss create and delete n customers, until a suspension stops it.
func deleteMany(t *testing.T, ss *Session, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		id, err := ss.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Customer %d", i)})
		if err == nil {
			err = ss.DeleteCustomer(ctx, id)
		}
		if errors.Is(err, ErrSuspended) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func alertsOf(t *testing.T, ss *Session, all bool) []AlertRecord {
	t.Helper()
	return must[[]AlertRecord](t)(ss.Alerts(context.Background(), AlertFilter{All: all}))
}

// TestAlertManagerDeletesTwelve: a manager deleting 12 customers raises one bulk-delete alert
// row with the detector's reasons; who sees it follows the matrix; a review's note is sealed
// and the auditor never gets it; the effectiveness counts decided alerts.
func TestAlertManagerDeletesTwelve(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	mia := f.users["mia"]
	deleteMany(t, mia, 12)
	if err := f.st.DetectorError(); err != nil {
		t.Fatal(err)
	}
	as := alertsOf(t, f.users["olga"], false)
	i := slices.IndexFunc(as, func(a AlertRecord) bool { return a.Kind == detect.KindBulkDelete })
	if i < 0 {
		t.Fatalf("no bulk-delete alert: %+v", as)
	}
	a := as[i]
	if a.UserID != mia.User().ID || a.Username != "mia" || a.Scope != f.north || a.Status != AlertOpen || a.Score < 80 {
		t.Fatalf("alert %+v", a)
	}
	if len(a.Reasons) == 0 || !strings.Contains(a.Reasons[0], "deleted 11 customers") && !strings.Contains(a.Reasons[0], "deleted 12 customers") && !strings.Contains(a.Reasons[0], "deleted") {
		t.Fatalf("reasons %q", a.Reasons)
	}
	if a.ID != alertID(a.UserID, a.Kind, a.FirstAt.UnixMilli()) {
		t.Fatal("the id is not derived from user, kind and first evidence")
	}
	// The raise is audited under the detector's principal.
	if e := lastAuditOf(t, f.st, "alert.raised"); e.Target != a.ID || !strings.Contains(e.Detail, "kind=bulk_delete") {
		t.Fatalf("audit %+v", e)
	}
	// Who sees it.
	for _, tc := range []struct {
		user string
		sees bool
		err  error
	}{
		{"olga", true, nil}, {"mia", true, nil}, {"mo", false, nil}, {"aud", true, nil},
		{"sam", false, ErrForbidden}, {"mike", false, ErrForbidden}, {"mark", false, ErrForbidden},
	} {
		got, err := f.users[tc.user].Alerts(ctx, AlertFilter{All: true})
		if !errors.Is(err, tc.err) {
			t.Fatalf("%s: %v", tc.user, err)
		}
		if sees := slices.ContainsFunc(got, func(x AlertRecord) bool { return x.ID == a.ID }); sees != tc.sees {
			t.Fatalf("%s sees it: %v", tc.user, sees)
		}
	}
	// The notice's count: the owner's, the shop's manager's (not about herself), nobody else's.
	for user, want := range map[string]int{"olga": 1, "mia": 0, "mo": 0, "aud": 0} {
		if n, err := f.users[user].OpenAlertCount(ctx); err != nil || n != want {
			t.Fatalf("%s counts %d open alerts: %v", user, n, err)
		}
	}
	if _, err := f.users["sam"].OpenAlertCount(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a salesperson counts alerts: %v", err)
	}
	// Decisions: not by the auditor, not by another shop's manager, not by the alerted user.
	for _, who := range []string{"aud", "mo", "sam"} {
		if err := f.users[who].DecideAlert(ctx, a.ID, AlertDismissed, "", false); err == nil {
			t.Fatalf("%s decided the alert", who)
		}
	}
	if err := mia.DecideAlert(ctx, a.ID, AlertDismissed, "", false); err == nil {
		t.Fatal("the alerted manager decided her own alert")
	}
	const note = "Mia cleared out test records, said Olga"
	if err := f.users["olga"].DecideAlert(ctx, a.ID, AlertConfirmed, note, false); err != nil {
		t.Fatal(err)
	}
	if err := f.users["olga"].DecideAlert(ctx, a.ID, AlertDismissed, "", false); !errors.Is(err, ErrAlertDecided) {
		t.Fatalf("decided twice: %v", err)
	}
	got := alertsOf(t, f.users["olga"], true)
	if got[slices.IndexFunc(got, func(x AlertRecord) bool { return x.ID == a.ID })].Note != note {
		t.Fatal("the owner does not read the note")
	}
	for _, x := range alertsOf(t, f.users["aud"], true) {
		if x.ID == a.ID && (x.Note != "" || !x.NoteHidden) {
			t.Fatalf("the auditor sees the note: %+v", x)
		}
	}
	// The note is sealed: not in the file, nor the audit entry.
	db := rawDB(t, f.st.Dir())
	var n int
	if err := db.QueryRow("SELECT count(*) FROM alerts WHERE CAST(note AS TEXT) LIKE '%Olga%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the note is in the file in clear: %d %v", n, err)
	}
	if e := lastAudit(t, f, "olga", "alert.confirm"); strings.Contains(e.Detail, "Olga") || !slices.Contains(e.Fields, "note") {
		t.Fatalf("audit %+v", e)
	}
	eff := EffectivenessOf(got)
	if eff.Overall.Confirmed != 1 || eff.Overall.Rate != 1 || eff.ByKind[detect.KindBulkDelete].Confirmed != 1 {
		t.Fatalf("effectiveness %+v", eff)
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

func TestAlertEffectiveness(t *testing.T) {
	as := []AlertRecord{{Kind: "a", Status: AlertConfirmed}, {Kind: "a", Status: AlertDismissed}, {Kind: "b", Status: AlertDismissed},
		{Kind: "b", Status: AlertOpen}, {Kind: "c", Status: AlertAcknowledged}}
	e := EffectivenessOf(as)
	if e.Overall.Confirmed != 1 || e.Overall.Dismissed != 2 || e.Overall.Rate < 0.33 || e.Overall.Rate > 0.34 {
		t.Fatalf("%+v", e.Overall)
	}
	if e.ByKind["a"].Rate != 0.5 || e.ByKind["b"].Rate != 0 || len(e.ByKind) != 2 {
		t.Fatalf("%+v", e.ByKind)
	}
	if EffectivenessOf(nil).Overall.Rate != -1 {
		t.Fatal("no decided alert has a rate")
	}
}

// TestAlertRaisedTwiceOneRow: the same alert raised again (a second device over the synced
// trail, a replay after a crash) is the row there already.
func TestAlertRaisedTwiceOneRow(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	shop := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shop}))
	exchange(t, A, B)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	al := detect.Alert{UserID: sam, ShopID: shop, Kind: detect.KindBulkExport, Score: 85, FirstAt: at, RaisedAt: at.Add(5 * time.Minute), Reasons: []string{"exported 60 customers"}}
	for _, d := range []*testDevice{A, B} {
		if _, wrote, err := d.st.raiseAlert(ctx, al); err != nil || !wrote {
			t.Fatalf("raise: %v %v", wrote, err)
		}
	}
	al.RaisedAt = al.RaisedAt.Add(time.Minute) // raised a little later there
	if _, wrote, err := A.st.raiseAlert(ctx, al); err != nil || wrote {
		t.Fatalf("raised twice on one device: %v %v", wrote, err)
	}
	exchange(t, A, B)
	exchange(t, B, A)
	for _, d := range []*testDevice{A, B} {
		var n int
		if err := d.st.db.QueryRow("SELECT count(*) FROM alerts").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d rows: %v", n, err)
		}
		if r := must[*Report](t)(d.st.Verify(ctx)); !r.OK() {
			t.Fatalf("verify: %v", r.Problems)
		}
	}
}

// TestAlertForgedFromAnotherShop: a change-set of one shop cannot carry an alert of another
// shop's staff, nor move one into its scope, nor plant a row whose id is not its own.
func TestAlertForgedFromAnotherShop(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	ks := must[[]ScopeKey](t)(owner.ExportScopeKeys(ctx, []string{south}))
	if err := B.st.Replica().ImportScopeKeys(ctx, ks); err != nil {
		t.Fatal(err)
	}
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: north}))
	send(t, A, B)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	id, _, err := A.st.raiseAlert(ctx, detect.Alert{UserID: sam, ShopID: north, Kind: detect.KindMassRead, Score: 70, FirstAt: at, RaisedAt: at, Reasons: []string{"read 90 customers"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := send(t, A, B) // genuine, in North's scope
	var mine []ChangeRecord
	for _, r := range recs {
		if r.RowID == id {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 || mine[0].Scope != north {
		t.Fatalf("the alert travels in %v", mine)
	}
	refused := func(name string, scope string, rs []ChangeRecord) {
		t.Helper()
		_, err := B.st.applyRemote(ctx, A.st.DeviceID(), scope, rs, 0)
		var re *RemoteError
		if !errors.As(err, &re) {
			t.Fatalf("%s: got %v, want a refusal", name, err)
		}
	}
	// South's set carrying a new North alert.
	var fresh []ChangeRecord
	for _, r := range mine {
		r.RowID = alertID(sam, detect.KindOffHours, at.UnixMilli())
		r.Scope = south
		r.HLC += 1 << 20
		if r.Column == "kind" {
			r.Value = detect.KindOffHours
		}
		fresh = append(fresh, r)
	}
	refused("a new alert of another shop", south, fresh)
	// South's set moving North's alert into South.
	i := slices.IndexFunc(mine, func(r ChangeRecord) bool { return r.Column == "scope" })
	mv := mine[i]
	mv.Value, mv.Scope, mv.HLC = south, south, mv.HLC+1<<20
	refused("an alert moved into another shop", south, []ChangeRecord{mv})
	// South's set dismissing North's alert.
	j := slices.IndexFunc(mine, func(r ChangeRecord) bool { return r.Column == "status" })
	st := mine[j]
	st.Value, st.Scope, st.HLC = AlertDismissed, south, st.HLC+1<<20
	refused("another shop's alert dismissed", south, []ChangeRecord{st})
	// North's own set with values Spoke does not write.
	edit := func(col string, v any) []ChangeRecord {
		i := slices.IndexFunc(mine, func(r ChangeRecord) bool { return r.Column == col })
		r := mine[i]
		r.Value, r.HLC = v, r.HLC+1<<20
		return []ChangeRecord{r}
	}
	for _, tc := range []struct {
		col string
		v   any
	}{{"kind", "exfil"}, {"status", "closed"}, {"score", int64(100)}, {"reasons", "read\x00 90"}, {"user_id", sam + "x"}, {"first_at", int64(1)}, {"suspend", int64(2)}} {
		refused(tc.col+" edited", north, edit(tc.col, tc.v))
	}
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	got := alertsOf(t, ownerB, true)
	if len(got) != 1 || got[0].ID != id || got[0].Status != AlertOpen || got[0].Scope != north {
		t.Fatalf("B's alerts after the forgeries: %+v", got)
	}
}

// TestAlertSuspension: under the suspend setting a critical alert ends the user's session on
// the device at once and refuses their sign-in there; the owner lifts it; confirming with
// suspend deactivates the account.
func TestAlertSuspension(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	olga := f.users["olga"]
	if err := f.users["mia"].SetAlertSettings(ctx, AlertSuspend, 80); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a manager set the mode: %v", err)
	}
	if err := olga.SetAlertSettings(ctx, "block", 0); err == nil {
		t.Fatal("an unknown mode was taken")
	}
	if err := olga.SetAlertSettings(ctx, AlertSuspend, 80); err != nil {
		t.Fatal(err)
	}
	if s := must[AlertSettings](t)(olga.AlertSettings(ctx)); s.Mode != AlertSuspend || s.SuspendScore != 80 {
		t.Fatalf("settings %+v", s)
	}
	mia := f.users["mia"]
	deleteMany(t, mia, 12)
	if err := f.st.DetectorError(); err != nil {
		t.Fatal(err)
	}
	if _, err := mia.Alerts(ctx, AlertFilter{}); !errors.Is(err, ErrSuspended) {
		t.Fatalf("the suspended session goes on: %v", err)
	}
	if _, err := f.st.SignIn(ctx, "mia", staffPW); !errors.Is(err, ErrSuspended) {
		t.Fatalf("the suspended account signs in: %v", err)
	}
	if e := lastAuditOf(t, f.st, "user.suspend"); e.Target != mia.User().ID {
		t.Fatalf("suspension audit %+v", e)
	}
	sus := must[[]Suspension](t)(olga.Suspensions(ctx))
	if len(sus) != 1 || sus[0].UserID != mia.User().ID {
		t.Fatalf("suspensions %+v", sus)
	}
	as := alertsOf(t, olga, false)
	a := as[slices.IndexFunc(as, func(a AlertRecord) bool { return a.Kind == detect.KindBulkDelete })]
	if !a.SuspendedHere {
		t.Fatal("the alert does not say it suspended the account here")
	}
	if err := f.users["mo"].LiftSuspension(ctx, mia.User().ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a manager lifted it: %v", err)
	}
	if err := olga.LiftSuspension(ctx, mia.User().ID); err != nil {
		t.Fatal(err)
	}
	mia2 := signIn(t, f.st, "mia", staffPW)
	_ = mia2
	// Confirmed with suspend: the signed staff record is deactivated (chain-wide).
	if err := olga.DecideAlert(ctx, a.ID, AlertConfirmed, "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SignIn(ctx, "mia", staffPW); !errors.Is(err, ErrInactive) {
		t.Fatalf("the confirmed account signs in: %v", err)
	}
	// The owner is never suspended (someone must review).
	if err := f.st.suspend(ctx, olga.User().ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if on, _ := f.st.suspended(ctx, olga.User().ID); on {
		t.Fatal("the owner was suspended")
	}
	if r := must[*Report](t)(f.st.Verify(ctx)); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// TestDetectorStateRoundTrip: the detector's state is saved at close and restored at unlock,
// where it goes on from where it was; an edited state is tampering Verify names.
func TestDetectorStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	dir := st.Dir()
	owner := signIn(t, st, "olga", "owner-password-1")
	for i := range 5 {
		must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("C %d", i)}))
	}
	st.watch.mu.Lock()
	want, _ := st.watch.d.MarshalState()
	local := st.watch.local
	st.watch.mu.Unlock()
	if local == 0 {
		t.Fatal("the detector read nothing")
	}
	st.Close()
	raw := rawDB(t, dir)
	var saved []byte
	if err := raw.QueryRow("SELECT value FROM meta WHERE key = ?", metaDetectState).Scan(&saved); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	st2, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	st2.watch.mu.Lock()
	got, _ := st2.watch.d.MarshalState()
	local2 := st2.watch.local
	st2.watch.mu.Unlock()
	// Restored, then caught up with the entries unlock itself wrote (none the detector uses).
	if local2 < local || !bytes.Equal(got, want) {
		t.Fatalf("restored state differs (cursor %d -> %d)", local, local2)
	}
	st2.Close()
	// Edited in the file: Verify names it.
	raw = rawDB(t, dir)
	if _, err := raw.Exec("UPDATE meta SET value = ? WHERE key = ?", bytes.Replace(saved, []byte(`"v":1`), []byte(`"v":1 `), 1), metaDetectState); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	st3, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st3.Close()
	r := must[*Report](t)(st3.Verify(ctx))
	if r.OK() || !strings.Contains(fmt.Sprint(r.Problems), metaDetectState) {
		t.Fatalf("an edited detector state passes: %v", r.Problems)
	}
}

// TestAlertLeavingDate: a leaving date in the signed staff record, or one a manager proposed,
// reaches the detector: the alert says so (and scores higher).
func TestAlertLeavingDate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	olga, mia, mo := f.users["olga"], f.users["mia"], f.users["mo"]
	soon := f.st.opts.Now().Add(10 * 24 * time.Hour)
	if err := olga.SetLeaving(ctx, mia.User().ID, soon, false); err != nil {
		t.Fatal(err)
	}
	stan := f.users["stan"]
	must[string](t)(mo.ProposeStaffChange(ctx, stan.User().ID, ProposeLeave, nil, soon))
	mia = signIn(t, f.st, "mia", staffPW) // the session follows the new record
	deleteMany(t, mia, 12)
	// stan may only ask for deletions: twelve refused ones are a bulk delete all the same.
	for i := range 12 {
		id := must[string](t)(stan.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Stan's %d", i)}))
		stan.DeleteCustomer(ctx, id)
	}
	if err := f.st.DetectorError(); err != nil {
		t.Fatal(err)
	}
	as := alertsOf(t, olga, false)
	for _, who := range []*Session{mia, stan} {
		i := slices.IndexFunc(as, func(a AlertRecord) bool { return a.UserID == who.User().ID && a.Kind == detect.KindBulkDelete })
		if i < 0 {
			t.Fatalf("no bulk-delete alert for %s: %+v", who.User().Username, as)
		}
		if !strings.Contains(strings.Join(as[i].Reasons, "\n"), "leaving on "+soon.Format("2006-01-02")) {
			t.Fatalf("%s: reasons %q", who.User().Username, as[i].Reasons)
		}
	}
}

// FuzzSavedWatch: whatever the saved detector state holds, decoding never panics, and what it
// accepts encodes again to a state it accepts.
func FuzzSavedWatch(f *testing.F) {
	d := detect.New(detect.DefaultConfig(), nil)
	d.Observe(detect.Event{At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), UserID: "u1", Action: "customer.read", Target: "c1", Role: "sales", ShopID: "s1", Grant: "own"})
	state, _ := d.MarshalState()
	good, _ := json.Marshal(savedWatch{V: 1, Local: 7, Remote: map[string]int64{"dev": 3}, State: state})
	f.Add(good)
	f.Add([]byte(`{"v":1,"local":-1}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"state":"AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sv, d, err := decodeSavedWatch(b, nil)
		if err != nil {
			return
		}
		st, err := d.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(savedWatch{V: 1, Local: sv.Local, Remote: sv.Remote, State: st})
		if _, _, err := decodeSavedWatch(again, nil); err != nil {
			t.Fatalf("re-encoded state refused: %v", err)
		}
	})
}
