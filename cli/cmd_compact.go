package cli

import (
	"context"
	"errors"
	"fmt"

	"spoke/protocol"
	"spoke/sync/engine"
	"spoke/sync/hubclient"
)

func init() {
	register(command{name: "compact", summary: "replace the hub's older change-sets by a signed, sealed snapshot of each scope (owner; every device must have synced)", run: runCompact})
}

func runCompact(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("compact", env, &c, true)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := engine.Dial(ctx, st.Replica())
	if err != nil {
		return err
	}
	defer h.Close()
	rep, err := engine.Compact(ctx, ss, h)
	var ae *hubclient.APIError
	if errors.As(err, &ae) && ae.Code == protocol.CodeLagging {
		return fmt.Errorf("%s; each must sync (or be revoked) before the hub can compact", ae.Message)
	}
	if err != nil {
		return err
	}
	for _, s := range rep.Scopes {
		if s.Skipped != "" {
			fmt.Fprintf(env.Stdout, "%s: skipped (%s)\n", s.Scope, s.SkipCause)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: snapshot of %d records in %d part(s) at cursor %d; the hub deleted %d change-set(s), %d bytes\n",
			s.Scope, s.Records, s.Parts, s.Point, s.Deleted, s.Freed)
	}
	return nil
}
