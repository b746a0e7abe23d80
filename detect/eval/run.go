package eval

import (
	"sort"

	"spoke/detect"
)

// Shops returns the trace's shops as the detector takes them.
func (tr *Trace) ShopList() ([]detect.Shop, error) {
	var out []detect.Shop
	for _, sp := range tr.Shops {
		s, err := sp.Shop()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Options of a replay.
type Options struct {
	// NoShops replays without the shops' hours (the detector learns them).
	NoShops bool
	// NoLeavers replays without the leaving dates.
	NoLeavers bool
}

// Run replays the trace through a new detector in time order, telling it each leaving date
// from the day the owner recorded it, and returns the alerts.
func Run(tr *Trace, cfg detect.Config, o Options) ([]detect.Alert, error) {
	var shops []detect.Shop
	if !o.NoShops {
		var err error
		if shops, err = tr.ShopList(); err != nil {
			return nil, err
		}
	}
	d := detect.New(cfg, shops)
	leavers := append([]Leaver(nil), tr.Labels.Leavers...)
	sort.Slice(leavers, func(i, j int) bool { return leavers[i].NoticeAt.Before(leavers[j].NoticeAt) })
	if o.NoLeavers {
		leavers = nil
	}
	var out []detect.Alert
	for _, ev := range tr.Events {
		for len(leavers) > 0 && !leavers[0].NoticeAt.After(ev.At) {
			d.SetLeaving(leavers[0].UserID, leavers[0].Leaving)
			leavers = leavers[1:]
		}
		out = append(out, d.Observe(ev)...)
	}
	return out, nil
}
