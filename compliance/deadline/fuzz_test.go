package deadline

import (
	"errors"
	"testing"
	"time"
)

// FuzzClock computes and extends the clocks of random requests (any moment from 1990 to 2150,
// any jurisdiction and type, up to 64 holidays in the weeks after receipt, a notice anywhere
// from ten days before receipt to four months after) and checks what must hold whatever the
// dates: nothing is due before it was received; a business-day deadline never falls on a
// weekend or a holiday (a confirmation's neither, unless the answer is due first and it is due
// with it); receipt is confirmed no later than the answer; an extension only ever
// moves the due date later, needs a notice no later than the first due date, and comes once.
func FuzzClock(f *testing.F) {
	f.Add(int64(1769853600), uint8(0), uint8(0), uint64(0), int16(28), uint8(15))    // 31 Jan 2026, GDPR
	f.Add(int64(1772474400), uint8(1), uint8(6), uint64(0xff), int16(44), uint8(15)) // CCPA opt-out
	f.Add(int64(1790000000), uint8(2), uint8(3), uint64(1<<40-1), int16(-3), uint8(1))
	f.Add(int64(-1), uint8(3), uint8(1), ^uint64(0), int16(200), uint8(60))
	locs := []*time.Location{time.UTC, zone(f, "Europe/Berlin"), zone(f, "America/Los_Angeles"), zone(f, "Asia/Shanghai"), zone(f, "Pacific/Kiritimati")}
	f.Fuzz(func(t *testing.T, unix int64, jur, typ uint8, holidayBits uint64, noticeDays int16, piplDays uint8) {
		const lo, hi = 631152000, 5680281600 // 1990 to 2150
		span := int64(hi - lo)
		received := time.Unix(lo+((unix%span)+span)%span, 0)
		loc := locs[int(holidayBits>>59)%len(locs)]
		j := Jurisdictions[int(jur)%len(Jurisdictions)]
		ty := Types[int(typ)%len(Types)]
		p := Policy{PIPLWorkingDays: 1 + int(piplDays)%60, DefaultDays: 1 + int(piplDays)%90}
		first := DateOf(received, loc)
		cal := Calendar{Loc: loc, Holidays: map[Date]bool{}}
		for i := 0; i < 64; i++ {
			if holidayBits&(1<<i) != 0 {
				cal.Holidays[first.AddDays(i)] = true
			}
		}
		c, err := p.Compute(j, ty, received, cal)
		if ty.CCPAOnly() && j != CCPA {
			if !errors.Is(err, ErrNotInJurisdiction) {
				t.Fatalf("%s under %s: %v", ty, j, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Received != first || !c.Due.After(c.Received) || c.DueAt(cal).Before(received) {
			t.Fatalf("received %s (%s) due %s", c.Received, received.In(loc), c.Due)
		}
		if c.BusinessDays && !cal.BusinessDay(c.Due) {
			t.Fatalf("a business-day deadline on a non-business day: %s", c.Due)
		}
		if !c.ConfirmBy.IsZero() && (!cal.BusinessDay(c.ConfirmBy) && c.ConfirmBy != c.Due || !c.ConfirmBy.After(c.Received) || c.ConfirmBy.After(c.Due)) {
			t.Fatalf("confirm by %s, received %s, due %s", c.ConfirmBy, c.Received, c.Due)
		}
		if c.Received.DaysUntil(c.Due) > 200 {
			t.Fatalf("due %d days after receipt", c.Received.DaysUntil(c.Due))
		}
		notice := received.Add(time.Duration(int(noticeDays)%130-10) * 24 * time.Hour)
		e, err := p.Extend(c, cal, notice)
		nd := DateOf(notice, loc)
		switch {
		case !c.CanExtend:
			if !errors.Is(err, ErrNoExtension) {
				t.Fatalf("extended a %s %s: %v", j, ty, err)
			}
		case nd.Before(c.Received):
			if !errors.Is(err, ErrNoticeEarly) {
				t.Fatalf("notice %s before receipt %s: %v", nd, c.Received, err)
			}
		case nd.After(c.FirstDue):
			if !errors.Is(err, ErrNoticeLate) {
				t.Fatalf("notice %s after first due %s: %v", nd, c.FirstDue, err)
			}
		default:
			if err != nil || !e.Extended || !e.Due.After(c.Due) || e.FirstDue != c.Due || e.Received != c.Received {
				t.Fatalf("extension: %v %+v from %+v", err, e, c)
			}
			if _, err := p.Extend(e, cal, notice); !errors.Is(err, ErrAlreadyExtended) {
				t.Fatalf("second extension: %v", err)
			}
		}
	})
}
