package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"spoke/store"
)

func init() {
	register(command{name: "customers", summary: "list or search the customers you may see", run: runCustomers})
}

func runCustomers(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("customers", env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("limit", 50, "at most this many results (a query; or a listing when given)")
	email := fs.String("email", "", "exact lookup by e-mail (blind index)")
	phone := fs.String("phone", "", "exact lookup by phone number (blind index)")
	serial := fs.String("serial", "", "exact lookup by bike frame serial (blind index)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var res []store.CustomerSummary
	switch {
	case *email != "" || *phone != "" || *serial != "":
		field, value := store.ByEmail, *email
		if *phone != "" {
			field, value = store.ByPhone, *phone
		} else if *serial != "" {
			field, value = store.BySerial, *serial
		}
		found, err := ss.FindCustomers(ctx, field, value)
		if err != nil {
			return err
		}
		for _, c := range found {
			res = append(res, store.CustomerSummary{ID: c.ID, ShopID: c.ShopID, OwnerID: c.OwnerID, Owner: c.Owner, Name: c.Name, Email: c.Email, Phone: c.Phone})
		}
	default:
		q, n := strings.Join(pos, " "), *limit
		if q == "" && !limitSet(fs) {
			n = 0 // listing: everything the user may see
		}
		if res, err = ss.Search(ctx, q, n); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range res {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tE-MAIL\tPHONE\tOWNER")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Email, r.Phone, r.Owner)
	}
	return tw.Flush()
}

func limitSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "limit" })
	return set
}
