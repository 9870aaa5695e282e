#!/usr/bin/env bash
# CPU per request with the request duration histogram on and off (metrics.request_duration),
# same release binary, interleaved rounds: server (1 worker) on CPU 1, loadgen on CPU 0,
# keep-alive (depth 1, GET /) and pipelined (depth 16, GET /plaintext), 64 connections.
# Prints server CPU µs per request (utime+stime from /proc/PID/stat) for each run.
# The order of the two settings alternates by round, so neither always runs first.
#   bench/duration-histogram.sh [ROUNDS] [SECONDS]     DEPTHS="1 16" by default
set -u
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.build/release/ringmaster
LOADGEN=${LOADGEN:-/tmp/ringmaster-loadgen}
[ -x "$LOADGEN" ] || cc -O2 -pthread -o "$LOADGEN" "$ROOT/bench/loadgen.c" || exit 1
TICK=$(getconf CLK_TCK)
PORT=18191
for round in $(seq "$ROUNDS"); do
  order="true false"; [ $((round % 2)) = 0 ] && order="false true"
  for setting in $order; do
    LOG=$(mktemp)
    taskset -c 1 "$BIN" --port $PORT --set metrics.request_duration=$setting --set pin_workers=false >"$LOG" 2>&1 &
    PID=$!
    for i in $(seq 100); do grep -q listening "$LOG" && break; sleep 0.05; done
    for DEPTH in ${DEPTHS:-1 16}; do
      PATHQ=/plaintext; [ $DEPTH = 1 ] && PATHQ=/
      read -r _ _ _ _ _ _ _ _ _ _ _ _ _ U0 S0 _ < /proc/$PID/stat
      R=$(taskset -c 0 "$LOADGEN" 127.0.0.1 $PORT $PATHQ 1 64 $DEPTH "$SECONDS_PER_RUN")
      read -r _ _ _ _ _ _ _ _ _ _ _ _ _ U1 S1 _ < /proc/$PID/stat
      REQ=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$R")
      RPS=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$R")
      CPU_US=$(awk -v u=$((U1-U0)) -v s=$((S1-S0)) -v t=$TICK -v n=$REQ 'BEGIN{ if (n>0) printf "%.3f", (u+s)/t*1e6/n; else print "NA" }')
      echo "HISTOGRAM round=$round request_duration=$setting depth=$DEPTH rps=$RPS cpu_us_per_req=$CPU_US"
    done
    kill -TERM $PID; wait $PID 2>/dev/null
    rm -f "$LOG"
  done
done
