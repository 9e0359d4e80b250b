package zegosim

import (
	"math"
	"slices"
	"time"
)

// Metric names accepted in Metrics[].
const (
	MetricPublishConcurrent = "publish_concurrent"
	MetricPlayConcurrent    = "play_concurrent"
	MetricRoomConcurrent    = "room_concurrent"
	MetricOnlineUser        = "online_user"
	MetricMaxRoomUser       = "max_room_user"
	MetricMixConcurrent     = "mix_concurrent"
)

// metricNames is in ZEGO's documented order; a metric's index is part of its
// noise key, so never reorder it.
var metricNames = [...]string{
	MetricPublishConcurrent,
	MetricPlayConcurrent,
	MetricRoomConcurrent,
	MetricOnlineUser,
	MetricMaxRoomUser,
	MetricMixConcurrent,
}

const (
	iPublish = iota
	iPlay
	iRoom
	iOnline
	iMaxRoom
	iMix
	numMetrics
)

// MetricNames lists the six metrics in ZEGO's documented order.
func MetricNames() []string { return slices.Clone(metricNames[:]) }

func metricIndex(name string) (int, bool) {
	i := slices.Index(metricNames[:], name)
	return i, i >= 0
}

// Value is the value the simulator serves for metric at the point timestamp
// tsMs: a pure function of its arguments, so tests can compute what to
// expect. Unknown metrics give 0.
func Value(seed int64, appID uint32, metric string, tsMs int64) int64 {
	i, ok := metricIndex(metric)
	if !ok {
		return 0
	}
	return snapshot(seed, appID, tsMs)[i]
}

// profile is what makes one AppID's traffic look unlike another's.
type profile struct {
	peakUsers    float64 // online users at the daily peak
	roomSize     float64 // average users per room
	pubRatio     float64 // publishing streams per online user
	playPerPub   float64 // played streams per published stream (>= 1)
	mixRatio     float64 // mixing tasks per published stream
	bigRoomShare float64 // share of online users in the largest room
}

func appProfile(seed int64, appID uint32) profile {
	u := func(k uint64) float64 { return unit(hashOf(uint64(seed), uint64(appID), 0x9f0f11e, k)) }
	return profile{
		peakUsers:    200 * math.Exp2(8*u(0)), // 200 .. 51 200
		roomSize:     2 + 10*u(1),
		pubRatio:     0.15 + 0.35*u(2),
		playPerPub:   1.2 + 2.8*u(3),
		mixRatio:     0.02 + 0.08*u(4),
		bigRoomShare: 0.01 + 0.15*u(5),
	}
}

// diurnal is the daily shape in [0.15, 1]: lowest at 04:00 UTC, rising for
// 16 h to an evening peak at 20:00 UTC, falling for 8 h. Both halves are
// cosine ramps, so the curve is smooth at the joins.
func diurnal(tsMs int64) float64 {
	x := float64(floorMod(tsMs-4*3_600_000, 86_400_000)) / 3_600_000 // hours since 04:00
	var s float64
	if x < 16 {
		s = (1 - math.Cos(math.Pi*x/16)) / 2
	} else {
		s = (1 + math.Cos(math.Pi*(x-16)/8)) / 2
	}
	return 0.15 + 0.85*s
}

// wander is smooth noise in [-1, 1]: hashed knots every 10 minutes with
// cosine interpolation, so traffic drifts rather than jumps.
func wander(seed int64, appID uint32, tsMs int64) float64 {
	const knot = 600_000
	k := floorDiv(tsMs, knot)
	f := float64(tsMs-k*knot) / knot
	a := signedUnit(hashOf(uint64(seed), uint64(appID), 0x3a4de7, uint64(k)))
	b := signedUnit(hashOf(uint64(seed), uint64(appID), 0x3a4de7, uint64(k+1)))
	w := (1 - math.Cos(math.Pi*f)) / 2
	return a*(1-w) + b*w
}

// jitter is per-second noise in [1-amp, 1+amp) from (seed, appID, metric,
// second).
func jitter(seed int64, appID uint32, metric int, sec int64, amp float64) float64 {
	return 1 + amp*signedUnit(hashOf(uint64(seed), uint64(appID), uint64(metric), uint64(sec)))
}

// snapshot computes all six metrics at once, deriving each from online users
// and clamping, so the invariants hold at every timestamp:
// 0 <= max_room_user <= online_user, room_concurrent <= online_user,
// mix_concurrent <= publish_concurrent <= play_concurrent, and
// publish_concurrent <= online_user.
func snapshot(seed int64, appID uint32, tsMs int64) [numMetrics]int64 {
	p := appProfile(seed, appID)
	sec := floorDiv(tsMs, 1000)
	j := func(m int) float64 { return jitter(seed, appID, m, sec, 0.02) }
	round := func(f float64) int64 { return max(0, int64(math.Round(f))) }

	var v [numMetrics]int64
	online := round(p.peakUsers * diurnal(tsMs) * (1 + 0.1*wander(seed, appID, tsMs)) * j(iOnline))
	v[iOnline] = online

	rooms := min(online, round(float64(online)/p.roomSize*j(iRoom)))
	if online > 0 {
		rooms = max(rooms, 1) // someone online is in some room
	}
	v[iRoom] = rooms

	pub := min(online, round(float64(online)*p.pubRatio*j(iPublish)))
	v[iPublish] = pub
	v[iPlay] = max(pub, round(float64(pub)*p.playPerPub*j(iPlay)))
	v[iMix] = min(pub, round(float64(pub)*p.mixRatio*j(iMix)))

	// The largest room holds at least the average room.
	biggest := round(float64(online) * p.bigRoomShare * j(iMaxRoom))
	if rooms > 0 {
		biggest = max(biggest, (online+rooms-1)/rooms)
	}
	v[iMaxRoom] = min(online, biggest)
	return v
}

// PointTimes lists the point timestamps (ms) in (afterMs, untilMs] for a
// granularity (whole milliseconds; <= 0 means 1s) and phase, ascending: the
// times k*granularity + phaseMs. The caller bounds the range.
func PointTimes(afterMs, untilMs int64, granularity time.Duration, phaseMs int64) []int64 {
	g := granularity.Milliseconds()
	if g <= 0 {
		g = DefaultGranularity.Milliseconds()
	}
	if untilMs <= afterMs {
		return nil
	}
	phase := floorMod(phaseMs, g)
	first := (floorDiv(afterMs-phase, g)+1)*g + phase
	if first > untilMs {
		return nil
	}
	out := make([]int64, 0, (untilMs-first)/g+1)
	for t := first; t <= untilMs; t += g {
		out = append(out, t)
	}
	return out
}
