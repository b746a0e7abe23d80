package cli

import (
	"context"
	"fmt"

	"spoke/store"
	"spoke/store/backup"
)

func init() {
	register(command{name: "backup", summary: "back up to a folder (full, incremental, differential), then drill a restore; 'backup check' verifies a folder", run: runBackup})
}

func runBackup(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return runBackupCheck(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "schedule" {
		return runBackupSchedule(ctx, env, args[1:])
	}
	var c common
	fs := newFlags("backup", env, &c, true)
	to := fs.String("to", "", "backup folder (a USB disk or network share; required)")
	full := fs.Bool("full", false, "a full backup")
	inc := fs.Bool("incremental", false, "changes since the last backup of any kind")
	diff := fs.Bool("differential", false, "changes since the last full backup")
	noDrill := fs.Bool("no-drill", false, "skip the automatic restore drill")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	kind := ""
	for k, on := range map[string]bool{backup.Full: *full, backup.Incremental: *inc, backup.Differential: *diff} {
		if on {
			if kind != "" {
				return errUsage{"choose one of --full, --incremental, --differential"}
			}
			kind = k
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	o := backup.Options{Kind: kind, NoDrill: *noDrill}
	if cfg, err := ss.BackupConfig(ctx); err == nil && cfg.Folder != "" {
		o.Schedule = backup.Schedule{Full: cfg.Full, Differential: cfg.Differential, Incremental: cfg.Incremental, KeepFulls: cfg.KeepFulls}
		if *to == "" {
			*to = cfg.Folder
		}
	}
	if *to == "" {
		return errUsage{"--to DIR is required (or save a folder with 'spoke backup schedule')"}
	}
	r, err := backup.Backup(ctx, ss, *to, o)
	if err != nil {
		return err
	}
	m := r.Manifest
	fmt.Fprintf(env.Stdout, "%s backup %s: %d customers, row version %d, %d bytes\n", m.Kind, m.ID, m.Snapshot.Counts["customers"], m.Snapshot.ChangeSeq, m.Files[0].Size)
	if r.Drill != nil {
		if r.Drill.Passed {
			fmt.Fprintf(env.Stdout, "restore drill passed in %s (restored, verified, wiped)\n", r.Drill.Duration.Round(1e6))
		} else {
			fmt.Fprintf(env.Stdout, "RESTORE DRILL FAILED: %s\n", r.Drill.Problem)
			return errExit(1)
		}
	}
	if len(r.Rewritten) > 0 {
		fmt.Fprintf(env.Stdout, "deleted %d older backup(s) that held customers erased since (this full backup holds none of them)\n", len(r.Rewritten))
	}
	if len(r.Pruned) > 0 {
		fmt.Fprintf(env.Stdout, "pruned %d old backup(s)\n", len(r.Pruned))
	}
	return nil
}

// folderCredentials reads how to open a backup folder: recovery code, passphrase, or keychain.
func folderCredentials(c *common, codeFile string) (backup.Credentials, error) {
	code, err := c.secret(codeFile, "SPOKE_RECOVERY_CODE")
	if err != nil {
		return backup.Credentials{}, err
	}
	pass, err := c.secret(c.passphraseFile, "SPOKE_PASSPHRASE")
	if err != nil {
		return backup.Credentials{}, err
	}
	return backup.Credentials{RecoveryCode: code, Passphrase: pass}, nil
}

func runBackupCheck(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("backup check", env, &c, false)
	to := fs.String("to", "", "backup folder (required)")
	readData := fs.Bool("read-data", false, "also decrypt and authenticate every byte")
	codeFile := fs.String("recovery-code-file", "", "file holding the recovery code (else SPOKE_RECOVERY_CODE)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return errUsage{"--to DIR is required"}
	}
	cred, err := folderCredentials(&c, *codeFile)
	if err != nil {
		return err
	}
	problems, err := backup.Check(ctx, *to, cred, *readData)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(env.Stdout, "BAD "+p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(env.Stderr, "backup check: %d problem(s)\n", len(problems))
		return errExit(1)
	}
	fmt.Fprintln(env.Stdout, "OK")
	return nil
}

func runBackupSchedule(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("backup schedule", env, &c, true)
	to := fs.String("to", "", "backup folder (required)")
	full := fs.Duration("full-every", backup.DefaultSchedule.Full, "how often a full backup is due")
	diff := fs.Duration("differential-every", backup.DefaultSchedule.Differential, "how often a differential backup is due")
	inc := fs.Duration("incremental-every", backup.DefaultSchedule.Incremental, "how often an incremental backup is due while the app runs")
	keep := fs.Int("keep", backup.DefaultSchedule.KeepFulls, "full backups to keep, with everything that depends on them")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return errUsage{"--to DIR is required"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := store.BackupConfig{Folder: *to, Full: *full, Differential: *diff, Incremental: *inc, KeepFulls: *keep}
	if err := ss.SetBackupConfig(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Backups go to %s: full every %s, differential every %s, incremental every %s, keeping %d full(s)\n", *to, *full, *diff, *inc, *keep)
	return nil
}
