package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

func init() {
	registerSubject("erase", "erase a customer for good (crypto-shredding; needs --yes)", runSubjectErase)
}

// runSubjectErase erases a customer by crypto-shredding (store.Session.EraseCustomer).
func runSubjectErase(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("subject erase", env, &c, true)
	yes := fs.Bool("yes", false, "confirm: the erasure cannot be undone")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage{"usage: spoke subject erase --as USER --yes ID"}
	}
	if !*yes {
		return errUsage{"an erasure cannot be undone: add --yes to erase customer " + pos[0]}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := ss.EraseCustomer(ctx, pos[0])
	if res == nil {
		return err
	}
	var parts []string
	for t, n := range res.Deleted {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(t, "_", " "), n))
	}
	sort.Strings(parts)
	fmt.Fprintf(env.Stdout, "Erased customer %s: deleted %s; %d sale(s) kept without the customer (legal retention).\n", pos[0], strings.Join(parts, ", "), res.SalesKept)
	fmt.Fprintf(env.Stdout, "Ledger id %s (pseudonymous: it erases the customer again on any restore or device).\n", res.LedgerID)
	fmt.Fprintln(env.Stdout, "Other devices erase it at their next sync; the hub's older change-sets go at the next 'spoke compact'; the backup folder is rewritten at the next backup.")
	return err // erased; the file could not be cleaned yet (it is cleaned at the next erasure)
}
