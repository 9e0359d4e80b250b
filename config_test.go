package zegoreceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
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
			name: "defaults",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "https://analytics-api.zego.im", cfg.Endpoint)
				assert.Equal(t, 30*time.Second, cfg.Timeout)
				assert.Equal(t, uint32(12345), cfg.AppID)
				assert.Equal(t, configopaque.String("s3cr3t"), cfg.ServerSecret)
				assert.Nil(t, cfg.IsTest, "IsTest must not be sent unless configured")
				assert.Equal(t, 3*time.Minute, cfg.CollectionInterval)
				assert.Equal(t, time.Second, cfg.InitialDelay)
				assert.Equal(t, 3*time.Minute, cfg.DataDelay)
				assert.Equal(t, 3*time.Minute, cfg.InitialLookback)
				assert.Equal(t, QuotaConfig{PerMinute: 3, PerDay: 480}, cfg.Quota)
				assert.Nil(t, cfg.StorageID)
				assert.Nil(t, cfg.LeaderElector)
				assert.Len(t, apiSpecs[0].enabledMetrics(cfg.Metrics), 6, "usage metrics are on by default")
				assert.Empty(t, apiSpecs[1].enabledMetrics(cfg.Metrics), "quality metrics are off by default")
				assert.True(t, cfg.ResourceAttributes.ZegoAppID.Enabled)
			},
		},
		{
			name: "custom",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "https://analytics-api-sgp.zego.im", cfg.Endpoint)
				assert.Equal(t, 10*time.Second, cfg.Timeout)
				assert.Equal(t, uint32(4000000000), cfg.AppID)
				assert.Equal(t, &falseValue, cfg.IsTest)
				assert.Equal(t, 5*time.Minute, cfg.CollectionInterval)
				assert.Equal(t, 10*time.Second, cfg.InitialDelay)
				assert.Equal(t, 4*time.Minute, cfg.DataDelay)
				assert.Equal(t, 2*time.Hour, cfg.InitialLookback)
				assert.Equal(t, QuotaConfig{PerMinute: 2, PerDay: 300}, cfg.Quota)
				assert.Equal(t, &storageID, cfg.StorageID)
				assert.Equal(t, &electorID, cfg.LeaderElector)
				assert.False(t, cfg.Metrics.ZegoRealtimeMixConcurrent.Enabled)
				assert.Len(t, apiSpecs[0].enabledMetrics(cfg.Metrics), 5)
				assert.Equal(t, []string{"uplink_rtt"}, apiNames(apiSpecs[1].enabledMetrics(cfg.Metrics)))
				val, ok := cfg.Headers.Get("X-Team")
				assert.True(t, ok)
				assert.Equal(t, configopaque.String("platform"), val)
			},
		},
		{
			name: "raised_quota",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 20*time.Second, cfg.CollectionInterval)
				assert.Equal(t, 4320, cfg.Quota.PerDay)
			},
		},
		{
			// With every usage metric off, only GetRealtimeQuality is called, so only its quota counts.
			name: "quality_only",
			check: func(t *testing.T, cfg *Config) {
				assert.Empty(t, apiSpecs[0].enabledMetrics(cfg.Metrics))
				assert.Len(t, apiSpecs[1].enabledMetrics(cfg.Metrics), 8)
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
		name string
		// wantErrs are sentinels that must all be in the joined error.
		wantErrs []error
		// wantMsgs are substrings that must all be in its message.
		wantMsgs []string
	}{
		{
			name:     "missing_credentials",
			wantErrs: []error{errMissingAppID, errMissingServerSecret},
			wantMsgs: []string{"app_id is required", "server_secret is required"},
		},
		{
			name:     "interval_over_daily_quota",
			wantErrs: []error{errIntervalOverQuota},
			wantMsgs: []string{"collection_interval 1m0s would make 1440 GetRealtimeUsage calls a day, quota.per_day is 480: use 3m0s or more"},
		},
		{
			name:     "quality_over_daily_quota",
			wantErrs: []error{errIntervalOverQuota},
			wantMsgs: []string{"would make 1440 GetRealtimeUsage calls a day", "would make 1440 GetRealtimeQuality calls a day"},
		},
		{
			name:     "interval_over_minute_quota",
			wantErrs: []error{errIntervalOverQuota},
			wantMsgs: []string{"collection_interval 10s would make 6 GetRealtimeUsage calls a minute, quota.per_minute is 3: use 20s or more"},
		},
		{
			name:     "quota_below_one",
			wantErrs: []error{errQuotaTooLow},
			wantMsgs: []string{"quota.per_minute 0", "quota.per_day -1", "at least 1"},
		},
		{
			name:     "negative_durations",
			wantErrs: []error{errNegativeDuration},
			wantMsgs: []string{"data_delay -1s", "initial_delay -1s"},
		},
		{
			name:     "lookback_too_long",
			wantErrs: []error{errLookbackOutOfRange},
			wantMsgs: []string{"initial_lookback must be between 0 and 2h0m0s", "got 3h0m0s"},
		},
		{
			name:     "lookback_negative",
			wantErrs: []error{errLookbackOutOfRange},
			wantMsgs: []string{"got -1m0s"},
		},
		{
			name:     "bad_endpoint",
			wantMsgs: []string{`endpoint "analytics-api.zego.im" is not an http:// or https:// URL with a host`},
		},
		{
			name:     "ftp_endpoint",
			wantMsgs: []string{`endpoint "ftp://analytics-api.zego.im" is not`},
		},
		{
			name:     "no_metric_enabled",
			wantErrs: []error{errNoMetricEnabled},
		},
		{
			name:     "unknown_metric",
			wantErrs: []error{errUnknownMetric},
			wantMsgs: []string{`"zego.realtime.online_users" (did you mean "zego.realtime.online_user"?)`, "known metrics: zego.realtime.publish_concurrent"},
		},
		{
			name:     "zero_timeout_and_interval",
			wantErrs: []error{errNonPositive},
			wantMsgs: []string{"timeout 0s", "collection_interval 0s"},
		},
		{
			name: "everything_wrong",
			wantErrs: []error{
				errMissingAppID, errMissingServerSecret, errIntervalOverQuota,
				errNegativeDuration, errLookbackOutOfRange, errUnknownMetric,
			},
			wantMsgs: []string{`did you mean "zego.realtime.publish_concurrent"?`, `endpoint "not a url"`},
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
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// Every problem is reported, each on its own line, so a user fixes them in one go.
func TestValidateReportsEveryProblemOnce(t *testing.T) {
	err := confmap.Validate(loadTestConfig(t, "everything_wrong"))
	require.Error(t, err)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	msg := err.Error()
	assert.Equal(t, 1, strings.Count(msg, "app_id is required"))
	assert.Equal(t, 1, strings.Count(msg, "would make 1440 GetRealtimeUsage calls a day"))
}

func TestDefaultConfigNeedsOnlyCredentials(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.ErrorIs(t, err, errMissingAppID)
	assert.ErrorIs(t, err, errMissingServerSecret)

	cfg.AppID = 1
	cfg.ServerSecret = "x"
	assert.NoError(t, confmap.Validate(cfg))
}

func TestServerSecretIsOpaque(t *testing.T) {
	cfg := loadTestConfig(t, "defaults")
	assert.NotContains(t, cfg.ServerSecret.String(), "s3cr3t")
	assert.NotContains(t, cfg.ServerSecret.GoString(), "s3cr3t")
}
