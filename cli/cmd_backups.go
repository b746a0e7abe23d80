package cli

import (
	"context"
	"fmt"
	"time"

	"spoke/store/backup"
)

func init() {
	register(command{name: "backups", summary: "list the backups in a folder with their restore drills", run: runBackups})
}

func runBackups(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("backups", env, &c, false)
	to := fs.String("to", "", "backup folder (required)")
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
	es, err := backup.List(ctx, *to, cred)
	if err != nil {
		return err
	}
	return emit(env.Stdout, false, es, []string{"ID", "KIND", "TIME", "PARENT", "CUSTOMERS", "SIZE", "DRILL"}, func(e backup.Entry) []any {
		m := e.Manifest
		drill := "not run"
		if e.Drill != nil {
			drill = fmt.Sprintf("passed in %s", e.Drill.Duration.Round(time.Millisecond))
			if !e.Drill.Passed {
				drill = "FAILED: " + e.Drill.Problem
			}
		}
		parent := m.Parent
		if parent == "" {
			parent = "-"
		}
		return []any{m.ID, m.Kind, m.Created.Local().Format("2006-01-02 15:04"), parent, m.Snapshot.Counts["customers"], m.Files[0].Size, drill}
	})
}
