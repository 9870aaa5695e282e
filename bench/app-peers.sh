#!/usr/bin/env bash
# app-peers.sh: the same JSON application on Ringmaster and on Hummingbird 2
# (bench/app-peers/, a package of its own), interleaved per round, each server on CPU 1 with
# one worker / one event loop, h2load on CPU 0. Scenarios (100 connections):
#   get        GET /items/1 (Ringmaster: a synchronous handler), one request per round trip
#   get-async  GET /async/items/1 (Ringmaster: an async handler; Hummingbird: the same /items/1)
#   get-pipe   GET /items/1, 16 in flight per connection
#   post       POST /items with a JSON body (Ringmaster: synchronous), keep-alive
#   post-async POST /async/items (Ringmaster: async; Hummingbird: /items)
#   db         GET /db/1: an async handler awaiting a 1 ms simulated database call
# Prints per run and the median ratio ringmaster/hummingbird of server CPU microseconds per
# request and of requests per second.
#   bench/app-peers.sh [ROUNDS]   (PORT: default 18495; DURATION: seconds, default 5)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${1:-3} DURATION=${DURATION:-5} PORT=${PORT:-18495}
SERVER_CPU=1 CLIENT_CPU=0
export PATH=/opt/swift/usr/bin:$PATH
command -v h2load >/dev/null || { echo "app-peers.sh: h2load missing (../shared/bench/peers.sh install)" >&2; exit 2; }
# The build plan of a path dependency is cached: a file added to the root package would be
# missed, so it is planned afresh; a failed build stops here (never a stale binary).
rm -f "$HERE"/app-peers/.build/*/release/description.json
(set -o pipefail; cd "$HERE/app-peers" && swift build -c release 2>&1 | grep -E "error|Build complete" | tail -3) || exit 1
BIN="$HERE/app-peers/.build/release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/app-peers.XXXXXX")
printf '{"id": 7, "name": "milk"}' > "$WORK/item.json"

ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

run() {  # run LABEL SCENARIO
  local label=$1 scenario=$2 out="$WORK/$1-$2.txt" path method=() depth=1 c0 c1 t0 t1 count
  case $label in
    ringmaster) taskset -c $SERVER_CPU "$BIN/RingmasterPeer" $PORT > "$WORK/server.log" 2>&1 & ;;
    hummingbird) taskset -c $SERVER_CPU "$BIN/HummingbirdPeer" $PORT > "$WORK/server.log" 2>&1 & ;;
  esac
  local server=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  case $scenario in
    get) path=/items/1 ;;
    get-async) path=/async/items/1 ;;
    get-pipe) path=/items/1 depth=16 ;;
    post) path=/items method=(-d "$WORK/item.json" -H "content-type: application/json") ;;
    post-async) path=/async/items method=(-d "$WORK/item.json" -H "content-type: application/json") ;;
    db) path=/db/1 ;;
  esac
  # Hummingbird has one handler per route: its async routes are its only routes.
  [ $label = hummingbird ] && path=${path#/async}
  timeout 30 taskset -c $CLIENT_CPU h2load --h1 -c 10 -n 2000 "${method[@]}" "http://127.0.0.1:$PORT$path" > /dev/null 2>&1
  c0=$(ticks $server) t0=$(date +%s.%N)
  timeout $((DURATION + 20)) taskset -c $CLIENT_CPU h2load --h1 -c 100 -m $depth -t 1 -D $DURATION "${method[@]}" "http://127.0.0.1:$PORT$path" > "$out" 2>&1
  c1=$(ticks $server) t1=$(date +%s.%N)
  count=$(awk '/^requests:/ {print $8}' "$out")
  local status=$(awk '/^status codes:/ {print $3}' "$out")
  kill $server; wait $server 2>/dev/null; sleep 0.5
  python3 -c "
count = int('${count:-0}' or 0); seconds = $t1 - $t0; cpu = ($c1 - $c0) * 1e6 / $(getconf CLK_TCK)
print(f'RESULT $label $scenario count={count} per_s={count / seconds:.0f} cpu_us={cpu / max(count, 1):.2f} ok=${status:-0}')"
}

: > "$WORK/results.txt"
for (( r = 1; r <= ROUNDS; r++ )); do
  for scenario in get get-async get-pipe post post-async db; do
    for label in ringmaster hummingbird; do run $label $scenario | tee -a "$WORK/results.txt"; done
  done
done
python3 "$HERE/ratios.py" "$WORK/results.txt" ringmaster hummingbird app get get-async get-pipe post post-async db
echo "results: $WORK"
