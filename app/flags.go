package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"spoke/store"
)

// Options are the GUI's command-line flags and the seams tests use.
type Options struct {
	DataDir    string
	Demo       bool
	Passphrase string

	// DemoCustomers sizes the demo shop (0: 1200, enough for three shops, Shanghai included).
	DemoCustomers int
	// Store tunes the store (tests lower the Argon2id cost and inject a keychain and a clock).
	Store store.Options
	// KeychainProbe reports whether an OS keychain answers (nil: crypto/keychain.Available).
	KeychainProbe func(ctx context.Context) bool
	// Now is the clock of the idle lock (nil: time.Now).
	Now func() time.Time
	// ManualIdle turns off the idle ticker; tests call CheckIdle themselves.
	ManualIdle bool
	// QueueUI queues the hand-backs of background work instead of running them on the UI
	// goroutine; Wait runs them on its caller's goroutine. Fyne's test driver has no UI
	// goroutine of its own, so a test goroutine plays it and nothing runs beside it.
	QueueUI bool
}

// ParseFlags reads the GUI flags (spoke [--data DIR] [--demo] [--passphrase-file F]).
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("spoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.DataDir, "data", store.DefaultDataDir(), "data directory")
	fs.BoolVar(&o.Demo, "demo", false, "start on a throw-away demo shop")
	fs.IntVar(&o.DemoCustomers, "demo-customers", 1200, "number of customers in the demo shop")
	pf := fs.String("passphrase-file", "", "file holding the database passphrase (else SPOKE_PASSPHRASE; else the OS keychain)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, &ExtraArgError{Arg: fs.Arg(0)}
	}
	o.Passphrase = os.Getenv("SPOKE_PASSPHRASE")
	if *pf != "" {
		b, err := os.ReadFile(*pf)
		if err != nil {
			fmt.Fprintln(stderr, "spoke: cannot read the passphrase file")
			return o, fmt.Errorf("read passphrase file: %w", err)
		}
		o.Passphrase = strings.TrimRight(string(b), "\r\n")
	}
	return o, nil
}

// ExtraArgError is a word after the desktop app's flags: a command given after global flags
// (spoke --data DIR customers), or a mistyped one; main hands it to the CLI, which says which.
type ExtraArgError struct{ Arg string }

func (e *ExtraArgError) Error() string { return fmt.Sprintf("unknown command %q", e.Arg) }

// CheckDisplay says, in one sentence, why the desktop app cannot start here: on Linux and the
// BSDs without an X11 or Wayland display, GLFW would otherwise panic with a stack trace.
func CheckDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set); 'spoke help' lists the commands that run without one")
		}
	}
	return nil
}
