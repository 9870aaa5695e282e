#!/usr/bin/env bash
# proxy-count.sh: kernel operations per proxied request on the proxy's CPU, counts that do not
# swing with the host's noise (perf tracepoints): SQEs submitted, CQEs posted and
# io_uring_enter calls, over N requests (h2load, 20 connections) to an nginx upstream on CPU 0.
#   bench/proxy-count.sh [BINARY] [PATH] [N]   (PATH / for 13 bytes, /big for BIG, 100 KB)
set -u
BIN=$(realpath "${1:-.build/release/ringmaster}"); PATH_=${2:-/big}; N=${3:-20000}
W=$(mktemp -d "${TMPDIR:-/tmp}/proxy-count.XXXXXX"); mkdir -p $W/up
# The upstream nginx's workers run as nobody when it starts as root: they must reach BIG.
chmod 755 "$W"
BIG=${BIG:-$W/big.bin}
[ -f "$BIG" ] || { head -c 102400 /dev/urandom > "$BIG"; chmod 644 "$BIG"; }
cat > $W/up/nginx.conf <<CONF
worker_processes 1; daemon off; pid $W/up/nginx.pid; error_log $W/up/error.log;
events { worker_connections 10240; use epoll; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:18679; location / { return 200 "Hello, World!"; } location = /big { alias $BIG; } } }
CONF
taskset -c 0 nginx -p $W/up -e $W/up/error.log -c $W/up/nginx.conf & UP=$!
cat > $W/rm.json <<JSON
{"listen": {"port": 18670}, "workers": 1, "pin_workers": false, "logging": {"level": "warning"},
 "routes": [{"path": "/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:18679"]}]}
JSON
taskset -c 1 $BIN --config $W/rm.json 2>/dev/null & P=$!
sleep 1
h2load --h1 -n 2000 -c 20 http://127.0.0.1:18670$PATH_ >/dev/null 2>&1
perf stat -x, -C 1 -e io_uring:io_uring_submit_req,io_uring:io_uring_complete,syscalls:sys_enter_io_uring_enter -o $W/perf.txt -- \
  taskset -c 0 h2load --h1 -n $N -c 20 http://127.0.0.1:18670$PATH_ > $W/h2.txt 2>&1
grep -E "succeeded" $W/h2.txt | head -1
awk -F, -v n=$N '/io_uring|sys_enter/ {printf "%-40s %8.2f per request\n", $3, $1/n}' $W/perf.txt
kill $P $UP; wait 2>/dev/null
