package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"spoke/compliance/checkup"
	"spoke/version"
)

// The periodic security check-up: the shop's own security audit, like a password manager's
// security dashboard. A run asks every registered source (checkup_sources.go) what it finds
// and keeps the findings, each with a severity and a stable key, in a checkup_runs row (org
// scope, written on an owner device, so every owner device holds every run). The owner marks
// a finding of the latest run fixed or accepted, with a note (checkup_decisions; the note is
// the sealed reason of the decision's audit entry). The next run lists a finding marked
// accepted as accepted while it is still found, and one marked fixed that is still found as
// open again (reopened); a finding no longer found is not in it at all. Runs are kept and can
// be rendered again at any time (compliance/checkup). It is due every CheckupSettings.EveryDays
// (default quarterly) and runs then at sign-in on an owner device (RunCheckupIfDue), and on
// demand. Owner only (OpUsers): the findings span every shop and the devices.

// The org settings of the check-up's schedule.
const (
	settingCheckupEvery  = "checkup.every_days"
	settingCheckupSilent = "checkup.silent_days"
)

// The defaults: quarterly, and a device silent for two weeks is a finding.
const (
	DefaultCheckupEveryDays  = 91
	DefaultCheckupSilentDays = 14
)

// The triggers of a run.
const (
	CheckupManual    = "manual"
	CheckupScheduled = "scheduled"
)

// checkupMaxFindings bounds one run (a source that finds thousands says so in a count).
const checkupMaxFindings = 500

// maxCheckupNote bounds a decision's note.
const maxCheckupNote = 1000

// CheckupSettings is the check-up's schedule.
type CheckupSettings struct {
	EveryDays  int `json:"every_days"`  // a run is due this many days after the last
	SilentDays int `json:"silent_days"` // a device not synced for longer is a finding
}

func (c CheckupSettings) validate() error {
	var ve ValidationError
	if c.EveryDays < 1 || c.EveryDays > 366 {
		ve.add("every_days", "must be 1 to 366 days")
	}
	if c.SilentDays < 1 || c.SilentDays > 365 {
		ve.add("silent_days", "must be 1 to 365 days")
	}
	return ve.orNil()
}

// checkupSettings reads the schedule from the org settings (defaults where unset or not a
// number in range).
func (s *Store) checkupSettings(ctx context.Context, q querier) (CheckupSettings, error) {
	vals, _, err := s.orgSettings(ctx, q)
	if err != nil {
		return CheckupSettings{}, err
	}
	c := CheckupSettings{EveryDays: DefaultCheckupEveryDays, SilentDays: DefaultCheckupSilentDays}
	if n, err := strconv.Atoi(vals[settingCheckupEvery]); err == nil && n >= 1 && n <= 366 {
		c.EveryDays = n
	}
	if n, err := strconv.Atoi(vals[settingCheckupSilent]); err == nil && n >= 1 && n <= 365 {
		c.SilentDays = n
	}
	return c, nil
}

// CheckupSettings returns the check-up's schedule (owner).
func (ss *Session) CheckupSettings(ctx context.Context) (CheckupSettings, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "checkup.settings", ""); err != nil {
		return CheckupSettings{}, err
	}
	return ss.s.checkupSettings(ctx, ss.s.db)
}

// SetCheckupSettings sets the check-up's schedule (owner, on an owner device: org settings
// every device receives). Each change is recorded as a configuration change.
func (ss *Session) SetCheckupSettings(ctx context.Context, c CheckupSettings) error {
	if err := c.validate(); err != nil {
		return err
	}
	return ss.write(ctx, "checkup.settings", func(w *wtx) error {
		w.audit.Target = OrgScope
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("every_days=%d silent_days=%d", c.EveryDays, c.SilentDays)
		if err := w.putSetting(ss.user.ID, settingCheckupEvery, strconv.Itoa(c.EveryDays)); err != nil {
			return err
		}
		return w.putSetting(ss.user.ID, settingCheckupSilent, strconv.Itoa(c.SilentDays))
	})
}

// checkupEnv is what a source reads: the session running the check-up (an owner's), the
// store, the run's clock, when the run before was (zero for the first), the schedule, the
// hub's last version list (nil before the first) and this device's sync state.
type checkupEnv struct {
	ctx   context.Context
	ss    *Session
	s     *Store
	now   time.Time
	since time.Time
	cfg   CheckupSettings
	hub   *HubView
	sync  SyncState
}

// checkupSource finds what one concern of the check-up has to report. It reads through the
// store as the owner's session may; it writes nothing.
type checkupSource func(e *checkupEnv) ([]checkup.Finding, error)

type namedCheckupSource struct {
	name string
	fn   checkupSource
}

var checkupSources []namedCheckupSource

// registerCheckupSource adds a source to every run, under a name of lower-case letters,
// digits and '_' (the findings' Source). A part of the store adds its concern with one line
// in an init function: registerCheckupSource("review", checkupReview). The kinds of finding it
// reports describe their texts with checkup.Describe.
func registerCheckupSource(name string, fn checkupSource) {
	checkupSources = append(checkupSources, namedCheckupSource{name, fn})
}

// CheckupSources names the registered sources in the order they run.
func CheckupSources() []string {
	out := make([]string, len(checkupSources))
	for i, s := range checkupSources {
		out[i] = s.name
	}
	return out
}

// checkupRun is one stored run.
type checkupRun struct {
	id, runBy, device, trigger, version string
	at, since                           int64
	findings                            []checkup.Finding
}

const checkupRunCols = "id, at, since, run_by, device_id, trigger, version, findings"

// loadCheckupRun reads a run, authenticated (fail closed on a row edited in the file), and
// checks that its findings are what a check-up writes.
func (s *Store) loadCheckupRun(ctx context.Context, q querier, id string) (*checkupRun, error) {
	var r checkupRun
	var findings string
	err := q.QueryRowContext(ctx, "SELECT "+checkupRunCols+" FROM checkup_runs WHERE id = ?", id).Scan(&r.id, &r.at, &r.since, &r.runBy, &r.device, &r.trigger, &r.version, &findings)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("check-up %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["checkup_runs"], id); err != nil {
		return nil, err
	}
	bad := func(col string) error {
		return &TamperError{Table: "checkup_runs", Row: id, Column: col, Reason: "not a value Spoke writes (codes, ids, dates and counts)"}
	}
	if r.trigger != CheckupManual && r.trigger != CheckupScheduled {
		return nil, bad("trigger")
	}
	if !version.Valid(r.version) {
		return nil, bad("version")
	}
	if err := json.Unmarshal([]byte(findings), &r.findings); err != nil || len(r.findings) > checkupMaxFindings+1 {
		return nil, bad("findings")
	}
	for _, f := range r.findings {
		if f.Check() != nil || f.Note != "" || f.DecidedBy != "" {
			return nil, bad("findings")
		}
	}
	return &r, nil
}

// latestCheckupRun returns the newest run, or nil before the first.
func (s *Store) latestCheckupRun(ctx context.Context, q querier) (*checkupRun, error) {
	var id string
	err := q.QueryRowContext(ctx, "SELECT id FROM checkup_runs ORDER BY at DESC, id DESC LIMIT 1").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.loadCheckupRun(ctx, q, id)
}

// checkupDecision is one stored decision.
type checkupDecision struct {
	id, run, finding, decision, by, device string
	at, noteSeq                            int64
}

// checkupDecisions reads decisions (all, or one run's) in the order they were made, each
// authenticated.
func (s *Store) checkupDecisions(ctx context.Context, q querier, runID string) ([]checkupDecision, error) {
	query := "SELECT id, run_id, finding, decision, decided_by, decided_at, device_id, note_seq FROM checkup_decisions"
	var args []any
	if runID != "" {
		query += " WHERE run_id = ?"
		args = append(args, runID)
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY decided_at, id", args...)
	if err != nil {
		return nil, err
	}
	var out []checkupDecision
	for rows.Next() {
		var d checkupDecision
		if err := rows.Scan(&d.id, &d.run, &d.finding, &d.decision, &d.by, &d.at, &d.device, &d.noteSeq); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range out {
		if err := s.checkRow(ctx, q, tables["checkup_decisions"], d.id); err != nil {
			return nil, err
		}
		if d.decision != string(checkup.Fixed) && d.decision != string(checkup.Accepted) {
			return nil, &TamperError{Table: "checkup_decisions", Row: d.id, Column: "decision", Reason: "not a decision Spoke writes"}
		}
	}
	return out, nil
}

// latestDecisions keeps the newest decision per finding key.
func latestDecisions(ds []checkupDecision) map[string]checkupDecision {
	out := map[string]checkupDecision{}
	for _, d := range ds {
		out[d.finding] = d
	}
	return out
}

// RunCheckup runs the check-up now (owner, on an owner device) and returns its report.
// Audited "checkup.run" with the counts of findings by severity.
func (ss *Session) RunCheckup(ctx context.Context) (*checkup.Report, error) {
	return ss.runCheckup(ctx, CheckupManual)
}

// RunCheckupIfDue runs the check-up as the scheduled run when none ran in the last
// CheckupSettings.EveryDays, on an owner device with an owner signed in (the app calls it at
// sign-in). It reports whether it ran. Checking writes nothing; on a shop's counter, or for
// another role, it does nothing.
func (ss *Session) RunCheckupIfDue(ctx context.Context) (*checkup.Report, bool, error) {
	if _, err := ss.allow(OpUsers, target{any: true}); err != nil || !ss.s.mayWrite(ctx, ss.s.db, OrgScope) {
		return nil, false, nil
	}
	st, err := ss.s.checkupStatus(ctx)
	if err != nil || !st.Overdue {
		return nil, false, err
	}
	r, err := ss.runCheckup(ctx, CheckupScheduled)
	return r, err == nil, err
}

func (ss *Session) runCheckup(ctx context.Context, trigger string) (*checkup.Report, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "checkup.run", ""); err != nil {
		return nil, err
	}
	if !ss.s.mayWrite(ctx, ss.s.db, OrgScope) {
		return nil, ErrOwnerDeviceOnly
	}
	env := &checkupEnv{ctx: ctx, ss: ss, s: ss.s, now: ss.s.opts.Now()}
	var err error
	if env.cfg, err = ss.s.checkupSettings(ctx, ss.s.db); err != nil {
		return nil, err
	}
	last, err := ss.s.latestCheckupRun(ctx, ss.s.db)
	if err != nil {
		return nil, err
	}
	if last != nil {
		env.since = time.UnixMilli(last.at)
	}
	if env.hub, err = ss.s.hubView(ctx, ss.s.db); err != nil {
		return nil, err
	}
	if env.sync, err = ss.s.SyncState(ctx); err != nil {
		return nil, err
	}
	var found []checkup.Finding
	seen := map[string]bool{}
	for _, src := range checkupSources {
		fs, err := src.fn(env)
		if err != nil {
			return nil, fmt.Errorf("check-up source %s: %w", src.name, err)
		}
		for _, f := range fs {
			if f.Source == "" {
				f.Source = src.name
			}
			if f.Status == "" {
				f.Status = checkup.Open
			}
			if err := f.Check(); err != nil {
				return nil, fmt.Errorf("check-up source %s: %w", src.name, err)
			}
			if !seen[f.Key] {
				seen[f.Key] = true
				found = append(found, f)
			}
		}
	}
	checkup.Sort(found)
	if len(found) > checkupMaxFindings {
		found = found[:checkupMaxFindings]
	}
	var report *checkup.Report
	err = ss.write(ctx, "checkup.run", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		ds, err := ss.s.checkupDecisions(ctx, w.tx, "")
		if err != nil {
			return err
		}
		latest := latestDecisions(ds)
		for i := range found {
			switch d, ok := latest[found[i].Key]; {
			case !ok:
			case d.decision == string(checkup.Accepted):
				found[i].Status = checkup.Accepted
			case d.decision == string(checkup.Fixed):
				found[i].Status, found[i].Reopened = checkup.Open, true
			}
		}
		b, err := json.Marshal(found)
		if err != nil {
			return err
		}
		id := newID()
		w.audit.Target = id
		var since int64
		if last != nil {
			since = last.at
		}
		if err := w.insert("checkup_runs", OrgScope, id, []col{
			plain("at", w.now), plain("since", since), plain("run_by", ss.user.ID), plain("device_id", ss.s.deviceID),
			plain("trigger", trigger), plain("version", version.Version), plain("findings", string(b)),
		}); err != nil {
			return err
		}
		report = &checkup.Report{RunID: id, At: time.UnixMilli(w.now), RunBy: ss.user.Username, Device: ss.s.deviceID, Trigger: trigger,
			Version: version.Version, Findings: found}
		if last != nil {
			report.Since = time.UnixMilli(last.at)
		}
		w.audit.Detail = countsDetail(report)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return report, nil
}

// countsDetail is a run's audit detail: how many findings of each severity, open and in all.
func countsDetail(r *checkup.Report) string {
	parts := []string{"trigger=" + r.Trigger, fmt.Sprintf("findings=%d", len(r.Findings))}
	for _, c := range r.Counts() {
		parts = append(parts, fmt.Sprintf("%s=%d", c.Severity, c.Open))
	}
	return strings.Join(parts, " ")
}

// CheckupReport returns a run's report with the owner's decisions on its findings (runID ""
// is the latest run; ErrNotFound before the first). Owner only; audited "checkup.read".
func (ss *Session) CheckupReport(ctx context.Context, runID string) (*checkup.Report, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "checkup.read", runID); err != nil {
		return nil, err
	}
	r, err := ss.s.checkupReport(ctx, runID, true)
	if err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "checkup.read", Target: r.RunID, Detail: fmt.Sprintf("findings=%d", len(r.Findings))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return r, nil
}

// checkupReport builds a run's report; with notes it opens the decisions' notes.
func (s *Store) checkupReport(ctx context.Context, runID string, notes bool) (*checkup.Report, error) {
	var run *checkupRun
	var err error
	if runID == "" {
		if run, err = s.latestCheckupRun(ctx, s.db); err == nil && run == nil {
			err = fmt.Errorf("no check-up has run yet: run one (spoke checkup run): %w", ErrNotFound)
		}
	} else {
		run, err = s.loadCheckupRun(ctx, s.db, runID)
	}
	if err != nil {
		return nil, err
	}
	r := &checkup.Report{RunID: run.id, At: time.UnixMilli(run.at), RunBy: s.username(ctx, run.runBy), Device: run.device,
		Trigger: run.trigger, Version: run.version, Findings: run.findings}
	if r.RunBy == "" {
		r.RunBy = run.runBy
	}
	if run.since > 0 {
		r.Since = time.UnixMilli(run.since)
	}
	ds, err := s.checkupDecisions(ctx, s.db, run.id)
	if err != nil {
		return nil, err
	}
	for key, d := range latestDecisions(ds) {
		f := r.Finding(key)
		if f == nil {
			continue
		}
		f.Status, f.DecidedAt = checkup.Status(d.decision), time.UnixMilli(d.at)
		if f.DecidedBy = s.username(ctx, d.by); f.DecidedBy == "" {
			f.DecidedBy = d.by
		}
		if notes && d.noteSeq > 0 {
			f.Note, err = s.checkupNote(ctx, d)
			if errors.Is(err, ErrReasonExpired) {
				f.NoteExpired, err = true, nil
			}
			if err != nil {
				return nil, err
			}
		}
	}
	checkup.Sort(r.Findings)
	return r, nil
}

// checkupNote opens a decision's note: the sealed reason of its audit entry, in this device's
// trail or in the copy of the deciding device's. The entry must be that decision's.
func (s *Store) checkupNote(ctx context.Context, d checkupDecision) (string, error) {
	table := "remote_audit"
	where := "device_id = ? AND seq = ?"
	args := []any{d.device, d.noteSeq}
	if d.device == s.deviceID {
		table, where, args = "audit", "seq = ?", []any{d.noteSeq}
	}
	var action, tgt string
	var reason []byte
	err := s.db.QueryRowContext(ctx, "SELECT action, target, reason FROM "+table+" WHERE "+where, args...).Scan(&action, &tgt, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // the deciding device's trail has not arrived here yet
	}
	if err != nil {
		return "", err
	}
	if action != "checkup.decide" || tgt != d.id || reason == nil {
		return "", &TamperError{Table: "checkup_decisions", Row: d.id, Column: "note_seq", Reason: "names an audit entry that is not this decision's"}
	}
	return s.openReason(ctx, s.db, d.device, d.noteSeq, reason)
}

// DecideCheckupFinding records the owner's decision on a finding of the latest run: fixed
// (the next run shows it again, as reopened, if it is still found) or accepted (listed as
// accepted while it is found), with an optional note. The note may hold anything a person
// types, so it is sealed (the decision's audit reason, under a key of its own wrapped under the
// org key) and expires with break-glass reasons under the retention policy. Owner only, on an
// owner device; audited "checkup.decide" with the finding's key and the decision.
func (ss *Session) DecideCheckupFinding(ctx context.Context, key, decision, note string) error {
	note = strings.TrimSpace(note)
	if decision != string(checkup.Fixed) && decision != string(checkup.Accepted) {
		return &FieldError{"decision", "must be fixed or accepted"}
	}
	if utf8.RuneCountInString(note) > maxCheckupNote {
		return &FieldError{"note", "must be at most 1000 characters"}
	}
	return ss.write(ctx, "checkup.decide", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		run, err := ss.s.latestCheckupRun(ctx, w.tx)
		if err != nil {
			return err
		}
		var f *checkup.Finding
		if run != nil {
			rep := checkup.Report{Findings: run.findings}
			f = rep.Finding(key)
		}
		if f == nil {
			return fmt.Errorf("finding %q is not in the latest check-up (see spoke checkup show): %w", checkup.Arg(key), ErrNotFound)
		}
		id := newID()
		var noteSeq int64
		if note != "" {
			// The note is this write's own audit entry's reason: the entry takes the next
			// sequence number of this device's trail (the transaction holds the write lock).
			if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM audit").Scan(&noteSeq); err != nil {
				return err
			}
			w.audit.Reason = note
		}
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("run=%s finding=%s decision=%s note=%t", run.id, f.Key, decision, note != "")
		return w.insert("checkup_decisions", OrgScope, id, []col{
			plain("run_id", run.id), plain("finding", f.Key), plain("decision", decision), plain("decided_by", ss.user.ID),
			plain("decided_at", w.now), plain("device_id", ss.s.deviceID), plain("note_seq", noteSeq),
		})
	})
}

// CheckupRunInfo is one run as the list of runs shows it.
type CheckupRunInfo struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	RunBy    string    `json:"run_by"`
	Device   string    `json:"device"`
	Trigger  string    `json:"trigger"`
	Version  string    `json:"version"`
	Findings int       `json:"findings"`
	// Open counts the findings of each severity left open at the run (decisions since aside).
	Open map[checkup.Severity]int `json:"open"`
}

// CheckupRuns lists the kept runs, newest first, at most limit (owner). Audited "checkup.list".
func (ss *Session) CheckupRuns(ctx context.Context, limit int) ([]CheckupRunInfo, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "checkup.list", ""); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	ids, err := queryStrings(ctx, ss.s.db, "SELECT id FROM checkup_runs ORDER BY at DESC, id DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	out := make([]CheckupRunInfo, 0, len(ids))
	for _, id := range ids {
		r, err := ss.s.loadCheckupRun(ctx, ss.s.db, id)
		if err != nil {
			return nil, err
		}
		info := CheckupRunInfo{ID: r.id, At: time.UnixMilli(r.at), RunBy: ss.s.username(ctx, r.runBy), Device: r.device, Trigger: r.trigger,
			Version: r.version, Findings: len(r.findings), Open: map[checkup.Severity]int{}}
		if info.RunBy == "" {
			info.RunBy = r.runBy
		}
		for _, f := range r.findings {
			if f.Status == checkup.Open {
				info.Open[f.Severity]++
			}
		}
		out = append(out, info)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "checkup.list", Detail: fmt.Sprintf("runs=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// CheckupStatus is what the notice banner says about the check-up.
type CheckupStatus struct {
	LastRun time.Time `json:"last_run,omitzero"`
	Due     time.Time `json:"due,omitzero"` // zero: due now (none ran yet)
	Overdue bool      `json:"overdue"`
	// Critical and High count the latest run's findings of that severity still open (neither
	// accepted nor marked fixed since).
	Critical int `json:"critical"`
	High     int `json:"high"`
	Settings CheckupSettings
}

// CheckupStatus says when the check-up is due and how many urgent findings are open (owner).
// It reads ids and codes only, for a banner refreshed on its own, so it is not audited as a
// read (a denial is).
func (ss *Session) CheckupStatus(ctx context.Context) (CheckupStatus, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "checkup.status", ""); err != nil {
		return CheckupStatus{}, err
	}
	return ss.s.checkupStatus(ctx)
}

func (s *Store) checkupStatus(ctx context.Context) (CheckupStatus, error) {
	cfg, err := s.checkupSettings(ctx, s.db)
	if err != nil {
		return CheckupStatus{}, err
	}
	st := CheckupStatus{Settings: cfg, Overdue: true}
	run, err := s.latestCheckupRun(ctx, s.db)
	if err != nil || run == nil {
		return st, err
	}
	st.LastRun = time.UnixMilli(run.at)
	st.Due = st.LastRun.Add(time.Duration(cfg.EveryDays) * 24 * time.Hour)
	st.Overdue = !s.opts.Now().Before(st.Due)
	r, err := s.checkupReport(ctx, run.id, false)
	if err != nil {
		return st, err
	}
	st.Critical, st.High = r.OpenAt(checkup.Critical), r.OpenAt(checkup.High)
	return st, nil
}
