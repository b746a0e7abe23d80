package cli

import (
	"context"
	"flag"
	"strings"

	"spoke/store"
)

func init() {
	register(command{name: "customers", summary: "list or search the customers you may see; 'customers export' and 'customers delete' in bulk (owner, manager)", run: runCustomers})
}

func runCustomers(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return runCustomersExport(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "delete" {
		return runCustomersDelete(ctx, env, args[1:])
	}
	var c common
	fs := newFlags("customers", env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("limit", 50, "at most this many results (a query; or a listing when given)")
	email := fs.String("email", "", "exact lookup by e-mail (blind index)")
	phone := fs.String("phone", "", "exact lookup by phone number (blind index)")
	serial := fs.String("serial", "", "exact lookup by bike frame serial (blind index)")
	source := fs.String("source", "", "exact lookup by the id in the system the customer was imported from, SYSTEM:ID (blind index)")
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
	case *email != "" || *phone != "" || *serial != "" || *source != "":
		field, value := store.ByEmail, *email
		if *phone != "" {
			field, value = store.ByPhone, *phone
		} else if *serial != "" {
			field, value = store.BySerial, *serial
		} else if *source != "" {
			field, value = store.BySource, *source
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
	return emit(env.Stdout, *asJSON, res, []string{"ID", "NAME", "E-MAIL", "PHONE", "OWNER"}, func(r store.CustomerSummary) []any {
		return []any{r.ID, r.Name, r.Email, r.Phone, r.Owner}
	})
}

func limitSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "limit" })
	return set
}
