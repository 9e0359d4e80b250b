package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// options is the parsed command line.
type options struct {
	listen    string
	addrFile  string
	tlsCert   string
	tlsKey    string
	verbose   bool
	apps      map[uint32]string
	appFile   string
	anySecret string
	faults    []zegosim.Fault
	cfg       zegosim.Config // the simulator's settings, ready for zegosim.New
}

// usageError is a bad command line; it has been reported on stderr already.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

const usageHead = `zegosim simulates ZEGO's analytics API GetRealtimeUsage on a local listener,
so the receiver and its tests can run without ZEGO credentials.

Usage:
  zegosim -app ID:SECRET [-app ID:SECRET ...] [flags]
  zegosim -any-secret SECRET [flags]

The API answers at /?Action=GetRealtimeUsage with ZEGO's signature checks
(md5 of AppId+SignatureNonce+ServerSecret+Timestamp, Timestamp within 10
minutes, nonces not reused within 10 minutes), ZEGO's per-AppID quota (a call
over it gets HTTP 200 with Code 30002) and deterministic data: a daily curve
per AppID, lowest at 04:00 UTC, peaking at 20:00 UTC.

Flags:
`

const usageTail = `
Admin endpoints (not part of ZEGO's API, never metered):
  POST   /admin/faults   queue a fault, JSON body:
                         {"kind":"slow","count":1,"duration":"5s","app_id":0}
                         count 0 = until cleared; app_id 0 = every AppID
  GET    /admin/faults   list the pending faults
  DELETE /admin/faults   clear every fault
  GET    /admin/stats    per-AppID statistics (calls, max_per_minute,
                         max_per_day, codes, points_served), keyed by AppID
  GET    /healthz        "ok"

Fault kinds (each applies to the next count API calls, after the quota has
metered them; the oldest matching fault goes first):
  http500_html  HTTP 502 with an HTML page
  truncated     HTTP 200, the real JSON answer cut in the middle
  empty         HTTP 200, empty body
  malformed     HTTP 200, a body that is not JSON
  reset         the connection is reset without an answer
  slow          wait the duration (or until the client leaves), then answer
  rate_limit    HTTP 200, Code 30002
  code500       HTTP 200, Code 500
  signature     HTTP 200, Code 100000005
  clock_skew    HTTP 200, Code 100000004
  oversize      HTTP 200, valid JSON padded with ~20 MB in an unknown field

Return codes: 0 success; 500; 10001 (GetRealtimeUsage parameter missing or
given twice); 10002 (bad value); 30002 (quota); and ZEGO's common codes for the
common parameters: 100000001 AppId, 100000002/3 Timestamp, 100000004 signature
expired, 100000005 signature wrong or nonce reused, 100000006/7 Action,
100000008 SignatureNonce, 100000009 Signature, 100000010 unknown AppID,
100000013/14 SignatureVersion.

Examples:
  zegosim -app 12345:9193cc662a4c0ec135ec71fb57194b38 -fault code500:2 -v
  curl -X POST 127.0.0.1:9300/admin/faults -d '{"kind":"reset","count":1}'
  zegosim -app-file apps.txt -listen 127.0.0.1:0 -addr-file /tmp/zegosim.addr

It exits 0 on SIGINT or SIGTERM.
`

// appsFlag collects repeated -app ID:SECRET as given. They are checked after
// parsing because the flag package quotes a rejected value in its error, and
// this value holds a secret.
type appsFlag struct{ raw *[]string }

func (a appsFlag) String() string { return "" } // never print secrets, even as defaults

func (a appsFlag) Set(v string) error {
	*a.raw = append(*a.raw, v)
	return nil
}

func parseApp(v string) (uint32, string, error) {
	idText, secret, ok := strings.Cut(v, ":")
	if !ok || secret == "" {
		return 0, "", errors.New("want ID:SECRET")
	}
	id, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return 0, "", fmt.Errorf("AppID %q is not a decimal uint32", idText)
	}
	return uint32(id), secret, nil
}

func addApp(apps map[uint32]string, id uint32, secret string) error {
	if old, ok := apps[id]; ok && old != secret {
		return fmt.Errorf("AppID %d is given two different secrets", id)
	}
	apps[id] = secret
	return nil
}

// faultsFlag collects repeated -fault kind[:count[:duration]].
type faultsFlag struct{ list *[]zegosim.Fault }

func (f faultsFlag) String() string { return "" }

func (f faultsFlag) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) > 3 {
		return errors.New("want kind[:count[:duration]]")
	}
	fault := zegosim.Fault{Kind: parts[0]}
	if len(parts) > 1 && parts[1] != "" {
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			return fmt.Errorf("count %q is not an integer", parts[1])
		}
		fault.Count = n
	}
	if len(parts) > 2 {
		d, err := time.ParseDuration(parts[2])
		if err != nil {
			return err
		}
		fault.Duration = d
	}
	if err := fault.Validate(); err != nil {
		return err
	}
	*f.list = append(*f.list, fault)
	return nil
}

// parseArgs parses and checks the command line. Help and errors go to stderr.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	o := options{apps: map[uint32]string{}}
	var (
		rawApps                                    []string
		delay, retention, granularity, clockOffset time.Duration
		perMinute, perDay                          int
	)
	fs := flag.NewFlagSet("zegosim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageTail)
	}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9300", "address to listen on, as `host:port`; port 0 picks a free port (see -addr-file)")
	fs.StringVar(&o.addrFile, "addr-file", "", "once listening, write the actual host:port to this `file` (removed on exit)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (needs -tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key `file` for -tls-cert")
	fs.Var(appsFlag{&rawApps}, "app", "accept AppID with its ServerSecret, as `ID:SECRET`; repeatable")
	fs.StringVar(&o.appFile, "app-file", "", "read ID:SECRET lines from `file` (# comments, blank lines ignored), keeping secrets out of the process list")
	fs.StringVar(&o.anySecret, "any-secret", "", "accept every AppID not given by -app/-app-file with this `secret`")
	fs.Int64Var(&o.cfg.Seed, "seed", 1, "seed of the simulated values: same seed, same data")
	fs.DurationVar(&delay, "delay", zegosim.DefaultDelay, "data publication delay: a point at t is served from t+delay on; 0 = none")
	fs.DurationVar(&retention, "retention", zegosim.DefaultRetention, "how far back points are kept")
	fs.DurationVar(&granularity, "granularity", zegosim.DefaultGranularity, "time between points, whole milliseconds (ZEGO's pages say 1s or 1m)")
	fs.Int64Var(&o.cfg.PhaseMs, "phase-ms", 0, "points sit at k*granularity + phase-ms (ZEGO's example timestamps are not whole seconds)")
	fs.IntVar(&perMinute, "per-minute", zegosim.DefaultPerMinute, "quota: calls per AppID in any 60 s; 0 = no limit")
	fs.IntVar(&perDay, "per-day", zegosim.DefaultPerDay, "quota: calls per AppID in any 24 h; 0 = no limit")
	fs.DurationVar(&clockOffset, "clock-offset", 0, "skew the server clock by this much (e.g. 11m to trip the 10-minute Timestamp check)")
	fs.BoolVar(&o.cfg.Quirks, "quirks", false, "answer in ZEGO's quirky shapes: RequestId as a bare big number, some values as 1000.0,\nmetrics and points shuffled, an occasional repeated point")
	fs.Var(faultsFlag{&o.faults}, "fault", "inject a fault at start, as `kind[:count[:duration]]`, e.g. code500:2 or slow:1:30s\n(count 0 or none = until cleared); repeatable")
	fs.BoolVar(&o.verbose, "v", false, "log every request to stderr (never the secret, signature or nonce)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return options{}, err
		}
		return options{}, usageError{err} // flag has printed the error and the usage
	}
	fail := func(format string, a ...any) (options, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "zegosim: %v\nRun 'zegosim -help' for usage.\n", err)
		return options{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	for i, v := range rawApps {
		id, secret, err := parseApp(v)
		if err == nil {
			err = addApp(o.apps, id, secret)
		}
		if err != nil {
			return fail("-app #%d: %v", i+1, err) // the value is not quoted: it may hold a secret
		}
	}
	if o.appFile != "" {
		if err := readAppFile(o.appFile, o.apps); err != nil {
			return fail("-app-file: %v", err)
		}
	}
	if len(o.apps) == 0 && o.anySecret == "" {
		return fail("no credentials: give -app ID:SECRET, -app-file or -any-secret")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return fail("-tls-cert and -tls-key go together")
	}
	switch {
	case delay < 0:
		return fail("-delay %v is negative", delay)
	case retention <= 0:
		return fail("-retention must be positive")
	case granularity < time.Millisecond || granularity%time.Millisecond != 0:
		return fail("-granularity %v is not a positive whole number of milliseconds", granularity)
	case perMinute < 0 || perDay < 0:
		return fail("quotas cannot be negative (0 = no limit)")
	}

	o.cfg.Apps = o.apps
	o.cfg.AnySecret = o.anySecret
	o.cfg.Delay = orNone(delay)
	o.cfg.Retention = retention
	o.cfg.Granularity = granularity
	o.cfg.PerMinute = int(orNone(time.Duration(perMinute)))
	o.cfg.PerDay = int(orNone(time.Duration(perDay)))
	o.cfg.ClockOffset = clockOffset
	return o, nil
}

// orNone maps the command line's 0 ("none") to the library's negative
// ("none"); the library reads 0 as "default".
func orNone[T ~int64 | ~int](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

func readAppFile(path string, apps map[uint32]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, secret, err := parseApp(line)
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err) // the line itself may hold a secret: not quoted
		}
		if err := addApp(apps, id, secret); err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
	}
	return sc.Err()
}
