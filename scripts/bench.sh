#!/usr/bin/env bash
# `make bench`: the decode+convert benchmarks (bench_test.go) against json.Valid over the same
# bytes, run BENCH_COUNT times for benchstat. Prints the benchstat summary, then per answer size
# the ratio decode+convert / json.Valid and the allocations per point. Figures: BENCHMARKS.md.
#
#   BENCH_COUNT  runs of each benchmark (default 6, benchstat's minimum for a confidence interval)
#   BENCH_TIME   -benchtime per run (default 1s)
#   BENCH_OUT    where the raw `go test -bench` output goes (default _build/bench/bench.txt);
#                compare two runs with: .tools/benchstat old.txt new.txt
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_COUNT:-6}
benchtime=${BENCH_TIME:-1s}
out=${BENCH_OUT:-_build/bench/bench.txt}
# benchstat from golang.org/x/perf, pinned; installed into .tools/, never a go.mod dependency.
benchstat_version=v0.0.0-20260908200009-22c9c6c9d4da
benchstat=.tools/benchstat-$benchstat_version

if [[ ! -x $benchstat ]]; then
  echo "==> installing benchstat $benchstat_version into .tools/"
  mkdir -p .tools
  gobin=$(mktemp -d)
  trap 'rm -rf "$gobin"' EXIT
  GOBIN=$gobin go install "golang.org/x/perf/cmd/benchstat@$benchstat_version"
  mv "$gobin/benchstat" "$benchstat"
fi

mkdir -p "$(dirname "$out")"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
echo "==> $(date -u +%Y-%m-%dT%H:%MZ)  $(go version | cut -d' ' -f3-)  $(nproc) CPUs: ${cpu:-unknown}"
echo "    load average before the run: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" \
  "(anything near or above the CPU count means noisy figures)"
echo "==> go test -bench, -count $count -benchtime $benchtime, raw output in $out"
# Not tee'd to the terminal: 36 lines of raw results would only repeat the summary below.
go test -run '^$' -bench '^Benchmark(DecodeConvert|Convert|JSONValid)$' -benchmem \
  -count "$count" -benchtime "$benchtime" . >"$out"

echo
"$benchstat" "$out"

# Per answer size: medians over the runs, as benchstat summarises them.
echo
echo "==> decode+convert against the json.Valid floor (medians of $count runs; goal: max <= 2.00x)"
awk '
  function median(key,   n, i, j, t, v) {
    n = split(vals[key], v, " ")
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    for (i = 3; i < NF; i++) {
      if ($(i + 1) == "ns/op" || $(i + 1) == "B/op" || $(i + 1) == "allocs/op") {
        key = name SUBSEP $(i + 1); vals[key] = vals[key] " " $i
      }
    }
  }
  END {
    points["max"] = 43200; points["steady"] = 1080
    printf "%-8s %8s %14s %14s %7s %12s %13s %12s\n", "answer", "points", "decode+conv", "json.Valid", "ratio", "ns/point", "allocs/point", "B/point"
    for (k = 1; k <= 2; k++) {
      size = k == 1 ? "max" : "steady"
      dc = median("BenchmarkDecodeConvert/" size SUBSEP "ns/op")
      jv = median("BenchmarkJSONValid/" size SUBSEP "ns/op")
      al = median("BenchmarkDecodeConvert/" size SUBSEP "allocs/op")
      by = median("BenchmarkDecodeConvert/" size SUBSEP "B/op")
      if (jv == 0) { print "missing results for " size > "/dev/stderr"; exit 1 }
      printf "%-8s %8d %11.3f ms %11.3f ms %6.2fx %12.1f %13.2f %12.1f\n", size, points[size], dc / 1e6, jv / 1e6, dc / jv, dc / points[size], al / points[size], by / points[size]
      if (size == "max") verdict = (dc / jv <= 2.0) ? "met" : "NOT met"
    }
    print ""
    print "goal (max within 2x json.Valid): " verdict
    print "pdata itself allocates 2 objects per point (the data point and its int value); the rest is per answer, not per point."
  }
' "$out"
