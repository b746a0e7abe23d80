package store

import (
	"fmt"
	"strings"
	"time"
)

// Configuration changes. Every write that configures the shop (an org setting, this device's
// backup schedule, the retention policy, where the master key is kept, the check-up's
// schedule) records each value it changes through settingChanged: an audit entry of its own in
// the same transaction, action "settings.change", target the setting's name and detail
// "name=old->new". Values are business values (codes, numbers, durations, country codes);
// where a value could name a person (a folder path holds a user name) the caller passes a
// placeholder. The check-up lists every change since the last one from these entries, of this
// device and of the other devices' trail copies.

// ActionSettingChange is the audit action of one configuration change.
const ActionSettingChange = "settings.change"

// maxSettingValue bounds a value in the trail.
const maxSettingValue = 64

// settingChanged records that setting name changed from old to new in this write ("" is "not
// set"); an unchanged value records nothing.
func (w *wtx) settingChanged(name, old, new string) {
	if old == new {
		return
	}
	w.also = append(w.also, auditEntry{Action: ActionSettingChange, Target: name,
		Detail: name + "=" + settingValue(old) + "->" + settingValue(new)})
}

// settingValue is a value as the trail shows it: "-" for none, cut short, without the
// separators the detail uses.
func settingValue(v string) string {
	if v == "" {
		return "-"
	}
	v = strings.NewReplacer("->", "_", "\n", " ", "\r", " ").Replace(v)
	if len(v) > maxSettingValue {
		v = v[:maxSettingValue]
	}
	return v
}

// SettingChange is one configuration change as the trail records it.
type SettingChange struct {
	Name, Old, New string
}

// parseSettingChange reads a settings.change detail back.
func parseSettingChange(detail string) (SettingChange, bool) {
	name, rest, ok := strings.Cut(detail, "=")
	if !ok {
		return SettingChange{}, false
	}
	old, new, ok := strings.Cut(rest, "->")
	return SettingChange{Name: name, Old: old, New: new}, ok
}

// durationSetting prints a duration setting ("" for zero).
func durationSetting(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func intSetting(n int) string { return fmt.Sprint(n) }
