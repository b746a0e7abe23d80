package engine

import (
	"context"
	"fmt"
	"time"

	"spoke/crypto/roster"
	"spoke/store"
	"spoke/sync/hubclient"
)

// RevokeLost revokes a device that was lost or stolen (RevokeDevice: the roster entry, the hub
// refusing it, every scope key it read rotated for the remaining devices) and then opens its
// incident in the breach register with the facts the revocation knows: the shops it could read
// (an owner device: every shop), that the hub refuses it, and the version its keys were rotated
// to. kind is store.IncidentDeviceLost or store.IncidentDeviceStolen; discovered is when the
// loss was discovered (zero: now), from which the 72-hour clock runs. Owner only, like
// RevokeDevice. When the revocation succeeded and the incident could not be recorded, rotated
// comes back with the error, so the caller can say the device is revoked all the same.
func RevokeLost(ctx context.Context, ss *store.Session, h *hubclient.Client, deviceID, kind string, discovered time.Time) (rotated []string, incident string, err error) {
	if kind != store.IncidentDeviceLost && kind != store.IncidentDeviceStolen {
		return nil, "", fmt.Errorf("kind must be %s or %s", store.IncidentDeviceLost, store.IncidentDeviceStolen)
	}
	st, err := replicaFor(ctx, ss, "device.revoke")
	if err != nil {
		return nil, "", err
	}
	// What the device could read, as the verified roster says before the revocation.
	local, err := st.Roster(ctx)
	if err != nil {
		return nil, "", err
	}
	m := local.Member(deviceID)
	if m == nil || m.ID == roster.RecoveryID {
		return nil, "", fmt.Errorf("no device %s in the device list", deviceID)
	}
	in := store.IncidentInput{Kind: kind, DeviceID: deviceID, DiscoveredAt: discovered}
	if m.Role == roster.RoleShop {
		in.Shops = append(in.Shops, m.Scopes...)
	} else {
		in.AllShops = true
	}
	rotated, err = RevokeDevice(ctx, ss, h, deviceID)
	if err != nil {
		return rotated, "", err
	}
	in.HubRevoked = true
	for _, scope := range rotated {
		if _, v, err := st.ScopeKey(ctx, scope, 0); err == nil && v > in.RotatedTo {
			in.RotatedTo = v
		}
	}
	incident, err = ss.OpenIncident(ctx, in)
	if err != nil {
		return rotated, "", fmt.Errorf("the device is revoked, but its incident was not recorded (%w): record it with 'spoke incidents open --kind %s --device %s'", err, kind, deviceID)
	}
	return rotated, incident, nil
}
