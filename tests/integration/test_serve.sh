#!/bin/bash
# botwatch serve --dns: the DNSBL answers from a snapshot of the store that follows the
# store's changes within a second; and the HTTP API answers beside it.
. "$(dirname "$0")/lib.sh"
SRV=
trap 'kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; rm -rf "$T"' EXIT
port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
Z=bl.botwatch.local
bw reporter add vetted --trust high >/dev/null
printf '{"ip":"81.2.69.142","time":"%s","category":"c2","reporter":"vetted"}\n' "$(iso -60)" > "$T/a.ndjson"
bw ingest "$T/a.ndjson" >/dev/null
PD=$(port udp); PH=$(port tcp)
"$BW" --db "$T/t.db" --now "$NOW" serve --http "127.0.0.1:$PH" --dns "127.0.0.1:$PD" 2>"$T/serve.log" &
SRV=$!
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
kill "$SRV"; wait "$SRV"; rc=$?
[ $rc -eq 0 ] && ok "serve stops cleanly on SIGTERM" || bad "stop" "rc=$rc"
SRV=
finish
