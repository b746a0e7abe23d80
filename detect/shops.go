package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	// Zones are looked up by name; a Windows machine has no zone database of its own.
	_ "time/tzdata"
)

// Shop is a shop's opening hours in its time zone. Outside them (with a margin for opening
// up and closing) activity counts as off-hours.
type Shop struct {
	ID  string
	Loc *time.Location
	// Open is indexed by time.Weekday; nil is a closed day.
	Open [7]*Hours
	// Holidays are local days ("2006-01-02") the shop is closed.
	Holidays map[string]bool
}

// Hours is one day's opening, in minutes after local midnight.
type Hours struct{ From, To int }

// ShopSpec is a shop as SHOPS.json holds it, the shape of the shop settings the app keeps:
//
//	{"shop_id": "...", "tz": "Europe/Berlin", "open": {"mon": ["09:00", "18:30"], ..., "sun": null},
//	 "holidays": ["2026-12-25"]}
//
// A day left out of open is closed, as is a null one; holidays is optional.
type ShopSpec struct {
	ShopID   string              `json:"shop_id"`
	TZ       string              `json:"tz"`
	Open     map[string][]string `json:"open"`
	Holidays []string            `json:"holidays,omitempty"`
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ErrBadShops wraps every problem ParseShops finds.
var ErrBadShops = errors.New("shops file")

// maxShopsFile bounds what ParseShops reads.
const maxShopsFile = 4 << 20

// ParseShops reads a SHOPS.json array and checks it: every shop has an id (once) and a time
// zone the zone database knows; days are mon..sun; hours are ["HH:MM", "HH:MM"] with closing
// after opening; holidays are YYYY-MM-DD. Unknown keys are refused (a typo would otherwise
// silently drop a shop's hours). Errors name the shop by position and id and the key.
func ParseShops(r io.Reader) ([]Shop, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxShopsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadShops, err)
	}
	if len(b) > maxShopsFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadShops, maxShopsFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var specs []ShopSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("%w: expected a JSON array of {\"shop_id\", \"tz\", \"open\"}: %s", ErrBadShops, jsonProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the array", ErrBadShops)
	}
	seen := map[string]bool{}
	out := make([]Shop, 0, len(specs))
	for i, sp := range specs {
		s, err := sp.Shop()
		if err != nil {
			return nil, fmt.Errorf("%w: shop %d: %v", ErrBadShops, i+1, err)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%w: shop %d: shop_id %q appears twice", ErrBadShops, i+1, s.ID)
		}
		seen[s.ID] = true
		out = append(out, s)
	}
	return out, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%q has the wrong type (%s)", te.Field, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF):
		return "empty file"
	}
	return "malformed JSON"
}

// Shop checks a spec and returns the shop.
func (sp ShopSpec) Shop() (Shop, error) {
	s := Shop{ID: strings.TrimSpace(sp.ShopID), Holidays: map[string]bool{}}
	if s.ID == "" || len(s.ID) > 200 {
		return Shop{}, errors.New("shop_id is missing")
	}
	if sp.TZ == "" {
		return Shop{}, fmt.Errorf("%q: tz is missing (an IANA zone such as Europe/Berlin)", s.ID)
	}
	loc, err := time.LoadLocation(sp.TZ)
	if err != nil || sp.TZ == "Local" {
		return Shop{}, fmt.Errorf("%q: tz %q is not a known time zone (an IANA zone such as Europe/Berlin)", s.ID, sp.TZ)
	}
	s.Loc = loc
	for k, v := range sp.Open {
		wd := -1
		for i, n := range dayNames {
			if strings.EqualFold(k, n) {
				wd = i
			}
		}
		if wd < 0 {
			return Shop{}, fmt.Errorf("%q: open.%s: not a day (mon, tue, wed, thu, fri, sat, sun)", s.ID, k)
		}
		if v == nil {
			continue
		}
		if len(v) != 2 {
			return Shop{}, fmt.Errorf("%q: open.%s: give [\"HH:MM\", \"HH:MM\"] or null for closed", s.ID, k)
		}
		from, ok1 := clock(v[0])
		to, ok2 := clock(v[1])
		switch {
		case !ok1 || !ok2:
			return Shop{}, fmt.Errorf("%q: open.%s: times are HH:MM, 00:00 to 24:00", s.ID, k)
		case to <= from:
			return Shop{}, fmt.Errorf("%q: open.%s: closing time is not after opening time", s.ID, k)
		}
		s.Open[wd] = &Hours{From: from, To: to}
	}
	for _, h := range sp.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			return Shop{}, fmt.Errorf("%q: holidays: %q is not a YYYY-MM-DD day", s.ID, h)
		}
		s.Holidays[h] = true
	}
	return s, nil
}

// clock parses HH:MM into minutes after midnight (24:00 allowed as a closing time).
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	d := func(c byte) int { return int(c - '0') }
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h, m := d(s[0])*10+d(s[1]), d(s[3])*10+d(s[4])
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// closedAt reports whether t (any zone) falls outside the shop's hours widened by margin.
func (s *Shop) closedAt(t time.Time, margin int) bool {
	lt := t.In(s.Loc)
	if len(s.Holidays) > 0 && s.Holidays[lt.Format("2006-01-02")] {
		return true
	}
	h := s.Open[lt.Weekday()]
	if h == nil {
		return true
	}
	m := lt.Hour()*60 + lt.Minute()
	return m < h.From-margin || m >= h.To+margin
}

// learned is a shop's opening hours as its staff's activity shows them: events per local
// hour of the week (the zone of the events' own offsets). A day's events join the bins when
// the next day starts, so an evening of unusual activity does not open its own hours.
type learned struct {
	Bins  [168]float64 `json:"bins"`
	Today [24]float64  `json:"today"`
	Days  int          `json:"days"`
	Last  int64        `json:"last_day"`
	LastW int          `json:"last_weekday"`
	max   float64
}

// learnAfter is how many days of a shop's activity the learned hours need before they mark
// anything off-hours.
const learnAfter = 14

func hourOfWeek(lt time.Time) int { return int(lt.Weekday())*24 + lt.Hour() }

func (l *learned) add(lt time.Time, day int64) {
	if day != l.Last {
		if day < l.Last {
			return // a late event of a day already counted
		}
		for h, v := range l.Today {
			b := l.LastW*24 + h
			l.Bins[b] += v
			l.max = max(l.max, l.Bins[b])
		}
		l.Today = [24]float64{}
		l.Days++
		l.Last, l.LastW = day, int(lt.Weekday())
	}
	l.Today[lt.Hour()]++
}

// closedAt: an hour of the week with less than 4% of the busiest hour's events is closed.
func (l *learned) closedAt(lt time.Time) bool {
	if l.Days < learnAfter {
		return false
	}
	return l.Bins[hourOfWeek(lt)] < 0.04*l.max
}

func (l *learned) init() {
	l.max = 0
	for _, v := range l.Bins {
		l.max = max(l.max, v)
	}
}
