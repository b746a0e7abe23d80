package hub

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"spoke/protocol"
)

// What one device may cost the hub, and the sweep of expired enrollment
// tokens (which also drops abandoned snapshot uploads, snapshot.go). Every limit is per hub process: several processes on one database
// each allow a device its rate, and see its stored bytes from the database
// at most a minute late, so the quota is soft by what a device can push in
// that minute.

// Defaults for the limits in Config left zero.
const (
	// DefaultMaxPullBytes is the byte budget of one pull page: a page stops
	// before the set that would go over it (but always holds one set, so a
	// 32 MiB set still moves), and the device pulls again from its cursor.
	DefaultMaxPullBytes = 8 << 20
	// DefaultPushRate and DefaultPushBurst are each device's token bucket
	// for pushes: 300 change-sets at once (a device back from a week
	// offline with a set per sync round), then 10 a second. A spoke pushes
	// one set at a time and makes sets of up to 5000 changes, so honest
	// traffic stays far below.
	DefaultPushRate  = 10.0
	DefaultPushBurst = 300
	// DefaultDeviceQuota is how many bytes of change-sets the hub keeps per
	// device: 10 GiB, some thousand times a busy shop's year (10,000 new
	// customers seal to about 4 MB).
	DefaultDeviceQuota = 10 << 30

	tokenSweepEvery = time.Hour
	usageRefresh    = time.Minute
	// maxRetryAfter bounds the wait a 429 asks for.
	maxRetryAfter = time.Hour
)

// limits holds the per-device state behind the push rate and quota.
type limits struct {
	mu    sync.Mutex
	push  map[string]*rate.Limiter
	usage map[string]usage
}

type usage struct {
	bytes int64
	at    time.Time // when bytes was read from storage
}

func newLimits() *limits {
	return &limits{push: map[string]*rate.Limiter{}, usage: map[string]usage{}}
}

// pushWait takes one push from the device's bucket at now, or returns how
// long the device must wait for one (and takes nothing).
func (s *Server) pushWait(id string, now time.Time) time.Duration {
	if s.cfg.PushRate < 0 {
		return 0
	}
	s.lim.mu.Lock()
	l, ok := s.lim.push[id]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.cfg.PushRate), s.cfg.PushBurst)
		s.lim.push[id] = l
	}
	s.lim.mu.Unlock()
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return maxRetryAfter
	}
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now)
	}
	return d
}

// refuseRate answers 429 with a Retry-After of whole seconds (at least one,
// at most maxRetryAfter); what names what the device pushes.
func (s *Server) refuseRate(w http.ResponseWriter, r *http.Request, wait time.Duration, what string) {
	secs := int64(math.Ceil(min(wait, maxRetryAfter).Seconds()))
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	s.fail(w, r, http.StatusTooManyRequests, protocol.RejectRateLimited, protocol.RejectRateLimited,
		fmt.Sprintf("this device is pushing %s faster than the hub allows; nothing was stored, push it again in %d s", what, secs))
}

// storedBytes returns the bytes of change-sets the device has at the hub,
// from a cache read from storage at most once a minute, so a push costs no
// sum over the device's sets.
func (s *Server) storedBytes(ctx context.Context, id string, now time.Time) (int64, error) {
	s.lim.mu.Lock()
	u, ok := s.lim.usage[id]
	s.lim.mu.Unlock()
	if ok && now.Sub(u.at) < usageRefresh && !now.Before(u.at) {
		return u.bytes, nil
	}
	n, err := s.cfg.Storage.StoredBytes(ctx, id)
	if err != nil {
		return 0, err
	}
	s.lim.mu.Lock()
	s.lim.usage[id] = usage{bytes: n, at: now}
	s.lim.mu.Unlock()
	return n, nil
}

// addStored counts a newly stored set in the cache.
func (s *Server) addStored(id string, n int64) {
	s.lim.mu.Lock()
	if u, ok := s.lim.usage[id]; ok {
		u.bytes += n
		s.lim.usage[id] = u
	}
	s.lim.mu.Unlock()
}

// forgetStored drops every cached stored-bytes count, after a snapshot commit
// deleted sets of many devices at once.
func (s *Server) forgetStored() {
	s.lim.mu.Lock()
	clear(s.lim.usage)
	s.lim.mu.Unlock()
}

// overQuota reports whether storing n more bytes would take the device over
// its quota, answering 507 if so. It chooses 507 Insufficient Storage, as
// WebDAV servers do for a full quota (RFC 4918, 11.5), rather than 413:
// 413 already means "this one set is too big for the hub", a fault of the
// set, while here the set is fine and the device's room is used up; the
// same set will be accepted once the operator raises the quota.
func (s *Server) overQuota(w http.ResponseWriter, r *http.Request, d Device, n int64) bool {
	if s.cfg.DeviceQuota < 0 {
		return false
	}
	used, err := s.storedBytes(r.Context(), d.ID, s.cfg.Now())
	if err != nil {
		s.internal(w, r, "read stored bytes", err)
		return true
	}
	if used+n <= s.cfg.DeviceQuota {
		return false
	}
	s.log.Warn("device over its quota", "device", d.ID, "stored_bytes", used, "quota_bytes", s.cfg.DeviceQuota)
	s.fail(w, r, http.StatusInsufficientStorage, protocol.RejectQuota, protocol.RejectQuota, fmt.Sprintf(
		"this device already has %s of change-sets at the hub, and this one would take it over the %s the hub keeps per device: "+
			"ask the hub's operator to raise it (spoke-hub serve --device-quota BYTES); until then this device's changes wait on it, nothing is lost",
		sizeText(used), sizeText(s.cfg.DeviceQuota)))
	return true
}

// sizeText writes a byte count for people: "800 bytes", "12.5 KiB", "3.0 GiB".
func sizeText(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

// SweepTokens deletes the enrollment tokens that expired unused and the key
// envelopes left for them (sealed under a code nobody redeemed). The server
// runs it hourly and before creating a token.
func (s *Server) SweepTokens(ctx context.Context) error {
	toks, envs, err := s.cfg.Storage.DeleteExpiredTokens(ctx, s.cfg.Now())
	if err != nil {
		return err
	}
	if toks > 0 || envs > 0 {
		s.log.Info("expired enrollment tokens deleted", "tokens", toks, "envelopes", envs)
	}
	return nil
}

// sweepLoop runs SweepTokens and SweepSnapshots at once and then every
// interval until ctx ends.
func (s *Server) sweepLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.SweepTokens(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("delete expired tokens", "err", err)
		}
		if err := s.SweepSnapshots(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("delete abandoned snapshot uploads", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
