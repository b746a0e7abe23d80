package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
)

// RosterStale is how long a device goes without an owner device confirming its device list
// (a signed roster head matching it) before the Sync screen and `spoke sync` say so: a hub can
// withhold entries (a revocation, say), and only a fresh head shows that it does not.
var RosterStale = 72 * time.Hour

// rosterPage is the most entries the hub returns per answer.
const rosterPage = 1000

// syncRoster brings the verified roster up to date from the hub, relays entries the hub lacks
// (an owner's genesis, an entry whose push was cut off), signs this owner device's head and
// checks every head the hub relays. Entries that do not verify are refused, recorded and
// shown; nothing the hub says is adopted unverified.
func (e *Engine) syncRoster(ctx context.Context, id *device.Identity) error {
	local, err := e.st.Roster(ctx)
	if err != nil && !errors.Is(err, store.ErrNoRoster) {
		return err
	}
	st, err := e.st.SyncState(ctx)
	if err != nil {
		return err
	}
	alert, code := "", "" // what to tell a person; the fixed word the audit entry carries
	var heads [][]byte
	var hubLen uint64
	for {
		from := uint64(0)
		if local != nil {
			from = local.Len()
		}
		resp, err := e.hub.Roster(ctx, from)
		if err != nil {
			return err
		}
		heads, hubLen = resp.Heads, resp.Len
		if len(resp.Entries) == 0 {
			break
		}
		next, err := e.st.AppendRoster(ctx, resp.Entries)
		if errors.Is(err, roster.ErrInvalid) {
			alert, code = "the hub relayed device-list entries that do not verify (planted, swapped or reordered); they were refused", "invalid-entries"
			break
		}
		if err != nil {
			return err
		}
		local = next
		if len(resp.Entries) < rosterPage {
			break
		}
	}
	if local == nil {
		st.RosterAlert = "no device list from the owner yet"
		return e.st.SaveSyncState(ctx, st)
	}
	me := local.Member(e.st.DeviceID())
	owner := me != nil && me.Active && me.Role == roster.RoleOwner
	if owner && hubLen < local.Len() {
		missing, err := e.st.RosterEntries(ctx, hubLen)
		if err != nil {
			return err
		}
		for i, b := range missing {
			if err := e.hub.AppendRoster(ctx, hubLen+uint64(i), b); err != nil {
				return fmt.Errorf("relay device-list entry %d: %w", hubLen+uint64(i), err)
			}
		}
	}
	now := time.Now()
	if owner {
		if err := e.hub.PutRosterHead(ctx, local.SignHead(e.st.DeviceID(), id.Signing, now.UnixMilli())); err != nil {
			return err
		}
	}
	// Confirmation comes from another active owner device's head; the only owner device is
	// the authority itself.
	otherOwners := false
	for _, m := range local.Members() {
		if m.Active && m.Role == roster.RoleOwner && m.ID != roster.RecoveryID && m.ID != e.st.DeviceID() {
			otherOwners = true
		}
	}
	if owner && !otherOwners {
		st.RosterConfirmed = now.UTC()
	}
	for _, hb := range heads {
		h, err := roster.DecodeHead(hb)
		if err != nil {
			alert, code = "the hub relayed a malformed device-list head", "unverified"
			continue
		}
		if h.Signer == e.st.DeviceID() {
			continue
		}
		if m := local.Member(h.Signer); m != nil && !m.Active {
			continue // a revoked owner's last head: it confirms nothing any more
		}
		switch local.CheckHead(h) {
		case roster.HeadCurrent:
			at := time.UnixMilli(h.At).UTC()
			if at.After(st.RosterConfirmed) && at.Before(now.Add(5*time.Minute)) {
				st.RosterConfirmed = at
			}
		case roster.HeadAhead:
			alert, code = fmt.Sprintf("owner device %s signed a device list of %d entries but the hub gave this device %d: entries are being withheld", h.Signer, h.Len, local.Len()), "withheld"
		case roster.HeadForked:
			alert, code = fmt.Sprintf("owner device %s holds a different device list than this device: the hub shows different lists to different devices", h.Signer), "forked"
		case roster.HeadUnverified:
			alert, code = "the hub relayed a device-list head that no owner of this device list signed", "unverified"
		}
	}
	if len(st.Owner) > 0 && alert == "" {
		ok := false
		for _, m := range local.Members() {
			fp := store.Fingerprint(m.SigningKey)
			if m.Active && m.Role == roster.RoleOwner && bytes.Equal(fp[:], st.Owner) {
				ok = true
			}
		}
		if !ok {
			alert, code = "the owner device that enrolled this one is not an active owner in the device list", "issuer-not-owner"
		}
	}
	if alert != "" && alert != st.RosterAlert {
		e.st.Audit(ctx, syncPrincipal, store.Event{Action: "roster.alert", Outcome: "refused", Detail: code})
	}
	st.RosterAlert = alert
	return e.st.SaveSyncState(ctx, st)
}

// RosterWarning is what a person should be told about the device list, or "": an alert about
// what the hub relayed, or that no owner device has confirmed the list for RosterStale.
func RosterWarning(st store.SyncState, now time.Time) string {
	if !st.Connected() {
		return ""
	}
	if st.RosterAlert != "" {
		return "device list: " + st.RosterAlert
	}
	if st.RosterConfirmed.IsZero() {
		return "device list not confirmed by an owner device yet"
	}
	if now.Sub(st.RosterConfirmed) > RosterStale {
		return "device list not confirmed since " + st.RosterConfirmed.Local().Format("2006-01-02 15:04")
	}
	return ""
}

// publish appends a signed entry at the hub first, then here: if another owner took the
// position meanwhile, nothing forks locally, and the next round signs again on top.
func publish(ctx context.Context, st Replica, h rosterHub, entry []byte) (*roster.State, error) {
	ent, err := roster.Decode(entry)
	if err != nil {
		return nil, err
	}
	if err := h.AppendRoster(ctx, ent.Seq, entry); err != nil {
		if errors.Is(err, hubclient.ErrReplay) {
			return nil, fmt.Errorf("another owner device changed the device list at the same time; sync and try again: %w", err)
		}
		return nil, err
	}
	return st.AppendRoster(ctx, [][]byte{entry})
}

// rosterHub is the hub's roster endpoints.
type rosterHub interface {
	AppendRoster(ctx context.Context, seq uint64, entry []byte) error
}

// pendingEnrolment is an enrolment code this owner device issued and has not yet confirmed:
// the one-time secret proves the new device's keys (device.EnrollProof) before the device is
// signed into the roster with the role and shops the owner chose, not the hub.
type pendingEnrolment struct {
	TokenID string    `json:"token_id"`
	Secret  []byte    `json:"secret"`
	Role    string    `json:"role"`
	Scopes  []string  `json:"scopes,omitempty"`
	Expires time.Time `json:"expires"`
}

const secretPending = "pending_enrolments"

func loadPending(ctx context.Context, st Replica) ([]pendingEnrolment, error) {
	b, err := st.Secret(ctx, secretPending)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []pendingEnrolment
	if len(b) == 0 {
		return nil, nil
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

func savePending(ctx context.Context, st Replica, p []pendingEnrolment) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if len(p) == 0 {
		b = nil
	}
	return st.SetSecret(ctx, secretPending, b)
}

// confirmEnrolments signs into the roster every device that redeemed one of this owner
// device's codes and proved it with the code's secret. A device the hub enrolled under a
// token with other keys than the code's holder has no valid proof and is never confirmed.
func (e *Engine) confirmEnrolments(ctx context.Context, id *device.Identity) error {
	pend, err := loadPending(ctx, e.st)
	if err != nil || len(pend) == 0 {
		return err
	}
	local, err := e.st.Roster(ctx)
	if err != nil {
		return err
	}
	me := local.Member(e.st.DeviceID())
	if me == nil || !me.Active || me.Role != roster.RoleOwner {
		return nil
	}
	devs, err := e.hub.Devices(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	var keep []pendingEnrolment
	for _, p := range pend {
		done := false
		for _, d := range devs {
			if local.Member(d.ID) != nil || !device.CheckEnrollProof(d.Label, p.Secret, p.TokenID, d.ID, d.SigningKey, d.HPKEKey) {
				continue
			}
			scopes := slices.Sorted(slices.Values(p.Scopes))
			entry, err := local.Next(roster.OpAdd, roster.Member{ID: d.ID, Role: p.Role, Scopes: scopes, SigningKey: d.SigningKey, KEMKey: d.HPKEKey},
				e.st.DeviceID(), id.Signing, now.UnixMilli())
			if err != nil {
				return err
			}
			if local, err = publish(ctx, e.st, e.hub, entry); err != nil {
				return err
			}
			if err := e.sealCurrentKeys(ctx, id, local.Member(d.ID)); err != nil {
				return err
			}
			e.st.Audit(ctx, syncPrincipal, store.Event{Action: "device.confirm", Target: d.ID, Outcome: "ok", Detail: "role=" + p.Role})
			done = true
			break
		}
		if !done && now.Before(p.Expires) {
			keep = append(keep, p)
		}
	}
	if len(keep) != len(pend) {
		return savePending(ctx, e.st, keep)
	}
	return nil
}

// sealCurrentKeys seals, signed, the newest key of every scope a newly confirmed device reads
// to its key from the roster: its enrolment code carried the versions of the day it was made,
// and a revocation since then would otherwise leave it without the key new data uses.
func (e *Engine) sealCurrentKeys(ctx context.Context, id *device.Identity, m *roster.MemberState) error {
	scopes, err := e.st.Scopes(ctx)
	if err != nil {
		return err
	}
	var envs []protocol.EnvelopeInfo
	for _, scope := range scopes {
		if !m.CanRead(scope) {
			continue
		}
		k, v, err := e.st.ScopeKey(ctx, scope, 0)
		if err != nil {
			return err
		}
		sealed, err := device.SealTo(m.KEMKey, envelopeInfo(m.ID, scope, v), k)
		if err != nil {
			return err
		}
		envs = append(envs, protocol.EnvelopeInfo{To: m.ID, Scope: scope, Version: v, Sealed: device.SignEnvelope(e.st.DeviceID(), id.Signing, m.ID, scope, v, sealed)})
	}
	if len(envs) == 0 {
		return nil
	}
	return e.hub.PutEnvelopes(ctx, envs)
}
