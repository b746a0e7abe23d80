package engine

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/sync/hubclient"
)

// ErrHubCode means a code printed by spoke-hub (no device list in it) was used on a device
// that is not the chain's first owner device.
var ErrHubCode = errors.New("this code was printed by the hub, so it can connect only the chain's first owner device (where 'spoke init' ran) or, with the recovery code, a new owner machine; ask the owner for a code from 'spoke devices add'")

// Connect enrolls the store's device with the hub named in code: it registers this device's
// id and public keys (with a proof made with the code's one-time secret, so the owner device
// that issued the code can tell these keys from any the hub might substitute), keeps the
// client certificate (its private key sealed under the master key) and the pinned hub CA,
// records the chain id and issuing owner from the code, and remembers the code's one-time
// secret until the scope keys sealed under it have been opened by the first sync.
//
// A code printed by spoke-hub itself carries no device list: it connects only the device
// that holds the chain's genesis (the first owner device), or a new owner machine through
// Recover.
//
// Connecting a database that has staff is the owner's (the devices grant): Connect checks the
// session itself and audits a denial. A database no one works in yet joins with Join.
func Connect(ctx context.Context, ss *store.Session, code protocol.EnrollCode) (*protocol.DeviceInfo, error) {
	st, err := replicaFor(ctx, ss, "device.connect")
	if err != nil {
		return nil, err
	}
	return enrolAudited(ctx, st, code, func(role string) {
		st.Audit(ctx, ss, store.Event{Action: "device.connect", Target: st.DeviceID(), Detail: "role=" + role})
	})
}

// ErrHasStaff means Join was given a database people already work in: connecting it needs an
// owner signed in (Connect).
var ErrHasStaff = errors.New("this database has staff accounts: sign in as the owner to connect it (--as OWNER)")

// Join connects a database that has no staff yet (a replica just made for a new machine, which
// sync then fills): the one-time code, made by an owner device or the hub's operator, is the
// grant, and the database holds nothing a person could reach. A database with staff is refused
// (ErrHasStaff): it connects only through an owner's session (Connect).
func Join(ctx context.Context, st Replica, code protocol.EnrollCode) (*protocol.DeviceInfo, error) {
	staffed, err := st.HasStaff(ctx)
	if err != nil {
		return nil, err
	}
	if staffed {
		return nil, ErrHasStaff
	}
	return enrolAudited(ctx, st, code, func(role string) {
		st.Audit(ctx, enrolPrincipal, store.Event{Action: "device.connect", Target: st.DeviceID(), Outcome: "ok", Detail: "role=" + role})
	})
}

func enrolAudited(ctx context.Context, st Replica, code protocol.EnrollCode, audit func(role string)) (*protocol.DeviceInfo, error) {
	if !code.HasRoster() {
		if _, err := st.Roster(ctx); err != nil {
			return nil, ErrHubCode
		}
	}
	dev, err := enroll(ctx, st, code)
	if err == nil {
		audit(string(dev.Role))
	}
	return dev, err
}

func enroll(ctx context.Context, st Replica, code protocol.EnrollCode) (*protocol.DeviceInfo, error) {
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
	if code.HasRoster() {
		if err := st.SetRosterID(ctx, code.RosterID); err != nil {
			return nil, err
		}
		ss.Owner = code.Owner[:]
	}
	opts := hubclient.EnrollOptions{DeviceID: st.DeviceID(), SigningKey: id.SigningPublic(), HPKEKey: id.KEMPublic()}
	if len(code.Secret) > 0 {
		opts.Label = device.EnrollProof(code.Secret, code.TokenID, st.DeviceID(), opts.SigningKey, opts.HPKEKey)
	}
	enr, err := hubclient.Enroll(ctx, code, opts)
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
	if i > 0 && len(b) == i+1+8+protocol.SecretSize {
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
		e.st.Audit(ctx, syncPrincipal, store.Event{Action: "sync.enrollment_secret", Target: tokenID, Outcome: "deleted", Detail: why})
	}
}

// AddDevice asks the hub for a one-time enrollment code for another machine: a shop device
// (shopID set: that shop's scope plus org-wide users and roles) or another owner device (all
// scopes). It seals the scope keys the new device may read under a fresh secret that goes only
// into the printed code, signs them, and leaves them at the hub addressed to the token. The
// code also carries the chain id and this device's fingerprint; once the new device has
// enrolled with a proof made from the secret, this device's next sync signs it into the
// roster (confirmEnrolments) with the role and shop chosen here. Owner only.
func AddDevice(ctx context.Context, ss *store.Session, h *hubclient.Client, shopID string) (string, error) {
	st, err := replicaFor(ctx, ss, "device.add")
	if err != nil {
		return "", err
	}
	local, err := st.Roster(ctx)
	if err != nil {
		return "", err
	}
	if me := local.Member(st.DeviceID()); me == nil || !me.Active || me.Role != roster.RoleOwner {
		return "", errors.New("this device is not an owner device of the device list")
	}
	id, err := st.DeviceIdentity(ctx)
	if err != nil {
		return "", err
	}
	req := protocol.TokenRequest{Role: protocol.RoleOwner}
	scopes, err := st.Scopes(ctx)
	if err != nil {
		return "", err
	}
	if shopID != "" {
		req = protocol.TokenRequest{Role: protocol.RoleShop, Scopes: []string{shopID}}
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
	code.Secret = protocol.NewSecret()
	code.RosterID, code.Owner = local.ID(), store.Fingerprint(id.SigningPublic())
	var envs []protocol.EnvelopeInfo
	to := protocol.TokenRecipient(tok.TokenID)
	for _, k := range ks {
		sealed, err := device.SealWithSecret(code.Secret, secretEnvelopeInfo(tok.TokenID, k.Scope, k.Version), k.Key)
		if err != nil {
			return "", err
		}
		envs = append(envs, protocol.EnvelopeInfo{To: to, Scope: k.Scope, Version: k.Version, Sealed: device.SignEnvelope(st.DeviceID(), id.Signing, to, k.Scope, k.Version, sealed)})
	}
	pend, err := loadPending(ctx, st)
	if err != nil {
		return "", err
	}
	role := roster.RoleOwner
	if req.Role == protocol.RoleShop {
		role = roster.RoleShop
	}
	pend = append(pend, pendingEnrolment{TokenID: tok.TokenID, Secret: code.Secret, Role: role, Scopes: req.Scopes, Expires: tok.ExpiresAt})
	if err := savePending(ctx, st, pend); err != nil {
		return "", err
	}
	if err := h.PutEnvelopes(ctx, envs); err != nil {
		return "", err
	}
	st.Audit(ctx, ss, store.Event{Action: "device.add", Target: tok.TokenID, Detail: fmt.Sprintf("role=%s scopes=%d expires=%s", req.Role, len(scopes), tok.ExpiresAt.Format("2006-01-02T15:04Z"))})
	return code.Encode(), nil
}

// DeviceEntry is a device as the verified roster lists it, with what the hub says about it.
type DeviceEntry struct {
	ID       string    `json:"id"`
	Role     string    `json:"role"`
	Scopes   []string  `json:"scopes,omitempty"`
	Status   string    `json:"status"` // active or revoked, from the roster
	LastSeen time.Time `json:"last_seen,omitzero"`
	// AtHub is the hub's own record: "active", "revoked", or "missing" when the hub does not
	// know a device the roster lists.
	AtHub string `json:"at_hub"`
}

// Devices lists the devices of the verified roster (owner), and devices the hub lists that the
// roster does not (Status "unconfirmed": enrolled but not yet signed in by an owner device, or
// planted by the hub).
func Devices(ctx context.Context, ss *store.Session, h *hubclient.Client) ([]DeviceEntry, error) {
	st, err := replicaFor(ctx, ss, "device.list")
	if err != nil {
		return nil, err
	}
	local, err := st.Roster(ctx)
	if err != nil {
		return nil, err
	}
	devs, err := h.Devices(ctx)
	if err != nil {
		return nil, err
	}
	atHub := map[string]protocol.DeviceInfo{}
	for _, d := range devs {
		atHub[d.ID] = d
	}
	var out []DeviceEntry
	for _, m := range local.Members() {
		if m.ID == roster.RecoveryID {
			continue
		}
		e := DeviceEntry{ID: m.ID, Role: m.Role, Scopes: m.Scopes, Status: "active", AtHub: "missing"}
		if !m.Active {
			e.Status = "revoked"
		}
		if d, ok := atHub[m.ID]; ok {
			e.AtHub, e.LastSeen = string(d.Status), d.LastSeen
			delete(atHub, m.ID)
		}
		out = append(out, e)
	}
	for _, d := range devs {
		if _, ok := atHub[d.ID]; ok {
			out = append(out, DeviceEntry{ID: d.ID, Role: string(d.Role), Scopes: d.Scopes, Status: "unconfirmed", AtHub: string(d.Status), LastSeen: d.LastSeen})
		}
	}
	return out, nil
}

// RevokeDevice signs the device's revocation into the roster (every device enforces it from
// there, whatever the hub does), stops it at the hub, then rotates every scope key it could
// read and seals the new versions, signed, to each remaining active roster device that reads
// that scope, so data written from now on is sealed under keys the revoked device never
// receives. The recipients' keys come from the verified roster, never from the protocol. Staff
// records the revoked owner device signed are signed again by this one; sync first, so that
// what it sent before the revocation is here to be signed. Owner only.
func RevokeDevice(ctx context.Context, ss *store.Session, h *hubclient.Client, deviceID string) (rotated []string, err error) {
	st, err := replicaFor(ctx, ss, "device.revoke")
	if err != nil {
		return nil, err
	}
	if deviceID == st.DeviceID() {
		return nil, errors.New("a device cannot revoke itself")
	}
	local, err := st.Roster(ctx)
	if err != nil {
		return nil, err
	}
	victim := local.Member(deviceID)
	if victim == nil || victim.ID == roster.RecoveryID {
		return nil, fmt.Errorf("no device %s in the device list", deviceID)
	}
	id, err := st.DeviceIdentity(ctx)
	if err != nil {
		return nil, err
	}
	signer, key := st.DeviceID(), id.Signing
	if victim.Active {
		entry, err := local.Next(roster.OpRevoke, roster.Member{ID: deviceID}, signer, key, time.Now().UnixMilli())
		if err != nil {
			return nil, err
		}
		if local, err = publish(ctx, st, h, entry); err != nil {
			return nil, err
		}
	}
	if _, err := h.Revoke(ctx, deviceID); err != nil && !errors.Is(err, hubclient.ErrRejected) {
		return nil, err
	}
	// Staff records the revoked device signed no longer verify anywhere: sign them again here.
	if victim.Role == roster.RoleOwner {
		if _, err := ss.SignStaffAgain(ctx, deviceID); err != nil {
			return nil, err
		}
	}
	all, err := st.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	var envs []protocol.EnvelopeInfo
	for _, scope := range all {
		could := roster.MemberState{Member: victim.Member, Active: true} // what it read before revocation
		if !could.CanRead(scope) {
			continue
		}
		v, err := ss.RotateScopeKeyTo(ctx, scope, rotationVersion(local.Member(deviceID)))
		if err != nil {
			return rotated, err
		}
		k, _, err := st.ScopeKey(ctx, scope, v)
		if err != nil {
			return rotated, err
		}
		rotated = append(rotated, scope)
		shared, err := shareKey(local, signer, key, scope, v, k)
		if err != nil {
			return rotated, err
		}
		envs = append(envs, shared...)
	}
	for len(envs) > 0 {
		n := min(len(envs), 1000)
		if err := h.PutEnvelopes(ctx, envs[:n]); err != nil {
			return rotated, err
		}
		envs = envs[n:]
	}
	st.Audit(ctx, ss, store.Event{Action: "device.revoke", Target: deviceID, Detail: fmt.Sprintf("rotated_scopes=%d", len(rotated))})
	return rotated, nil
}

// rotationVersion is the scope-key version a revocation rotates to: one past the roster entry
// that revoked the device (entry numbers are unique and rise; version 1 is the first key).
func rotationVersion(revoked *roster.MemberState) uint32 {
	return uint32(revoked.RevokedAt) + 1
}

// Recover makes this machine an owner device of a chain whose only owner device is lost: it
// enrolls with an owner code printed by spoke-hub, fetches the hub's roster and accepts it
// only if its genesis was countersigned by the offline owner key derived from recoveryCode
// (the emergency kit), then signs this device into the roster with that key. From then on
// this device can revoke the lost one (RevokeDevice). The store should be a restore of the
// chain's backup (a new device identity, keys inside); a fresh replica can sign the roster but
// holds no scope keys.
//
// If the hub's roster is not the recovery code's, nothing is signed and this machine is left
// as a new, unenrolled device again (a fresh identity: the hub keeps the refused enrolment),
// so it can try again with another code.
func Recover(ctx context.Context, st Replica, code protocol.EnrollCode, recoveryCode string) (err error) {
	rec, err := keys.RecoverySigningKey(recoveryCode)
	if err != nil {
		return err
	}
	dev, err := enroll(ctx, st, code)
	if err != nil {
		return err
	}
	st.Audit(ctx, recoveryPrincipal, store.Event{Action: "device.connect", Target: st.DeviceID(), Outcome: "ok", Detail: "role=" + string(dev.Role)})
	defer func() {
		if err != nil {
			if rerr := st.BecomeNewDevice(context.WithoutCancel(ctx), ""); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	hc, err := Dial(ctx, st)
	if err != nil {
		return err
	}
	defer hc.Close()
	var entries [][]byte
	for {
		resp, err := hc.Roster(ctx, uint64(len(entries)))
		if err != nil {
			return err
		}
		entries = append(entries, resp.Entries...)
		if len(resp.Entries) < rosterPage {
			break
		}
	}
	if len(entries) == 0 {
		return errors.New("the hub holds no device list")
	}
	state, err := roster.New(entries[0], [32]byte{}, rec.Public().(ed25519.PublicKey))
	if err != nil {
		return fmt.Errorf("the hub's device list is not the one this recovery code belongs to: %w", err)
	}
	for _, b := range entries[1:] {
		if err := state.Append(b); err != nil {
			return fmt.Errorf("the hub's device list does not verify: %w", err)
		}
	}
	if err := st.SetRosterID(ctx, state.ID()); err != nil {
		return err
	}
	held, err := st.RosterEntries(ctx, 0)
	if err != nil {
		return err
	}
	for i, b := range held {
		if i < len(entries) && !bytes.Equal(b, entries[i]) {
			return errors.New("the hub's device list differs from the one in this database")
		}
	}
	if len(entries) > len(held) {
		if _, err := st.AppendRoster(ctx, entries[len(held):]); err != nil {
			return err
		}
	}
	id, err := st.DeviceIdentity(ctx)
	if err != nil {
		return err
	}
	entry, err := state.Next(roster.OpAdd, roster.Member{ID: st.DeviceID(), Role: roster.RoleOwner, SigningKey: id.SigningPublic(), KEMKey: id.KEMPublic()},
		roster.RecoveryID, rec, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	if _, err := publish(ctx, st, hc, entry); err != nil {
		return err
	}
	return st.Audit(ctx, recoveryPrincipal, store.Event{Action: "device.recover", Target: st.DeviceID(), Outcome: "ok", Detail: "signed in by the offline owner key"})
}

// replicaFor checks the devices grant of the signed-in user (a denial is audited under action)
// and returns the store's sync port: the only way a device operation reaches the store.
func replicaFor(ctx context.Context, ss *store.Session, action string) (Replica, error) {
	r, err := ss.ReplicaFor(ctx, action)
	if err != nil {
		return nil, err
	}
	return r, nil
}
