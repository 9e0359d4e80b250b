// Command zegosim serves a local simulator of ZEGO's analytics API
// GetRealtimeUsage, so the receiver can run without ZEGO credentials. Run
// "zegosim -help" for the flags and the admin endpoints.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	err := run(os.Args[1:], os.Stdout, os.Stderr, stop)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		os.Exit(2) // already reported with a hint
	default:
		fmt.Fprintln(os.Stderr, "zegosim:", err)
		os.Exit(1)
	}
}
