package cli

import (
	"context"
	"fmt"

	"spoke/store"
)

func init() {
	register(command{name: "user", summary: "manage staff accounts: user add; user passwd changes your own password", run: runUser})
}

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "passwd" {
		return runPasswd(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "add" {
		return errUsage{"usage: spoke user add --as OWNER --username U --role ROLE [--shop NAME] [--name DISPLAY]\n       spoke user passwd --as USER"}
	}
	var c common
	fs := newFlags("user add", env, &c, true)
	username := fs.String("username", "", "the new user's username (required)")
	role := fs.String("role", "", "owner, manager, sales, mechanic, marketing or auditor (required)")
	shop := fs.String("shop", "", "the shop a manager, sales or mechanic account works at (default: the only shop)")
	name := fs.String("name", "", "display name")
	newPwFile := fs.String("new-password-file", "", "file holding the new user's password (else SPOKE_NEW_PASSWORD)")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *username == "" || *role == "" {
		return errUsage{"--username and --role are required"}
	}
	r, err := store.ParseRole(*role)
	if err != nil {
		return err
	}
	pw, err := c.secret(*newPwFile, "SPOKE_NEW_PASSWORD")
	if err != nil {
		return err
	}
	if pw == "" {
		return errUsage{"no password for the new user: give --new-password-file FILE or set SPOKE_NEW_PASSWORD"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shopID := ""
	if *shop != "" {
		s, err := ss.ShopByName(ctx, *shop)
		if err != nil {
			return err
		}
		shopID = s.ID
	} else if r == store.RoleManager || r == store.RoleSales || r == store.RoleMechanic {
		shops, err := ss.Shops(ctx)
		if err != nil {
			return err
		}
		if len(shops) != 1 {
			return errUsage{"this chain has several shops: give --shop NAME"}
		}
		shopID = shops[0].ID
	}
	id, err := ss.AddUser(ctx, store.NewUser{Username: *username, DisplayName: *name, Password: pw, Roles: []store.Role{r}, ShopID: shopID})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Added %s (%s), id %s\n", *username, r, id)
	return nil
}

// runPasswd changes the signed-in user's own password (a password that fails the policy must
// be changed before anything else on an owner device).
func runPasswd(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("user passwd", env, &c, true)
	newPwFile := fs.String("new-password-file", "", "file holding the new password (else SPOKE_NEW_PASSWORD)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errUsage{"usage: spoke user passwd --as USER (the new password from --new-password-file F or SPOKE_NEW_PASSWORD)"}
	}
	next, err := c.secret(*newPwFile, "SPOKE_NEW_PASSWORD")
	if err != nil {
		return err
	}
	if next == "" {
		return errUsage{"no new password: give --new-password-file FILE or set SPOKE_NEW_PASSWORD"}
	}
	current, err := c.secret(c.passwordFile, "SPOKE_PASSWORD")
	if err != nil {
		return err
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ss.ChangePassword(ctx, current, next); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Changed the password of %s\n", c.as)
	return nil
}
