package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/compliance/checkup"
	"spoke/protocol/auditrec"
	"spoke/version"
)

// useCheckupTables runs a check-up and decides one of its findings with a note, so a fixture
// holds a checkup_runs and a checkup_decisions row.
func useCheckupTables(t *testing.T, owner *Session) {
	t.Helper()
	ctx := context.Background()
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if len(r.Findings) == 0 {
		t.Fatal("the fixture's check-up found nothing to decide")
	}
	if err := owner.DecideCheckupFinding(ctx, r.Findings[0].Key, "accepted", "we know; the USB disk is in the safe"); err != nil {
		t.Fatal(err)
	}
}

func findingKeys(r *checkup.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Key)
	}
	return out
}

func findingOf(t *testing.T, r *checkup.Report, key string) *checkup.Finding {
	t.Helper()
	f := r.Finding(key)
	if f == nil {
		t.Fatalf("no finding %s in %v", key, findingKeys(r))
	}
	return f
}

// setLegacyPassword gives an account a password set before the policy (as an older Spoke
// allowed), through the store's own write path.
func setLegacyPassword(t *testing.T, st *Store, username, pw string) {
	t.Helper()
	ctx := context.Background()
	err := st.write(ctx, storeActor, "test.legacy_password", func(w *wtx) error {
		u, err := scanUser(w.tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username))
		if err != nil {
			return err
		}
		u.passwordHash = hashPassword(pw, st.opts.KDF)
		return w.writeUser(u, false)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSettingChangesAudited: every configuration write records each value it changes, old and
// new, as its own settings.change entry; nothing personal (a folder path) appears.
func TestSettingChangesAudited(t *testing.T) {
	ctx := context.Background()
	f, _ := clockFixture(t)
	owner := f.users["olga"]
	folder := t.TempDir() + "/olga-privat"
	steps := []func() error{
		func() error { return owner.SetCheckupSettings(ctx, CheckupSettings{EveryDays: 30, SilentDays: 7}) },
		func() error { return owner.SetCheckupSettings(ctx, CheckupSettings{EveryDays: 30, SilentDays: 10}) },
		func() error {
			return owner.SetTransferSetting(ctx, TransferSetting{HubCountry: "DE", OwnerCountries: []string{"DE", "CN"}})
		},
		func() error {
			return owner.SetBackupConfig(ctx, BackupConfig{Folder: folder, Full: 24 * time.Hour, Differential: 6 * time.Hour, Incremental: time.Hour, KeepFulls: 2})
		},
		func() error {
			return owner.SetBackupConfig(ctx, BackupConfig{Folder: folder + "2", Full: 24 * time.Hour, Differential: 6 * time.Hour, Incremental: 2 * time.Hour, KeepFulls: 2})
		},
		func() error { _, err := owner.SetRetentionPolicy(ctx, DefaultRetention); return err },
		func() error {
			p := DefaultRetention
			p.InactiveYears++
			_, err := owner.SetRetentionPolicy(ctx, p)
			return err
		},
		func() error { return owner.SetReviewEvery(ctx, 30) },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	log := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: ActionSettingChange}))
	var got []string
	for _, e := range log {
		got = append(got, e.Detail)
		if e.Target == "" || !strings.HasPrefix(e.Detail, e.Target+"=") {
			t.Errorf("entry %d: target %q, detail %q", e.Seq, e.Target, e.Detail)
		}
		if strings.Contains(e.Detail, "olga-privat") || strings.Contains(e.Detail, "/") {
			t.Errorf("a folder path reached the trail: %s", e.Detail)
		}
	}
	for _, want := range []string{
		"checkup.every_days=-->30", "checkup.silent_days=-->7", "checkup.silent_days=7->10",
		"transfer.hub_country=-->DE", "transfer.owner_countries=-->CN,DE",
		"backup.folder=-->(a folder)", "backup.incremental=-->1h0m0s", "backup.keep_fulls=-->2",
		"backup.folder=(a folder)->(another folder)", "backup.incremental=1h0m0s->2h0m0s",
		"retention.inactive_years=-->6", "retention.inactive_years=6->7", "retention.audit_years=-->6",
		"review.every_days=-->30",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	// An unchanged value records nothing: the second schedule kept every_days at 30.
	n := 0
	for _, d := range got {
		if strings.HasPrefix(d, "checkup.every_days=") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("every_days recorded %d times", n)
	}
	// One entry per change: the review period's write does not add a second.
	n = 0
	for _, d := range got {
		if strings.HasPrefix(d, "review.every_days=") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("review.every_days recorded %d times", n)
	}
}

// TestCheckupFindsAChangedSetting: a setting changed since the last check-up is a finding of
// the next, with its old and new value and who changed it; one changed before is not.
func TestCheckupFindsAChangedSetting(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	first := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	clk.Advance(time.Hour)
	if err := owner.SetCheckupSettings(ctx, CheckupSettings{EveryDays: 60, SilentDays: 14}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if !r.Since.Equal(first.At) {
		t.Errorf("since %v, want the first run's %v", r.Since, first.At)
	}
	var change *checkup.Finding
	for i, x := range r.Findings {
		if x.Kind == "config_change" && x.Args["name"] == "checkup.every_days" {
			change = &r.Findings[i]
		}
	}
	if change == nil {
		t.Fatalf("no finding for the changed setting: %v", findingKeys(r))
	}
	if change.Args["old"] != "-" || change.Args["new"] != "60" || change.Args["by"] != "olga" || change.Severity != checkup.Info {
		t.Errorf("finding: %+v", change)
	}
	if d := change.Detail(checkup.EN); !strings.Contains(d, "checkup.every_days changed from (not set) to 60 by olga") {
		t.Errorf("detail: %s", d)
	}
	clk.Advance(time.Hour)
	third := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	for _, x := range third.Findings {
		if x.Kind == "config_change" {
			t.Errorf("a change from before the last check-up is listed again: %+v", x)
		}
	}
}

// TestCheckupFindsAnOverdueBackup: no folder is high; a folder with no backup is high; a
// backup older than the most frequent scheduled kind is an overdue finding, and so is a drill
// that passed longer ago; a failed latest drill is a finding of its own.
func TestCheckupFindsAnOverdueBackup(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, st := f.users["olga"], f.st
	me := st.DeviceID()
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := findingOf(t, r, "backup_none:"+me); x.Severity != checkup.High {
		t.Errorf("no folder: %+v", x)
	}
	if err := owner.SetBackupConfig(ctx, BackupConfig{Folder: t.TempDir(), Full: 7 * 24 * time.Hour, Differential: 24 * time.Hour, Incremental: 6 * time.Hour, KeepFulls: 2}); err != nil {
		t.Fatal(err)
	}
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	findingOf(t, r, "backup_never:"+me)
	// A backup and its drill, as the scheduler audits them; then two days pass.
	for _, e := range []Event{{Action: "backup.create", Target: "b1", Detail: "kind=full"}, {Action: "backup.drill", Target: "b1"}} {
		if err := st.Audit(ctx, System("backup-scheduler"), e); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	for _, k := range []string{"backup_none:" + me, "backup_never:" + me, "backup_overdue:" + me, "drill_overdue:" + me} {
		if r.Finding(k) != nil {
			t.Errorf("fresh backup: %s found", k)
		}
	}
	clk.Advance(48 * time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	over := findingOf(t, r, "backup_overdue:"+me)
	if over.Severity != checkup.High || over.Args["hours"] != "49" || over.Args["limit_hours"] != "6" {
		t.Errorf("overdue: %+v", over)
	}
	findingOf(t, r, "drill_overdue:"+me)
	if err := st.Audit(ctx, System("backup-scheduler"), Event{Action: "backup.drill", Target: "b2", Outcome: "failed"}); err != nil {
		t.Fatal(err)
	}
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	findingOf(t, r, "drill_failed:"+me)
}

// TestCheckupDecisions: the owner marks findings fixed or accepted with a note. A fixed finding
// that is gone disappears from the next report; one still found reappears open (reopened); an
// accepted one stays listed as accepted. The note is sealed, and every run and decision is
// audited.
func TestCheckupDecisions(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, st := f.users["olga"], f.st
	me := st.DeviceID()
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	backupKey, hubKey := "backup_none:"+me, "not_connected"
	findingOf(t, r, backupKey)
	findingOf(t, r, hubKey)
	const note = "Olga: the USB disk arrives on Monday"
	if err := owner.DecideCheckupFinding(ctx, backupKey, "fixed", note); err != nil {
		t.Fatal(err)
	}
	if err := owner.DecideCheckupFinding(ctx, hubKey, "accepted", "one shop, no hub yet"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ key, decision, note string }{
		{"nope:1", "fixed", ""}, {backupKey, "ignored", ""}, {backupKey, "fixed", strings.Repeat("x", 1001)},
	} {
		if err := owner.DecideCheckupFinding(ctx, bad.key, bad.decision, bad.note); err == nil {
			t.Errorf("decision %+v accepted", bad)
		}
	}
	// The report of that run shows the decisions with the note opened.
	shown := must[*checkup.Report](t)(owner.CheckupReport(ctx, r.RunID))
	if x := findingOf(t, shown, backupKey); x.Status != checkup.Fixed || x.Note != note || x.DecidedBy != "olga" {
		t.Errorf("decided finding: %+v", x)
	}
	// The note is nowhere in the file in clear.
	st.Close()
	if b := readDBFiles(t, st.Dir()); bytes.Contains(b, []byte("USB disk")) {
		t.Fatal("the note is in the database file in clear")
	}
	st2 := must[*Store](t)(Open(ctx, st.Dir(), f.st.opts))
	t.Cleanup(func() { st2.Close() })
	owner = signIn(t, st2, "olga", "owner-password-1")
	// Not fixed after all: the next run shows it open again, marked reopened; accepted stays.
	clk.Advance(time.Hour)
	next := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := findingOf(t, next, backupKey); x.Status != checkup.Open || !x.Reopened {
		t.Errorf("fixed but still found: %+v", x)
	}
	if x := findingOf(t, next, hubKey); x.Status != checkup.Accepted {
		t.Errorf("accepted: %+v", x)
	}
	// Fixed for real: the folder is set and a backup taken. The next report has it no more.
	if err := owner.SetBackupConfig(ctx, BackupConfig{Folder: t.TempDir(), Full: 7 * 24 * time.Hour, Differential: 24 * time.Hour, Incremental: 6 * time.Hour, KeepFulls: 2}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Event{{Action: "backup.create", Target: "b1"}, {Action: "backup.drill", Target: "b1"}} {
		must[struct{}](t)(struct{}{}, st2.Audit(ctx, System("backup-scheduler"), e))
	}
	if err := owner.DecideCheckupFinding(ctx, backupKey, "fixed", ""); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	last := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	for _, k := range findingKeys(last) {
		if strings.HasPrefix(k, "backup_") || strings.HasPrefix(k, "drill_") {
			t.Errorf("a fixed finding is still in the report: %s", k)
		}
	}
	findingOf(t, last, hubKey)
	// Runs are kept, newest first, and every run and decision is in the trail.
	runs := must[[]CheckupRunInfo](t)(owner.CheckupRuns(ctx, 0))
	if len(runs) != 3 || runs[0].ID != last.RunID || runs[2].ID != r.RunID {
		t.Fatalf("runs: %+v", runs)
	}
	trail := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{Action: "checkup."}))
	counts := map[string]int{}
	for _, e := range trail {
		counts[e.Action]++
		if e.Action == "checkup.decide" && strings.Contains(e.Detail, "USB") {
			t.Errorf("the note is in an audit detail: %s", e.Detail)
		}
	}
	if counts["checkup.run"] != 3 || counts["checkup.decide"] != 3 || counts["checkup.read"] != 1 || counts["checkup.list"] != 1 {
		t.Errorf("audited: %v", counts)
	}
	// An old run renders again at any time, in both languages.
	old := must[*checkup.Report](t)(owner.CheckupReport(ctx, r.RunID))
	for _, l := range []checkup.Lang{checkup.EN, checkup.ZH} {
		h := must[[]byte](t)(old.HTML(l, time.Now()))
		if !bytes.Contains(h, []byte(r.RunID)) || !bytes.Contains(h, []byte("arrives on Monday")) {
			t.Errorf("%s: the kept report does not render", l)
		}
	}
}

// readDBFiles reads the database file and its write-ahead log.
func readDBFiles(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	for _, name := range []string{DBFile, DBFile + "-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		all = append(all, b...)
	}
	return all
}

// TestCheckupOwnerOnly: a manager, a salesperson and an auditor can neither run nor read the
// check-up; each denial is audited.
func TestCheckupOwnerOnly(t *testing.T) {
	ctx := context.Background()
	f, _ := clockFixture(t)
	must[*checkup.Report](t)(f.users["olga"].RunCheckup(ctx))
	for _, name := range []string{"mia", "sam"} {
		ss := f.users[name]
		if _, err := ss.RunCheckup(ctx); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s runs: %v", name, err)
		}
		if _, err := ss.CheckupReport(ctx, ""); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s reads: %v", name, err)
		}
		if err := ss.DecideCheckupFinding(ctx, "not_connected", "accepted", ""); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s decides: %v", name, err)
		}
		if err := ss.SetCheckupSettings(ctx, CheckupSettings{EveryDays: 1, SilentDays: 1}); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s sets: %v", name, err)
		}
		if _, ran, err := ss.RunCheckupIfDue(ctx); ran || err != nil {
			t.Errorf("%s: scheduled run %v %v", name, ran, err)
		}
	}
	denied := 0
	for _, e := range must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Action: "checkup."})) {
		if e.Outcome == "denied" {
			denied++
		}
	}
	if denied != 8 {
		t.Errorf("%d denials audited, want 8", denied)
	}
}

// TestCheckupSchedule: due before the first run and EveryDays after the last; a scheduled run
// happens then and not before; the status counts open urgent findings.
func TestCheckupSchedule(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	st := must[CheckupStatus](t)(owner.CheckupStatus(ctx))
	if !st.Overdue || !st.LastRun.IsZero() || st.Settings.EveryDays != DefaultCheckupEveryDays || st.Settings.SilentDays != DefaultCheckupSilentDays {
		t.Fatalf("before the first: %+v", st)
	}
	r, ran, err := owner.RunCheckupIfDue(ctx)
	if err != nil || !ran || r.Trigger != CheckupScheduled {
		t.Fatalf("first scheduled run: %v %v %+v", ran, err, r)
	}
	if _, ran, _ := owner.RunCheckupIfDue(ctx); ran {
		t.Fatal("ran again at once")
	}
	st = must[CheckupStatus](t)(owner.CheckupStatus(ctx))
	if st.Overdue || st.High == 0 || !st.Due.Equal(st.LastRun.Add(91*24*time.Hour)) {
		t.Errorf("after: %+v", st)
	}
	if err := owner.SetCheckupSettings(ctx, CheckupSettings{EveryDays: 7, SilentDays: 14}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(6 * 24 * time.Hour)
	if _, ran, _ := owner.RunCheckupIfDue(ctx); ran {
		t.Fatal("ran before it was due")
	}
	clk.Advance(24 * time.Hour)
	if _, ran, err := owner.RunCheckupIfDue(ctx); !ran || err != nil {
		t.Fatalf("not run when due: %v", err)
	}
	for _, bad := range []CheckupSettings{{0, 14}, {367, 14}, {90, 0}, {90, 400}} {
		if err := owner.SetCheckupSettings(ctx, bad); err == nil {
			t.Errorf("settings %+v accepted", bad)
		}
	}
}

// TestCheckupIncidentsAndRequests: an open incident is high, past its 72 hours critical.
func TestCheckupIncidentsAndRequests(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner := f.users["olga"]
	id := must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentOther}))
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := findingOf(t, r, "incident_open:"+id); x.Severity != checkup.High {
		t.Errorf("open: %+v", x)
	}
	clk.Advance(73 * time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := findingOf(t, r, "incident_overdue:"+id); x.Severity != checkup.Critical {
		t.Errorf("overdue: %+v", x)
	}
	if st := must[CheckupStatus](t)(owner.CheckupStatus(ctx)); st.Critical != 1 {
		t.Errorf("status: %+v", st)
	}
	cust := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Rita Request", ShopID: f.north}))
	must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: cust, ShopID: f.north, Type: "access", Channel: "email"}))
	clk.Advance(60 * 24 * time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := findingOf(t, r, "requests_overdue"); x.Args["count"] != "1" {
		t.Errorf("requests: %+v", x)
	}
}

// TestCheckupHubView: the hub's version list, as sync saves it, gives the versions, unknown,
// revoked-at-hub and silent-device findings; an edited list in the file is refused.
func TestCheckupHubView(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, st := f.users["olga"], f.st
	me := st.DeviceID()
	now := clk.Now()
	view := HubView{Newest: "0.13.0", Hub: "0.12.0", Devices: []HubDevice{
		{ID: me, Role: "owner", Status: "active", Version: "0.12.0", LastSync: now},
		{ID: "stranger-1", Role: "shop", Status: "active", Version: "0.9.0", LastSync: now.Add(-30 * 24 * time.Hour)},
	}}
	if err := st.Replica().SaveHubView(ctx, view); err != nil {
		t.Fatal(err)
	}
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if version.Behind(version.Version, "0.13.0") != "" {
		if x := findingOf(t, r, "update_available:"+me); x.Args["version"] != version.Version || x.Args["newest"] != "0.13.0" {
			t.Errorf("this device: %+v", x)
		}
	}
	findingOf(t, r, "device_unknown:stranger-1")
	findingOf(t, r, "hub_update_available:hub")
	if r.Finding("update_available:stranger-1") != nil {
		t.Error("a device unknown to the roster got a version finding")
	}
	for _, bad := range []HubView{
		{Devices: []HubDevice{{ID: "a b", Role: "shop", Status: "active"}}},
		{Devices: []HubDevice{{ID: "d1", Role: "shop", Status: "active", Version: "latest"}}},
		{Newest: "<b>", Devices: nil},
		{Devices: []HubDevice{{ID: "d1", Role: "admin", Status: "active"}}},
	} {
		if err := st.Replica().SaveHubView(ctx, bad); err == nil {
			t.Errorf("malformed list %+v saved", bad)
		}
	}
	// The list is the book's to vouch for: edited in the file (to hide the stranger), it is
	// refused, and so is the check-up.
	if _, err := rawDB(t, st.Dir()).Exec("UPDATE meta SET value = CAST(replace(CAST(value AS TEXT), 'stranger-1', 'friendly-1') AS BLOB) WHERE key = ?", metaHubView); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.RunCheckup(ctx); !errors.Is(err, ErrTampered) {
		t.Fatalf("edited list: %v, want ErrTampered", err)
	}
	// Stale: a list older than the silent days.
	if err := st.Replica().SaveHubView(ctx, HubView{Devices: []HubDevice{{ID: me, Role: "owner", Status: "active", Version: version.Version}}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * 24 * time.Hour)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if x := r.Finding("hub_view_stale"); x == nil && st.mustSync(t) {
		t.Errorf("stale list not found: %v", findingKeys(r))
	}
}

// mustSync reports whether the store counts as connected (the stale-list finding is only for
// a device that syncs).
func (s *Store) mustSync(t *testing.T) bool {
	ss, err := s.SyncState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ss.Connected()
}

// TestForgedCheckupRows plays an attacker with the file: a run's findings rewritten (a
// critical finding turned into info, or a name planted in an argument) and a decision planted
// or altered are refused, named by their table.
func TestForgedCheckupRows(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, st := f.users["olga"], f.st
	id := must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentOther}))
	clk.Advance(73 * time.Hour)
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	findingOf(t, r, "incident_overdue:"+id)
	if err := owner.DecideCheckupFinding(ctx, "not_connected", "accepted", "fine"); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, st.Dir()) // the attacker's own connection to the file
	origFindings := must[[]string](t)(queryStrings(ctx, raw, "SELECT findings FROM checkup_runs"))[0]
	restore := func() {
		for _, q := range []string{"UPDATE checkup_runs SET findings = ?", "UPDATE checkup_decisions SET decision = 'accepted'",
			"DELETE FROM checkup_decisions WHERE id = '0190aaaa-0000-7000-8000-000000000001'"} {
			var args []any
			if strings.Contains(q, "?") {
				args = append(args, origFindings)
			}
			if _, err := raw.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name, sql string
		table     string
	}{
		{"critical made info", `UPDATE checkup_runs SET findings = replace(findings, '"critical"', '"info"')`, "checkup_runs"},
		{"a name in an argument", `UPDATE checkup_runs SET findings = replace(findings, '"kind":"other"', '"kind":"Olga Owner"')`, "checkup_runs"},
		{"decision flipped", `UPDATE checkup_decisions SET decision = 'fixed'`, "checkup_decisions"},
		{"decision planted", `INSERT INTO checkup_decisions SELECT '0190aaaa-0000-7000-8000-000000000001', run_id, 'incident_overdue:` + id + `', 'accepted', decided_by, decided_at, device_id, 0 FROM checkup_decisions`, "checkup_decisions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer restore()
			if _, err := raw.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			_, err := owner.CheckupReport(ctx, r.RunID)
			var te *TamperError
			if !errors.Is(err, ErrTampered) || !errors.As(err, &te) || te.Table != tc.table {
				t.Fatalf("report after %s: %v", tc.name, err)
			}
		})
	}
	if _, err := owner.CheckupReport(ctx, r.RunID); err != nil {
		t.Fatalf("after the rollbacks: %v", err)
	}
}

// TestPasswordPolicy: new passwords must be at least 12 characters and not common; a password
// from before the policy signs in, is recorded in the sign-in's entry, and on a device that may
// change it the session may do nothing else until it is changed; the check-up lists the account
// until then.
func TestPasswordPolicy(t *testing.T) {
	ctx := context.Background()
	f, clk := clockFixture(t)
	owner, st := f.users["olga"], f.st
	for _, tc := range []struct{ pw, want string }{
		{"short-pw-1", "at least 12"}, {"Password1234", "common"}, {"samuel.smith", "username"}, {"a much longer phrase", ""},
	} {
		_, err := owner.AddUser(ctx, NewUser{Username: "samuel.smith", Password: tc.pw, Roles: []Role{RoleSales}, ShopID: f.north})
		if tc.want == "" {
			if err != nil {
				t.Fatalf("%q refused: %v", tc.pw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.pw, err, tc.want)
		}
	}
	// sam's password predates the policy.
	setLegacyPassword(t, st, "sam", "sam-pw-10c")
	ss := signIn(t, st, "sam", "sam-pw-10c")
	if ss.PasswordRule() != PasswordShort || !ss.PasswordChangeRequired() {
		t.Fatalf("rule %q, required %v", ss.PasswordRule(), ss.PasswordChangeRequired())
	}
	if _, err := ss.CreateCustomer(ctx, CustomerInput{Name: "Nope"}); !errors.Is(err, ErrPasswordChange) || !errors.Is(err, ErrForbidden) {
		t.Fatalf("a write before the change: %v", err)
	}
	if _, err := ss.Stats(ctx); !errors.Is(err, ErrPasswordChange) {
		t.Fatalf("a read before the change: %v", err)
	}
	clk.Advance(time.Minute)
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	samID := ss.User().ID
	if x := findingOf(t, r, "password_weak:"+samID); x.Args["username"] != "sam" || x.Args["rule"] != "short" {
		t.Errorf("finding: %+v", x)
	}
	for _, bad := range []struct{ cur, next string }{{"wrong-password", "a much longer phrase"}, {"sam-pw-10c", "short"}, {"sam-pw-10c", "sam-pw-10c"}} {
		if err := ss.ChangePassword(ctx, bad.cur, bad.next); err == nil {
			t.Errorf("change %+v accepted", bad)
		}
	}
	if err := ss.ChangePassword(ctx, "sam-pw-10c", "sam's own long phrase"); err != nil {
		t.Fatal(err)
	}
	if ss.PasswordChangeRequired() {
		t.Fatal("still required after the change")
	}
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Now Fine"}))
	clk.Advance(time.Minute)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if r.Finding("password_weak:"+samID) != nil {
		t.Error("still listed after the change")
	}
	// The owner's reset clears it too.
	setLegacyPassword(t, st, "sue", "sue-pw-10c")
	signIn(t, st, "sue", "sue-pw-10c")
	pw := "reset by the owner 1"
	sue := must[User](t)(owner.UserByName(ctx, "sue"))
	if err := owner.UpdateUser(ctx, sue.ID, nil, nil, &pw); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	r = must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if r.Finding("password_weak:"+sue.ID) != nil {
		t.Error("listed after the owner's reset")
	}
	// Nothing of a password is in the trail.
	for _, e := range must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{})) {
		if strings.Contains(e.Detail, "pw-10c") || strings.Contains(e.Detail, "phrase") {
			t.Fatalf("a password in the trail: %+v", e)
		}
	}
}

// TestCheckupRowsTravel: runs and decisions reach the owner's other device, which reads the
// same report (the note opens there from the trail copy); a run row in a shop's set is
// refused; a run arriving in an org set whose findings are not what a check-up writes (a name
// planted in an argument) is stored as it came, but never shown: reading it is refused.
func TestCheckupRowsTravel(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	r := must[*checkup.Report](t)(owner.RunCheckup(ctx))
	if err := owner.DecideCheckupFinding(ctx, "not_connected", "accepted", "Olga's laptop stays offline"); err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)
	if _, err := b.st.applyRemoteAudit(ctx, a.st.DeviceID(), must[[]auditrec.Entry](t)(a.st.localAudit(ctx, 0, 1<<20))); err != nil {
		t.Fatal(err)
	}
	ownerB := signIn(t, b.st, "olga", "owner-password-1")
	got := must[*checkup.Report](t)(ownerB.CheckupReport(ctx, r.RunID))
	if f := got.Finding("not_connected"); f == nil || f.Status != checkup.Accepted || f.Note != "Olga's laptop stays offline" {
		t.Fatalf("on the second device: %+v", f)
	}
	shops := must[[]Shop](t)(owner.Shops(ctx))
	recs := []ChangeRecord{{HLC: 1 << 50, Device: a.st.DeviceID(), Scope: shops[0].ID, Table: "checkup_runs", RowID: newID(), Column: "trigger", Value: "manual"}}
	if _, err := b.st.applyRemote(ctx, a.st.DeviceID(), shops[0].ID, recs, 0); !errors.Is(err, ErrRemote) {
		t.Fatalf("a run in a shop's set: %v", err)
	}
	forged := newID()
	var set []ChangeRecord
	for col, v := range map[string]any{"at": time.Now().UnixMilli() + 1000, "since": int64(0), "run_by": "u", "device_id": a.st.DeviceID(), "trigger": "manual",
		"version": "0.12.0", "findings": `[{"key":"x:1","source":"s","kind":"x","severity":"low","status":"open","args":{"who":"Ada Lovelace <ada@example.com>"}}]`} {
		set = append(set, ChangeRecord{HLC: 1 << 55, Device: a.st.DeviceID(), Scope: OrgScope, Table: "checkup_runs", RowID: forged, Column: col, Value: v})
	}
	if _, err := b.st.applyRemote(ctx, a.st.DeviceID(), OrgScope, set, 0); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := ownerB.CheckupReport(ctx, forged); !errors.Is(err, ErrTampered) {
		t.Fatalf("a forged run was shown: %v", err)
	}
	if _, err := ownerB.CheckupReport(ctx, ""); !errors.Is(err, ErrTampered) {
		t.Fatalf("the forged run, newest, was shown as the latest: %v", err)
	}
}

// TestPasswordMinLengthOnlyStricter: the option raises the minimum, never lowers it.
func TestPasswordMinLengthOnlyStricter(t *testing.T) {
	for _, tc := range []struct {
		min  int
		pw   string
		rule string
	}{{0, "eleven-char", PasswordShort}, {5, "eleven-char", PasswordShort}, {0, "twelve-chars", ""}, {20, "twelve-chars", PasswordShort},
		{20, "twenty characters ok", ""}, {0, "PASSWORD1234", PasswordCommon}, {0, "Samuel.Smith", ""}} {
		o := Options{PasswordMinLength: tc.min}
		if got := o.passwordPolicy("sam", tc.pw); got != tc.rule {
			t.Errorf("min %d, %q: %q, want %q", tc.min, tc.pw, got, tc.rule)
		}
	}
	o := Options{}
	if o.passwordPolicy("samuel.smith", "Samuel.Smith") != PasswordUsername {
		t.Error("the username as password passed")
	}
}

// FuzzSettingChange: a configuration change's detail, as settingChanged writes it, reads back
// as the change (values without the separator), whatever the values were.
func FuzzSettingChange(f *testing.F) {
	f.Add("backup.incremental", "1h0m0s", "2h0m0s")
	f.Add("transfer.owner_countries", "", "CN,DE")
	f.Add("x", "a->b", "\n")
	f.Fuzz(func(t *testing.T, name, old, new string) {
		if name == "" || strings.ContainsAny(name, "=") || strings.Contains(name, "->") {
			return
		}
		w := &wtx{}
		w.settingChanged(name, old, new)
		if old == new {
			if len(w.also) != 0 {
				t.Fatal("an unchanged value was recorded")
			}
			return
		}
		if len(w.also) != 1 || w.also[0].Action != ActionSettingChange || w.also[0].Target != name {
			t.Fatalf("entries: %+v", w.also)
		}
		c, ok := parseSettingChange(w.also[0].Detail)
		if !ok || c.Name != name || c.Old != settingValue(old) || c.New != settingValue(new) {
			t.Fatalf("%q -> %+v %v", w.also[0].Detail, c, ok)
		}
		if strings.Contains(c.Old, "->") || strings.Contains(c.New, "->") || len(c.Old) > maxSettingValue+3 {
			t.Fatalf("values not bounded: %+v", c)
		}
	})
}
