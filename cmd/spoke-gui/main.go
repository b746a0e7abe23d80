// Spoke-gui is Spoke's desktop app (spoke-gui [--data DIR] [--demo] [--passphrase-file F]).
// The spoke binary starts it when given no command; the commands run in spoke itself, which
// links no Fyne.
package main

import (
	"errors"
	"fmt"
	"os"

	fyneapp "fyne.io/fyne/v2/app"

	"spoke/app"
)

func main() {
	opts, err := app.ParseFlags(os.Args[1:], os.Stderr)
	var extra *app.ExtraArgError
	if errors.As(err, &extra) {
		// Only reached when spoke-gui is run by hand: spoke hands commands to its CLI.
		fmt.Fprintf(os.Stderr, "spoke-gui: %q is no flag of the desktop app; commands run in 'spoke' (see 'spoke help')\n", extra.Arg)
		os.Exit(2)
	}
	if err != nil {
		os.Exit(2)
	}
	if err := app.CheckDisplay(); err != nil {
		fmt.Fprintln(os.Stderr, "spoke: "+err.Error())
		os.Exit(1)
	}
	app.New(fyneapp.NewWithID("com.example.spoke"), opts).Run()
}
