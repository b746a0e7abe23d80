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
	publicAddr := fs.String("public-addr", "", "also serve the public one-click unsubscribe route /u/ in plain HTTP on this loopback HOST:PORT, for a reverse proxy with a publicly trusted certificate")
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
	for flag, a := range map[string]string{"--metrics-addr": *metricsAddr, "--public-addr": *publicAddr} {
		if a != "" {
			if err := checkLoopback(flag, a); err != nil {
				return err
			}
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
		mln, err := listenLoopback("--metrics-addr", *metricsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		metricsSrv = &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go metricsSrv.Serve(mln)
		logger.Info("metrics serving", "addr", mln.Addr().String())
	}
	var publicSrv *http.Server
	if *publicAddr != "" {
		pln, err := listenLoopback("--public-addr", *publicAddr)
		if err != nil {
			ln.Close()
			if metricsSrv != nil {
				metricsSrv.Close()
			}
			return err
		}
		publicSrv = &http.Server{Handler: srv.PublicHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
		go publicSrv.Serve(pln)
		logger.Info("public unsubscribe route serving", "addr", pln.Addr().String())
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
	if publicSrv != nil {
		publicSrv.Close()
	}
	return srv.Stop()
}

// listenLoopback listens for a plain-HTTP endpoint (metrics, or the public
// unsubscribe route behind a reverse proxy), refusing any address that is not
// loopback: without TLS it must not be reachable from the network, and the
// public route trusts X-Forwarded-For from its peer.
func listenLoopback(flag, addr string) (net.Listener, error) {
	if err := checkLoopback(flag, addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, errors.New(flag + " resolved to a non-loopback address")
	}
	return ln, nil
}

func checkLoopback(flag, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errUsage{flag + ": want HOST:PORT"}
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errUsage{flag + " must be a loopback address (127.0.0.1:PORT or [::1]:PORT): it has no TLS"}
	}
	return nil
}
