package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"spoke/store"
)

func init() {
	register(command{name: "customer", summary: "show one customer with bikes and work orders", run: runCustomer})
}

func runCustomer(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("customer", env, &c, true)
	asJSON := fs.Bool("json", false, "print JSON")
	reason := fs.String("reason", "", "break-glass reason, needed to open another salesperson's customer (audited)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage{"usage: spoke customer --as USER [--json] [--reason TEXT] ID"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	card, err := ss.Customer(ctx, pos[0], *reason)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(card)
	}
	printCard(env.Stdout, card)
	if kept, err := ss.TransferKeptLocal(ctx, card.ID); err == nil && kept {
		fmt.Fprintln(env.Stdout, keptLocalLine)
	}
	return nil
}

func printCard(w io.Writer, c *store.CustomerCard) {
	if c.BreakGlass {
		fmt.Fprintln(w, "*** BREAK-GLASS ACCESS: this read is recorded with your reason; minimal fields shown ***")
	}
	fmt.Fprintf(w, "%s  (%s)\n", c.Name, c.ID)
	for _, f := range [][2]string{{"E-mail", c.Email}, {"Phone", c.Phone}, {"Phone 2", c.PhoneAlt}, {"Address", c.Address}, {"Birthday", c.Birthday}, {"Source", c.Source}, {"Owner", c.Owner}} {
		if f[1] != "" {
			fmt.Fprintf(w, "  %-9s %s\n", f[0]+":", f[1])
		}
	}
	if c.Notes != "" {
		fmt.Fprintf(w, "  Notes:    %s\n", strings.ReplaceAll(c.Notes, "\n", "\n            "))
	}
	fmt.Fprintf(w, "Bikes (%d)\n", len(c.Bikes))
	for _, b := range c.Bikes {
		fmt.Fprintf(w, "  %s %s", b.Make, b.Model)
		if b.Year > 0 {
			fmt.Fprintf(w, " %d", b.Year)
		}
		if b.FrameSize != "" {
			fmt.Fprintf(w, ", size %s", b.FrameSize)
		}
		if b.Colour != "" {
			fmt.Fprintf(w, ", %s", b.Colour)
		}
		if b.Serial != "" {
			fmt.Fprintf(w, ", serial %s", b.Serial)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Work orders (%d)\n", len(c.WorkOrders))
	for _, wo := range c.WorkOrders {
		fmt.Fprintf(w, "  %s  %-13s %10s  %s\n", wo.CreatedAt.Format("2006-01-02"), wo.Status, money(wo.Total), wo.Complaint)
	}
	if len(c.Sales) > 0 {
		fmt.Fprintf(w, "Sales (%d)\n", len(c.Sales))
		for _, s := range c.Sales {
			fmt.Fprintf(w, "  %s  %-13s %10s\n", s.SoldAt.Format("2006-01-02"), s.PaymentMethod, money(s.Total))
		}
	}
}

// money formats minor units with two decimals.
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}
