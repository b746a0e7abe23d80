package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"spoke/launch"
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

// ParseFlags reads the GUI flags (spoke [--data DIR] [--demo] [--passphrase-file F]); the flag
// set itself lives in launch, which the Fyne-free spoke launcher also reads.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	f, err := launch.ParseGUI(args, store.DefaultDataDir(), stderr)
	o.DataDir, o.Demo, o.DemoCustomers = f.DataDir, f.Demo, f.DemoCustomers
	if err != nil {
		return o, err
	}
	o.Passphrase = os.Getenv("SPOKE_PASSPHRASE")
	if f.PassphraseFile != "" {
		b, err := os.ReadFile(f.PassphraseFile)
		if err != nil {
			fmt.Fprintln(stderr, "spoke: cannot read the passphrase file")
			return o, fmt.Errorf("read passphrase file: %w", err)
		}
		o.Passphrase = strings.TrimRight(string(b), "\r\n")
	}
	return o, nil
}

// ExtraArgError is a word after the desktop app's flags (see launch.ExtraArgError).
type ExtraArgError = launch.ExtraArgError

// CheckDisplay says, in one sentence, why the desktop app cannot start here: on Linux and the
// BSDs without an X11 or Wayland display, GLFW would otherwise panic with a stack trace.
func CheckDisplay() error { return launch.CheckDisplay() }
