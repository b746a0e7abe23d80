// Package checkup is the finding model of Spoke's periodic security check-up (the shop's own
// security audit) and the rendering of its report: severities, the shape of a finding (a stable
// key, a kind, arguments that are codes, ids, dates and numbers only), the texts of every kind
// in English and Simplified Chinese, and the report as an HTML document in either language.
// It is pure: the store runs the sources, keeps the runs and the owner's decisions, and asks
// this package what a finding says. It never reads a database, a clock or a file.
package checkup

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Severity is how urgent a finding is.
type Severity string

// The severities, most urgent first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists them most urgent first (the report's order).
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: 0 for critical up to 4 for info; -1 for an unknown one.
func (s Severity) Rank() int { return slices.Index(Severities, s) }

// Status is where a finding stands in a report.
type Status string

// The statuses. A run records open or accepted (an accepted finding stays accepted while it is
// found); the owner marks a finding of the latest run fixed or accepted.
const (
	Open     Status = "open"
	Accepted Status = "accepted"
	Fixed    Status = "fixed"
)

// Decisions are what the owner may decide on a finding.
var Decisions = []Status{Fixed, Accepted}

// Finding is one result of a check-up.
type Finding struct {
	// Key recognises the finding from one run to the next: its kind and what it is about
	// ("update_available:DEVICE", "password_weak:USER").
	Key string `json:"key"`
	// Source is the check that found it (versions, devices, backups...).
	Source   string   `json:"source"`
	Kind     string   `json:"kind"`
	Severity Severity `json:"severity"`
	// Args fill the kind's texts: ids, codes, versions, dates and counts, never a value a
	// person typed.
	Args   map[string]string `json:"args,omitempty"`
	Status Status            `json:"status"`
	// Reopened: the owner had marked it fixed before this run, and it is still found.
	Reopened bool `json:"reopened,omitempty"`

	// The owner's decision on it in this run, filled when a report is read (not part of the
	// run as recorded).
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	Note        string    `json:"note,omitempty"`
	NoteExpired bool      `json:"note_expired,omitempty"`
}

// F makes a finding of kind about subject (the key is "kind:subject", or the kind alone when
// subject is ""), with args as key, value pairs.
func F(source, kind string, sev Severity, subject string, args ...string) Finding {
	key := kind
	if subject != "" {
		key += ":" + subject
	}
	f := Finding{Key: key, Source: source, Kind: kind, Severity: sev, Status: Open}
	for i := 0; i+1 < len(args); i += 2 {
		if f.Args == nil {
			f.Args = map[string]string{}
		}
		f.Args[args[i]] = args[i+1]
	}
	return f
}

var (
	keyShape   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}(:[A-Za-z0-9._-]{1,64}){0,3}$`)
	nameShape  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	argKey     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,23}$`)
	argValue   = regexp.MustCompile(`^[A-Za-z0-9 ._:,+=/()@-]{0,128}$`)
	maxArgs    = 12
	errFinding = errors.New("not a finding Spoke writes")
)

// ErrFinding means a finding does not have the shape Spoke writes (a key, kind, source or
// argument out of shape, an unknown severity or status).
var ErrFinding = errFinding

// Check reports whether f has the shape a check-up writes: what a report read from the file or
// from another device must pass before it is shown.
func (f Finding) Check() error {
	switch {
	case !keyShape.MatchString(f.Key) || !strings.HasPrefix(f.Key, f.Kind):
		return fmt.Errorf("finding key: %w", errFinding)
	case !nameShape.MatchString(f.Kind) || !nameShape.MatchString(f.Source):
		return fmt.Errorf("finding %s: kind or source: %w", f.Key, errFinding)
	case f.Severity.Rank() < 0:
		return fmt.Errorf("finding %s: severity: %w", f.Key, errFinding)
	case f.Status != Open && f.Status != Accepted:
		return fmt.Errorf("finding %s: status: %w", f.Key, errFinding)
	case len(f.Args) > maxArgs:
		return fmt.Errorf("finding %s: arguments: %w", f.Key, errFinding)
	}
	for k, v := range f.Args {
		if !argKey.MatchString(k) || !argValue.MatchString(v) {
			return fmt.Errorf("finding %s: argument %s: %w", f.Key, k, errFinding)
		}
	}
	return nil
}

// Arg returns a safe form of an argument value: characters outside the allowed set become
// '_' and it is cut to 128 bytes, so a source can pass a value it does not control in full
// (a version a hub sent) and still write a finding that checks.
func Arg(v string) string {
	b := []byte(v)
	if len(b) > 128 {
		b = b[:128]
	}
	for i, c := range b {
		if !argValue.Match([]byte{c}) {
			b[i] = '_'
		}
	}
	return string(b)
}

// Sort orders findings most urgent first, then by key.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if d := a.Severity.Rank() - b.Severity.Rank(); d != 0 {
			return d
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// Report is one run of the check-up as it is shown: who ran it, when, on which device, and
// its findings with the owner's decisions on them.
type Report struct {
	RunID    string    `json:"run_id"`
	At       time.Time `json:"at"`
	Since    time.Time `json:"since,omitzero"` // the run before (configuration changes since)
	RunBy    string    `json:"run_by"`         // a username, or "scheduled"
	Device   string    `json:"device"`
	Trigger  string    `json:"trigger"` // manual, scheduled
	Version  string    `json:"version"` // the Spoke version that ran it
	Findings []Finding `json:"findings"`
}

// Count is how many findings of a severity a report has, by status.
type Count struct {
	Severity                 Severity `json:"severity"`
	Open, Accepted, Resolved int
}

// Counts counts the findings by severity (every severity, most urgent first). Open counts
// what is neither accepted nor marked fixed.
func (r *Report) Counts() []Count {
	out := make([]Count, len(Severities))
	for i, s := range Severities {
		out[i].Severity = s
	}
	for _, f := range r.Findings {
		i := f.Severity.Rank()
		if i < 0 {
			continue
		}
		switch f.Status {
		case Accepted:
			out[i].Accepted++
		case Fixed:
			out[i].Resolved++
		default:
			out[i].Open++
		}
	}
	return out
}

// OpenAt counts the open findings of a severity.
func (r *Report) OpenAt(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s && f.Status == Open {
			n++
		}
	}
	return n
}

// Finding returns the finding with a key, or nil.
func (r *Report) Finding(key string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Key == key {
			return &r.Findings[i]
		}
	}
	return nil
}
