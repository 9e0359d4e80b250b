#!/usr/bin/env bash
# Regenerates internal/metadata, documentation.md, the generated tests and README's status block
# from metadata.yaml, then config.schema.yaml from the Config struct
# (internal/configschema/config_schema_test.go; mdatagen v0.159.0 cannot generate this receiver's
# schema), and last the PrometheusRule from the alert rules (scripts/prometheusrule.sh). mdatagen
# names the root package after the folder that holds metadata.yaml, and a clone may live in a
# folder of any name, so it is run through a link named zegoreceiver. mdatagen is a tool of
# internal/tools/go.mod, a module of its own, so that its requirements stay out of the receiver's
# go.mod (and so out of every distribution that builds it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$root" "$tmp/zegoreceiver"
cd "$root"
go tool -modfile=internal/tools/go.mod mdatagen "$tmp/zegoreceiver/metadata.yaml"
go test -count=1 -run '^TestConfigSchema$' ./internal/configschema -update-schema >/dev/null
bash scripts/prometheusrule.sh
