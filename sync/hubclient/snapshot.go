package hubclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"spoke/protocol"
	"strconv"
)

// maxSnapshotPart bounds a part read from the hub: sync/wire's 32 MiB limit on a sealed
// part, and a little, so a lying hub cannot make the device allocate without limit.
const maxSnapshotPart = 32<<20 + 64<<10

// errPartTooLarge is the answer to a hub that sends more than a part can be.
var errPartTooLarge = errors.New("hub answer: a snapshot part larger than 32 MiB")

// snapshotPath builds /v1/snapshots/{scope}/{id}/{tail}, checking the ids first so no path
// is built from a malformed one.
func snapshotPath(scope, id, tail string) (string, error) {
	if !protocol.ValidID(scope) || !validSnapshotID(id) {
		return "", fmt.Errorf("snapshot scope or id (want a scope id and 32 lower-case hex digits): %w", ErrRejected)
	}
	return protocol.PathSnapshots + "/" + scope + "/" + id + "/" + tail, nil
}

func validSnapshotID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// PutSnapshotPart uploads one sealed part (spoke/sync/wire SealSnapshot) of snapshot id of
// scope (owner devices only); id is the header's id in lower-case hex. Uploading the same
// bytes again is safe; other bytes at a stored index, or a part for a committed snapshot,
// are an *APIError with Code protocol.CodeConflict (errors.Is ErrReplay).
func (c *Client) PutSnapshotPart(ctx context.Context, scope, id string, part uint32, sealed []byte) error {
	path, err := snapshotPath(scope, id, strconv.FormatUint(uint64(part), 10))
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPut, path, bytes.NewReader(sealed), "application/octet-stream")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Body.Close()
}

// CommitSnapshot commits an uploaded snapshot (owner devices only, the uploader): the hub
// keeps it and deletes the scope's change-sets at or below its point. While a device that
// reads the scope has not pulled past the point, the answer is an *APIError with Code
// protocol.CodeLagging whose message lists those devices: try again later. Committing a
// snapshot already committed answers zeros.
func (c *Client) CommitSnapshot(ctx context.Context, scope, id string) (protocol.SnapshotCommitResponse, error) {
	var out protocol.SnapshotCommitResponse
	path, err := snapshotPath(scope, id, "commit")
	if err != nil {
		return out, err
	}
	err = c.doJSON(ctx, http.MethodPost, path, nil, &out)
	return out, err
}

// Snapshots lists the committed snapshots of the scopes this device reads, ordered by scope.
// The hub's word, like everything it relays: a device verifies each part it imports.
func (c *Client) Snapshots(ctx context.Context) ([]protocol.SnapshotInfo, error) {
	var out protocol.SnapshotsResponse
	err := c.doJSON(ctx, http.MethodGet, protocol.PathSnapshots, nil, &out)
	return out.Snapshots, err
}

// SnapshotPart downloads one part of a committed snapshot, at most 32 MiB and a little
// whatever the hub sends.
func (c *Client) SnapshotPart(ctx context.Context, scope, id string, part uint32) ([]byte, error) {
	path, err := snapshotPath(scope, id, strconv.FormatUint(uint64(part), 10))
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxSnapshotPart {
		return nil, errPartTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSnapshotPart+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if len(b) > maxSnapshotPart {
		return nil, errPartTooLarge
	}
	return b, nil
}
