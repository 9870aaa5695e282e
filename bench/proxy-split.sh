#!/usr/bin/env bash
# proxy-split.sh: where a proxied request's CPU goes, Ringmaster against nginx's proxy_pass:
# user, system and softirq microseconds per request on the proxy's CPU (CPU 1, from
# /proc/stat), the upstream (an nginx: 13 bytes at /, BIG at /big) and wrk (100 connections,
# keep-alive) on CPU 0. Loopback TCP's receive path runs in the sender's softirq, so the
# proxy's CPU also pays for delivering what it sends; the split shows how much of the total
# is the kernel's, common to both.
#   bench/proxy-split.sh [BINARY] [SECONDS] [PATH]   (PATH / or /big; BIG: the file, 100 KB;
#   NGINX_EXTRA: more directives for nginx's location, RM_EXTRA: more top-level keys for
#   Ringmaster's config, ending in a comma)
set -u
BIN=$(realpath "${1:-.build/release/ringmaster}"); DUR=${2:-6}; PATH_=${3:-/}
W=$(mktemp -d "${TMPDIR:-/tmp}/proxy-split.XXXXXX")
# The upstream nginx's workers run as nobody when it starts as root: they must reach BIG.
chmod 755 "$W"
BIG=${BIG:-$W/big.bin}
[ -f "$BIG" ] || { head -c 102400 /dev/urandom > "$BIG"; chmod 644 "$BIG"; }
mkdir -p $W/up $W/ng/tmp
cat > $W/up/nginx.conf <<CONF
worker_processes 1; daemon off; pid $W/up/nginx.pid; error_log $W/up/error.log;
events { worker_connections 10240; use epoll; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:18579; location / { return 200 "Hello, World!"; }
    location = /big { alias $BIG; } } }
CONF
taskset -c 0 nginx -p $W/up -e $W/up/error.log -c $W/up/nginx.conf & UP=$!
cat > $W/rm.json <<JSON
{"listen": {"port": 18570}, "workers": 1, "pin_workers": false, "logging": {"level": "warning"}, ${RM_EXTRA:-}
 "routes": [{"path": "/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:18579"]}]}
JSON
cat > $W/ng/nginx.conf <<CONF
worker_processes 1; daemon off; pid $W/ng/nginx.pid; error_log $W/ng/error.log;
events { worker_connections 10240; use epoll; multi_accept on; }
http { access_log off; keepalive_requests 1000000; client_body_temp_path $W/ng/tmp; proxy_temp_path $W/ng/tmp;
  upstream app { server 127.0.0.1:18579; keepalive 32; }
  server { listen 127.0.0.1:18571 reuseport;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; ${NGINX_EXTRA:-} } } }
CONF
sleep 0.5
measure() { # name port
  local a b req
  sleep 0.5
  wrk -t1 -c100 -d1s http://127.0.0.1:$2$PATH_ >/dev/null 2>&1
  a=$(awk '/^cpu1 /{print $2+$3, $4, $7, $8}' /proc/stat)
  req=$(taskset -c 0 wrk -t1 -c100 -d${DUR}s http://127.0.0.1:$2$PATH_ | awk '/^Requests\/sec/{print $2}')
  b=$(awk '/^cpu1 /{print $2+$3, $4, $7, $8}' /proc/stat)
  python3 - "$1" "$req" "$DUR" $a $b <<'PY'
import sys
name, rps, dur = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
a = list(map(int, sys.argv[4:8])); b = list(map(int, sys.argv[8:12]))
hz = 100.0
d = [(y - x) / hz for x, y in zip(a, b)]  # seconds: user, system, irq, softirq
n = rps * dur
us = [x / n * 1e6 for x in d]
print(f"{name:10s} rps={rps:8.0f} user={us[0]:6.2f} sys={us[1]:6.2f} irq={us[2]:5.2f} softirq={us[3]:6.2f} total={sum(us):6.2f} us/req")
PY
}
for round in 1 2; do
  taskset -c 1 $BIN --config $W/rm.json & P=$!; sleep 1; measure ringmaster 18570; kill $P; wait $P 2>/dev/null
  taskset -c 1 nginx -p $W/ng -e $W/ng/error.log -c $W/ng/nginx.conf & P=$!; sleep 1; measure nginx 18571; kill $P; wait $P 2>/dev/null
done
kill $UP; wait $UP 2>/dev/null
