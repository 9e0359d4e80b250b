#!/usr/bin/env bash
# `make run`: builds the collector and the simulator, then runs
#  - without ZEGO credentials: the simulator on loopback and the collector with examples/demo.yaml;
#  - with ZEGO_APP_ID and ZEGO_SERVER_SECRET set: the collector against ZEGO with examples/live.yaml.
# Metrics are printed by the debug exporter and served at http://localhost:8889/metrics.
# Ctrl-C (or SIGTERM) stops everything it started, says so and exits 0; a process that ends on its own
# ends the run with its exit status.
set -euo pipefail
cd "$(dirname "$0")/.."

# The demo's simulated AppID and secret: they only ever reach the local simulator.
demo_app_id=12345
demo_secret=zegosim-demo-secret

if [[ -n "${ZEGO_APP_ID:-}" && -n "${ZEGO_SERVER_SECRET:-}" ]]; then
  mode=live
elif [[ -z "${ZEGO_APP_ID:-}" && -z "${ZEGO_SERVER_SECRET:-}" ]]; then
  mode=demo
else
  echo "run: set both ZEGO_APP_ID and ZEGO_SERVER_SECRET to use ZEGO, or neither for the simulator demo." >&2
  exit 2
fi

[[ -x bin/otelcol-zego ]] || echo "==> Building the collector: the first build downloads and compiles it (a few minutes on a cold machine)."
make --no-print-directory build sim

pids=() names=()
tmp=$(mktemp -d)
cleanup() {
  trap - INT TERM EXIT
  local pid
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
stopped() {
  echo
  echo "==> Stopping ${names[*]}..."
  cleanup
  echo "==> Stopped."
  exit 0
}
trap stopped INT TERM
trap cleanup EXIT

if [[ $mode == demo ]]; then
  bin/zegosim -listen 127.0.0.1:0 -addr-file "$tmp/zegosim.addr" -app "$demo_app_id:$demo_secret" \
    -delay 5s -late-every 20 -per-minute 30 -per-day 50000 -daily-publish-at 0 &
  pids+=($!) names+=(zegosim)
  for _ in $(seq 100); do # up to 10 s for the simulator to listen
    [[ -s $tmp/zegosim.addr ]] && break
    kill -0 "${pids[0]}" 2>/dev/null || { echo "run: the simulator did not start" >&2; exit 1; }
    sleep 0.1
  done
  [[ -s $tmp/zegosim.addr ]] || { echo "run: the simulator did not start within 10s" >&2; exit 1; }
  export ZEGOSIM_ENDPOINT="http://$(<"$tmp/zegosim.addr")"
  echo "$demo_secret" >"$tmp/server_secret"
  export ZEGOSIM_APP_ID=$demo_app_id ZEGOSIM_SECRET_FILE=$tmp/server_secret
  config=examples/demo.yaml
  cat <<EOF

==> Demo mode: the collector polls a local ZEGO simulator (no credentials needed).
    simulator:  $ZEGOSIM_ENDPOINT  (AppID $demo_app_id, data 5 s behind real time)
    collector:  bin/otelcol-zego --config $config  (a poll every 5 s)
    metrics:    printed below by the debug exporter within seconds of the start, and served at
                http://localhost:8889/metrics  (try: curl -s localhost:8889/metrics | grep zego_)
    daily:      yesterday's zego.daily.publish_count (GetBizUsage, one value a day) at the first poll,
                sent once, stamped when received; the next day's once it is published
    late points: the simulator publishes one second in twenty 8 s late; the collector delivers
                them once, late, and says so once ("ZEGO published points later than data_delay")
    rotate the secret, as ZEGO's console and then a Kubernetes Secret would; calls fail with
                100000005 in between, then resume within a poll, without a restart:
                curl -s -X POST $ZEGOSIM_ENDPOINT/admin/secret -d '{"app_id":$demo_app_id,"secret":"rotated"}'
                echo rotated > $ZEGOSIM_SECRET_FILE
    To poll ZEGO itself:  ZEGO_APP_ID=... ZEGO_SERVER_SECRET=... make run
    Stop with Ctrl-C.

EOF
else
  config=examples/live.yaml
  cat <<EOF

==> Live mode: the collector polls ZEGO's GetRealtimeUsage for AppID $ZEGO_APP_ID.
    collector:  bin/otelcol-zego --config $config
    Quota-safe defaults: one call every 3 minutes, data 3 minutes behind real time, so the first
    points show up a few seconds after start and then every 3 minutes.
    metrics:    printed below by the debug exporter, and served at http://localhost:8889/metrics
    checkpoint: ./.zego-state (keep it: it remembers the calls already made against the quota)
    Stop with Ctrl-C.

EOF
fi

bin/otelcol-zego --config "$config" &
pids+=($!) names+=(otelcol-zego)

# Run until Ctrl-C or SIGTERM (the traps above) or until a process ends on its own. The short
# sleeps keep the shell responsive to signals (and to bash 3.2, which has no wait -n).
while :; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      status=0
      wait "${pids[$i]}" || status=$?
      echo "run: ${names[$i]} exited with status $status; stopping." >&2
      exit "$status"
    fi
  done
  sleep 1 &
  wait $! || true
done
