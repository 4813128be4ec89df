#!/usr/bin/env bash
# bench/dnsbl.sh - the DNSBL side by side with Debian's rbldnsd (`make bench` runs it).
#
# For each list size (1,000,000 and 10,000,000 random IPv4 addresses by default):
#   1. the snapshot: built by build/bench/bench_index (build time, open time, bytes per address);
#   2. the rbldnsd zone: `botwatch export --snapshot SNAP --format rbldnsd`, loaded by rbldnsd as
#      an ip4tset dataset (its leanest: one A+TXT template for all, ~4 bytes an address);
#   3. three servers, each pinned to CPU 0 with taskset: rbldnsd, `botwatch dnsbl --snapshot`
#      (one UDP thread: its default under a one-CPU affinity mask) and bench/udp_floor (no DNS
#      work at all: what the kernel's UDP path costs by itself);
#   4. time from exec to the first answered query, for each server;
#   5. RUNS rounds of dnsperf pinned to CPU 1 (one socket, 1000 queries in flight, SECONDS
#      long; half the queries listed, half random addresses) against each server in turn, the
#      order rotating; the CPU each server used comes from /proc/PID/stat (utime + stime of all
#      its threads) before and after, so the figure is queries per server CPU-second whatever
#      dnsperf managed per second; ratios are taken within a round, then their median;
#   6. resident memory (VmRSS) of each server after the runs; per address, the growth from the
#      smaller list to the larger divided by the growth in addresses (no fixed costs);
#   7. at the largest size, `botwatch export --snapshot` in every text format (median of 3).
# The machine is shared and noisy: medians of several runs, ratios from the same round.
#
# Environment: BENCH_RUNS (rounds, default 5), DNSBL_SECONDS (per dnsperf run, default 5),
# DNSBL_SIZES (default "1000000 10000000"), BENCH_QUICK=1 (sizes 100000 and 1000000, 3 rounds
# of 2 s: a smoke test), BENCH_OUT (default bench/out; the 10M files take ~400 MB).
# Output: a table, and a markdown block for bench/RESULTS.md in $BENCH_OUT/dnsbl/results-block.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOTWATCH=${BOTWATCH:-$ROOT/build/botwatch}
BENCH_INDEX=${BENCH_INDEX:-$ROOT/build/bench/bench_index}
FLOOR=${UDP_FLOOR:-$ROOT/build/bench/udp_floor}
OUT=${BENCH_OUT:-$ROOT/bench/out}/dnsbl
RUNS=${BENCH_RUNS:-5}
SECONDS_RUN=${DNSBL_SECONDS:-5}
SIZES=${DNSBL_SIZES:-"1000000 10000000"}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SIZES="100000 1000000"
    RUNS=3
    SECONDS_RUN=2
fi
SRV_CPU=0
LOAD_CPU=1
ZONE=bl.botwatch.local
NOW=2026-06-01T12:00:00Z

say() { printf 'bench-dnsbl: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for bin in "$BOTWATCH" "$BENCH_INDEX" "$FLOOR"; do
    [ -x "$bin" ] || die "$bin is missing: run 'make' (or 'make bench') first"
done
for tool in dnsperf rbldnsd taskset python3; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
[ "$(nproc)" -ge 2 ] || die "needs two CPUs: one for the server, one for dnsperf"

mkdir -p "$OUT"
chmod 755 "$OUT" # rbldnsd drops root and must still read its zone here
TSV=$OUT/runs.tsv
printf 'size\tserver\tround\tqueries\tqps\tcpu_s\tq_per_cpu_s\tlost\tnoerror\tnxdomain\n' >"$TSV"
INFO=$OUT/info.tsv
: >"$INFO"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

info() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$INFO"; } # size key value

free_port() {
    python3 -c 'import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
p = u.getsockname()[1]
t = socket.socket(); t.bind(("127.0.0.1", p)); print(p)'
}

# Starts CMD... pinned to SRV_CPU; waits for the first answer to QNAME (with records; with mode
# "any", any response); prints "PID MS".
start_server() { # port qname logfile mode cmd...
    local port=$1 qname=$2 log=$3 mode=$4
    shift 4
    python3 - "$port" "$qname" "$log" "$mode" taskset -c "$SRV_CPU" "$@" <<'EOF'
import os, socket, struct, subprocess, sys, time
port, qname, log, mode, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in qname.split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.001)
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                     stdin=subprocess.DEVNULL, start_new_session=True)
while True:
    if p.poll() is not None:
        sys.exit("server exited with status %d (see %s)" % (p.returncode, log))
    if time.monotonic() - t0 > 120:
        p.kill()
        sys.exit("no answer in 120 s (see %s)" % log)
    s.sendto(q, ("127.0.0.1", port))
    try:
        r = s.recv(4096)
    except (socket.timeout, ConnectionRefusedError):
        continue
    # an answer with records (the name is listed); the floor answers anything with NXDOMAIN
    if len(r) >= 12 and r[:2] == q[:2] and (r[3] & 0xF == 0 and r[6:8] != b"\0\0" or
                                            mode == "any"):
        break
print(p.pid, "%.1f" % ((time.monotonic() - t0) * 1000))
EOF
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One dnsperf run against PORT, charging the CPU of PID: appends a row to runs.tsv.
measure() { # size server round pid port queryfile
    local a b out n qps lost noerr nx tck
    tck=$(getconf CLK_TCK)
    a=$(cpu_ticks "$4")
    out=$(taskset -c "$LOAD_CPU" dnsperf -s 127.0.0.1 -p "$5" -d "$6" -c 1 -q 1000 \
        -l "$SECONDS_RUN" 2>&1)
    b=$(cpu_ticks "$4")
    n=$(printf '%s\n' "$out" | awk '/Queries completed/ { print $3 }')
    qps=$(printf '%s\n' "$out" | awk '/Queries per second/ { printf "%.0f", $4 }')
    lost=$(printf '%s\n' "$out" | awk '/Queries lost/ { print $3 }')
    noerr=$(printf '%s\n' "$out" | sed -n 's/.*NOERROR \([0-9]*\).*/\1/p' | head -n 1)
    nx=$(printf '%s\n' "$out" | sed -n 's/.*NXDOMAIN \([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$n" ] && [ "$b" -gt "$a" ] || die "dnsperf against $2 said: $out"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$n" "$qps" \
        "$(awk -v t="$((b - a))" -v k="$tck" 'BEGIN { printf "%.2f", t / k }')" \
        "$(awk -v n="$n" -v t="$((b - a))" -v k="$tck" 'BEGIN { printf "%.0f", n / (t / k) }')" \
        "$lost" "${noerr:-0}" "${nx:-0}" >>"$TSV"
    say "  $2 #$3: $n queries, $qps/s, CPU $(awk -v t="$((b - a))" -v k="$tck" \
        'BEGIN { printf "%.2f", t / k }') s"
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

say "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); sizes $SIZES; $RUNS rounds of ${SECONDS_RUN} s"
LARGEST=0
for N in $SIZES; do
    [ "$N" -gt "$LARGEST" ] && LARGEST=$N
    SNAP=$OUT/snap-$N.bwi
    if [ ! -s "$SNAP" ] || [ "$SNAP" -ot "$BENCH_INDEX" ]; then
        say "snapshot of $N random IPv4 addresses (bench_index: build, open, lookups)"
        "$BENCH_INDEX" "$N" "$SNAP" >"$OUT/index-$N.txt"
    fi
    info "$N" build_s "$(sed -n 's/.*build (add.*: \([0-9.]*\) s.*/\1/p' "$OUT/index-$N.txt")"
    info "$N" open_ms "$(sed -n 's/.*open (mmap.*:  *\([0-9.]*\) ms.*/\1/p' "$OUT/index-$N.txt")"
    info "$N" file_bytes_per_addr "$(sed -n 's/.*bytes per address: \([0-9.]*\).*/\1/p' \
        "$OUT/index-$N.txt")"
    "$BOTWATCH" --now "$NOW" export --snapshot "$SNAP" --format rbldnsd -o "$OUT/zone-$N" \
        >/dev/null
    chmod 644 "$OUT/zone-$N"
    # Queries: every k-th listed address and as many random ones, shuffled.
    QF=$OUT/queries-$N.txt
    if [ ! -s "$QF" ] || [ "$QF" -ot "$SNAP" ]; then
        "$BOTWATCH" --now "$NOW" export --snapshot "$SNAP" --format txt |
            python3 -c 'import random, sys
n, zone = int(sys.argv[1]), sys.argv[2]
k = max(1, n // 100000)
listed = [l.strip() for i, l in enumerate(sys.stdin) if i % k == 0]
rnd = random.Random(1)
names = listed + ["%d.%d.%d.%d" % tuple(rnd.randrange(256) for _ in range(4)) for _ in listed]
rnd.shuffle(names)
for ip in names:
    print(".".join(reversed(ip.split("."))) + "." + zone, "A")' "$N" "$ZONE" >"$QF"
    fi
    # A listed name to wait for at start: the first address in the zone.
    FIRST=$(awk '/^[0-9]/ && $1 != "127.0.0.2" { print $1; exit }' "$OUT/zone-$N")
    QNAME=$(printf '%s\n' "$FIRST" | awk -F. '{ print $4"."$3"."$2"."$1 }').$ZONE

    # Time to the first answer: three starts of each (median), then the one that serves.
    RBL_CMD=(rbldnsd -n -q -b "127.0.0.1/PORT" -w "$OUT" "$ZONE:ip4tset:zone-$N")
    BW_CMD=("$BOTWATCH" dnsbl --snapshot "$SNAP" --dns "127.0.0.1:PORT" --zone "$ZONE")
    for s in rbldnsd botwatch; do
        for i in 1 2 3; do
            P=$(free_port)
            if [ "$s" = rbldnsd ]; then
                read -r PID MS < <(start_server "$P" "$QNAME" "$OUT/$s-$N.log" listed \
                    "${RBL_CMD[@]/PORT/$P}")
            else
                read -r PID MS < <(start_server "$P" "$QNAME" "$OUT/$s-$N.log" listed \
                    "${BW_CMD[@]/PORT/$P}")
            fi
            [ -n "${PID:-}" ] || die "$s did not start (see $OUT/$s-$N.log)"
            kill "$PID"
            while kill -0 "$PID" 2>/dev/null; do sleep 0.05; done
            info "$N" "${s}_first_ms" "$MS"
            PID=
        done
    done
    PR=$(free_port)
    read -r RBL_PID RBL_MS < <(start_server "$PR" "$QNAME" "$OUT/rbldnsd-$N.log" listed \
        "${RBL_CMD[@]/PORT/$PR}")
    PIDS+=("$RBL_PID")
    PB=$(free_port)
    read -r BW_PID BW_MS < <(start_server "$PB" "$QNAME" "$OUT/botwatch-$N.log" listed \
        "${BW_CMD[@]/PORT/$PB}")
    PIDS+=("$BW_PID")
    PF=$(free_port)
    read -r FL_PID FL_MS < <(start_server "$PF" "$QNAME" "$OUT/floor-$N.log" any \
        "$FLOOR" "$PF")
    PIDS+=("$FL_PID")
    [ -n "$RBL_PID" ] && [ -n "$BW_PID" ] && [ -n "$FL_PID" ] || die "a server did not start"
    info "$N" botwatch_threads "$(ls "/proc/$BW_PID/task" | wc -l)"
    say "size $N: first answer after rbldnsd $(awk -v n="$N" '$1 == n && $2 == "rbldnsd_first_ms" { printf "%s ", $3 }' "$INFO")ms, botwatch $(awk -v n="$N" '$1 == n && $2 == "botwatch_first_ms" { printf "%s ", $3 }' "$INFO")ms"

    for r in $(seq 1 "$RUNS"); do
        case $((r % 3)) in
        1) order="rbldnsd botwatch floor" ;;
        2) order="botwatch floor rbldnsd" ;;
        *) order="floor rbldnsd botwatch" ;;
        esac
        for s in $order; do
            case $s in
            rbldnsd) measure "$N" rbldnsd "$r" "$RBL_PID" "$PR" "$QF" ;;
            botwatch) measure "$N" botwatch "$r" "$BW_PID" "$PB" "$QF" ;;
            floor) measure "$N" floor "$r" "$FL_PID" "$PF" "$QF" ;;
            esac
        done
    done
    info "$N" rbldnsd_rss_kb "$(rss_kb "$RBL_PID")"
    info "$N" botwatch_rss_kb "$(rss_kb "$BW_PID")"
    for p in "$RBL_PID" "$BW_PID" "$FL_PID"; do
        kill "$p" 2>/dev/null || true
    done
    PIDS=()
done

# Exports of the largest list, whole process, to /dev/null (the rbldnsd one above wrote a file).
SNAP=$OUT/snap-$LARGEST.bwi
for fmt in txt cidr csv json nft ipset rbldnsd; do
    for i in 1 2 3; do
        t0=$(date +%s%N)
        "$BOTWATCH" --now "$NOW" export --snapshot "$SNAP" --format "$fmt" >/dev/null
        t1=$(date +%s%N)
        info "$LARGEST" "export_$fmt" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
    done
done

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
RBL_VERSION=$(dpkg-query -W -f='${Version}' rbldnsd 2>/dev/null || echo '?')
PERF_VERSION=$(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null || echo '?')
export TSV INFO OUT RUNS SECONDS_RUN QUICK CPU RBL_VERSION PERF_VERSION
export KERNEL=$(uname -r) WHEN=$(date -u +%Y-%m-%dT%H:%M:%SZ) LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
export BINS="botwatch $(sha256sum "$BOTWATCH" | cut -c1-12)"
python3 - <<'EOF'
import csv, os, statistics as st
e = os.environ
rows = list(csv.DictReader(open(e["TSV"]), delimiter="\t"))
info = {}
for line in open(e["INFO"]):
    size, key, val = line.rstrip("\n").split("\t")
    info.setdefault((int(size), key), []).append(float(val) if val else float("nan"))
sizes = sorted({int(r["size"]) for r in rows})
med = st.median
quick = e["QUICK"] == "1"
def verdict(ok):
    return "n/a (quick)" if quick else ("met" if ok else "MISSED")
def get(size, server, col):
    return [float(r[col]) for r in rows if int(r["size"]) == size and r["server"] == server]
def per_round(size, a, b):
    x = {r["round"]: float(r["q_per_cpu_s"]) for r in rows if int(r["size"]) == size and r["server"] == a}
    y = {r["round"]: float(r["q_per_cpu_s"]) for r in rows if int(r["size"]) == size and r["server"] == b}
    return [x[k] / y[k] for k in sorted(x) if k in y]
table = []
for n in sizes:
    tag = f"{n / 1e6:g}M" if n >= 1000000 else f"{n / 1e3:g}k"
    rb, bw, fl = (get(n, s, "q_per_cpu_s") for s in ("rbldnsd", "botwatch", "floor"))
    ratio, floor_ratio = per_round(n, "botwatch", "rbldnsd"), per_round(n, "floor", "rbldnsd")
    bw_floor = per_round(n, "botwatch", "floor")
    nx = {s: med(get(n, s, "noerror")) / max(1, med(get(n, s, "queries"))) for s in ("rbldnsd", "botwatch")}
    table += [
        (f"{tag}: rbldnsd ip4tset, queries per CPU-second", f"{med(rb):,.0f}",
         f"runs {', '.join(f'{x:,.0f}' for x in rb)}; {med(get(n, 'rbldnsd', 'qps')):,.0f} q/s", "", ""),
        (f"{tag}: botwatch dnsbl, queries per CPU-second", f"{med(bw):,.0f}",
         f"runs {', '.join(f'{x:,.0f}' for x in bw)}; {med(get(n, 'botwatch', 'qps')):,.0f} q/s; "
         f"{int(info[(n, 'botwatch_threads')][0]) - 2} UDP thread(s)", "", ""),
        (f"{tag}: udp_floor (no DNS work), queries per CPU-second", f"{med(fl):,.0f}",
         f"runs {', '.join(f'{x:,.0f}' for x in fl)}", "", ""),
        (f"{tag}: botwatch / rbldnsd (per round, median)", f"{med(ratio):.2f}x",
         f"rounds {', '.join(f'{x:.2f}' for x in ratio)}", ">= 1.5x", verdict(med(ratio) >= 1.5)),
        (f"{tag}: floor / rbldnsd, botwatch / floor", f"{med(floor_ratio):.2f}x, {med(bw_floor):.2f}",
         "the most any UDP-socket server could reach; how near botwatch is", "", ""),
        (f"{tag}: answered listed (NOERROR share)", f"{nx['botwatch']:.3f} vs {nx['rbldnsd']:.3f}",
         "botwatch vs rbldnsd on the same queries", "equal", verdict(abs(nx['botwatch'] - nx['rbldnsd']) < 0.002)),
        (f"{tag}: first answer after exec", f"{med(info[(n, 'botwatch_first_ms')]):.0f} ms",
         f"starts {', '.join(f'{x:.0f}' for x in info[(n, 'botwatch_first_ms')])}; rbldnsd "
         f"{med(info[(n, 'rbldnsd_first_ms')]):.0f} ms", "< 100 ms" if n >= 10**7 else "",
         verdict(med(info[(n, 'botwatch_first_ms')]) < 100) if n >= 10**7 else ""),
        (f"{tag}: snapshot build (bench_index)", f"{info[(n, 'build_s')][0]:.2f} s",
         f"open {info[(n, 'open_ms')][0]:.1f} ms; file {info[(n, 'file_bytes_per_addr')][0]:.2f} B/address",
         "< 5 s" if n >= 10**7 else "", verdict(info[(n, 'build_s')][0] < 5) if n >= 10**7 else ""),
        (f"{tag}: resident memory", f"{info[(n, 'botwatch_rss_kb')][0] / 1024:.1f} MiB",
         f"rbldnsd {info[(n, 'rbldnsd_rss_kb')][0] / 1024:.1f} MiB", "", ""),
    ]
if len(sizes) >= 2:
    a, b = sizes[0], sizes[-1]
    per = {s: (info[(b, s + "_rss_kb")][0] - info[(a, s + "_rss_kb")][0]) * 1024 / (b - a)
           for s in ("botwatch", "rbldnsd")}
    table.append(("resident bytes per added address", f"{per['botwatch']:.2f}",
                  f"rbldnsd ip4tset {per['rbldnsd']:.2f} (RSS growth from {a:,} to {b:,})",
                  "<= rbldnsd", verdict(per['botwatch'] <= per['rbldnsd'])))
big = sizes[-1]
for fmt in ("txt", "cidr", "csv", "json", "nft", "ipset", "rbldnsd"):
    v = info.get((big, "export_" + fmt))
    if v:
        table.append((f"export {big:,} entries as {fmt}", f"{med(v):.2f} s",
                      f"runs {', '.join(f'{x:.2f}' for x in v)}", "< 3 s" if big >= 10**7 else "",
                      verdict(med(v) < 3) if big >= 10**7 else ""))
w = [max(len(r[i]) for r in table) for i in range(5)]
summary = "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in table)
machine = (f"{os.cpu_count()} CPUs ({e['CPU']}), Linux {e['KERNEL']}, rbldnsd {e['RBL_VERSION']}, "
           f"dnsperf {e['PERF_VERSION']}; load average at the end {e['LOAD']}")
md = [f"### DNSBL run of {e['WHEN']}{' (BENCH_QUICK=1: not a verdict)' if quick else ''}", "",
      f"- machine: {machine}", f"- binary: {e['BINS']}",
      f"- command: `bench/dnsbl.sh` (`make bench`), {e['RUNS']} rounds of {e['SECONDS_RUN']} s per server; medians", "",
      "| measure | median | detail | target | |", "|---|---|---|---|---|"]
md += [f"| {' | '.join(r)} |" for r in table]
md = "\n".join(md)
open(os.path.join(e["OUT"], "summary.txt"), "w").write(summary + "\n")
open(os.path.join(e["OUT"], "results-block.md"), "w").write(md + "\n")
print("\n== DNSBL summary ==\n" + summary + "\n\n== for bench/RESULTS.md ==\n" + md)
EOF
