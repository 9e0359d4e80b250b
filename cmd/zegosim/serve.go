package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// shutdownGrace bounds how long a stop waits for calls in flight.
const shutdownGrace = 5 * time.Second

// run is main without the process: it serves until stop delivers a signal
// (or the server fails) and returns nil after a clean shutdown.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) error {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	if o.verbose {
		o.cfg.Logf = logger.Printf
	}
	sim := zegosim.New(o.cfg)
	for _, f := range o.faults {
		sim.InjectFault(f) // validated while parsing
	}

	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("TLS key pair: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}

	// Cancelling the base context ends "slow" faults at shutdown.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if o.addrFile != "" {
		if err := writeAddrFile(o.addrFile, addr); err != nil {
			_ = srv.Close()
			<-served
			return err
		}
		defer os.Remove(o.addrFile) // a stale address would mislead the next reader
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "zegosim: serving GetRealtimeUsage at %s://%s/?Action=GetRealtimeUsage for %s (admin: /admin/faults, /admin/stats)\n",
		scheme, addr, describeApps(o))

	select {
	case err := <-served:
		return err // Serve never returns nil
	case sig := <-stop:
		if o.verbose {
			logger.Printf("zegosim: %v: shutting down", sig)
		}
	}
	cancelBase()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// writeAddrFile writes addr atomically, so a reader polling for the file
// never sees it half written.
func writeAddrFile(path, addr string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".zegosim-addr-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(addr + "\n"); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// describeApps names the accepted AppIDs for the start line, never a secret.
func describeApps(o options) string {
	var d string
	switch n := len(o.apps); {
	case n == 1:
		for id := range o.apps {
			d = fmt.Sprintf("AppID %d", id)
		}
	case n > 1:
		d = fmt.Sprintf("%d AppIDs", n)
	}
	if o.anySecret != "" {
		if d != "" {
			d += " and "
		}
		d += "any other AppID (-any-secret)"
	}
	return d
}
