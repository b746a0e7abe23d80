package hubclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"spoke/protocol"
)

// RegisterUnsubscribeTokens registers hashes (protocol.UnsubscribeHash of each token, never
// the tokens) of one-click unsubscribe links for scope, which this device must write. At most
// protocol.MaxUnsubscribeHashes per call; registering a hash again is a no-op. A hash
// registered for another scope refuses the whole call (errors.Is ErrReplay: a conflict); a
// scope full at the hub is ErrQuota; malformed input is ErrRejected before anything is sent.
func (c *Client) RegisterUnsubscribeTokens(ctx context.Context, scope string, hashes []string) error {
	if !protocol.ValidID(scope) || len(hashes) == 0 || len(hashes) > protocol.MaxUnsubscribeHashes {
		return fmt.Errorf("unsubscribe tokens: a scope id and 1 to %d hashes: %w", protocol.MaxUnsubscribeHashes, ErrRejected)
	}
	for _, h := range hashes {
		if !protocol.ValidUnsubscribeHash(h) {
			return fmt.Errorf("unsubscribe tokens: each hash is protocol.UnsubscribeHash of a token (64 lower-case hex characters): %w", ErrRejected)
		}
	}
	return c.doJSON(ctx, http.MethodPut, protocol.PathUnsubscribeTokens, protocol.UnsubscribeTokensRequest{Scope: scope, Hashes: hashes}, nil)
}

// Unsubscribes returns the one-click unsubscribes of scope (which this device must read)
// with Seq above after, in Seq order, at most limit of them (1 to
// protocol.MaxUnsubscribesLimit; 0 means the hub's default of 200). More says another page
// follows: ask again after the last Seq.
func (c *Client) Unsubscribes(ctx context.Context, scope string, after int64, limit int) (protocol.UnsubscribesResponse, error) {
	var out protocol.UnsubscribesResponse
	if !protocol.ValidID(scope) || after < 0 || limit < 0 || limit > protocol.MaxUnsubscribesLimit {
		return out, fmt.Errorf("unsubscribes: a scope id, after ≥ 0, limit 0 to %d: %w", protocol.MaxUnsubscribesLimit, ErrRejected)
	}
	q := url.Values{"scope": {scope}, "after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if err := c.doJSON(ctx, http.MethodGet, protocol.PathUnsubscribes+"?"+q.Encode(), nil, &out); err != nil {
		return protocol.UnsubscribesResponse{}, err
	}
	last := after
	for _, k := range out.Clicks {
		if k.Seq <= last || !protocol.ValidUnsubscribeHash(k.Hash) {
			return protocol.UnsubscribesResponse{}, fmt.Errorf("hub answer: unsubscribes out of order or malformed")
		}
		last = k.Seq
	}
	if out.Clicks == nil {
		out.Clicks = []protocol.UnsubscribeClick{}
	}
	return out, nil
}
