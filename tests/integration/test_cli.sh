#!/bin/bash
# The command-line contract: help, exit codes, inputs (files, stdin, gzip, CSV), outputs.
. "$(dirname "$0")/lib.sh"

for cmd in init ingest lookup list reporter allow simulate status config; do
    out=$("$BW" "$cmd" --help 2>&1); rc=$?
    [ $rc -eq 0 ] && echo "$out" | grep -q "usage: botwatch" && ok "$cmd --help" || bad "$cmd --help" "rc=$rc"
done

usage_case() { # NAME ARGS...: must exit 2 with one line on stderr naming the problem
    local n=$1; shift
    "$BW" --db "$T/u.db" "$@" >/dev/null 2>"$T/err"; local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -ge 1 ] && grep -q "botwatch" "$T/err"; then ok "$n"
    else bad "$n" "rc=$rc $(head -c 200 "$T/err")"; fi
}
usage_case "no command" 
usage_case "unknown command" frobnicate
usage_case "bad --now" --now yesterday lookup 81.2.69.142
usage_case "lookup without address" lookup
usage_case "lookup of a non-address" lookup 81.2.69
usage_case "ingest without input" ingest
usage_case "ingest unknown format" ingest --format xml /dev/null
usage_case "list bad format" list --format yaml
usage_case "reporter bad trust" reporter add x --trust total
usage_case "allow bad prefix" allow add 10.0.0.1/8
usage_case "simulate bad count" simulate --reports many

bw init > "$T/init.txt" && grep -q "schema version" "$T/init.txt" && ok "init creates the database" || bad "init"

# unreadable input: exit 1, names it, other inputs still ingested
printf '{"ip":"81.2.69.142","time":"%s","category":"scan","reporter":"r1"}\n' "$(iso -60)" > "$T/good.ndjson"
bw ingest --json "$T/nope.ndjson" "$T/good.ndjson" > "$T/s.json" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ "$(grep -c "nope.ndjson" "$T/err")" -eq 1 ] \
    && ok "missing file: exit 1, one line naming it" || bad "missing file" "rc=$rc"
jtrue "$T/s.json" 'd["accepted"] == 1 and d["files_failed"] == 1' && ok "other inputs still ingested" || bad "other inputs"

# stdin and gzip
: > "$T/many.ndjson"
for i in $(seq 1 50); do
    printf '{"ip":"2.125.160.%d","time":"%s","category":["scan","bruteforce"],"port":23,"reporter":"r2"}\n' "$i" "$(iso -$((i*60)))" >> "$T/many.ndjson"
done
bw ingest --json - < "$T/many.ndjson" > "$T/s.json"
jtrue "$T/s.json" 'd["accepted"] == 50 and d["devices"] == 50' && ok "stdin ingest" || bad "stdin ingest"
gzip -c "$T/many.ndjson" | sed 's/^//' > "$T/many.ndjson.gz"
bw ingest --json "$T/many.ndjson.gz" > "$T/s.json"
jtrue "$T/s.json" 'd["accepted"] == 0 and d["duplicates"] == 50' && ok "gzip input read transparently" || bad "gzip input"

# CSV with quoting, extra columns and a category list
cat > "$T/r.csv" <<CSV
ip,time,category,port,reporter,evidence,unused
81.2.69.160,$(iso -100),"scan;exploit",8080,r3,"GET /cgi-bin/luci;stok=/locale?form=country&operation=write, ""quoted""",x
81.2.69.161,$(iso -90),spam,25,r3,,y
CSV
bw ingest --format csv --json "$T/r.csv" > "$T/s.json"
jtrue "$T/s.json" 'd["accepted"] == 2' && ok "CSV rows with quotes and extra columns" || bad "CSV"
bw lookup --json 81.2.69.160 > "$T/l.json"
jtrue "$T/l.json" 'set(d["categories"]) == {"scan","exploit"} and "quoted" in d["recent"][0]["evidence"]' \
    && ok "CSV fields reach the lookup" || bad "CSV fields"

# the summary says which parser read and rejected what
printf '{"ip":"81.2.69.170","category":"scan"}\nnot json\n' > "$T/mixed.ndjson"
printf 'ip,category\n81.2.69.171,scan\n1.2.3,scan\n' > "$T/mixed.csv"
bw ingest --json "$T/mixed.ndjson" "$T/mixed.csv" > "$T/s.json" 2>/dev/null
jtrue "$T/s.json" 'd["formats"]["ndjson"]["rejected"] == {"malformed": 1} and d["formats"]["csv"]["rejected"] == {"invalid_ip": 1} and d["formats"]["csv"]["lines"] == 3' \
    && ok "per-format rejection counts" || bad "per-format" "$(cat "$T/s.json")"

# list formats parse as what they claim
bw list --format json > "$T/list.json" && jtrue "$T/list.json" 'len(d) == 55 and all("score" in x for x in d)' \
    && ok "list --format json" || bad "list json"
bw list --format csv > "$T/list.csv"
python3 -c 'import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); sys.exit(0 if len(rows)==55 and rows[0]["ip"] else 1)' "$T/list.csv" \
    && ok "list --format csv" || bad "list csv"
[ "$(bw list --limit 5 | wc -l)" -eq 5 ] && ok "list --limit" || bad "list --limit"
bw status --json > "$T/st.json" && jtrue "$T/st.json" 'd["devices"] == 55 and d["reports"] == 55' \
    && ok "status counts" || bad "status"

# lookup text and the never-seen / non-public answers
bw lookup 81.2.69.160 | grep -q "score" && ok "lookup text output" || bad "lookup text"
bw lookup --json 10.0.0.1 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is False and d["reports"] == 0 and "private" in d["why"]' \
    && ok "lookup of private space explains itself" || bad "lookup private"

# allowlist management
bw allow add 81.2.69.0/24 --note "test net" >/dev/null && ok "allow add" || bad "allow add"
bw allow add 81.2.69.0/24 >/dev/null 2>&1; [ $? -eq 1 ] && ok "allow add twice: exit 1" || bad "allow add twice"
bw allow list --json > "$T/a.json" && jtrue "$T/a.json" 'd[0]["prefix"] == "81.2.69.0/24" and d[0]["note"] == "test net"' \
    && ok "allow list" || bad "allow list"
bw allow remove 81.2.69.0/24 >/dev/null && ok "allow remove" || bad "allow remove"
bw allow remove 81.2.69.0/24 >/dev/null 2>&1; [ $? -eq 1 ] && ok "allow remove missing: exit 1" || bad "allow remove missing"

# reporters
bw reporter add r9 --trust high --org cert-x >/dev/null
bw reporter list --json > "$T/r.json"
jtrue "$T/r.json" 'any(r["name"]=="r9" and r["trust"]=="high" and r["org"]=="cert-x" for r in d) and any(r["name"]=="r2" and r["trust"]=="normal" and r["reports"]==50 for r in d)' \
    && ok "reporter add and list" || bad "reporter list"
bw reporter add r9 --org cert-y >/dev/null
bw reporter list --json > "$T/r.json"
jtrue "$T/r.json" 'any(r["name"]=="r9" and r["trust"]=="high" and r["org"]=="cert-y" for r in d)' \
    && ok "reporter add keeps what it does not change" || bad "reporter update"

# a database from a newer botwatch is refused
sqlite3 "$T/t.db" "PRAGMA user_version = 999;"
bw status >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "newer" "$T/err" && ok "newer schema refused with exit 1" || bad "newer schema" "rc=$rc"
finish
