package cli

import (
	"context"
	"fmt"
	"strings"

	"spoke/store"
	"spoke/store/backup"
)

func init() {
	register(command{name: "restore", summary: "restore a backup folder into a new data directory, then verify it", run: runRestore})
}

func runRestore(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("restore", env, &c, false)
	from := fs.String("from", "", "backup folder (required)")
	at := fs.String("at", "", "restore to this backup id (default: the newest)")
	var ledgers multiFlag
	fs.Var(&ledgers, "ledger-from", "another backup folder of this database (the configured one, when restoring a disk kept elsewhere) whose erasure ledger is applied too; repeatable")
	codeFile := fs.String("recovery-code-file", "", "file holding the recovery code (else SPOKE_RECOVERY_CODE); without it, the passphrase or this machine's keychain. The restored database keeps its key under the passphrase given now (--passphrase-file or SPOKE_PASSPHRASE), or else in this machine's keychain")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return errUsage{"usage: spoke restore --from DIR --data NEWDIR [--at ID]"}
	}
	cred, err := folderCredentials(&c, *codeFile)
	if err != nil {
		return err
	}
	cred.Keychain = c.env.Options.Keychain
	// As init does: the master key goes to this machine's keychain, or under the passphrase
	// given now (which also opens the folder when no recovery code is given). Never the old
	// machine's passphrase alone.
	protect := store.Protection{Passphrase: cred.Passphrase, Keychain: cred.Passphrase == ""}
	r, err := backup.Restore(ctx, *from, c.data, cred, backup.RestoreOptions{At: *at, Store: c.env.Options, Protect: protect, LedgerFrom: ledgers})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Restored backup %s (%d file(s) applied) into %s in %s\n", r.Target.ID, len(r.Applied), c.data, r.Duration.Round(1e6))
	fmt.Fprintf(env.Stdout, "Verified: every row MAC and their sum, %d customers, %d rows, audit chain of %d entries, SQLite integrity\n",
		r.Snapshot.Counts["customers"], r.Verify.Rows, r.Verify.AuditEntries)
	if r.Erased > 0 {
		fmt.Fprintf(env.Stdout, "Erased again %d customer(s) erased after this backup (the erasure ledger)\n", r.Erased)
	}
	if r.Reapplied > 0 {
		fmt.Fprintf(env.Stdout, "Deleted again %d customer(s) whose deletion was recorded after this backup\n", r.Reapplied)
	}
	if r.Newest != nil {
		fmt.Fprintf(env.Stdout, "Note: this is an older point than the newest backup (%s, %s): the restored audit trail ends at entry %d, that backup's at %d\n",
			r.Newest.ID, r.Newest.Created.Local().Format("2006-01-02 15:04"), r.Snapshot.AuditSeq, r.Newest.Snapshot.AuditSeq)
	}
	if r.KeyStore == store.KeyStoreKeychain {
		fmt.Fprintln(env.Stdout, "The master key is in this computer's keychain (service \"spoke\", account "+r.DatabaseID+"); the database opens without a passphrase here.")
	} else {
		fmt.Fprintln(env.Stdout, "The master key is protected by the passphrase you gave (SPOKE_PASSPHRASE / --passphrase-file): that passphrase, or the recovery code, opens this database.")
	}
	return nil
}

// multiFlag is a flag that may be given more than once.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
