//go:generate bash scripts/mdatagen.sh

// Package zegoreceiver polls ZEGO's analytics API GetRealtimeUsage and
// turns every usage point into a gauge data point at its own timestamp,
// exactly once, within the AppID's call quota.
package zegoreceiver // import "github.com/zego-otel/zegoreceiver"
