package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"spoke/sync/hub"
)

func init() {
	commands["serve"] = command{"serve the hub until SIGINT or SIGTERM, then shut down gracefully", cmdServe}
}

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := flags("serve", e)
	data := fs.String("data", "", "hub data directory (made by 'spoke-hub init')")
	addr := fs.String("addr", "", "HOST:PORT to listen on (default: every interface, on the port given to init)")
	pg := fs.String("postgres", "", "PostgreSQL URL, if the hub keeps its data there (or set "+postgresEnv+")")
	metricsAddr := fs.String("metrics-addr", "", "also serve /metrics and /healthz without client certificates on this loopback HOST:PORT")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	maxSet := fs.Int64("max-changeset", hub.DefaultMaxChangeSet, "largest change-set accepted, in bytes")
	maxPull := fs.Int64("max-pull-bytes", hub.DefaultMaxPullBytes, "byte budget of one pull page (a page always holds at least one change-set)")
	pushRate := fs.Float64("push-rate", hub.DefaultPushRate, "change-sets a second each device may push after its burst (negative: no limit)")
	pushBurst := fs.Int("push-burst", hub.DefaultPushBurst, "change-sets a device may push at once before --push-rate applies")
	quota := fs.Int64("device-quota", hub.DefaultDeviceQuota, "bytes of change-sets kept per device; a push over it is refused with 507 (negative: no limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return errUsage{"--data DIR is required"}
	}
	if *maxPull <= 0 || *pushBurst <= 0 || *pushRate == 0 || *quota == 0 {
		return errUsage{"--max-pull-bytes and --push-burst must be positive; --push-rate and --device-quota positive, or negative for no limit"}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return errUsage{"--log-level: want debug, info, warn or error"}
	}
	if *metricsAddr != "" {
		if err := checkLoopback(*metricsAddr); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
	d, err := hub.OpenDir(*data)
	if err != nil {
		return err
	}
	listen := *addr
	if listen == "" {
		_, port, _ := net.SplitHostPort(d.Config.Addr)
		listen = ":" + port
	}
	st, err := openStorage(ctx, d, pgURLFrom(*pg, e))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := hub.ConfigFromDir(d, st, logger)
	cfg.MaxChangeSet = *maxSet
	cfg.MaxPullBytes, cfg.PushRate, cfg.PushBurst, cfg.DeviceQuota = *maxPull, *pushRate, *pushBurst, *quota
	srv, err := hub.NewServer(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	var metricsSrv *http.Server
	if *metricsAddr != "" {
		mln, err := listenLoopback(*metricsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		metricsSrv = &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go metricsSrv.Serve(mln)
		logger.Info("metrics serving", "addr", mln.Addr().String())
	}
	if err := srv.Start(ln); err != nil {
		return err
	}
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if metricsSrv != nil {
		metricsSrv.Close()
	}
	return srv.Stop()
}

// listenLoopback listens for the plain-HTTP metrics endpoint, refusing any
// address that is not loopback: without TLS and client certificates, it must
// not be reachable from the network.
func listenLoopback(addr string) (net.Listener, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, errors.New("--metrics-addr resolved to a non-loopback address")
	}
	return ln, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errUsage{"--metrics-addr: want HOST:PORT"}
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errUsage{"--metrics-addr must be a loopback address (127.0.0.1:PORT or [::1]:PORT): it has no TLS"}
	}
	return nil
}
