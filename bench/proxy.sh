#!/usr/bin/env bash
# proxy.sh: Ringmaster's reverse proxy against nginx's proxy_pass in front of the same upstream
# (an nginx answering a fixed 13-byte body on --upstream-cpu, default 0, beside the load
# generator), interleaved per round with the shared kit's peer-bench.sh (keep-alive, the proxy
# on CPU 1, wrk on CPU 0); prints summarize.py's RATIO lines. The ratio is the proxies' server
# CPU per request: both relay to an upstream pool with keep-alive (nginx: `keepalive 32`,
# proxy_http_version 1.1), neither logs.
#   bench/proxy.sh [BINARY] [ROUNDS]   (PORT_BASE: the proxies' port, default 18470)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
K=${BENCH:-$(cd "$HERE/../../shared/bench" && pwd)}
BIN=$(realpath "${1:-.build/release/ringmaster}") ROUNDS=${2:-3}
DURATION=${DURATION:-8} UPSTREAM_PORT=${UPSTREAM_PORT:-18479} UPSTREAM_CPU=${UPSTREAM_CPU:-0}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/proxy.XXXXXX")
mkdir -p "$WORK/up"
cat > "$WORK/up/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/up/nginx.pid;
error_log $WORK/up/error.log;
events { worker_connections 10240; use epoll; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 "Hello, World!"; } }
}
CONF
taskset -c "$UPSTREAM_CPU" nginx -p "$WORK/up" -e "$WORK/up/error.log" -c "$WORK/up/nginx.conf" &
UP=$!
trap 'kill $UP 2>/dev/null; wait $UP 2>/dev/null' EXIT
sleep 0.5

cat > "$WORK/ringmaster.sh" <<SH
#!/bin/sh
cat > "\$BENCH_WORKDIR/rm.json" <<JSON
{"listen": {"port": \$PORT}, "workers": 1, "logging": {"level": "warning"},
 "routes": [{"path": "/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:$UPSTREAM_PORT"]}]}
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
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path \$d/tmp; proxy_temp_path \$d/tmp;
  upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 32; }
  server {
    listen 127.0.0.1:\$PORT reuseport;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
exec nginx -p \$d -e \$d/error.log -c \$d/nginx.conf
SH
chmod +x "$WORK/ringmaster.sh" "$WORK/nginx.sh"
: > "$WORK/results.txt"
for (( r = 1; r <= ROUNDS; r++ )); do
  for label in ringmaster nginx; do
    "$K/peer-bench.sh" --label $label --port ${PORT_BASE:-18470} --scenarios keepalive --path /app/x --repeat 1 \
      --duration "$DURATION" --warmup 2 --tag round=$r --out "$WORK/results.txt" \
      --workdir "$WORK/$label-$r" -- "$WORK/$label.sh" >/dev/null 2>"$WORK/$label-$r.log" \
      || echo "proxy.sh: $label round $r failed (see $WORK/$label-$r.log)" >&2
    sleep 1
  done
done
python3 "$K/summarize.py" "$WORK/results.txt" --target ringmaster --base nginx --scenarios keepalive | sed "s/^RATIO /RATIO proxy-/"
echo "results: $WORK"
