package hub_test

import (
	"testing"

	"spoke/protocol"
	"spoke/sync/hub"
)

func TestDeviceScopes(t *testing.T) {
	shop := hub.Device{Role: protocol.RoleShop, Scopes: []string{"shop-1"}}
	owner := hub.Device{Role: protocol.RoleOwner}
	cases := []struct {
		d            hub.Device
		scope        string
		write, reads bool
	}{
		{shop, "shop-1", true, true},
		{shop, protocol.OrgScope, false, true},
		{shop, "shop-2", false, false},
		{owner, "shop-2", true, true},
		{owner, protocol.OrgScope, true, true},
	}
	for _, c := range cases {
		if c.d.CanWrite(c.scope) != c.write || c.d.CanRead(c.scope) != c.reads {
			t.Errorf("%s on %s: write %v read %v", c.d.Role, c.scope, c.d.CanWrite(c.scope), c.d.CanRead(c.scope))
		}
	}
}
