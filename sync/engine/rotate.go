package engine

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/roster"
	"spoke/protocol"
)

// rotateAfterErasures is an owner device's part of an erasure (store/erasure.go): for each shop
// with erasures its key was not rotated after, it announces the rotation in the roster (the
// entry's number makes the new version unique among owner devices), makes that version, seals
// it, signed, to every active roster device that reads the shop (keys from the roster, never the
// hub), and only then re-wraps the remaining customers' keys under it, so no device receives a
// key it cannot unwrap. An interruption before the re-wrap leaves the shop pending: the next
// round rotates again. It returns the shops rotated; shop devices do nothing here.
func (e *Engine) rotateAfterErasures(ctx context.Context, id *device.Identity) ([]string, error) {
	shops, err := e.st.PendingRotations(ctx)
	if err != nil || len(shops) == 0 {
		return nil, err
	}
	local, err := e.st.Roster(ctx)
	if err != nil {
		return nil, err
	}
	me := local.Member(e.st.DeviceID())
	if me == nil || !me.Active || me.Role != roster.RoleOwner {
		return nil, nil
	}
	var done []string
	for _, shop := range shops {
		// A rotation interrupted after its version was made is finished with that version
		// (shared again, then the re-wrap), never announced twice.
		v, err := e.st.RotationUnderway(ctx, shop)
		if err != nil {
			return done, err
		}
		if v == 0 {
			entry, err := local.Next(roster.OpRotate, roster.Member{Scopes: []string{shop}}, e.st.DeviceID(), id.Signing, time.Now().UnixMilli())
			if err != nil {
				return done, err
			}
			if local, err = publish(ctx, e.st, e.hub, entry); err != nil {
				return done, err
			}
			ent, err := roster.Decode(entry)
			if err != nil {
				return done, err
			}
			if v, err = e.st.RotateShopKey(ctx, shop, uint32(ent.Seq)+1); err != nil {
				return done, err
			}
		}
		k, _, err := e.st.ScopeKey(ctx, shop, v)
		if err != nil {
			return done, err
		}
		envs, err := shareKey(local, e.st.DeviceID(), id.Signing, shop, v, k)
		if err != nil {
			return done, err
		}
		for len(envs) > 0 {
			n := min(len(envs), 1000)
			if err := e.hub.PutEnvelopes(ctx, envs[:n]); err != nil {
				return done, err
			}
			envs = envs[n:]
		}
		if _, err := e.st.RewrapAfterErasure(ctx, shop, v); err != nil {
			return done, fmt.Errorf("re-wrap the customer keys of %s: %w", shop, err)
		}
		done = append(done, shop)
	}
	return done, nil
}

// shareKey seals version v of a scope's key, signed by this owner device, to each active roster
// device but this one that reads the scope.
func shareKey(local *roster.State, me string, signing ed25519.PrivateKey, scope string, v uint32, k []byte) ([]protocol.EnvelopeInfo, error) {
	var envs []protocol.EnvelopeInfo
	for _, m := range local.Members() {
		if m.ID == me || !m.Active || !m.CanRead(scope) {
			continue
		}
		sealed, err := device.SealTo(m.KEMKey, envelopeInfo(m.ID, scope, v), k)
		if err != nil {
			return nil, err
		}
		envs = append(envs, protocol.EnvelopeInfo{To: m.ID, Scope: scope, Version: v, Sealed: device.SignEnvelope(me, signing, m.ID, scope, v, sealed)})
	}
	return envs, nil
}
