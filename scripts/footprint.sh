#!/usr/bin/env bash
# `make footprint`: resident memory and CPU of bin/otelcol-zego against the simulator, measured by
# TestFootprint (e2e/footprint_test.go, which says what it reads and how): 1 and 100 App IDs, then
# 100 App IDs all backfilling two hours at once. Figures: BENCHMARKS.md.
#   FOOTPRINT_APPS      receiver counts of the first run (default "1 100")
#   FOOTPRINT_INTERVAL  collection_interval, seconds (default 90)
#   FOOTPRINT_IDLE      the idle stretch, seconds (default 60; must end before the next poll)
#   FOOTPRINT_LOOKBACK  initial_lookback of the first run, seconds (default 180)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x bin/otelcol-zego ]] || make --no-print-directory build
run() {
  env -u GOGC -u GOMEMLIMIT ZEGO_FOOTPRINT=1 "$@" \
    go test -tags e2e -run '^TestFootprint$' -count=1 -v -timeout 30m ./e2e/ | grep -v '^=== RUN'
}
echo "==> $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
run FOOTPRINT_APPS="${FOOTPRINT_APPS:-1 100}"
echo "==> 100 App IDs, each backfilling two hours at once"
run FOOTPRINT_APPS=100 FOOTPRINT_LOOKBACK=7200
