// Spoke is an offline-first, encrypted CRM for bicycle shops. This binary is the command line
// and the launcher: with a command (spoke help) it runs a headless admin command; with no
// command, or the desktop app's flags alone (spoke --demo), it starts the desktop app, the
// binary spoke-gui beside it (cmd/spoke-gui). It links no Fyne, so no command initialises it.
package main

import (
	"context"
	"fmt"
	"os"

	"spoke/cli"
	"spoke/launch"
)

func main() {
	args := os.Args[1:]
	if cliArgs, ok := launch.CLIArgs(args); ok {
		// A command, or a mistyped one: the CLI says which and exits 2; never the GUI.
		os.Exit(cli.Run(context.Background(), cli.OSEnv(), cliArgs))
	}
	err := launch.StartGUI(args) // returns only if spoke-gui could not be started
	fmt.Fprintln(os.Stderr, "spoke: "+err.Error())
	os.Exit(1)
}
