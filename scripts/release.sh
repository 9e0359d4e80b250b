#!/usr/bin/env bash
# `make release`: the distribution for each platform below (`make build`: static, -trimpath, no
# build id), each in a tar.gz with LICENSE and README.md, with a CycloneDX SBOM of that binary
# (cyclonedx-gomod, installed in .tools by the Makefile) and one SHA-256 checksum file over them,
# all in _build/release/<dist version of builder-config.yaml>/. Reproducible: archive entries are
# sorted, owned by 0:0, dated at the commit (SOURCE_DATE_EPOCH when set), gzip stores no name or
# time, the SBOMs have no serial number or timestamp; the same commit and Go version give the same
# checksums. Prints the checksum file's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

version=$(awk '/^dist:/ { d = 1 } d && $1 == "version:" { print $2; exit }' builder-config.yaml)
[[ -n $version ]] || { echo "release: no dist.version in builder-config.yaml" >&2; exit 1; }
platforms=(linux/amd64 linux/arm64 darwin/arm64)
module=$(go list -m)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
if ! git diff --quiet HEAD; then
  echo "release: uncommitted changes: these are not the archives of commit $(git rev-parse --short HEAD)" >&2
fi

out=_build/release/$version
stage=_build/release/stage
rm -rf "$out" "$stage"
mkdir -p "$out"
for platform in "${platforms[@]}"; do
  os=${platform%/*} arch=${platform#*/}
  name=otelcol-zego_${version}_${os}_${arch}
  dir=$stage/$name
  mkdir -p "$dir"
  GOOS=$os GOARCH=$arch make --no-print-directory build BUILD_OUT="$dir/otelcol-zego"
  cp LICENSE README.md "$dir/"
  # The binary this machine can run must call itself by the archives' version.
  if [[ $platform == "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" ]]; then
    got=$("$dir/otelcol-zego" --version)
    [[ $got == *" version $version" ]] || { echo "release: $name says '$got'" >&2; exit 1; }
  fi
  tar -C "$dir" --format=gnu --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --mode=u=rwX,go=rX -cf - LICENSE README.md otelcol-zego | gzip -n -9 >"$out/$name.tar.gz"
  # GOOS/GOARCH: the purls' qualifiers come from the go environment, not from the binary.
  GOOS=$os GOARCH=$arch .tools/cyclonedx-gomod bin -json -std -noserial -notimestamp \
    -version "v$version" -output "$stage/$name.cdx.json" "$dir/otelcol-zego"
  # The receiver is built from this checkout (`path: ./`, a replace by ../..): name it as the
  # module version this release tags.
  sed -e "s|pkg:golang/\.\./\.\.@(devel)|pkg:golang/$module@v$version|" -e "s|\"name\": \"\.\./\.\.\"|\"name\": \"$module\"|" \
    -e "s|\"version\": \"(devel)\"|\"version\": \"v$version\"|" "$stage/$name.cdx.json" >"$out/$name.cdx.json"
  if grep -q '\.\./\.\.' "$out/$name.cdx.json" || ! grep -q "\"$module\"" "$out/$name.cdx.json"; then
    echo "release: $name.cdx.json does not name $module v$version" >&2
    exit 1
  fi
done
(cd "$out" && sha256sum -- *.tar.gz *.cdx.json >"otelcol-zego_${version}_checksums.txt")
rm -rf "$stage"
echo "$out/otelcol-zego_${version}_checksums.txt"
