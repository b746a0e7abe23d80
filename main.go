// Spoke is an offline-first, encrypted CRM for bicycle shops. With no command it starts the
// desktop app (spoke --demo: on a throw-away demo shop); with one (spoke help) it runs a
// headless admin command.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	fyneapp "fyne.io/fyne/v2/app"

	"spoke/app"
	"spoke/cli"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// A command, or a mistyped one: the CLI says which and exits 2; never the GUI.
		os.Exit(cli.Run(context.Background(), cli.OSEnv(), args))
	}
	opts, err := app.ParseFlags(args, os.Stderr)
	var extra *app.ExtraArgError
	if errors.As(err, &extra) {
		// Flags first, then the command (spoke --data DIR customers): the CLI takes flags anywhere.
		i := slices.Index(args, extra.Arg)
		os.Exit(cli.Run(context.Background(), cli.OSEnv(), append([]string{extra.Arg}, slices.Delete(slices.Clone(args), i, i+1)...)))
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
