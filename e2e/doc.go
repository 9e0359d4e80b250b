// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e holds the end-to-end tests of the otelcol-zego distribution: only what needs the
// built binary (the in-process suite covers the receiver itself). Most run bin/otelcol-zego as a
// process against an in-process ZEGO simulator (internal/zegosim) with a configuration rendered
// from one template (harness_test.go): the distribution's wiring, a restart on file_storage, an
// invalid configuration, remote write into a real Prometheus, and the Datadog example against a
// stand-in for the intake. The examples and the Kubernetes manifests' configs go through
// `otelcol-zego validate`; TestImage checks the binaries of the amd64 and arm64 images.
// TestFootprint is `make footprint`; TestCheckPromRun needs neither the tag nor the binary.
//
// The tests sit behind the e2e build tag and need the binary (`make test-e2e` does both):
//
//	make build
//	go test -tags e2e -count=1 ./e2e/...
//
// OTELCOL_ZEGO_BIN overrides the binary's path (default ../bin/otelcol-zego). The Prometheus test
// needs prometheus and the image test buildah (internal/tooltest): each is skipped, with a line
// that says how to get its program, where that is missing, except under CI (CI=true).
package e2e
