#!/usr/bin/env bash
# testssl.sh against the shipped TLS configuration (config/tls.example.json), run by `make test`.
#   scripts/tls-scan.sh [BINARY [REPORT]]    default .build/release/ringmaster; REPORT: where
#                                            to keep testssl's text report (docs/tls.md's summary)
# Fails on any finding of severity HIGH or CRITICAL about the server's TLS (protocols, ciphers,
# their order, vulnerabilities, server defaults). Findings about the certificate itself are
# printed but not counted: config/tls holds a self-signed test certificate (not for production)
# whose trust, lifetime and revocation URIs say nothing about the server (docs/tls.md).
# Loopback only; bounded to 300 s.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$root/.build/release/ringmaster}"
cd "$root"
command -v testssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends testssl.sh bsdextrautils; }

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$binary" --config config/tls.example.json --port "$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

echo "tls-scan: testssl against 127.0.0.1:$port (config/tls.example.json)"
timeout 300 testssl --quiet --color 0 --warnings off --jsonfile "$work/scan.json" "127.0.0.1:$port" > "$work/scan.txt" 2>&1 \
    || true  # testssl's exit status counts findings of every severity; the JSON is judged below
[ -z "${2:-}" ] || cp "$work/scan.txt" "$2"
python3 - "$work/scan.json" <<'PY'
import json, sys
# The test certificate's own properties (self-signed, ten years, no CRL or OCSP URI).
CERTIFICATE = {"cert_chain_of_trust", "cert_validityPeriod", "cert_revocation"}
findings = json.load(open(sys.argv[1]))
if not any(f["id"] == "cipher_negotiated" or f["id"].startswith("cipherorder") for f in findings):
    sys.exit("tls-scan: testssl reported no negotiated cipher: the scan did not reach the server")
failed = 0
for f in findings:
    if f["severity"] not in ("HIGH", "CRITICAL"):
        continue
    counted = f["id"] not in CERTIFICATE
    failed += counted
    print(f"{'FAIL' if counted else 'test certificate'}  {f['severity']:8} {f['id']}: {f['finding']}")
summary = {}
for f in findings:
    summary[f["severity"]] = summary.get(f["severity"], 0) + 1
print("tls-scan: findings by severity:", ", ".join(f"{k} {v}" for k, v in sorted(summary.items())))
sys.exit(f"tls-scan: {failed} HIGH or CRITICAL finding(s) about the server" if failed else 0)
PY
