// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
)

// backfillSlots is how many backfills (see largeWindow) the receivers of one factory, that is
// of one collector, hold in memory at once.
const backfillSlots = 4

// NewFactory returns the factory of the zego receiver.
func NewFactory() receiver.Factory { return newFactory(clientFromConfig) }

// newFactory returns a factory whose receivers build their HTTP client with newClient.
func newFactory(newClient clientFunc) receiver.Factory {
	slots := make(chan struct{}, backfillSlots)
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return newZegoReceiver(set, cfg.(*Config), next, slots, newClient)
		}, metadata.MetricsStability),
	)
}

// clientFunc builds a receiver's HTTP client at Start.
type clientFunc func(ctx context.Context, host component.Host, cfg *Config, set component.TelemetrySettings) (*http.Client, error)

// clientFromConfig is the client the configuration describes: timeouts, TLS, proxy, headers.
func clientFromConfig(ctx context.Context, host component.Host, cfg *Config, set component.TelemetrySettings) (*http.Client, error) {
	return cfg.ToClient(ctx, host.GetExtensions(), set)
}
