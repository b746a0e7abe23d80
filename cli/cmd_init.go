package cli

import (
	"context"
	"fmt"

	"spoke/store"
)

func init() {
	register(command{name: "init", summary: "create a new database, master key and owner account", run: runInit})
}

func runInit(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("init", env, &c, false)
	shop := fs.String("shop", "", "name of the first shop (required)")
	owner := fs.String("owner", "", "the owner's username (required)")
	ownerName := fs.String("owner-name", "", "the owner's display name")
	region := fs.String("region", "US", "country of the shop (ISO 3166 code) for phone numbers")
	currency := fs.String("currency", "USD", "the shop's currency (ISO 4217)")
	fs.StringVar(&c.passwordFile, "password-file", "", "file holding the owner's new password (else SPOKE_PASSWORD)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *shop == "" || *owner == "" {
		return errUsage{"--shop NAME and --owner USERNAME are required"}
	}
	pw, err := c.secret(c.passwordFile, "SPOKE_PASSWORD")
	if err != nil {
		return err
	}
	if pw == "" {
		return errUsage{"no owner password: give --password-file FILE or set SPOKE_PASSWORD"}
	}
	o, err := c.storeOptions()
	if err != nil {
		return err
	}
	st, code, err := store.Create(ctx, c.data, store.CreateOptions{
		ShopName: *shop, Region: *region, Currency: *currency, OwnerUsername: *owner, OwnerName: *ownerName, OwnerPassword: pw,
	}, o)
	if err != nil {
		return err
	}
	defer st.Close()
	printCreated(env, st, code)
	return nil
}

// printCreated tells where the key lives and shows the recovery code, once.
func printCreated(env Env, st *store.Store, code string) {
	w := env.Stdout
	fmt.Fprintf(w, "Created a Spoke database in %s\n", st.Dir())
	if st.KeyStore() == store.KeyStoreKeychain {
		fmt.Fprintln(w, "The master key is in this computer's keychain (service \"spoke\", account "+st.DatabaseID()+").")
	} else {
		fmt.Fprintln(w, "The master key is protected by your passphrase (no system keychain is used). Without the")
		fmt.Fprintln(w, "passphrase or the recovery code below, nobody can open this database: not even us.")
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "EMERGENCY KIT: write this recovery code down or print it, and keep it somewhere safe,")
	fmt.Fprintln(w, "away from this computer. It is shown only this once. With it, your backups can be restored")
	fmt.Fprintln(w, "on a new machine if this one is lost or stolen.")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "    Recovery code: "+code)
	fmt.Fprintln(w, "")
}
