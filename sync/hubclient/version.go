package hubclient

import (
	"context"
	"net/http"

	"spoke/protocol"
)

// ReportVersion tells the hub the Spoke version this device runs (at the end of a sync round,
// which the hub records as the device's last sync) and returns the hub's version list. The hub
// records it for the client certificate's device only.
func (c *Client) ReportVersion(ctx context.Context, version string) (protocol.VersionsResponse, error) {
	var out protocol.VersionsResponse
	err := c.doJSON(ctx, http.MethodPost, protocol.PathVersion, protocol.VersionReport{Version: version}, &out)
	return out, err
}

// Versions returns every device's version and last sync, and the newest version the hub has
// seen reported.
func (c *Client) Versions(ctx context.Context) (protocol.VersionsResponse, error) {
	var out protocol.VersionsResponse
	err := c.doJSON(ctx, http.MethodGet, protocol.PathVersions, nil, &out)
	return out, err
}
