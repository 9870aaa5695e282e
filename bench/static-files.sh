#!/usr/bin/env bash
# static-files.sh: Ringmaster against nginx serving the same static files (SIZES, default
# "1k 100k"; "1m" or "100m" also work), interleaved per round with the shared kit's
# peer-bench.sh (keep-alive, 100 connections, server on CPU 1, wrk on CPU 0), then
# summarize.py's RATIO lines per file size.
#   bench/static-files.sh [BINARY] [ROUNDS] [SCENARIOS]   (PORT_BASE: the port, default 18400)
# nginx is configured the way one tunes it for static files (sendfile, tcp_nopush,
# open_file_cache revalidated every second like our cache, access_log off), so the ratio is
# against nginx at its best, not its defaults. docs/benchmarks.md records the results.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
K=${BENCH:-$(cd "$HERE/../../shared/bench" && pwd)}
BIN=$(realpath "${1:-.build/release/ringmaster}") ROUNDS=${2:-3} SCEN=${3:-keepalive}
DURATION=${DURATION:-8} SIZES=${SIZES:-1k 100k}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/static.XXXXXX")
SITE=$WORK/www
mkdir -p "$SITE"
# One file per size: "1k" is 1024 bytes, "100k" 102400, "1m" 1048576, "100m" 100 MiB.
for size in $SIZES; do
  case "$size" in
    *k) bytes=$(( ${size%k} * 1024 ));; *m) bytes=$(( ${size%m} * 1048576 ));; *) bytes=$size;;
  esac
  head -c "$bytes" /dev/urandom > "$SITE/$size.bin"
done
chmod -R a+rX "$WORK"

# Each server is started by peer-bench.sh with PORT, BENCH_SERVER_CPU and BENCH_WORKDIR set.
cat > "$WORK/ringmaster.sh" <<SH
#!/bin/sh
cat > "\$BENCH_WORKDIR/rm.json" <<JSON
{"listen": {"port": \$PORT}, "workers": 1, "logging": {"level": "warning"},
 "routes": [{"path": "/", "kind": "directory", "root": "$SITE"}]}
JSON
exec "$BIN" --config "\$BENCH_WORKDIR/rm.json"
SH
cat > "$WORK/nginx.sh" <<SH
#!/bin/sh
d=\$BENCH_WORKDIR/nginx; mkdir -p \$d/tmp
mask=1; i=0; while [ \$i -lt \$BENCH_SERVER_CPU ]; do mask="\${mask}0"; i=\$((i+1)); done
cat > \$d/nginx.conf <<CONF
worker_processes 1;
worker_cpu_affinity \$mask;
daemon off;
pid \$d/nginx.pid;
error_log \$d/error.log;
events { worker_connections 10240; use epoll; multi_accept on; }
http {
\$(sed "s|@DIR@|\$d|g" "$HERE/nginx-static-http.conf")
  server {
    listen 127.0.0.1:\$PORT reuseport;
    root $SITE;
  }
}
CONF
exec nginx -p \$d -e \$d/error.log -c \$d/nginx.conf
SH
chmod +x "$WORK/ringmaster.sh" "$WORK/nginx.sh"

for size in $SIZES; do : > "$WORK/results-$size.txt"; done
for (( r = 1; r <= ROUNDS; r++ )); do
  for size in $SIZES; do
    for label in ringmaster nginx; do
      "$K/peer-bench.sh" --label $label --port ${PORT_BASE:-18400} --scenarios "$SCEN" --path "/$size.bin" --repeat 1 \
        --duration "$DURATION" --warmup 2 --tag round=$r --out "$WORK/results-$size.txt" \
        --workdir "$WORK/$label-$size-$r" -- "$WORK/$label.sh" >/dev/null 2>"$WORK/$label-$size-$r.log" \
        || echo "static-files.sh: $label $size round $r failed (see $WORK/$label-$size-$r.log)" >&2
      sleep 1
    done
  done
done
for size in $SIZES; do
  echo "== $size file"
  python3 "$K/summarize.py" "$WORK/results-$size.txt" --target ringmaster --base nginx --scenarios "$SCEN" | sed "s/^RATIO /RATIO static-$size-/"
done
echo "results: $WORK"
