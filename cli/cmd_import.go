package cli

import (
	"context"
	"fmt"
	"os"

	"spoke/csvimport"
)

func init() {
	register(command{name: "import", summary: "import customers (and a bike each) from a CSV file", run: runImport})
}

func runImport(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("import", env, &c, true)
	assignTo := fs.String("assign-to", "", "username who will own the imported customers (default: you)")
	shop := fs.String("shop", "", "shop to import into (default: yours, or the only shop)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and skip the bad ones (default: import nothing if any row is bad)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage{"usage: spoke import --as USER [--assign-to USERNAME] [--skip-invalid] FILE.csv"}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var t csvimport.Target
	if *shop != "" {
		s, err := ss.ShopByName(ctx, *shop)
		if err != nil {
			return err
		}
		t.ShopID = s.ID
	}
	if *assignTo != "" {
		u, err := ss.StaffByUsername(ctx, *assignTo)
		if err != nil {
			return fmt.Errorf("--assign-to: %w", err)
		}
		t.OwnerID = u.ID
		if t.ShopID == "" {
			t.ShopID = u.ShopID
		}
	}
	region, err := csvimport.Region(ctx, ss, t)
	if err != nil {
		return err
	}
	res, err := csvimport.Parse(f, csvimport.Options{Region: region, SkipInvalid: *skip})
	if err != nil {
		return err
	}
	if res.Converted != "" {
		fmt.Fprintf(env.Stderr, "note: the file was %s-encoded; it was converted to UTF-8\n", res.Converted)
	}
	for _, e := range res.Errors {
		fmt.Fprintln(env.Stderr, e.Error())
	}
	if len(res.Errors) > 0 && !*skip {
		fmt.Fprintf(env.Stderr, "%d bad line(s): nothing was imported. Fix them, or run again with --skip-invalid.\n", len(res.Errors))
		return errExit(1)
	}
	ids, err := csvimport.Import(ctx, ss, t, res.Rows, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Imported %d customer(s)", len(ids))
	if len(res.Errors) > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d bad line(s)", len(res.Errors))
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
