package engine

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// Compaction. The hub keeps every change-set until an owner device replaces a scope's older
// sets by a snapshot: Compact syncs (so everything this device wrote is pushed and everything
// the hub holds is taken), reads each scope it holds a key for from its own rows, seals the
// snapshot under the scope's current key, signs it, uploads it and commits it. The hub commits
// only once every active device that reads the scope has pulled past the snapshot's point, so
// no device misses a set it has not seen; a device that joins later, or one whose position is
// still before the point, starts from the snapshot (importSnapshots) and the sets after it.
//
// What a snapshot does not carry: the losing values kept as conflicts, other devices' audit
// entries from before the point (each device keeps its own trail, and the hub its checkpoints),
// and erased (terminal) rows.

// RowsPerSnapshotPart bounds the rows of one snapshot part (a part is at most 32 MiB sealed).
var RowsPerSnapshotPart = 2000

// CompactReport says what Compact did, per scope.
type CompactReport struct {
	Scopes []CompactedScope
}

// CompactedScope is one scope's snapshot, or why it was left.
type CompactedScope struct {
	Scope              string
	Point              int64 // the hub cursor the snapshot covers
	Parts, Records     int
	Deleted, Freed     int64  // change-sets and bytes the hub deleted
	Skipped, SkipCause string // Skipped is "" when compacted
}

// Compact builds, uploads and commits a snapshot of every scope this owner device holds. Each
// scope's point is the newest hub cursor that every active device reading it has pulled past
// (and this one), so no device loses a set it has not taken; the snapshot is read from this
// device's rows after a sync, so it holds at least every set up to the point. The org scope
// goes first: shop snapshots refer to staff in it. A scope with sets held here (a gap, a key
// not here) is skipped: the snapshot would miss them. Owner only.
func Compact(ctx context.Context, ss *store.Session, h *hubclient.Client) (*CompactReport, error) {
	st, err := replicaFor(ctx, ss, "sync.compact")
	if err != nil {
		return nil, err
	}
	if _, err := New(st, h).SyncNow(ctx); err != nil {
		return nil, fmt.Errorf("sync before compaction: %w", err)
	}
	return compact(ctx, ss, st, h)
}

// compactHub is what compaction needs of the hub.
type compactHub interface {
	Devices(ctx context.Context) ([]protocol.DeviceInfo, error)
	Snapshots(ctx context.Context) ([]protocol.SnapshotInfo, error)
	PutSnapshotPart(ctx context.Context, scope, id string, part uint32, sealed []byte) error
	CommitSnapshot(ctx context.Context, scope, id string) (protocol.SnapshotCommitResponse, error)
}

func compact(ctx context.Context, by store.Principal, st Replica, h compactHub) (*CompactReport, error) {
	state, err := st.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	id, err := st.DeviceIdentity(ctx)
	if err != nil {
		return nil, err
	}
	held, err := st.Held(ctx)
	if err != nil {
		return nil, err
	}
	heldIn := map[string]bool{}
	for _, hs := range held {
		heldIn[hs.Scope] = true
	}
	have, err := h.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	done := map[string]int64{}
	for _, s := range have {
		done[s.Scope] = s.Point
	}
	devs, err := h.Devices(ctx)
	if err != nil {
		return nil, err
	}
	scopes, err := st.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(scopes, orgFirst)
	rep := &CompactReport{}
	var todo []string
	for _, scope := range scopes {
		cs := CompactedScope{Scope: scope, Point: state.Cursor}
		var behind []string
		for _, d := range devs {
			reads := d.Role == protocol.RoleOwner || scope == store.OrgScope || slices.Contains(d.Scopes, scope)
			// A device that has pulled nothing yet starts from a snapshot: it cannot miss a set.
			if d.ID == st.DeviceID() || d.Status != protocol.StatusActive || !reads || d.Pulled == 0 {
				continue
			}
			if d.Pulled <= done[scope] {
				behind = append(behind, d.ID)
			}
			cs.Point = min(cs.Point, d.Pulled)
		}
		switch {
		case heldIn[scope]:
			cs.Skipped, cs.SkipCause = "held", "sets of this scope are held here; sync until none are"
		case cs.Point <= done[scope] && len(behind) > 0:
			cs.Skipped, cs.SkipCause = "behind", "not synced since the last compaction: "+strings.Join(behind, ", ")
		case cs.Point <= done[scope]:
			cs.Skipped, cs.SkipCause = "current", "nothing new since the hub's snapshot of this scope"
		}
		rep.Scopes = append(rep.Scopes, cs)
		if cs.Skipped == "" {
			todo = append(todo, scope)
		} else if scope == store.OrgScope && cs.Skipped != "current" {
			return rep, fmt.Errorf("compaction of the org scope: %s", cs.SkipCause)
		}
	}
	if len(todo) == 0 {
		return rep, nil
	}
	// One reading of every scope: a shop's rows never name staff the org snapshot lacks.
	at := map[string]*CompactedScope{}
	for i := range rep.Scopes {
		at[rep.Scopes[i].Scope] = &rep.Scopes[i]
	}
	var cur *snapshotUpload
	err = st.ExportScopes(ctx, todo, RowsPerSnapshotPart, func(x store.ScopeExport) error {
		cs := at[x.Scope]
		if cur == nil || cur.cs != cs {
			u, err := newSnapshotUpload(ctx, st, cs)
			if err != nil {
				return err
			}
			cur = u
		}
		if err := cur.put(ctx, st, h, id.Signing, x); err != nil {
			return fmt.Errorf("compaction of scope %s: %w", x.Scope, err)
		}
		if x.Part < x.Parts-1 {
			return nil
		}
		res, err := h.CommitSnapshot(ctx, x.Scope, cur.id)
		if err != nil {
			return fmt.Errorf("compaction of scope %s: %w", x.Scope, err)
		}
		cs.Deleted, cs.Freed = res.Deleted, res.FreedBytes
		st.Audit(ctx, by, store.Event{Action: "sync.compact", Target: x.Scope,
			Detail: fmt.Sprintf("point=%d parts=%d records=%d deleted=%d", cs.Point, cs.Parts, cs.Records, cs.Deleted)})
		return nil
	})
	return rep, err
}

// orgFirst orders the org scope before every shop scope and leaves shops as they are: shop
// rows refer to staff in the org scope, so org data is sent, snapshotted and imported first.
func orgFirst(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == store.OrgScope:
		return -1
	case b == store.OrgScope:
		return 1
	}
	return 0
}

// snapshotUpload is one scope's snapshot being sealed and uploaded.
type snapshotUpload struct {
	cs  *CompactedScope
	key []byte
	ver uint32
	sid [16]byte
	id  string // sid in hex, as the hub names it
}

func newSnapshotUpload(ctx context.Context, st Replica, cs *CompactedScope) (*snapshotUpload, error) {
	key, ver, err := st.ScopeKey(ctx, cs.Scope, 0)
	if err != nil {
		return nil, err
	}
	u := &snapshotUpload{cs: cs, key: key, ver: ver}
	rand.Read(u.sid[:])
	u.id = hex.EncodeToString(u.sid[:])
	return u, nil
}

// put seals one part under the scope's current key, signs it and uploads it.
func (u *snapshotUpload) put(ctx context.Context, st Replica, h compactHub, signer ed25519.PrivateKey, x store.ScopeExport) error {
	p := &wire.SnapshotPart{
		Header:  wire.SnapshotHeader{Version: 1, Scope: x.Scope, Device: st.DeviceID(), KeyVersion: u.ver, ID: u.sid, Point: u.cs.Point, Part: uint32(x.Part), Parts: uint32(x.Parts)},
		Covered: coveredList(x.Covered),
		Changes: make([]wire.Change, len(x.Records)),
	}
	for i, r := range x.Records {
		v, err := wire.ValueOf(r.Value)
		if err != nil {
			return err
		}
		p.Changes[i] = wire.Change{HLC: r.HLC, Device: r.Device, Table: r.Table, RowID: r.RowID, Column: r.Column, Value: v, Sealed: r.Sealed}
	}
	b, err := wire.SealSnapshot(p, u.key, signer)
	if err != nil {
		return err
	}
	u.cs.Parts, u.cs.Records = x.Parts, u.cs.Records+len(x.Records)
	return h.PutSnapshotPart(ctx, x.Scope, u.id, uint32(x.Part), b)
}

func coveredList(m map[string]uint64) []wire.Covered {
	out := make([]wire.Covered, 0, len(m))
	for d, n := range m {
		out = append(out, wire.Covered{Device: d, ScopeSeq: n})
	}
	slices.SortFunc(out, func(a, b wire.Covered) int { return strings.Compare(a.Device, b.Device) })
	return out
}

// importSnapshots merges the snapshots whose point this device has not pulled past: the hub
// may have deleted sets before the point that it never took. It returns a reason when one
// cannot be imported yet (its key or its signer not here yet), and then nothing is pulled this
// round: the sets after the point would only be held behind the gap. A snapshot that is not
// what an active owner device signed, or whose parts disagree, is refused and audited.
func (e *Engine) importSnapshots(ctx context.Context, cursor int64, r *Report) (string, []protocol.SnapshotInfo, error) {
	list, err := e.hub.Snapshots(ctx)
	var ae *hubclient.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		// A hub from before compaction: it keeps every set. (A hub that hides its snapshots
		// this way leaves gaps that hold the sets after them, in plain sight.)
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	slices.SortFunc(list, func(a, b protocol.SnapshotInfo) int {
		return orgFirst(a.Scope, b.Scope)
	})
	for _, info := range list {
		if info.Point <= cursor {
			continue
		}
		why, err := e.importSnapshot(ctx, info, r)
		if err != nil || why != "" {
			return why, list, err
		}
	}
	return "", list, nil
}

// errSnapshot marks a snapshot refused: what the hub served is not a genuine snapshot.
var errSnapshot = errors.New("snapshot refused")

func (e *Engine) importSnapshot(ctx context.Context, info protocol.SnapshotInfo, r *Report) (string, error) {
	refuse := func(why string) (string, error) {
		e.st.Audit(ctx, syncPrincipal, store.Event{Action: "sync.snapshot", Target: info.Scope, Outcome: "refused", Detail: why})
		r.Refused++
		return "", fmt.Errorf("%w: scope %s: %s", errSnapshot, info.Scope, why)
	}
	local, err := e.st.Roster(ctx)
	if errors.Is(err, store.ErrNoRoster) {
		return "no verified device list yet", nil
	}
	if err != nil {
		return "", err
	}
	m := local.Member(info.Device)
	switch {
	case m == nil:
		return "the snapshot's owner device is not confirmed in the device list yet", nil
	case !m.Active || m.Role != roster.RoleOwner || m.ID == roster.RecoveryID:
		return refuse("not signed by an active owner device")
	case info.Parts == 0 || info.Parts > wire.MaxSnapshotParts:
		return refuse("part count out of range")
	}
	if _, _, err := e.st.ScopeKey(ctx, info.Scope, info.KeyVersion); err != nil {
		return needKey(info.Scope), nil
	}
	st, err := e.st.SyncState(ctx)
	if err != nil {
		return "", err
	}
	var covered []wire.Covered
	applied, lost := 0, 0
	for part := range info.Parts {
		b, err := e.hub.SnapshotPart(ctx, info.Scope, info.ID, part)
		if err != nil {
			return "", err
		}
		r.BytesPulled += int64(len(b))
		p, err := wire.OpenSnapshot(b, m.SigningKey, func(scope string, version uint32) ([]byte, error) {
			k, _, err := e.st.ScopeKey(ctx, scope, version)
			return k, err
		})
		if err != nil {
			return refuse("a part does not verify or decrypt")
		}
		h := p.Header
		if h.Scope != info.Scope || h.Device != info.Device || hex.EncodeToString(h.ID[:]) != info.ID || h.Point != info.Point ||
			h.Parts != info.Parts || h.Part != part || h.KeyVersion != info.KeyVersion {
			return refuse("a part belongs to another snapshot or place")
		}
		if part == 0 {
			covered = p.Covered
		} else if !slices.Equal(covered, p.Covered) {
			return refuse("the parts disagree on the sets covered")
		}
		recs := make([]store.ChangeRecord, len(p.Changes))
		for i, c := range p.Changes {
			recs[i] = store.ChangeRecord{HLC: c.HLC, Device: c.Device, Scope: info.Scope, Table: c.Table, RowID: c.RowID, Column: c.Column, Value: c.Value.Any(), Sealed: c.Sealed}
		}
		for len(recs) > 0 {
			n := rowsCut(recs, MaxChangesPerSet)
			res, err := e.st.ApplyRemote(ctx, info.Device, info.Scope, recs[:n], st.PushedSeq)
			var ce *store.ClockError
			if errors.As(err, &ce) {
				return ce.Error(), nil
			}
			if errors.Is(err, store.ErrRemote) {
				return refuse(err.Error())
			}
			if err != nil {
				return "", err
			}
			applied += res.Applied
			lost += res.Lost
			recs = recs[n:]
		}
	}
	for _, c := range covered {
		if c.Device == e.st.DeviceID() {
			continue
		}
		if err := e.st.MarkApplied(ctx, c.Device, info.Scope, c.ScopeSeq); err != nil {
			return "", err
		}
	}
	if err := e.sawSnapshot(ctx, info); err != nil {
		return "", err
	}
	r.Applied += applied
	r.Lost += lost
	r.Snapshots++
	e.st.Audit(ctx, syncPrincipal, store.Event{Action: "sync.snapshot", Target: info.Scope,
		Detail: fmt.Sprintf("point=%d parts=%d applied=%d lost=%d", info.Point, info.Parts, applied, lost)})
	return "", nil
}

// rowsCut returns how many of recs to apply in one transaction: at most limit, cut between
// rows (a row's records are adjacent), or the whole first row however long.
func rowsCut(recs []store.ChangeRecord, limit int) int {
	if len(recs) <= limit {
		return len(recs)
	}
	n := limit
	for n > 0 && recs[n].RowID == recs[n-1].RowID && recs[n].Table == recs[n-1].Table {
		n--
	}
	if n == 0 {
		for n = 1; n < len(recs) && recs[n].RowID == recs[0].RowID && recs[n].Table == recs[0].Table; n++ {
		}
	}
	return n
}

// sawSnapshot records a snapshot this device verified.
func (e *Engine) sawSnapshot(ctx context.Context, info protocol.SnapshotInfo) error {
	st, err := e.st.SyncState(ctx)
	if err != nil {
		return err
	}
	if st.Snapshots == nil {
		st.Snapshots = map[string]store.SnapshotSeen{}
	}
	st.Snapshots[info.Scope] = store.SnapshotSeen{ID: info.ID, KeyVersion: info.KeyVersion}
	return e.st.SaveSyncState(ctx, st)
}

// verifySnapshot checks the first part of a listed snapshot this device did not import (it was
// past the point) against the owner device's key from the device list, once per snapshot, and
// records it: the signed key version, not the hub's listing, bounds what forgetKeys deletes.
func (e *Engine) verifySnapshot(ctx context.Context, info protocol.SnapshotInfo) (bool, error) {
	local, err := e.st.Roster(ctx)
	if err != nil {
		return false, nil
	}
	m := local.Member(info.Device)
	if m == nil || !m.Active || m.Role != roster.RoleOwner || m.ID == roster.RecoveryID {
		return false, nil
	}
	b, err := e.hub.SnapshotPart(ctx, info.Scope, info.ID, 0)
	if err != nil {
		return false, err
	}
	h, err := wire.VerifySnapshot(b, m.SigningKey)
	if err != nil || h.Scope != info.Scope || hex.EncodeToString(h.ID[:]) != info.ID || h.Point != info.Point || h.KeyVersion != info.KeyVersion {
		return false, nil
	}
	return true, e.sawSnapshot(ctx, info)
}

// forgetKeys deletes, after a round that pulled to the end, the versions of each compacted
// scope's key that nothing here or at the hub still needs: below the version the scope's
// newest verified snapshot is sealed under (signed by an owner device), lowered further by the
// hub's word on its oldest surviving set, and never a version something here is sealed under or
// derived from (store.forgetScopeKeys decides that). A scope with a set held here under a lower
// version (or one this version cannot read) keeps its keys until the set is applied. Each bound
// is tried once per snapshot, so a round does not rescan what rows need. The hub can only make
// this device forget less.
func (e *Engine) forgetKeys(ctx context.Context, list []protocol.SnapshotInfo) error {
	if len(list) == 0 {
		return nil
	}
	var lowHeld map[string]uint32 // the lowest key version of the sets held here, per scope; read when first needed
	heldLow := func() (map[string]uint32, error) {
		if lowHeld != nil {
			return lowHeld, nil
		}
		held, err := e.st.Held(ctx)
		if err != nil {
			return nil, err
		}
		lowHeld = map[string]uint32{}
		for _, hs := range held {
			b, err := e.st.HeldBytes(ctx, hs.ID)
			if err != nil {
				return nil, err
			}
			v := uint32(0) // unreadable (a newer format): keep every version of the scope
			if h, err := wire.ParseHeader(b); err == nil {
				v = h.KeyVersion
			}
			if low, ok := lowHeld[hs.Scope]; !ok || v < low {
				lowHeld[hs.Scope] = v
			}
		}
		return lowHeld, nil
	}
	done := map[string]bool{}
	for _, info := range list {
		if done[info.Scope] {
			continue // one entry per scope: a listing repeating one is not read twice
		}
		done[info.Scope] = true
		st, err := e.st.SyncState(ctx)
		if err != nil {
			return err
		}
		if got, ok := st.Snapshots[info.Scope]; !ok || got.ID != info.ID {
			if ok, err := e.verifySnapshot(ctx, info); err != nil || !ok {
				return err
			}
			if st, err = e.st.SyncState(ctx); err != nil {
				return err
			}
		}
		seen := st.Snapshots[info.Scope]
		below := min(seen.KeyVersion, info.MinKeyVersion)
		if below <= seen.Tried {
			continue // tried with this bound since the snapshot: nothing more can go
		}
		low, err := heldLow()
		if err != nil {
			return err
		}
		if v, ok := low[info.Scope]; ok && v < below {
			// A held set needs it: try again once the set is applied (do not record the bound).
			continue
		}
		if _, err := e.st.ForgetScopeKeys(ctx, info.Scope, below); err != nil {
			return err
		}
		seen.Tried = below
		st.Snapshots[info.Scope] = seen
		if err := e.st.SaveSyncState(ctx, st); err != nil {
			return err
		}
	}
	return nil
}
