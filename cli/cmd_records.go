package cli

import (
	"bytes"
	"context"
	"errors"
	"time"

	"spoke/compliance/docfile"
	"spoke/compliance/processing"
	"spoke/compliance/subject"
	"spoke/store"
)

func init() {
	register(command{name: "records", summary: "the Art. 30 record of processing (owner, manager); 'records notice' the privacy notice", run: runRecords})
}

func runRecords(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "notice" {
		return runNotice(ctx, env, args[1:])
	}
	var c common
	fs := newFlags("records", env, &c, true)
	format := fs.String("format", "text", "text, json or html")
	lang := fs.String("lang", "en", "en or zh (JSON holds both)")
	shop := fs.String("shop", "", "only this shop (default: every shop you may speak for)")
	to := fs.String("to", "", "write to this file (it must not exist yet) instead of standard output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errUsage{"usage: spoke records --as USER [--format text|json|html] [--lang en|zh] [--shop NAME] [--to FILE]"}
	}
	f, err := processing.ParseFormat(*format)
	if err != nil {
		return errUsage{err.Error()}
	}
	l, err := processing.ParseLang(*lang)
	if err != nil {
		return errUsage{err.Error()}
	}
	rec, err := buildRecord(ctx, &c, store.DocRecord, *shop)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := rec.Write(&b, f, l); err != nil {
		return err
	}
	return output(env, *to, b.Bytes())
}

func runNotice(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("records notice", env, &c, true)
	lang := fs.String("lang", "en", "en or zh")
	shop := fs.String("shop", "", "the shop the notice is for (needed when you speak for more than one)")
	contact := fs.String("contact", "", "where to send a request beyond the counter: the shop's address or e-mail")
	to := fs.String("to", "", "the HTML file to write (it must not exist yet)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *to == "" {
		return errUsage{"usage: spoke records notice --as USER [--lang en|zh] [--shop NAME] [--contact TEXT] --to FILE"}
	}
	l, err := processing.ParseLang(*lang)
	if err != nil {
		return errUsage{err.Error()}
	}
	rec, err := buildRecord(ctx, &c, store.DocNotice, *shop)
	if err != nil {
		return err
	}
	if len(rec.Shops) != 1 {
		return errUsage{"you speak for several shops: choose one with --shop NAME"}
	}
	var b bytes.Buffer
	if err := rec.WriteNotice(&b, l, *contact); err != nil {
		return err
	}
	return output(env, *to, b.Bytes())
}

// buildRecord signs in and builds the record for the shops the user may speak for.
func buildRecord(ctx context.Context, c *common, doc store.PrivacyDoc, shopName string) (processing.Record, error) {
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return processing.Record{}, err
	}
	defer st.Close()
	id := ""
	if shopName != "" {
		s, err := ss.ShopByName(ctx, shopName)
		if err != nil {
			return processing.Record{}, errors.New("no shop of that name (see 'spoke records' for the shops)")
		}
		id = s.ID
	}
	shops, err := ss.PrivacyShops(ctx, doc, id)
	if err != nil {
		return processing.Record{}, err
	}
	now := time.Now
	if c.env.Options.Now != nil {
		now = c.env.Options.Now
	}
	return processing.Build(shops, store.PersonalFields(), subject.Settings(ctx, ss, now())), nil
}

// output writes to the file (never over one) or to standard output.
func output(env Env, to string, b []byte) error {
	if to == "" {
		_, err := env.Stdout.Write(b)
		return err
	}
	return docfile.WriteNew(to, b, 0o644)
}
