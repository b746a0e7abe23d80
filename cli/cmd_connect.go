package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"spoke/protocol"
	"spoke/store"
	"spoke/sync/engine"
)

func init() {
	register(command{name: "connect", summary: "enroll this machine with a hub using a one-time code, then sync", run: runConnect})
}

func runConnect(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("connect", env, &c, true)
	fs.Lookup("as").Usage = "sign in as this owner (required when the database has staff accounts; a new one joins with the code alone)"
	codeText := fs.String("code", "", "the one-time enrollment code (from 'spoke-hub init' or 'spoke devices add')")
	codeFile := fs.String("recovery-code-file", "", "file holding the recovery code (else SPOKE_RECOVERY_CODE): join as an owner device when the only owner device is lost, with a code from 'spoke-hub owner-code'")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *codeText == "" {
		return errUsage{"--code CODE is required"}
	}
	code, err := protocol.DecodeEnrollCode(strings.TrimSpace(*codeText))
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
	recovery, err := c.secret(*codeFile, "SPOKE_RECOVERY_CODE")
	if err != nil {
		return err
	}
	if recovery != "" {
		if err := engine.Recover(ctx, st.Replica(), code, recovery); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Connected to the hub at %s as owner device %s, signed into the device list with the recovery code's offline owner key\n", code.Addr, st.DeviceID())
		fmt.Fprintln(env.Stdout, "Revoke the lost device now: spoke devices revoke --as OWNER DEVICE")
	} else {
		dev, err := connectAs(ctx, &c, st, code)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Connected to the hub at %s as device %s (%s)\n", code.Addr, dev.ID, dev.Role)
		if code.HasRoster() {
			fmt.Fprintln(env.Stdout, "Other devices accept this one's changes once the owner's device has confirmed it (at its next sync, automatically).")
		}
	}
	h, err := engine.Dial(ctx, st.Replica())
	if err != nil {
		return err
	}
	defer h.Close()
	r, err := engine.New(st.Replica(), h).SyncNow(ctx)
	if err != nil {
		return fmt.Errorf("first sync: %w (run 'spoke sync' to retry)", err)
	}
	printReport(env, r)
	printSyncWarnings(ctx, env, st)
	return nil
}

// printSyncWarnings says what sync could not settle: a device list the hub may be tampering
// with or withholding, sets waiting behind a gap, a clock that runs behind.
func printSyncWarnings(ctx context.Context, env Env, st *store.Store) {
	if ss, err := st.SyncState(ctx); err == nil {
		if w := engine.RosterWarning(ss, time.Now()); w != "" {
			fmt.Fprintln(env.Stdout, "WARNING "+w)
		}
	}
	if held, err := st.HeldSummaries(ctx); err == nil {
		for _, h := range held {
			fmt.Fprintln(env.Stdout, "WAITING "+h.String())
		}
	}
	if w := st.ClockWarning(); w != "" {
		fmt.Fprintln(env.Stdout, "WARNING "+w)
	}
}

func printReport(env Env, r *engine.Report) {
	fmt.Fprintf(env.Stdout, "pushed %d change-set(s), pulled %d, applied %d field change(s)", r.Pushed, r.Pulled, r.Applied)
	if r.KeysImported > 0 {
		fmt.Fprintf(env.Stdout, ", received %d key(s)", r.KeysImported)
	}
	if r.Conflicts > 0 {
		fmt.Fprintf(env.Stdout, ", %d conflict(s) kept for review", r.Conflicts)
	}
	if r.Snapshots > 0 {
		fmt.Fprintf(env.Stdout, ", started from %d snapshot(s)", r.Snapshots)
	}
	if r.Refused > 0 {
		fmt.Fprintf(env.Stdout, ", REFUSED %d change-set(s) (see 'spoke audit')", r.Refused)
	}
	if r.Waiting != "" {
		fmt.Fprintf(env.Stdout, "; waiting: %s", r.Waiting)
	}
	fmt.Fprintln(env.Stdout)
}

// connectAs enrols st: a database with staff accounts through the owner's session (--as, the
// password from --password-file or SPOKE_PASSWORD; engine.Connect checks the grant and audits
// a denial), a new one without staff with the code alone (engine.Join).
func connectAs(ctx context.Context, c *common, st *store.Store, code protocol.EnrollCode) (*protocol.DeviceInfo, error) {
	staffed, err := st.HasStaff(ctx)
	if err != nil {
		return nil, err
	}
	if !staffed {
		return engine.Join(ctx, st.Replica(), code)
	}
	if c.as == "" {
		return nil, errUsage{"--as OWNER is required: this database has staff accounts, and connecting it is the owner's"}
	}
	pw, err := c.secret(c.passwordFile, "SPOKE_PASSWORD")
	if err != nil {
		return nil, err
	}
	if pw == "" {
		return nil, errUsage{"no password: give --password-file FILE or set SPOKE_PASSWORD"}
	}
	ss, err := st.SignIn(ctx, c.as, pw)
	if err != nil {
		return nil, err
	}
	defer ss.SignOut(context.WithoutCancel(ctx))
	return engine.Connect(ctx, ss, code)
}
