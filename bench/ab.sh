#!/usr/bin/env bash
# ab.sh: A/B of Ringmaster variants against each other, interleaved (base, variant, ...
# per round), with the shared kit's peer-bench.sh; prints RATIO lines variant / base.
#   bench/ab.sh BASE_BINARY VARIANT_BINARY [SCENARIOS] [ROUNDS]
# A variant that is a configuration rather than a binary: pass a wrapper script that execs
# the binary with its --config. This is how docs/benchmarks.md's issue-5 items were measured
# (prefetch: a build with it removed; QUICKACK: a config with tcp.quickack = true).
set -u
K=${BENCH:-$(cd "$(dirname "$0")/../../shared/bench" && pwd)}
BASE=$1 VARIANT=$2 SCEN=${3:-keepalive,pipeline,h2load-ka} ROUNDS=${4:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX"); OUT=$WORK/results.txt; : > "$OUT"
for (( r = 1; r <= ROUNDS; r++ )); do
  for v in base variant; do
    bin=$BASE; [[ $v == variant ]] && bin=$VARIANT
    "$K/peer-bench.sh" --label $v --port 18300 --scenarios "$SCEN" --repeat 1 --duration 8 --warmup 2 \
      --tag round=$r --out "$OUT" --workdir "$WORK/$v-$r" -- "$bin" --port {PORT} >/dev/null 2>"$WORK/$v-$r.log" \
      || echo "ab.sh: $v round $r failed (see $WORK/$v-$r.log)" >&2
    sleep 1
  done
done
python3 "$K/summarize.py" "$OUT" --target variant --base base --scenarios "$SCEN"
