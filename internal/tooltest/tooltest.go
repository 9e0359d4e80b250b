// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

// Package tooltest finds the outside programs that some tests need.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Path returns the path of the program name, for a test that cannot run without it. When it is
// missing, the test is skipped with one line that says how to get it, except under CI (CI=true),
// where nothing may be skipped and the test fails instead: scripts/test.sh installs the tools there.
func Path(tb testing.TB, name, install string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is missing, and under CI nothing may be skipped: %s", name, install)
	}
	tb.Skipf("needs %s, which is not installed (%s)", name, install)
	return ""
}
