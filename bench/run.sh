#!/usr/bin/env bash
# bench/run.sh - botwatch's benchmarks (`make bench` builds, then runs this).
#
# Measures, on simulated data (deterministic: same arguments and --now, same bytes):
#   1. ingest of REPORTS native NDJSON reports over DEVICES devices into a fresh database,
#      whole process, against bare_insert (bench/bare_insert.c: the same rows pre-parsed and
#      inserted into one plain SQLite table with one index) in the same run, alternating;
#   2. peak RSS of that ingest (/usr/bin/time %M) at REPORTS and 2 x REPORTS, to show it is
#      flat as the input grows;
#   3. `botwatch lookup` of one address in a LOOKUP_DEVICES-device database, as a whole
#      process, with hyperfine, next to two peers measured in the same run.
# The machine is shared and noisy: every figure is a median of several runs, and the ingest
# figure is also given as a ratio to its peer.
#
# Environment:
#   BENCH_QUICK=1   1/10 scale, a smoke test (targets are printed but are not a verdict)
#   BENCH_RUNS=N    runs of each ingest measurement (default 3, at least 3 for RESULTS.md)
#   BOTWATCH, BARE_INSERT   the binaries (default build/botwatch, build/bench/bare_insert)
#   BENCH_OUT       working directory (default bench/out; holds GBs at full scale)
# Output: a summary table and a markdown block for bench/RESULTS.md, also written to
# $BENCH_OUT/summary.txt and $BENCH_OUT/results-block.md; raw figures in $BENCH_OUT/runs.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOTWATCH=${BOTWATCH:-$ROOT/build/botwatch}
BARE_INSERT=${BARE_INSERT:-$ROOT/build/bench/bare_insert}
OUT=${BENCH_OUT:-$ROOT/bench/out}
RUNS=${BENCH_RUNS:-3}
QUICK=${BENCH_QUICK:-0}
NOW=2026-06-01T12:00:00Z
SEED=1

DEVICES=200000
REPORTS=1000000
LOOKUP_DEVICES=1000000
LOOKUP_REPORTS=1200000
if [ "$QUICK" = 1 ]; then
    DEVICES=$((DEVICES / 10))
    REPORTS=$((REPORTS / 10))
    LOOKUP_DEVICES=$((LOOKUP_DEVICES / 10))
    LOOKUP_REPORTS=$((LOOKUP_REPORTS / 10))
fi
REPORTS2=$((REPORTS * 2))

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for bin in "$BOTWATCH" "$BARE_INSERT"; do
    [ -x "$bin" ] || die "$bin is missing: run 'make' (or 'make bench') first"
done
command -v hyperfine >/dev/null || die "hyperfine is missing (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is missing"
command -v sqlite3 >/dev/null || die "the sqlite3 shell is missing (apt-get install sqlite3)"
if [ ! -x /usr/bin/time ]; then
    # GNU time is the one tool here that reports a child's peak RSS.
    say "/usr/bin/time is missing: installing the 'time' package"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends time \
        >/dev/null || die "cannot install 'time'"
fi
[ "$RUNS" -ge 1 ] 2>/dev/null || die "BENCH_RUNS must be a positive integer"

mkdir -p "$OUT"
TSV=$OUT/runs.tsv
printf 'kind\tinput\trun\twall_s\trows_per_s\tpeak_rss_kb\tself_rate\n' >"$TSV"

# Simulated input, kept between runs: the name carries every argument that shapes it.
simulate() { # devices reports -> prints the path
    local f="$OUT/sim-d$1-r$2-s$SEED.ndjson"

    if [ ! -s "$f" ]; then
        say "simulating $2 reports over $1 devices -> ${f#"$ROOT"/}"
        "$BOTWATCH" --now "$NOW" simulate --devices "$1" --reports "$2" --seed "$SEED" \
            >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    printf '%s\n' "$f"
}

fresh() { rm -f "$1" "$1-wal" "$1-shm" "$1-journal"; }

now_ns() { date +%s%N; }

# One botwatch ingest into a fresh database: appends a row to runs.tsv.
run_ingest() { # label input run
    local db=$OUT/x.db t0 t1 wall rss lines self

    fresh "$db"
    t0=$(now_ns)
    /usr/bin/time -f %M -o "$OUT/time.txt" \
        "$BOTWATCH" --db "$db" --now "$NOW" ingest --json "$2" >"$OUT/ingest.json"
    t1=$(now_ns)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(tail -n 1 "$OUT/time.txt")
    read -r lines self < <(python3 -c 'import json, sys; o = json.load(open(sys.argv[1]));
print(o["lines"], round(o["rate"]))' "$OUT/ingest.json")
    printf 'botwatch\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$wall" \
        "$(awk -v n="$lines" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')" "$rss" "$self" \
        >>"$TSV"
    say "  botwatch ingest $1 #$3: ${wall} s, peak RSS ${rss} kB ($(cat "$OUT/ingest.json"))"
    fresh "$db"
}

# One bare_insert into a fresh database: appends a row to runs.tsv.
run_bare() { # label input run
    local db=$OUT/bare.db line rate

    fresh "$db"
    line=$("$BARE_INSERT" "$2" "$db")
    rate=$(printf '%s\n' "$line" | sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p')
    [ -n "$rate" ] || die "bare_insert said: $line"
    printf 'bare\t%s\t%s\t%s\t%s\t\t\n' "$1" "$3" \
        "$(printf '%s\n' "$line" | sed -n 's/.*insert_s=\([0-9.]*\).*/\1/p')" "$rate" >>"$TSV"
    say "  bare_insert $1 #$3: $line"
    fresh "$db"
}

say "botwatch $("$BOTWATCH" --version 2>&1 | head -n 1); $RUNS runs; scale $([ "$QUICK" = 1 ] \
    && echo '1/10 (BENCH_QUICK)' || echo full); load average $(cut -d' ' -f1-3 /proc/loadavg)"
IN1=$(simulate "$DEVICES" "$REPORTS")
IN2=$(simulate "$DEVICES" "$REPORTS2")
INL=$(simulate "$LOOKUP_DEVICES" "$LOOKUP_REPORTS")

# 1. ingest against bare_insert, alternating which goes first so neither always inherits the
# other's dirty page cache.
say "ingest of $REPORTS reports over $DEVICES devices, against bare_insert"
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then
        run_bare 1x "$IN1" "$i"
        run_ingest 1x "$IN1" "$i"
    else
        run_ingest 1x "$IN1" "$i"
        run_bare 1x "$IN1" "$i"
    fi
done

# 2. the same ingest at twice the input, for peak memory.
say "ingest of $REPORTS2 reports over $DEVICES devices, for peak memory"
for i in $(seq 1 "$RUNS"); do
    run_ingest 2x "$IN2" "$i"
done

# 3. lookup latency in a LOOKUP_DEVICES-device database (built once, untimed).
LDB=$OUT/lookup-d$LOOKUP_DEVICES-r$LOOKUP_REPORTS.db
if [ ! -s "$LDB" ] || [ "$LDB" -ot "$BOTWATCH" ]; then
    say "building the lookup database (${LDB#"$ROOT"/})"
    fresh "$LDB"
    "$BOTWATCH" --db "$LDB" --now "$NOW" ingest --json "$INL" >"$OUT/lookup-ingest.json"
fi
LISTED=$("$BOTWATCH" --db "$LDB" --now "$NOW" list --listed --limit 1)
[ -n "$LISTED" ] || die "no listed device in the lookup database"
# An unknown public IPv4 address: the first candidate the database does not hold.
UNKNOWN=""
for cand in 9.9.9.9 8.8.4.4 1.0.0.1 77.88.8.8 94.140.14.14; do
    hex=$(printf '00000000000000000000ffff%02x%02x%02x%02x' ${cand//./ })
    if [ "$(sqlite3 "$LDB" "SELECT count(*) FROM devices WHERE ip = x'$hex'")" = 0 ]; then
        UNKNOWN=$cand
        UNKNOWN_HEX=$hex
        break
    fi
done
[ -n "$UNKNOWN" ] || die "every candidate unknown address is in the lookup database"
LISTED_HEX=$(python3 -c 'import ipaddress, sys; a = ipaddress.ip_address(sys.argv[1]);
print((a.packed if a.version == 6 else bytes(10) + b"\xff\xff" + a.packed).hex())' "$LISTED")
DEVCOUNT=$(sqlite3 "$LDB" 'SELECT count(*) FROM devices')
say "lookup in $DEVCOUNT devices: listed $LISTED, unknown $UNKNOWN"
# Peers, in the same hyperfine run: the process floor (botwatch --version) and a bare point
# query by the sqlite3 shell on the same database.
hyperfine -N --warmup 3 --runs 30 --export-json "$OUT/lookup.json" \
    -n "lookup listed" "$BOTWATCH --db $LDB --now $NOW lookup $LISTED" \
    -n "lookup unknown" "$BOTWATCH --db $LDB --now $NOW lookup $UNKNOWN" \
    -n "peer: botwatch --version" "$BOTWATCH --version" \
    -n "peer: sqlite3 point query" \
    "sqlite3 $LDB \"SELECT * FROM devices WHERE ip = x'$LISTED_HEX'\"" >&2

# Summary and markdown block.
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
RAM_KB=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
export TSV OUT QUICK RUNS NOW SEED DEVICES REPORTS REPORTS2 LOOKUP_DEVICES LOOKUP_REPORTS \
    LISTED UNKNOWN DEVCOUNT CPU RAM_KB UNKNOWN_HEX
NPROC=$(nproc)
KERNEL=$(uname -r)
SQLITE=$(sqlite3 --version | cut -d' ' -f1)
WHEN=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
BINS="botwatch $(sha256sum "$BOTWATCH" | cut -c1-12) ($BOTWATCH), bare_insert \
$(sha256sum "$BARE_INSERT" | cut -c1-12) ($BARE_INSERT)"
export NPROC KERNEL SQLITE WHEN LOAD BINS
python3 - <<'EOF'
import csv, json, os, statistics as st

e = os.environ
rows = list(csv.DictReader(open(e["TSV"]), delimiter="\t"))
def pick(kind, inp, col):
    return [float(r[col]) for r in rows if r["kind"] == kind and r["input"] == inp]
med = st.median
bare = pick("bare", "1x", "rows_per_s")
bw = pick("botwatch", "1x", "rows_per_s")
bw_self = pick("botwatch", "1x", "self_rate")
pairs = [b / a for a, b in zip(bare, bw)]  # run i of each: measured back to back
rss1 = pick("botwatch", "1x", "peak_rss_kb")
rss2 = pick("botwatch", "2x", "peak_rss_kb")
bw2 = pick("botwatch", "2x", "rows_per_s")
hf = {r["command"]: r for r in json.load(open(os.path.join(e["OUT"], "lookup.json")))["results"]}
ms = lambda name, k="median": hf[name][k] * 1000
quick = e["QUICK"] == "1"
mb = lambda kb: kb * 1024 / 1e6

def verdict(ok):
    return "n/a (quick scale)" if quick else ("met" if ok else "MISSED")

rate, ratio = med(bw), med(bw) / med(bare)
growth = med(rss2) / med(rss1)
lk_listed, lk_unknown = ms("lookup listed"), ms("lookup unknown")
cmd_sim = ("build/botwatch --now {NOW} simulate --devices {d} --reports {r} --seed {SEED} > FILE")
table = [
    ("ingest, botwatch (whole process)", f"{rate:,.0f} reports/s",
     f"runs {', '.join(f'{x:,.0f}' for x in bw)}; self-reported {med(bw_self):,.0f}",
     ">= 150,000", verdict(rate >= 150000)),
    ("ingest, bare_insert (inserts only)", f"{med(bare):,.0f} rows/s",
     f"runs {', '.join(f'{x:,.0f}' for x in bare)}", "", ""),
    ("ratio botwatch / bare (of medians)", f"{ratio:.2f}",
     f"per pair {', '.join(f'{x:.2f}' for x in pairs)}; median {med(pairs):.2f}", ">= 0.4",
     verdict(ratio >= 0.4)),
    (f"peak RSS, {int(e['REPORTS']):,} reports", f"{mb(med(rss1)):.1f} MB",
     f"runs {', '.join(f'{mb(x):.1f}' for x in rss1)}", "< 200 MB",
     verdict(mb(max(rss1)) < 200)),
    (f"peak RSS, {int(e['REPORTS2']):,} reports", f"{mb(med(rss2)):.1f} MB",
     f"runs {', '.join(f'{mb(x):.1f}' for x in rss2)}; ingest {med(bw2):,.0f} reports/s",
     "< 200 MB", verdict(mb(max(rss2)) < 200)),
    ("peak RSS growth, 2x input / 1x", f"{growth:.2f}x", "flat = within 10%", "flat",
     verdict(growth <= 1.10)),
    (f"lookup listed ({e['LISTED']})", f"{lk_listed:.2f} ms",
     f"mean {ms('lookup listed', 'mean'):.2f} +- {ms('lookup listed', 'stddev'):.2f}",
     "< 5 ms", verdict(lk_listed < 5)),
    (f"lookup unknown ({e['UNKNOWN']})", f"{lk_unknown:.2f} ms",
     f"mean {ms('lookup unknown', 'mean'):.2f} +- {ms('lookup unknown', 'stddev'):.2f}",
     "< 5 ms", verdict(lk_unknown < 5)),
    ("peer: botwatch --version", f"{ms('peer: botwatch --version'):.2f} ms",
     "process floor", "", ""),
    ("peer: sqlite3 shell point query", f"{ms('peer: sqlite3 point query'):.2f} ms",
     f"lookup listed / this = {lk_listed / ms('peer: sqlite3 point query'):.2f}", "", ""),
]

w = [max(len(r[i]) for r in table) for i in range(5)]
summary = "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in table)
machine = (f"{e['NPROC']} CPUs ({e['CPU']}), {int(e['RAM_KB']) / 1048576:.1f} GiB RAM, "
           f"Linux {e['KERNEL']}, SQLite {e['SQLITE']}; load average at the end {e['LOAD']}")
md = [f"### Run of {e['WHEN']}{' (BENCH_QUICK=1, 1/10 scale: not a verdict)' if quick else ''}",
      "", f"- machine: {machine}",
      f"- binaries: {e['BINS']}",
      f"- command: `make bench` (bench/run.sh), {e['RUNS']} runs of each ingest, alternating "
      "with bare_insert; medians", "",
      "| measure | median | detail | target | |", "|---|---|---|---|---|"]
md += [f"| {' | '.join(r)} |" for r in table]
md += ["", "Commands measured:", "",
       "```",
       cmd_sim.format(d=e["DEVICES"], r=e["REPORTS"], **e) + "    # and --reports "
       + e["REPORTS2"] + "; lookup db: --devices " + e["LOOKUP_DEVICES"] + " --reports "
       + e["LOOKUP_REPORTS"],
       f"build/bench/bare_insert FILE bench/out/bare.db        # transactions of 100000 rows",
       f"/usr/bin/time -f %M build/botwatch --db bench/out/x.db --now {e['NOW']} ingest --json FILE",
       f"hyperfine -N --warmup 3 --runs 30 'build/botwatch --db LOOKUP_DB --now {e['NOW']} "
       f"lookup {e['LISTED']}'   # and {e['UNKNOWN']}; database of {int(e['DEVCOUNT']):,} devices",
       "```"]
md = "\n".join(md)
open(os.path.join(e["OUT"], "summary.txt"), "w").write(summary + "\n")
open(os.path.join(e["OUT"], "results-block.md"), "w").write(md + "\n")
print("\n== summary ==\n" + summary + "\n\n== for bench/RESULTS.md ==\n" + md)
EOF
