#!/usr/bin/env bash
# Fuzzes the answer decoder and the config loader for FUZZTIME each (default 2m).
# A crasher is written under testdata/fuzz/ of its package: commit it, and it
# runs as a regression case in every `make test` from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-2m}
go test -run '^$' -fuzz '^FuzzGet$' -fuzztime "$fuzztime" ./internal/zegoapi/
go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime "$fuzztime" .
