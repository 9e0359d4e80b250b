// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

func loadTestConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadValidConfigs(t *testing.T) {
	falseValue := false
	storageID := component.MustNewIDWithName("redis_storage", "zego")
	electorID := component.MustNewID("k8s_leader_elector")

	tests := []struct {
		name  string
		check func(t *testing.T, cfg *Config)
	}{
		{
			// The defaults in effect: TestStartSaysThePlanFirst's plan.
			name: "defaults",
			check: func(t *testing.T, cfg *Config) {
				want := createDefaultConfig().(*Config)
				want.AppID, want.ServerSecret = 12345, "s3cr3t"
				assert.Equal(t, want, cfg)
				assert.Nil(t, cfg.IsTest, "IsTest must not be sent unless configured")
			},
		},
		{
			name: "custom",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "https://analytics-api-sgp.zego.im", cfg.Endpoint)
				assert.Equal(t, 10*time.Second, cfg.Timeout)
				assert.Equal(t, uint32(4000000000), cfg.AppID)
				assert.Equal(t, "/etc/otelcol-zego/secret/server_secret", cfg.ServerSecretFile)
				assert.Equal(t, &falseValue, cfg.IsTest)
				assert.Equal(t, 5*time.Minute, cfg.CollectionInterval)
				assert.Equal(t, 10*time.Second, cfg.InitialDelay)
				assert.Equal(t, 4*time.Minute, cfg.DataDelay)
				assert.Equal(t, 2*time.Hour, cfg.InitialLookback)
				assert.Equal(t, QuotaConfig{PerMinute: 2, PerDay: 300}, cfg.Quota)
				assert.Equal(t, &storageID, cfg.StorageID)
				assert.Equal(t, &electorID, cfg.LeaderElector)
				assert.False(t, cfg.Metrics.ZegoRealtimeMixConcurrent.Enabled)
				assert.Len(t, asked(cfg, zegoapi.ActionUsage), 5)
				assert.Equal(t, []string{"uplink_rtt"}, asked(cfg, zegoapi.ActionQuality))
				val, ok := cfg.Headers.Get("X-Team")
				assert.True(t, ok)
				assert.Equal(t, configopaque.String("platform"), val)
			},
		},
		{
			name: "raised_quota",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 21*time.Second, cfg.CollectionInterval)
				assert.Equal(t, 4320, cfg.Quota.PerDay)
			},
		},
		{
			// Three platforms: by default, GetRegionQualityDetail polls three times slower, so
			// that its three calls a poll fit the quota too.
			name: "region_quality",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, RegionQualityConfig{Platforms: []string{"all", "native", "web"}, Regions: []string{"中国", "BR"}}, cfg.RegionQuality)
				assert.Equal(t, 9*time.Minute+time.Second, cfg.regionInterval())
			},
		},
		{
			// With every usage metric off, only GetRealtimeQuality is called, so only its quota counts.
			name: "quality_only",
			check: func(t *testing.T, cfg *Config) {
				assert.Empty(t, asked(cfg, zegoapi.ActionUsage))
				assert.Len(t, asked(cfg, zegoapi.ActionQuality), 8)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadTestConfig(t, tt.name)
			require.NoError(t, confmap.Validate(cfg))
			tt.check(t, cfg)
		})
	}
}

func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		name     string
		wantErrs []error  // sentinels, all in the joined error
		wantMsgs []string // substrings, each once in its message
	}{
		{"missing_credentials", []error{errMissingAppID, errMissingServerSecret}, []string{"app_id is required", "server_secret or server_secret_file is required"}},
		{"two_secrets", []error{errTwoServerSecrets}, []string{"server_secret and server_secret_file are both set: keep one"}},
		{"interval_over_daily_quota", []error{errIntervalOverQuota}, []string{"collection_interval 1m0s: quota.per_day 480 allows 480 GetRealtimeUsage calls in any 24h0m30s (24h0m0s plus timeout 30s, as ZEGO meters a call when it arrives), so some polls would be skipped: use 3m1s or more"}},
		{"quality_over_daily_quota", []error{errIntervalOverQuota}, []string{"allows 480 GetRealtimeUsage calls in any 24h0m30s", "allows 480 GetRealtimeQuality calls in any 24h0m30s"}},
		// The advice is what the ledger does: at 20s, a third of the polls would be skipped.
		{"interval_over_minute_quota", []error{errIntervalOverQuota}, []string{"collection_interval 20s: quota.per_minute 3 allows 3 GetRealtimeUsage calls in any 1m30s (1m0s plus timeout 30s, as ZEGO meters a call when it arrives), so some polls would be skipped: use 31s or more"}},
		{"region_platforms_over_quota", []error{errIntervalOverQuota}, []string{"region_quality::collection_interval 3m1s: quota.per_day 480 allows 240 polls of 2 GetRegionQualityDetail calls (one per platform) in any 24h1m0s (24h0m0s plus timeout 30s for each call of a poll, as ZEGO meters a call when it arrives), so some polls would be skipped: use 6m1s or more"}},
		{"region_bad_platforms", []error{errBadPlatform}, []string{`region_quality::platforms[1] "mobile"`, `region_quality::platforms[2] "all"`}},
		{"quota_below_one", []error{errQuotaTooLow}, []string{"quota.per_minute 0: quota values must be at least 1", "quota.per_day -1: quota values must be at least 1"}},
		{"negative_durations", []error{errNegativeDuration}, []string{"data_delay -1s", "initial_delay -1s"}},
		{"lookback_too_long", []error{errLookbackOutOfRange}, []string{"initial_lookback must be between 0 and 2h0m0s", "got 3h0m0s"}},
		{"late_window_too_long", []error{errLateWindow}, []string{"late_window 1h0m0s: GetRegionQualityDetail keeps its points 1h0m0s, so at most 59m0s (0 turns it off)"}},
		{"lookback_negative", []error{errLookbackOutOfRange}, []string{"got -1m0s"}},
		{"bad_endpoint", nil, []string{`endpoint "analytics-api.zego.im" is not an http:// or https:// URL with a host`}},
		{"ftp_endpoint", nil, []string{`endpoint "ftp://analytics-api.zego.im" is not`}},
		{"no_metric_enabled", []error{errNoMetricEnabled}, nil},
		{"unknown_metric", []error{errUnknownMetric}, []string{`"zego.realtime.online_users" (did you mean "zego.realtime.online_user"?)`, "; known metrics: zego.", " zego.realtime.audio_break_rate, "}},
		{"zero_timeout_and_interval", []error{errNonPositive}, []string{"timeout 0s", "collection_interval 0s"}},
		// Every problem is reported, once, so a user fixes them in one go.
		{
			"everything_wrong",
			[]error{errMissingAppID, errMissingServerSecret, errIntervalOverQuota, errNegativeDuration, errLookbackOutOfRange, errUnknownMetric},
			[]string{`did you mean "zego.realtime.publish_concurrent"?`, `endpoint "not a url"`, "app_id is required", "allows 480 GetRealtimeUsage calls in any 24h0m30s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadTestConfig(t, tt.name))
			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.ErrorIs(t, err, want)
			}
			for _, want := range tt.wantMsgs {
				assert.Equal(t, 1, strings.Count(err.Error(), want), "%q once", want)
			}
		})
	}
}

// asked is what a poll asks api for under cfg: the ZEGO names of its enabled metrics.
func asked(cfg *Config, api zegoapi.Action) []string {
	spec := apiSpecs[slices.IndexFunc(apiSpecs, func(s apiSpec) bool { return s.action == api })]
	return spec.schedule(cfg, enabledMetrics(cfg.Metrics), zap.NewNop()).requests[0].query(0, 0).Metrics
}

// The Collector keeps every receiver's marshaled configuration for its whole run, so the metrics
// and settings of an interface that is not called stay out of it; enabled, they are all there.
// Either way the configuration reads back the same.
func TestMarshalLeavesOutWhatIsNotCalled(t *testing.T) {
	for _, region := range []bool{false, true} {
		cfg := testConfig()
		cfg.Metrics.ZegoRegionVideoBreakRatio.Enabled = region
		conf := confmap.New()
		require.NoError(t, conf.Marshal(cfg))
		assert.Equal(t, region, conf.IsSet("region_quality"))
		assert.Equal(t, region, conf.IsSet("metrics::zego.region.audio_break.ratio"))
		assert.False(t, conf.IsSet("metrics::zego.realtime.video_break_rate"), "quality is off")
		assert.True(t, conf.IsSet("metrics::zego.realtime.online_user"))
		assert.Equal(t, "[REDACTED]", conf.Get("server_secret"))
		back := createDefaultConfig().(*Config)
		require.NoError(t, conf.Unmarshal(back))
		again := confmap.New()
		require.NoError(t, again.Marshal(back))
		assert.Equal(t, conf.ToStringMap(), again.ToStringMap())
		assert.Equal(t, cfg.RegionQuality, back.RegionQuality)
	}
}
