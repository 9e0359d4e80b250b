#!/usr/bin/env bash
# `make lint` (the Makefile installs the pinned golangci-lint into .tools/ first): golangci-lint with
# .golangci.yml, contrib's lint set, over every package including the end-to-end tests behind the
# e2e build tag; its gofumpt is gofmt and more. Then go vet, on the same files.
set -euo pipefail
cd "$(dirname "$0")/.."

.tools/golangci-lint run ./...
go vet -tags e2e ./...
# deploy/datadog is a module of its own, which ./... does not reach: the same linters there.
(cd deploy/datadog && ../../.tools/golangci-lint run --config ../../.golangci.yml ./... && go vet ./...)
echo "lint: ok"
