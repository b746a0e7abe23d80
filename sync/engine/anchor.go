package engine

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"

	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
)

// Anchor is the comparison of one device's audit chain with its latest signed checkpoint at
// the hub.
type Anchor struct {
	Device     string `json:"device"`
	Checkpoint uint64 `json:"checkpoint_seq"`
	Held       int64  `json:"held_seq"`
	Status     string `json:"status"` // ok, behind, truncated, rewritten, bad-signature, no-checkpoint
}

// OK reports whether nothing was wrong (a copy still arriving is not wrong).
func (a Anchor) OK() bool {
	return a.Status == "ok" || a.Status == "behind" || a.Status == "no-checkpoint"
}

// VerifyAnchors compares every device's audit trail as copied here by sync, this device's
// own included, with the hub's signed checkpoints. It is the owner's (the devices grant): it
// checks the session itself and audits a denial. Run Store.Verify too: it checks every chain's
// links.
func VerifyAnchors(ctx context.Context, ss *store.Session, h *hubclient.Client) ([]Anchor, error) {
	st, err := replicaFor(ctx, ss, "device.verify")
	if err != nil {
		return nil, err
	}
	return verifyAnchors(ctx, st, h, true)
}

// VerifyOwnAnchor compares this device's own trail with its signed checkpoint at the hub
// (detects local truncation or rewriting): device-level, like sync, so it needs no user.
func VerifyOwnAnchor(ctx context.Context, st Replica, h *hubclient.Client) ([]Anchor, error) {
	return verifyAnchors(ctx, st, h, false)
}

func verifyAnchors(ctx context.Context, st Replica, h *hubclient.Client, all bool) ([]Anchor, error) {
	ids := []string{st.DeviceID()}
	if all {
		local, err := st.Roster(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range local.Members() {
			if m.ID != st.DeviceID() && m.ID != roster.RecoveryID {
				ids = append(ids, m.ID)
			}
		}
	}
	var out []Anchor
	for _, id := range ids {
		a := Anchor{Device: id}
		cps, err := h.Checkpoints(ctx, idOrSelf(id, st), 0, 1)
		if err != nil {
			return nil, fmt.Errorf("checkpoints of %s: %w", id, err)
		}
		if cps.Latest == nil {
			a.Status = "no-checkpoint"
			out = append(out, a)
			continue
		}
		cp := *cps.Latest
		a.Checkpoint = cp.Seq
		var pub []byte
		if id == st.DeviceID() {
			ident, err := st.DeviceIdentity(ctx)
			if err != nil {
				return nil, err
			}
			pub = ident.SigningPublic()
		} else if p, err := st.Peer(ctx, id); err == nil {
			pub = p.SigningKey
		}
		if pub == nil || !protocol.VerifyCheckpoint(protocol.Checkpoint{Device: id, Seq: cp.Seq, Head: cp.Head, Signature: cp.Signature}, ed25519.PublicKey(pub)) {
			a.Status = "bad-signature"
			out = append(out, a)
			continue
		}
		mac, held, err := st.AuditHeadOf(ctx, id, int64(cp.Seq))
		if err != nil {
			return nil, err
		}
		a.Held = held
		switch {
		case mac == nil && id == st.DeviceID():
			a.Status = "truncated" // the hub saw entries this trail no longer has
		case mac == nil:
			a.Status = "behind"
		case !bytes.Equal(mac, cp.Head):
			a.Status = "rewritten"
		default:
			a.Status = "ok"
		}
		out = append(out, a)
	}
	return out, nil
}

func idOrSelf(id string, st Replica) string {
	if id == st.DeviceID() {
		return ""
	}
	return id
}
