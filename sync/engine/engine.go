// Package engine is the spoke side of sync: it seals this device's change records into
// signed change-sets, pushes them to the hub from a crash-safe outbox, pulls other devices'
// sets, verifies and decrypts them and hands them to the store's merge (the Replica port's
// ApplyRemote), keeps scope keys current from key envelopes, and checkpoints the audit chain
// head at the hub. It owns no data of its own: state lives in the store, reached only through
// the Replica interface declared here. It never links the hub server (it speaks spoke/protocol
// through sync/hubclient) and never trusts the hub: keys, device lists and sets are verified
// against the owner-signed roster. Enrollment, adding and revoking devices are in enroll.go.
//
// Shaped like litestream's Replica: Start(ctx) runs a background loop with backoff, Stop()
// cancels and waits, and SyncNow(ctx) runs one synchronous round for the "Sync now" button,
// the CLI and tests.
package engine

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
	"spoke/protocol"
	"spoke/protocol/auditrec"
	"spoke/store"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
	"spoke/version"
)

// Hub is what the engine needs from the hub client (hubclient.Client satisfies it; tests wrap
// it to inject faults).
type Hub interface {
	Push(ctx context.Context, sealed []byte) (protocol.PushResponse, error)
	Pull(ctx context.Context, after int64, limit int) (hubclient.Page, error)
	Devices(ctx context.Context) ([]protocol.DeviceInfo, error)
	Envelopes(ctx context.Context) ([]protocol.EnvelopeInfo, error)
	PutEnvelopes(ctx context.Context, envs []protocol.EnvelopeInfo) error
	PutCheckpoint(ctx context.Context, cp protocol.Checkpoint) error
	Checkpoints(ctx context.Context, device string, after uint64, limit int) (protocol.CheckpointsResponse, error)
	Roster(ctx context.Context, from uint64) (protocol.RosterResponse, error)
	AppendRoster(ctx context.Context, seq uint64, entry []byte) error
	PutRosterHead(ctx context.Context, head []byte) error
	Snapshots(ctx context.Context) ([]protocol.SnapshotInfo, error)
	SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error)
	ReportVersion(ctx context.Context, version string) (protocol.VersionsResponse, error)
}

var _ Hub = (*hubclient.Client)(nil)

// MaxChangesPerSet bounds one change-set.
var MaxChangesPerSet = 5000

// Engine syncs one store with one hub.
type Engine struct {
	st  Replica
	hub Hub

	mu       sync.Mutex // one round at a time
	poke     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
	statusMu sync.Mutex
	status   Status
	now      func() time.Time // the clock for the enrollment secret's expiry; tests move it

	refusedEnv map[[32]byte]bool // envelopes already refused and audited (under statusMu)
	version    string            // the Spoke version this device reports (version.Version)
}

// Status is what the GUI shows.
type Status struct {
	LastSync time.Time
	LastErr  error
	Pending  int // local changes not yet at the hub
	Refused  int64
	Running  bool
}

// Report counts one round.
type Report struct {
	Pushed, Duplicates       int // sets
	Pulled, Applied, Lost    int // sets pulled; field changes applied or lost to newer values
	Conflicts                int
	Refused                  int // incoming sets refused (bad signature, revoked device, bad data)
	Held                     int // incoming sets waiting (a gap before them, an unconfirmed sender, a key not here yet)
	KeysImported             int
	Snapshots                int      // snapshots imported (a device starting after a compaction)
	Waiting                  string   // why nothing was pulled this round, if so
	Rotated                  []string // shops whose key this owner device rotated after erasures
	CheckpointSeq            int64
	BytesPushed, BytesPulled int64
	// Versions is how many devices the hub's version list named after this device reported
	// its own version (0: the report did not go through; the round is not failed for it).
	Versions int
	// Unsubscribes is how many one-click unsubscribes relayed by the hub became withdrawals
	// this round; UnsubscribeErr why the relay did not run ("" when it did).
	Unsubscribes   int
	UnsubscribeErr string

	refusals map[[2]string]int // (sender, reason) -> sets refused this round, audited at its end
}

// New returns an engine for an enrolled store.
func New(st Replica, h Hub) *Engine {
	return &Engine{st: st, hub: h, poke: make(chan struct{}, 1), now: time.Now, version: version.Version}
}

// SetVersion sets the Spoke version this engine reports to the hub (default version.Version):
// for tests that play a device running another release.
func (e *Engine) SetVersion(v string) { e.version = v }

// Poke asks the background loop for a round soon (after a local write); it never blocks.
func (e *Engine) Poke() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// Dial makes a hub client from the store's saved enrollment.
func Dial(ctx context.Context, st Replica) (*hubclient.Client, error) {
	ss, err := st.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	if !ss.Connected() {
		return nil, ErrNotConnected
	}
	key, err := st.Secret(ctx, secretTLSKey)
	if err != nil {
		return nil, fmt.Errorf("device TLS key: %w", err)
	}
	return hubclient.New(hubclient.Identity{Addr: ss.HubAddr, DeviceID: ss.HubDeviceID, CertPEM: []byte(ss.Certificate), KeyPEM: key, CAPEM: []byte(ss.CA)})
}

// ErrNotConnected means this device has not enrolled with a hub.
var ErrNotConnected = errors.New("this device is not connected to a hub: run 'spoke connect --code CODE' first")

const (
	secretTLSKey     = "hub_tls_key"
	secretEnrollment = "enrollment_secret" // "tokenID\x00secret", until its envelopes are opened
)

// SyncNow runs one round: seal pending changes, push the outbox, refresh devices and keys,
// pull and apply, checkpoint the audit head. Nothing is lost if it fails midway: the outbox
// and the cursor are only advanced after the hub or the store confirmed.
func (e *Engine) SyncNow(ctx context.Context) (*Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := &Report{}
	err := e.round(ctx, r)
	e.auditRefusals(ctx, r)
	e.statusMu.Lock()
	e.status.LastErr = err
	if err == nil {
		e.status.LastSync = time.Now()
	}
	e.status.Refused += int64(r.Refused)
	if ch, sets, perr := e.st.PendingChanges(ctx); perr == nil {
		e.status.Pending = ch + sets
	}
	e.statusMu.Unlock()
	st, serr := e.st.SyncState(ctx)
	if serr == nil {
		if err != nil {
			st.LastError = err.Error()
		} else {
			st.LastError, st.LastSync = "", time.Now().UTC()
		}
		st.Refused += int64(r.Refused)
		e.st.SaveSyncState(ctx, st)
	}
	return r, err
}

func (e *Engine) round(ctx context.Context, r *Report) error {
	id, err := e.st.DeviceIdentity(ctx)
	if err != nil {
		return err
	}
	if err := e.syncRoster(ctx, id); err != nil {
		return err
	}
	// Keys first: a device this owner device confirms now is sealed the newest version it holds,
	// also one another owner device rotated to since the last round.
	if err := e.importEnvelopes(ctx, id, r); err != nil {
		return err
	}
	if err := e.confirmEnrolments(ctx, id); err != nil {
		return err
	}
	if err := e.sealPending(ctx, id); err != nil {
		return err
	}
	if err := e.sealAudit(ctx, id); err != nil {
		return err
	}
	if err := e.pushOutbox(ctx, r); err != nil {
		return err
	}
	if err := e.pull(ctx, r); err != nil {
		return err
	}
	// One-click unsubscribes the hub relays, after the pull (a withdrawal another device of
	// the shop recorded from the same click is here by now) and pushed in this round.
	e.relayUnsubscribes(ctx, r)
	if r.Unsubscribes > 0 {
		if err := e.sealPending(ctx, id); err != nil {
			return err
		}
		if err := e.pushOutbox(ctx, r); err != nil {
			return err
		}
	}
	// After an erasure (here or pulled), an owner device rotates the shop's key; the re-wrapped
	// customer keys go out in this round.
	rotated, err := e.rotateAfterErasures(ctx, id)
	r.Rotated = rotated
	if err != nil {
		return err
	}
	if len(rotated) > 0 {
		if err := e.sealPending(ctx, id); err != nil {
			return err
		}
		if err := e.pushOutbox(ctx, r); err != nil {
			return err
		}
	}
	if err := e.checkpoint(ctx, id, r); err != nil {
		return err
	}
	e.reportVersion(ctx, r)
	return nil
}

// reportVersion tells the hub which Spoke version this device runs (the hub records it as this
// device's last sync) and keeps the hub's answer, every device's version and last sync, for the
// security check-up. A hub that does not know the call (older) or a failed report does not
// fail the round: the check-up says how old the list it has is.
func (e *Engine) reportVersion(ctx context.Context, r *Report) {
	resp, err := e.hub.ReportVersion(ctx, e.version)
	if err != nil {
		return
	}
	v := store.HubView{Newest: resp.Newest, Hub: resp.Hub, Reported: e.version}
	for _, d := range resp.Devices {
		v.Devices = append(v.Devices, store.HubDevice{ID: d.ID, Role: string(d.Role), Status: string(d.Status), Version: d.Version,
			LastSync: d.LastSync, LastSeen: d.LastSeen, EnrolledAt: d.EnrolledAt})
	}
	if err := e.st.SaveHubView(ctx, v); err == nil {
		r.Versions = len(v.Devices)
	}
}

// envelopeInfo binds an HPKE envelope to its recipient, scope and version.
func envelopeInfo(to, scope string, version uint32) []byte {
	return seal.Label("spoke/envelope/hpke/v1", to, scope, fmt.Sprint(version))
}

// secretEnvelopeInfo binds an enrollment envelope to its token, scope and version.
func secretEnvelopeInfo(tokenID, scope string, version uint32) []byte {
	return seal.Label("spoke/envelope/secret/v1", tokenID, scope, fmt.Sprint(version))
}

// importEnvelopes opens key envelopes addressed to this device and stores new scope keys.
func (e *Engine) importEnvelopes(ctx context.Context, id *device.Identity, r *Report) error {
	envs, err := e.hub.Envelopes(ctx)
	if err != nil {
		return err
	}
	tokenID, secret := e.enrollmentSecret(ctx)
	local, err := e.st.Roster(ctx)
	if errors.Is(err, store.ErrNoRoster) {
		return nil // nothing can be verified before the device list arrives
	}
	if err != nil {
		return err
	}
	var got []store.ScopeKey
	usedSecret := false
	for _, env := range envs {
		if _, _, err := e.st.ScopeKey(ctx, env.Scope, env.Version); err == nil || errors.Is(err, store.ErrKeyForgotten) {
			continue // already held, or forgotten for good (the hub keeps old envelopes)
		}
		// Only an active owner of the verified roster may hand this device a key: the hub
		// can seal a key of its own to this device's public key, but cannot sign it.
		signer, _ := device.EnvelopeSigner(env.Sealed)
		m := local.Member(signer)
		if m == nil || !m.Active || m.Role != roster.RoleOwner || m.ID == roster.RecoveryID {
			e.refuseEnvelope(ctx, env, "not signed by an owner of the device list")
			continue
		}
		var k []byte
		sealed, err := device.VerifyEnvelope(env.Sealed, m.SigningKey, e.st.DeviceID(), env.Scope, env.Version)
		if err == nil {
			k, err = id.Open(envelopeInfo(e.st.DeviceID(), env.Scope, env.Version), sealed)
		} else if secret != nil {
			// Sealed for this device's enrolment code before it had an id at the hub.
			if sealed, err = device.VerifyEnvelope(env.Sealed, m.SigningKey, protocol.TokenRecipient(tokenID), env.Scope, env.Version); err == nil {
				k, err = device.OpenWithSecret(secret, secretEnvelopeInfo(tokenID, env.Scope, env.Version), sealed)
				usedSecret = usedSecret || err == nil
			}
		}
		if err != nil {
			e.refuseEnvelope(ctx, env, "envelope does not verify or open")
			continue
		}
		got = append(got, store.ScopeKey{Scope: env.Scope, Version: env.Version, Key: k})
	}
	if len(got) == 0 {
		return nil
	}
	if err := e.st.ImportScopeKeys(ctx, got); err != nil {
		return err
	}
	r.KeysImported += len(got)
	if usedSecret {
		// Every envelope sealed under the code's secret reached this device with the
		// first list after enrollment (the hub moved them at redemption): done with it.
		e.forgetEnrollmentSecret(ctx, tokenID, "used")
	}
	return nil
}

// refuseEnvelope audits a refused envelope once per engine: a planted envelope stays at the
// hub and would otherwise fill the trail with the same refusal every round.
func (e *Engine) refuseEnvelope(ctx context.Context, env protocol.EnvelopeInfo, why string) {
	d := sha256.Sum256(env.Sealed)
	e.statusMu.Lock()
	if e.refusedEnv == nil {
		e.refusedEnv = map[[32]byte]bool{}
	}
	seen := e.refusedEnv[d]
	e.refusedEnv[d] = true
	e.statusMu.Unlock()
	if !seen {
		e.st.Audit(ctx, syncPrincipal, store.Event{Action: "sync.envelope", Target: env.Scope, Outcome: "refused", Detail: why})
	}
}

// sealPending turns local change records not yet sealed into change-sets in the outbox. It
// takes the log in windows of at most MaxChangesPerSet records, cut between rows (a receiver
// must be able to insert a new row from one set), and makes one set per scope of the window:
// the org's first, since shop data refers to users and shops but never the other way round,
// then each shop's, in log order within each.
func (e *Engine) sealPending(ctx context.Context, id *device.Identity) error {
	for {
		st, err := e.st.SyncState(ctx)
		if err != nil {
			return err
		}
		recs, err := e.st.LocalChanges(ctx, st.PushedSeq, MaxChangesPerSet+1)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			// Nothing of this device's own: the rows written since are merged ones, read once.
			return e.st.AdvancePushed(ctx)
		}
		n := min(len(recs), MaxChangesPerSet)
		if n < len(recs) {
			for n > 1 && recs[n].RowID == recs[n-1].RowID {
				n--
			}
		}
		window := recs[:n]
		groups := map[string][]wire.Change{}
		var scopes []string
		for _, c := range window {
			v, err := wire.ValueOf(c.Value)
			if err != nil {
				return err
			}
			if _, ok := groups[c.Scope]; !ok {
				scopes = append(scopes, c.Scope)
			}
			groups[c.Scope] = append(groups[c.Scope], wire.Change{HLC: c.HLC, Device: c.Device, Table: c.Table, RowID: c.RowID, Column: c.Column, Value: v, Sealed: c.Sealed})
		}
		slices.SortStableFunc(scopes, orgFirst)
		err = e.st.EnqueueBatch(ctx, scopes, window[n-1].Seq, func(i int, setSeq, scopeSeq uint64) ([]byte, error) {
			key, ver, err := e.st.ScopeKey(ctx, scopes[i], 0)
			if err != nil {
				return nil, fmt.Errorf("no key for scope %s: %w", scopes[i], err)
			}
			return wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: scopes[i], Device: e.st.DeviceID(), Seq: setSeq, KeyVersion: ver, ScopeSeq: scopeSeq}, Changes: groups[scopes[i]]}, key, id.Signing)
		})
		if err != nil {
			return err
		}
	}
}

// auditScope is the scope this device's audit entries travel in: the org for an owner
// device, its shop for a shop device (the scopes it may write). The roster says which this
// device is; the hub's word at enrolment only until the roster lists it.
func (e *Engine) auditScope(ctx context.Context, st store.SyncState) string {
	if local, err := e.st.Roster(ctx); err == nil {
		if m := local.Member(e.st.DeviceID()); m != nil {
			if m.Role == roster.RoleShop {
				return m.Scopes[0]
			}
			return store.OrgScope
		}
	}
	if st.Role == string(protocol.RoleShop) && len(st.Scopes) > 0 {
		return st.Scopes[0]
	}
	return store.OrgScope
}

// sealAudit puts this device's new audit entries into sets of their own, so the owner's
// laptop holds and checks every device's chain.
func (e *Engine) sealAudit(ctx context.Context, id *device.Identity) error {
	for {
		st, err := e.st.SyncState(ctx)
		if err != nil {
			return err
		}
		entries, err := e.st.LocalAudit(ctx, st.PushedAudit, MaxChangesPerSet)
		if err != nil || len(entries) == 0 {
			return err
		}
		scope := e.auditScope(ctx, st)
		key, ver, err := e.st.ScopeKey(ctx, scope, 0)
		if err != nil {
			return fmt.Errorf("no key for scope %s: %w", scope, err)
		}
		changes := make([]wire.Change, len(entries))
		for i, a := range entries {
			changes[i] = wire.Change{HLC: uint64(a.At) << 16, Device: e.st.DeviceID(), Table: "audit", RowID: fmt.Sprint(a.Seq), Column: "entry",
				Value: wire.Value{Kind: wire.KindBlob, Blob: auditrec.Encode(a)}}
		}
		err = e.st.EnqueueAudit(ctx, scope, entries[len(entries)-1].Seq, func(setSeq, scopeSeq uint64) ([]byte, error) {
			return wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: scope, Device: e.st.DeviceID(), Seq: setSeq, KeyVersion: ver, ScopeSeq: scopeSeq}, Changes: changes}, key, id.Signing)
		})
		if err != nil {
			return err
		}
	}
}

// pushOutbox sends waiting sets in order; each leaves the outbox only once the hub has it.
func (e *Engine) pushOutbox(ctx context.Context, r *Report) error {
	sets, err := e.st.Outbox(ctx)
	if err != nil {
		return err
	}
	for _, s := range sets {
		resp, err := e.hub.Push(ctx, s.Bytes)
		if err != nil {
			return err
		}
		r.BytesPushed += int64(len(s.Bytes))
		if resp.Duplicate {
			r.Duplicates++
		} else {
			r.Pushed++
		}
		if err := e.st.OutboxDone(ctx, s.SetSeq); err != nil {
			return err
		}
	}
	return nil
}

// pull fetches and applies sets after the saved cursor, then retries the sets held back.
// A set that fails verification or validation is refused, counted and audited, and skipped;
// one that cannot be applied yet (see store.HeldSet) is held and the cursor moves on.
func (e *Engine) pull(ctx context.Context, r *Report) error {
	st, err := e.st.SyncState(ctx)
	if err != nil {
		return err
	}
	why, snaps, err := e.importSnapshots(ctx, st.Cursor, r)
	if err != nil || why != "" {
		r.Waiting = why
		return err
	}
	for {
		st, err := e.st.SyncState(ctx)
		if err != nil {
			return err
		}
		page, err := e.hub.Pull(ctx, st.Cursor, 200)
		if err != nil {
			return err
		}
		for _, f := range page.Frames {
			r.BytesPulled += int64(len(f.Bytes))
			if err := e.take(ctx, f.Bytes, st.PushedSeq, r); err != nil {
				return err
			}
			st.Cursor = f.Cursor
			if err := e.st.SaveSyncState(ctx, st); err != nil {
				return err
			}
		}
		if page.Next > st.Cursor && len(page.Frames) == 0 {
			st.Cursor = page.Next
			if err := e.st.SaveSyncState(ctx, st); err != nil {
				return err
			}
		}
		// The hub cuts pages by bytes too: only an empty page means caught up.
		if len(page.Frames) == 0 {
			break
		}
	}
	if err := e.retryHeld(ctx, r); err != nil {
		return err
	}
	return e.forgetKeys(ctx, snaps)
}

// take applies one pulled set, or holds it.
func (e *Engine) take(ctx context.Context, b []byte, pushedSeq int64, r *Report) error {
	h, why, err := e.applySet(ctx, b, pushedSeq, r)
	if err != nil || why == "" {
		return err
	}
	err = e.st.Hold(ctx, store.HeldSet{Device: h.Device, Scope: h.Scope, ScopeSeq: h.ScopeSeq, Bytes: b, Reason: why})
	if errors.Is(err, store.ErrHeldFull) {
		// Stop here, before the cursor moves past this set: it is pulled again once the
		// waiting sets have been applied (or their reason fixed).
		return fmt.Errorf("%w (%d sets at most); sync stops here until they can be applied", err, store.MaxHeld)
	}
	return err
}

// retryHeld tries the held sets again until a pass applies none.
func (e *Engine) retryHeld(ctx context.Context, r *Report) error {
	for {
		held, err := e.st.Held(ctx)
		if err != nil {
			return err
		}
		r.Held = len(held)
		progress := false
		for _, hs := range held {
			st, err := e.st.SyncState(ctx)
			if err != nil {
				return err
			}
			b, err := e.st.HeldBytes(ctx, hs.ID)
			if err != nil {
				return err
			}
			_, why, err := e.applySet(ctx, b, st.PushedSeq, r)
			if err != nil {
				return err
			}
			if why == "" {
				if err := e.st.Unhold(ctx, hs.ID); err != nil {
					return err
				}
				r.Held--
				progress = true
			}
		}
		if !progress {
			return nil
		}
	}
}

// needKey is why a set waits for a scope key.
func needKey(scope string) string {
	return "waiting for the key of scope " + scope + " (an owner device must share it)"
}

// applySet verifies and applies one set. It returns a reason when the set cannot be applied
// yet and should be held; a refused set is counted and audited and returns no reason.
func (e *Engine) applySet(ctx context.Context, b []byte, pushedSeq int64, r *Report) (wire.Header, string, error) {
	h, err := wire.ParseHeader(b)
	if errors.Is(err, wire.ErrVersion) {
		return h, "made by a newer Spoke: update Spoke to read it", nil
	}
	if err != nil {
		return h, "", e.refuse(ctx, r, "", "malformed")
	}
	if h.Device == e.st.DeviceID() {
		return h, "", nil // our own set, relayed back
	}
	local, err := e.st.Roster(ctx)
	if errors.Is(err, store.ErrNoRoster) {
		return h, "no verified device list yet", nil
	}
	if err != nil {
		return h, "", err
	}
	// The sender's key, standing and shops come from the owner-signed roster only.
	m := local.Member(h.Device)
	switch {
	case m == nil || m.ID == roster.RecoveryID:
		return h, "the sending device is not confirmed in the device list yet", nil
	case !m.Active:
		return h, "", e.refuse(ctx, r, h.Device, "the sending device was revoked")
	case !m.CanWrite(h.Scope):
		return h, "", e.refuse(ctx, r, h.Device, "the sending device may not write that scope")
	}
	if err := wire.VerifySignature(b, m.SigningKey); err != nil {
		return h, "", e.refuse(ctx, r, h.Device, "does not verify")
	}
	if h.Version >= 2 {
		last, err := e.st.AppliedSeq(ctx, h.Device, h.Scope)
		if err != nil {
			return h, "", err
		}
		if h.ScopeSeq <= last {
			return h, "", nil // applied before (a replay, or relayed twice)
		}
		if h.ScopeSeq > last+1 {
			return h, fmt.Sprintf("set %d of this device and scope has not arrived", last+1), nil
		}
	}
	if _, _, err := e.st.ScopeKey(ctx, h.Scope, h.KeyVersion); err != nil {
		return h, needKey(h.Scope), nil
	}
	if why, err := e.applyVerified(ctx, h, ed25519.PublicKey(m.SigningKey), b, pushedSeq, r); err != nil || why != "" {
		return h, why, err
	}
	if h.Version >= 2 {
		return h, "", e.st.MarkApplied(ctx, h.Device, h.Scope, h.ScopeSeq)
	}
	return h, "", nil
}

// applyVerified decrypts a set whose signature and sender were checked and merges it.
// A set dated ahead of this device's clock is held (see store.ClockError).
func (e *Engine) applyVerified(ctx context.Context, h wire.Header, pub ed25519.PublicKey, b []byte, pushedSeq int64, r *Report) (string, error) {
	cs, err := wire.Open(b, pub, func(scope string, version uint32) ([]byte, error) {
		k, _, err := e.st.ScopeKey(ctx, scope, version)
		return k, err
	})
	if err != nil {
		return "", e.refuse(ctx, r, h.Device, "does not verify or decrypt")
	}
	if len(cs.Changes) > 0 && cs.Changes[0].Table == "audit" {
		return "", e.applyAudit(ctx, h.Device, cs, r)
	}
	recs := make([]store.ChangeRecord, len(cs.Changes))
	for i, c := range cs.Changes {
		recs[i] = store.ChangeRecord{HLC: c.HLC, Device: c.Device, Scope: h.Scope, Table: c.Table, RowID: c.RowID, Column: c.Column, Value: c.Value.Any(), Sealed: c.Sealed}
		if c.Device != h.Device {
			return "", e.refuse(ctx, r, h.Device, "claims changes of another device")
		}
	}
	res, err := e.st.ApplyRemote(ctx, h.Device, h.Scope, recs, pushedSeq)
	var ce *store.ClockError
	if errors.As(err, &ce) {
		return ce.Error(), nil
	}
	if errors.Is(err, store.ErrRemote) {
		return "", e.refuse(ctx, r, h.Device, err.Error())
	}
	if err != nil {
		return "", err
	}
	r.Pulled++
	r.Applied += res.Applied
	r.Lost += res.Lost
	r.Conflicts += res.Conflicts
	return "", nil
}

// applyAudit stores another device's audit entries; the set must hold nothing else.
func (e *Engine) applyAudit(ctx context.Context, from string, cs *wire.ChangeSet, r *Report) error {
	entries := make([]auditrec.Entry, 0, len(cs.Changes))
	for _, c := range cs.Changes {
		if c.Table != "audit" || c.Column != "entry" || c.Value.Kind != wire.KindBlob {
			return e.refuse(ctx, r, from, "audit set mixed with other records")
		}
		a, err := auditrec.Decode(c.Value.Blob)
		if err != nil {
			return e.refuse(ctx, r, from, err.Error())
		}
		entries = append(entries, a)
	}
	_, err := e.st.ApplyRemoteAudit(ctx, from, entries)
	if errors.Is(err, store.ErrRemote) {
		return e.refuse(ctx, r, from, err.Error())
	}
	if err == nil {
		r.Pulled++
	}
	return err
}

// refuse counts and audits a refused set; it returns nil so the pull moves past it.
// The refusals of a round are audited together, one entry per sender and reason with the
// count, so a hub that relays endless junk cannot grow the trail by an entry per set.
func (e *Engine) refuse(ctx context.Context, r *Report, from, reason string) error {
	r.Refused++
	if r.refusals == nil {
		r.refusals = map[[2]string]int{}
	}
	r.refusals[[2]string{from, reason}]++
	return nil
}

// auditRefusals writes the round's refusal entries.
func (e *Engine) auditRefusals(ctx context.Context, r *Report) {
	keys := make([][2]string, 0, len(r.refusals))
	for k := range r.refusals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	for _, k := range keys {
		e.st.Audit(ctx, syncPrincipal, store.Event{Action: "sync.refused", Target: k[0], Outcome: "refused", Detail: fmt.Sprintf("%s; sets=%d", k[1], r.refusals[k])})
	}
}

// checkpoint signs this device's audit chain head and leaves it at the hub, so a local trail
// truncated or rewritten later no longer matches the hub's copy (VerifyCheckpoint).
//
// First it holds this trail against the newest checkpoint the hub keeps for this device
// (signed by this device, so the hub can withhold it but not forge it): a trail that ends
// below it or differs there was rolled back with the file, and the store fails closed.
func (e *Engine) checkpoint(ctx context.Context, id *device.Identity, r *Report) error {
	cps, err := e.hub.Checkpoints(ctx, "", 0, 1)
	if err != nil {
		return err
	}
	if cp := cps.Latest; cp != nil && protocol.VerifyCheckpoint(protocol.Checkpoint{Device: e.st.DeviceID(), Seq: cp.Seq, Head: cp.Head, Signature: cp.Signature}, id.SigningPublic()) {
		if err := e.st.CheckAuditAnchor(ctx, "hub checkpoint", int64(cp.Seq), cp.Head); err != nil {
			return err
		}
	}
	seq, mac, err := e.st.AuditHead(ctx)
	if err != nil || seq == 0 {
		return err
	}
	if err := e.hub.PutCheckpoint(ctx, protocol.SignCheckpoint(e.st.DeviceID(), uint64(seq), mac, id.Signing)); err != nil {
		return err
	}
	r.CheckpointSeq = seq
	return nil
}

// Start runs rounds in the background: every interval, sooner after local writes are
// signalled with Poke, backing off (with jitter, up to five minutes) while the hub is down.
func (e *Engine) Start(ctx context.Context, interval time.Duration) {
	e.statusMu.Lock()
	if e.cancel != nil {
		e.statusMu.Unlock()
		return
	}
	ctx, e.cancel = context.WithCancel(ctx)
	e.done = make(chan struct{})
	e.status.Running = true
	e.statusMu.Unlock()
	go func() {
		defer close(e.done)
		wait := interval
		for {
			_, err := e.SyncNow(ctx)
			var hold bool
			wait, hold = nextWait(wait, interval, err)
			poke := e.poke
			if hold {
				poke = nil // the hub asked for a pause: a local write does not cut it short
			}
			jitter := time.Duration(rand.Int64N(int64(wait)/5 + 1))
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait + jitter):
			case <-poke:
			}
		}
	}()
}

// nextWait is the background loop's pause after a round: the interval after success,
// doubling up to five minutes while rounds fail, and the hub's Retry-After when it refused a
// push for coming too fast. That hub is up, so no doubling, but hold: a poke must not bring
// the next round forward.
func nextWait(prev, interval time.Duration, err error) (wait time.Duration, hold bool) {
	var rl *hubclient.RateLimitedError
	switch {
	case err == nil:
		return interval, false
	case errors.As(err, &rl):
		return max(rl.RetryAfter, time.Second), true
	}
	return min(max(prev*2, time.Second), 5*time.Minute), false
}

// Stop cancels the loop and waits for a running round to end.
func (e *Engine) Stop() {
	e.statusMu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel = nil
	e.status.Running = false
	e.statusMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Status returns the latest state for display.
func (e *Engine) Status() Status {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	return e.status
}
