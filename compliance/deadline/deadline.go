package deadline

import (
	"errors"
	"fmt"
	"time"
)

// Jurisdiction is the rule set a shop's requests are answered under.
type Jurisdiction string

// The jurisdictions.
const (
	GDPR    Jurisdiction = "gdpr"
	CCPA    Jurisdiction = "ccpa"
	PIPL    Jurisdiction = "pipl"
	Default Jurisdiction = "default"
)

// Jurisdictions lists them.
var Jurisdictions = []Jurisdiction{GDPR, CCPA, PIPL, Default}

// gdprCountries are the EU member states (Greece also as EL, the EU's own code), the other
// EEA states and the United Kingdom (GB, also UK).
var gdprCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "EL": true, "HU": true, "IE": true, "IT": true,
	"LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true,
	"SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
	"GB": true, "UK": true,
}

// For returns the jurisdiction of a shop in country (ISO 3166-1 alpha-2, any case).
func For(country string) Jurisdiction {
	c := upper(country)
	switch {
	case gdprCountries[c]:
		return GDPR
	case c == "US":
		return CCPA
	case c == "CN":
		return PIPL
	}
	return Default
}

// Type is what the person asks for.
type Type string

// The request types.
const (
	Access         Type = "access"
	Rectification  Type = "rectification"
	Erasure        Type = "erasure"
	Restriction    Type = "restriction"
	Objection      Type = "objection"
	Portability    Type = "portability"
	OptOutSale     Type = "ccpa_opt_out_sale"    // CCPA: do not sell or share (§7026)
	LimitSensitive Type = "ccpa_limit_sensitive" // CCPA: limit use of sensitive PI (§7027)
)

// Types lists them.
var Types = []Type{Access, Rectification, Erasure, Restriction, Objection, Portability, OptOutSale, LimitSensitive}

// CCPAOnly reports whether t is a right only CCPA gives (elsewhere it is an objection).
func (t Type) CCPAOnly() bool { return t == OptOutSale || t == LimitSensitive }

// NeedsVerification reports whether the person's identity must be verified before the request
// is fulfilled. Under CCPA (§7026, §7027) an opt-out or a limit request need not be a
// verifiable consumer request: the business may ask for no more than it needs to act on it.
func (t Type) NeedsVerification() bool { return !t.CCPAOnly() }

func known[T comparable](v T, list []T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Policy holds the periods the law leaves to the business.
type Policy struct {
	// PIPLWorkingDays is the answer period under PIPL (Art. 50 says only "in a timely manner").
	PIPLWorkingDays int
	// DefaultDays is the answer period, in calendar days, where no rule here applies.
	DefaultDays int
}

// DefaultPolicy: 15 working days under PIPL, 30 calendar days elsewhere.
var DefaultPolicy = Policy{PIPLWorkingDays: 15, DefaultDays: 30}

// Clock is a request's deadlines.
type Clock struct {
	Jurisdiction Jurisdiction `json:"jurisdiction"`
	Type         Type         `json:"type"`
	Received     Date         `json:"received"`
	// ConfirmBy: receipt must be confirmed by the end of this day (zero: no such duty).
	ConfirmBy Date `json:"confirm_by"`
	// Due: the answer is due by the end of this day (the extended date once extended).
	Due Date `json:"due"`
	// FirstDue is Due before any extension: the notice of an extension must be given by then.
	FirstDue Date `json:"first_due"`
	// BusinessDays: Due counts business days (else calendar days or a month).
	BusinessDays bool `json:"business_days"`
	// CanExtend: the rule allows an extension (and Extended says whether it was used).
	CanExtend bool `json:"can_extend"`
	Extended  bool `json:"extended"`
	// Rule cites the provision Due comes from.
	Rule string `json:"rule"`
}

// Errors of the rules. Each says what to do; none carries a value.
var (
	ErrUnknownJurisdiction = errors.New("unknown jurisdiction: use gdpr, ccpa, pipl or default")
	ErrUnknownType         = errors.New("unknown request type")
	ErrNotInJurisdiction   = errors.New("this request type is a CCPA right: for a shop outside the United States record it as an objection")
	ErrNoExtension         = errors.New("the law gives no extension for this request: answer it by its due date")
	ErrAlreadyExtended     = errors.New("this request was extended already: a second extension is not allowed")
	ErrNoticeLate          = errors.New("the extension notice was given after the first deadline: the law allows an extension only when the person was told within the first period, so answer now")
	ErrNoticeEarly         = errors.New("the extension notice is dated before the request was received")
	ErrBadPolicy           = errors.New("the PIPL period must be 1 to 60 working days and the default period 1 to 90 days")
)

// Validate checks a policy's periods.
func (p Policy) Validate() error {
	if p.PIPLWorkingDays < 1 || p.PIPLWorkingDays > 60 || p.DefaultDays < 1 || p.DefaultDays > 90 {
		return ErrBadPolicy
	}
	return nil
}

// Compute returns the deadlines of a request of type t received at received (a moment; its day
// is taken in cal's zone) under j.
func (p Policy) Compute(j Jurisdiction, t Type, received time.Time, cal Calendar) (Clock, error) {
	if err := p.Validate(); err != nil {
		return Clock{}, err
	}
	if !known(j, Jurisdictions) {
		return Clock{}, ErrUnknownJurisdiction
	}
	if !known(t, Types) {
		return Clock{}, ErrUnknownType
	}
	if t.CCPAOnly() && j != CCPA {
		return Clock{}, ErrNotInJurisdiction
	}
	day := DateOf(received, cal.loc())
	c := Clock{Jurisdiction: j, Type: t, Received: day}
	switch {
	case j == GDPR:
		c.Due, c.Rule = day.AddMonths(1), "GDPR Art. 12(3)"
	case j == CCPA && t.CCPAOnly():
		c.Due, c.BusinessDays = cal.AddBusinessDays(day, 15), true
		c.Rule = map[Type]string{OptOutSale: "11 CCR §7026", LimitSensitive: "11 CCR §7027"}[t]
	case j == CCPA:
		c.ConfirmBy = cal.AddBusinessDays(day, 10)
		c.Due, c.Rule = day.AddDays(45), "11 CCR §7021"
	case j == PIPL:
		c.Due, c.BusinessDays, c.Rule = cal.AddBusinessDays(day, p.PIPLWorkingDays), true, "PIPL Art. 50"
	default:
		c.Due, c.Rule = day.AddDays(p.DefaultDays), fmt.Sprintf("%d days (no statutory period)", p.DefaultDays)
	}
	c.CanExtend = Extendable(j, t)
	if c.ConfirmBy.After(c.Due) {
		c.ConfirmBy = c.Due // a calendar of holidays so long that the answer comes first
	}
	c.FirstDue = c.Due
	return c, nil
}

// Extendable reports whether the law lets the answer to a request of type t under j be put off
// once, on notice within the first period: GDPR's requests, and CCPA's but opt-outs and limits.
func Extendable(j Jurisdiction, t Type) bool {
	return j == GDPR || j == CCPA && !t.CCPAOnly()
}

// Extend returns c extended on a notice to the person given at notice (its day taken in cal's
// zone): GDPR by two further months after the first due date, CCPA by 45 days (90 after
// receipt), each once and only when the notice came by the end of the first due date.
func (p Policy) Extend(c Clock, cal Calendar, notice time.Time) (Clock, error) {
	switch {
	case !c.CanExtend:
		return c, ErrNoExtension
	case c.Extended:
		return c, ErrAlreadyExtended
	}
	day := DateOf(notice, cal.loc())
	switch {
	case day.Before(c.Received):
		return c, ErrNoticeEarly
	case day.After(c.FirstDue):
		return c, ErrNoticeLate
	}
	switch c.Jurisdiction {
	case GDPR:
		c.Due = c.FirstDue.AddMonths(2)
	case CCPA:
		c.Due = c.FirstDue.AddDays(45)
	default:
		return c, ErrNoExtension
	}
	c.Extended = true
	return c, nil
}

// DueAt is the last instant the answer is in time, in cal's zone.
func (c Clock) DueAt(cal Calendar) time.Time { return c.Due.End(cal.loc()) }

// ConfirmAt is the last instant receipt may be confirmed in time (zero: no such duty).
func (c Clock) ConfirmAt(cal Calendar) time.Time {
	if c.ConfirmBy.IsZero() {
		return time.Time{}
	}
	return c.ConfirmBy.End(cal.loc())
}
