package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"spoke/version"
)

// What the hub last said about every device: the Spoke version each reported and when it last
// synced (the engine saves it at the end of each round, after this device reported its own
// version). It is the hub's word, kept in the header under the book's MAC so the file cannot
// be edited to hide a device; the check-up compares it with the verified roster and never takes
// a key or a device from it.

const metaHubView = "hub_view"

// maxHubDevices bounds the list a hub may hand this device.
const maxHubDevices = 10000

// HubDevice is one device as the hub lists it: ids, standing, version and times only.
type HubDevice struct {
	ID         string    `json:"id"`
	Role       string    `json:"role"`
	Status     string    `json:"status"`
	Version    string    `json:"version,omitempty"`
	LastSync   time.Time `json:"last_sync,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
}

// HubView is the hub's version list as this device received it.
type HubView struct {
	At       time.Time   `json:"at"`                 // when this device received it
	Reported string      `json:"reported,omitempty"` // the version this device reported then
	Newest   string      `json:"newest,omitempty"`   // the newest version the hub has seen
	Hub      string      `json:"hub,omitempty"`      // the hub's own version
	Devices  []HubDevice `json:"devices"`
}

// errHubView refuses a list that is not what a hub sends (an id or a version out of shape).
var errHubView = errors.New("the hub's version list is malformed")

func idLike(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (v *HubView) check() error {
	if len(v.Devices) > maxHubDevices {
		return errHubView
	}
	for _, s := range []string{v.Reported, v.Newest, v.Hub} {
		if s != "" && !version.Valid(s) {
			return errHubView
		}
	}
	for _, d := range v.Devices {
		if !idLike(d.ID) || (d.Version != "" && !version.Valid(d.Version)) ||
			(d.Role != "owner" && d.Role != "shop") || (d.Status != "active" && d.Status != "revoked") {
			return errHubView
		}
	}
	return nil
}

// saveHubView keeps the hub's list, stamped with this device's clock.
func (s *Store) saveHubView(ctx context.Context, v HubView) error {
	if err := v.check(); err != nil {
		return err
	}
	v.At = s.opts.Now().UTC()
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.putMeta(ctx, s.db, metaHubView, b)
}

// hubView returns the hub's list as last saved, or nil before the first.
func (s *Store) hubView(ctx context.Context, q querier) (*HubView, error) {
	b, err := s.metaChecked(ctx, q, metaHubView)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v HubView
	if err := json.Unmarshal(b, &v); err != nil || v.check() != nil {
		return nil, &TamperError{Table: "meta", Row: metaHubView, Column: "value", Reason: "not a version list Spoke writes"}
	}
	return &v, nil
}

// SaveHubView keeps the hub's version list (the sync engine, after reporting this device's
// version).
func (r *Replica) SaveHubView(ctx context.Context, v HubView) error { return r.s.saveHubView(ctx, v) }
