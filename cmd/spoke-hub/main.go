// Command spoke-hub is Spoke's headquarters server: it relays and stores the
// sealed, signed change-sets of a chain's devices without being able to read
// them (see spoke/sync/hub).
//
//	spoke-hub init  --data DIR --addr HOST:PORT [--postgres URL]
//	spoke-hub serve --data DIR [--addr HOST:PORT] [--postgres URL] [--metrics-addr 127.0.0.1:PORT] [--public-addr 127.0.0.1:PORT]
//	spoke-hub owner-code --data DIR [--postgres URL]
//
// It never imports Fyne and builds with CGO_ENABLED=0 (deps_test.go).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}
