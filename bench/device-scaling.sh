#!/usr/bin/env bash
# Multi-worker scaling run on the lent 16-core machine: ringmaster pinned to CPUs 0-7 with
# 1, 2, 4, 8 workers; the static loadgen on CPUs 8-15 (8 threads, 256 connections), pipelined
# (depth 16) and keep-alive (depth 1), 4 s each; server CPU µs/request from /proc/PID/stat.
set -u
D=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$D/lib
OUT=${OUT:-/tmp}
{
echo "# host: $(uname -r) cpus=$(nproc) $(grep -m1 'model name' /proc/cpuinfo)"
for c in 0 1 8; do echo "cpu$c siblings: $(cat /sys/devices/system/cpu/cpu$c/topology/thread_siblings_list)"; done
numactl -H 2>/dev/null | head -3 || echo "numactl absent"; ls /sys/devices/system/node | grep node
ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn)
TICK=$(getconf CLK_TCK)
for W in 1 2 4 8; do
  taskset -c 0-7 "$D/ringmaster" --host 127.0.0.1 --port 18180 --workers $W >"$OUT/server-$W.log" 2>&1 &
  PID=$!
  for i in $(seq 50); do grep -q listening "$OUT/server-$W.log" && break; sleep 0.1; done
  if ! kill -0 $PID 2>/dev/null; then echo "workers=$W FAILED: $(cat "$OUT/server-$W.log")"; continue; fi
  for DEPTH in 16 1; do
    PATHQ=/plaintext; [ $DEPTH = 1 ] && PATHQ=/
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ U0 S0 _ < /proc/$PID/stat
    R=$(taskset -c 8-15 "$D/loadgen" 127.0.0.1 18180 $PATHQ 8 256 $DEPTH 4)
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ U1 S1 _ < /proc/$PID/stat
    REQ=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$R")
    RPS=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$R")
    CPU_US=$(awk -v u=$((U1-U0)) -v s=$((S1-S0)) -v t=$TICK -v n=$REQ 'BEGIN{ if (n>0) printf "%.3f", (u+s)/t*1e6/n; else print "NA" }')
    SRV_PCT=$(awk -v u=$((U1-U0)) -v s=$((S1-S0)) -v t=$TICK 'BEGIN{ printf "%.0f", (u+s)/t/4*100 }')
    echo "SCALING workers=$W depth=$DEPTH rps=$RPS requests=$REQ cpu_us_per_req=$CPU_US srv_cpu_pct=$SRV_PCT"
  done
  head -n $((W + 1)) "$OUT/server-$W.log" | sed 's/^/  log: /'
  kill -TERM $PID; T0=$(date +%s%N); wait $PID; RC=$?; T1=$(date +%s%N)
  echo "SHUTDOWN workers=$W exit=$RC exit_ms=$(( (T1 - T0) / 1000000 ))"
done
} 2>&1 | tee "$OUT/scaling.txt"
