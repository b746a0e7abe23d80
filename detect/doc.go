// Package detect is Spoke's unusual-behaviour detector: a streaming pass over the audit trail
// that keeps, per user and per role, robust baselines of what is normal (medians, MADs and
// high quantiles of each user's busiest hour and week, an EWMA of the share of customers not
// their own, the shop's opening hours given or learned) and raises an alert when a window of
// the user's activity leaves them, or when a hard rule on bulk actions is crossed.
//
// It owns the event type (one audit entry as `spoke audit --json` prints it), the features, the
// baselines, the alert kinds and their plain-language reasons, and the detector's state, which
// it can save and restore (a versioned encoding) so a device keeps its baselines across
// restarts. It never reads a store, a file or the clock: the caller feeds it events in time
// order (Observe) and the leaving dates of staff (SetLeaving), and decides what an alert does
// (show, hold, suspend). Nothing here sees a personal value: events carry ids, actions, grants
// and counts only, and so do the reasons.
//
// Detection is causal: an alert raised at an event depends only on that event and the ones
// before it, so replaying a trail (`spoke detect`) gives the alerts the device would have
// raised live.
//
// Use:
//
//	d := detect.New(detect.DefaultConfig(), shops) // or detect.Restore(cfg, shops, saved)
//	d.SetLeaving(userID, leavingDate)              // from the staff record; zero time clears
//	for each audit entry, in time order:
//		for _, a := range d.Observe(ev) { ... }   // usually none; one per user, kind and episode
//	saved, _ := d.MarshalState()                   // ids, counts and times; no personal value
//
// The features are in features.go, the alerts and their reasons in alerts.go, the state's
// encoding in state.go; detect/eval generates labelled traces and scores the detector on them.
package detect
