// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

func TestParse(t *testing.T) {
	var stderr strings.Builder
	o, err := parse(strings.Fields("-listen 127.0.0.1:0 -addr-file a -app 12345:s3cret -app 7:x -delay 5s -per-minute 30 -per-day 0 -granularity 1m -quirks -late-every 20 -v -daily-zone UTC -daily-publish-at 0 -daily-retention-days 7"), &stderr)
	require.NoError(t, err)
	assert.Equal(t, options{listen: "127.0.0.1:0", addrFile: "a", verbose: true, dailyZone: "UTC", cfg: zegosim.Config{
		Apps: map[uint32]string{12345: "s3cret", 7: "x"}, Seed: 1, Delay: 5 * time.Second, Retention: 2 * time.Hour,
		Granularity: time.Minute, PerMinute: 30, PerDay: -1, Quirks: true, LateEvery: 20, LateBy: 8 * time.Second,
		DailyPublishAt: -1, DailyRetentionDays: 7,
	}}, o)
	assert.Empty(t, stderr.String())

	for _, args := range []string{
		"-app 12345=hunter2",
		"-app x:hunter2",
		"-app 4294967296:hunter2 -app 1:ok",
		"-any-secret hunter2 -tls-cert c.pem",
		"-any-secret hunter2 extra",
		"-delay soon -any-secret hunter2",
		"-any-secret hunter2 -daily-zone Mars/Olympus_Mons",
		"-any-secret hunter2 -daily-retention-days 0",
		"",
	} {
		stderr.Reset()
		_, err := parse(strings.Fields(args), &stderr)
		assert.Error(t, err, args)
		assert.Contains(t, stderr.String(), "zegosim", args)
		assert.NotContains(t, stderr.String(), "hunter2", args)
	}
}
