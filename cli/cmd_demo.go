package cli

import (
	"context"
	"fmt"
	"time"

	"spoke/demo"
)

func init() {
	register(command{name: "demo", summary: "create a realistic synthetic shop in a new database", run: runDemo})
}

func runDemo(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("demo", env, &c, false)
	n := fs.Int("customers", 200, "number of customers")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same shop")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 2_000_000 {
		return errUsage{"--customers must be between 1 and 2000000"}
	}
	o, err := c.storeOptions()
	if err != nil {
		return err
	}
	res, err := demo.CreateShop(ctx, c.data, *n, *seed, o, func(stage string, done, total int) {
		fmt.Fprintf(env.Stderr, "\r%s: %d/%d", stage, done, total)
		if done == total {
			fmt.Fprintln(env.Stderr)
		}
	})
	if err != nil {
		return err
	}
	defer res.Store.Close()
	printCreated(env, res.Store, res.RecoveryCode)
	fmt.Fprintf(env.Stdout, "Demo shop: %d shops, %d customers, %d bikes, %d work orders, %d sales (%s)\n\n",
		res.Loaded.Shops+1, res.Loaded.Customers, res.Loaded.Bikes, res.Loaded.WorkOrders, res.Loaded.Sales, res.Took.Round(time.Millisecond))
	fmt.Fprintln(env.Stdout, "Staff (demo passwords; sign in with --as USERNAME and SPOKE_PASSWORD):")
	return emit(env.Stdout, false, res.Chain.Staff, []string{"  USERNAME", "ROLE", "SHOP", "PASSWORD"}, func(s demo.Staff) []any {
		return []any{"  " + s.Username, s.Role, shopName(res.Chain, s.ShopKey), s.Password}
	})
}

func shopName(ch *demo.Chain, key string) string {
	for _, s := range ch.Shops {
		if s.Key == key {
			return s.Name
		}
	}
	return "(all shops)"
}
