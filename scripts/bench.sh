#!/usr/bin/env bash
# `make bench`: decode+convert (bench_test.go) against json.Valid over the same answer bytes,
# BENCH_COUNT runs each (default 6), summarized by benchstat, then the ratio per answer size
# against the goal: within 10x json.Valid. Raw output in _build/bench/bench.txt. Figures: BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_COUNT:-6}
out=_build/bench/bench.txt
# benchstat from golang.org/x/perf, pinned; installed into .tools/, never a go.mod dependency.
benchstat_version=v0.0.0-20260908200009-22c9c6c9d4da
benchstat=.tools/benchstat-$benchstat_version
if [[ ! -x $benchstat ]]; then
  mkdir -p .tools
  GOBIN=$PWD/.tools go install "golang.org/x/perf/cmd/benchstat@$benchstat_version"
  mv .tools/benchstat "$benchstat"
fi

mkdir -p "$(dirname "$out")"
echo "==> $(go version | cut -d' ' -f3-), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench 'DecodeConvert|JSONValid' -benchmem -count "$count" . >"$out"
"$benchstat" "$out"

echo
echo "==> decode+convert / json.Valid, medians of $count runs (goal: within 10x)"
awk '
  /^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); ns[name] = ns[name] " " $3 }
  function median(list,   v, n, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    bad = 0
    for (k = 1; k <= 2; k++) {
      size = k == 1 ? "max" : "steady"
      dc = median(ns["BenchmarkDecodeConvert/" size]); jv = median(ns["BenchmarkJSONValid/" size])
      if (jv == 0) { print "no results for " size > "/dev/stderr"; exit 1 }
      verdict = dc / jv <= 10 ? "within 10x" : "NOT within 10x"; if (dc / jv > 10) bad = 1
      printf "%-7s %10.3f ms / %10.3f ms = %5.2fx  %s\n", size, dc / 1e6, jv / 1e6, dc / jv, verdict
    }
    exit bad
  }
' "$out"
