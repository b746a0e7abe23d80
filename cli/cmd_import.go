package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"spoke/csvimport"
	"spoke/store"
)

func init() {
	register(command{name: "import", summary: "import customers (and a bike each) from a CSV file or a POS export; --preview shows the mapping first; --bikes imports a bike export", run: runImport})
}

const importUsage = "usage: spoke import --as USER [--preview] [--bikes] [--source SYSTEM] [--candidates skip|new] [--shop NAME] [--assign-to USERNAME] [--skip-invalid] FILE.csv"

func runImport(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("import", env, &c, true)
	assignTo := fs.String("assign-to", "", "username who will own the imported customers (default: you)")
	shop := fs.String("shop", "", "shop to import into (default: yours, or the only shop)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and skip the bad ones (default: import nothing if any row is bad)")
	preview := fs.Bool("preview", false, "show the column mapping and what the import would do (new, updates, candidates, invalid lines); write nothing")
	bikes := fs.Bool("bikes", false, "the file is a bike export (serial, make, model, year, type, and the customer's id or Spoke id)")
	source := fs.String("source", "", "the system the file's customer ids come from, e.g. shopify (default: recognised from the header, else csv)")
	candidates := fs.String("candidates", "skip", "rows that match a customer only by e-mail or phone: skip them, or import them as new customers (new); never merged")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage{importUsage}
	}
	var policy csvimport.Candidates
	switch *candidates {
	case "skip":
	case "new":
		policy = csvimport.CandidatesAsNew
	default:
		return errUsage{"--candidates must be skip or new\n" + importUsage}
	}
	if *bikes && *assignTo != "" {
		return errUsage{"--assign-to does not apply to --bikes: bikes go to the customers their rows name\n" + importUsage}
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
	opts := csvimport.Options{Region: region, SkipInvalid: *skip || *preview, System: *source}
	if *bikes {
		return importBikes(ctx, env, ss, t.ShopID, f, opts, *preview, *skip)
	}
	res, err := csvimport.Parse(f, opts)
	if err != nil {
		return err
	}
	if res.Converted != "" {
		fmt.Fprintf(env.Stderr, "note: the file was %s-encoded; it was converted to UTF-8\n", res.Converted)
	}
	if *preview {
		p, err := csvimport.PreviewImport(ctx, ss, t, res)
		if err != nil {
			return err
		}
		printMapping(env.Stdout, p.System, p.Columns)
		fmt.Fprintf(env.Stdout, "Rows: %d new, %d update(s) by source id, %d candidate(s), %d not yours, %d invalid\n",
			len(p.New), len(p.Updates), len(p.Candidates), len(p.NotYours), len(p.Invalid))
		printLines(env.Stdout, "Updates (lines)", p.Updates)
		printLines(env.Stdout, "Candidates: match a customer only by e-mail or phone; skipped unless --candidates new (lines)", p.Candidates)
		printLines(env.Stdout, "Not yours: the customer with this source id is another salesperson's; skipped (lines)", p.NotYours)
		printLines(env.Stdout, "Erased: a customer with this source id was erased from the shop; skipped (lines)", p.Erased)
		for _, e := range p.Invalid {
			fmt.Fprintln(env.Stdout, "invalid: "+e.Error())
		}
		fmt.Fprintln(env.Stdout, "Nothing was imported (preview).")
		return nil
	}
	for _, e := range res.Errors {
		fmt.Fprintln(env.Stderr, e.Error())
	}
	if len(res.Errors) > 0 && !*skip {
		fmt.Fprintf(env.Stderr, "%d bad line(s): nothing was imported. Fix them, or run again with --skip-invalid.\n", len(res.Errors))
		return errExit(1)
	}
	s, err := csvimport.ImportRows(ctx, ss, t, res.Rows, policy, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Imported %d customer(s)", s.Added)
	if s.Updated+s.Unchanged > 0 {
		fmt.Fprintf(env.Stdout, "; updated %d, unchanged %d (by source id)", s.Updated, s.Unchanged)
	}
	if s.CandidatesAdded > 0 {
		fmt.Fprintf(env.Stdout, "; %d candidate(s) imported as new", s.CandidatesAdded)
	}
	if s.CandidatesSkipped > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d candidate(s) (see --preview, --candidates new)", s.CandidatesSkipped)
	}
	if s.NotYours > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d customer(s) of another salesperson", s.NotYours)
	}
	if s.Erased > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d erased customer(s)", s.Erased)
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d bad line(s)", len(res.Errors))
	}
	fmt.Fprintln(env.Stdout)
	return nil
}

func importBikes(ctx context.Context, env Env, ss *store.Session, shopID string, f io.Reader, opts csvimport.Options, preview, skip bool) error {
	res, err := csvimport.ParseBikes(f, opts)
	if err != nil {
		return err
	}
	if preview {
		p, err := csvimport.PreviewBikes(ctx, ss, shopID, res)
		if err != nil {
			return err
		}
		printMapping(env.Stdout, p.System, p.Columns)
		fmt.Fprintf(env.Stdout, "Bikes: %d new, %d update(s) by serial, %d without a customer, %d with another customer's serial, %d not yours, %d invalid\n",
			len(p.New), len(p.Updates), len(p.NoCustomer), len(p.OtherCustomer), len(p.NotYours), len(p.Invalid))
		printLines(env.Stdout, "No customer with that id (lines)", p.NoCustomer)
		printLines(env.Stdout, "Serial of another customer's bike, not moved (lines)", p.OtherCustomer)
		for _, e := range p.Invalid {
			fmt.Fprintln(env.Stdout, "invalid: "+e.Error())
		}
		fmt.Fprintln(env.Stdout, "Nothing was imported (preview).")
		return nil
	}
	for _, e := range res.Errors {
		fmt.Fprintln(env.Stderr, e.Error())
	}
	if len(res.Errors) > 0 && !skip {
		fmt.Fprintf(env.Stderr, "%d bad line(s): nothing was imported. Fix them, or run again with --skip-invalid.\n", len(res.Errors))
		return errExit(1)
	}
	s, err := csvimport.ImportBikes(ctx, ss, shopID, res.Rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Imported %d bike(s); updated %d (by serial)", s.Added, s.Updated)
	if n := s.NoCustomer + s.OtherCustomer + s.NotYours; n > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d (no such customer %d, another customer's serial %d, not yours %d)", n, s.NoCustomer, s.OtherCustomer, s.NotYours)
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(env.Stdout, "; skipped %d bad line(s)", len(res.Errors))
	}
	fmt.Fprintln(env.Stdout)
	return nil
}

// printMapping prints which column goes where. The header texts are the file's own: the
// user who runs the command gave the file; they are printed, never logged.
func printMapping(w io.Writer, system string, cols []csvimport.Column) {
	if system != "" {
		fmt.Fprintf(w, "Customer ids are read as %s ids.\n", system)
	}
	fmt.Fprintln(w, "Column mapping:")
	var ignored []string
	for _, c := range cols {
		if c.Field == "" {
			ignored = append(ignored, fmt.Sprintf("%d %q", c.Position, c.Header))
			continue
		}
		fmt.Fprintf(w, "  %2d %-32q -> %s\n", c.Position, c.Header, c.Field)
	}
	if len(ignored) > 0 {
		fmt.Fprintf(w, "Ignored columns: %s\n", strings.Join(ignored, ", "))
	}
}

func printLines(w io.Writer, label string, lines []int) {
	if len(lines) == 0 {
		return
	}
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = fmt.Sprint(l)
	}
	fmt.Fprintf(w, "%s: %s\n", label, strings.Join(s, ", "))
}
