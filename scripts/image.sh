#!/usr/bin/env bash
# `make image`: builds bin/otelcol-zego (`make build`, statically linked), then the container image from
# deploy/image/Dockerfile with buildah (podman build when only podman is there; when neither is,
# scripts/ensure-buildah.sh installs Debian's buildah, as root). The base is scratch, so nothing is
# pulled from a registry. Prints the image's name on the last line.
#
#   IMAGE  the image's name (default otelcol-zego:<dist version of builder-config.yaml>)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '/^dist:/ { d = 1 } d && $1 == "version:" { print $2; exit }' builder-config.yaml)
image=${IMAGE:-otelcol-zego:${version:-dev}}

# buildah; else podman; else install buildah (root with apt-get only).
if command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  bash scripts/ensure-buildah.sh
  build=(buildah build)
else
  build=(podman build)
fi

ca=/etc/ssl/certs/ca-certificates.crt
if [[ ! -s $ca ]]; then
  echo "image: $ca is missing: install the ca-certificates package." >&2
  exit 1
fi

# `make build` links statically (CGO_ENABLED=0): the image has no C library.
make --no-print-directory build

# The build context holds only what the Dockerfile copies.
ctx=_build/image
rm -rf "$ctx"
mkdir -p "$ctx/state"
cp bin/otelcol-zego "$ctx/otelcol-zego"
cp "$ca" "$ctx/ca-certificates.crt"
cp deploy/image/config.yaml "$ctx/config.yaml"

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
"${build[@]}" -f deploy/image/Dockerfile -t "$image" \
  --build-arg "VERSION=${version:-dev}" \
  --build-arg "REVISION=$revision" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$ctx"
echo "$image"
