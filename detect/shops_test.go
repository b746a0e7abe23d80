package detect

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const berlin = `[{"shop_id": "s1", "tz": "Europe/Berlin", "open": {"mon": null, "tue": ["09:00", "18:30"], "wed": ["09:00", "18:30"],
 "thu": ["09:00", "18:30"], "fri": ["09:00", "18:30"], "sat": ["10:00", "16:00"], "sun": null}, "holidays": ["2026-04-03"]}]`

func TestParseShops(t *testing.T) {
	cases := []struct {
		name, in, err string
	}{
		{name: "the issue's shape", in: berlin},
		{name: "two shops, a day left out is closed", in: `[{"shop_id":"a","tz":"UTC","open":{"mon":["08:00","17:00"]}},{"shop_id":"b","tz":"Asia/Shanghai","open":{"sat":["09:00","24:00"]}}]`},
		{name: "empty array", in: `[]`},
		{name: "not an array", in: `{"shop_id":"a"}`, err: "expected a JSON array"},
		{name: "empty file", in: ``, err: "empty file"},
		{name: "malformed", in: `[{"shop_id":"a",}]`, err: "malformed JSON at byte"},
		{name: "typo in a key", in: `[{"shop_id":"a","tz":"UTC","opne":{}}]`, err: `unknown field "opne"`},
		{name: "no shop id", in: `[{"tz":"UTC","open":{}}]`, err: "shop 1: shop_id is missing"},
		{name: "no tz", in: `[{"shop_id":"a","open":{}}]`, err: `"a": tz is missing`},
		{name: "unknown tz", in: `[{"shop_id":"a","tz":"Europe/Springfield","open":{}}]`, err: `tz "Europe/Springfield" is not a known time zone`},
		{name: "Local is not a zone", in: `[{"shop_id":"a","tz":"Local","open":{}}]`, err: "not a known time zone"},
		{name: "bad day", in: `[{"shop_id":"a","tz":"UTC","open":{"monday":["09:00","18:00"]}}]`, err: "open.monday: not a day"},
		{name: "one time", in: `[{"shop_id":"a","tz":"UTC","open":{"mon":["09:00"]}}]`, err: "open.mon: give"},
		{name: "bad time", in: `[{"shop_id":"a","tz":"UTC","open":{"mon":["9:00","18:00"]}}]`, err: "open.mon: times are HH:MM"},
		{name: "minutes out of range", in: `[{"shop_id":"a","tz":"UTC","open":{"mon":["09:60","18:00"]}}]`, err: "times are HH:MM"},
		{name: "closes before it opens", in: `[{"shop_id":"a","tz":"UTC","open":{"mon":["18:00","09:00"]}}]`, err: "closing time is not after opening time"},
		{name: "bad holiday", in: `[{"shop_id":"a","tz":"UTC","open":{},"holidays":["3 April"]}]`, err: `holidays: "3 April" is not a YYYY-MM-DD day`},
		{name: "twice", in: `[{"shop_id":"a","tz":"UTC","open":{}},{"shop_id":"a","tz":"UTC","open":{}}]`, err: `shop 2: shop_id "a" appears twice`},
		{name: "text after", in: `[] []`, err: "text after the array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseShops(strings.NewReader(c.in))
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrBadShops) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func TestClosedAt(t *testing.T) {
	shops, err := ParseShops(strings.NewReader(berlin))
	if err != nil {
		t.Fatal(err)
	}
	s := &shops[0]
	loc, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range []struct {
		at     time.Time
		closed bool
	}{
		{time.Date(2026, 3, 17, 12, 0, 0, 0, loc), false},                        // Tuesday noon
		{time.Date(2026, 3, 17, 8, 20, 0, 0, loc), false},                        // opening up, within the margin
		{time.Date(2026, 3, 17, 8, 10, 0, 0, loc), true},                         // before the margin
		{time.Date(2026, 3, 17, 19, 10, 0, 0, loc), false},                       // closing
		{time.Date(2026, 3, 17, 19, 20, 0, 0, loc), true},                        // after the margin
		{time.Date(2026, 3, 16, 12, 0, 0, 0, loc), true},                         // Monday: closed
		{time.Date(2026, 4, 3, 12, 0, 0, 0, loc), true},                          // Good Friday: a holiday
		{time.Date(2026, 3, 17, 11, 0, 0, 0, time.UTC), false},                   // 12:00 in Berlin
		{time.Date(2026, 3, 17, 20, 0, 0, 0, time.FixedZone("", -5*3600)), true}, // 02:00 in Berlin
		{time.Date(2026, 3, 29, 12, 0, 0, 0, loc), true},                         // Sunday, the day the clocks change
	} {
		if got := s.closedAt(c.at, 45); got != c.closed {
			t.Errorf("%v: closed = %v, want %v", c.at, got, c.closed)
		}
	}
}

func TestLearnedHours(t *testing.T) {
	var l learned
	base := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	for d := range 21 {
		for h := 9; h < 18; h++ {
			lt := base.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			for range 5 {
				l.add(lt, int64(d))
			}
		}
	}
	if l.closedAt(base.Add(12 * time.Hour)) {
		t.Error("noon is closed")
	}
	if !l.closedAt(base.Add(22 * time.Hour)) {
		t.Error("22:00 is open")
	}
	var young learned
	young.add(base.Add(12*time.Hour), 0)
	if young.closedAt(base.Add(22 * time.Hour)) {
		t.Error("hours learned from one day already mark the evening closed")
	}
}

func FuzzParseShops(f *testing.F) {
	f.Add([]byte(berlin))
	f.Add([]byte(`[{"shop_id":"a","tz":"UTC","open":{"mon":["00:00","24:00"]}}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		shops, err := ParseShops(strings.NewReader(string(b)))
		if err != nil {
			if !errors.Is(err, ErrBadShops) {
				t.Fatalf("error without ErrBadShops: %v", err)
			}
			return
		}
		for _, s := range shops {
			if s.ID == "" || s.Loc == nil {
				t.Fatalf("accepted a shop without id or zone: %+v", s)
			}
			for _, h := range s.Open {
				if h != nil && (h.From < 0 || h.To > 24*60 || h.To <= h.From) {
					t.Fatalf("accepted hours %+v", h)
				}
			}
			s.closedAt(time.Unix(1773000000, 0), 45)
		}
	})
}
