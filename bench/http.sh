#!/usr/bin/env bash
# bench/http.sh - the HTTP API with wrk on loopback, beside a bare libmicrohttpd server in the
# same run (issue 5's figures):
#   1. POST /api/v1/reports in NDJSON batches of 1,000 from two reporters at once into a fresh
#      store of DEVICES devices (bench_http --serve stores them and prints the rate);
#   2. wrk against GET /api/v1/devices/{ip} and GET /v1/decisions?ip= over those devices, and
#      against the bare server answering a fixed JSON body: requests/s and p99 latency at
#      CONNS connections, RUNS runs each, alternating, medians;
#   3. how long a new listing takes to reach lookups, and the image's last build time.
# Environment: BENCH_QUICK=1 (100,000 devices), BENCH_RUNS (default 3), BENCH_SECONDS (5),
# BENCH_CONNS (64), BENCH_OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_HTTP:-$ROOT/build/bench/bench_http}
OUT=${BENCH_OUT:-$ROOT/bench/out}
RUNS=${BENCH_RUNS:-3}
SECONDS_EACH=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNS:-64}
DEVICES=1000000
[ "${BENCH_QUICK:-0}" = 1 ] && DEVICES=100000
THREADS=2

say() { printf 'bench: %s\n' "$*" >&2; }
[ -x "$BIN" ] || { say "$BIN is missing: run 'make bench'"; exit 1; }
if ! command -v wrk >/dev/null; then
    say "wrk is missing: installing it"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null ||
        { say "cannot install wrk"; exit 1; }
fi
mkdir -p "$OUT/http"
W="$OUT/http"
SRV=; BARE=
trap 'kill $SRV $BARE 2>/dev/null || true' EXIT

# start NAME ARGS...: runs bench_http ARGS in the background until it prints "ready ..."
start() {
    local name=$1; shift
    "$BIN" "$@" > "$W/$name.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 36000); do
        grep -q '^ready ' "$W/$name.out" && { echo "$pid"; return 0; }
        kill -0 "$pid" 2>/dev/null || { say "$name died: $(tail -3 "$W/$name.out")"; exit 1; }
        sleep 0.05
    done
    say "$name never got ready"; exit 1
}

say "storing $DEVICES devices (two reporters) ..."
SRV=$(start serve --serve "$W" "$DEVICES" "$THREADS")
read -r _ PORT KEY < <(grep '^ready ' "$W/serve.out")
BARE=$(start bare --bare "$THREADS")
read -r _ BPORT < <(grep '^ready ' "$W/bare.out")

# run KIND PORT: one wrk run; prints "req/s p99_ms"
run() {
    KIND=$1 DEVICES=$DEVICES KEY=$KEY wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency \
        -s "$ROOT/bench/http.lua" "http://127.0.0.1:$2" > "$W/wrk.txt" 2>&1
    python3 - "$W/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rate = float(re.search(r"Requests/sec:\s*([\d.]+)", t).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{rate:.0f} {p99:.2f} {errs.group(1) if errs else 0}")
PY
}

: > "$W/runs.tsv"
for i in $(seq 1 "$RUNS"); do
    for kind in device decision bare; do
        port=$PORT; [ $kind = bare ] && port=$BPORT
        read -r rate p99 errs < <(run $kind "$port")
        printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$kind" "$rate" "$p99" "$errs" >> "$W/runs.tsv"
        say "run $i $kind: $rate req/s, p99 $p99 ms, non-2xx $errs"
    done
done
kill $SRV $BARE 2>/dev/null || true; SRV=; BARE=

python3 - "$W/runs.tsv" "$W/serve.out" "$DEVICES" "$CONNS" <<'PY'
import statistics as st, sys, re
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
serve = open(sys.argv[2]).read()
def med(kind, col): return st.median(float(r[col]) for r in rows if r[1] == kind)
bare = med("bare", 2)
post = re.search(r"([\d.]+) reports/s stored", serve).group(1)
fresh_bulk = re.search(r"reaches lookups in (\d+) ms \(right after", serve).group(1)
fresh = re.search(r"reaches lookups in (\d+) ms \(steady", serve).group(1)
build = re.search(r"last image build: ([\d.]+) s for (\d+) devices", serve)
print(f"HTTP API, {sys.argv[3]} devices, wrk -t2 -c{sys.argv[4]} on loopback, medians of {len(rows)//3} runs")
print(f"  POST /api/v1/reports (batches of 1000, two reporters at once): {float(post):.0f} reports/s  (target >= 100000)")
for kind, label in (("device", "GET /api/v1/devices/{ip}"), ("decision", "GET /v1/decisions?ip=")):
    print(f"  {label}: {med(kind, 2):.0f} req/s = {med(kind, 2) / bare:.2f} of bare (target >= 0.60), p99 {med(kind, 3):.2f} ms (target < 5)")
print(f"  bare libmicrohttpd, fixed JSON body: {bare:.0f} req/s, p99 {med('bare', 3):.2f} ms")
print(f"  a new listing reaches lookups in {fresh} ms (target < 1000); right after the bulk load, while the image still catches up with it: {fresh_bulk} ms; the image's last update took {build.group(1)} s for {build.group(2)} devices")
PY
