package cli

import (
	"context"
	"fmt"
	"time"

	"spoke/store"
	"spoke/store/demo"
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
	res, err := CreateDemo(ctx, c.data, *n, *seed, o, func(stage string, done, total int) {
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

// DemoShop is a freshly created demo database.
type DemoShop struct {
	Store        *store.Store
	RecoveryCode string
	Chain        *demo.Chain
	Loaded       *store.DemoResult
	Took         time.Duration
}

// CreateDemo makes a new database in dir and loads a generated chain through the owner's
// session. The GUI's --demo uses it too.
func CreateDemo(ctx context.Context, dir string, customers int, seed uint64, o store.Options, progress func(string, int, int)) (*DemoShop, error) {
	start := time.Now()
	ch := demo.Generate(demo.Options{Customers: customers, Seed: seed})
	var owner demo.Staff
	for _, s := range ch.Staff {
		if s.Role == string(store.RoleOwner) {
			owner = s
		}
	}
	first := ch.Shops[0]
	st, code, err := store.Create(ctx, dir, store.CreateOptions{ShopName: first.Name, Region: first.Region, Currency: first.Currency,
		OwnerUsername: owner.Username, OwnerName: owner.DisplayName, OwnerPassword: owner.Password}, o)
	if err != nil {
		return nil, err
	}
	ss, err := st.SignIn(ctx, owner.Username, owner.Password)
	if err != nil {
		st.Close()
		return nil, err
	}
	loaded, err := ss.LoadDemo(ctx, ch, progress)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &DemoShop{Store: st, RecoveryCode: code, Chain: ch, Loaded: loaded, Took: time.Since(start)}, nil
}
