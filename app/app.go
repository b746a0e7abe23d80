// Package app is Spoke's Fyne GUI: screens, widgets, theme and translations. It holds no SQL
// and no cryptography; every read and write goes through store.Session. It takes a fyne.App
// from main.go, so its tests run on Fyne's software test driver without a display.
//
// This is the placeholder window of the encrypted-store milestone: it unlocks the database off
// the UI goroutine (a keychain read can block on an OS unlock dialog) and shows what it found.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"spoke/assets"
	"spoke/cli"
	"spoke/store"
)

// Options are the GUI's command-line flags.
type Options struct {
	DataDir    string
	Demo       bool
	Passphrase string
}

// ParseFlags reads the GUI flags (spoke [--data DIR] [--demo] [--passphrase-file F]).
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("spoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.DataDir, "data", cli.DefaultDataDir(), "data directory")
	fs.BoolVar(&o.Demo, "demo", false, "start on a throw-away demo shop")
	pf := fs.String("passphrase-file", "", "file holding the database passphrase (else SPOKE_PASSPHRASE; else the OS keychain)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Passphrase = os.Getenv("SPOKE_PASSPHRASE")
	if *pf != "" {
		b, err := os.ReadFile(*pf)
		if err != nil {
			return o, fmt.Errorf("read passphrase file: %w", err)
		}
		o.Passphrase = string(b)
	}
	return o, nil
}

// Window is the placeholder main window.
type Window struct {
	W      fyne.Window
	Status *widget.Label
	Store  *store.Store
	// Ready is closed once unlocking has finished and the window shows the outcome.
	Ready chan struct{}
}

// New builds the main window and starts unlocking in the background.
func New(a fyne.App, o Options) *Window {
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("Spoke")
	win := &Window{W: w, Status: widget.NewLabel("Unlocking…"), Ready: make(chan struct{})}
	title := widget.NewLabelWithStyle("Spoke: the bike shop CRM", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel("The full desktop app arrives with the GUI milestone; use the 'spoke' CLI meanwhile.")
	w.SetContent(container.NewVBox(title, win.Status, note))
	w.Resize(fyne.NewSize(640, 240))
	go win.unlock(o)
	return win
}

// unlock runs off the UI goroutine and reports back with fyne.Do.
func (win *Window) unlock(o Options) {
	ctx := context.Background()
	var st *store.Store
	var msg string
	var err error
	switch {
	case o.Demo:
		dir, derr := os.MkdirTemp("", "spoke-demo-")
		if derr != nil {
			err = derr
			break
		}
		// A throw-away shop gets a throw-away random passphrase held only in memory.
		opts := store.Options{Passphrase: fmt.Sprintf("demo-%d-%p", os.Getpid(), &dir)}
		var d *cli.DemoShop
		if d, err = cli.CreateDemo(ctx, dir, 300, 1, opts, nil); err == nil {
			st = d.Store
			msg = fmt.Sprintf("Demo shop unlocked: %d customers, %d work orders (in %s).", d.Loaded.Customers, d.Loaded.WorkOrders, dir)
		}
	default:
		st, err = store.Open(ctx, o.DataDir, store.Options{Passphrase: o.Passphrase})
		if err == nil {
			msg = "Database unlocked (" + st.KeyStore() + ")."
		}
	}
	if err != nil {
		msg = "Could not open the database: " + err.Error()
		if errors.Is(err, store.ErrNoDatabase) {
			msg = "No database yet: run 'spoke init' or start with --demo."
		}
	}
	fyne.DoAndWait(func() {
		win.Store = st
		win.Status.SetText(msg)
	})
	close(win.Ready)
}
