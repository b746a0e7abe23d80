package cli

import (
	"context"
	"fmt"
	"strings"

	"spoke/store"
	"spoke/sync/engine"
	"spoke/sync/hub"
)

func init() {
	register(command{name: "connect", summary: "enroll this machine with a hub using a one-time code, then sync", run: runConnect})
}

func runConnect(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("connect", env, &c, false)
	codeText := fs.String("code", "", "the one-time enrollment code (from 'spoke-hub init' or 'spoke devices add')")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *codeText == "" {
		return errUsage{"--code CODE is required"}
	}
	code, err := hub.DecodeEnrollCode(strings.TrimSpace(*codeText))
	if err != nil {
		return err
	}
	o, err := c.storeOptions()
	if err != nil {
		return err
	}
	var st *store.Store
	if store.Exists(c.data) {
		if st, err = store.Open(ctx, c.data, o); err != nil {
			return err
		}
	} else {
		var rc string
		if st, rc, err = store.CreateReplica(ctx, c.data, o); err != nil {
			return err
		}
		printCreated(env, st, rc)
	}
	defer st.Close()
	dev, err := engine.Connect(ctx, st, code)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Connected to the hub at %s as device %s (%s)\n", code.Addr, dev.ID, dev.Role)
	h, err := engine.Dial(ctx, st)
	if err != nil {
		return err
	}
	defer h.Close()
	r, err := engine.New(st, h).SyncNow(ctx)
	if err != nil {
		return fmt.Errorf("first sync: %w (run 'spoke sync' to retry)", err)
	}
	printReport(env, r)
	return nil
}

func printReport(env Env, r *engine.Report) {
	fmt.Fprintf(env.Stdout, "pushed %d change-set(s), pulled %d, applied %d field change(s)", r.Pushed, r.Pulled, r.Applied)
	if r.KeysImported > 0 {
		fmt.Fprintf(env.Stdout, ", received %d key(s)", r.KeysImported)
	}
	if r.Conflicts > 0 {
		fmt.Fprintf(env.Stdout, ", %d conflict(s) kept for review", r.Conflicts)
	}
	if r.Refused > 0 {
		fmt.Fprintf(env.Stdout, ", REFUSED %d change-set(s) (see 'spoke audit')", r.Refused)
	}
	fmt.Fprintln(env.Stdout)
}
