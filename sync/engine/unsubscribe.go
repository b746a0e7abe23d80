package engine

import (
	"context"
	"errors"
	"strings"

	"spoke/protocol"
	"spoke/store"
)

// unsubscribeHub is what the one-click unsubscribe relay needs of the hub (hubclient.Client
// has it; a hub without the routes answers not-found, and the round goes on without it).
type unsubscribeHub interface {
	RegisterUnsubscribeTokens(ctx context.Context, scope string, hashes []string) error
	Unsubscribes(ctx context.Context, scope string, after int64, limit int) (protocol.UnsubscribesResponse, error)
}

// relayUnsubscribes registers this device's shops' new unsubscribe-token hashes at the hub and
// turns the clicks the hub relays into consent withdrawals (store.ApplyUnsubscribes). It runs
// for the shops whose key this device holds. What the hub says is not trusted beyond what it
// can do: a click names a hash; a hash the shop never made is skipped; a withdrawal is the most
// a forged click achieves. A failure does not fail the round: the next round tries again.
func (e *Engine) relayUnsubscribes(ctx context.Context, r *Report) {
	h, ok := e.hub.(unsubscribeHub)
	if !ok {
		r.UnsubscribeErr = "the hub client has no unsubscribe relay"
		return
	}
	scopes, err := e.st.Scopes(ctx)
	if err != nil {
		r.UnsubscribeErr = err.Error()
		return
	}
	var errs []string
	for _, shop := range scopes {
		if shop == store.OrgScope {
			continue
		}
		// One shop's trouble (the hub refusing it, a bad page) does not hold up the others.
		if err := e.relayShop(ctx, h, shop, r); err != nil {
			errs = append(errs, shop+": "+err.Error())
		}
	}
	r.UnsubscribeErr = strings.Join(errs, "; ")
}

func (e *Engine) relayShop(ctx context.Context, h unsubscribeHub, shop string, r *Report) error {
	hashes, mark, err := e.st.UnsubscribeHashes(ctx, shop)
	if err != nil {
		return err
	}
	for len(hashes) > 0 {
		n := min(len(hashes), protocol.MaxUnsubscribeHashes)
		if err := h.RegisterUnsubscribeTokens(ctx, shop, hashes[:n]); err != nil {
			return err
		}
		hashes = hashes[n:]
	}
	if err := e.st.MarkUnsubscribeRegistered(ctx, shop, mark); err != nil {
		return err
	}
	for range 100 {
		after, err := e.st.UnsubscribeCursor(ctx, shop)
		if err != nil {
			return err
		}
		page, err := h.Unsubscribes(ctx, shop, after, protocol.MaxUnsubscribesLimit)
		if err != nil {
			return err
		}
		clicks := make([]store.UnsubscribeClick, 0, len(page.Clicks))
		for _, c := range page.Clicks {
			if c.Seq <= after || !protocol.ValidUnsubscribeHash(c.Hash) {
				return errors.New("the hub's unsubscribe list is out of order or malformed")
			}
			clicks = append(clicks, store.UnsubscribeClick{Seq: c.Seq, Hash: c.Hash, At: c.At})
		}
		n, err := e.st.ApplyUnsubscribes(ctx, shop, clicks)
		if err != nil {
			return err
		}
		r.Unsubscribes += n
		if !page.More || len(clicks) == 0 {
			break
		}
	}
	return nil
}
