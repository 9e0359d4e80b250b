// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate bash scripts/mdatagen.sh

// Package zegoreceiver polls ZEGO's real-time monitoring interfaces and
// turns every point into a gauge data point at its own timestamp, exactly
// once, within the App ID's call quota. ZEGO's API: docs/zego-api.md.
package zegoreceiver // import "github.com/zego-otel/zegoreceiver"
