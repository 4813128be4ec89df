#!/usr/bin/env bash
# bench/notify.sh - one notification cycle over many listed devices and contacts (`make bench`
# runs it after bench/run.sh; figures go to bench/RESULTS.md).
#
# For each scale (DEVICES, and DEVICES / 10 to show memory does not grow with devices):
#   1. `botwatch simulate` writes DEVICES devices over 1.2 x DEVICES reports in the last 6 days,
#      ingested with every simulated reporter at high trust, so every device is listed;
#   2. the contacts: one per /24 for the CONTACTS - 250 /24s with the most devices, and one per
#      country (a CERT) for the rest, imported, then `botwatch enrich --all` gives each device
#      its contact;
#   3. `botwatch notify run --no-send` (the first cycle: every case built, rendered and queued)
#      is timed with its peak RSS (/usr/bin/time %M), RUNS times on copies of the same
#      database; the median is reported. A second cycle (nothing new) is timed once.
# The issue's target: the first cycle at 1,000,000 devices over 20,000 contacts in under 60 s,
# with a peak RSS that does not grow with the device count.
#
# Environment: BENCH_QUICK=1 (1/10 scale), BENCH_RUNS (default 3), BOTWATCH, BENCH_OUT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOTWATCH=${BOTWATCH:-$ROOT/build/botwatch}
OUT=${BENCH_OUT:-$ROOT/bench/out}/notify
RUNS=${BENCH_RUNS:-3}
NOW=2026-06-01T12:00:00Z
DEVICES=1000000
CONTACTS=20000
[ "${BENCH_QUICK:-0}" = 1 ] && { DEVICES=$((DEVICES / 10)); CONTACTS=$((CONTACTS / 10)); }
export BOTWATCH_DATA=${BOTWATCH_DATA:-$ROOT/.cache/data}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
[ -x "$BOTWATCH" ] || die "$BOTWATCH is missing: run 'make' first"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
command -v sqlite3 >/dev/null || die "the sqlite3 shell is missing"
mkdir -p "$OUT"

prepare() { # devices contacts -> prints the database path
    local n=$1 c=$2 db=$OUT/base-$1-$2.db sim=$OUT/sim-$1.ndjson
    if [ -s "$db" ]; then printf '%s\n' "$db"; return; fi
    rm -f "$db" "$db"-wal "$db"-shm
    say "preparing $n devices over $c contacts -> ${db#"$ROOT"/}"
    "$BOTWATCH" --now "$NOW" simulate --devices "$n" --reports $((n * 12 / 10)) --days 6 \
        --seed 7 > "$sim"
    for r in honeypot-01 isp-02 mailgw-03 fw-04 ids-05 cert-06 honeypot-07 isp-08; do
        "$BOTWATCH" --db "$db" --now "$NOW" reporter add "$r" --trust high >/dev/null
    done
    "$BOTWATCH" --db "$db" --now "$NOW" ingest "$sim" >&2
    {
        echo "name,scope,email,webhook,role,parent"
        sqlite3 "$db" "SELECT country FROM devices WHERE country IS NOT NULL GROUP BY country
                       ORDER BY count(*) DESC LIMIT 250" |
            awk '{ printf "cert-%s,%s,cert@%s.cert.example,,cert,\n", $1, $1, tolower($1) }'
        # the /24s with the most devices: simulated botnets cluster in few ASNs, so networks
        # are the unit that gives CONTACTS contacts
        sqlite3 "$db" "SELECT hex(substr(ip, 13, 3)) FROM devices WHERE substr(ip, 1, 12) =
                       X'00000000000000000000FFFF' GROUP BY 1 ORDER BY count(*) DESC, 1
                       LIMIT $((c - 250))" |
            python3 -c '
import sys
for h in sys.stdin:
    a, b, c = bytes.fromhex(h.strip())
    print("net-%d-%d-%d,%d.%d.%d.0/24,abuse@net-%d-%d-%d.example,,isp,cert-XX" % ((a, b, c) * 3))'
    } | sed "s/,cert-XX\$/,/" > "$OUT/contacts-$c.csv"
    "$BOTWATCH" --db "$db" --now "$NOW" contact import "$OUT/contacts-$c.csv" >&2
    "$BOTWATCH" --db "$db" --now "$NOW" enrich --all >&2
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    rm -f "$sim"
    printf '%s\n' "$db"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run_scale() { # devices contacts
    local base w=$OUT/work.db walls="" rsss="" line
    base=$(prepare "$1" "$2")
    for i in $(seq 1 "$RUNS"); do
        rm -f "$w" "$w"-wal "$w"-shm
        cp "$base" "$w"
        /usr/bin/time -f '%e %M' -o "$OUT/time.txt" \
            "$BOTWATCH" --db "$w" --now "$NOW" notify run --no-send --json > "$OUT/run.json"
        line=$(cat "$OUT/time.txt")
        walls="$walls ${line% *}"; rsss="$rsss ${line#* }"
        say "  $1 devices, run $i: ${line% *} s, peak RSS ${line#* } kB: $(python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
print("%d devices listed, %d cases opened, %d messages queued" % (d["devices_listed"], d["cases_opened"], d["queued"]))' "$OUT/run.json")"
    done
    /usr/bin/time -f '%e %M' -o "$OUT/time2.txt" \
        "$BOTWATCH" --db "$w" --now "$NOW" notify run --no-send --json > "$OUT/run2.json"
    local db_mb
    db_mb=$(( $(stat -c %s "$w") / 1048576 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" \
        "$(printf '%s\n' $walls | median)" "$(printf '%s\n' $rsss | median)" \
        "$(cut -d' ' -f1 "$OUT/time2.txt")" "$(python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); print(d["devices_listed"], d["cases_opened"], d["queued"])' "$OUT/run.json")" "$db_mb"
}

{
    printf 'devices\tcontacts\tfirst_cycle_s\tpeak_rss_kb\tquiet_cycle_s\tlisted cases queued\tdb_mb\n'
    run_scale $((DEVICES / 10)) "$CONTACTS"
    run_scale "$DEVICES" "$CONTACTS"
} | tee "$OUT/summary.tsv"
say "target: the first cycle at $DEVICES devices in under 60 s, peak RSS flat between the scales"
