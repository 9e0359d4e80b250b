// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"encoding/json"
	"math"
	"strconv"
)

// RegionBlock is one of the distributions in GetRegionQualityDetail's entries: ZEGO's name for
// it, the metric it feeds (the receiver's zego.region.<Metric>.ratio and .samples), and the
// bucket that each of its Rate1, Rate2, ... is the share of (docs/zego-api.md).
type RegionBlock struct {
	Name, Metric string
	Buckets      []string
}

var (
	breakBuckets      = []string{"0%", "0-20%", "20-50%", "50-100%", "100%"}
	firstFrameBuckets = []string{"0-500ms", "500-1000ms", "1000-2000ms", "2000-5000ms", "5000ms+"}
)

// RegionBlocks are the distributions of an entry, in ZEGO's order.
var RegionBlocks = []*RegionBlock{
	{"P2pDelayDetail", "peer_to_peer_delay", []string{"0-400ms", "400-600ms", "600-800ms", "800ms+"}},
	{"P2pPlrDetail", "peer_to_peer_packet_loss", []string{"0%", "0-5%", "5-10%", "10-50%", "50-100%"}},
	{"VideoBreakDetail", "video_break", breakBuckets},
	{"AudioBreakDetail", "audio_break", breakBuckets},
	{"VideoFFTDetail", "video_first_frame", firstFrameBuckets},
	{"AudioFFTDetail", "audio_first_frame", firstFrameBuckets},
}

// RegionQuality is one region's quality over one minute (GetRegionQualityDetail).
type RegionQuality struct {
	TimestampMs int64
	Region      string // as ZEGO names it
	// Distributions are the blocks the entry has, in RegionBlocks' order. A block missing, null,
	// {} or [] (a platform that does not support it) is absent.
	Distributions []Distribution
	// LoginSuccessRate and LoginSuccessRate5s are LoginSuccessRateDetail's; nil when absent.
	LoginSuccessRate, LoginSuccessRate5s *float64
	// Invalid counts the blocks and fields present but unusable (a Total that is not a whole
	// number among them).
	Invalid int
}

// Distribution is one block of an entry: its sample count, when usable, and the share of each
// bucket it has.
type Distribution struct {
	Block    *RegionBlock
	Total    int64
	HasTotal bool
	Shares   []Share // in bucket order; a bucket without a usable Rate is left out
}

// Share is the fraction of a block's samples that fell into Bucket.
type Share struct {
	Bucket string
	Ratio  float64
}

// minute is an element of GetRegionQualityDetail's List; a QualityInfo element that is not an
// object decodes as nil, which has no Region: invalid.
type minute struct {
	Timestamp   any
	QualityInfo []map[string]json.RawMessage
}

// collectRegions gathers GetRegionQualityDetail's entries. An entry without a usable Timestamp
// or Region is invalid, and so is a block or field present but unusable; each costs only itself.
func (a *Answer) collectRegions(list []minute) {
	for _, m := range list {
		ts, okTS := timestamp(m.Timestamp)
		for _, entry := range m.QualityInfo {
			var region string
			if !okTS || json.Unmarshal(entry["Region"], &region) != nil || region == "" {
				a.Invalid++
				continue
			}
			delete(entry, "Region")
			rq := RegionQuality{TimestampMs: ts, Region: region}
			blocks := map[string]map[string]float64{}
			for name, raw := range entry {
				blocks[name] = rq.block(raw)
			}
			for _, b := range RegionBlocks {
				if d, ok := rq.distribution(b, blocks[b.Name]); ok {
					rq.Distributions = append(rq.Distributions, d)
				}
			}
			login := blocks["LoginSuccessRateDetail"]
			rq.LoginSuccessRate, rq.LoginSuccessRate5s = field(login, "LoginSuccessRate"), field(login, "LoginSuccessRate5s")
			a.Regions = append(a.Regions, rq)
		}
	}
}

// distribution reads block b from its fields; false when the entry does not have it.
func (rq *RegionQuality) distribution(b *RegionBlock, fields map[string]float64) (Distribution, bool) {
	d := Distribution{Block: b}
	if total, ok := fields["Total"]; ok {
		if d.HasTotal = total == math.Trunc(total) && math.Abs(total) < 1<<63; d.HasTotal {
			d.Total = int64(total)
		} else {
			rq.Invalid++
		}
	}
	for i, bucket := range b.Buckets {
		if v, ok := fields["Rate"+strconv.Itoa(i+1)]; ok {
			d.Shares = append(d.Shares, Share{bucket, v})
		}
	}
	return d, len(fields) > 0
}

func field(fields map[string]float64, name string) *float64 {
	if v, ok := fields[name]; ok {
		return &v
	}
	return nil
}

// block reads a block given as an object or as an array of one object. A null field is
// absent, like a null block.
func (rq *RegionQuality) block(raw json.RawMessage) map[string]float64 {
	var fields map[string]any
	var one []map[string]any
	switch {
	case json.Unmarshal(raw, &fields) == nil:
	case json.Unmarshal(raw, &one) == nil && len(one) <= 1:
		if len(one) == 1 {
			fields = one[0]
		}
	default:
		rq.Invalid++
		return nil
	}
	out := make(map[string]float64, len(fields))
	for k, v := range fields {
		if f, ok := finite(v); ok {
			out[k] = f
		} else if v != nil {
			rq.Invalid++
		}
	}
	return out
}
