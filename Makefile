# otelcol-zego: the zego receiver, its collector distribution and the ZEGO simulator.
# `make run` shows it working; `make test` is what CI runs (.ci/run); `make help` lists the targets:
# each has one `## target: what it does` line, which is what `make help` prints.

BUILDER_VERSION       := v0.165.0
BUILDER               := .tools/builder
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT         := .tools/golangci-lint
CYCLONEDX_VERSION     := v1.10.0
CYCLONEDX             := .tools/cyclonedx-gomod
# The distribution's compile flags, for bin/otelcol-zego, the image and the release archives alike:
# static, no file paths, no build id or VCS stamp, so one commit and Go version give the same bytes.
DIST_FLAGS            := -trimpath -buildvcs=false -ldflags=-buildid=
# `GOOS=linux GOARCH=arm64 make build BUILD_OUT=...` cross-compiles (scripts/image.sh, scripts/release.sh).
BUILD_OUT             ?= bin/otelcol-zego

.PHONY: help build sim run test test-unit test-e2e test-published generate check-generated lint fuzz prometheus bench footprint image release clean

## build: the collector distribution at bin/otelcol-zego (from builder-config.yaml), statically linked
# (CGO_ENABLED=0) so that the same binary runs on any Linux and in the scratch image.
build: $(BUILDER)
	mkdir -p _build $(dir $(BUILD_OUT))
	$(BUILDER) --config builder-config.yaml --skip-compilation
	cd _build/otelcol-zego && CGO_ENABLED=0 go build $(DIST_FLAGS) -o $(abspath $(BUILD_OUT)) .

$(BUILDER):
	GOBIN=$(CURDIR)/.tools go install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)

## image: the image otelcol-zego:<version>, a manifest list of linux/amd64 and linux/arm64, with buildah
# (installed with apt-get when missing; needs root); IMAGE=name:tag overrides the name.
image:
	bash scripts/image.sh

## release: archives for linux/amd64, linux/arm64, darwin/arm64, SHA-256 sums, SBOMs: _build/release/<version>/
# The same commit and Go version give the same bytes (CycloneDX SBOMs by cyclonedx-gomod, no goreleaser).
release: $(BUILDER) $(CYCLONEDX)
	bash scripts/release.sh

$(CYCLONEDX):
	GOBIN=$(CURDIR)/.tools go install github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@$(CYCLONEDX_VERSION)

## sim: the ZEGO simulator at bin/zegosim
sim:
	go build -o bin/zegosim ./cmd/zegosim

## run: the collector against the simulator, or against ZEGO when ZEGO_APP_ID and ZEGO_SERVER_SECRET are set
run:
	bash scripts/run.sh

## test: lint, generated files, unit and end-to-end tests; lists what was skipped (what CI runs)
# A test whose outside program (prometheus, promtool, buildah) is missing is skipped, saying how to
# get it; under CI=true nothing may be skipped and scripts/ensure-*.sh install them first (as root).
test:
	bash scripts/test.sh

## test-unit: the unit tests, with the race detector
test-unit:
	bash scripts/test.sh unit

## test-e2e: the end-to-end tests (e2e/) against a freshly built bin/otelcol-zego, and test-published's
test-e2e:
	bash scripts/test.sh e2e

## test-published: build a platform team's manifest naming the receiver at its tag, served by a local proxy
# (e2e/published: the module as consumed, with no path: and no replace; docs/releases.md).
test-published:
	bash scripts/test.sh published

## generate: regenerate internal/metadata, documentation.md, the generated tests and config.schema.yaml
# (from metadata.yaml, and the schema from the Config struct), and the PrometheusRule from the alert rules.
generate:
	bash scripts/mdatagen.sh

## check-generated: fail if the generated files differ from what metadata.yaml and the alert rules generate
check-generated:
	bash scripts/check-generated.sh

## lint: golangci-lint with .golangci.yml (contrib's lint set, gofumpt included) and go vet
lint: $(GOLANGCI_LINT)
	bash scripts/lint.sh

$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/.tools go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

## prometheus: install Debian's prometheus (and promtool) for the tests if missing (needs root)
prometheus:
	bash scripts/ensure-prometheus.sh

## bench: decode+convert against json.Valid (goal: within 10x), summarized by benchstat (figures: BENCHMARKS.md)
bench:
	bash scripts/bench.sh

## footprint: memory and CPU of bin/otelcol-zego with 1 and 100 App IDs, by the e2e harness (TestFootprint)
footprint: build
	bash scripts/footprint.sh

## fuzz: fuzz the answer decoder and the config loader, FUZZTIME each (default 2m)
fuzz:
	bash scripts/fuzz.sh

## clean: remove what the targets build (bin, _build) and the installed tools (.tools)
clean:
	rm -rf bin _build .tools

## help: this list
help:
	@awk '/^\.PHONY:/ { for (i = 2; i <= NF; i++) phony[$$i] = 1 } \
	  /^## [a-z0-9-]+: / { name = substr($$2, 1, length($$2) - 1); sub(/^## [a-z0-9-]+: /, ""); printf "  make %-16s %s\n", name, $$0; delete phony[name] } \
	  END { for (t in phony) { print "help: target " t " has no ## line" > "/dev/stderr"; bad = 1 } exit bad }' $(firstword $(MAKEFILE_LIST))
