#!/usr/bin/env bash
# `make test` (what CI runs, .ci/run): lint, generated code, the unit tests with the race detector
# and those of deploy/datadog (a module of its own), then the end-to-end tests against a freshly
# built bin/otelcol-zego, the Kubernetes manifests and the container image (linux/amd64 and
# linux/arm64, where buildah is), and last the receiver consumed as published: a platform team's
# manifest that names it at its tag, built against this checkout served by a local module proxy
# (e2e/published). `scripts/test.sh unit` (`make test-unit`) runs the unit tests,
# `scripts/test.sh e2e` (`make test-e2e`) the end-to-end tests and that build, and
# `scripts/test.sh published` (`make test-published`) that build alone.
#
# A test that needs an outside program (prometheus, promtool, buildah) finds it with
# internal/tooltest: when the program is missing, the test is skipped with one line that says how
# to get it. The run ends with a summary of what was skipped. Under CI (CI=true) nothing may be
# skipped: the ensure-* scripts install the programs first (as root, with apt-get) or the run
# fails, and a test that still misses its program fails.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
case $what in
  all | unit | e2e | published) ;;
  *) echo "usage: scripts/test.sh [all|unit|e2e|published]" >&2 && exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

mkdir -p _build/test
skipped=_build/test/skipped.txt counts=_build/test/counts.txt
: >"$skipped"
: >"$counts"

# gotest is go test, printing what plain go test prints and recording skips and counts; in the
# module of the folder $dir when set (deploy/datadog is a module of its own), else the root's.
gotest() {
  go -C "${dir:-.}" test -json "$@" |
    awk -v module="$(go -C "${dir:-.}" list -m)" -v skipfile="$skipped" -v countfile="$counts" -f scripts/gotest.awk
}

# summary, on the way out, lists the skipped tests and ends with the counts.
summary() {
  [[ -s $counts ]] || return 0
  if (($1 == 0)); then step "all tests passed"; else step "summary (the run failed)"; fi
  if [[ -s $skipped ]]; then
    echo "skipped:"
    sed 's/^/  /' "$skipped"
  else
    echo "nothing was skipped"
  fi
  awk '{ p += $1; f += $2; s += $3 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$counts"
}
trap 'summary $?' EXIT

if [[ ${CI:-} == true ]]; then
  step "the programs the tests need (CI=true: nothing may be skipped)"
  if [[ $what != published ]]; then
    bash scripts/ensure-prometheus.sh # prometheus and promtool
  fi
  if [[ $what == all || $what == e2e ]]; then
    bash scripts/ensure-buildah.sh
  fi
fi

if [[ $what == all ]]; then
  step "lint"
  make --no-print-directory lint
  step "check-generated"
  make --no-print-directory check-generated
fi
if [[ $what == all || $what == unit ]]; then
  step "unit tests"
  # The race detector slows the synctest simulations of whole days: past go test's default 10m
  # on a busy 2-core machine.
  gotest -race -count=1 -timeout 30m ./...
  step "the Datadog dashboard, monitors and Terraform against Datadog's API models (deploy/datadog)"
  dir=deploy/datadog gotest -count=1 ./...
fi
if [[ $what == all || $what == e2e ]]; then
  step "build the distribution"
  make --no-print-directory build
  step "end-to-end tests"
  gotest -tags e2e -count=1 -timeout 40m ./e2e
fi
if [[ $what != unit ]]; then
  # Many minutes when nothing is compiled yet (the team's contrib components); the build cache of
  # the step above makes it shorter.
  step "consumed as published: a platform team's manifest with the receiver at its tag (e2e/published)"
  make --no-print-directory .tools/builder
  gotest -tags e2e -count=1 -timeout 60m ./e2e/published
fi
