package zegosim

import (
	"maps"
	"time"
)

// Defaults, from ZEGO's page for GetRealtimeUsage.
const (
	DefaultDelay       = 3 * time.Minute
	DefaultRetention   = 2 * time.Hour
	DefaultGranularity = time.Second
	DefaultPerMinute   = 3
	DefaultPerDay      = 480
)

// Config sets up a Server. The zero value of every field means its default.
type Config struct {
	// Apps maps each accepted AppID to its ServerSecret.
	Apps map[uint32]string
	// AnySecret, if non-empty, is the secret of every AppID not in Apps
	// (footprint tests with many AppIDs).
	AnySecret string
	// Seed makes the served values differ between runs that want them to.
	Seed int64
	// Delay is the publication delay: a point at t is served only once
	// now >= t + Delay. 0 means DefaultDelay; negative means no delay.
	Delay time.Duration
	// Retention: points older than now - Retention are gone. 0 (or negative)
	// means DefaultRetention.
	Retention time.Duration
	// Granularity is the time between points, in whole milliseconds: 1s
	// (ZEGO's Chinese page, the default) or 1m (its English page).
	Granularity time.Duration
	// PhaseMs places the points at k*Granularity + PhaseMs, as ZEGO's example
	// timestamps are not whole seconds.
	PhaseMs int64
	// PerMinute and PerDay are the quotas per AppID over any trailing 60 s
	// and 24 h. 0 means the default (3 and 480); negative means no limit.
	PerMinute int
	PerDay    int
	// ClockOffset skews the server's clock: server time = Now() + ClockOffset.
	ClockOffset time.Duration
	// Quirks answers in ZEGO's quirky shapes (RequestId as a bare big
	// number, some values as 1000.0, metrics and points shuffled, an
	// occasional repeated point), deterministically from Seed. Off: tidy,
	// sorted answers with a string RequestId.
	Quirks bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf, if set, gets one line per request. It never sees a secret or a
	// signature. It may be called from several goroutines at once.
	Logf func(format string, args ...any)
}

// withDefaults fills in the defaults and copies Apps, so a caller changing its
// map later cannot race with the server.
func (c Config) withDefaults() Config {
	switch {
	case c.Delay == 0:
		c.Delay = DefaultDelay
	case c.Delay < 0:
		c.Delay = 0
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	c.Granularity = c.Granularity.Truncate(time.Millisecond)
	if c.Granularity <= 0 {
		c.Granularity = DefaultGranularity
	}
	c.PhaseMs = floorMod(c.PhaseMs, c.Granularity.Milliseconds())
	if c.PerMinute == 0 {
		c.PerMinute = DefaultPerMinute
	}
	if c.PerDay == 0 {
		c.PerDay = DefaultPerDay
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Apps = maps.Clone(c.Apps)
	return c
}
