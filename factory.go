// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
)

// backfillSlots is how many backfills (see largeWindow) the receivers of one factory, that is
// of one collector, hold in memory at once.
const backfillSlots = 4

// NewFactory returns the factory of the zego receiver.
func NewFactory() receiver.Factory {
	slots := make(chan struct{}, backfillSlots)
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return newZegoReceiver(set, cfg.(*Config), next, slots)
		}, metadata.MetricsStability),
	)
}
