package hubclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"spoke/protocol"
)

// maxPart bounds a snapshot part read from the hub: the wire format's limit and a little.
const maxPart = 32<<20 + 4096

func snapshotPath(scope, id string, rest ...string) string {
	p := protocol.PathSnapshots + "/" + url.PathEscape(scope) + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// PutSnapshotPart uploads one sealed part of a snapshot (owner devices only).
func (c *Client) PutSnapshotPart(ctx context.Context, scope, id string, part uint32, sealed []byte) error {
	resp, err := c.do(ctx, http.MethodPut, snapshotPath(scope, id, strconv.FormatUint(uint64(part), 10)), bytes.NewReader(sealed), "application/octet-stream")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// CommitSnapshot asks the hub to keep an uploaded snapshot and delete the scope's sets at or
// below its point. A reader of the scope that has not pulled past the point makes it an
// *APIError with Code protocol.CodeLagging.
func (c *Client) CommitSnapshot(ctx context.Context, scope, id string) (protocol.SnapshotCommitResponse, error) {
	var out protocol.SnapshotCommitResponse
	err := c.doJSON(ctx, http.MethodPost, snapshotPath(scope, id, "commit"), struct{}{}, &out)
	return out, err
}

// Snapshots lists the committed snapshots of the scopes this device reads.
func (c *Client) Snapshots(ctx context.Context) ([]protocol.SnapshotInfo, error) {
	var out protocol.SnapshotsResponse
	if err := c.doJSON(ctx, http.MethodGet, protocol.PathSnapshots, nil, &out); err != nil {
		return nil, err
	}
	return out.Snapshots, nil
}

// SnapshotPart fetches one part of a committed snapshot.
func (c *Client) SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, snapshotPath(scope, id, strconv.FormatUint(uint64(part), 10)), nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPart+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if len(b) > maxPart {
		return nil, fmt.Errorf("hub answer: a snapshot part larger than %d bytes", maxPart)
	}
	return b, nil
}
