#!/usr/bin/env bash
# app-split.sh: where a request's CPU goes on Ringmaster and on Hummingbird 2 (the peers of
# bench/app-peers.sh, built there): the server process's user and system microseconds per
# request (/proc/PID/stat) and CPU 1's softirq, for a sync GET, an async GET and the 1 ms
# database route; server on CPU 1, h2load (100 connections, keep-alive) on CPU 0.
#   bench/app-split.sh [ROUNDS]   (PORT: default 18595; DURATION: seconds, default 5)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${1:-2} PORT=${PORT:-18595} D=${DURATION:-5}
export PATH=/opt/swift/usr/bin:$PATH
# The build plan of a path dependency is cached: a file added to the root package would be
# missed, so it is planned afresh; a failed build stops here (never a stale binary).
rm -f "$HERE"/app-peers/.build/*/release/description.json
(set -o pipefail; cd "$HERE/app-peers" && swift build -c release 2>&1 | grep -E "error|Build complete" | tail -3) || exit 1
BIN="$HERE/app-peers/.build/release"
for (( round = 1; round <= ROUNDS; round++ )); do
for path in /items/1 /async/items/1 /db/1; do
for label in ringmaster hummingbird; do
  case $label in ringmaster) taskset -c 1 $BIN/RingmasterPeer $PORT >/dev/null 2>&1 & ;; hummingbird) taskset -c 1 $BIN/HummingbirdPeer $PORT >/dev/null 2>&1 & ;; esac
  S=$!; p=$path; [ $label = hummingbird ] && p=${p#/async}
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  taskset -c 0 h2load --h1 -c 10 -n 2000 http://127.0.0.1:$PORT$p >/dev/null 2>&1
  a=$(awk '{print $14, $15}' /proc/$S/stat); s0=$(awk '/^cpu1 /{print $7+$8}' /proc/stat)
  n=$(taskset -c 0 h2load --h1 -c 100 -t 1 -D $D http://127.0.0.1:$PORT$p 2>&1 | awk '/^requests:/ {print $8}')
  b=$(awk '{print $14, $15}' /proc/$S/stat); s1=$(awk '/^cpu1 /{print $7+$8}' /proc/stat)
  kill $S; wait $S 2>/dev/null; sleep 0.3
  python3 -c "
a='$a'.split(); b='$b'.split(); n=int('$n' or 1); hz=100
u=(int(b[0])-int(a[0]))/hz/n*1e6; s=(int(b[1])-int(a[1]))/hz/n*1e6; q=($s1-$s0)/hz/n*1e6
print(f'$label {\"$path\":16s} n={n:7d} user={u:6.2f} sys={s:6.2f} softirq(cpu1)={q:6.2f} user+sys={u+s:6.2f} us/req')"
done; done; done
