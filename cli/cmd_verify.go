package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"spoke/store"
	"spoke/store/backup"
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
	codeFile := fs.String("recovery-code-file", "", "unlock with the recovery code in this file (else SPOKE_RECOVERY_CODE; else the passphrase or the keychain)")
	backups := fs.String("backups", "", "also compare the audit trail with the newest backup in this folder (default: the configured backup folder, if it is reachable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	o, err := c.storeOptions()
	if err != nil {
		return err
	}
	if o.RecoveryCode, err = c.secret(*codeFile, "SPOKE_RECOVERY_CODE"); err != nil {
		return err
	}
	st, err := store.Open(ctx, c.data, o)
	if err != nil {
		return err
	}
	defer st.Close()
	// The backup folder's newest manifest is an anchor outside the file too. Compared first,
	// so a rollback it shows is in the report (and verify's own entry is not added to it).
	folder, explicit := *backups, *backups != ""
	if !explicit {
		if folder, err = st.BackupFolder(ctx); err != nil {
			return err
		}
	}
	var backupNote string
	if folder != "" {
		err := backup.CheckTrail(ctx, st, folder)
		var te *store.TrailError
		switch {
		case errors.As(err, &te): // Verify reports it
		case err != nil && explicit:
			return fmt.Errorf("backup folder: %w", err)
		case err != nil:
			fmt.Fprintf(env.Stderr, "verify: the backup folder %s was not compared: %v\n", folder, err)
		default:
			backupNote = "audit trail reaches the newest backup in " + folder
		}
	}
	r, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "checked %d sealed values, %d wrapped keys, %d user records, %d blind indexes, %d row MACs, %d audit entries, SQLite integrity\n",
			r.SealedValues, r.WrappedKeys, r.Users, r.BlindIndexes, r.Rows, r.AuditEntries)
		for _, p := range r.Problems {
			fmt.Fprintln(env.Stdout, "BAD "+p.String())
		}
		if backupNote != "" {
			fmt.Fprintln(env.Stdout, backupNote)
		}
	}
	bad := len(r.Problems)
	if *withHub {
		h, err := engine.Dial(ctx, st.Replica())
		if err != nil {
			return err
		}
		defer h.Close()
		anchors, err := engine.VerifyOwnAnchor(ctx, st.Replica(), h)
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
