package deadline

import (
	"time"
	// Zones are looked up by name (Zone); a Windows machine has no zone database of its own,
	// and two devices of one shop must count the same days.
	_ "time/tzdata"
)

// Calendar is a shop's working calendar: its time zone and its holidays.
type Calendar struct {
	Loc      *time.Location
	Holidays map[Date]bool
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// BusinessDay reports whether d is a working day: not a Saturday, a Sunday or a holiday.
func (c Calendar) BusinessDay(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.Holidays[d]
}

// AddBusinessDays returns the n-th business day after d (d itself never counts, whatever it
// is). n < 1 returns d.
func (c Calendar) AddBusinessDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.BusinessDay(d) {
			n--
		}
	}
	return d
}

// zones are the shops' countries that keep one time zone (their mainland's, where overseas
// parts keep another). A country with several (the United States) is absent: Zone answers the
// fallback, the device's own zone, which for a shop's counter is the shop's.
var zones = map[string]string{
	"AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "HR": "Europe/Zagreb",
	"CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn",
	"FI": "Europe/Helsinki", "FR": "Europe/Paris", "DE": "Europe/Berlin", "GR": "Europe/Athens",
	"EL": "Europe/Athens", "HU": "Europe/Budapest", "IE": "Europe/Dublin", "IT": "Europe/Rome",
	"LV": "Europe/Riga", "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "MT": "Europe/Malta",
	"NL": "Europe/Amsterdam", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest",
	"SK": "Europe/Bratislava", "SI": "Europe/Ljubljana", "ES": "Europe/Madrid", "SE": "Europe/Stockholm",
	"IS": "Atlantic/Reykjavik", "LI": "Europe/Vaduz", "NO": "Europe/Oslo", "GB": "Europe/London",
	"UK": "Europe/London", "CN": "Asia/Shanghai", "CH": "Europe/Zurich", "JP": "Asia/Tokyo",
	"KR": "Asia/Seoul", "SG": "Asia/Singapore", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei",
	"NZ": "Pacific/Auckland", "IN": "Asia/Kolkata",
}

// Zone is the time zone a shop in country counts its days in: the country's own where it has
// one, else fallback.
func Zone(country string, fallback *time.Location) *time.Location {
	if name, ok := zones[upper(country)]; ok {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	if fallback == nil {
		return time.UTC
	}
	return fallback
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
