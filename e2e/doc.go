// Package e2e holds the end-to-end tests of the otelcol-zego distribution: each test runs the
// real bin/otelcol-zego as a separate process against an in-process ZEGO simulator
// (internal/zegosim) and checks, point by point, what reaches an OTLP/HTTP sink.
//
// The tests sit behind the e2e build tag and need the binary:
//
//	make build
//	go test -tags e2e -count=1 ./e2e/...
//
// OTELCOL_ZEGO_BIN overrides the binary's path (default ../bin/otelcol-zego).
package e2e
