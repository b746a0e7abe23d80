package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"spoke/compliance/docfile"
	"spoke/printout"
	"spoke/store"
)

func init() {
	register(command{name: "print", summary: "print a work order's ticket or tag, a sale receipt or the privacy notice as PDF; 'print settings' the shop's address and terms (owner)", run: runPrint})
}

const printUsage = "usage: spoke print ticket|tag WORKORDER-ID | receipt SALE-ID | notice [--shop NAME] [--contact TEXT]  --as USER [--lang en|zh] [--out FILE.pdf] [--force]\n" +
	"       spoke print settings --as USER --shop NAME [--address TEXT] [--phone TEXT] [--terms TEXT]"

func runPrint(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errUsage{printUsage}
	}
	kind := args[0]
	if kind == "settings" {
		return runPrintSettings(ctx, env, args[1:])
	}
	var c common
	fs := newFlags("print "+kind, env, &c, true)
	lang := fs.String("lang", "en", "en or zh")
	out := fs.String("out", "", "the PDF file to write (default: a name made of the document's id, in this folder)")
	force := fs.Bool("force", false, "replace the file if it exists")
	shop := fs.String("shop", "", "notice: the shop (needed when you speak for more than one)")
	contactText := fs.String("contact", "", "notice: where to send a request beyond the counter (default: the shop's address and phone)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	var id string
	switch printout.Kind(kind) {
	case printout.Ticket, printout.Tag, printout.Receipt:
		if len(pos) != 1 {
			return errUsage{printUsage}
		}
		id = pos[0]
	case printout.Notice:
		if len(pos) != 0 {
			return errUsage{printUsage}
		}
	default:
		return errUsage{printUsage}
	}
	if *lang != "en" && *lang != "zh" {
		return errUsage{"--lang must be en or zh"}
	}
	l := printout.Lang(*lang)
	path := *out
	if path == "" {
		path = printout.FileName(printout.Kind(kind), id)
	}
	if !*force {
		// Refuse before signing in and printing, so a refused run leaves no audit entry of a
		// print that was not made.
		if _, err := os.Lstat(path); err == nil {
			return errors.New("the file already exists: choose another with --out, or replace it with --force")
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var pdf []byte
	switch printout.Kind(kind) {
	case printout.Ticket, printout.Tag:
		pdf, err = printout.WorkOrder(ctx, ss, id, printout.Kind(kind), l)
	case printout.Receipt:
		pdf, err = printout.Sale(ctx, ss, id, l)
	case printout.Notice:
		shopID := ""
		if *shop != "" {
			s, err := ss.ShopByName(ctx, *shop)
			if err != nil {
				return errors.New("no shop of that name (see 'spoke records' for the shops)")
			}
			shopID = s.ID
		}
		now := time.Now
		if env.Options.Now != nil {
			now = env.Options.Now
		}
		pdf, err = printout.PrivacyNotice(ctx, ss, shopID, l, *contactText, now())
		if err != nil && errors.As(err, new(*store.FieldError)) {
			return errUsage{"you speak for several shops: choose one with --shop NAME"}
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The id is not echoed: what was typed where an id goes may be anything.
		return fmt.Errorf("no %s of that id that you may print (check the id)", map[bool]string{true: "sale", false: "work order"}[kind == "receipt"])
	case err != nil:
		return err
	}
	write := docfile.WriteNew
	if *force {
		write = docfile.Replace
	}
	if err := write(path, pdf, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Wrote %s (%s, %d bytes)\n", path, kind, len(pdf))
	return nil
}

func runPrintSettings(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("print settings", env, &c, true)
	shop := fs.String("shop", "", "the shop (required)")
	address := fs.String("address", "", "the shop's address as the paper shows it (use \\n for a new line)")
	phone := fs.String("phone", "", "the shop's phone")
	terms := fs.String("terms", "", "the terms line of a work-order ticket (empty: the default)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *shop == "" {
		return errUsage{"usage: spoke print settings --as USER --shop NAME [--address TEXT] [--phone TEXT] [--terms TEXT]"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := ss.ShopByName(ctx, *shop)
	if err != nil {
		return errors.New("no shop of that name (see 'spoke records' for the shops)")
	}
	p := store.ShopPaper{Address: unescapeNewlines(*address), Phone: *phone, Terms: *terms}
	if err := ss.SetShopPaper(ctx, s.ID, p); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Saved the shop's paper settings; they sync to the other devices with the next round")
	return nil
}

// unescapeNewlines reads "\\n" in a flag's value as a new line.
func unescapeNewlines(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
