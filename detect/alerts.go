package detect

import (
	"fmt"
	"math"
	"time"
)

// alertCtx builds the alerts of one event.
type alertCtx struct {
	d      *Detector
	u      *userState
	ev     Event
	now    int64
	newDev bool
}

// open starts an episode of kind, or extends the open one (and then raises nothing).
func (a alertCtx) open(kind string) bool {
	last, ok := a.u.Episodes[kind]
	a.u.Episodes[kind] = a.now
	quiet := int64(a.d.cfg.Quiet / time.Millisecond)
	if kind == KindSlowExfil {
		// Its evidence is a week long: the week after it still holds it.
		quiet = max(quiet, 8*dayMS)
	}
	return !ok || a.now-last >= quiet
}

func (a alertCtx) alert(kind string, score int, first int64, reasons ...string) *Alert {
	if !a.open(kind) {
		return nil
	}
	if a.d.leaver(a.u, a.now) {
		score += 10
		reasons = append(reasons, "leaving on "+time.UnixMilli(a.u.Leaving).In(a.ev.At.Location()).Format("2006-01-02"))
	}
	if a.newDev && kind != KindCredential {
		reasons = append(reasons, "on device "+short(a.ev.DeviceID)+", first used by them today")
	}
	if first == 0 || first > a.now {
		first = a.now
	}
	role := a.u.Role
	if a.u.ID == UnknownUser {
		role = ""
	}
	return &Alert{UserID: a.u.ID, Username: a.u.Name, Role: role, ShopID: a.u.Shop, Kind: kind,
		Score: min(max(score, 1), 99), FirstAt: time.UnixMilli(first).In(a.ev.At.Location()),
		RaisedAt: a.ev.At, Reasons: reasons}
}

// score: 50 at the threshold, 75 at twice it, 90 at five times.
func score(x, t float64) int {
	if t <= 0 || x <= 0 {
		return 50
	}
	return int(math.Round(100 - 50*t/x))
}

// first returns the time of the oldest item in the window with any of bits.
func (u *userState) first(bits uint16) int64 {
	for _, it := range u.Items[u.head:] {
		if it.Bits&bits != 0 {
			return it.At
		}
	}
	return 0
}

func minutes(from, to int64) string {
	m := (to - from + 59999) / 60000
	if m <= 1 {
		return "within a minute"
	}
	return fmt.Sprintf("in %d minutes", m)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	if id == "" {
		return "(none)"
	}
	return id
}

func pct(a, b int) string {
	if b == 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", int(math.Round(100*float64(a)/float64(b))))
}

func num(v float64) string {
	if v == math.Trunc(v) || v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func (a alertCtx) hour(kind string, f int, x, t float64) *Alert {
	u := a.u
	var bits uint16
	var what string
	n := int(x)
	switch f {
	case fTouch:
		bits = bTouch
		what = fmt.Sprintf("read %d customers", n)
	case fOff:
		bits = bTouch | bOff
		what = fmt.Sprintf("read %d customers outside opening hours (%s local)", n, a.ev.At.Format("Mon 15:04"))
	case fBreak:
		bits = bBreak
		what = fmt.Sprintf("%d break-glass reads of other staff's customers", n)
	case fProbe:
		bits = bProbe
		refused, rare := 0, 0
		for _, it := range u.Items[u.head:] {
			if it.Bits&bProbe != 0 {
				if it.Bits&bRefused != 0 {
					refused++
				} else {
					rare++
				}
			}
		}
		what = fmt.Sprintf("%d refused actions or look-ups they do not usually make (%d refused, %d unusual)", n, refused, rare)
	}
	first := u.first(bits)
	if f == fOff {
		first = u.firstOff()
	}
	reasons := []string{fmt.Sprintf("%s %s; their usual busiest hour is %s", what, minutes(first, a.now), num(u.usual[f]))}
	if f == fTouch || f == fOff {
		if len(u.touch) > 0 && len(u.notOwn) > 0 {
			reasons = append(reasons, pct(len(u.notOwn), len(u.touch))+" not theirs")
		}
	}
	al := a.alert(kind, score(x, t), first, reasons...)
	if al != nil {
		u.Alerted |= 1 << f
	}
	return al
}

func (u *userState) firstOff() int64 {
	for _, it := range u.Items[u.head:] {
		if it.Bits&bOff != 0 && it.Bits&bTouch != 0 {
			return it.At
		}
	}
	return 0
}

func (a alertCtx) credential(x, t float64, extra string) *Alert {
	u := a.u
	first := u.first(bFail)
	who := "their account"
	if u.ID == UnknownUser {
		who = "usernames that do not exist"
	}
	r := fmt.Sprintf("%d failed sign-ins for %s %s", u.nBits[bit(bFail)], who, minutes(first, a.now))
	if a.ev.DeviceID != "" {
		r += " on device " + short(a.ev.DeviceID)
	}
	if extra != "" {
		r = extra
		if dv := a.d.devices[a.ev.DeviceID]; dv != nil && len(dv.Fails) > 0 {
			first = min(first, dv.Fails[0].At)
		}
	}
	if a.d.devices[a.ev.DeviceID] != nil && a.now-a.d.devices[a.ev.DeviceID].First < dayMS && a.now-a.d.devices[a.ev.DeviceID].First >= 0 {
		r += "; the device was first seen today"
	}
	al := a.alert(KindCredential, max(score(x, t), 60), first, r)
	if al != nil {
		u.Alerted |= 1 << fFail
	}
	return al
}

func (a alertCtx) bulkExport() *Alert {
	u := a.u
	n, exports := u.exported, 0
	for _, it := range u.Items[u.head:] {
		if it.Bits&bExport != 0 {
			exports++
		}
	}
	first := u.first(bExport)
	r := fmt.Sprintf("exported %d customers in %d export(s) %s; the limit is %d", n, exports, minutes(first, a.now), a.d.cfg.ExportLimit)
	return a.alert(KindBulkExport, max(80, score(float64(n), float64(a.d.cfg.ExportLimit))), first, r)
}

func (a alertCtx) massSend() *Alert {
	u := a.u
	n, sends := u.sent, 0
	for _, it := range u.Items[u.head:] {
		if it.Bits&bSend != 0 {
			sends++
		}
	}
	first := u.first(bSend)
	r := fmt.Sprintf("sent %d messages to customers in %d send(s) %s; the limit is %d", n, sends, minutes(first, a.now), a.d.cfg.SendLimit)
	return a.alert(KindMassSend, max(70, score(float64(n), float64(a.d.cfg.SendLimit))), first, r)
}

func (a alertCtx) bulkDelete() *Alert {
	u := a.u
	n := u.nBits[bit(bDelete)]
	refused := 0
	for _, it := range u.Items[u.head:] {
		if it.Bits&bDelete != 0 && it.Bits&bRefused != 0 {
			refused++
		}
	}
	first := u.first(bDelete)
	r := fmt.Sprintf("deleted %d customers %s; the limit is %d", n-refused, minutes(first, a.now), a.d.cfg.DeleteLimit)
	if refused > 0 {
		r = fmt.Sprintf("tried to delete %d customers %s (%d refused); the limit is %d", n, minutes(first, a.now), refused, a.d.cfg.DeleteLimit)
	}
	return a.alert(KindBulkDelete, max(80, score(float64(n), float64(a.d.cfg.DeleteLimit))), first, r)
}

// week checks the week features.
func (a alertCtx) week() *Alert {
	u := a.u
	if u.pastDays < 3 {
		return nil
	}
	wt := float64(u.past7) / float64(u.pastDays)
	wn := float64(u.pastNoCtx) / float64(u.pastDays)
	t1, t2 := u.wthr[wTouch]/a.d.cfg.Sensitivity, u.wthr[wNoCtx]/a.d.cfg.Sensitivity
	if a.d.leaver(u, a.now) {
		t1, t2 = math.Max(0.85*t1, 1.1*u.wmax[wTouch]), math.Max(0.85*t2, 1.1*u.wmax[wNoCtx])
	}
	// Customers read with no sale, job or edit count only when they are also a larger share
	// of the week than usual (a mechanic's reads never have one).
	usualShare := 0.0
	if u.wusual[wTouch] > 0 {
		usualShare = u.wusual[wNoCtx] / u.wusual[wTouch]
	}
	hit1, hit2 := wt >= t1, wn >= t2 && wn/math.Max(wt, 1) >= usualShare+0.15
	if !hit1 && !hit2 {
		return nil
	}
	// A week that holds evidence already alerted on is that episode, not a new one.
	for k, last := range u.Episodes {
		if k != KindSlowExfil && a.now-last < 8*dayMS {
			return nil
		}
	}
	var reasons []string
	sc := 0
	if hit1 {
		reasons = append(reasons, fmt.Sprintf("read %d customers on %d working days of the last 7 (%s a day); usually %s a day", u.past7, u.pastDays, num(wt), num(u.wusual[wTouch])))
		sc = score(wt, t1)
	}
	if hit2 {
		reasons = append(reasons, fmt.Sprintf("%d of the %d customers they read on the last %d working days had no sale, job or edit the same day (%s a day; usually %s)", u.pastNoCtx, u.past7, u.pastDays, num(wn), num(u.wusual[wNoCtx])))
	}
	if hit2 {
		sc = max(sc, score(wn, t2))
	}
	// The evidence starts on the first day of the week above the user's usual day.
	first := a.now
	usualDay := u.DayVals[wTouch].stats().med
	for _, p := range u.Past {
		if p.Day >= u.Day-7 && float64(p.Touched) > usualDay {
			first = p.First
			break
		}
	}
	return a.alert(KindSlowExfil, sc, first, reasons...)
}
