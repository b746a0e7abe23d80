package detect

import (
	"fmt"
	"math"
	"time"
)

// Config tunes the detector. The zero value of a field takes its default.
type Config struct {
	// ExportLimit: more customers than this exported within an hour make a bulk export (the
	// hold's N).
	ExportLimit int
	// DeleteLimit: deletions within an hour beyond which it is a bulk delete (the hold's M).
	DeleteLimit int
	// SendLimit: more messages to customers than this sent by one user within an hour
	// (reminders, campaigns, recall notices) make a mass send.
	SendLimit int
	// Sensitivity divides every statistical threshold: 2 raises alerts at half the deviation.
	Sensitivity float64
	// LeaverDays: how many days before a leaving date a user is watched more closely (and
	// until 30 days after it).
	LeaverDays int
	// Margin widens configured opening hours for opening up and closing.
	Margin time.Duration
	// Quiet ends an episode: a user's evidence of one kind raises one alert, and another only
	// after this long without any.
	Quiet time.Duration
}

// DefaultConfig is the configuration the harness was tuned with.
func DefaultConfig() Config { return Config{}.withDefaults() }

func (c Config) withDefaults() Config {
	if c.ExportLimit <= 0 {
		c.ExportLimit = 50
	}
	if c.DeleteLimit <= 0 {
		c.DeleteLimit = 10
	}
	if c.SendLimit <= 0 {
		c.SendLimit = 300
	}
	if c.Sensitivity <= 0 || math.IsNaN(c.Sensitivity) || math.IsInf(c.Sensitivity, 0) {
		c.Sensitivity = 1
	}
	if c.LeaverDays <= 0 {
		c.LeaverDays = 30
	}
	if c.Margin <= 0 {
		c.Margin = 45 * time.Minute
	}
	if c.Quiet <= 0 {
		c.Quiet = 24 * time.Hour
	}
	return c
}

// The alert kinds.
const (
	KindMassRead   = "mass_read"           // many customers opened or exported in an hour
	KindOffHours   = "off_hours"           // customers opened outside opening hours
	KindBreakGlass = "break_glass"         // break-glass reads well beyond the user's habit
	KindProbing    = "probing"             // refused actions and look-ups the user never makes
	KindCredential = "credential_guessing" // failed sign-ins for an account or from a device
	KindBulkExport = "bulk_export"         // hard rule: more than ExportLimit customers exported in an hour
	KindBulkDelete = "bulk_delete"         // hard rule: more than DeleteLimit deletions
	KindMassSend   = "mass_send"           // hard rule: more than SendLimit messages to customers in an hour
	KindSlowExfil  = "slow_exfiltration"   // a week of reading far more customers than usual
)

// Alert is one episode of unusual behaviour of one user.
type Alert struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Role     string `json:"role,omitempty"`
	ShopID   string `json:"shop_id,omitempty"`
	Kind     string `json:"kind"`
	// Score is 50 at the threshold and rises towards 100 with the deviation; hard rules
	// score at least 80.
	Score int `json:"score"`
	// FirstAt is the time of the first event counted as evidence; RaisedAt that of the event
	// at which the detector raised the alert.
	FirstAt  time.Time `json:"first_at"`
	RaisedAt time.Time `json:"raised_at"`
	// Reasons say in plain words, with the numbers, what was unusual.
	Reasons []string `json:"reasons"`
}

// Hour features: counts over the sliding hour that ends at the current event.
const (
	fTouch = iota // distinct customers whose data was shown, plus customers exported
	fOff          // the same, outside opening hours
	fBreak        // break-glass reads and attempts
	fProbe        // refused actions and look-ups the user (almost) never makes
	fFail         // failed or refused sign-ins
	nHour
)

// Detector is the streaming detector. It is not safe for concurrent use: one goroutine
// observes, and saves its state between events.
type Detector struct {
	cfg     Config
	shops   map[string]*Shop
	users   map[string]*userState
	roles   map[string]*roleState
	hours   map[string]*learned
	devices map[string]*devState
}

// New returns a detector with no history. shops gives opening hours; a shop not among them
// has its hours learned from its staff's activity.
func New(cfg Config, shops []Shop) *Detector {
	d := &Detector{cfg: cfg.withDefaults(), shops: map[string]*Shop{}, users: map[string]*userState{},
		roles: map[string]*roleState{}, hours: map[string]*learned{}, devices: map[string]*devState{}}
	for i := range shops {
		s := shops[i]
		if s.Loc == nil {
			s.Loc = time.UTC
		}
		d.shops[s.ID] = &s
	}
	return d
}

// SetLeaving records a user's leaving date (the zero time clears it): from LeaverDays before it
// until 30 days after, the user's statistical thresholds are lowered (see limit).
func (d *Detector) SetLeaving(userID string, at time.Time) {
	u := d.user(userID)
	if at.IsZero() {
		u.Leaving = 0
		return
	}
	u.Leaving = at.UnixMilli()
}

func (d *Detector) user(key string) *userState {
	u := d.users[key]
	if u == nil {
		u = &userState{ID: key}
		u.derive()
		d.users[key] = u
	}
	return u
}

func (u *userState) derive() {
	u.touch, u.off, u.notOwn = map[string]int32{}, map[string]int32{}, map[string]int32{}
	if u.Today == nil {
		u.Today = map[string]uint8{}
	}
	if u.Devices == nil {
		u.Devices = map[string]int64{}
	}
	if u.Episodes == nil {
		u.Episodes = map[string]int64{}
	}
	u.head, u.exported, u.sent, u.nBits = 0, 0, 0, [16]int{}
	for _, it := range u.Items {
		u.add(it)
	}
	u.shown = 0
	for _, b := range u.Today {
		if b&tShown != 0 {
			u.shown++
		}
	}
	u.sums()
}

func (d *Detector) role(name string) *roleState {
	r := d.roles[name]
	if r == nil {
		r = &roleState{dirty: true}
		d.roles[name] = r
	}
	if r.dirty {
		for f := range nHour {
			r.st[f] = r.Hist[f].stats()
		}
		r.dirty = false
	}
	return r
}

// civil is a local time's day number.
func civil(lt time.Time) int64 {
	y, m, dd := lt.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// local returns t in the shop's zone if it is configured, else in the zone of its own offset
// (the device's, as the trail printed it).
func (d *Detector) local(shop string, t time.Time) time.Time {
	if s := d.shops[shop]; s != nil {
		return t.In(s.Loc)
	}
	return t
}

// offHours reports whether t is outside the opening hours of the user's shop; for a chain-wide
// user (no shop), outside every shop's.
func (d *Detector) offHours(shop string, t time.Time) bool {
	margin := int(d.cfg.Margin / time.Minute)
	if shop != "" {
		if s := d.shops[shop]; s != nil {
			return s.closedAt(t, margin)
		}
		if l := d.hours[shop]; l != nil {
			return l.closedAt(t)
		}
		return false
	}
	known := false
	for _, s := range d.shops {
		known = true
		if !s.closedAt(t, margin) {
			return false
		}
	}
	for id, l := range d.hours {
		if d.shops[id] != nil {
			continue
		}
		if l.Days < learnAfter {
			return false
		}
		known = true
		if !l.closedAt(t) {
			return false
		}
	}
	return known
}

// Observe feeds one event, in time order, and returns the alerts it raises (usually none).
// Unknown actions are ignored. A late event (older than the user's newest) is counted in the
// user's current window.
func (d *Detector) Observe(ev Event) []Alert {
	c := classify(ev.Action)
	if c == cUnknown || ev.UserID == "" {
		return nil
	}
	now := ev.At.UnixMilli()
	failed := c == cSignIn && (ev.Outcome == "failed" || ev.Outcome == "refused")
	key := ev.UserID
	if ev.UserID == UnknownUser {
		key = UnknownUser + "@" + ev.DeviceID
		ev.Role = "(unknown username)"
	}
	u := d.user(key)
	u.ID = ev.UserID
	if ev.Username != "" {
		u.Name = ev.Username
	}
	if ev.Role != "" {
		u.Role = ev.Role
	}
	if ev.ShopID != "" || u.Shop == "" {
		u.Shop = ev.ShopID
	}
	lt := d.local(u.Shop, ev.At)
	if day := civil(lt); day > u.Day {
		d.closeDay(u, day, now)
	}
	if u.First == 0 {
		u.First = now
	}
	if now > u.Last {
		u.Last = now
	}
	u.prune(u.Last - hourMS)
	if u.Shop != "" && d.shops[u.Shop] == nil && !failed && ev.UserID != UnknownUser {
		l := d.hours[u.Shop]
		if l == nil {
			l = &learned{}
			d.hours[u.Shop] = l
		}
		l.add(lt, civil(lt))
	}
	newDev := d.device(u, ev.DeviceID, now)
	off := d.offHours(u.Shop, ev.At)
	u.TodayN[c]++

	refused := ev.Outcome == "denied" || ev.Outcome == "refused"
	var flags uint16
	if off {
		flags |= bOff
	}
	add := func(bits uint16, cust string, n int32) {
		it := item{At: now, Bits: bits, C: cust, N: n}
		u.insert(it)
	}
	touched, notOwn := false, ev.Grant != "" && ev.Grant != "own"
	show := func(cust string, notOwn bool) {
		bits := bTouch | flags
		tb := uint8(tShown)
		if notOwn {
			bits |= bNotOwn
			tb |= tNotOwn
		}
		add(uint16(bits), cust, 0)
		if u.Today[cust]&tShown == 0 {
			u.shown++
		}
		u.Today[cust] |= tb
		touched = true
	}
	rare := d.rare(u, c)
	switch {
	case failed:
		add(bFail|flags, "", 0)
	case c == cRead || c == cBreakGlass:
		bg := c == cBreakGlass
		switch {
		case refused:
			bits := uint16(bProbe | bRefused | flags)
			if bg {
				bits |= bBreak
			}
			add(bits, ev.Target, 0)
		case ev.Target != "":
			show(ev.Target, notOwn || bg)
			if bg {
				add(bBreak|flags, ev.Target, 0)
			}
			if rare {
				add(bProbe|bRare|flags, "", 0)
			}
		}
	case c == cLookup || c == cLookupOther:
		if refused {
			add(bProbe|bRefused|flags, "", 0)
			break
		}
		for _, id := range matchedIDs(ev.Detail) {
			show(id, notOwn || c == cLookupOther)
		}
		if rare {
			add(bProbe|bRare|flags, "", 0)
		}
	case c == cUpdate:
		if refused {
			add(bProbe|bRefused|flags, "", 0)
			break
		}
		if ev.Target != "" {
			show(ev.Target, notOwn)
			u.Today[ev.Target] |= tCtx
		}
	case c == cDelete:
		bits := uint16(bDelete | flags)
		if refused {
			bits |= bRefused
		}
		add(bits, ev.Target, 0)
	case c == cExport:
		n, ok := detailInt(ev.Detail, "count")
		if !ok {
			n, ok = detailInt(ev.Detail, "customers") // a listing of owners (recall.matches)
		}
		if !ok || n < 1 {
			n = 1
		}
		n = min(n, 1<<24)
		bits := uint16(bExport | flags)
		if refused {
			bits |= bRefused | bProbe
		}
		add(bits, "", int32(n))
	case c == cSend:
		if refused {
			add(bProbe|bRefused|flags, "", 0)
			break
		}
		n, ok := detailInt(ev.Detail, "sent")
		if !ok {
			n, _ = detailInt(ev.Detail, "count")
		}
		if n > 0 {
			add(bSend|flags, "", int32(min(n, 1<<24)))
		}
	default:
		if refused && c != cSignIn {
			add(bProbe|bRefused|flags, "", 0)
		} else if serves(ev.Action, c) && ev.Target != "" {
			u.Today[ev.Target] |= tCtx
		}
	}

	// The window's features now.
	x := [nHour]float64{
		fTouch: float64(len(u.touch)),
		fOff:   float64(len(u.off)),
		fBreak: float64(u.nBits[bit(bBreak)]),
		fProbe: float64(u.nBits[bit(bProbe)]),
		fFail:  float64(u.nBits[bit(bFail)]),
	}
	for f := range nHour {
		u.Peak[f] = max(u.Peak[f], x[f])
	}
	ctx := alertCtx{d: d, u: u, ev: ev, now: now, newDev: newDev}
	var out []Alert
	raise := func(a *Alert) {
		if a != nil {
			out = append(out, *a)
		}
	}
	switch {
	case failed:
		if x[fFail] >= d.limit(u, fFail, now, newDev) {
			raise(ctx.credential(x[fFail], d.limit(u, fFail, now, newDev), ""))
		} else if dv := d.devices[ev.DeviceID]; dv != nil && ev.DeviceID != "" {
			dv.prune(now)
			n, users := dv.failures(key)
			if (n >= deviceWin && users >= 2) || n >= deviceAll {
				raise(ctx.credential(float64(n), deviceWin, fmt.Sprintf("%d failed sign-ins from device %s within the hour, for %d accounts", n, short(ev.DeviceID), users)))
			}
		}
	case c == cExport && u.exported > d.cfg.ExportLimit:
		raise(ctx.bulkExport())
	case c == cDelete && u.nBits[bit(bDelete)] > d.cfg.DeleteLimit:
		raise(ctx.bulkDelete())
	case c == cSend && u.sent > d.cfg.SendLimit:
		raise(ctx.massSend())
	}
	if touched {
		if t := d.limit(u, fTouch, now, newDev); x[fTouch] >= t {
			raise(ctx.hour(KindMassRead, fTouch, x[fTouch], t))
		}
		if off {
			if t := d.limit(u, fOff, now, newDev); x[fOff] >= t {
				raise(ctx.hour(KindOffHours, fOff, x[fOff], t))
			}
		}
		raise(ctx.week())
	}
	if c == cBreakGlass {
		if t := d.limit(u, fBreak, now, newDev); x[fBreak] >= t {
			raise(ctx.hour(KindBreakGlass, fBreak, x[fBreak], t))
		}
	}
	if u.lastProbe(now) {
		if t := d.limit(u, fProbe, now, newDev); x[fProbe] >= t {
			raise(ctx.hour(KindProbing, fProbe, x[fProbe], t))
		}
	}
	if dv := d.devices[ev.DeviceID]; failed && dv != nil {
		dv.fail(now, key)
	}
	return out
}
