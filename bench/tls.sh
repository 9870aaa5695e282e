#!/usr/bin/env bash
# tls.sh: Ringmaster's HTTPS against nginx's, same certificate (config/tls/localhost.pem,
# ECDSA P-256), same OpenSSL 3.0 (both link Debian 12's libssl3), same protocols and TLS 1.2
# suites (Mozilla intermediate), server cipher order, tickets on and no session cache on both.
# Interleaved per round; the server on CPU 1 (one worker), the client on CPU 0. Scenarios:
#   ka        h2load --h1 over TLS, 100 connections, one request per round trip
#   pipe      h2load --h1 over TLS, 100 connections, 16 requests in flight per connection
#   new       openssl s_time -new: a full handshake and one HTTP/1.0 GET per connection
#   resumed   openssl s_time -reuse: a resumed handshake (ticket) and one GET per connection
# Prints per run and the median ratio ringmaster/nginx of server CPU microseconds per request
# (per connection for new/resumed) and of requests (connections) per second.
#   bench/tls.sh [BINARY] [ROUNDS]   (PORT: default 18490; DURATION: seconds, default 6)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=$(realpath "${1:-.build/release/ringmaster}") ROUNDS=${2:-3}
DURATION=${DURATION:-6} PORT=${PORT:-18490}
SERVER_CPU=1 CLIENT_CPU=0
CERT="$ROOT/config/tls/localhost.pem" KEY="$ROOT/config/tls/localhost.key"
CIPHERS="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tls-bench.XXXXXX")
for tool in h2load openssl nginx taskset; do command -v $tool >/dev/null || { echo "tls.sh: $tool missing (../shared/bench/peers.sh install)" >&2; exit 2; }; done

cat > "$WORK/rm.json" <<JSON
{"listen": {"port": $PORT}, "workers": 1, "logging": {"level": "warning"},
 "tls": {"certificate": "$CERT", "key": "$KEY"}}
JSON
mkdir -p "$WORK/nginx/tmp"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 10;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 10240; use epoll; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp;
  ssl_certificate $CERT;
  ssl_certificate_key $KEY;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers $CIPHERS;
  ssl_prefer_server_ciphers on;
  ssl_session_cache off;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:$PORT ssl reuseport;
    location / { return 200 "Hello, World!"; }
  }
}
CONF

# Server CPU ticks (utime+stime) of PID and its children.
ticks() {
  local total=0 pid
  for pid in $1 $(cat /proc/$1/task/*/children 2>/dev/null); do
    [ -r /proc/$pid/stat ] && total=$((total + $(awk '{print $14 + $15}' /proc/$pid/stat)))
  done
  echo $total
}

start() {  # start LABEL: runs the server pinned, waits for the port
  case $1 in
    ringmaster) taskset -c $SERVER_CPU "$BIN" --config "$WORK/rm.json" > "$WORK/server.log" 2>&1 & ;;
    nginx) taskset -c $SERVER_CPU nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" > "$WORK/server.log" 2>&1 & ;;
  esac
  SERVER=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return; sleep 0.1; done
  echo "tls.sh: $1 did not listen on $PORT" >&2
}

stop() { kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; sleep 0.5; }

# run LABEL SCENARIO: prints "RESULT label scenario count=N seconds=S cpu_us=U"
run() {
  local label=$1 scenario=$2 out="$WORK/$1-$2.txt" t0 t1 c0 c1 count
  start $label
  # Warm-up (connections, the server's caches); not measured.
  timeout 20 taskset -c $CLIENT_CPU h2load --h1 -c 10 -n 2000 "https://127.0.0.1:$PORT/plaintext" > /dev/null 2>&1
  c0=$(ticks $SERVER) t0=$(date +%s.%N)
  case $scenario in
    ka)   timeout $((DURATION + 20)) taskset -c $CLIENT_CPU h2load --h1 -c 100 -m 1 -t 1 -D $DURATION "https://127.0.0.1:$PORT/plaintext" > "$out" 2>&1
          count=$(awk '/^requests:/ {print $8}' "$out") ;;
    pipe) timeout $((DURATION + 20)) taskset -c $CLIENT_CPU h2load --h1 -c 100 -m 16 -t 1 -D $DURATION "https://127.0.0.1:$PORT/plaintext" > "$out" 2>&1
          count=$(awk '/^requests:/ {print $8}' "$out") ;;
    new)  timeout $((DURATION + 20)) taskset -c $CLIENT_CPU openssl s_time -connect 127.0.0.1:$PORT -new -time $DURATION -www /plaintext > "$out" 2>&1
          count=$(awk '/connections in/ {print $1; exit}' "$out") ;;
    resumed) timeout $((DURATION + 20)) taskset -c $CLIENT_CPU openssl s_time -connect 127.0.0.1:$PORT -reuse -time $DURATION -www /plaintext > "$out" 2>&1
          count=$(awk '/connections in/ {print $1; exit}' "$out") ;;
  esac
  c1=$(ticks $SERVER) t1=$(date +%s.%N)
  stop
  local hz; hz=$(getconf CLK_TCK)
  python3 -c "
import sys
count = int('${count:-0}' or 0); seconds = $t1 - $t0; cpu = ($c1 - $c0) * 1e6 / $hz
print(f'RESULT $label $scenario count={count} per_s={count / seconds:.0f} cpu_us={cpu / max(count, 1):.2f}')"
}

: > "$WORK/results.txt"
for (( r = 1; r <= ROUNDS; r++ )); do
  for scenario in ka pipe new resumed; do
    for label in ringmaster nginx; do run $label $scenario | tee -a "$WORK/results.txt"; done
  done
done
python3 "$HERE/ratios.py" "$WORK/results.txt" ringmaster nginx tls ka pipe new:connection resumed:connection
echo "results: $WORK"
