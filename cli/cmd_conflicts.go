package cli

import (
	"context"
	"fmt"
	"spoke/store"
	"strconv"
	"time"
)

func init() {
	register(command{name: "conflicts", summary: "values that lost a sync merge (owner, manager); 'conflicts restore ID' brings one back", run: runConflicts})
}

func runConflicts(ctx context.Context, env Env, args []string) error {
	restore := len(args) > 0 && args[0] == "restore"
	if restore {
		args = args[1:]
	}
	var c common
	fs := newFlags("conflicts", env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if restore {
		if len(pos) != 1 {
			return errUsage{"usage: spoke conflicts restore --as USER ID"}
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return errUsage{"ID is the number shown by 'spoke conflicts'"}
		}
		if err := ss.RestoreConflict(ctx, id); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "Restored; it syncs to the other devices with the next round")
		return nil
	}
	cs, err := ss.Conflicts(ctx)
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, cs, []string{"ID", "RECORDED", "TABLE", "ROW", "FIELD", "LOSING VALUE"}, func(x store.Conflict) []any {
		return []any{x.ID, time.UnixMilli(x.RecordedAt).Local().Format("2006-01-02 15:04"), x.Table, x.RowID, x.Column, x.Value}
	})
}
