#!/usr/bin/env bash
# Regenerates the mdatagen output from metadata.yaml, and the PrometheusRule from the alert rules,
# and fails if it differs from the files as they were before (committed or not): a stale generated
# file means metadata.yaml or deploy/alerts/prometheus/zego-alerts.yaml was edited without
# `make generate`.
#
# The "before" state is staged in a throw-away copy of git's index, so `git diff` compares the
# regenerated files with exactly what was there, and the real index is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

generated=(documentation.md generated_component_test.go generated_package_test.go
  internal/metadata internal/metadatatest config.schema.yaml
  deploy/alerts/prometheus/prometheusrule.yaml)
[[ -f README.md ]] && generated+=(README.md) # mdatagen refreshes its status block

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE="$tmp/index"
cp "$(git rev-parse --git-path index)" "$GIT_INDEX_FILE" 2>/dev/null || true
git add -A -- "${generated[@]}"

bash scripts/mdatagen.sh

stale=0
git --no-pager diff --exit-code -- "${generated[@]}" || stale=1
new=$(git ls-files --others --exclude-standard -- "${generated[@]}")
if [[ -n "$new" ]]; then
  printf 'new generated files:\n%s\n' "$new"
  stale=1
fi
if ((stale)); then
  echo "check-generated: the generated files above are stale: run 'make generate' and commit the result." >&2
  exit 1
fi
echo "check-generated: generated files are up to date."
