// Package cli is Spoke's headless admin command line: one small cmd_*.go file per command
// (restic's layout), all reaching data through store.Session like the GUI does. It never imports
// Fyne, so its tests build fast; main.go dispatches to it when a command is given.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"spoke/crypto/keychain"
	"spoke/crypto/keys"
	"spoke/store"
)

// Env is what a command may touch of the outside world; tests supply their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Options are passed to the store (tests lower the KDF cost and inject clocks).
	Options store.Options
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

// commands is the command table; each entry lives in its own cmd_*.go file.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// errUsage makes Run exit with status 2.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

// errExit carries a non-zero exit status whose message was already printed.
type errExit int

func (e errExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// IsCommand reports whether name is a CLI command (as opposed to GUI flags).
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "help"
}

// Run runs one command and returns the process exit status.
func Run(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "spoke: unknown command %q (see 'spoke help')\n", args[0])
		return 2
	}
	err := c.run(ctx, env, args[1:])
	var eu errUsage
	var ex errExit
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ex):
		return int(ex)
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &eu):
		fmt.Fprintf(env.Stderr, "spoke %s: %s\n", c.name, eu.msg)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "spoke %s: %s\n", c.name, userMessage(err))
		return 1
	}
}

// userMessage turns an error into what a person can act on; it never adds values.
func userMessage(err error) string {
	switch {
	case errors.Is(err, keychain.ErrNoKeychain):
		return keychain.ErrNoKeychain.Error()
	case errors.Is(err, keychain.ErrNotFound):
		return "the system keychain holds no key for this database (was it created on another machine or user account?); unlock with the recovery code instead"
	case errors.Is(err, keys.ErrWrongPassphrase):
		return "the passphrase (or recovery code) is wrong; nothing was changed"
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Spoke: an encrypted CRM for bicycle shops.")
	fmt.Fprintln(w, "\nUsage: spoke                      start the desktop app")
	fmt.Fprintln(w, "       spoke <command> [flags]     run an admin command")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data DIR (default: "+store.DefaultDataDir()+") and, for a passphrase-protected")
	fmt.Fprintln(w, "database, --passphrase-file F or SPOKE_PASSPHRASE. Commands with --as USER read that user's")
	fmt.Fprintln(w, "password from --password-file F or SPOKE_PASSWORD. 'spoke <command> -h' shows its flags.")
}

// common are the flags every command takes.
type common struct {
	data           string
	passphraseFile string
	as             string
	passwordFile   string
	env            Env
}

func newFlags(name string, env Env, c *common, withUser bool) *flag.FlagSet {
	fs := flag.NewFlagSet("spoke "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&c.data, "data", store.DefaultDataDir(), "data directory")
	fs.StringVar(&c.passphraseFile, "passphrase-file", "", "file holding the database passphrase (else SPOKE_PASSPHRASE; else the OS keychain)")
	if withUser {
		fs.StringVar(&c.as, "as", "", "sign in as this username (required)")
		fs.StringVar(&c.passwordFile, "password-file", "", "file holding the user's password (else SPOKE_PASSWORD)")
	}
	c.env = env
	return fs
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// secret reads a secret from a file (trailing newline dropped) or an environment variable.
func (c *common) secret(file, envVar string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return c.env.Getenv(envVar), nil
}

func (c *common) storeOptions() (store.Options, error) {
	o := c.env.Options
	p, err := c.secret(c.passphraseFile, "SPOKE_PASSPHRASE")
	if err != nil {
		return o, err
	}
	o.Passphrase = p
	return o, nil
}

// open unlocks the database.
func (c *common) open(ctx context.Context) (*store.Store, error) {
	o, err := c.storeOptions()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, c.data, o)
}

// signIn unlocks the database and signs in as --as.
func (c *common) signIn(ctx context.Context) (*store.Store, *store.Session, error) {
	if c.as == "" {
		return nil, nil, errUsage{"--as USER is required"}
	}
	pw, err := c.secret(c.passwordFile, "SPOKE_PASSWORD")
	if err != nil {
		return nil, nil, err
	}
	if pw == "" {
		return nil, nil, errUsage{"no password: give --password-file FILE or set SPOKE_PASSWORD"}
	}
	st, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	ss, err := st.SignIn(ctx, c.as, pw)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, ss, nil
}
