#!/usr/bin/env bash
# Everything CI checks (.ci/run calls `make test`): lint, generated code, unit tests with the race
# detector, then the end-to-end tests against a freshly built bin/otelcol-zego, the Kubernetes
# manifests and the container image (e2e/deploy_test.go builds it with buildah).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "lint"
make --no-print-directory lint
step "check-generated"
make --no-print-directory check-generated
step "unit tests"
go test -race -count=1 ./...
step "build the distribution"
make --no-print-directory build
if [[ "${ZEGO_E2E_SKIP_PROMETHEUS:-}" != 1 ]]; then
  step "prometheus for the end-to-end tests"
  bash scripts/ensure-prometheus.sh
fi
step "buildah for the image test"
bash scripts/ensure-buildah.sh
step "end-to-end tests"
go test -tags e2e -count=1 -timeout 40m ./e2e/...
step "all tests passed"
