package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"spoke/detect"
)

// The detector on the device: every audit entry this device appends is fed, in order, to the
// streaming detector (spoke/detect) once its transaction commits, and on an owner device so is
// every other device's trail as it arrives by sync (each batch in time order; a late entry
// counts in the current window). Leaving dates (the signed staff record's, or a manager's
// proposed one) raise its sensitivity; the shops' opening hours come from the org setting
// detect.shops, or are learned. What it raises becomes an alert row (alerts.go), and under the
// suspend setting a critical one suspends the account here.
//
// Its state (ids, counts and times, no personal value) is kept in the booked meta value
// detect_state with how far into each trail it has read, saved every saveEvery events and at
// Close and restored at unlock; entries after the saved point are read again then, so a crash
// loses nothing (an alert raised twice is one row). A database with no saved state (the first
// unlock with the detector) learns from the last 90 days of its trails first, raising nothing
// from the past.

const metaDetectState = "detect_state"

// learnFor is how much of the trail a detector without saved state learns from.
const learnFor = 90 * 24 * time.Hour

// saveEvery is how many events the detector observes between saves of its state.
const saveEvery = 1000

// watcher is the store's detector and how far it has read each trail.
type watcher struct {
	mu     sync.Mutex
	d      *detect.Detector
	local  int64            // the last local audit seq observed
	remote map[string]int64 // device -> the last seq of its copied trail observed
	seen   int              // events since the last save
	// leaving: the leaving dates are to be read again before the next event.
	leaving bool
	// err is the last error of raising or saving (detection never fails a write).
	err error
}

// savedWatch is the saved state's encoding.
type savedWatch struct {
	V      int              `json:"v"`
	Local  int64            `json:"local"`
	Remote map[string]int64 `json:"remote"`
	State  []byte           `json:"state"`
}

// decodeSavedWatch reads a saved state: the positions in every trail and the detector.
func decodeSavedWatch(b []byte, shops []detect.Shop) (savedWatch, *detect.Detector, error) {
	var sv savedWatch
	if err := json.Unmarshal(b, &sv); err != nil {
		return savedWatch{}, nil, err
	}
	if sv.V != 1 {
		return savedWatch{}, nil, fmt.Errorf("detector state version %d", sv.V)
	}
	if sv.Local < 0 {
		return savedWatch{}, nil, errors.New("detector state: a negative position")
	}
	for _, v := range sv.Remote {
		if v < 0 {
			return savedWatch{}, nil, errors.New("detector state: a negative position")
		}
	}
	if sv.Remote == nil {
		sv.Remote = map[string]int64{}
	}
	d, err := detect.Restore(detect.DefaultConfig(), shops, sv.State)
	if err != nil {
		return savedWatch{}, nil, err
	}
	return sv, d, nil
}

// startWatch restores or starts the detector (Open and Create; not a restore's read-only copy).
func (s *Store) startWatch(ctx context.Context) error {
	if s.trailProblem() != nil {
		return nil
	}
	shops, err := s.detectShops(ctx)
	if err != nil {
		return err
	}
	w := &watcher{remote: map[string]int64{}, leaving: true}
	fresh := true
	if v, err := s.metaChecked(ctx, s.db, metaDetectState); err == nil {
		// A state this version cannot read (or an older encoding) is learned afresh.
		if sv, d, err := decodeSavedWatch(v, shops); err == nil {
			w.d, w.local, w.remote, fresh = d, sv.Local, sv.Remote, false
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if fresh {
		w.d = detect.New(detect.DefaultConfig(), shops)
	}
	s.watch = w
	// Learn (a fresh detector) or catch up (entries after the saved point), in time order.
	var alerts []detect.Alert
	err = s.watchRead(ctx, func(w *watcher) error {
		evs, err := s.trailAfter(ctx, w, "")
		if err != nil {
			return err
		}
		// A fresh detector learns from the last learnFor of the trail (its baselines
		// look back no further), so a first unlock of a long trail stays short.
		since := s.opts.Now().Add(-learnFor)
		for _, ev := range evs {
			if fresh && ev.At.Before(since) {
				continue
			}
			alerts = append(alerts, w.d.Observe(ev)...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !fresh {
		s.handleAlerts(ctx, alerts)
	}
	return nil
}

// detectShops reads the opening hours set for the detector (none: it learns them).
func (s *Store) detectShops(ctx context.Context) ([]detect.Shop, error) {
	vals, _, err := s.orgSettings(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if v := vals[settingShopHours]; v != "" {
		if shops, err := detect.ParseShops(strings.NewReader(v)); err == nil {
			return shops, nil
		}
	}
	return nil, nil
}

// watchRead runs fn with the watcher locked, after reading the leaving dates if they changed.
func (s *Store) watchRead(ctx context.Context, fn func(w *watcher) error) error {
	w := s.watch
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.leaving {
		if err := s.feedLeaving(ctx, w.d); err != nil {
			return err
		}
		w.leaving = false
	}
	return fn(w)
}

// feedLeaving gives the detector every account's leaving date: the signed staff record's, or
// an open proposal's of the account's manager.
func (s *Store) feedLeaving(ctx context.Context, d *detect.Detector) error {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, CASE WHEN u.leaves_at > 0 THEN u.leaves_at
		ELSE COALESCE((SELECT MAX(p.leaves_at) FROM staff_proposals p WHERE p.user_id = u.id AND p.kind = 'leave' AND p.status = 'open'), 0) END
		FROM users u`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		if at > 0 {
			d.SetLeaving(id, time.UnixMilli(at))
		} else {
			d.SetLeaving(id, time.Time{})
		}
	}
	return rows.Err()
}

// trailAfter reads the entries not yet observed: one trail (this device's, by its id, or
// another device's copy), in order, or with device "" every trail, merged in time order.
func (s *Store) trailAfter(ctx context.Context, w *watcher, device string) ([]detect.Event, error) {
	var evs []detect.Event
	read := func(rows *sql.Rows, err error, dev string) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev detect.Event
			var at int64
			var d string
			if err := rows.Scan(&ev.Seq, &at, &ev.UserID, &d, &ev.Action, &ev.Target, &ev.Outcome, &ev.Detail, &ev.Role, &ev.ShopID, &ev.Grant); err != nil {
				return err
			}
			ev.At, ev.DeviceID = time.UnixMilli(at), d
			if strings.HasPrefix(ev.Action, "user.") || strings.HasPrefix(ev.Action, "staff.") {
				w.leaving = true // a leaving date may have changed: read them before the next event
			}
			if dev == "" {
				w.local = max(w.local, ev.Seq)
			} else {
				w.remote[d] = max(w.remote[d], ev.Seq)
			}
			if detect.Known(ev.Action) {
				evs = append(evs, ev)
			}
		}
		return rows.Err()
	}
	const cols = "seq, at, user_id, device_id, action, target, outcome, detail, role, shop_id, grant_used"
	if device == "" || device == s.deviceID {
		rows, err := s.db.QueryContext(ctx, "SELECT "+cols+" FROM audit WHERE seq > ? ORDER BY seq", w.local)
		if err := read(rows, err, ""); err != nil {
			return nil, err
		}
	}
	var devices []string
	if device == "" {
		rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT device_id FROM remote_audit")
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, err
			}
			devices = append(devices, d)
		}
		rows.Close()
	} else if device != s.deviceID {
		devices = []string{device}
	}
	for _, d := range devices {
		rows, err := s.db.QueryContext(ctx, "SELECT "+cols+" FROM remote_audit WHERE device_id = ? AND seq > ? ORDER BY seq", d, w.remote[d])
		if err := read(rows, err, d); err != nil {
			return nil, err
		}
	}
	if device == "" || device != s.deviceID {
		// Merged trails in time order (a stable sort keeps each device's own order).
		sortEvents(evs)
	}
	return evs, nil
}

func sortEvents(evs []detect.Event) {
	// insertion into order by time; trails are mostly in order already
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].At.Before(evs[j-1].At); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// observe feeds the detector the entries of a trail it has not seen (device "" or this
// device's id: this device's own) and acts on what it raises. It runs after every commit
// that appended an entry; it never fails the caller.
func (s *Store) observe(ctx context.Context, device string) {
	if s.watch == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if device == "" {
		device = s.deviceID
	}
	var alerts []detect.Alert
	save := false
	err := s.watchRead(ctx, func(w *watcher) error {
		evs, err := s.trailAfter(ctx, w, device)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			alerts = append(alerts, w.d.Observe(ev)...)
		}
		w.seen += len(evs)
		if w.seen >= saveEvery {
			save = true
		}
		return nil
	})
	if err != nil {
		s.watch.setErr(err)
		return
	}
	s.handleAlerts(ctx, alerts)
	if save {
		s.watch.setErr(s.saveWatch(ctx))
	}
}

func (w *watcher) setErr(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

// watchRecords notes staff records and proposals that arrived by sync: the leaving dates are
// read again before the next event.
func (s *Store) watchRecords(recs []ChangeRecord) {
	if s.watch == nil {
		return
	}
	for _, r := range recs {
		if r.Table == "users" || r.Table == "staff_proposals" {
			s.watch.mu.Lock()
			s.watch.leaving = true
			s.watch.mu.Unlock()
			return
		}
	}
}

// handleAlerts writes the alerts' rows and, under the suspend setting, suspends the account
// of a critical one here.
func (s *Store) handleAlerts(ctx context.Context, alerts []detect.Alert) {
	if len(alerts) == 0 {
		return
	}
	set, err := s.alertSettings(ctx, s.db)
	if err != nil {
		s.watch.setErr(err)
		return
	}
	for _, a := range alerts {
		id, _, err := s.raiseAlert(ctx, a)
		if err != nil {
			s.watch.setErr(err)
			continue
		}
		if set.Mode == AlertSuspend && a.Score >= set.SuspendScore && a.UserID != detect.UnknownUser {
			s.watch.setErr(s.suspend(ctx, a.UserID, id))
		}
	}
	s.watch.setErr(s.saveWatch(ctx))
}

// saveWatch saves the detector's state.
func (s *Store) saveWatch(ctx context.Context) error {
	w := s.watch
	if w == nil || s.trailProblem() != nil {
		return nil
	}
	w.mu.Lock()
	state, err := w.d.MarshalState()
	sv := savedWatch{V: 1, Local: w.local, Remote: map[string]int64{}, State: state}
	for k, v := range w.remote {
		sv.Remote[k] = v
	}
	w.seen = 0
	w.mu.Unlock()
	if err != nil {
		return err
	}
	b, err := json.Marshal(sv)
	if err != nil {
		return err
	}
	return s.putMeta(ctx, s.db, metaDetectState, b)
}

// DetectorError returns the last error the detector met raising an alert or saving its state
// (nil: none), for a status line and tests.
func (s *Store) DetectorError() error {
	if s.watch == nil {
		return nil
	}
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return s.watch.err
}
