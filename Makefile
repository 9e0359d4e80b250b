# otelcol-zego: the zego receiver, its collector distribution and the ZEGO simulator.
# `make run` shows it working; `make test` is what CI runs (.ci/run).

BUILDER_VERSION := v0.165.0
BUILDER         := .tools/builder

.PHONY: build sim run test generate check-generated lint fuzz prometheus bench footprint image clean

## build: the collector distribution at bin/otelcol-zego (from builder-config.yaml), statically
## linked (CGO_ENABLED=0) so that the same binary runs on any Linux and in the scratch image
build: $(BUILDER)
	mkdir -p _build bin
	$(BUILDER) --config builder-config.yaml --skip-compilation
	cd _build/otelcol-zego && CGO_ENABLED=0 go build -trimpath -o ../../bin/otelcol-zego .

$(BUILDER):
	GOBIN=$(CURDIR)/.tools go install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)

## image: the container image otelcol-zego:<version> from deploy/image/Dockerfile, with buildah
## (installed with apt-get when missing; needs root); IMAGE=name:tag overrides the name
image:
	bash scripts/image.sh

## sim: the ZEGO simulator at bin/zegosim
sim:
	go build -o bin/zegosim ./cmd/zegosim

## run: the collector against the simulator, or against ZEGO when ZEGO_APP_ID and ZEGO_SERVER_SECRET are set
run:
	bash scripts/run.sh

## test: lint, generated code, unit tests and the end-to-end tests
test:
	bash scripts/test.sh

## generate: regenerate internal/metadata, documentation.md and the generated tests from metadata.yaml,
## and config.schema.yaml from the Config struct
generate:
	bash scripts/mdatagen.sh

## check-generated: fail if the generated files differ from what metadata.yaml generates
check-generated:
	bash scripts/check-generated.sh

## lint: gofmt and go vet
lint:
	bash scripts/lint.sh

## prometheus: install Debian's prometheus for the end-to-end tests if it is missing (needs root)
prometheus:
	bash scripts/ensure-prometheus.sh

## bench: decode+convert against json.Valid (goal: within 10x), summarised by benchstat (figures: BENCHMARKS.md)
bench:
	bash scripts/bench.sh

## footprint: memory and CPU of bin/otelcol-zego with 1 and 100 App IDs, by the e2e harness (TestFootprint)
footprint: build
	bash scripts/footprint.sh

## fuzz: fuzz the answer decoder and the config loader, FUZZTIME each (default 2m)
fuzz:
	bash scripts/fuzz.sh

clean:
	rm -rf bin _build .tools
