#!/bin/bash
# botwatch serve --dns: the DNSBL answers from a snapshot of the store that follows the
# store's changes within a second; and the HTTP API answers beside it.
. "$(dirname "$0")/lib.sh"
SRV=
trap 'kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; rm -rf "$T"' EXIT
Z=bl.botwatch.local
bw reporter add vetted --trust high >/dev/null
printf '{"ip":"81.2.69.142","time":"%s","category":"c2","reporter":"vetted"}\n' "$(iso -60)" > "$T/a.ndjson"
bw ingest "$T/a.ndjson" >/dev/null
# port 0: the kernel picks free ports (no race with other tests); serve logs them
"$BW" --db "$T/t.db" --now "$NOW" serve --http 127.0.0.1:0 --dns 127.0.0.1:0 2>"$T/serve.log" &
SRV=$!
PD=; PH=
for _ in $(seq 1 200); do
    PD=$(sed -n 's/.*try: dig @127.0.0.1 -p \([0-9]*\) .*/\1/p' "$T/serve.log")
    PH=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$T/serve.log")
    [ -n "$PD" ] && [ -n "$PH" ] && break
    sleep 0.05
done
q() { dig @127.0.0.1 -p "$PD" +time=2 +tries=2 +short "$@" 2>/dev/null; }

# wait (bounded) until the DNS sockets are bound; queries that arrive before the first
# snapshot is built wait for it and get true answers
for _ in $(seq 1 100); do q SOA $Z | grep -q "^ns\." && break; sleep 0.05; done
a=$(q A 142.69.2.81.$Z | sort | tr '\n' ' ')
[ "$a" = "127.0.0.2 127.0.1.8 " ] && ok "a listed c2 answers 127.0.0.2 and its category code" || bad "listed" "$a"
q A 2.0.0.127.$Z | grep -q 127.0.0.2 && ok "the RFC 5782 test point" || bad "test point"
dig @127.0.0.1 -p "$PD" A 143.69.2.81.$Z 2>/dev/null | grep -q NXDOMAIN && ok "an unlisted address is NXDOMAIN" || bad "unlisted"

# a change to the store reaches the DNSBL within a second (bounded poll, no fixed sleep)
printf '{"ip":"81.2.69.143","time":"%s","category":"spam","reporter":"vetted"}\n' "$(iso -30)" > "$T/b.ndjson"
bw ingest "$T/b.ndjson" >/dev/null
seen=0
for _ in $(seq 1 40); do
    if q A 143.69.2.81.$Z | grep -q 127.0.1.6; then seen=1; break; fi
    sleep 0.1
done
[ $seen -eq 1 ] && ok "a newly stored listing is served within seconds" || bad "refresh" "$(tail -3 "$T/serve.log")"

curl -sf "http://127.0.0.1:$PH/healthz" >/dev/null && ok "the HTTP API answers beside it" || bad "healthz"

# an address never reported still says where it is (when the enrichment data is there)
if [ -f "${BOTWATCH_DATA:-}/asn.bin" ]; then
    curl -s "http://127.0.0.1:$PH/api/v1/devices/8.8.8.8" > "$T/g.json"
    jtrue "$T/g.json" 'd["listed"] is False and d["asn"] == 15169 and d["country"] == "US"' &&
        ok "a lookup of an address never reported carries its network" || bad "unreported lookup" "$(cat "$T/g.json")"
fi

# a delisting request through the API, decided with the CLI, reaches the DNSBL
out=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"ip":"81.2.69.142","reason":"router reflashed","contact":"noc@isp.example"}' \
    "http://127.0.0.1:$PH/api/v1/delist")
id=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
[ -n "$id" ] && ok "POST /delist records a request" || bad "delist request" "$out"
bw delist list --json | grep -q '"state":"pending"' && ok "delist list shows it pending" || bad "delist list"
bw delist accept "$id" --note "checked" >/dev/null && ok "delist accept" || bad "delist accept"
bw delist accept "$id" 2>"$T/e" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q "already accepted" "$T/e" && ok "a decided request cannot be decided again" || bad "decide twice" "$(cat "$T/e")"
gone=0
for _ in $(seq 1 40); do
    if dig @127.0.0.1 -p "$PD" +time=2 +tries=1 A 142.69.2.81.$Z 2>/dev/null | grep -q NXDOMAIN; then gone=1; break; fi
    sleep 0.1
done
[ $gone -eq 1 ] && ok "an accepted delisting leaves the DNSBL within seconds" || bad "delisted"
bw delist list --state accepted --json | grep -q '"note":"checked"' && ok "the decision is recorded" || bad "decision"
kill "$SRV"; wait "$SRV"; rc=$?
[ $rc -eq 0 ] && ok "serve stops cleanly on SIGTERM" || bad "stop" "rc=$rc"
SRV=
finish
