package detect

import (
	"math"
	"time"
)

// Week features: means per working day over the closed days of the last seven (a week off
// or a part-time week does not make the next week look busy).
const (
	wTouch = iota // distinct customers shown per day
	wNoCtx        // customers read with no sale, job, bike or edit the same day, per day
	nWeek
)

const nClass = int(cSend) + 1

// Floors under each threshold: whatever a user's history, fewer than this is never unusual.
var (
	hourFloor = [nHour]float64{fTouch: 20, fOff: 8, fBreak: 3, fProbe: 5, fFail: 7}
	// weekFloor is the least excess over the usual daily mean.
	weekFloor = [nWeek]float64{wTouch: 8, wNoCtx: 5}
	// weekRoot: the least excess is also this many square roots of the usual mean (counts
	// vary like counts: a user who reads 6 a day reads 12 now and then).
	weekRoot = [nWeek]float64{wTouch: 3, wNoCtx: 2}
	// coldFactor: with no history at all (the user's or their role's), thresholds are this
	// many floors; failed sign-ins need no history.
	coldFactor = [nHour]float64{fTouch: 2, fOff: 2, fBreak: 2, fProbe: 1.5, fFail: 1}
	// hourK is how many robust deviations above the median of the daily peaks a peak must be.
	hourK = [nHour]float64{fTouch: 4, fOff: 4, fBreak: 4, fProbe: 4, fFail: 4}
)

const (
	hourMS    = int64(time.Hour / time.Millisecond)
	dayMS     = 24 * hourMS
	userDays  = 90  // a user's baselines hold 90 days
	roleDays  = 600 // a role's, 600 user-days
	weekMinN  = 5   // weekly baselines needed before slow exfiltration can be raised
	weekLag   = 7   // days a week's sum waits before it joins the baseline
	deviceWin = 8   // failed sign-ins from one device, across accounts, within the hour
	deviceAll = 12  // failed sign-ins from one device within the hour, whatever the accounts
)

// item bits: what one event contributes to the hour window.
const (
	bTouch = 1 << iota
	bOff
	bNotOwn
	bBreak
	bProbe
	bFail
	bExport
	bDelete
	bRefused
	bRare
	bSend
	bAll = bSend<<1 - 1
)

// item is one event's evidence in a user's sliding hour.
type item struct {
	At   int64  `json:"t"`
	Bits uint16 `json:"b"`
	C    string `json:"c,omitempty"` // the customer id, for distinct counts
	N    int32  `json:"n,omitempty"` // customers exported, or messages sent
}

// today's bits per customer
const (
	tShown = 1 << iota
	tCtx
	tNotOwn
)

// weekSum is a week's sums waiting to join the baseline.
type weekSum struct {
	Day int64          `json:"day"`
	V   [nWeek]float64 `json:"v"`
}

type dayRec struct {
	Day     int64 `json:"day"`
	First   int64 `json:"first"`
	Touched int   `json:"touched"`
	NoCtx   int   `json:"no_ctx"`
}

// userState is everything the detector keeps of one user (or of an unknown username on one
// device). Exported fields are the saved state; the rest is derived on restore.
type userState struct {
	ID       string           `json:"id"`
	Name     string           `json:"name,omitempty"`
	Role     string           `json:"role,omitempty"`
	Shop     string           `json:"shop,omitempty"`
	First    int64            `json:"first"`
	Last     int64            `json:"last"`
	Day      int64            `json:"day"`
	DayFirst int64            `json:"day_first"`
	Active   int              `json:"active_days"`
	Leaving  int64            `json:"leaving,omitempty"`
	Devices  map[string]int64 `json:"devices,omitempty"`
	Counts   [nClass]int64    `json:"counts"`
	Total    int64            `json:"total"`
	TodayN   [nClass]int64    `json:"today_counts"`
	Items    []item           `json:"items,omitempty"`
	Peak     [nHour]float64   `json:"peak"`
	Today    map[string]uint8 `json:"today,omitempty"`
	Past     []dayRec         `json:"past,omitempty"`
	Hist     [nHour]ring      `json:"hist"`
	Week     [nWeek]ring      `json:"week"`
	WeekLag  []weekSum        `json:"week_lag,omitempty"`
	DayVals  [nWeek]ring      `json:"day_vals"`
	NotOwn   ewma             `json:"not_own"`
	Episodes map[string]int64 `json:"episodes,omitempty"`
	// Alerted marks the hour features an alert was raised on today: such a day joins the
	// baselines at no more than the threshold, so an episode does not teach the detector that
	// it is normal (a habit repeated is still learnt, a step at a time).
	Alerted uint8 `json:"alerted,omitempty"`

	head      int
	touch     map[string]int32
	off       map[string]int32
	notOwn    map[string]int32
	exported  int
	sent      int // messages to customers sent within the hour
	nBits     [16]int
	shown     int // distinct customers shown today (tShown in Today)
	thr       [nHour]float64
	usual     [nHour]float64
	peakMax   [nHour]float64 // the highest daily peak of the user's history (0 under 5 days)
	wthr      [nWeek]float64
	wmax      [nWeek]float64
	wusual    [nWeek]float64
	pastNoCtx int // customers read with no context on the closed days of the last seven
	past7     int // customers shown on the closed days of the last seven
	pastDays  int // closed active days of the last seven
}

type roleState struct {
	Hist   [nHour]ring `json:"hist"`
	NotOwn ewma        `json:"not_own"`
	st     [nHour]stats
	dirty  bool
}

type devState struct {
	First int64      `json:"first"`
	Fails []failItem `json:"fails,omitempty"`
}

type failItem struct {
	At   int64  `json:"t"`
	User string `json:"u"`
}

func bit(b uint16) int {
	for i := range 16 {
		if b == 1<<i {
			return i
		}
	}
	return 15
}

// lastProbe reports whether the newest item is probe evidence at now.
func (u *userState) lastProbe(now int64) bool {
	for i := len(u.Items) - 1; i >= u.head && u.Items[i].At == now; i-- {
		if u.Items[i].Bits&bProbe != 0 {
			return true
		}
	}
	return false
}

// rare: a look-up or read the user (with a history) almost never makes: under 1% of what
// they did until yesterday.
func (d *Detector) rare(u *userState, c class) bool {
	if c != cRead && c != cLookup && c != cLookupOther {
		return false
	}
	return u.Active >= 5 && float64(u.Counts[c]) < 0.01*float64(u.Total)
}

// device records the user's device and reports whether it is new for them: first seen in the
// last day, by a user who had a week of history before it.
func (d *Detector) device(u *userState, dev string, now int64) bool {
	if dev == "" {
		return false
	}
	if d.devices[dev] == nil {
		d.devices[dev] = &devState{First: now}
	}
	first, ok := u.Devices[dev]
	if !ok {
		if len(u.Devices) < 64 {
			u.Devices[dev] = now
		}
		first = now
	}
	return now-first < dayMS && first-u.First > 7*dayMS
}

func (dv *devState) prune(now int64) {
	i := 0
	for i < len(dv.Fails) && dv.Fails[i].At < now-hourMS {
		i++
	}
	dv.Fails = dv.Fails[i:]
}

func (dv *devState) fail(now int64, user string) {
	dv.prune(now)
	if len(dv.Fails) < 10000 {
		dv.Fails = append(dv.Fails, failItem{At: now, User: user})
	}
}

// failures returns the failed sign-ins from the device in the hour (with the one being
// observed) and how many accounts they were for.
func (dv *devState) failures(current string) (int, int) {
	n := len(dv.Fails) + 1
	users := map[string]bool{current: true}
	for _, f := range dv.Fails {
		users[f.User] = true
	}
	return n, len(users)
}

// insert adds an item to the window, keeping it in time order.
func (u *userState) insert(it item) {
	u.Items = append(u.Items, it)
	for i := len(u.Items) - 1; i > u.head && u.Items[i-1].At > u.Items[i].At; i-- {
		u.Items[i-1], u.Items[i] = u.Items[i], u.Items[i-1]
	}
	u.add(it)
}

func (u *userState) add(it item) {
	for b := range 16 {
		if it.Bits&(1<<b) != 0 {
			u.nBits[b]++
		}
	}
	if it.Bits&bExport != 0 {
		u.exported += int(it.N)
	}
	if it.Bits&bSend != 0 {
		u.sent += int(it.N)
	}
	if it.Bits&bTouch != 0 && it.C != "" {
		u.touch[it.C]++
		if it.Bits&bOff != 0 {
			u.off[it.C]++
		}
		if it.Bits&bNotOwn != 0 {
			u.notOwn[it.C]++
		}
	}
}

func dec(m map[string]int32, k string) {
	if m[k] <= 1 {
		delete(m, k)
	} else {
		m[k]--
	}
}

// prune drops the items older than since.
func (u *userState) prune(since int64) {
	for u.head < len(u.Items) && u.Items[u.head].At < since {
		it := u.Items[u.head]
		u.Items[u.head] = item{}
		u.head++
		for b := range 16 {
			if it.Bits&(1<<b) != 0 {
				u.nBits[b]--
			}
		}
		if it.Bits&bExport != 0 {
			u.exported -= int(it.N)
		}
		if it.Bits&bSend != 0 {
			u.sent -= int(it.N)
		}
		if it.Bits&bTouch != 0 && it.C != "" {
			dec(u.touch, it.C)
			if it.Bits&bOff != 0 {
				dec(u.off, it.C)
			}
			if it.Bits&bNotOwn != 0 {
				dec(u.notOwn, it.C)
			}
		}
	}
	if u.head > 64 && u.head*2 > len(u.Items) {
		u.Items = append(u.Items[:0], u.Items[u.head:]...)
		u.head = 0
	}
}

// closeDay ends the user's current local day: its peaks and totals join the baselines, and
// the thresholds are computed again. day is the new day.
func (d *Detector) closeDay(u *userState, day, now int64) {
	if u.Day != 0 && u.DayFirst != 0 {
		r := d.role(u.Role)
		for f := range nHour {
			v := u.Peak[f]
			if u.Alerted&(1<<f) != 0 {
				v = math.Min(v, u.thr[f]) // winsorised: a repeated habit is learnt, an attack's peak is not
			}
			u.Hist[f].push(v, userDays)
			r.Hist[f].push(v, roleDays)
		}
		r.dirty = true
		rec := dayRec{Day: u.Day, First: u.DayFirst}
		notOwn := 0
		for _, b := range u.Today {
			if b&tShown != 0 {
				rec.Touched++
				if b&tCtx == 0 {
					rec.NoCtx++
				}
				if b&tNotOwn != 0 {
					notOwn++
				}
			}
		}
		u.Past = append(u.Past, rec)
		i := 0
		for i < len(u.Past) && u.Past[i].Day <= u.Day-8 {
			i++
		}
		u.Past = append(u.Past[:0], u.Past[i:]...)
		u.DayVals[wTouch].push(float64(rec.Touched), userDays)
		u.DayVals[wNoCtx].push(float64(rec.NoCtx), userDays)
		if last, ok := u.Episodes[KindSlowExfil]; u.Day-u.First/dayMS >= 7 && (!ok || now-last > 8*dayMS) {
			var wt, wn, n float64
			for _, p := range u.Past {
				if p.Day > u.Day-7 {
					wt += float64(p.Touched)
					wn += float64(p.NoCtx)
					n++
				}
			}
			// A week's sum joins the baseline only once it no longer overlaps the week being
			// judged, so a slow rise is not learnt as it happens.
			u.WeekLag = append(u.WeekLag, weekSum{Day: u.Day, V: [nWeek]float64{wt / n, wn / n}})
			i := 0
			for ; i < len(u.WeekLag) && u.WeekLag[i].Day <= day-weekLag; i++ {
				for f := range nWeek {
					u.Week[f].push(u.WeekLag[i].V[f], userDays)
				}
			}
			u.WeekLag = append(u.WeekLag[:0], u.WeekLag[i:]...)
		}
		if rec.Touched > 0 {
			share := float64(notOwn) / float64(rec.Touched)
			u.NotOwn.add(share, 0.1)
			r.NotOwn.add(share, 0.02)
		}
		for c := range nClass {
			u.Counts[c] += u.TodayN[c]
			u.Total += u.TodayN[c]
		}
		u.Active++
	}
	u.Day, u.DayFirst = day, now
	u.Peak, u.TodayN, u.Alerted = [nHour]float64{}, [nClass]int64{}, 0
	clear(u.Today)
	u.shown = 0
	d.thresholds(u)
	u.sums()
}

// sums caches the closed days' part of the week features.
func (u *userState) sums() {
	u.pastNoCtx, u.past7, u.pastDays = 0, 0, 0
	for _, p := range u.Past {
		if p.Day >= u.Day-7 && p.Day < u.Day {
			u.pastNoCtx += p.NoCtx
			u.past7 += p.Touched
			u.pastDays++
		}
	}
}

// thresholds computes the user's thresholds from their baselines and their peers': a robust
// bound on the user's daily peaks (median + K robust deviations, and above the highest peak of
// the last 90 days), blended with the role's as the user's history grows.
func (d *Detector) thresholds(u *userState) {
	r := d.role(u.Role)
	for f := range nHour {
		su, sr := u.Hist[f].stats(), r.st[f]
		fl := hourFloor[f]
		tu := math.Max(su.med+hourK[f]*su.spread(0.15, 1), 1.25*su.maxv)
		tr := math.Max(sr.med+hourK[f]*sr.spread(0.15, 1), 1.25*sr.q95)
		w := float64(su.n) / float64(su.n+5)
		var t, usual float64
		switch {
		case su.n == 0 && sr.n < 5:
			t, usual = coldFactor[f]*fl, 0
		case sr.n < 5:
			t, usual = w*tu+(1-w)*coldFactor[f]*fl, su.med
		default:
			t, usual = w*tu+(1-w)*tr, w*su.med+(1-w)*sr.med
		}
		u.thr[f], u.usual[f] = math.Max(t, fl), usual
		u.peakMax[f] = 0
		if su.n >= 5 {
			u.peakMax[f] = su.maxv
		}
	}
	for f := range nWeek {
		s := u.Week[f].stats()
		u.wusual[f], u.wmax[f] = s.med, s.maxv
		if s.n < weekMinN {
			u.wthr[f] = math.Inf(1)
			continue
		}
		// Weekly means sampled daily overlap, so their MAD understates the spread: the bound
		// is also a ratio to the median, above the highest week of the last 90 days, and a
		// least excess.
		var t float64
		if f == wTouch {
			t = max(1.6*s.med, s.med+4*s.spread(0, 0.5), 1.2*s.maxv)
		} else {
			t = max(2*s.med, s.med+4*s.spread(0, 0.5), 1.3*s.maxv)
		}
		u.wthr[f] = math.Max(t, s.med+math.Max(weekFloor[f], weekRoot[f]*math.Sqrt(s.med)))
	}
}

// leaver reports whether the user is within their leaving window at now.
func (d *Detector) leaver(u *userState, now int64) bool {
	return u.Leaving != 0 && now >= u.Leaving-int64(d.cfg.LeaverDays)*dayMS && now <= u.Leaving+30*dayMS
}

// limit is the threshold of an hour feature for the user now, with the modifiers: a leaver's
// is lowered to 70% (but not under what they have done before: a leaver doing their usual
// busiest day is not an alert), a new device's to 80%, and reading mostly others' customers
// when the user usually reads their own lowers the read threshold to 75%.
func (d *Detector) limit(u *userState, f int, now int64, newDev bool) float64 {
	t := u.thr[f] / d.cfg.Sensitivity
	if d.leaver(u, now) && f != fFail { // others' guessing is not the leaver's doing
		t = math.Max(0.7*t, 1.1*u.peakMax[f])
	}
	if newDev {
		t *= 0.8
	}
	if f == fTouch && len(u.touch) >= 5 && 2*len(u.notOwn) >= len(u.touch) && u.NotOwn.N >= 3 && u.NotOwn.Mean < 0.25 {
		t *= 0.75
	}
	return math.Max(t, hourFloor[f]/2)
}
