package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"spoke/crypto/device"
	"spoke/store"
	"spoke/sync/hub"
	"spoke/sync/hub/hubclient"
)

// Connect enrolls the store's device with the hub named in code: it registers this device's
// id and public keys, keeps the client certificate (its private key sealed under the master
// key) and the pinned hub CA, and remembers the code's one-time secret until the scope keys
// sealed under it have been opened by the first sync.
func Connect(ctx context.Context, st *store.Store, code hub.EnrollCode) (*hub.DeviceInfo, error) {
	ss, err := st.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	if ss.Connected() {
		return nil, fmt.Errorf("this device is already connected to the hub at %s", ss.HubAddr)
	}
	id, err := st.DeviceIdentity(ctx)
	if err != nil {
		return nil, err
	}
	enr, err := hubclient.Enroll(ctx, code, hubclient.EnrollOptions{DeviceID: st.DeviceID(), SigningKey: id.SigningPublic(), HPKEKey: id.KEMPublic()})
	if err != nil {
		return nil, err
	}
	if err := st.SetSecret(ctx, secretTLSKey, enr.Identity.KeyPEM); err != nil {
		return nil, err
	}
	if len(code.Secret) > 0 {
		until := time.Now().Add(enr.CodeValidFor)
		if err := st.SetSecret(ctx, secretEnrollment, encodeEnrollmentSecret(code.TokenID, until, code.Secret)); err != nil {
			return nil, err
		}
	}
	ss.HubAddr, ss.HubDeviceID = enr.Identity.Addr, enr.Identity.DeviceID
	ss.Certificate, ss.CA = string(enr.Identity.CertPEM), string(enr.Identity.CAPEM)
	ss.Role, ss.Scopes = string(enr.Device.Role), enr.Device.Scopes
	if err := st.SaveSyncState(ctx, ss); err != nil {
		return nil, err
	}
	st.Record(ctx, "device.connect", st.DeviceID(), "ok", "role="+ss.Role)
	return &enr.Device, nil
}

// The enrollment secret is kept as "tokenID \x00 until secret": until is 8 bytes of Unix
// milliseconds, the moment the code would have expired (measured on this device's clock from
// how long the hub said the code had left). After it the secret is not used but deleted: a
// code is printed and pasted, so its secret is the weakest key this device ever holds, and an
// envelope sealed under it after enrollment can only be a plant.
func encodeEnrollmentSecret(tokenID string, until time.Time, secret []byte) []byte {
	b := append([]byte(tokenID), 0)
	b = binary.BigEndian.AppendUint64(b, uint64(until.UnixMilli()))
	return append(b, secret...)
}

// enrollmentSecret returns the code's one-time secret and its token while it is valid. An
// expired or unreadable one is deleted (and audited) and reported as none.
func (e *Engine) enrollmentSecret(ctx context.Context) (tokenID string, secret []byte) {
	b, err := e.st.Secret(ctx, secretEnrollment)
	if err != nil {
		return "", nil
	}
	i := max(bytes.IndexByte(b, 0), 0)
	if i > 0 && len(b) == i+1+8+hub.SecretSize {
		until := time.UnixMilli(int64(binary.BigEndian.Uint64(b[i+1:])))
		if e.now().Before(until) {
			return string(b[:i]), b[i+1+8:]
		}
	}
	e.forgetEnrollmentSecret(ctx, string(b[:i]), "expired unused")
	return "", nil
}

// forgetEnrollmentSecret deletes the enrollment secret: its envelopes were opened, or it
// expired.
func (e *Engine) forgetEnrollmentSecret(ctx context.Context, tokenID, why string) {
	if err := e.st.DeleteSecret(ctx, secretEnrollment); err == nil {
		e.st.Record(ctx, "sync.enrollment_secret", tokenID, "deleted", why)
	}
}

// AddDevice asks the hub for a one-time enrollment code for another machine: a shop device
// (shopID set: that shop's scope plus org-wide users and roles) or another owner device (all
// scopes). It seals the scope keys the new device may read under a fresh secret that goes only
// into the printed code, and leaves them at the hub addressed to the token. Owner only.
func AddDevice(ctx context.Context, ss *store.Session, h *hubclient.Client, shopID string) (string, error) {
	st := ss.Store()
	req := hub.TokenRequest{Role: hub.RoleOwner}
	scopes, err := st.Scopes(ctx)
	if err != nil {
		return "", err
	}
	if shopID != "" {
		req = hub.TokenRequest{Role: hub.RoleShop, Scopes: []string{shopID}}
		if !slices.Contains(scopes, shopID) {
			return "", fmt.Errorf("no such shop")
		}
		scopes = []string{store.OrgScope, shopID}
	}
	ks, err := ss.ExportScopeKeys(ctx, scopes)
	if err != nil {
		return "", err
	}
	code, tok, err := h.CreateToken(ctx, req)
	if err != nil {
		return "", err
	}
	code.Secret = hub.NewSecret()
	var envs []hub.EnvelopeInfo
	for _, k := range ks {
		sealed, err := device.SealWithSecret(code.Secret, secretEnvelopeInfo(tok.TokenID, k.Scope, k.Version), k.Key)
		if err != nil {
			return "", err
		}
		envs = append(envs, hub.EnvelopeInfo{To: hub.TokenRecipient(tok.TokenID), Scope: k.Scope, Version: k.Version, Sealed: sealed})
	}
	if err := h.PutEnvelopes(ctx, envs); err != nil {
		return "", err
	}
	ss.Audit(ctx, "device.add", tok.TokenID, "ok", fmt.Sprintf("role=%s scopes=%d expires=%s", req.Role, len(scopes), tok.ExpiresAt.Format("2006-01-02T15:04Z")))
	return code.Encode(), nil
}

// Devices lists the devices enrolled at the hub (owner).
func Devices(ctx context.Context, ss *store.Session, h *hubclient.Client) ([]hub.DeviceInfo, error) {
	if err := ss.Authorize(ctx, store.OpDevices, "device.list"); err != nil {
		return nil, err
	}
	return h.Devices(ctx)
}

// RevokeDevice stops a device at the hub, then rotates every scope key it could read and
// seals the new versions to each remaining active device that reads that scope, so data
// written from now on is sealed under keys the revoked device never receives. Owner only.
func RevokeDevice(ctx context.Context, ss *store.Session, h *hubclient.Client, deviceID string) (rotated []string, err error) {
	if deviceID == ss.Store().DeviceID() {
		return nil, errors.New("a device cannot revoke itself")
	}
	if err := ss.Authorize(ctx, store.OpDevices, "device.revoke"); err != nil {
		return nil, err
	}
	devs, err := h.Devices(ctx)
	if err != nil {
		return nil, err
	}
	var victim *hub.DeviceInfo
	for i := range devs {
		if devs[i].ID == deviceID {
			victim = &devs[i]
		}
	}
	if victim == nil {
		return nil, fmt.Errorf("no device %s at the hub", deviceID)
	}
	if _, err := h.Revoke(ctx, deviceID); err != nil {
		return nil, err
	}
	all, err := ss.Store().Scopes(ctx)
	if err != nil {
		return nil, err
	}
	reads := func(d hub.DeviceInfo, scope string) bool {
		return d.Role == hub.RoleOwner || scope == store.OrgScope || slices.Contains(d.Scopes, scope)
	}
	var envs []hub.EnvelopeInfo
	for _, scope := range all {
		if !reads(*victim, scope) {
			continue
		}
		v, err := ss.RotateScopeKey(ctx, scope)
		if err != nil {
			return rotated, err
		}
		key, _, err := ss.Store().ScopeKey(ctx, scope, v)
		if err != nil {
			return rotated, err
		}
		rotated = append(rotated, scope)
		for _, d := range devs {
			if d.ID == deviceID || d.ID == ss.Store().DeviceID() || d.Status != hub.StatusActive || !reads(d, scope) {
				continue
			}
			sealed, err := device.SealTo(d.HPKEKey, envelopeInfo(d.ID, scope, v), key)
			if err != nil {
				return rotated, err
			}
			envs = append(envs, hub.EnvelopeInfo{To: d.ID, Scope: scope, Version: v, Sealed: sealed})
		}
	}
	for len(envs) > 0 {
		n := min(len(envs), 1000)
		if err := h.PutEnvelopes(ctx, envs[:n]); err != nil {
			return rotated, err
		}
		envs = envs[n:]
	}
	ss.Audit(ctx, "device.revoke", deviceID, "ok", fmt.Sprintf("rotated_scopes=%d", len(rotated)))
	return rotated, nil
}
