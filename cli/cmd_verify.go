package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"spoke/sync/engine"
)

func init() {
	register(command{name: "verify", summary: "authenticate every sealed value, key, user record, index and the audit chain", run: runVerify})
}

func runVerify(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("verify", env, &c, false)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	withHub := fs.Bool("hub", false, "also compare this device's audit trail with its signed checkpoint at the hub")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "checked %d sealed values, %d wrapped keys, %d user records, %d blind indexes, %d change records, %d audit entries, SQLite integrity\n",
			r.SealedValues, r.WrappedKeys, r.Users, r.BlindIndexes, r.Changes, r.AuditEntries)
		for _, p := range r.Problems {
			fmt.Fprintln(env.Stdout, "BAD "+p.String())
		}
	}
	bad := len(r.Problems)
	if *withHub {
		h, err := engine.Dial(ctx, st)
		if err != nil {
			return err
		}
		defer h.Close()
		anchors, err := engine.VerifyAnchors(ctx, st, h, false)
		if err != nil {
			return err
		}
		for _, a := range anchors {
			fmt.Fprintf(env.Stdout, "audit trail vs hub checkpoint %d: %s\n", a.Checkpoint, a.Status)
			if !a.OK() {
				bad++
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(env.Stderr, "verify: %d problem(s) found\n", bad)
		return errExit(1)
	}
	if !*asJSON {
		fmt.Fprintln(env.Stdout, "OK")
	}
	return nil
}
