package deadline

import (
	"errors"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func day(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// at is a moment of a day in loc (local clock time hh:mm).
func at(t testing.TB, s string, hh, mm int, loc *time.Location) time.Time {
	d := day(t, s)
	return time.Date(d.Year, d.Month, d.Day, hh, mm, 0, 0, loc)
}

func holidays(t testing.TB, days ...string) map[Date]bool {
	m := map[Date]bool{}
	for _, s := range days {
		m[day(t, s)] = true
	}
	return m
}

func TestFor(t *testing.T) {
	for country, want := range map[string]Jurisdiction{
		"DE": GDPR, "de": GDPR, "FR": GDPR, "IE": GDPR, "GR": GDPR, "EL": GDPR, "CY": GDPR, "HR": GDPR,
		"NO": GDPR, "IS": GDPR, "LI": GDPR, "GB": GDPR, "UK": GDPR,
		"US": CCPA, "us": CCPA, "CN": PIPL, "HK": Default, "CH": Default, "JP": Default, "": Default, "XX": Default,
	} {
		if got := For(country); got != want {
			t.Errorf("For(%q) = %s, want %s", country, got, want)
		}
	}
}

func TestAddMonthsCalendarRule(t *testing.T) {
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2024-01-31", 1, "2024-02-29"}, // leap year
		{"2100-01-31", 1, "2100-02-28"}, // a century is no leap year
		{"2000-01-31", 1, "2000-02-29"}, // unless divisible by 400
		{"2026-04-30", 1, "2026-05-30"},
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-01-30", 1, "2026-02-28"},
		{"2026-12-15", 1, "2027-01-15"},
		{"2026-12-31", 2, "2027-02-28"},
		{"2026-02-28", 2, "2026-04-28"},
		{"2027-11-30", 3, "2028-02-29"},
	} {
		if got := day(t, c.from).AddMonths(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestDateBasics(t *testing.T) {
	for _, bad := range []string{"", "2026-02-30", "26-01-01", "2026/01/01", "2026-1-1", "tomorrow"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	berlin := zone(t, "Europe/Berlin")
	// The end of the day before the spring change is 23:59:59.999 at +01:00, and of the day of
	// the change 23:59:59.999 at +02:00.
	if got := day(t, "2026-03-28").End(berlin); got.Format("2006-01-02T15:04:05.000-07:00") != "2026-03-28T23:59:59.999+01:00" {
		t.Errorf("end of 28 March: %s", got)
	}
	if got := day(t, "2026-03-29").End(berlin); got.Format("2006-01-02T15:04:05.000-07:00") != "2026-03-29T23:59:59.999+02:00" {
		t.Errorf("end of 29 March: %s", got)
	}
	if n := day(t, "2026-02-27").DaysUntil(day(t, "2026-03-02")); n != 3 {
		t.Errorf("days until: %d", n)
	}
	if (Date{}).IsZero() != true || day(t, "2026-01-01").IsZero() {
		t.Error("IsZero")
	}
}

func TestBusinessDays(t *testing.T) {
	cal := Calendar{Holidays: holidays(t, "2026-12-25", "2027-01-01")}
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-02", 1, "2026-03-03"},  // Monday -> Tuesday
		{"2026-03-06", 1, "2026-03-09"},  // Friday -> Monday
		{"2026-03-07", 1, "2026-03-09"},  // Saturday -> Monday
		{"2026-03-08", 1, "2026-03-09"},  // Sunday -> Monday
		{"2026-03-02", 10, "2026-03-16"}, // two weeks
		{"2026-03-02", 0, "2026-03-02"},
		{"2026-12-24", 1, "2026-12-28"},  // over Christmas Day and the weekend
		{"2026-12-25", 1, "2026-12-28"},  // received on the holiday
		{"2026-12-24", 10, "2027-01-11"}, // over both holidays and two weekends
	} {
		if got := cal.AddBusinessDays(day(t, c.from), c.n).String(); got != c.want {
			t.Errorf("%s + %d business days = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestCompute(t *testing.T) {
	berlin, la, shanghai, tokyo := zone(t, "Europe/Berlin"), zone(t, "America/Los_Angeles"), zone(t, "Asia/Shanghai"), zone(t, "Asia/Tokyo")
	london := zone(t, "Europe/London")
	nationalDay := holidays(t, "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07")
	cases := []struct {
		name     string
		j        Jurisdiction
		typ      Type
		received time.Time
		cal      Calendar
		policy   Policy
		confirm  string // "" none
		due      string
		business bool
		extend   bool
	}{
		// GDPR Art. 12(3): one month by the calendar rule.
		{"gdpr 31 Jan -> 28 Feb", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), Calendar{Loc: berlin}, DefaultPolicy, "", "2026-02-28", false, true},
		{"gdpr 31 Jan leap year -> 29 Feb", GDPR, Erasure, at(t, "2024-01-31", 10, 0, berlin), Calendar{Loc: berlin}, DefaultPolicy, "", "2024-02-29", false, true},
		{"gdpr 30 Apr -> 30 May", GDPR, Rectification, at(t, "2026-04-30", 9, 0, berlin), Calendar{Loc: berlin}, DefaultPolicy, "", "2026-05-30", false, true},
		{"gdpr 31 Mar -> 30 Apr", GDPR, Portability, at(t, "2026-03-31", 9, 0, berlin), Calendar{Loc: berlin}, DefaultPolicy, "", "2026-04-30", false, true},
		{"gdpr over the year end", GDPR, Objection, at(t, "2026-12-15", 9, 0, berlin), Calendar{Loc: berlin}, DefaultPolicy, "", "2027-01-15", false, true},
		{"gdpr UK 31 May -> 30 Jun", GDPR, Restriction, at(t, "2026-05-31", 9, 0, london), Calendar{Loc: london}, DefaultPolicy, "", "2026-06-30", false, true},
		// The day is the shop's: 23:30 UTC on 15 January is the 16th in Berlin.
		{"gdpr day in the shop's zone", GDPR, Access, time.Date(2026, 1, 15, 23, 30, 0, 0, time.UTC), Calendar{Loc: berlin}, DefaultPolicy, "", "2026-02-16", false, true},
		// A month period does not move off a weekend or holiday (28 Feb 2026 is a Saturday).
		{"gdpr ignores holidays", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), Calendar{Loc: berlin, Holidays: holidays(t, "2026-02-28")}, DefaultPolicy, "", "2026-02-28", false, true},
		// CCPA §7021: confirm within 10 business days, answer within 45 calendar days.
		{"ccpa on a Monday", CCPA, Access, at(t, "2026-03-02", 11, 0, la), Calendar{Loc: la}, DefaultPolicy, "2026-03-16", "2026-04-16", false, true},
		{"ccpa holiday inside the count", CCPA, Erasure, at(t, "2026-03-02", 11, 0, la), Calendar{Loc: la, Holidays: holidays(t, "2026-03-09")}, DefaultPolicy, "2026-03-17", "2026-04-16", false, true},
		{"ccpa received on a Saturday", CCPA, Access, at(t, "2026-03-07", 11, 0, la), Calendar{Loc: la}, DefaultPolicy, "2026-03-20", "2026-04-21", false, true},
		{"ccpa received the Friday before", CCPA, Access, at(t, "2026-03-06", 11, 0, la), Calendar{Loc: la}, DefaultPolicy, "2026-03-20", "2026-04-20", false, true},
		{"ccpa received on a holiday", CCPA, Rectification, at(t, "2026-07-03", 11, 0, la), Calendar{Loc: la, Holidays: holidays(t, "2026-07-03")}, DefaultPolicy, "2026-07-17", "2026-08-17", false, true},
		{"ccpa over Christmas and New Year", CCPA, Portability, at(t, "2026-12-24", 11, 0, la), Calendar{Loc: la, Holidays: holidays(t, "2026-12-25", "2027-01-01")}, DefaultPolicy, "2027-01-11", "2027-02-07", false, true},
		// §7026 / §7027: 15 business days, no confirmation duty, no extension.
		{"ccpa opt-out of sale", CCPA, OptOutSale, at(t, "2026-03-02", 11, 0, la), Calendar{Loc: la}, DefaultPolicy, "", "2026-03-23", true, false},
		{"ccpa limit sensitive, holiday inside", CCPA, LimitSensitive, at(t, "2026-03-02", 11, 0, la), Calendar{Loc: la, Holidays: holidays(t, "2026-03-16")}, DefaultPolicy, "", "2026-03-24", true, false},
		{"ccpa opt-out on a Sunday", CCPA, OptOutSale, at(t, "2026-03-08", 11, 0, la), Calendar{Loc: la}, DefaultPolicy, "", "2026-03-27", true, false},
		// PIPL Art. 50: the configured working days, skipping the national holiday.
		{"pipl 15 working days over National Day", PIPL, Access, at(t, "2026-09-30", 15, 0, shanghai), Calendar{Loc: shanghai, Holidays: nationalDay}, DefaultPolicy, "", "2026-10-28", true, false},
		{"pipl configured 10 days", PIPL, Erasure, at(t, "2026-03-02", 15, 0, shanghai), Calendar{Loc: shanghai}, Policy{PIPLWorkingDays: 10, DefaultDays: 30}, "", "2026-03-16", true, false},
		{"pipl received on a holiday", PIPL, Access, at(t, "2026-10-01", 15, 0, shanghai), Calendar{Loc: shanghai, Holidays: nationalDay}, DefaultPolicy, "", "2026-10-28", true, false},
		// Elsewhere: the default calendar days.
		{"default 30 days", Default, Access, at(t, "2026-03-02", 9, 0, tokyo), Calendar{Loc: tokyo}, DefaultPolicy, "", "2026-04-01", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.policy.Compute(c.j, c.typ, c.received, c.cal)
			if err != nil {
				t.Fatal(err)
			}
			confirm := ""
			if !got.ConfirmBy.IsZero() {
				confirm = got.ConfirmBy.String()
			}
			if confirm != c.confirm || got.Due.String() != c.due || got.BusinessDays != c.business || got.CanExtend != c.extend {
				t.Fatalf("confirm %q due %s business %v extend %v; want %q %s %v %v", confirm, got.Due, got.BusinessDays, got.CanExtend, c.confirm, c.due, c.business, c.extend)
			}
			if got.FirstDue != got.Due || got.Extended || got.Rule == "" {
				t.Fatalf("first due %s, extended %v, rule %q", got.FirstDue, got.Extended, got.Rule)
			}
			if end := got.DueAt(c.cal); !end.Equal(got.Due.AddDays(1).Start(c.cal.Loc).Add(-time.Millisecond)) || end.Before(c.received) {
				t.Fatalf("due at %s", end)
			}
		})
	}
}

func TestComputeRefuses(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		p      Policy
		j      Jurisdiction
		typ    Type
		target error
	}{
		{"a CCPA right in a GDPR shop", DefaultPolicy, GDPR, OptOutSale, ErrNotInJurisdiction},
		{"a CCPA right in a PIPL shop", DefaultPolicy, PIPL, LimitSensitive, ErrNotInJurisdiction},
		{"a CCPA right elsewhere", DefaultPolicy, Default, OptOutSale, ErrNotInJurisdiction},
		{"an unknown type", DefaultPolicy, GDPR, "forget_me", ErrUnknownType},
		{"an unknown jurisdiction", DefaultPolicy, "lgpd", Access, ErrUnknownJurisdiction},
		{"no PIPL days", Policy{PIPLWorkingDays: 0, DefaultDays: 30}, PIPL, Access, ErrBadPolicy},
		{"too many default days", Policy{PIPLWorkingDays: 15, DefaultDays: 365}, Default, Access, ErrBadPolicy},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.p.Compute(c.j, c.typ, now, Calendar{}); !errors.Is(err, c.target) {
				t.Fatalf("err = %v, want %v", err, c.target)
			}
		})
	}
}

func TestExtend(t *testing.T) {
	berlin, la, shanghai := zone(t, "Europe/Berlin"), zone(t, "America/Los_Angeles"), zone(t, "Asia/Shanghai")
	cases := []struct {
		name     string
		j        Jurisdiction
		typ      Type
		received time.Time
		notice   time.Time
		loc      *time.Location
		due      string // "" refused
		target   error
	}{
		// GDPR: two further months after the first due date, notice within the first month.
		{"gdpr notice on the last day", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), at(t, "2026-02-28", 23, 30, berlin), berlin, "2026-04-28", nil},
		{"gdpr notice early in the month", GDPR, Erasure, at(t, "2026-04-30", 10, 0, berlin), at(t, "2026-05-02", 9, 0, berlin), berlin, "2026-07-30", nil},
		{"gdpr notice on the day of receipt", GDPR, Access, at(t, "2026-03-31", 10, 0, berlin), at(t, "2026-03-31", 16, 0, berlin), berlin, "2026-06-30", nil},
		{"gdpr notice a day late", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), at(t, "2026-03-01", 9, 0, berlin), berlin, "", ErrNoticeLate},
		// 23:30 UTC on 28 February is 00:30 on 1 March in Berlin: late there.
		{"gdpr notice late in the shop's zone", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC), berlin, "", ErrNoticeLate},
		{"gdpr notice before receipt", GDPR, Access, at(t, "2026-01-31", 10, 0, berlin), at(t, "2026-01-30", 9, 0, berlin), berlin, "", ErrNoticeEarly},
		// CCPA: 45 more days (90 from receipt), notice within the first 45.
		{"ccpa notice on day 45", CCPA, Access, at(t, "2026-03-02", 10, 0, la), at(t, "2026-04-16", 17, 0, la), la, "2026-05-31", nil},
		{"ccpa notice on day 46", CCPA, Access, at(t, "2026-03-02", 10, 0, la), at(t, "2026-04-17", 9, 0, la), la, "", ErrNoticeLate},
		{"ccpa opt-out has none", CCPA, OptOutSale, at(t, "2026-03-02", 10, 0, la), at(t, "2026-03-03", 9, 0, la), la, "", ErrNoExtension},
		{"ccpa limit has none", CCPA, LimitSensitive, at(t, "2026-03-02", 10, 0, la), at(t, "2026-03-03", 9, 0, la), la, "", ErrNoExtension},
		{"pipl has none", PIPL, Access, at(t, "2026-03-02", 10, 0, shanghai), at(t, "2026-03-03", 9, 0, shanghai), shanghai, "", ErrNoExtension},
		{"default has none", Default, Access, at(t, "2026-03-02", 10, 0, time.UTC), at(t, "2026-03-03", 9, 0, time.UTC), time.UTC, "", ErrNoExtension},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cal := Calendar{Loc: c.loc}
			clk, err := DefaultPolicy.Compute(c.j, c.typ, c.received, cal)
			if err != nil {
				t.Fatal(err)
			}
			ext, err := DefaultPolicy.Extend(clk, cal, c.notice)
			if c.due == "" {
				if !errors.Is(err, c.target) {
					t.Fatalf("err = %v, want %v", err, c.target)
				}
				if ext != clk {
					t.Fatal("a refused extension changed the clock")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ext.Due.String() != c.due || !ext.Extended || ext.FirstDue != clk.Due {
				t.Fatalf("extended due %s (extended %v, first %s), want %s", ext.Due, ext.Extended, ext.FirstDue, c.due)
			}
			// Once only, whenever the second notice comes.
			if _, err := DefaultPolicy.Extend(ext, cal, c.notice); !errors.Is(err, ErrAlreadyExtended) {
				t.Fatalf("second extension: %v", err)
			}
		})
	}
}

func TestZone(t *testing.T) {
	fallback := zone(t, "America/Denver")
	for country, want := range map[string]string{"DE": "Europe/Berlin", "cn": "Asia/Shanghai", "GB": "Europe/London", "US": "America/Denver", "": "America/Denver"} {
		if got := Zone(country, fallback).String(); got != want {
			t.Errorf("Zone(%q) = %s, want %s", country, got, want)
		}
	}
	if Zone("US", nil) != time.UTC {
		t.Error("no fallback is UTC")
	}
	// Every zone in the table loads (the embedded zone database).
	for c, name := range zones {
		if Zone(c, nil).String() != name {
			t.Errorf("%s: %s does not load", c, name)
		}
	}
}

// TestConfirmNeverAfterTheAnswer: with a calendar of holidays so long that ten business days
// run past the 45 calendar days, receipt is due to be confirmed with the answer, not after it.
func TestConfirmNeverAfterTheAnswer(t *testing.T) {
	received := day(t, "2026-03-02")
	cal := Calendar{Holidays: map[Date]bool{}}
	for i := 1; i <= 50; i++ {
		cal.Holidays[received.AddDays(i)] = true
	}
	c, err := DefaultPolicy.Compute(CCPA, Access, received.Start(time.UTC).Add(9*time.Hour), cal)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConfirmBy != c.Due || c.Due.String() != "2026-04-16" {
		t.Fatalf("confirm by %s, due %s", c.ConfirmBy, c.Due)
	}
}
