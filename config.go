// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

const (
	defaultCollectionInterval = 3*time.Minute + time.Second // see skipFreeInterval
	defaultInitialDelay       = time.Second
	defaultTimeout            = 30 * time.Second
	defaultDataDelay          = 3 * time.Minute
	defaultInitialLookback    = 3 * time.Minute
	defaultLateWindow         = 10 * time.Minute
	defaultQuotaPerMinute     = 3
	defaultQuotaPerDay        = 480
)

var (
	errMissingAppID        = errors.New("app_id is required: the numeric App ID from the ZEGO console")
	errMissingServerSecret = errors.New("server_secret or server_secret_file is required: the ServerSecret from the ZEGO console, e.g. server_secret_file: /var/run/secrets/otelcol-zego/server_secret")
	errTwoServerSecrets    = errors.New("server_secret and server_secret_file are both set: keep one (server_secret_file is read before each call, so a rotation needs no restart)")
	errNoMetricEnabled     = errors.New("metrics: every metric is disabled, so the receiver would call the API for nothing; enable at least one")
	errUnknownMetric       = errors.New("metrics: unknown metric")
	errQuotaTooLow         = errors.New("quota values must be at least 1")
	errIntervalOverQuota   = errors.New("collection_interval exceeds the quota")
	errNegativeDuration    = errors.New("must not be negative")
	errLookbackOutOfRange  = errors.New("initial_lookback must be between 0 and 2h0m0s, ZEGO's retention")
	errNonPositive         = errors.New("must be positive")
	errLateWindow          = errors.New("late_window out of range")
	errNoPlatform          = errors.New("name at least one of all, native, web")
	errBadPlatform         = errors.New("must be one of all, native, web, each once")
	errBadTimestamps       = errors.New("must be collection (each day once, stamped when received: what stock Prometheus and Datadog take) or day (each day at its 00:00 in time_zone)")
	errBadTimeZone         = errors.New("must be an IANA time zone name, the zone ZEGO's days are in, e.g. Asia/Shanghai")
	errBadLookbackDays     = errors.New("must be between 1 and 90, the most days a ZEGO plan keeps")
)

const (
	defaultDailyTimeZone     = "Asia/Shanghai"
	defaultDailyLookbackDays = 7
	defaultDailyInterval     = time.Hour
)

// platforms are the values of GetRegionQualityDetail's Platform.
var platforms = []string{"all", "native", "web"}

// QuotaConfig is the call quota ZEGO grants the App ID for each interface (each of ZEGO's pages
// states its own limits). The receiver never exceeds it; lower it to leave headroom for other
// callers of the same App ID.
type QuotaConfig struct {
	PerMinute int `mapstructure:"per_minute"`
	PerDay    int `mapstructure:"per_day"`
}

// RegionQualityConfig sets up GetRegionQualityDetail.
type RegionQualityConfig struct {
	// Platforms are called once each a poll, each with its own cursor, against the interface's
	// one quota: all, native, web.
	Platforms []string `mapstructure:"platforms"`
	// Regions keeps only the regions listed, by ZEGO's name or ISO 3166-1 code; empty: all.
	Regions []string `mapstructure:"regions"`
	// CollectionInterval is the time between its polls; 0: the longer of collection_interval and
	// the shortest interval at which every call of a poll fits the quota.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
}

// DailyConfig sets up GetBizUsage and GetBizQuality, called when a zego.daily.* metric is
// enabled: one value a day, published the next day (docs/daily.md).
type DailyConfig struct {
	// Timestamps is collection (each day's value once, stamped when the receiver first gets it)
	// or day (each day's value once, stamped at 00:00 of that day in TimeZone).
	Timestamps string `mapstructure:"timestamps"`
	// TimeZone is the IANA name of the zone ZEGO's days are in.
	TimeZone string `mapstructure:"time_zone"`
	// LookbackDays is how many days, up to yesterday, the first poll asks for.
	LookbackDays int `mapstructure:"lookback_days"`
	// CollectionInterval is the time between polls while a day is missing.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
}

// Config is the zego receiver's configuration.
type Config struct {
	// ClientConfig carries endpoint, timeout (per request), tls, proxy_url,
	// headers and every other Collector HTTP-client key.
	confighttp.ClientConfig `mapstructure:",squash"`

	// CollectionInterval is the time between polls.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// InitialDelay is the time between Start and the first poll.
	InitialDelay time.Duration `mapstructure:"initial_delay"`

	AppID        uint32              `mapstructure:"app_id"`
	ServerSecret configopaque.String `mapstructure:"server_secret"`
	// ServerSecretFile is a file holding the ServerSecret (one trailing newline ignored), read
	// before each call: a rotated secret is used without a restart. Either it or ServerSecret.
	ServerSecretFile string `mapstructure:"server_secret_file"`
	// IsTest, when set, is sent as IsTest: projects created on or before
	// 2021-11-16 default to the test environment without it.
	IsTest *bool `mapstructure:"is_test"`

	// DataDelay is ZEGO's publication delay: the newest point asked for is now - DataDelay.
	DataDelay time.Duration `mapstructure:"data_delay"`
	// InitialLookback is how far before now - DataDelay the first poll starts when
	// there is no checkpoint.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// LateWindow is how far behind its cursor each poll asks again, for points ZEGO published
	// later than DataDelay; 0 turns it off.
	LateWindow time.Duration `mapstructure:"late_window"`

	Quota QuotaConfig `mapstructure:"quota"`

	// RegionQuality sets up GetRegionQualityDetail, called when a zego.region.* metric is enabled.
	RegionQuality RegionQualityConfig `mapstructure:"region_quality"`

	// Daily sets up GetBizUsage and GetBizQuality, called when a zego.daily.* metric is enabled.
	Daily DailyConfig `mapstructure:"daily"`

	// StorageID names a storage extension that keeps the cursor and the quota
	// ledger across restarts (and, when shared, across leader handoffs).
	StorageID *component.ID `mapstructure:"storage"`
	// LeaderElector names a k8s_leader_elector extension: the receiver then polls only while
	// it holds the lease.
	LeaderElector *component.ID `mapstructure:"k8s_leader_elector"`

	metadata.MetricsBuilderConfig `mapstructure:",squash"`

	// unknownMetrics are names under metrics: that this receiver does not
	// emit, kept so Validate can report them with every other problem.
	unknownMetrics []string
}

var (
	_ component.Config    = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
	_ confmap.Marshaler   = Config{}
)

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Endpoint = zegoapi.DefaultEndpoint
	client.Timeout = defaultTimeout
	return &Config{
		ClientConfig:       client,
		CollectionInterval: defaultCollectionInterval,
		InitialDelay:       defaultInitialDelay,
		DataDelay:          defaultDataDelay,
		InitialLookback:    defaultInitialLookback,
		LateWindow:         defaultLateWindow,
		Quota:              QuotaConfig{PerMinute: defaultQuotaPerMinute, PerDay: defaultQuotaPerDay},
		RegionQuality:      RegionQualityConfig{Platforms: []string{"all"}},
		Daily: DailyConfig{
			Timestamps: stampCollection, TimeZone: defaultDailyTimeZone,
			LookbackDays: defaultDailyLookbackDays, CollectionInterval: defaultDailyInterval,
		},
		MetricsBuilderConfig: metadata.NewDefaultMetricsBuilderConfig(),
	}
}

// Unmarshal takes unknown metric names out of the config before decoding, so
// that a typo is reported by Validate next to every other problem instead of
// stopping the decoder at the first one.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if metrics, ok := conf.Get("metrics").(map[string]any); ok {
		known := metricNames()
		for name := range metrics {
			if !slices.Contains(known, name) {
				cfg.unknownMetrics = append(cfg.unknownMetrics, name)
				conf.Delete("metrics" + confmap.KeyDelimiter + name)
			}
		}
		sort.Strings(cfg.unknownMetrics)
	}
	return conf.Unmarshal(cfg)
}

// Marshal writes the configuration less the metrics and the settings of the interfaces it does
// not call. The Collector keeps every component's marshaled configuration for its whole run, at
// about 0.7 KiB a key: with 1,000 receivers, those of interfaces left off took 14 MiB of heap and
// twice that resident (BENCHMARKS.md). confmap finds Marshal on the value, and does not call it
// again for the struct marshaled inside.
func (cfg Config) Marshal(conf *confmap.Conf) error {
	if err := conf.Marshal(cfg); err != nil {
		return err
	}
	enabled := enabledMetrics(cfg.Metrics)
	used := map[string]bool{} // settings that a called interface shares with one not called
	for _, spec := range apiSpecs {
		used[spec.settings] = used[spec.settings] || spec.called(enabled)
	}
	for _, spec := range apiSpecs {
		if spec.called(enabled) {
			continue
		}
		for _, name := range spec.metrics {
			conf.Delete("metrics" + confmap.KeyDelimiter + name)
		}
		if spec.settings != "" && !used[spec.settings] {
			conf.Delete(spec.settings)
		}
	}
	return nil
}

// Validate reports every problem at once, each naming the key, the value and the limit.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.AppID == 0 {
		errs = append(errs, errMissingAppID)
	}
	switch {
	case cfg.ServerSecret == "" && cfg.ServerSecretFile == "":
		errs = append(errs, errMissingServerSecret)
	case cfg.ServerSecret != "" && cfg.ServerSecretFile != "":
		errs = append(errs, errTwoServerSecrets)
	}
	if _, err := zegoapi.NewClient(nil, zegoapi.Config{Endpoint: cfg.Endpoint}); err != nil {
		errs = append(errs, err)
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %v: %w", cfg.Timeout, errNonPositive))
	}
	if cfg.InitialDelay < 0 {
		errs = append(errs, fmt.Errorf("initial_delay %v: %w", cfg.InitialDelay, errNegativeDuration))
	}
	if cfg.DataDelay < 0 {
		errs = append(errs, fmt.Errorf("data_delay %v: %w", cfg.DataDelay, errNegativeDuration))
	}
	if cfg.InitialLookback < 0 || cfg.InitialLookback > 2*time.Hour {
		errs = append(errs, fmt.Errorf("%w, got %v", errLookbackOutOfRange, cfg.InitialLookback))
	}
	errs = append(errs, cfg.validateRegionQuality()...)
	errs = append(errs, cfg.validateDaily()...)
	errs = append(errs, cfg.validateQuota()...)
	errs = append(errs, cfg.validateMetrics()...)
	return errors.Join(errs...)
}

func (cfg *Config) validateQuota() []error {
	var errs []error
	if cfg.Quota.PerMinute < 1 {
		errs = append(errs, fmt.Errorf("quota.per_minute %d: %w", cfg.Quota.PerMinute, errQuotaTooLow))
	}
	if cfg.Quota.PerDay < 1 {
		errs = append(errs, fmt.Errorf("quota.per_day %d: %w", cfg.Quota.PerDay, errQuotaTooLow))
	}
	if cfg.CollectionInterval <= 0 {
		return append(errs, fmt.Errorf("collection_interval %v: %w", cfg.CollectionInterval, errNonPositive))
	}
	if len(errs) > 0 {
		return errs
	}
	enabled := enabledMetrics(cfg.Metrics)
	for _, spec := range apiSpecs {
		if !spec.called(enabled) { // an interface never called has no quota to fit
			continue
		}
		s := spec.schedule(cfg, enabled, zap.NewNop())
		if s.interval <= 0 { // validateDaily names it
			continue
		}
		errs = append(errs, cfg.checkInterval(s.intervalKey, s.interval, spec.action, max(1, len(s.requests)))...)
		tm := s.timing
		if most := tm.retention - retentionMargin; tm.lateWindow < 0 || tm.lateWindow > most {
			errs = append(errs, fmt.Errorf("%w: late_window %v: %s keeps its points %v, so at most %v (0 turns it off)", errLateWindow, tm.lateWindow, spec.action, tm.retention, most))
		}
	}
	return errs
}

// regionInterval is GetRegionQualityDetail's interval: as set, or else the longer of
// collection_interval and the shortest interval at which every call of a poll fits the quota.
func (cfg *Config) regionInterval() time.Duration {
	if cfg.RegionQuality.CollectionInterval > 0 {
		return cfg.RegionQuality.CollectionInterval
	}
	calls := max(1, len(cfg.RegionQuality.Platforms))
	_, perMinute := skipFreeInterval(time.Minute, cfg.Quota.PerMinute, calls, cfg.Timeout)
	_, perDay := skipFreeInterval(day, cfg.Quota.PerDay, calls, cfg.Timeout)
	return max(cfg.CollectionInterval, perMinute, perDay)
}

func (cfg *Config) validateRegionQuality() []error {
	var errs []error
	rq := cfg.RegionQuality
	if len(rq.Platforms) == 0 {
		errs = append(errs, fmt.Errorf("region_quality::platforms: %w", errNoPlatform))
	}
	for i, p := range rq.Platforms {
		if !slices.Contains(platforms, p) || slices.Index(rq.Platforms, p) < i {
			errs = append(errs, fmt.Errorf("region_quality::platforms[%d] %q: %w", i, p, errBadPlatform))
		}
	}
	if rq.CollectionInterval < 0 {
		errs = append(errs, fmt.Errorf("region_quality::collection_interval %v: %w", rq.CollectionInterval, errNegativeDuration))
	}
	return errs
}

func (cfg *Config) validateDaily() []error {
	var errs []error
	d := cfg.Daily
	if d.Timestamps != stampCollection && d.Timestamps != stampDay {
		errs = append(errs, fmt.Errorf("daily::timestamps %q: %w", d.Timestamps, errBadTimestamps))
	}
	if _, err := time.LoadLocation(d.TimeZone); err != nil || d.TimeZone == "" || d.TimeZone == "Local" {
		errs = append(errs, fmt.Errorf("daily::time_zone %q: %w", d.TimeZone, errBadTimeZone))
	}
	if d.LookbackDays < 1 || d.LookbackDays > int(planRetentions[0]/day) {
		errs = append(errs, fmt.Errorf("daily::lookback_days %d: %w", d.LookbackDays, errBadLookbackDays))
	}
	if d.CollectionInterval <= 0 {
		errs = append(errs, fmt.Errorf("daily::collection_interval %v: %w", d.CollectionInterval, errNonPositive))
	}
	return errs
}

// checkInterval accepts interval for action, whose polls make calls calls each, only if the
// quota ledger lets every one of them through; else it says why and names the shortest interval
// that does.
func (cfg *Config) checkInterval(key string, interval time.Duration, action zegoapi.Action, calls int) []error {
	var errs []error
	for _, q := range []struct {
		window time.Duration
		limit  int
		key    string
	}{{time.Minute, cfg.Quota.PerMinute, "quota.per_minute"}, {day, cfg.Quota.PerDay, "quota.per_day"}} {
		span, least := skipFreeInterval(q.window, q.limit, calls, cfg.Timeout)
		switch {
		case q.limit < calls:
			errs = append(errs, fmt.Errorf("%w: %s %d is less than the %d %s calls of each poll (one per platform)", errIntervalOverQuota, q.key, q.limit, calls, action))
		case interval < least:
			what, slack := fmt.Sprintf("%d %s calls", q.limit, action), fmt.Sprintf("timeout %v", cfg.Timeout)
			if calls > 1 {
				what = fmt.Sprintf("%d polls of %d %s calls (one per platform)", q.limit/calls, calls, action)
				slack = fmt.Sprintf("timeout %v for each call of a poll", cfg.Timeout)
			}
			errs = append(errs, fmt.Errorf("%w: %s %v: %s %d allows %s in any %v (%v plus %s, as ZEGO meters a call when it arrives), so some polls would be skipped: use %v or more",
				errIntervalOverQuota, key, interval, q.key, q.limit, what, span, q.window, slack, least))
		}
	}
	return errs
}

// skipFreeInterval is the shortest interval, in whole seconds, at which the quota ledger lets
// every call through when each poll makes calls calls in a row against limit calls a window.
// The ledger counts a call over window plus timeout (ZEGO meters it on arrival, up to a timeout
// after it was sent), and a poll's calls spread over up to one timeout each: over that span,
// limit/calls polls fit, so polls must be more than span/(limit/calls) apart.
func skipFreeInterval(window time.Duration, limit, calls int, timeout time.Duration) (span, least time.Duration) {
	span = window + time.Duration(calls)*timeout
	if limit < calls {
		return span, 0
	}
	return span, (span / time.Duration(limit/calls)).Truncate(time.Second) + time.Second
}

func (cfg *Config) validateMetrics() []error {
	var errs []error
	known := metricNames()
	for _, name := range cfg.unknownMetrics {
		hint := ""
		if guess := closestName(name, known); guess != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", guess)
		}
		errs = append(errs, fmt.Errorf("%w %q%s; known metrics: %s", errUnknownMetric, name, hint, strings.Join(known, ", ")))
	}
	if !slices.Contains(slices.Collect(maps.Values(enabledMetrics(cfg.Metrics))), true) {
		errs = append(errs, errNoMetricEnabled)
	}
	return errs
}

// closestName suggests the known name a typo most likely meant, by edit distance.
func closestName(name string, known []string) string {
	best, bestDist := "", len(name)/2+1
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
