#!/usr/bin/env bash
# HTTP benchmark: wrk (2 threads, 64 keep-alive connections) against a tiny JSON endpoint on
# Sparrow's server and, side by side in the same run, a minimal Hummingbird 2 server (the anchor).
# Also Sparrow over TLS and with gzip. Loopback only; every run is bounded by DURATION.
#   benchmarks/http_bench.sh            (DURATION=10s ROUNDS=2 by default)
# Output: a Markdown table on stdout (copy into docs/benchmarks/http.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
WRK="wrk -t2 -c64 -d$DURATION --latency"
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }

swift build -c release --product sparrow >&2
SPARROW=${SPARROW_BIN:-.build/release/sparrow}
(cd benchmarks/hummingbird-server && swift build -c release --scratch-path ../../.build-hb >&2)
HB=.build-hb/release/HBBenchServer

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout "$work/key.pem" \
    -out "$work/cert.pem" 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do curl -ks -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no server at $1" >&2; exit 1; }

HB_PORT=$(free_port); "$HB" "$HB_PORT" >"$work/hb.log" 2>&1 & pids+=($!)
SP_PORT=$(free_port); "$SPARROW" http-bench-server --port "$SP_PORT" >"$work/sp.log" 2>&1 & pids+=($!)
TLS_PORT=$(free_port); "$SPARROW" http-bench-server --port "$TLS_PORT" --tls-cert "$work/cert.pem" \
    --tls-key "$work/key.pem" >"$work/tls.log" 2>&1 & pids+=($!)
wait_port "http://127.0.0.1:$HB_PORT/json"; wait_port "http://127.0.0.1:$SP_PORT/json"; wait_port "https://127.0.0.1:$TLS_PORT/json"

# run NAME URL [wrk args...] -> appends "NAME rps p99ms" to results
run() {
    local name=$1 url=$2; shift 2
    local out; out=$($WRK "$@" "$url")
    local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    local p99; p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
    local errors; errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    echo "$name $rps $p99 $errors" >>"$work/results"
    echo "$name: $rps req/s, p99 ${p99} ms $errors" >&2
}

# Warm both up, then alternate rounds so drift hits both alike.
wrk -t2 -c64 -d2s "http://127.0.0.1:$HB_PORT/json" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:$SP_PORT/json" >/dev/null
for r in $(seq "$ROUNDS"); do
    run hummingbird "http://127.0.0.1:$HB_PORT/json"
    run sparrow "http://127.0.0.1:$SP_PORT/json"
done
run sparrow-tls "https://127.0.0.1:$TLS_PORT/json"
run sparrow-doc-identity "http://127.0.0.1:$SP_PORT/doc"
run sparrow-doc-gzip "http://127.0.0.1:$SP_PORT/doc" -H "Accept-Encoding: gzip"

python3 - "$work/results" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    rows[parts[0]].append((float(parts[1]), float(parts[2]), " ".join(parts[3:])))
def best(name):  # median of rounds for rps, and p99 of the same round
    runs = sorted(rows[name]); return runs[len(runs) // 2]
hb = best("hummingbird")
print("| server | endpoint | requests/s | p99 latency (ms) | vs Hummingbird req/s | vs Hummingbird p99 |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for name, endpoint in [("hummingbird", "GET /json"), ("sparrow", "GET /json"), ("sparrow-tls", "GET /json over TLS"),
                       ("sparrow-doc-identity", "GET /doc (8 KiB JSON)"), ("sparrow-doc-gzip", "GET /doc, gzip")]:
    if name not in rows: continue
    rps, p99, err = best(name)
    note = f" ({err})" if err else ""
    print(f"| {name} | {endpoint}{note} | {rps:,.0f} | {p99:.2f} | {rps / hb[0]:.2f}x | {p99 / hb[1]:.2f}x |")
PY
