#!/bin/bash
# A kill -9 inside a batch's transaction leaves the database consistent, keeps every batch
# committed before it, loses only the batch in flight, and a re-run completes the ingest.
. "$(dirname "$0")/lib.sh"

"$BW" --now "$NOW" simulate --devices 3000 --reports 20000 --seed 3 > "$T/sim.ndjson"

# a clean ingest is the reference
"$BW" --db "$T/ref.db" --now "$NOW" ingest --batch 5000 --json "$T/sim.ndjson" > "$T/ref.json"

# die half-way through the third batch (two batches, 10000 reports, committed)
( BOTWATCH_FAULT=kill-in-batch:3 exec "$BW" --db "$T/t.db" --now "$NOW" ingest --batch 5000 \
    "$T/sim.ndjson" >/dev/null 2>&1 ) 2>/dev/null
rc=$?
[ $rc -eq 137 ] && ok "the ingest died of SIGKILL" || bad "the ingest died of SIGKILL" "rc=$rc"

check=$(sqlite3 "$T/t.db" "PRAGMA integrity_check;")
[ "$check" = "ok" ] && ok "integrity_check is ok after the kill" || bad "integrity_check" "$check"

q() { sqlite3 "$T/$1" "$2"; }
reports=$(q t.db "SELECT count(*) FROM reports")
ref_two=$(python3 - "$T/sim.ndjson" <<'PY'
import json, sys
# distinct report identities in the first 10000 lines = what two committed batches hold
seen = set()
for i, line in enumerate(open(sys.argv[1])):
    if i >= 10000:
        break
    d = json.loads(line)
    seen.add((d["reporter"], d["ip"], d["time"], d["category"], d.get("port")))
print(len(seen))
PY
)
[ "$reports" = "$ref_two" ] && ok "exactly the two committed batches are stored ($reports)" \
    || bad "exactly the two committed batches are stored" "$reports vs $ref_two"

for db in t.db ref.db; do
    a=$(q $db "SELECT (SELECT count(*) FROM reports) = (SELECT sum(reports) FROM evidence)
               AND (SELECT count(*) FROM devices) = (SELECT count(DISTINCT ip) FROM reports)
               AND (SELECT count(*) FROM devices) = (SELECT count(DISTINCT ip) FROM evidence)
               AND (SELECT count(*) FROM evidence) =
                   (SELECT count(*) FROM (SELECT DISTINCT ip, reporter_id FROM reports))")
    [ "$a" = "1" ] && ok "$db: devices, evidence and reports agree" || bad "$db: aggregates agree"
done

# the re-run stores the rest and ends in the same state as the clean ingest
"$BW" --db "$T/t.db" --now "$NOW" ingest --batch 5000 --json "$T/sim.ndjson" > "$T/rerun.json"
jtrue "$T/rerun.json" "d['duplicates'] >= $reports" && ok "the re-run sees the stored batches as duplicates" \
    || bad "re-run duplicates"
for sql in "SELECT count(*) FROM devices" \
           "SELECT count(*), sum(reports), sum(categories), round(sum(mass), 6) FROM evidence" \
           "SELECT count(*) FROM reports"; do
    a=$(q t.db "$sql"); b=$(q ref.db "$sql")
    [ "$a" = "$b" ] && ok "same state as a clean ingest: $sql" || bad "same state: $sql" "$a vs $b"
done
finish
