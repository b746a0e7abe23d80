package main

import (
	"context"
	"fmt"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
)

func init() {
	commands["init"] = command{"create the hub's CA, keys and storage, and print the owner's first enrollment code", cmdInit}
}

// ownerCodeTTL is generous: the owner may set up the hub one evening and
// their laptop the next day.
const ownerCodeTTL = 72 * time.Hour

func cmdInit(ctx context.Context, e env, args []string) error {
	fs := flags("init", e)
	data := fs.String("data", "", "hub data directory (created; keys are kept here, owner-only)")
	addr := fs.String("addr", "", "HOST:PORT devices will dial; HOST goes in the hub's certificate")
	pg := fs.String("postgres", "", "PostgreSQL URL, to keep the data there instead of SQLite (or set "+postgresEnv+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *addr == "" {
		return errUsage{"--data DIR and --addr HOST:PORT are required"}
	}
	pgURL := pgURLFrom(*pg, e)
	kind := hub.StorageSQLite
	if pgURL != "" {
		kind = hub.StoragePostgres
	}
	now := time.Now()
	d, err := hub.InitDir(*data, *addr, kind, now)
	if err != nil {
		return err
	}
	// From here on the directory exists, so a second init would refuse:
	// say how to get the owner's code once the storage works.
	retry := fmt.Sprintf("the hub's keys are in %s; once the storage works, get the owner's code with 'spoke-hub owner-code --data %s'", d.Path, d.Path)
	st, err := openStorage(ctx, d, pgURL)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, retry)
	}
	defer st.Close()
	code, tok, err := hub.IssueToken(ctx, st, d.CA, d.Config.Addr, protocol.RoleOwner, nil, nil, "", now, ownerCodeTTL)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, retry)
	}
	fmt.Fprintf(e.stdout, "Hub initialised in %s (storage: %s, address: %s).\n", d.Path, kind, d.Config.Addr)
	fmt.Fprintf(e.stdout, "Hub CA fingerprint (SHA-256): %s\n\n", fingerprint(d.CA))
	printCode(e.stdout, "Enroll the owner's first device with this code", code, tok.ExpiresAt)
	fmt.Fprintf(e.stdout, "Then start the hub:  spoke-hub serve --data %s\n", d.Path)
	return nil
}
