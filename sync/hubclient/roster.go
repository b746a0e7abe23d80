package hubclient

import (
	"context"
	"net/http"
	"net/url"
	"spoke/protocol"
	"strconv"
)

// Roster returns the roster entries from seq from on (at most a page; ask again from the
// end) and every owner device's newest head. Nothing in it is trusted before the caller
// verified it with crypto/roster.
func (c *Client) Roster(ctx context.Context, from uint64) (protocol.RosterResponse, error) {
	var out protocol.RosterResponse
	q := url.Values{"from": {strconv.FormatUint(from, 10)}}
	err := c.doJSON(ctx, http.MethodGet, protocol.PathRoster+"?"+q.Encode(), nil, &out)
	return out, err
}

// AppendRoster stores a signed roster entry at seq (owner devices). ErrReplay means another
// entry took that position first: fetch the roster and sign again on top of it.
func (c *Client) AppendRoster(ctx context.Context, seq uint64, entry []byte) error {
	return c.doJSON(ctx, http.MethodPost, protocol.PathRoster, protocol.RosterAppendRequest{Seq: seq, Entry: entry}, nil)
}

// PutRosterHead leaves this owner device's signed roster head.
func (c *Client) PutRosterHead(ctx context.Context, head []byte) error {
	return c.doJSON(ctx, http.MethodPut, protocol.PathRosterHead, protocol.RosterHeadRequest{Head: head}, nil)
}
