// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

// Command zegosim serves a local simulator of ZEGO's analytics API (GetRealtimeUsage,
// GetRealtimeQuality, GetRegionQualityDetail and the daily GetBizUsage and GetBizQuality), so the receiver
// can run without ZEGO credentials. Run "zegosim -help" for the flags, admin endpoints
// and fault kinds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

const usage = `zegosim simulates ZEGO's analytics API at /?Action=GetRealtimeUsage,
/?Action=GetRealtimeQuality and /?Action=GetRegionQualityDetail (Region=all or a
Chinese name such as 巴西, Platform=all|native|web), and the daily
/?Action=GetBizUsage and /?Action=GetBizQuality (StartDate, EndDate yyyyMMdd; one
value a day, published the next day): ZEGO's signature checks, its quota per
AppID and Action (over it: HTTP 200 with Code 30002) and deterministic data.

Usage: zegosim (-app ID:SECRET ... | -any-secret SECRET) [flags]

Admin endpoints (never metered):
  POST   /admin/faults  queue a fault, e.g. {"kind":"code","code":30002,"count":2}
                        or {"kind":"slow","duration":"5s","app_id":12345,
                        "action":"GetRealtimeUsage"}; count 0 or none = until
                        cleared; no app_id/action = every AppID/Action
  DELETE /admin/faults  clear every fault
  POST   /admin/secret  rotate an AppID's ServerSecret, e.g.
                        {"app_id":12345,"secret":"new-secret"}: calls signed
                        with the old one get 100000005 from then on
  GET    /admin/calls   the record of the API calls, as JSON
  GET    /healthz       "ok"
Fault kinds: html (HTTP 502 page), truncated (answer cut short), empty,
malformed (not JSON), reset (connection reset), slow (wait duration, then
answer), code (answer with code, e.g. 30002, 500, 100000005).

It exits 0 on SIGINT or SIGTERM.

Flags:
`

// options is the parsed command line.
type options struct {
	listen, addrFile, tlsCert, tlsKey string
	dailyZone                         string
	verbose                           bool
	cfg                               zegosim.Config
}

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		os.Exit(2) // already reported
	}
	if err := serve(o); err != nil {
		fmt.Fprintln(os.Stderr, "zegosim:", err)
		os.Exit(1)
	}
}

// parse reads the command line, reporting errors (never a secret) on stderr.
func parse(args []string, stderr io.Writer) (options, error) {
	o := options{cfg: zegosim.Config{Apps: map[uint32]string{}}}
	fs := flag.NewFlagSet("zegosim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	badApp := false
	fs.Func("app", "accept an AppID with its ServerSecret, as `ID:SECRET`; repeatable", func(v string) error {
		id, secret, ok := strings.Cut(v, ":")
		n, err := strconv.ParseUint(id, 10, 32)
		if !ok || secret == "" || err != nil {
			badApp = true // reported below: flag's own error would quote the value, secret and all
			return nil
		}
		o.cfg.Apps[uint32(n)] = secret
		return nil
	})
	fs.StringVar(&o.cfg.AnySecret, "any-secret", "", "accept every other AppID with this `secret`")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9300", "`host:port` to listen on; port 0 picks a free one (see -addr-file)")
	fs.StringVar(&o.addrFile, "addr-file", "", "once listening, write the bound host:port to this `file`")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with -tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the PEM private key `file` for -tls-cert")
	fs.Int64Var(&o.cfg.Seed, "seed", 1, "seed of the simulated values: same seed, same data")
	fs.DurationVar(&o.cfg.Delay, "delay", 3*time.Minute, "publication delay; 0 = none")
	fs.IntVar(&o.cfg.LateEvery, "late-every", 0, "publish about one point time in `N` late, by -late-by (0: none)")
	fs.DurationVar(&o.cfg.LateBy, "late-by", 8*time.Second, "how much later than -delay a late point is published")
	fs.DurationVar(&o.cfg.Retention, "retention", 2*time.Hour, "how far back points are served (GetRegionQualityDetail: at most 1h)")
	fs.DurationVar(&o.cfg.Granularity, "granularity", time.Second, "GetRealtimeUsage's point spacing (GetRealtimeQuality's is always 1m)")
	fs.Int64Var(&o.cfg.PhaseMs, "phase-ms", 0, "points sit at k*spacing + phase-ms")
	fs.IntVar(&o.cfg.PerMinute, "per-minute", 3, "quota per AppID and Action over any 60 s; 0 = unlimited")
	fs.IntVar(&o.cfg.PerDay, "per-day", 480, "quota per AppID and Action over any 24 h; 0 = unlimited")
	fs.DurationVar(&o.cfg.ClockOffset, "clock-offset", 0, "skew the server clock (11m trips the 10-minute Timestamp check)")
	fs.StringVar(&o.dailyZone, "daily-zone", "Asia/Shanghai", "the IANA time `zone` of the daily Actions' days")
	fs.DurationVar(&o.cfg.DailyPublishAt, "daily-publish-at", 2*time.Hour, "when after 00:00 of the next day a day is published (T+1); 0 = at 00:00")
	fs.IntVar(&o.cfg.DailyRetentionDays, "daily-retention-days", 90, "how many `days` up to yesterday the plan keeps (ZEGO: 7, 60 or 90); an older StartDate gets 10002")
	fs.DurationVar(&o.cfg.DailyRevisedAfter, "daily-revised-after", 0, "a day's values change this long after its publication (0: never)")
	fs.BoolVar(&o.cfg.Quirks, "quirks", false, "answer in the odd shapes ZEGO's page shows (bare-number RequestId, 1000.0, shuffled points...)")
	fs.BoolVar(&o.verbose, "v", false, "log each call to stderr (never a secret, signature or nonce)")
	if err := fs.Parse(args); err != nil {
		return o, err // reported by flag, with the usage
	}
	fail := func(msg string) (options, error) {
		_, _ = fmt.Fprintf(stderr, "zegosim: %s\nRun 'zegosim -help' for usage.\n", msg)
		return o, errors.New(msg)
	}
	switch {
	case badApp:
		return fail("-app wants ID:SECRET, ID a decimal uint32 (the value is not shown: it holds a secret)")
	case fs.NArg() > 0:
		return fail("unexpected arguments after the flags")
	case len(o.cfg.Apps) == 0 && o.cfg.AnySecret == "":
		return fail("no credentials: give -app ID:SECRET or -any-secret SECRET")
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return fail("-tls-cert and -tls-key go together")
	case o.cfg.DailyRetentionDays < 1:
		return fail("-daily-retention-days must be at least 1")
	}
	if _, err := time.LoadLocation(o.dailyZone); err != nil || o.dailyZone == "" {
		return fail(fmt.Sprintf("-daily-zone %q is not an IANA time zone name", o.dailyZone))
	}
	// On the command line 0 means none; in zegosim.Config it means the default.
	if o.cfg.Delay <= 0 {
		o.cfg.Delay = -1
	}
	if o.cfg.PerMinute <= 0 {
		o.cfg.PerMinute = -1
	}
	if o.cfg.PerDay <= 0 {
		o.cfg.PerDay = -1
	}
	if o.cfg.DailyPublishAt <= 0 {
		o.cfg.DailyPublishAt = -1
	}
	return o, nil
}

// serve runs the simulator until SIGINT or SIGTERM, then shuts down gracefully.
func serve(o options) error {
	logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
	if o.verbose {
		o.cfg.Logf = logger.Printf
	}
	o.cfg.DailyZone, _ = time.LoadLocation(o.dailyZone) // parse checked it
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	if o.addrFile != "" { // written whole, then renamed: a script polling for it never reads half
		if err = os.WriteFile(o.addrFile+".tmp", []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			return err
		}
		if err = os.Rename(o.addrFile+".tmp", o.addrFile); err != nil {
			return err
		}
		// A stale address would mislead the next reader.
		defer func() { _ = os.Remove(o.addrFile) }() //nolint:gosec // G703: the path is the operator's own -addr-file
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{
		Handler: zegosim.New(o.cfg), ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger,
		BaseContext: func(net.Listener) context.Context { return ctx },
	} // a stop ends slow faults too
	shutdown := make(chan error, 1)
	go func() {
		<-ctx.Done()
		grace, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown <- srv.Shutdown(grace)
	}()
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	logger.Printf("zegosim: serving %s://%s/ (admin: /admin/faults, /admin/secret, /admin/calls)", scheme, ln.Addr())
	if o.tlsCert != "" {
		err = srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
	} else {
		err = srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-shutdown
}
