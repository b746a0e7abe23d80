package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"spoke/compliance/checkup"
	"spoke/crypto/roster"
	"spoke/version"
)

// The check-up's sources, one small function per concern, in the order a run asks them. Each
// reports findings whose arguments are ids, codes, dates and counts (compliance/checkup checks
// their shape); their texts are in compliance/checkup/catalog.go. Another part adds its concern
// with one line here (or in its own file's init): registerCheckupSource(name, fn).
func init() {
	registerCheckupSource("hub", checkupHub)
	registerCheckupSource("versions", checkupVersions)
	registerCheckupSource("devices", checkupDevices)
	registerCheckupSource("keystore", checkupKeyStore)
	registerCheckupSource("backups", checkupBackups)
	registerCheckupSource("requests", checkupRequests)
	registerCheckupSource("incidents", checkupIncidents)
	registerCheckupSource("passwords", checkupPasswords)
	registerCheckupSource("config", checkupConfig)
}

// checkupTime prints a time as findings carry it (the device's local time, to the minute).
func checkupTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// checkupHub: whether this device syncs with a hub, and how old the hub's version list is.
func checkupHub(e *checkupEnv) ([]checkup.Finding, error) {
	switch {
	case !e.sync.Connected():
		return []checkup.Finding{checkup.F("hub", "not_connected", checkup.Info, "")}, nil
	case e.hub == nil:
		return []checkup.Finding{checkup.F("hub", "hub_view_missing", checkup.Low, "")}, nil
	}
	if age := e.now.Sub(e.hub.At); age > time.Duration(e.cfg.SilentDays)*24*time.Hour {
		return []checkup.Finding{checkup.F("hub", "hub_view_stale", checkup.Medium, "", "days", fmt.Sprint(days(age)), "at", checkupTime(e.hub.At))}, nil
	}
	return nil, nil
}

// checkupVersions: this device's and every active device's Spoke version against the newest
// the hub has seen (and this build's), and the hub's own. A device whose version is a major
// release behind is high, any other update medium.
func checkupVersions(e *checkupEnv) ([]checkup.Finding, error) {
	if e.hub == nil {
		return nil, nil
	}
	st, err := e.s.Roster(e.ctx)
	if errors.Is(err, ErrNoRoster) {
		st, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	newest := version.Newest(e.hub.Newest, version.Version)
	me := e.s.deviceID
	var out []checkup.Finding
	behind := func(dev, v string) {
		sev := checkup.Medium
		switch version.Behind(v, newest) {
		case "":
			return
		case "major":
			sev = checkup.High
		}
		out = append(out, checkup.F("versions", "update_available", sev, dev, "device", dev, "version", checkup.Arg(v), "newest", checkup.Arg(newest)))
	}
	sawMe := false
	for _, d := range e.hub.Devices {
		if d.Status != "active" || (st != nil && st.Member(d.ID) == nil && d.ID != me) {
			continue // revoked, or unknown to the roster (the devices source reports it)
		}
		v := d.Version
		if d.ID == me {
			v, sawMe = version.Version, true
		}
		if v == "" {
			out = append(out, checkup.F("versions", "version_unknown", checkup.Low, d.ID, "device", d.ID))
			continue
		}
		behind(d.ID, v)
	}
	if !sawMe {
		behind(me, version.Version)
	}
	if e.hub.Hub != "" && version.Behind(e.hub.Hub, newest) != "" {
		out = append(out, checkup.F("versions", "hub_update_available", checkup.Low, "hub", "hub", checkup.Arg(e.hub.Hub), "newest", checkup.Arg(newest)))
	}
	return out, nil
}

// checkupDevices: the hub's devices against the owner-signed roster (revoked in the roster
// but active at the hub, active at the hub but unknown to the roster, revoked at the hub only),
// and devices not synced for CheckupSettings.SilentDays.
func checkupDevices(e *checkupEnv) ([]checkup.Finding, error) {
	if e.hub == nil {
		return nil, nil
	}
	st, err := e.s.Roster(e.ctx)
	if errors.Is(err, ErrNoRoster) {
		st, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	limit := time.Duration(e.cfg.SilentDays) * 24 * time.Hour
	var out []checkup.Finding
	atHub := map[string]bool{}
	for _, d := range e.hub.Devices {
		atHub[d.ID] = true
		var m *roster.MemberState
		if st != nil {
			m = st.Member(d.ID)
		}
		active := d.Status == "active"
		switch {
		case st != nil && m == nil && active && d.ID != e.s.deviceID:
			out = append(out, checkup.F("devices", "device_unknown", checkup.High, d.ID, "device", d.ID))
			continue
		case m != nil && !m.Active && active:
			out = append(out, checkup.F("devices", "device_revoked_active", checkup.High, d.ID, "device", d.ID))
			continue
		case m != nil && m.Active && !active:
			out = append(out, checkup.F("devices", "device_revoked_at_hub", checkup.Medium, d.ID, "device", d.ID))
			continue
		}
		if !active || d.ID == e.s.deviceID {
			continue // this device syncs as it runs the check-up (the hub source says how old the list is)
		}
		last := d.LastSync
		if last.IsZero() {
			last = d.LastSeen // a release from before version reports: any call to the hub
		}
		if last.IsZero() {
			last = d.EnrolledAt
		}
		if last.IsZero() {
			continue
		}
		if age := e.now.Sub(last); age > limit {
			out = append(out, checkup.F("devices", "device_silent", checkup.Medium, d.ID, "device", d.ID, "role", d.Role,
				"days", fmt.Sprint(days(age)), "last", checkupTime(last), "limit", fmt.Sprint(e.cfg.SilentDays)))
		}
	}
	return out, nil
}

// checkupKeyStore: this device's master key under a passphrase rather than in the keychain
// (medium where no hub anchors the trail either, low otherwise).
func checkupKeyStore(e *checkupEnv) ([]checkup.Finding, error) {
	if e.s.keyStore != KeyStorePassphrase {
		return nil, nil
	}
	sev := checkup.Low
	if !e.sync.Connected() {
		sev = checkup.Medium
	}
	return []checkup.Finding{checkup.F("keystore", "key_passphrase", sev, e.s.deviceID, "device", e.s.deviceID)}, nil
}

// checkupBackups: this device's backup schedule, its newest backup and its newest passing
// restore drill (from its own trail: backup.create and backup.drill entries), against the most
// frequent scheduled kind, as the Backups screen measures them.
func checkupBackups(e *checkupEnv) ([]checkup.Finding, error) {
	me := e.s.deviceID
	var cfg BackupConfig
	v, err := e.s.metaChecked(e.ctx, e.s.db, metaBackupConfig)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(v, &cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Folder == "" {
		return []checkup.Finding{checkup.F("backups", "backup_none", checkup.High, me, "device", me)}, nil
	}
	limit := time.Duration(0)
	for _, d := range []time.Duration{cfg.Incremental, cfg.Differential, cfg.Full} {
		if d > 0 && (limit == 0 || d < limit) {
			limit = d
		}
	}
	lastOf := func(action, outcome string) (time.Time, error) {
		var at int64
		err := e.s.db.QueryRowContext(e.ctx, "SELECT COALESCE(MAX(at), 0) FROM audit WHERE action = ? AND outcome = ?", action, outcome).Scan(&at)
		if err != nil || at == 0 {
			return time.Time{}, err
		}
		return time.UnixMilli(at), nil
	}
	backup, err := lastOf("backup.create", "ok")
	if err != nil {
		return nil, err
	}
	if backup.IsZero() {
		return []checkup.Finding{checkup.F("backups", "backup_never", checkup.High, me, "device", me)}, nil
	}
	limitHours := fmt.Sprint(int(limit.Hours()))
	var out []checkup.Finding
	if age := e.now.Sub(backup); age > limit {
		out = append(out, checkup.F("backups", "backup_overdue", checkup.High, me, "device", me, "last", checkupTime(backup),
			"hours", fmt.Sprint(int(age.Hours())), "limit_hours", limitHours))
	}
	var outcome string
	var at int64
	err = e.s.db.QueryRowContext(e.ctx, "SELECT outcome, at FROM audit WHERE action = 'backup.drill' ORDER BY seq DESC LIMIT 1").Scan(&outcome, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if outcome == "failed" {
		return append(out, checkup.F("backups", "drill_failed", checkup.High, me, "device", me, "at", checkupTime(time.UnixMilli(at)))), nil
	}
	drill, err := lastOf("backup.drill", "ok")
	if err != nil {
		return nil, err
	}
	if drill.IsZero() || e.now.Sub(drill) > limit {
		last := "never"
		if !drill.IsZero() {
			last = checkupTime(drill)
		}
		out = append(out, checkup.F("backups", "drill_overdue", checkup.Medium, me, "device", me, "last", last, "limit_hours", limitHours))
	}
	return out, nil
}

// checkupRequests: privacy requests past their legal deadline (every shop: the owner's count).
func checkupRequests(e *checkupEnv) ([]checkup.Finding, error) {
	sum, err := e.ss.OverdueSummary(e.ctx)
	if err != nil || sum.Overdue == 0 {
		return nil, err
	}
	return []checkup.Finding{checkup.F("requests", "requests_overdue", checkup.High, "", "count", fmt.Sprint(sum.Overdue))}, nil
}

// checkupIncidents: open incidents of the breach register; one past its 72-hour deadline is
// critical.
func checkupIncidents(e *checkupEnv) ([]checkup.Finding, error) {
	ids, err := queryStrings(e.ctx, e.s.db, "SELECT id FROM incidents WHERE closed_at = 0 ORDER BY opened_at, id")
	if err != nil {
		return nil, err
	}
	var out []checkup.Finding
	for _, id := range ids {
		inc, err := e.s.loadIncident(e.ctx, e.s.db, id)
		if err != nil {
			return nil, err
		}
		if !inc.Open() {
			continue
		}
		kind, sev := "incident_open", checkup.High
		if inc.Overdue(e.now) {
			kind, sev = "incident_overdue", checkup.Critical
		}
		out = append(out, checkup.F("incidents", kind, sev, id, "incident", id, "kind", inc.Kind, "due", checkupTime(inc.NotifyDueAt)))
	}
	return out, nil
}

// checkupAudit is one entry of this device's trail or another device's copy.
type checkupAudit struct {
	device, user, action, target, fields, outcome, detail string
	seq, at                                               int64
}

// trailEntries reads this device's entries and the other devices' copies with one of the
// actions, after since (unix ms), in time order.
func (s *Store) trailEntries(ctx context.Context, since int64, actions ...string) ([]checkupAudit, error) {
	marks := placeholders(len(actions))
	args := []any{s.deviceID, since}
	args = append(args, anys(actions)...)
	args = append(args, since)
	args = append(args, anys(actions)...)
	rows, err := s.db.QueryContext(ctx, `SELECT ? AS device_id, seq, at, user_id, action, target, fields, outcome, detail FROM audit WHERE at > ? AND action IN (`+marks+`)
		UNION ALL SELECT device_id, seq, at, user_id, action, target, fields, outcome, detail FROM remote_audit WHERE at > ? AND action IN (`+marks+`)
		ORDER BY at, device_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []checkupAudit
	for rows.Next() {
		var a checkupAudit
		if err := rows.Scan(&a.device, &a.seq, &a.at, &a.user, &a.action, &a.target, &a.fields, &a.outcome, &a.detail); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// checkupPasswords: active accounts whose latest sign-in, on any device whose trail this
// device holds, failed the password policy (password.go) and whose password has not been
// changed since.
func checkupPasswords(e *checkupEnv) ([]checkup.Finding, error) {
	users, err := e.s.verifiedUsers(e.ctx, "active = 1")
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.id] = u.username
	}
	entries, err := e.s.trailEntries(e.ctx, 0, "auth.sign_in", "user.password", "user.update")
	if err != nil {
		return nil, err
	}
	type state struct {
		rule string
		at   int64
	}
	last := map[string]state{}
	for _, a := range entries {
		if a.outcome != "ok" || names[a.target] == "" {
			continue
		}
		switch a.action {
		case "auth.sign_in":
			rule := ""
			if r, ok := strings.CutPrefix(withoutToken(a.detail), "password_policy="); ok {
				rule, _, _ = strings.Cut(r, " ")
			}
			last[a.target] = state{rule, a.at}
		default: // a password changed (by the user, or reset by the owner) passes the policy
			if a.action == "user.password" || strings.Contains(","+a.fields+",", ",password_hash,") {
				last[a.target] = state{"", a.at}
			}
		}
	}
	var out []checkup.Finding
	for _, u := range users {
		st := last[u.id]
		if st.rule == "" {
			continue
		}
		out = append(out, checkup.F("passwords", "password_weak", checkup.High, u.id, "username", checkup.Arg(u.username),
			"rule", checkup.Arg(st.rule), "at", checkupTime(time.UnixMilli(st.at))))
	}
	return out, nil
}

// checkupConfigMax bounds the configuration changes one run lists; the rest are counted.
const checkupConfigMax = 200

// checkupConfig: every configuration change since the last check-up (settings.change entries
// of this device's trail and the other devices' copies), each an information finding.
func checkupConfig(e *checkupEnv) ([]checkup.Finding, error) {
	var since int64
	if !e.since.IsZero() {
		since = e.since.UnixMilli()
	}
	entries, err := e.s.trailEntries(e.ctx, since, ActionSettingChange)
	if err != nil {
		return nil, err
	}
	var out []checkup.Finding
	for i, a := range entries {
		if i == checkupConfigMax {
			out = append(out, checkup.F("config", "config_changes_more", checkup.Info, "", "count", fmt.Sprint(len(entries)-checkupConfigMax)))
			break
		}
		c, ok := parseSettingChange(withoutToken(a.detail))
		if !ok {
			continue
		}
		by := e.s.username(e.ctx, a.user)
		if by == "" {
			by = a.user
		}
		out = append(out, checkup.F("config", "config_change", checkup.Info, a.device+":"+fmt.Sprint(a.seq),
			"name", checkup.Arg(c.Name), "old", checkup.Arg(c.Old), "new", checkup.Arg(c.New), "by", checkup.Arg(by),
			"at", checkupTime(time.UnixMilli(a.at)), "device", checkup.Arg(a.device)))
	}
	return out, nil
}
