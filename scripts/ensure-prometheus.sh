#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are available for the tests that need them (the end-to-end
# test against Prometheus, e2e/prometheus_test.go, and any test that runs promtool), installing
# Debian's prometheus package, which ships both, when either is missing; prints their versions.
# scripts/test.sh runs it under CI (CI=true), where no test may be skipped for want of them.
#
# The install needs root and apt (CI runs as root on Debian). The package would normally start
# Prometheus as a service on the default port 9090; the test runs its own instance on a free
# loopback port instead, so the service is kept from starting while the package is installed
# (a temporary policy-rc.d, Debian's standard way to say "do not start services") and is stopped
# and disabled afterwards should it run anyway.
set -euo pipefail

# locate NAME: its path on PATH, or in /usr/bin where Debian puts it; empty when it is in neither.
locate() { command -v "$1" || { [[ -x /usr/bin/$1 ]] && echo "/usr/bin/$1"; } || true; }
prom=$(locate prometheus)
promtool=$(locate promtool)

if [[ -z "$prom" || -z "$promtool" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure-prometheus: prometheus or promtool is not installed and this script is not running as root." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install prometheus) or run this script with sudo." >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "ensure-prometheus: prometheus or promtool is not installed and there is no apt-get to install it with." >&2
    echo "Put prometheus and promtool binaries (2.x or later) on PATH." >&2
    exit 1
  fi

  echo "ensure-prometheus: installing Debian's prometheus package"
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# ensure-prometheus.sh: no service starts while it installs prometheus\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
  fi
  remove_policy() { if ((own_policy)); then rm -f "$policy"; fi; }
  trap remove_policy EXIT

  apt_opts=(-o DPkg::Lock::Timeout=600 -q)
  apt-get "${apt_opts[@]}" update
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends prometheus

  remove_policy
  trap - EXIT
  prom=$(locate prometheus)
  promtool=$(locate promtool)
  if [[ -z "$prom" || -z "$promtool" ]]; then
    echo "ensure-prometheus: the package installed, but prometheus or promtool is still missing" >&2
    exit 1
  fi

  # The service must not keep running on the default port, whatever started it.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl stop prometheus.service 2>/dev/null || true
    systemctl disable prometheus.service 2>/dev/null || true
  elif [[ -x /etc/init.d/prometheus ]]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null; then
    update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
fi

"$prom" --version 2>&1 | head -n 1
"$promtool" --version 2>&1 | head -n 1
