package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"spoke/compliance/docfile"
	"spoke/compliance/processing"
	"spoke/compliance/subject"
	"spoke/store"
)

func init() {
	registerSubject("export", "everything held on one customer, sealed for them: --to FILE (owner: any shop; manager: own shop)", runSubjectExport)
}

func runSubjectExport(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("subject export", env, &c, true)
	to := fs.String("to", "", "the file to write (it must not exist yet; name it by the customer id, never by a name)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *to == "" {
		return errUsage{"usage: spoke subject export --as USER ID --to FILE"}
	}
	// Refuse before anything is decrypted or audited; docfile checks again when it writes.
	if _, err := os.Lstat(*to); err == nil {
		return docfile.ErrExists
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := ss.SubjectExport(ctx, pos[0])
	if err != nil {
		return err
	}
	rec := processing.Build([]store.Shop{d.Shop}, store.PersonalFields(), subject.Settings(ctx, ss, d.GeneratedAt))
	res, err := subject.Write(*to, d, rec)
	if err != nil {
		return err
	}
	var counts []string
	for _, n := range res.Counts {
		counts = append(counts, fmt.Sprintf("%s %d", strings.ReplaceAll(n.Name, "_", " "), n.N))
	}
	w := env.Stdout
	fmt.Fprintf(w, "Exported customer %s to %s (%d bytes, encrypted with age under a passphrase).\n", d.CustomerID, *to, res.Bytes)
	fmt.Fprintf(w, "It holds %s: %s.\n", strings.Join(res.Files, ", "), strings.Join(counts, ", "))
	fmt.Fprintln(w, "Passphrase, shown only now: give it to the person by another channel than the file (in person, by phone):")
	fmt.Fprintln(w, res.Passphrase)
	fmt.Fprintln(w, "They open the file with age (https://age-encryption.org): age -d -o export.zip FILE, then unzip it.")
	return nil
}
