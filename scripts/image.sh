#!/usr/bin/env bash
# `make image`: builds the distribution (`make build`, statically linked) for linux/amd64 and
# linux/arm64, then an image of each from deploy/image/Dockerfile and a manifest list of the two
# under one name, with buildah (podman when only podman is there; when neither is,
# scripts/ensure-buildah.sh installs Debian's buildah, as root). The base is scratch and the
# Dockerfile only copies, so nothing is pulled and the arm64 image needs no emulation. The
# images' created time and file times are the commit's, so one commit gives the same image.
# Prints the manifest list's name on the last line.
#
#   IMAGE  the manifest list's name (default otelcol-zego:<dist version of builder-config.yaml>)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '/^dist:/ { d = 1 } d && $1 == "version:" { print $2; exit }' builder-config.yaml)
image=${IMAGE:-otelcol-zego:${version:-dev}}
arches=(amd64 arm64)

# buildah; else podman; else install buildah (root with apt-get only).
if command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  bash scripts/ensure-buildah.sh
  tool=buildah
else
  tool=podman
fi

ca=/etc/ssl/certs/ca-certificates.crt
if [[ ! -s $ca ]]; then
  echo "image: $ca is missing: install the ca-certificates package." >&2
  exit 1
fi

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# A list of that name from an earlier run would keep its entries: start afresh.
"$tool" manifest rm "$image" >/dev/null 2>&1 || "$tool" rmi "$image" >/dev/null 2>&1 || true

for arch in "${arches[@]}"; do
  # The build context holds only what the Dockerfile copies.
  ctx=_build/image/$arch
  rm -rf "$ctx"
  mkdir -p "$ctx/state"
  GOOS=linux GOARCH=$arch make --no-print-directory build BUILD_OUT="$ctx/otelcol-zego"
  cp "$ca" "$ctx/ca-certificates.crt"
  cp deploy/image/config.yaml "$ctx/config.yaml"
  "$tool" build -f deploy/image/Dockerfile --platform "linux/$arch" --manifest "$image" \
    --timestamp "$epoch" \
    --build-arg "VERSION=${version:-dev}" \
    --build-arg "REVISION=$revision" \
    --build-arg "CREATED=$created" \
    "$ctx"
done
echo "$image"
