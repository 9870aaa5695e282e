#!/usr/bin/env bash
# Builds the libFuzzer target for RingmasterHTTP (Fuzz/) and runs it for a bounded time.
#   scripts/fuzz.sh [SECONDS]    default 60
# Runs on a temporary copy of Fuzz/corpus/http, so the committed corpus never grows.
# Exits non-zero and prints the crash file if the fuzzer finds a crash. Installs nothing,
# downloads nothing (the Fuzz package depends only on the root package, by path).
# Extra libFuzzer flags can be passed after the seconds, e.g. scripts/fuzz.sh 60 -jobs=2.
set -euo pipefail

seconds="${1:-60}"
shift || true
case "$seconds" in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
scratch="$root/.build-fuzz"

# --sanitize=fuzzer makes SwiftPM compile with -parse-as-library and link without its
# `--defsym main=FuzzHTTPParser_main`, so libFuzzer's main is the entry point. The
# sanitizers themselves come from one -Xswiftc flag: SwiftPM passes each --sanitize as a
# separate -sanitize= option in no fixed order and swiftc keeps only the last, so
# `--sanitize=fuzzer --sanitize=address` randomly loses coverage or ASan.
swift build -c debug \
    --package-path "$root/Fuzz" --scratch-path "$scratch" \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
binary="$scratch/debug/FuzzHTTPParser"
# Refuse to "fuzz" an uninstrumented binary (it runs, but finds nothing).
grep -q __sancov_cntrs "$binary" || { echo "fuzz.sh: $binary has no coverage instrumentation" >&2; exit 2; }
grep -q __asan_init "$binary" || { echo "fuzz.sh: $binary is not built with AddressSanitizer" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-fuzz.XXXXXX")"
cleanup() { rm -rf "$work/corpus"; }
trap cleanup EXIT
mkdir -p "$work/corpus" "$work/artifacts"
cp "$root/Fuzz/corpus/http/"* "$work/corpus/"

status=0
"$binary" "$work/corpus" \
    -dict="$root/Fuzz/http.dict" \
    -max_total_time="$seconds" -max_len=4096 -timeout=5 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" \
    "$@" || status=$?

crashes=("$work"/artifacts/*)
if [ -e "${crashes[0]}" ]; then
    echo "fuzz.sh: the fuzzer found a problem; reproducer(s) kept in $work/artifacts:" >&2
    for crash in "${crashes[@]}"; do echo "  $crash" >&2; done
    echo "fuzz.sh: replay with: $binary <file>   minimise with: $binary -minimize_crash=1 -max_total_time=60 <file>" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: the fuzzer exited with status $status" >&2
    exit "$status"
fi
rm -rf "$work"
echo "fuzz.sh: no crash in ${seconds}s"
