package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"spoke/store"
	"spoke/sync/engine"
)

func init() {
	register(command{name: "devices", summary: "list devices; 'devices add' prints an enrollment code; 'devices revoke ID [--lost|--stolen]' revokes one (lost or stolen: and opens an incident); 'devices verify' checks every device's audit chain", run: runDevices})
}

func runDevices(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "add" || args[0] == "revoke" || args[0] == "verify") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("devices "+sub, env, &c, true)
	shop := fs.String("shop", "", "with add: a device for this shop (its customers plus org-wide users); default: an owner device with every shop")
	lost := fs.Bool("lost", false, "with revoke: the device was lost; opens an incident in the breach register (72-hour clock)")
	stolen := fs.Bool("stolen", false, "with revoke: the device was stolen; opens an incident in the breach register (72-hour clock)")
	discovered := fs.String("discovered", "", "with --lost or --stolen: when the loss was discovered, 'YYYY-MM-DD HH:MM' local time (default: now)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	kind := ""
	switch {
	case *lost && *stolen:
		return errUsage{"give --lost or --stolen, not both"}
	case *lost:
		kind = store.IncidentDeviceLost
	case *stolen:
		kind = store.IncidentDeviceStolen
	}
	if sub != "revoke" && (kind != "" || *discovered != "") {
		return errUsage{"--lost, --stolen and --discovered go with 'devices revoke'"}
	}
	var discoveredAt time.Time
	if *discovered != "" {
		if kind == "" {
			return errUsage{"--discovered goes with --lost or --stolen"}
		}
		if discoveredAt, err = parseLocalTime(*discovered); err != nil {
			return errUsage{"--discovered: " + err.Error()}
		}
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
	switch sub {
	case "add":
		shopID := ""
		if *shop != "" {
			s, err := ss.ShopByName(ctx, *shop)
			if err != nil {
				return err
			}
			shopID = s.ID
		}
		code, err := engine.AddDevice(ctx, ss, h, shopID)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stderr, "One-time enrollment code (valid for a day; on the new machine run: spoke connect --code CODE):")
		fmt.Fprintln(env.Stdout, code)
		return nil
	case "verify":
		if !ss.May(store.OpDevices) {
			// Refused before syncing; VerifyAnchors checks the grant itself and audits the denial.
			_, err := engine.VerifyAnchors(ctx, ss, h)
			return err
		}
		if _, err := engine.New(st.Replica(), h).SyncNow(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "note: sync failed (%v); comparing what is here\n", err)
		}
		anchors, err := engine.VerifyAnchors(ctx, ss, h)
		if err != nil {
			return err
		}
		r, err := st.Verify(ctx)
		if err != nil {
			return err
		}
		bad := len(r.Problems)
		for _, p := range r.Problems {
			fmt.Fprintln(env.Stdout, "BAD "+p.String())
		}
		for _, a := range anchors {
			fmt.Fprintf(env.Stdout, "%s: audit chain %s (hub checkpoint %d, held %d)\n", a.Device, a.Status, a.Checkpoint, a.Held)
			if !a.OK() {
				bad++
			}
		}
		// The device list: what the hub relayed is checked entry by entry; an alert means it
		// added, swapped, reordered or withheld entries.
		sst, err := st.SyncState(ctx)
		if err != nil {
			return err
		}
		if local, err := st.Roster(ctx); err == nil {
			fmt.Fprintf(env.Stdout, "device list: %d entries, verified from the genesis %x\n", local.Len(), local.ID())
		}
		if w := engine.RosterWarning(sst, time.Now()); w != "" {
			fmt.Fprintln(env.Stdout, "BAD "+w)
			bad++
		} else {
			fmt.Fprintf(env.Stdout, "device list: confirmed by an owner device at %s\n", sst.RosterConfirmed.Local().Format("2006-01-02 15:04"))
		}
		if bad > 0 {
			return errExit(1)
		}
		return nil
	case "revoke":
		if len(pos) != 1 {
			return errUsage{"usage: spoke devices revoke --as OWNER DEVICE [--lost|--stolen [--discovered 'YYYY-MM-DD HH:MM']]"}
		}
		// Take in what the device sent before it is revoked (its later sets are refused), so
		// the staff records it signed are signed again here.
		if _, err := engine.New(st.Replica(), h).SyncNow(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "note: sync before revocation failed (%v); revoking anyway\n", err)
		}
		var rotated []string
		var incident string
		if kind != "" {
			rotated, incident, err = engine.RevokeLost(ctx, ss, h, pos[0], kind, discoveredAt)
		} else {
			rotated, err = engine.RevokeDevice(ctx, ss, h, pos[0])
		}
		if rotated != nil || err == nil {
			fmt.Fprintf(env.Stdout, "Revoked %s; rotated the keys of %d scope(s) for the remaining devices\n", pos[0], len(rotated))
		}
		if err != nil {
			return err
		}
		if incident != "" {
			incs, err := ss.Incidents(ctx)
			if err != nil {
				return err
			}
			for _, inc := range incs {
				if inc.ID == incident {
					fmt.Fprintf(env.Stdout, "Opened incident %s: %d customer(s) in %d shop(s) were on the device (sealed under their own keys).\n", inc.ID, inc.Total(), len(inc.Customers))
					fmt.Fprintf(env.Stdout, "Decide by %s (72 hours from discovery, GDPR Art. 33): spoke incidents decide --as OWNER %s --decision D --reason R\n",
						inc.NotifyDueAt.Local().Format("2006-01-02 15:04"), inc.ID)
				}
			}
		}
		if _, err := engine.New(st.Replica(), h).SyncNow(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "note: sync after revocation failed (%v); run 'spoke sync'\n", err)
		}
		return nil
	}
	devs, err := engine.Devices(ctx, ss, h)
	if err != nil {
		return err
	}
	return emit(env.Stdout, false, devs, []string{"DEVICE", "ROLE", "SCOPES", "STATUS", "AT HUB", "LAST SEEN"}, func(d engine.DeviceEntry) []any {
		me := ""
		if d.ID == st.DeviceID() {
			me = " (this one)"
		}
		seen := "-"
		if !d.LastSeen.IsZero() {
			seen = d.LastSeen.Local().Format("2006-01-02 15:04")
		}
		return []any{d.ID + me, d.Role, strings.Join(d.Scopes, ","), d.Status, d.AtHub, seen}
	})
}
