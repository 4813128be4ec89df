#!/usr/bin/env bash
# bench/formats.sh - the parsers' and enrichment's benchmarks (`make bench` runs it after
# bench/run.sh):
#   1. `botwatch parse --format sshd` of a realistic 1,000,000-line auth.log into /dev/null, and
#      Debian's fail2ban-regex with its sshd filter on the same lines, in the same run;
#   2. full ingest of that auth.log into a fresh store (lines/s);
#   3. cowrie and suricata parse-only throughput (MB/s) on ~200 MB files;
#   4. ASN + country lookups and table load (bench_asn), Recog fingerprinting (bench_recog),
#      sector / contacts / advisories (bench_context);
#   5. what enrichment adds to the foundation's ingest benchmark (1M simulated reports with and
#      without the data sets), alternating.
# Inputs are generated from the real samples in tests/fixtures with varied addresses (fixed
# seed). Medians of BENCH_RUNS runs (default 3). Output: a markdown block for RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BW=${BOTWATCH:-build/botwatch}
OUT=${BENCH_OUT:-bench/out}
RUNS=${BENCH_RUNS:-3}
NOW=2026-06-01T12:00:00Z
DATA=${BOTWATCH_DATA:-.cache/data}
mkdir -p "$OUT"
# the peer: Debian's fail2ban (fail2ban-regex with its stock sshd filter)
if ! command -v fail2ban-regex >/dev/null && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q fail2ban >/dev/null 2>&1 || true
fi

gen() { # gen KIND LINES OUT: repeat fixture lines with varied public addresses
    python3 - "$1" "$2" "$3" <<'PY'
import random, re, sys
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = {"sshd": ["tests/fixtures/sshd/elastic-auth.log", "tests/fixtures/sshd/OpenSSH_2k.log"],
       "cowrie": ["tests/fixtures/cowrie/fail2ban_cowrie.log"],
       "suricata": ["tests/fixtures/suricata/eve_examples_from_docs.ndjson",
                    "tests/fixtures/suricata/suricata-eve-detect.log",
                    "tests/fixtures/suricata/suricata-logs-evelog.log"]}[kind]
lines = []
for f in src:
    for l in open(f, encoding="utf-8", errors="replace"):
        l = l.rstrip("\n")
        if l and not l.startswith("#") and (kind == "sshd" or l.startswith("{")):
            lines.append(l)
rnd = random.Random(1)
ip = re.compile(r"\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b")
def addr(m):
    return "%d.%d.%d.%d" % (rnd.choice([5, 31, 45, 81, 89, 103, 175, 185, 212]),
                            rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
with open(out, "w") as f:
    i = 0
    while i < n:
        for l in lines:
            if i >= n:
                break
            f.write(ip.sub(addr, l) + "\n")
            i += 1
PY
}

median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -n 1; }

[ -f "$OUT/auth-1m.log" ] || gen sshd 1000000 "$OUT/auth-1m.log"
[ -f "$OUT/cowrie.json" ] || gen cowrie 400000 "$OUT/cowrie.json"
[ -f "$OUT/eve.json" ] || gen suricata 200000 "$OUT/eve.json"
mb() { python3 -c 'import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)' "$1"; }

# 1. sshd parse vs fail2ban-regex (fail2ban-regex is slow: it runs on the first 100,000 lines
#    of the same file, and the comparison is of lines per second)
p=(); for _ in $(seq "$RUNS"); do p+=("$(secs "$BW" --now "$NOW" parse --format sshd "$OUT/auth-1m.log")"); done
sshd_s=$(median "${p[@]}")
head -n 100000 "$OUT/auth-1m.log" > "$OUT/auth-100k.log"
f2b_s=NA
if command -v fail2ban-regex >/dev/null; then
    f2b_s=$(secs fail2ban-regex "$OUT/auth-100k.log" /etc/fail2ban/filter.d/sshd.conf)
fi
# 2. ingest of the auth.log
i=(); for _ in $(seq "$RUNS"); do
    rm -f "$OUT/auth.db"*
    i+=("$(secs "$BW" --db "$OUT/auth.db" --now "$NOW" --data "$DATA" ingest --format sshd "$OUT/auth-1m.log")")
done
ingest_s=$(median "${i[@]}")
# 3. JSON formats
c=(); s=(); for _ in $(seq "$RUNS"); do
    c+=("$(secs "$BW" --now "$NOW" parse --format cowrie "$OUT/cowrie.json")")
    s+=("$(secs "$BW" --now "$NOW" parse --format suricata "$OUT/eve.json")")
done
cowrie_s=$(median "${c[@]}"); eve_s=$(median "${s[@]}")
# 4. enrichment micro-benchmarks
asn=$(build/bench/bench_asn "$DATA" 2>&1 | tail -n 30)
recog=$(build/bench/bench_recog tests/fixtures/recog 100000 "$RUNS" 2>&1 | tail -n 30)
ctx=$(build/bench/bench_context "$DATA" 2>&1 | tail -n 30)
# 5. enrichment's share of the foundation ingest
[ -f "$OUT/sim-1m.ndjson" ] || "$BW" --now "$NOW" simulate --devices 200000 --reports 1000000 --seed 1 > "$OUT/sim-1m.ndjson"
with=(); without=(); for _ in $(seq "$RUNS"); do
    rm -f "$OUT/e.db"*; with+=("$(secs "$BW" --db "$OUT/e.db" --now "$NOW" --data "$DATA" ingest "$OUT/sim-1m.ndjson")")
    rm -f "$OUT/e.db"*; without+=("$(BOTWATCH_DATA=/nonexistent secs "$BW" --db "$OUT/e.db" --now "$NOW" --data /nonexistent ingest "$OUT/sim-1m.ndjson")")
done
with_s=$(median "${with[@]}"); without_s=$(median "${without[@]}")

python3 - "$sshd_s" "$f2b_s" "$ingest_s" "$cowrie_s" "$eve_s" "$(mb "$OUT/cowrie.json")" \
    "$(mb "$OUT/eve.json")" "$with_s" "$without_s" "$RUNS" <<PY
import sys
sshd, f2b, ingest, cow, eve, cow_mb, eve_mb, w, wo, runs = sys.argv[1:]
sshd, ingest, cow, eve, cow_mb, eve_mb, w, wo = map(float, (sshd, ingest, cow, eve, cow_mb, eve_mb, w, wo))
f2b_rate = 100000 / float(f2b) if f2b != "NA" else None
rows = [
 ("parse --format sshd, 1M-line auth.log", f"{1e6/sshd:,.0f} lines/s", f"{sshd:.2f} s", ">= 1,000,000 lines/s"),
 ("fail2ban-regex, sshd filter, same lines (first 100k)", f"{f2b_rate:,.0f} lines/s" if f2b_rate else "not installed", f"{float(f2b):.1f} s" if f2b_rate else "", ""),
 ("sshd parse / fail2ban-regex", f"{(1e6/sshd)/f2b_rate:,.0f}x" if f2b_rate else "n/a", "lines per second ratio", ">= 40x"),
 ("ingest --format sshd, same file, fresh store", f"{1e6/ingest:,.0f} lines/s", f"{ingest:.2f} s", ">= 300,000 lines/s"),
 ("parse --format cowrie", f"{cow_mb/cow:,.0f} MB/s", f"{cow_mb:.0f} MB in {cow:.2f} s", ">= 200 MB/s"),
 ("parse --format suricata", f"{eve_mb/eve:,.0f} MB/s", f"{eve_mb:.0f} MB in {eve:.2f} s", ">= 200 MB/s"),
 ("ingest 1M simulated reports, with enrichment", f"{1e6/w:,.0f} reports/s", f"{w:.2f} s", ""),
 ("the same without the data sets", f"{1e6/wo:,.0f} reports/s", f"{wo:.2f} s", ""),
 ("what enrichment adds", f"{(w/wo-1)*100:.0f}%", "time with / without - 1", "<= 25%"),
]
print(f"| measure (median of {runs}) | figure | detail | target |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
echo
echo '```'
echo "bench_asn:"; echo "$asn" | grep -E "median|load|lookups|rate|=" | head -12
echo "bench_recog:"; echo "$recog" | grep -E "median" | head -8
echo "bench_context:"; echo "$ctx" | grep -E "median|/s|ms" | head -8
echo '```'
