// Package launch decides what the spoke binary does with its arguments, without linking Fyne:
// a command (also after the desktop app's flags: spoke --data DIR customers) goes to the CLI;
// no command, or the desktop app's flags alone (spoke --demo), start the desktop app, which is
// the separate binary spoke-gui beside this one. It owns the desktop app's flag set, so the
// launcher and spoke-gui read the same flags; it never imports Fyne, app or cli.
package launch

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// GUIFlags are the desktop app's flags (spoke [--data DIR] [--demo] [--passphrase-file F]).
type GUIFlags struct {
	DataDir        string
	Demo           bool
	DemoCustomers  int
	PassphraseFile string
}

// ParseGUI parses args as the desktop app's flags; defaultDataDir is the --data default. A
// word after the flags is an *ExtraArgError (a command given after global flags, or a mistyped
// one). The flag package prints parse errors and -h usage to stderr.
func ParseGUI(args []string, defaultDataDir string, stderr io.Writer) (GUIFlags, error) {
	var f GUIFlags
	fs := flag.NewFlagSet("spoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.DataDir, "data", defaultDataDir, "data directory")
	fs.BoolVar(&f.Demo, "demo", false, "start on a throw-away demo shop")
	fs.IntVar(&f.DemoCustomers, "demo-customers", 1200, "number of customers in the demo shop")
	fs.StringVar(&f.PassphraseFile, "passphrase-file", "", "file holding the database passphrase (else SPOKE_PASSPHRASE; else the OS keychain)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, &ExtraArgError{Arg: fs.Arg(0), At: len(args) - fs.NArg()}
	}
	return f, nil
}

// ExtraArgError is a word after the desktop app's flags: a command given after global flags
// (spoke --data DIR customers), or a mistyped one; the launcher hands it to the CLI, which
// says which.
type ExtraArgError struct {
	Arg string
	At  int // its index in the arguments (a flag's value may be the same word)
}

func (e *ExtraArgError) Error() string { return fmt.Sprintf("unknown command %q", e.Arg) }

// CLIArgs reports whether args are for the CLI and, if so, the arguments to give it: the
// command first, then the words after it, then the flags that came before it. A first word
// that is no flag is a command (or a mistyped one, which the CLI names); a word after the
// desktop app's flags is moved to the front, and those flags to the end, since the CLI takes
// flags anywhere and a command's own first word may name a subcommand ('spoke --data D
// consent grant ...' is 'consent grant ... --data D'). Anything else (no arguments, the desktop
// app's flags alone, -h, or flags it does not know) is for the desktop app, which reports
// its own usage errors.
func CLIArgs(args []string) ([]string, bool) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args, true
	}
	_, err := ParseGUI(args, "", io.Discard)
	var extra *ExtraArgError
	if !errors.As(err, &extra) {
		return nil, false
	}
	out := append([]string{extra.Arg}, args[extra.At+1:]...)
	return append(out, args[:extra.At]...), true
}

// GUIName is the desktop app's binary.
func GUIName() string {
	if runtime.GOOS == "windows" {
		return "spoke-gui.exe"
	}
	return "spoke-gui"
}

// GUIPath is the spoke-gui that sits in the same directory as the running executable (links
// resolved). It is never looked up in PATH: a spoke-gui planted earlier in PATH must not run
// with the user's arguments and environment.
func GUIPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locate this executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Join(filepath.Dir(exe), GUIName()), nil
}

// NoGUIError means there is no spoke-gui beside the spoke binary.
type NoGUIError struct{ Path string }

func (e *NoGUIError) Error() string {
	return fmt.Sprintf("the desktop app is the separate binary %s and there is none beside this one (%s); build both with 'make build' (or run 'go run ./cmd/spoke-gui')", filepath.Base(e.Path), e.Path)
}

// StartGUI replaces this process with spoke-gui (same arguments and environment; on Windows,
// which cannot exec, it runs it and exits with its status). It returns only on failure: an
// error whose text is one sentence for the user: ErrNoDisplay without a display (asked before
// spoke-gui, whose Fyne logs at start, runs at all), a *NoGUIError when spoke-gui is missing.
func StartGUI(args []string) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	gui, err := GUIPath()
	if err != nil {
		return err
	}
	if st, err := os.Stat(gui); err != nil || st.IsDir() {
		return &NoGUIError{Path: gui}
	}
	if err := execGUI(gui, args); err != nil {
		return fmt.Errorf("start the desktop app %s: %w", gui, err)
	}
	return nil
}
