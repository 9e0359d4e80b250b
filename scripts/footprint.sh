#!/usr/bin/env bash
# `make footprint`: what the distribution costs a host. It runs bin/otelcol-zego against a local
# bin/zegosim (loopback only) with 1 and then 100 zego receivers (one per AppID), each time:
#   1. waits for the first poll round (every receiver's first call, 3 minutes of six metrics),
#   2. measures CPU over an idle stretch between polls (no poll may fall in it),
#   3. waits for the second poll round and measures what it cost,
#   4. reads resident memory (VmRSS, and the peak VmHWM) after the two rounds,
# and prints a table. Go's defaults apply: GOGC and GOMEMLIMIT are removed from the environment
# (unless FOOTPRINT_GOMEMLIMIT is set).
# Figures and their reading: BENCHMARKS.md.
#
#   FOOTPRINT_APPS      receiver counts to measure (default "1 100")
#   FOOTPRINT_INTERVAL  collection_interval, seconds (default 90: room for the idle stretch)
#   FOOTPRINT_IDLE      idle stretch, seconds (default 60; must end before the second round)
#   FOOTPRINT_PPROF     host:port for the pprof extension (e.g. 127.0.0.1:1777); then a heap
#                       profile is saved next to the logs after the second round. Off by default
#                       (the extension is one more listener to pay for).
#   FOOTPRINT_LOOKBACK  initial_lookback, seconds (default 180; 7200 = a 2-hour backfill per AppID)
#   FOOTPRINT_STAGGER_MS  spread the receivers' first polls: initial_delay of receiver i is
#                       1s + i x this (default 0: every receiver polls at once, the worst case)
#   FOOTPRINT_GOMEMLIMIT  run the collector with this GOMEMLIMIT (e.g. 100MiB); unset by default
#   FOOTPRINT_OUT       directory for configs, logs and results (default _build/footprint)
set -euo pipefail
cd "$(dirname "$0")/.."

apps_list=${FOOTPRINT_APPS:-"1 100"}
interval=${FOOTPRINT_INTERVAL:-90}
idle=${FOOTPRINT_IDLE:-60}
pprof=${FOOTPRINT_PPROF:-}
stagger_ms=${FOOTPRINT_STAGGER_MS:-0}
memlimit=${FOOTPRINT_GOMEMLIMIT:-}
out=${FOOTPRINT_OUT:-_build/footprint}
settle=5        # seconds after a poll round before measuring
delay=5         # the simulator's publication delay, and the receivers' data_delay
# initial_lookback: the first poll fetches what a default 3-minute poll fetches. 7200 (ZEGO's
# 2-hour retention) makes the first round a backfill of every AppID at once, the worst case.
lookback=${FOOTPRINT_LOOKBACK:-180}
secret=footprint-secret # the simulator's -any-secret; it never leaves loopback

if ((idle + 2 * settle + 10 > interval)); then
  echo "footprint: FOOTPRINT_IDLE=$idle does not fit between polls FOOTPRINT_INTERVAL=$interval s apart" >&2
  exit 2
fi

# ---- binaries ----
if [[ ! -x bin/otelcol-zego ]]; then
  echo "==> bin/otelcol-zego is missing: building it (make build, a few minutes)"
  make --no-print-directory build
else
  newer=$(find . -maxdepth 1 -name '*.go' ! -name '*_test.go' -newer bin/otelcol-zego -print -quit)
  newer=${newer:-$(find internal -name '*.go' ! -name '*_test.go' ! -path 'internal/zegosim/*' -newer bin/otelcol-zego -print -quit)}
  if [[ -n $newer ]]; then
    echo "footprint: warning: $newer is newer than bin/otelcol-zego; run make build first to measure the current code" >&2
  fi
fi
if [[ ! -x bin/zegosim ]]; then
  echo "==> building bin/zegosim"
  go build -o bin/zegosim ./cmd/zegosim
fi

mkdir -p "$out"
tmp=$(mktemp -d)
sim_pid='' col_pid=''
cleanup() {
  trap - INT TERM EXIT
  local pid
  for pid in $col_pid $sim_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $col_pid $sim_pid; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

die() {
  echo "footprint: $*" >&2
  exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# cpu_ticks PID: utime+stime in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() {
  local s f
  s=$(<"/proc/$1/stat")
  s=${s##*) } # the command name may hold spaces; the fields after it do not
  read -ra f <<<"$s"
  echo $((f[11] + f[12]))
}

# cpu_ns PID: time on CPU in ns summed over the threads (/proc/PID/task/*/schedstat), finer than
# clock ticks; empty when the kernel has no schedstat.
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { if (NR) printf "%.0f", s }'
}

# wakeups PID: context switches summed over the threads.
wakeups() {
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { printf "%.0f", s }'
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# delivered LOG: batches the debug exporter has logged so far.
delivered() { grep -c '"data points"' "$1" || true; }

# wait_batches LOG WANT TIMEOUT_S: wait until the debug exporter has logged WANT batches.
wait_batches() {
  local log=$1 want=$2 deadline=$(($(date +%s) + $3))
  while (($(delivered "$log") < want)); do
    kill -0 "$col_pid" 2>/dev/null || die "the collector exited; see $log"
    (($(date +%s) < deadline)) || die "only $(delivered "$log") of $want batches after $3 s; see $log"
    sleep 0.2
  done
}

# ---- the simulator, shared by every run: no quota, data 5 s behind ----
bin/zegosim -listen 127.0.0.1:0 -addr-file "$tmp/zegosim.addr" -any-secret "$secret" \
  -delay "${delay}s" -per-minute 0 -per-day 0 >"$out/zegosim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  [[ -s $tmp/zegosim.addr ]] && break
  kill -0 "$sim_pid" 2>/dev/null || die "the simulator did not start; see $out/zegosim.log"
  sleep 0.1
done
[[ -s $tmp/zegosim.addr ]] || die "the simulator did not listen within 10 s"
endpoint="http://$(<"$tmp/zegosim.addr")"

clk_tck=$(getconf CLK_TCK)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
echo "==> $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) CPUs: ${cpu_model:-unknown}; simulator at $endpoint"
echo "    collection_interval ${interval}s, idle stretch ${idle}s, initial_lookback ${lookback}s, first polls spread by ${stagger_ms} ms," \
  "GOGC unset, GOMEMLIMIT ${memlimit:-unset}; load average $(cut -d' ' -f1-3 /proc/loadavg)"

results=()
for n in $apps_list; do
  cfg=$out/config-$n.yaml
  log=$out/collector-$n.log
  {
    echo "# Generated by scripts/footprint.sh: $n zego receivers against a local zegosim."
    echo "receivers:"
    for ((i = 1; i <= n; i++)); do
      cat <<EOF
  zego/$i:
    endpoint: $endpoint
    app_id: $i
    server_secret: \${env:FOOTPRINT_ZEGO_SECRET}
    collection_interval: ${interval}s
    initial_delay: $((1000 + i * stagger_ms))ms
    timeout: 10s
    data_delay: ${delay}s
    initial_lookback: ${lookback}s
    quota: {per_minute: 60, per_day: 100000} # the simulator meters nothing here
EOF
    done
    cat <<EOF
exporters:
  debug:
    verbosity: basic
EOF
    if [[ -n $pprof ]]; then
      printf 'extensions:\n  pprof:\n    endpoint: %s\n' "$pprof"
    fi
    echo "service:"
    [[ -n $pprof ]] && echo "  extensions: [pprof]"
    cat <<EOF
  telemetry:
    metrics:
      level: none
    logs:
      sampling:
        enabled: false # one debug line per batch is how this script counts poll rounds
  pipelines:
    metrics:
      receivers: [$(seq -s, -f 'zego/%g' 1 "$n" | sed 's/,/, /g')]
      exporters: [debug]
EOF
  } >"$cfg"

  echo
  echo "==> $n receiver(s): $cfg"
  go_env=(-u GOGC -u GOMEMLIMIT)
  [[ -n $memlimit ]] && go_env+=("GOMEMLIMIT=$memlimit")
  FOOTPRINT_ZEGO_SECRET=$secret env "${go_env[@]}" bin/otelcol-zego --config "$cfg" >"$log" 2>&1 &
  col_pid=$!
  start=$(now_ms)

  wait_batches "$log" "$n" $((60 + n * stagger_ms / 1000))
  round1=$(($(now_ms) - start))
  ns_1=$(cpu_ns "$col_pid") ticks_1=$(cpu_ticks "$col_pid")
  sleep "$settle"
  rss1=$(status_kb "$col_pid" VmRSS)
  echo "    first poll round done after $((round1 / 1000)).$((round1 % 1000 / 100)) s; VmRSS ${rss1} kB"

  # Idle: nothing may be delivered while the CPU is measured.
  before_batches=$(delivered "$log")
  t_a=$(now_ms) ticks_a=$(cpu_ticks "$col_pid") ns_a=$(cpu_ns "$col_pid") wk_a=$(wakeups "$col_pid")
  sleep "$idle"
  t_b=$(now_ms) ticks_b=$(cpu_ticks "$col_pid") ns_b=$(cpu_ns "$col_pid") wk_b=$(wakeups "$col_pid")
  [[ $(delivered "$log") == "$before_batches" ]] || die "a poll fell inside the idle stretch; lower FOOTPRINT_IDLE"
  idle_ms=$((t_b - t_a))

  # The second round, and what it cost beyond idling.
  wait_batches "$log" $((2 * n)) $((interval + 30))
  sleep "$settle"
  t_c=$(now_ms) ticks_c=$(cpu_ticks "$col_pid") ns_c=$(cpu_ns "$col_pid")
  rss2=$(status_kb "$col_pid" VmRSS)
  hwm=$(status_kb "$col_pid" VmHWM)
  rss_file=$(status_kb "$col_pid" RssFile) # the binary's own pages: shared, and reclaimable
  threads=$(status_kb "$col_pid" Threads)
  if [[ -n $pprof ]]; then
    curl -sf "http://$pprof/debug/pprof/heap" -o "$out/heap-$n.pb.gz" &&
      echo "    heap profile: $out/heap-$n.pb.gz (go tool pprof -sample_index=inuse_space -top bin/otelcol-zego $out/heap-$n.pb.gz)"
  fi
  if grep -E '"level": ?"error"|[[:space:]]error[[:space:]]|GetRealtimeUsage failed' "$log" >/dev/null; then
    die "the collector logged errors; see $log"
  fi

  kill -TERM "$col_pid"
  wait "$col_pid" || true
  col_pid=''

  # Idle CPU per hour, from clock ticks (what the brief asks) and from schedstat (ns, finer).
  idle_s_h_ticks=$(awk -v t=$((ticks_b - ticks_a)) -v hz="$clk_tck" -v ms="$idle_ms" 'BEGIN { printf "%.2f", t / hz / (ms / 1000) * 3600 }')
  idle_s_h_ns='n/a' round_ms='n/a' per_poll_ms='n/a' hour_default='n/a'
  start_ms=$((ticks_1 * 1000 / clk_tck)) # startup and the first round: from ticks unless schedstat is there
  [[ -n $ns_1 ]] && start_ms=$((ns_1 / 1000000))
  if [[ -n $ns_a && -n $ns_b && -n $ns_c ]]; then
    idle_s_h_ns=$(awk -v d=$((ns_b - ns_a)) -v ms="$idle_ms" 'BEGIN { printf "%.2f", d / 1e9 / (ms / 1000) * 3600 }')
    # CPU of the second round = CPU from t_b to t_c minus what idling costs over that time.
    read -r round_ms per_poll_ms hour_default < <(awk -v d=$((ns_c - ns_b)) -v w=$((t_c - t_b)) \
      -v i=$((ns_b - ns_a)) -v iw="$idle_ms" -v n="$n" 'BEGIN {
        r = (d - i / iw * w) / 1e6; if (r < 0) r = 0
        printf "%.1f %.2f %.2f\n", r, r / n, (i / 1e9 / (iw / 1000) * 3600) + 20 * r / 1000 }')
  fi
  wakeups_s=$(awk -v w=$((wk_b - wk_a)) -v ms="$idle_ms" 'BEGIN { printf "%.1f", w / (ms / 1000) }')
  results+=("$n|$start_ms|$((rss1 / 1024))|$((rss2 / 1024))|$((${rss_file:-0} / 1024))|$((hwm / 1024))|$threads|$idle_s_h_ticks|$idle_s_h_ns|$wakeups_s|$round_ms|$per_poll_ms|$hour_default")
  echo "    idle ${idle}s: $((ticks_b - ticks_a)) ticks, $((ns_b - ns_a)) ns on CPU, $((wk_b - wk_a)) wakeups;" \
    "second round: ${round_ms} ms CPU ($((ticks_c - ticks_b)) ticks, $((ns_c - ns_b)) ns over $((t_c - t_b)) ms)"
done

echo
echo "==> footprint (VmRSS in MiB; goal: <= 60 with 1 AppID, <= 150 with 100, no CPU while idle)"
{
  echo "AppIDs|CPU ms to 1st round done|RSS after 1st round|RSS after 2nd round|of which file-backed|peak RSS|threads|idle CPU s/h (ticks)|idle CPU s/h (schedstat)|wakeups/s idle|CPU of a poll round ms|CPU per AppID poll ms|CPU s/h at a 180s interval"
  printf '%s\n' "${results[@]}"
} | if command -v column >/dev/null; then column -t -s '|' -o '  '; else tr '|' '\t'; fi
echo
echo "A poll round here fetched ${interval} s of data per AppID; a default poll fetches 180 s. \"CPU s/h at a 180s interval\""
echo "is idle CPU + 20 rounds an hour at the measured round cost. \"CPU ms to 1st round done\" includes the"
echo "collector's start-up. Logs and configs: $out/"
