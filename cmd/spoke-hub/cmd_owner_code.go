package main

import (
	"context"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

func init() {
	commands["owner-code"] = command{"print a new owner enrollment code (the first expired, or every owner device was lost)", cmdOwnerCode}
}

// cmdOwnerCode mints an owner code from the hub machine itself. Whoever can
// run it can already read the CA key in the data directory, so it grants
// nothing new; it is the way back in when no owner device is left.
func cmdOwnerCode(ctx context.Context, e env, args []string) error {
	fs := flags("owner-code", e)
	data := fs.String("data", "", "hub data directory")
	pg := fs.String("postgres", "", "PostgreSQL URL, if the hub keeps its data there (or set "+postgresEnv+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return errUsage{"--data DIR is required"}
	}
	d, err := hub.OpenDir(*data)
	if err != nil {
		return err
	}
	st, err := openStorage(ctx, d, pgURLFrom(*pg, e))
	if err != nil {
		return err
	}
	defer st.Close()
	code, tok, err := hub.IssueToken(ctx, st, d.CA, d.Config.Addr, protocol.RoleOwner, nil, nil, "", time.Now(), ownerCodeTTL)
	if err != nil {
		return err
	}
	printCode(e.stdout, "Enroll an owner device with this code", code, tok.ExpiresAt)
	return nil
}
