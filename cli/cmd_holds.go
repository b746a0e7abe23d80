package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"spoke/compliance/docfile"
	"spoke/compliance/subject"
	"spoke/store"
)

// Bulk export and bulk delete (spoke customers export|delete) and the requests they become
// over the org's limits (spoke holds), approved by a second person with the grant.

func init() {
	register(command{name: "holds", summary: "bulk exports and deletions held for a second approver: list, approve ID, refuse ID, cancel ID, run ID, limits", run: runHolds})
}

// runCustomersExport is 'spoke customers export'.
func runCustomersExport(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("customers export", env, &c, true)
	shop := fs.String("shop", "", "only this shop's customers (its name or id); the owner's default: every shop")
	owner := fs.String("owner", "", "only this salesperson's customers (username)")
	format := fs.String("format", "csv", "csv, or age: the CSV in a zip sealed with age under a passphrase printed once")
	out := fs.String("out", "", "the file to write (it must not exist yet)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" || (*format != "csv" && *format != "age") {
		return errUsage{"usage: spoke customers export --as USER [--shop NAME] [--owner USERNAME] [--format csv|age] --out FILE"}
	}
	if exists(*out) {
		return docfile.ErrExists
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var f store.ExportFilter
	if *shop != "" {
		if f.ShopID, err = shopID(ctx, ss, *shop); err != nil {
			return err
		}
	}
	if *owner != "" {
		u, err := ss.UserByName(ctx, *owner)
		if err != nil {
			return fmt.Errorf("--owner %s: %w", *owner, err)
		}
		f.OwnerID = u.ID
	}
	res, err := ss.ExportCustomers(ctx, f, *format)
	if err != nil {
		return err
	}
	if res.Held != nil {
		printHeld(env.Stdout, res.Held)
		return nil
	}
	return writeExport(env, *out, *format, res)
}

// writeExport writes a bulk export's CSV, sealed when the format is age.
func writeExport(env Env, path, format string, res *store.BulkResult) error {
	data := res.CSV
	pass := ""
	if format == "age" {
		var err error
		if pass, err = subject.NewPassphrase(); err != nil {
			return err
		}
		if data, err = subject.Seal([]subject.File{{Name: "customers.csv", Data: res.CSV}}, pass, clockNow(env)); err != nil {
			return err
		}
	}
	if err := docfile.WriteNew(path, data, 0o600); err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "Exported %d customers to %s (%d bytes, %s).\n", res.Count, path, len(data), format)
	if pass != "" {
		fmt.Fprintln(w, "Passphrase, shown only now (keep it apart from the file):")
		fmt.Fprintln(w, pass)
		fmt.Fprintln(w, "Open it with age (https://age-encryption.org): age -d -o customers.zip FILE, then unzip it.")
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// shopID resolves a shop's name or id among the shops the user may see.
func shopID(ctx context.Context, ss *store.Session, nameOrID string) (string, error) {
	shops, err := ss.Shops(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range shops {
		if s.ID == nameOrID || strings.EqualFold(s.Name, nameOrID) {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("--shop: no shop of that name or id: %w", store.ErrNotFound)
}

// runCustomersDelete is 'spoke customers delete'.
func runCustomersDelete(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("customers delete", env, &c, true)
	yes := fs.Bool("yes", false, "confirm: delete the customers named")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 || !*yes {
		return errUsage{"usage: spoke customers delete --as USER --yes ID..."}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := ss.DeleteCustomers(ctx, ids)
	if err != nil {
		return err
	}
	if res.Held != nil {
		printHeld(env.Stdout, res.Held)
		return nil
	}
	fmt.Fprintf(env.Stdout, "Deleted %d customers (recoverable for 30 days).\n", res.Deleted)
	return nil
}

// printHeld says what was held, who can approve it, and until when.
func printHeld(w io.Writer, h *store.BulkHold) {
	fmt.Fprintf(w, "Held: a bulk %s of %d customers is over the limit and waits as request %s.\n", h.Kind, h.Count, h.ID)
	if h.Delayed() {
		fmt.Fprintf(w, "Nobody else holds the grant: it can run from %s unless cancelled (spoke holds run %s); every owner device shows it.\n", localTime(h.RunnableAt), h.ID)
	} else {
		fmt.Fprintf(w, "Who can approve it: %s (spoke holds approve %s); then run it here: spoke holds run %s\n", strings.Join(h.Approvers, ", "), h.ID, h.ID)
	}
	fmt.Fprintf(w, "It expires at %s.\n", localTime(h.ExpiresAt))
}

func localTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

func runHolds(ctx context.Context, env Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("holds "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line (list)")
	out := fs.String("out", "", "run: the file an export is written to (it must not exist yet)")
	exportN := fs.Int("export", -1, "limits: hold exports of more than this many customers")
	deleteN := fs.Int("delete", -1, "limits: hold deletions of more than this many customers")
	hours := fs.Int("hours", 0, "limits: a held request expires after this many hours")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	usage := errUsage{"usage: spoke holds [list|approve ID|refuse ID|cancel ID|run ID [--out FILE]|limits [--export N] [--delete M] [--hours H]] --as USER"}
	switch sub {
	case "list", "limits":
		if len(pos) != 0 {
			return usage
		}
	case "approve", "refuse", "cancel", "run":
		if len(pos) != 1 {
			return usage
		}
	default:
		return usage
	}
	if sub == "run" && *out != "" && exists(*out) {
		return docfile.ErrExists
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	w := env.Stdout
	switch sub {
	case "list":
		hs, err := ss.Holds(ctx)
		if err != nil {
			return err
		}
		return emit(w, *asJSON, hs, []string{"ID", "KIND", "COUNT", "SHOP", "ASKED BY", "ASKED", "STATUS", "EXPIRES", "APPROVERS"}, func(h store.BulkHold) []any {
			status := string(h.Status)
			if h.Delayed() && h.Status == store.HoldOpen {
				status = "delayed until " + localTime(h.RunnableAt)
			}
			if h.Decider != "" {
				status += " by " + h.Decider
			}
			return []any{h.ID, h.Kind, h.Count, h.ShopID, h.Requester, localTime(h.AskedAt), status, localTime(h.ExpiresAt), strings.Join(h.Approvers, ",")}
		})
	case "limits":
		if *exportN < 0 && *deleteN < 0 && *hours == 0 {
			l, err := ss.BulkLimits(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "Exports of more than %d customers and deletions of more than %d are held; a held request expires after %d hours.\n", l.Export, l.Delete, int(l.Expiry/time.Hour))
			return nil
		}
		l, err := ss.BulkLimits(ctx)
		if err != nil {
			return err
		}
		if *exportN >= 0 {
			l.Export = *exportN
		}
		if *deleteN >= 0 {
			l.Delete = *deleteN
		}
		if *hours != 0 {
			l.Expiry = time.Duration(*hours) * time.Hour
		}
		if err := ss.SetBulkLimits(ctx, l); err != nil {
			return err
		}
		fmt.Fprintf(w, "Set: exports over %d and deletions over %d are held, for %d hours.\n", l.Export, l.Delete, int(l.Expiry/time.Hour))
		return nil
	case "approve":
		if err := ss.ApproveHold(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(w, "Approved; who asked runs it on their device (spoke holds run ID) after the next sync.")
	case "refuse":
		if err := ss.RefuseHold(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(w, "Refused; it will not run.")
	case "cancel":
		if err := ss.CancelHold(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(w, "Cancelled; it will not run.")
	case "run":
		h, err := ss.Hold(ctx, pos[0])
		if err != nil {
			return err
		}
		if h.Kind == store.HoldExport && *out == "" {
			return errUsage{"an export runs into a file: spoke holds run ID --out FILE"}
		}
		res, err := ss.RunHold(ctx, pos[0])
		if err != nil {
			return err
		}
		if h.Kind == store.HoldExport {
			format := h.Format
			if format == "" {
				format = "csv"
			}
			return writeExport(env, *out, format, res)
		}
		fmt.Fprintf(w, "Deleted %d customers (recoverable for 30 days).\n", res.Deleted)
	}
	return nil
}
