// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// collectorBin is the absolute path of the otelcol-zego binary under test.
var collectorBin string

func TestMain(m *testing.M) {
	path := os.Getenv("OTELCOL_ZEGO_BIN")
	if path == "" {
		path = filepath.Join("..", "bin", "otelcol-zego")
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		var info os.FileInfo
		if info, err = os.Stat(abs); err == nil && (info.IsDir() || info.Mode()&0o111 == 0) { //nolint:gosec // G703: the binary the test suite runs, named by OTELCOL_ZEGO_BIN
			err = fmt.Errorf("%s is not an executable file", abs)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the collector binary is missing (%v).\n"+
			"Run `make build` first, or point OTELCOL_ZEGO_BIN at an otelcol-zego binary.\n", err)
		os.Exit(1)
	}
	collectorBin = abs
	os.Exit(m.Run())
}
