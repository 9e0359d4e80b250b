#!/usr/bin/env bash
# Fuzzes the answer decoder and the config loader for FUZZTIME each (default 2m). New inputs are
# minimized in 10 runs at most: the default (60 s each) stalls the YAML fuzzer for most of its time.
# A crasher is written under testdata/fuzz/ of its package: commit it, and it
# runs as a regression case in every `make test` from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-2m}
go test -run '^$' -fuzz '^FuzzGet$' -fuzztime "$fuzztime" -fuzzminimizetime 10x ./internal/zegoapi/
go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime "$fuzztime" -fuzzminimizetime 10x .
