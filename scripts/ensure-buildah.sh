#!/usr/bin/env bash
# Makes sure buildah is available for `make image` and its end-to-end test (e2e/deploy_test.go),
# installing Debian's package when it is missing (needs root and apt-get, as on CI); prints its
# version. Building the image runs no container, so buildah needs no runtime set up beyond that.
set -euo pipefail

if ! command -v buildah >/dev/null; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "ensure-buildah: buildah is not installed, and this is not root with apt-get to install it." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install buildah)." >&2
    exit 1
  fi
  echo "ensure-buildah: installing Debian's buildah package"
  apt_opts=(-o DPkg::Lock::Timeout=600 -q)
  apt-get "${apt_opts[@]}" update
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends buildah
fi

buildah --version
