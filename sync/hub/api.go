package hub

import "spoke/protocol"

// Info converts a stored device for the API (no certificate serial).
func (d Device) Info() protocol.DeviceInfo {
	return protocol.DeviceInfo{ID: d.ID, Label: d.Label, Role: d.Role, Scopes: d.Scopes, SigningKey: d.SigningKey,
		HPKEKey: d.HPKEKey, Status: d.Status, EnrolledAt: d.EnrolledAt, LastSeen: d.LastSeen, RevokedAt: d.RevokedAt, Pulled: d.Pulled}
}
