// Spoke is an offline-first, encrypted CRM for bicycle shops. With no command it starts the
// desktop app (spoke --demo: on a throw-away demo shop); with one (spoke help) it runs a
// headless admin command.
package main

import (
	"context"
	"os"

	fyneapp "fyne.io/fyne/v2/app"

	"spoke/app"
	"spoke/cli"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && cli.IsCommand(args[0]) {
		os.Exit(cli.Run(context.Background(), cli.OSEnv(), args))
	}
	opts, err := app.ParseFlags(args, os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	app.New(fyneapp.NewWithID("com.example.spoke"), opts).Run()
}
