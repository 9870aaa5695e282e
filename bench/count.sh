#!/usr/bin/env bash
# count.sh: stable cost figures per request (issue 15, item 4). Timings on this shared 2-core
# host move by 8-50% between runs; counts do not. For each scenario and server it sends an
# exact number of requests (bench/countload.c) and divides by that number:
#   - kernel events on the server's threads alone (perf stat -p, which also follows the io-wq
#     threads the worker creates): io_uring_enter calls, SQEs submitted, CQEs posted, SQEs
#     punted to io-wq, internal poll arms, all system calls, context switches;
#   - user-space instructions (valgrind --tool=callgrind on a stripped copy of the binary,
#     since valgrind 3.19 cannot read the Swift toolchain's DWARF 5), collected only while
#     the measured requests run (--instr-atstart=no, callgrind_control -i on/off).
# And resident memory at start (rss): VmRSS summed over the process tree, one worker, and
# for Ringmaster also two workers, whose difference is what one more idle worker costs
# (per_worker_kb; per_worker_owned_kb counts only anonymous memory and the rings, which does
# not move with the shared libraries' pages).
#
#   bench/count.sh [-n REQUESTS] [--scenarios LIST] [--servers ringmaster,nginx]
#                  [--binary PATH] [--label NAME] [--no-callgrind] [--server-cpu C] [--client-cpu C]
#                  [--port P (18600)]
# Scenarios (default all): keepalive (100 conns, 1 in flight), pipeline (100 conns, depth 16,
# /plaintext), close (50 conns, the client closes after each request), static-1k,
# static-100k, static-1m (files from a directory route / nginx root tuned as
# bench/static-files.sh does: sendfile, tcp_nopush, open_file_cache), rss.
# REQUESTS (default 100000) is divided by 4 for static-100k and by 20 for static-1m;
# callgrind runs a fiftieth of that. Prints one line per server and scenario:
#   COUNT ringmaster keepalive requests=100000 enter=0.36 sqe=... cqe=... async=... poll=... syscalls=... cs=... instr=...
# Loopback only, one server at a time, each load bounded (countload -t). The server runs on
# --server-cpu (1), the client on --client-cpu (0), both through taskset.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=100000 SCEN="keepalive,pipeline,close,static-1k,static-100k,static-1m,rss" SERVERS="ringmaster,nginx"
BIN=$HERE/../.build/release/ringmaster LABEL=ringmaster CALLGRIND=1 SCPU=1 CCPU=0 PORT=18600
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N=$2; shift 2;;
    --scenarios) SCEN=$2; shift 2;;
    --servers) SERVERS=$2; shift 2;;
    --binary) BIN=$2; shift 2;;
    --label) LABEL=$2; shift 2;;
    --no-callgrind) CALLGRIND=0; shift;;
    --server-cpu) SCPU=$2; shift 2;;
    --client-cpu) CCPU=$2; shift 2;;
    --port) PORT=$2; shift 2;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0;;
    *) echo "count.sh: unknown option $1" >&2; exit 2;;
  esac
done
BIN=$(realpath "$BIN")
for tool in perf valgrind callgrind_control nginx cc ss; do
  command -v $tool >/dev/null || { echo "count.sh: $tool missing (../shared/bench/peers.sh install; apt-get install linux-perf valgrind)" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/count.XXXXXX"); chmod 755 "$WORK"
SITE=$WORK/www; mkdir -p "$SITE"
head -c 1024 /dev/urandom >"$SITE/1k.bin"
head -c 102400 /dev/urandom >"$SITE/100k.bin"
head -c 1048576 /dev/urandom >"$SITE/1m.bin"
chmod -R a+rX "$SITE"
cc -O2 -o "$WORK/countload" "$HERE/countload.c" || exit 2
cc -O2 -shared -fPIC -o "$WORK/vg-openat2.so" "$HERE/vg-openat2.c" -ldl || exit 2
# valgrind reads the stripped copy; perf counts the binary as built.
cp "$BIN" "$WORK/ringmaster-stripped" && strip "$WORK/ringmaster-stripped"
EVENTS=syscalls:sys_enter_io_uring_enter,io_uring:io_uring_submit_req,io_uring:io_uring_complete
EVENTS=$EVENTS,io_uring:io_uring_queue_async_work,io_uring:io_uring_poll_arm,raw_syscalls:sys_enter,context-switches

# Config files: the same answers from both servers ("Hello, World!" for / and /plaintext).
ringmaster_config() {  # WORKERS
  cat >"$WORK/rm-$1.json" <<JSON
{"listen": {"port": $PORT}, "workers": $1, "pin_workers": false, "logging": {"level": "warning"},
 "routes": [{"path": "/", "kind": "static", "body": "Hello, World!"},
            {"path": "/plaintext", "kind": "static", "body": "Hello, World!"},
            {"path": "/static/", "kind": "directory", "root": "$SITE"}]}
JSON
}
nginx_config() {  # MASTER(on|off)
  local d=$WORK/nginx-$1; mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<CONF
worker_processes 1;
master_process $1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 10240; use epoll; multi_accept on; }
http {
$(sed "s|@DIR@|$d|g" "$HERE/nginx-static-http.conf")
  server {
    listen 127.0.0.1:$PORT reuseport;
    location = / { default_type text/plain; return 200 "Hello, World!"; }
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location /static/ { alias $SITE/; }
  }
}
CONF
}

# The command line of SERVER (ringmaster|nginx), MODE (perf|callgrind|rss2).
server_argv() {
  local server=$1 mode=$2 vg=()
  # vg-openat2.so: valgrind 3.19 fails openat2 with ENOSYS (see the file).
  [[ $mode == callgrind ]] && vg=(env LD_PRELOAD="$WORK/vg-openat2.so" valgrind --tool=callgrind --instr-atstart=no
                                  --callgrind-out-file="$WORK/cg.out")
  if [[ $server == ringmaster ]]; then
    local workers=1 bin=$BIN
    [[ $mode == rss2 ]] && workers=2
    [[ $mode == callgrind ]] && bin=$WORK/ringmaster-stripped
    ringmaster_config $workers
    ARGV=("${vg[@]}" "$bin" --config "$WORK/rm-$workers.json")
  else
    local master=on; [[ $mode == callgrind ]] && master=off
    nginx_config $master
    ARGV=("${vg[@]}" nginx -p "$WORK/nginx-$master" -e "$WORK/nginx-$master/error.log" -c "$WORK/nginx-$master/nginx.conf")
  fi
}

listening() { [[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]]; }
SPID=""
start_server() {  # SERVER MODE CPUS
  server_argv "$1" "$2"
  listening && { echo "count.sh: port $PORT already in use" >&2; exit 1; }
  taskset -c "$3" "${ARGV[@]}" >"$WORK/server.log" 2>&1 &
  SPID=$!
  for (( i = 0; i < 600; i++ )); do listening && return 0; kill -0 $SPID 2>/dev/null || break; sleep 0.1; done
  echo "count.sh: $1 ($2) did not listen; log: $WORK/server.log" >&2; tail -5 "$WORK/server.log" >&2; exit 1
}
stop_server() {
  kill -TERM $SPID 2>/dev/null
  for (( i = 0; i < 300; i++ )); do kill -0 $SPID 2>/dev/null || break; sleep 0.1; done
  kill -KILL $SPID 2>/dev/null; wait $SPID 2>/dev/null
  for (( i = 0; i < 50; i++ )); do listening || break; sleep 0.1; done
}
tree_pids() { echo $SPID $(pgrep -P $SPID); }

# countload arguments of a scenario (for REQUESTS requests).
load_args() {  # SCENARIO REQUESTS
  case "$1" in
    keepalive) echo "-n $2 -c 100";;
    pipeline) echo "-n $2 -c 100 -m 16 -u /plaintext";;
    close) echo "-n $2 -c 50 -x";;
    static-1k) echo "-n $2 -c 100 -u /static/1k.bin";;
    static-100k) echo "-n $(( $2 / 4 )) -c 100 -u /static/100k.bin";;
    static-1m) echo "-n $(( $2 / 20 )) -c 20 -u /static/1m.bin";;
  esac
}
requests_of() { set -- $(load_args "$1" "$2"); echo "$2"; }
run_load() {  # SCENARIO REQUESTS
  taskset -c "$CCPU" "$WORK/countload" -p $PORT -t 300 $(load_args "$1" "$2") >>"$WORK/load.log" \
    || { echo "count.sh: load $1 failed against $SERVER: $(tail -1 "$WORK/load.log")" >&2; return 1; }
}
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf (a / b < 10 ? "%.3f" : "%.1f"), a / b }'; }

measure_perf() {  # SCENARIO -> "enter=... sqe=..." (per request)
  local scen=$1 n; n=$(requests_of "$scen" "$N")
  start_server "$SERVER" perf "$SCPU"
  run_load "$scen" $(( N / 10 )) || { stop_server; return 1; }   # warm-up: caches, faulted pages
  perf stat -x, -o "$WORK/perf.txt" -e "$EVENTS" -p "$(tree_pids | tr ' ' ,)" &
  local ppid=$!
  sleep 0.5
  run_load "$scen" "$N"; local rc=$?
  kill -INT $ppid; wait $ppid
  stop_server
  [[ $rc == 0 ]] || return 1
  awk -F, -v n="$n" '
    { name = $3; sub(/.*:/, "", name); v[name] += $1 }
    END { printf "enter=%.3f sqe=%.3f cqe=%.3f async=%.3f poll=%.3f syscalls=%.3f cs=%.3f",
          v["sys_enter_io_uring_enter"] / n, v["io_uring_submit_req"] / n, v["io_uring_complete"] / n,
          v["io_uring_queue_async_work"] / n, v["io_uring_poll_arm"] / n, v["sys_enter"] / n, v["context-switches"] / n }' \
    <(grep -v '^#' "$WORK/perf.txt" | grep ,)
}

measure_callgrind() {  # SCENARIO -> "instr=..." (user-space instructions per request)
  # Short runs on a fresh server, retried: under valgrind 3.19 Ringmaster's worker
  # occasionally stops in the request parser after a few thousand requests (never seen
  # natively; see docs/benchmarks.md), so each try is a few thousand requests at most.
  local scen=$1 cn=$(( N / 50 )) n try
  n=$(requests_of "$scen" $cn)
  for (( try = 1; try <= 6; try++ )); do
    rm -f "$WORK"/cg.out*
    start_server "$SERVER" callgrind "$SCPU"
    # Warm-up on one connection: fills the file cache without cycling through slots.
    taskset -c "$CCPU" "$WORK/countload" -p $PORT -t 60 $(load_args "$scen" 80 | sed 's/-n [0-9]*/-n 4/; s/-c [0-9]*/-c 1/') >>"$WORK/load.log"
    callgrind_control -i on $SPID >/dev/null 2>&1 || { stop_server; continue; }
    run_load "$scen" $cn; local rc=$?
    # Dump now: valgrind 3.19 can crash when Ringmaster exits (its io-wq threads), before
    # the exit-time dump.
    callgrind_control -d $SPID >/dev/null 2>&1
    stop_server
    [[ $rc == 0 ]] || continue
    local total; total=$(awk '/^(summary|totals):/ && $2 > 0 { print $2; exit }' "$WORK"/cg.out.1 2>/dev/null)
    [[ -n "$total" ]] || continue
    echo "instr=$(per "$total" "$n")"
    return 0
  done
  return 1
}

rss_kb() { local t=0; for p in $(tree_pids); do t=$(( t + $(awk '/^VmRSS/ { print $2 }' /proc/$p/status) )); done; echo $t; }
# What a worker owns, without the shared libraries' pages (which move by ~150 KB between
# runs): anonymous memory plus the io_uring rings (mapped from the kernel, counted as file).
owned_kb() {
  local p=$SPID
  echo $(( $(awk '/^RssAnon/ { print $2 }' /proc/$p/status) + $(awk '/^[0-9a-f]+-/ { ring = ($6 ~ /io_uring/) } /^Rss:/ && ring { t += $2 } END { print t + 0 }' /proc/$p/smaps) ))
}
measure_rss() {
  start_server "$SERVER" perf "$SCPU"; sleep 1; local one own1; one=$(rss_kb); own1=$(owned_kb); stop_server
  if [[ $SERVER == ringmaster ]]; then
    start_server "$SERVER" rss2 "0,$SCPU"; sleep 1; local two own2; two=$(rss_kb); own2=$(owned_kb); stop_server
    echo "rss_kb=$one rss_2workers_kb=$two per_worker_kb=$(( two - one )) owned_kb=$own1 per_worker_owned_kb=$(( own2 - own1 ))"
  else
    echo "rss_kb=$one"
  fi
}

IFS=, read -ra SCS <<<"$SCEN"
IFS=, read -ra SVS <<<"$SERVERS"
echo "count.sh: workdir $WORK, $N requests, binary $BIN" >&2
for scen in "${SCS[@]}"; do
  for SERVER in "${SVS[@]}"; do
    label=$SERVER; [[ $SERVER == ringmaster ]] && label=$LABEL
    if [[ $scen == rss ]]; then echo "COUNT $label rss $(measure_rss)"; continue; fi
    line="COUNT $label $scen requests=$(requests_of "$scen" "$N")"
    counts=$(measure_perf "$scen") || counts="perf=failed"
    line="$line $counts"
    if [[ $CALLGRIND == 1 ]]; then
      instr=$(measure_callgrind "$scen") || instr="instr=failed"
      line="$line $instr"
    fi
    echo "$line"
  done
done
echo "count.sh: raw outputs in $WORK" >&2
