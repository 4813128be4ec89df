#!/bin/bash
# botwatch dnsbl as a mirror: from a snapshot file (a new file renamed over it, a rewrite in
# place, SIGHUP, a corrupt file) and from a URL (python3's http.server on loopback: a good
# snapshot, an unchanged one answered 304, a corrupt one, an older one, a new good one, the
# origin gone, a restart from the cache alone). Every swap must keep the old index serving until
# the new one is in, and a stream of queries running through the swaps must all be answered.
. "$(dirname "$0")/lib.sh"
MIR=; HTTP=; LOAD=; BARE=
trap 'kill $MIR $HTTP $LOAD $BARE 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
Z=bl.botwatch.local
X=81.2.69.142 # in both snapshots
Y=81.2.69.143 # only in the newer one
rev() { echo "$1" | awk -F. '{print $4"."$3"."$2"."$1}'; }
bw reporter add vetted --trust high >/dev/null
printf '{"ip":"%s","time":"%s","category":"c2","reporter":"vetted"}\n' "$X" "$(iso -120)" >"$T/a.ndjson"
bw ingest "$T/a.ndjson" >/dev/null
bw snapshot build -o "$T/A.bwi" >/dev/null
printf '{"ip":"%s","time":"%s","category":"spam","reporter":"vetted"}\n' "$Y" "$(iso -60)" >"$T/b.ndjson"
bw ingest "$T/b.ndjson" >/dev/null
"$BW" --db "$T/t.db" --now "$(iso 3600)" snapshot build -o "$T/B.bwi" >/dev/null # built later
head -c 4096 /dev/urandom >"$T/junk.bwi"
cp "$T/A.bwi" "$T/junk2.bwi"
printf 'x' | dd of="$T/junk2.bwi" bs=1 seek=300 conv=notrunc 2>/dev/null # one byte: bad checksum

# export --snapshot: a mirror's file feeds firewalls too, without any database
"$BW" --db "$T/no/such/dir.db" export --snapshot "$T/B.bwi" --format txt >"$T/e.txt" 2>"$T/e.err"
[ "$(sort "$T/e.txt" | tr '\n' ' ')" = "$X $Y " ] && ok "export --snapshot lists the snapshot without a database" ||
    bad "export --snapshot" "$(cat "$T/e.txt" "$T/e.err")"
bw export --format txt >"$T/e2.txt" 2>/dev/null
cmp -s "$T/e.txt" "$T/e2.txt" && ok "it is the same list as the database's export" || bad "export differs"
"$BW" export --snapshot "$T/junk.bwi" --format txt >/dev/null 2>"$T/e3.err"
[ $? -eq 1 ] && grep -q "junk.bwi: not a valid snapshot" "$T/e3.err" &&
    ok "export --snapshot of a corrupt file fails with an error naming it" || bad "export corrupt" "$(cat "$T/e3.err")"

# start_mirror LOG ARGS...: starts botwatch dnsbl on a kernel-chosen port; sets MIR and PORT
start_mirror() {
    local log=$1
    shift
    "$BW" dnsbl --dns 127.0.0.1:0 --zone "$Z" "$@" 2>"$log" &
    MIR=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*dnsbl: serving .* port \([0-9]*\) .*/\1/p' "$log")
        [ -n "$PORT" ] && break
        kill -0 "$MIR" 2>/dev/null || break
        sleep 0.05
    done
}
listed() { dig @127.0.0.1 -p "$PORT" +time=1 +tries=2 +short A "$(rev "$1").$Z" | grep -q '^127\.0\.0\.2$'; }
# wait_for CMD...: until CMD succeeds, at most 10 s (the mirror checks its file every second)
wait_for() { for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done; return 1; }
not() { ! "$@"; }
# A stream of queries for X until $T/stop exists; writes "answered unanswered" to $T/load.out.
query_stream() {
    python3 - "$PORT" "$(rev "$X").$Z" "$T/stop" >"$T/load.out" <<'EOF' &
import os, socket, struct, sys, time
port, name, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
end = time.monotonic() + 120 # bounded, whatever happens to the test
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = lost = 0
i = 0
while not os.path.exists(stop) and time.monotonic() < end:
    i += 1
    q = struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0\0\1\0\1"
    s.sendto(q, ("127.0.0.1", port))
    try:
        while True:
            r = s.recv(4096)
            if r[:2] == q[:2]:
                break
        ok += 1 if (r[3] & 0xF) == 0 and r[6:8] != b"\0\0" else 0
        lost += 0 if (r[3] & 0xF) == 0 and r[6:8] != b"\0\0" else 1
    except socket.timeout:
        lost += 1
print(ok, lost)
EOF
    LOAD=$!
}

# ---- file mode ----------------------------------------------------------------------------
cp "$T/A.bwi" "$T/f.bwi"
start_mirror "$T/f.log" --snapshot "$T/f.bwi"
[ -n "$PORT" ] && ok "the mirror serves a snapshot file" || bad "mirror start" "$(cat "$T/f.log")"
listed "$X" && not listed "$Y" && ok "it answers from the file (X listed, Y not)" || bad "first answers"
query_stream
cp "$T/B.bwi" "$T/f.bwi.new" && mv "$T/f.bwi.new" "$T/f.bwi"
wait_for listed "$Y" && ok "a new file renamed over it is served without a signal" || bad "rename swap" "$(cat "$T/f.log")"
cp "$T/junk.bwi" "$T/f.bwi.new" && mv "$T/f.bwi.new" "$T/f.bwi"
wait_for grep -q "snapshot $T/f.bwi refused, the one in service keeps serving" "$T/f.log" &&
    ok "a corrupt file renamed over it is refused with one error line" || bad "corrupt refused" "$(cat "$T/f.log")"
listed "$Y" && ok "the old snapshot keeps serving after the refusal" || bad "old serving"
[ "$(grep -c refused "$T/f.log")" = 1 ] && ok "the same bad file is reported once, not every second" ||
    bad "refusal repeated" "$(grep -c refused "$T/f.log") lines"
cp "$T/junk2.bwi" "$T/f.bwi.new" && mv "$T/f.bwi.new" "$T/f.bwi"
wait_for grep -q "checksum mismatch" "$T/f.log" && ok "a one-byte change is refused (checksum)" || bad "checksum" "$(cat "$T/f.log")"
cp "$T/A.bwi" "$T/f.bwi.new" && mv "$T/f.bwi.new" "$T/f.bwi"
wait_for not listed "$Y" && ok "back to the first snapshot" || bad "back to A"
cp -p "$T/B.bwi" "$T/f.bwi" # in place: same inode and size, B's old mtime
wait_for listed "$Y" && ok "a snapshot rewritten in place (cp -p) is detected and reloaded" ||
    bad "in place" "$(cat "$T/f.log")"
: >"$T/f.bwi" # truncated in place under the running server: no SIGBUS, old one serves
wait_for grep -q "truncated or empty" "$T/f.log" && kill -0 "$MIR" && listed "$X" &&
    ok "truncating the file in place does not crash it; the old snapshot serves" || bad "truncate" "$(cat "$T/f.log")"
touch "$T/stop"
wait "$LOAD"; LOAD=
read -r answered unanswered <"$T/load.out"
[ "${answered:-0}" -gt 50 ] && [ "${unanswered:-1}" -eq 0 ] &&
    ok "no query dropped through the swaps ($answered answered)" || bad "queries dropped" "$answered answered, $unanswered not"
kill "$MIR"; wait "$MIR" 2>/dev/null; MIR=
# --poll 0: the file is never checked, only SIGHUP reloads it
cp "$T/A.bwi" "$T/f.bwi"
start_mirror "$T/h.log" --snapshot "$T/f.bwi" --poll 0
cp "$T/B.bwi" "$T/f.bwi.new" && mv "$T/f.bwi.new" "$T/f.bwi"
not listed "$Y" && kill -HUP "$MIR" && wait_for listed "$Y" &&
    ok "with --poll 0, SIGHUP reloads the file" || bad "SIGHUP" "$(cat "$T/h.log")"
kill "$MIR"; wait "$MIR" 2>/dev/null; MIR=

# ---- URL mode -----------------------------------------------------------------------------
mkdir -p "$T/www"
cp "$T/A.bwi" "$T/www/snap.bwi"
touch -d "2026-01-01 00:00:00 UTC" "$T/www/snap.bwi"
python3 -u -m http.server --bind 127.0.0.1 --directory "$T/www" 0 >"$T/http.out" 2>"$T/http.log" &
HTTP=$!
HP=
for _ in $(seq 1 100); do
    HP=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.out" | head -n 1)
    [ -n "$HP" ] && break
    sleep 0.05
done
URL=http://127.0.0.1:$HP/snap.bwi
start_mirror "$T/u.log" --snapshot "$URL" --cache "$T/cache.bwi" --poll 1
[ -n "$PORT" ] && listed "$X" && not listed "$Y" && ok "a mirror of a URL serves what it downloaded" ||
    bad "URL mirror" "$(cat "$T/u.log")"
wait_for grep -q '"GET /snap.bwi HTTP/1.1" 304' "$T/http.log" &&
    ok "polls of an unchanged snapshot are conditional (304 Not Modified)" || bad "no 304" "$(cat "$T/http.log")"
cp "$T/junk.bwi" "$T/www/new" && touch -d "2026-01-02 00:00:00 UTC" "$T/www/new" && mv "$T/www/new" "$T/www/snap.bwi"
wait_for grep -q "snapshot from $URL refused, the one in service keeps serving" "$T/u.log" &&
    ok "a corrupt download is refused with one error line" || bad "corrupt URL" "$(cat "$T/u.log")"
listed "$X" && cmp -s "$T/cache.bwi" "$T/A.bwi" && ok "the old snapshot keeps serving, the cache untouched" || bad "cache"
ls "$T"/cache.bwi.tmp.* >/dev/null 2>&1 && bad "a temporary download was left behind" || ok "no temporary file is left behind"
cp "$T/B.bwi" "$T/www/new" && touch -d "2026-01-03 00:00:00 UTC" "$T/www/new" && mv "$T/www/new" "$T/www/snap.bwi"
wait_for listed "$Y" && ok "a new good snapshot is downloaded and served" || bad "new URL snapshot" "$(cat "$T/u.log")"
cmp -s "$T/cache.bwi" "$T/B.bwi" && ok "the cache holds the snapshot in service" || bad "cache content"
cp "$T/A.bwi" "$T/www/new" && touch -d "2026-01-04 00:00:00 UTC" "$T/www/new" && mv "$T/www/new" "$T/www/snap.bwi"
wait_for grep -q "older than the one in service" "$T/u.log" && listed "$Y" &&
    ok "an older snapshot (a rollback) is refused" || bad "older" "$(cat "$T/u.log")"
# an origin that sends no validators: the same snapshot again at every poll is not swapped in
python3 - "$T/www/snap.bwi" >"$T/bare.out" 2>"$T/bare.log" <<'EOF' &
import http.server, sys
body = open(sys.argv[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        sys.stderr.write("GET\n")
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
BARE=$!
for _ in $(seq 1 100); do [ -s "$T/bare.out" ] && break; sleep 0.05; done
kill "$MIR"; wait "$MIR" 2>/dev/null; MIR=
start_mirror "$T/u4.log" --snapshot "http://127.0.0.1:$(cat "$T/bare.out")/snap" --cache "$T/cache4.bwi" --poll 1
wait_for test "$(grep -c GET "$T/bare.log")" -ge 3 # the download and two polls
[ "$(grep -c "serving the new snapshot" "$T/u4.log")" = 0 ] && grep -q "downloaded" "$T/u4.log" &&
    ok "an origin without validators: polls of the same snapshot do not swap it again" ||
    bad "same snapshot swapped again" "$(cat "$T/u4.log")"
kill "$BARE" "$MIR"; wait "$BARE" "$MIR" 2>/dev/null; MIR=
start_mirror "$T/u.log" --snapshot "$URL" --cache "$T/cache.bwi" --poll 1
kill "$HTTP"; wait "$HTTP" 2>/dev/null; HTTP=
wait_for grep -q "cannot fetch $URL" "$T/u.log" && listed "$Y" &&
    ok "with the origin gone: one error line a poll, the snapshot keeps serving" || bad "origin down" "$(cat "$T/u.log")"
kill "$MIR"; wait "$MIR" 2>/dev/null; MIR=
start_mirror "$T/u2.log" --snapshot "$URL" --cache "$T/cache.bwi" --poll 1
[ -n "$PORT" ] && listed "$Y" && ok "a restart with the origin down serves the cache" || bad "restart from cache" "$(cat "$T/u2.log")"
kill "$MIR"; wait "$MIR" 2>/dev/null; MIR=
"$BW" dnsbl --dns 127.0.0.1:0 --snapshot "$URL" --cache "$T/none.bwi" >/dev/null 2>"$T/u3.log"
[ $? -eq 1 ] && grep -q "nothing to serve" "$T/u3.log" &&
    ok "no origin and no cache: exit 1 with a clear error" || bad "nothing to serve" "$(cat "$T/u3.log")"
finish
