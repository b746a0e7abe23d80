package cli

import (
	"context"

	"spoke/sync/engine"
)

func init() {
	register(command{name: "sync", summary: "run one sync round with the hub (push, then pull)", run: runSync})
}

func runSync(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("sync", env, &c, false)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := engine.Dial(ctx, st.Replica())
	if err != nil {
		return err
	}
	defer h.Close()
	r, err := engine.New(st.Replica(), h).SyncNow(ctx)
	if err != nil {
		return err
	}
	printReport(env, r)
	printSyncWarnings(ctx, env, st)
	return nil
}
