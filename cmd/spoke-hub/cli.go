package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/postgres"
	"spoke/sync/hub/sqlite"
)

// env is what a command may touch of the outside world; tests supply their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// ready, when set, receives the serving address once serve listens (tests).
	ready func(addr string)
}

// postgresEnv holds the PostgreSQL URL when --postgres is not given: a URL
// with a password is better kept out of the process list.
const postgresEnv = "SPOKE_HUB_POSTGRES"

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

var commands = map[string]command{}

// errUsage makes run exit with status 2.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "spoke-hub: unknown command %q (see 'spoke-hub help')\n", args[0])
		return 2
	}
	err := c.run(ctx, e, args[1:])
	var eu errUsage
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &eu):
		fmt.Fprintf(e.stderr, "spoke-hub %s: %s\n", args[0], eu.msg)
		return 2
	default:
		fmt.Fprintf(e.stderr, "spoke-hub %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `spoke-hub: the headquarters server that relays sealed change-sets between Spoke devices.

Set up once, then serve:
  spoke-hub init  --data DIR --addr HOST:PORT     create the hub's keys and print the owner's code
  spoke-hub serve --data DIR                      serve (TLS 1.3, client certificates)

Commands:
`)
	for _, name := range []string{"init", "serve", "owner-code"} {
		fmt.Fprintf(w, "  %-11s %s\n", name, commands[name].summary)
	}
	fmt.Fprintf(w, "\nPostgreSQL instead of the built-in SQLite: add --postgres URL to init and serve, or set %s.\n", postgresEnv)
}

// flags returns a flag set that reports errors as errUsage.
func flags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("spoke-hub "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage{err.Error()}
	}
	if fs.NArg() > 0 {
		return errUsage{"unexpected argument " + fs.Arg(0)}
	}
	return nil
}

// openStorage opens the storage hub.json names: SQLite in the data
// directory, or PostgreSQL at the URL from the flag or the environment.
func openStorage(ctx context.Context, d *hub.Dir, pgURL string) (hub.Storage, error) {
	switch d.Config.Storage {
	case hub.StoragePostgres:
		if pgURL == "" {
			return nil, fmt.Errorf("this hub keeps its data in PostgreSQL: give --postgres URL or set %s", postgresEnv)
		}
		return postgres.Open(ctx, pgURL)
	default:
		if pgURL != "" {
			return nil, errors.New("this hub was initialised with SQLite storage; drop --postgres (moving a hub's data to PostgreSQL is not supported yet)")
		}
		return sqlite.Open(ctx, filepath.Join(d.Path, hub.SQLiteFile))
	}
}

func pgURLFrom(flagValue string, e env) string {
	if flagValue != "" {
		return flagValue
	}
	return e.getenv(postgresEnv)
}

// printCode prints an enrollment code the way every code is printed: alone
// on its line, with blank lines around it, so it copies as one token.
func printCode(w io.Writer, intro string, code protocol.EnrollCode, expires time.Time) {
	fmt.Fprintf(w, "%s (one use, valid until %s):\n\n%s\n\n", intro, expires.UTC().Format("2006-01-02 15:04 MST"), code.Encode())
}

func fingerprint(ca *hub.CA) string {
	fp := ca.Fingerprint()
	parts := make([]string, len(fp))
	for i, b := range fp {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
