package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// recallFixture is a chain of two shops (North in USD, South in EUR) with a manager of each,
// a salesperson, a mechanic and marketing in North.
type recallFixture struct {
	st           *Store
	dir          string
	owner        *Session
	north, south string
	users        map[string]*Session
}

func newRecallFixture(t *testing.T) *recallFixture {
	t.Helper()
	ctx := context.Background()
	st, _ := newTestStore(t)
	f := &recallFixture{st: st, dir: st.Dir(), owner: signIn(t, st, "olga", "owner-password-1"), users: map[string]*Session{}}
	f.north = must[[]Shop](t)(f.owner.Shops(ctx))[0].ID
	f.south = must[string](t)(f.owner.AddShop(ctx, "South", "DE", "EUR"))
	for _, u := range []struct {
		name string
		role Role
		shop string
	}{{"mona", RoleManager, f.north}, {"sven", RoleManager, f.south}, {"sal", RoleSales, f.north}, {"mech", RoleMechanic, f.north}, {"mark", RoleMarketing, ""}} {
		must[string](t)(f.owner.AddUser(ctx, NewUser{Username: u.name, Password: staffPW, Roles: []Role{u.role}, ShopID: u.shop}))
		f.users[u.name] = signIn(t, st, u.name, staffPW)
	}
	return f
}

// bike adds a customer (named name) with one bike in shop.
func (f *recallFixture) bike(t *testing.T, shop, name string, b Bike) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := must[string](t)(f.owner.CreateCustomer(ctx, CustomerInput{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", ShopID: shop}))
	return c, must[string](t)(f.owner.AddBike(ctx, c, b))
}

func bikeIDs(ms []RecallMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.BikeID)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// TestRecallBySerialList plants affected serials among near misses, other shops' bikes, a
// deleted and an erased customer, and a long list of other serials, and requires the owner's
// chain-wide recall to find exactly the planted bikes, each manager only their shop's, and
// every other role to be refused; no serial or name reaches the audit or any file.
func TestRecallBySerialList(t *testing.T) {
	ctx := context.Background()
	f := newRecallFixture(t)
	planted := []struct{ shop, name, serial string }{
		{f.north, "Ada Planted", "WTU123A4567"},
		{f.north, "Bob Planted", "WTU 123 B4567"},
		{f.north, "Cyd Planted", "wtu123c4567"},
		{f.south, "Dora Planted", "WTU123D4567"},
		{f.south, "Emil Planted", "WTU/123/E4567"},
	}
	var wantNorth, wantSouth []string
	for _, p := range planted {
		_, b := f.bike(t, p.shop, p.name, Bike{Make: "Other", Model: "Any", Serial: p.serial})
		if p.shop == f.north {
			wantNorth = append(wantNorth, b)
		} else {
			wantSouth = append(wantSouth, b)
		}
	}
	// Near misses: one character more, less or different; the same make and model.
	for i, s := range []string{"WTU123A456", "WTU123A45678", "WTU123A4568", "XTU123A4567", "WTU123A4567X", "WTU12A4567", "WTU123/A4567"} {
		f.bike(t, []string{f.north, f.south}[i%2], fmt.Sprintf("Near Miss%d", i), Bike{Make: "Trek", Model: "Fuel EX", Year: 2021, Serial: s})
	}
	// A listed serial of a customer deleted, and of one erased.
	del, _ := f.bike(t, f.north, "Deleted Person", Bike{Make: "Trek", Serial: "WTU123F4567"})
	if err := f.owner.DeleteCustomer(ctx, del); err != nil {
		t.Fatal(err)
	}
	gone, _ := f.bike(t, f.south, "Erased Person", Bike{Make: "Trek", Serial: "WTU123G4567"})
	must[*ErasureResult](t)(f.owner.EraseCustomer(ctx, gone))
	var list strings.Builder
	list.WriteString("\ufeff# brand list 2026-11\n\n")
	for _, s := range []string{"WTU123A4567", "\"WTU-123-B4567\"", " WTU123C4567 ,", "wtu123d4567;", "WTU/123/E4567", "WTU123F4567", "WTU123G4567", "WTU123A4567"} {
		list.WriteString(s + "\r\n")
	}
	for i := range 3000 {
		fmt.Fprintf(&list, "ZZ%08d\n", i)
	}
	serials, err := ParseSerialList(strings.NewReader(list.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(serials) != 3007 {
		t.Fatalf("parsed %d serials, want 3007 (duplicates dropped)", len(serials))
	}
	id := must[string](t)(f.owner.CreateRecall(ctx, RecallInput{Make: "Trek", Reference: "TRK-2026-11", Title: "Frame inspection", IssuedOn: "2026-11-30", Serials: serials}))

	got := must[[]RecallMatch](t)(f.owner.RecallMatches(ctx, id))
	if want := sortedIDs(append(slices.Clone(wantNorth), wantSouth...)); !slices.Equal(bikeIDs(got), want) {
		t.Fatalf("owner's matches %v, want %v", bikeIDs(got), want)
	}
	for _, m := range got {
		if m.By != "serial" || !strings.HasSuffix(m.Name, "Planted") || m.Email == "" {
			t.Fatalf("match %+v", m)
		}
	}
	if got := must[[]RecallMatch](t)(f.users["mona"].RecallMatches(ctx, id)); !slices.Equal(bikeIDs(got), sortedIDs(wantNorth)) {
		t.Fatalf("North's manager: %v", bikeIDs(got))
	}
	if got := must[[]RecallMatch](t)(f.users["sven"].RecallMatches(ctx, id)); !slices.Equal(bikeIDs(got), sortedIDs(wantSouth)) {
		t.Fatalf("South's manager: %v", bikeIDs(got))
	}
	for _, name := range []string{"sal", "mech", "mark"} {
		ss := f.users[name]
		if _, err := ss.RecallMatches(ctx, id); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: matches %v", name, err)
		}
		if _, err := ss.RecallRecipients(ctx, id); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: recipients %v", name, err)
		}
		if _, err := ss.Recalls(ctx); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: list %v", name, err)
		}
		if _, err := ss.RecordRecallNotice(ctx, RecallNoticeInput{RecallID: id, BikeID: wantNorth[0], Channel: NoticePhone, Outcome: NoticeReached}); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: notice %v", name, err)
		}
		if _, err := ss.CreateRecall(ctx, RecallInput{Make: "Trek", Models: []string{"X"}, Reference: "R", Title: "T", IssuedOn: "2026-11-30"}); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: create %v", name, err)
		}
	}
	// A manager may not enter a chain-wide recall nor one of another shop.
	if _, err := f.users["mona"].CreateRecall(ctx, RecallInput{ShopID: f.south, Make: "Trek", Models: []string{"X"}, Reference: "R", Title: "T", IssuedOn: "2026-11-30"}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a manager entered another shop's recall: %v", err)
	}
	// A manager's own recall is their shop's alone.
	own := must[string](t)(f.users["mona"].CreateRecall(ctx, RecallInput{Make: "Trek", Reference: "N-1", Title: "North only", IssuedOn: "2026-12-01", Serials: serials}))
	if got := must[[]RecallMatch](t)(f.owner.RecallMatches(ctx, own)); !slices.Equal(bikeIDs(got), sortedIDs(wantNorth)) {
		t.Fatalf("a shop's recall reached another shop: %v", bikeIDs(got))
	}
	if _, err := f.users["sven"].RecallMatches(ctx, own); !errors.Is(err, ErrNotFound) {
		t.Fatalf("South's manager read North's recall: %v", err)
	}
	if rs := must[[]Recall](t)(f.users["sven"].Recalls(ctx)); len(rs) != 1 || rs[0].ID != id {
		t.Fatalf("South's manager lists %+v", rs)
	}

	// No serial, in any form, and no name in the audit or in any file of the database.
	if err := f.st.flushReadAudits(ctx); err != nil {
		t.Fatal(err)
	}
	needles := []string{"Planted", "Near Miss", "Erased Person"}
	for _, p := range planted {
		needles = append(needles, p.serial, strings.ReplaceAll(strings.ToUpper(p.serial), " ", ""))
	}
	needles = append(needles, "WTU123F4567", "WTU123G4567", "ZZ00000001")
	rows, err := f.st.db.QueryContext(ctx, "SELECT action, target, fields, detail FROM audit")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, tg, fl, d string
		if err := rows.Scan(&a, &tg, &fl, &d); err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if strings.Contains(strings.ToUpper(a+tg+fl+d), strings.ToUpper(n)) {
				t.Fatalf("audit %s names %q", a, n)
			}
		}
	}
	rows.Close()
	f.st.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := filepath.WalkDir(f.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(bytes.ToUpper(b), bytes.ToUpper([]byte(n))) || strings.Contains(strings.ToUpper(path), strings.ToUpper(n)) {
				t.Fatalf("%s holds %q", filepath.Base(path), n)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestRecallByModelYears: make and model are compared trimmed and case-insensitively, the
// years inclusively; a bike of unknown year is not within a range.
func TestRecallByModelYears(t *testing.T) {
	ctx := context.Background()
	f := newRecallFixture(t)
	var want []string
	for _, tc := range []struct {
		shop  string
		b     Bike
		match bool
	}{
		{f.north, Bike{Make: "Trek", Model: "Fuel EX", Year: 2021}, true},
		{f.north, Bike{Make: " trek ", Model: "fuel ex", Year: 2020}, true},
		{f.south, Bike{Make: "TREK", Model: "Fuel EX ", Year: 2022}, true},
		{f.south, Bike{Make: "Trek", Model: "Slash", Year: 2021}, true},
		{f.north, Bike{Make: "Trek", Model: "Fuel EX", Year: 2019}, false},
		{f.north, Bike{Make: "Trek", Model: "Fuel EX", Year: 2023}, false},
		{f.north, Bike{Make: "Trek", Model: "Fuel EX"}, false},
		{f.north, Bike{Make: "Trek", Model: "Fuel", Year: 2021}, false},
		{f.north, Bike{Make: "Trek", Model: "Fuel EX 8", Year: 2021}, false},
		{f.south, Bike{Make: "Specialized", Model: "Fuel EX", Year: 2021}, false},
		{f.south, Bike{Make: "Trek Bikes", Model: "Fuel EX", Year: 2021}, false},
		{f.south, Bike{Make: "TREK", Model: "ÉLAN", Year: 2021}, true}, // Unicode case folding
		{f.south, Bike{Make: "Trek", Model: "Elan", Year: 2021}, false},
	} {
		_, b := f.bike(t, tc.shop, "Some One", tc.b)
		if tc.match {
			want = append(want, b)
		}
	}
	id := must[string](t)(f.owner.CreateRecall(ctx, RecallInput{Make: "trek", Models: []string{"Fuel EX", " SLASH", "fuel ex", "élan"}, YearFrom: 2020, YearTo: 2022,
		Reference: "TRK-7", Title: "Shock bolt", IssuedOn: "2026-10-01"}))
	got := must[[]RecallMatch](t)(f.owner.RecallMatches(ctx, id))
	if !slices.Equal(bikeIDs(got), sortedIDs(want)) {
		t.Fatalf("matches %v, want %v", bikeIDs(got), sortedIDs(want))
	}
	for _, m := range got {
		if m.By != "model" {
			t.Fatalf("by %q", m.By)
		}
	}
	r, _, err := f.owner.RecallProgress(ctx, id)
	if err != nil || len(r.Models) != 3 {
		t.Fatalf("models kept %q", r.Models)
	}
}

func (f *recallFixture) progress(t *testing.T, ss *Session, id string) RecallProgress {
	t.Helper()
	_, p, err := ss.RecallProgress(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecallNotices: notices only for affected bikes, in the user's shops, with known codes;
// the progress and the recipients follow the last notice of each bike.
func TestRecallNotices(t *testing.T) {
	ctx := context.Background()
	f := newRecallFixture(t)
	c1, b1 := f.bike(t, f.north, "Nina North", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	c2, b2 := f.bike(t, f.north, "Nils North", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	b2b := must[string](t)(f.owner.AddBike(ctx, c2, Bike{Make: "Cube", Model: "Stereo", Year: 2023}))
	c3, b3 := f.bike(t, f.south, "Sara South", Bike{Make: "Cube", Model: "Stereo", Year: 2024})
	_, other := f.bike(t, f.north, "Otto Other", Bike{Make: "Cube", Model: "Reaction", Year: 2024})
	id := must[string](t)(f.owner.CreateRecall(ctx, RecallInput{Make: "Cube", Models: []string{"Stereo"}, Reference: "C-1", Title: "Brake hose", IssuedOn: "2026-09-09"}))
	if p := f.progress(t, f.owner, id); p != (RecallProgress{Affected: 4, Outstanding: 4}) {
		t.Fatalf("progress %+v", p)
	}
	mona := f.users["mona"]
	for _, tc := range []struct {
		name string
		ss   *Session
		in   RecallNoticeInput
		want error
	}{
		{"not affected", mona, RecallNoticeInput{id, other, NoticePhone, NoticeReached}, &FieldError{}},
		{"another shop's bike", mona, RecallNoticeInput{id, b3, NoticePhone, NoticeReached}, ErrForbidden},
		{"unknown channel", mona, RecallNoticeInput{id, b1, "sms", NoticeReached}, &FieldError{}},
		{"unknown outcome", mona, RecallNoticeInput{id, b1, NoticePhone, "maybe"}, &FieldError{}},
		{"unknown bike", mona, RecallNoticeInput{id, newID(), NoticePhone, NoticeReached}, ErrNotFound},
	} {
		_, err := tc.ss.RecordRecallNotice(ctx, tc.in)
		var fe *FieldError
		if _, isField := tc.want.(*FieldError); (isField && !errors.As(err, &fe)) || (!isField && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	must[string](t)(mona.RecordRecallNotice(ctx, RecallNoticeInput{id, b1, NoticeEmail, NoticeUnreachable}))
	must[string](t)(mona.RecordRecallNotice(ctx, RecallNoticeInput{id, b1, NoticePhone, NoticeReached}))
	must[string](t)(mona.RecordRecallNotice(ctx, RecallNoticeInput{id, b2, NoticeInPerson, NoticeDeclined}))
	must[string](t)(f.users["sven"].RecordRecallNotice(ctx, RecallNoticeInput{id, b3, NoticePost, NoticeUnreachable}))
	if p := f.progress(t, f.owner, id); p != (RecallProgress{Affected: 4, Reached: 1, Declined: 1, Unreachable: 1, Outstanding: 2}) {
		t.Fatalf("progress %+v", p)
	}
	if p := f.progress(t, mona, id); p != (RecallProgress{Affected: 3, Reached: 1, Declined: 1, Outstanding: 1}) {
		t.Fatalf("North's progress %+v", p)
	}
	rec := must[[]RecallRecipient](t)(f.owner.RecallRecipients(ctx, id))
	slices.SortFunc(rec, func(a, b RecallRecipient) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	want := []RecallRecipient{{CustomerID: c2, ShopID: f.north, BikeIDs: []string{b2b}}, {CustomerID: c3, ShopID: f.south, BikeIDs: []string{b3}}}
	slices.SortFunc(want, func(a, b RecallRecipient) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	if fmt.Sprint(rec) != fmt.Sprint(want) {
		t.Fatalf("recipients %v, want %v", rec, want)
	}
	ms := must[[]RecallMatch](t)(mona.RecallMatches(ctx, id))
	for _, m := range ms {
		if m.BikeID == b1 && (m.Outcome != NoticeReached || m.Channel != NoticePhone || m.NoticedAt.IsZero()) {
			t.Fatalf("b1's last notice %+v", m)
		}
	}
	var basis string
	if err := f.st.db.QueryRow("SELECT DISTINCT lawful_basis FROM recall_notices").Scan(&basis); err != nil || basis != string(BasisLegalObligation) {
		t.Fatalf("basis %q %v", basis, err)
	}
	// The customer's export holds their notices.
	d := must[*SubjectData](t)(f.owner.SubjectExport(ctx, c1))
	var sec *SubjectSection
	for i := range d.Sections {
		if d.Sections[i].Name == "recall_notices" {
			sec = &d.Sections[i]
		}
	}
	if sec == nil || len(sec.Rows) != 2 || sec.Rows[1][1] != "C-1 Brake hose" || sec.Rows[1][4] != "reached" || sec.Rows[1][5] != "legal_obligation" || sec.Rows[1][6] != "manager" {
		t.Fatalf("export section %+v", sec)
	}
	// Erasing a customer takes their notices with them.
	must[*ErasureResult](t)(f.owner.EraseCustomer(ctx, c3))
	if p := f.progress(t, f.owner, id); p.Affected != 3 || p.Unreachable != 0 {
		t.Fatalf("after erasure %+v", p)
	}
}

// TestRecallForgedBySync: a change-set of one shop may not carry a recall, a serial part or a
// notice of another shop, nor a chain-wide recall (org rows come from owner devices, in the
// org's scope); the genuine sets apply.
func TestRecallForgedBySync(t *testing.T) {
	ctx := context.Background()
	A, B, owner := newPair(t)
	north := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	south := must[string](t)(owner.AddShop(ctx, "South", "DE", "EUR"))
	c := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Sue South", ShopID: south}))
	bike := must[string](t)(owner.AddBike(ctx, c, Bike{Make: "Trek", Model: "Fuel", Year: 2022, Serial: "ABC123"}))
	must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ned North", ShopID: north}))
	scopes, _ := A.st.Scopes(ctx)
	ks := must[[]ScopeKey](t)(owner.ExportScopeKeys(ctx, scopes))
	if err := B.st.Replica().ImportScopeKeys(ctx, ks); err != nil {
		t.Fatal(err)
	}
	exchange(t, A, B)
	before := A.pushed
	shopRecall := must[string](t)(owner.CreateRecall(ctx, RecallInput{ShopID: south, Make: "Trek", Models: []string{"Fuel"}, Reference: "R-1", Title: "Fork", IssuedOn: "2026-11-01", Serials: []string{"ABC123"}}))
	must[string](t)(owner.RecordRecallNotice(ctx, RecallNoticeInput{shopRecall, bike, NoticePhone, NoticeReached}))
	orgRecall := must[string](t)(owner.CreateRecall(ctx, RecallInput{Make: "Trek", Models: []string{"Fuel"}, Reference: "R-2", Title: "Chain-wide", IssuedOn: "2026-11-02"}))
	recs := must[[]ChangeRecord](t)(A.st.LocalChanges(ctx, before, 1<<30))
	of := func(table, row string) []ChangeRecord {
		var out []ChangeRecord
		for _, r := range recs {
			if r.Table == table && (row == "" || r.RowID == row) {
				out = append(out, r)
			}
		}
		return out
	}
	relabel := func(in []ChangeRecord, scope string) []ChangeRecord {
		out := slices.Clone(in)
		for i := range out {
			out[i].Scope = scope
		}
		return out
	}
	for _, tc := range []struct {
		name string
		recs []ChangeRecord
	}{
		{"South's recall in North's set", relabel(of("recalls", shopRecall), north)},
		{"South's serial parts in North's set", relabel(of("recall_serials", ""), north)},
		{"South's notice in North's set", relabel(of("recall_notices", ""), north)},
		{"a chain-wide recall in a shop's set", relabel(of("recalls", orgRecall), north)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.recs) == 0 {
				t.Fatal("no records")
			}
			h0, _ := B.st.DataHash(ctx)
			if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), north, tc.recs, 0); !errors.Is(err, ErrRemote) {
				t.Fatalf("applied: %v", err)
			}
			if h1, _ := B.st.DataHash(ctx); h1 != h0 {
				t.Fatal("a refused set changed data")
			}
		})
	}
	// A notice naming South's bike, relabelled as North's shop, in North's set.
	forged := relabel(of("recall_notices", ""), north)
	for i := range forged {
		if forged[i].Column == "shop_id" {
			forged[i].Value = north
		}
	}
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), north, forged, 0); !errors.Is(err, ErrRemote) {
		t.Fatalf("a notice of South's bike under North's shop applied: %v", err)
	}
	exchange(t, A, B)
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	if ms := must[[]RecallMatch](t)(ownerB.RecallMatches(ctx, shopRecall)); len(ms) != 1 || ms[0].BikeID != bike || ms[0].By != "serial+model" || ms[0].Outcome != NoticeReached {
		t.Fatalf("on the replica: %+v", ms)
	}
}

var serialListError = regexp.MustCompile(`^serials: (line \d+ is not a frame serial \(letters, digits and '/', up to 64\): correct or remove it|a recall lists at most \d+ serials: split the list|line \d+ is longer than \d+ bytes: one serial a line)$`)

// FuzzParseSerialList: the parser never panics, returns normalised, sorted, distinct serials,
// and refuses with one of its own messages, never the input's text.
func FuzzParseSerialList(f *testing.F) {
	for _, s := range []string{"", "ABC123\n", "\ufeff\"a-b c\";\r\n# x\n\nWTU/1\n", "abc\x00", strings.Repeat("A", 300), "x\ny\nx\n", "'q' ,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := ParseSerialList(strings.NewReader(in))
		if err != nil {
			if !serialListError.MatchString(err.Error()) {
				t.Fatalf("error %q", err)
			}
			return
		}
		if !slices.IsSorted(out) || len(slices.Compact(slices.Clone(out))) != len(out) {
			t.Fatalf("not sorted and distinct: %q", out)
		}
		for _, s := range out {
			if n, err := normSerial(s, ""); err != nil || n != s {
				t.Fatalf("%q is not normalised", s)
			}
		}
	})
}
