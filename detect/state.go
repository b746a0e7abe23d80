package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// stateVersion is the version of the saved state. A device that finds another version starts
// with no history (Restore refuses it) rather than guess at its meaning.
const stateVersion = 1

// MaxState bounds a saved state Restore accepts.
const MaxState = 256 << 20

// ErrBadState wraps every reason Restore refuses a state.
var ErrBadState = errors.New("detector state")

type snapshot struct {
	V       int                   `json:"v"`
	Users   map[string]*userState `json:"users"`
	Roles   map[string]*roleState `json:"roles"`
	Hours   map[string]*learned   `json:"hours"`
	Devices map[string]*devState  `json:"devices"`
}

// MarshalState returns the detector's state (baselines, windows, open episodes, leaving dates,
// learned hours) for Restore. It holds ids, counts and times, never a personal value; the
// same state always gives the same bytes.
func (d *Detector) MarshalState() ([]byte, error) {
	for _, u := range d.users {
		if u.head > 0 {
			u.Items = append(u.Items[:0], u.Items[u.head:]...)
			u.head = 0
		}
	}
	return json.Marshal(snapshot{V: stateVersion, Users: d.users, Roles: d.roles, Hours: d.hours, Devices: d.devices})
}

// Restore returns a detector with the state MarshalState saved, with cfg and shops (which are
// not part of the state: the shop settings and the org's configuration are read afresh). A
// state of another version, or one that does not hold together, is refused with ErrBadState.
func Restore(cfg Config, shops []Shop, data []byte) (*Detector, error) {
	if len(data) > MaxState {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadState, MaxState)
	}
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrBadState)
	}
	if v.V != stateVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrBadState, v.V, stateVersion)
	}
	var s snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: malformed: %s", ErrBadState, jsonProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the state", ErrBadState)
	}
	d := New(cfg, shops)
	for k, u := range s.Users {
		if u == nil || k == "" || len(k) > 600 || u.ID == "" {
			return nil, fmt.Errorf("%w: a user without an id", ErrBadState)
		}
		if err := u.valid(); err != nil {
			return nil, fmt.Errorf("%w: user %s: %v", ErrBadState, short(k), err)
		}
		d.users[k] = u
	}
	for k, r := range s.Roles {
		if r == nil {
			return nil, fmt.Errorf("%w: role %q: empty", ErrBadState, k)
		}
		for f := range nHour {
			if err := r.Hist[f].valid(roleDays); err != nil {
				return nil, fmt.Errorf("%w: role %q: %v", ErrBadState, k, err)
			}
		}
		if err := r.NotOwn.valid(); err != nil {
			return nil, fmt.Errorf("%w: role %q: %v", ErrBadState, k, err)
		}
		r.dirty = true
		d.roles[k] = r
	}
	for k, l := range s.Hours {
		if l == nil || l.Days < 0 || l.LastW < 0 || l.LastW > 6 {
			return nil, fmt.Errorf("%w: hours of shop %q", ErrBadState, k)
		}
		for _, b := range slices.Concat(l.Bins[:], l.Today[:]) {
			if !count(b) {
				return nil, fmt.Errorf("%w: hours of shop %q", ErrBadState, k)
			}
		}
		l.init()
		d.hours[k] = l
	}
	for k, dv := range s.Devices {
		if dv == nil || k == "" {
			return nil, fmt.Errorf("%w: a device without an id", ErrBadState)
		}
		if len(dv.Fails) > 10000 || !slices.IsSortedFunc(dv.Fails, func(a, b failItem) int { return cmpInt(a.At, b.At) }) {
			return nil, fmt.Errorf("%w: device %s: failed sign-ins out of order", ErrBadState, short(k))
		}
		d.devices[k] = dv
	}
	for _, u := range d.users {
		u.derive()
		d.thresholds(u)
	}
	return d, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func count(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= 1e12 }

func (r *ring) valid(capacity int) error {
	if len(r.V) > capacity || r.Next < 0 || (len(r.V) < capacity && r.Next != 0) || (len(r.V) == capacity && r.Next >= capacity) {
		return errors.New("a baseline of the wrong size")
	}
	for _, v := range r.V {
		if !count(v) {
			return errors.New("a baseline value out of range")
		}
	}
	return nil
}

func (e ewma) valid() error {
	if e.N < 0 || math.IsNaN(e.Mean) || e.Mean < 0 || e.Mean > 1 {
		return errors.New("a share out of range")
	}
	return nil
}

func (u *userState) valid() error {
	for i, w := range u.WeekLag {
		if !count(w.V[0]) || !count(w.V[1]) || (i > 0 && w.Day <= u.WeekLag[i-1].Day) {
			return errors.New("week sums out of order or out of range")
		}
	}
	if len(u.WeekLag) > 2*weekLag || len(u.Items) > 1<<20 || len(u.Today) > 1<<20 || len(u.Past) > 8 || len(u.Devices) > 64 || len(u.Episodes) > 64 {
		return errors.New("too large")
	}
	if u.First < 0 || u.Last < u.First || u.Active < 0 || u.Total < 0 {
		return errors.New("times or counts out of range")
	}
	for i, it := range u.Items {
		if it.Bits&^uint16(bAll) != 0 || it.N < 0 || it.N > 1<<24 || len(it.C) > 200 || (i > 0 && it.At < u.Items[i-1].At) {
			return errors.New("window out of order or out of range")
		}
	}
	for _, b := range u.Today {
		if b > tShown|tCtx|tNotOwn {
			return errors.New("today out of range")
		}
	}
	for i, p := range u.Past {
		if p.Touched < 0 || p.NoCtx < 0 || p.NoCtx > p.Touched || (i > 0 && p.Day <= u.Past[i-1].Day) {
			return errors.New("past days out of order or out of range")
		}
	}
	for c := range nClass {
		if u.Counts[c] < 0 || u.TodayN[c] < 0 {
			return errors.New("action counts out of range")
		}
	}
	for f := range nHour {
		if !count(u.Peak[f]) {
			return errors.New("peaks out of range")
		}
		if err := u.Hist[f].valid(userDays); err != nil {
			return err
		}
	}
	for f := range nWeek {
		if err := u.Week[f].valid(userDays); err != nil {
			return err
		}
		if err := u.DayVals[f].valid(userDays); err != nil {
			return err
		}
	}
	return u.NotOwn.valid()
}
