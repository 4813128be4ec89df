#!/bin/bash
# Debian's rblcheck against the DNSBL, the way a mail administrator would run it: through the
# system resolver on port 53. So that port 53 and /etc/resolv.conf are ours without touching
# the host, the mirror and rblcheck run inside a private network and mount namespace
# (unshare -n -m): loopback brought up, a resolv.conf naming 127.0.0.1 bind-mounted over the
# system one. A listed address must be reported listed, with our TXT; a clean one not listed.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! unshare -n -m true 2>/dev/null; then
    echo "SKIP: needs root and unshare -n -m (network and mount namespaces)"
    exit 77
fi
CONF=$(readlink -f /etc/resolv.conf)
if [ ! -f "$CONF" ]; then
    echo "SKIP: /etc/resolv.conf resolves to no file ($CONF) to bind-mount over"
    exit 77
fi
for tool in rblcheck dig ip; do
    command -v "$tool" >/dev/null || { bad "$tool is missing (scripts/install-deps.sh installs it)"; finish; exit; }
done
Z=bl.botwatch.local
LISTED=81.2.69.142
CLEAN=81.2.69.143
bw reporter add vetted --trust high >/dev/null
printf '{"ip":"%s","time":"%s","category":"bruteforce","reporter":"vetted"}\n' "$LISTED" "$(iso -60)" >"$T/a.ndjson"
bw ingest "$T/a.ndjson" >/dev/null
bw snapshot build -o "$T/snap.bwi" >/dev/null || bad "snapshot build"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' >"$T/resolv.conf"

# Inside the namespaces: bring up lo, take over resolv.conf (its target when it is a symlink),
# serve on 127.0.0.1:53, wait until it answers (bounded), run rblcheck twice.
unshare -n -m env BW="$BW" T="$T" Z="$Z" LISTED="$LISTED" CLEAN="$CLEAN" CONF="$CONF" bash -c '
    ip link set lo up || exit 10
    mount --bind "$T/resolv.conf" "$CONF" || exit 11
    "$BW" dnsbl --snapshot "$T/snap.bwi" --dns 127.0.0.1:53 --zone "$Z" \
        --url "https://botwatch.example/ip/" 2>"$T/dnsbl.log" &
    pid=$!
    for _ in $(seq 1 100); do
        dig @127.0.0.1 +time=1 +tries=1 +short SOA "$Z" 2>/dev/null | grep -q . && break
        sleep 0.05
    done
    rblcheck -c -s "$Z" -t "$LISTED" >"$T/listed.out" 2>&1; echo $? >"$T/listed.rc"
    rblcheck -c -s "$Z" -t "$CLEAN" >"$T/clean.out" 2>&1; echo $? >"$T/clean.rc"
    # the server was there to say so: NXDOMAIN, not silence
    dig @127.0.0.1 +time=1 +tries=1 A "$(echo "$CLEAN" | awk -F. "{print \$4\".\"\$3\".\"\$2\".\"\$1}").$Z" \
        >"$T/clean.dig" 2>&1
    kill "$pid"; wait "$pid"
'
rc=$?
[ $rc -eq 0 ] && ok "the mirror ran on 127.0.0.1:53 in a private network namespace" ||
    bad "namespace set-up failed (exit $rc)" "$(cat "$T/dnsbl.log" 2>/dev/null)"
# rblcheck's exit status is the number of lists the address is on
[ "$(cat "$T/listed.rc" 2>/dev/null)" = 1 ] && ok "rblcheck counts the listed address on one list" ||
    bad "rblcheck on $LISTED" "status $(cat "$T/listed.rc" 2>/dev/null): $(cat "$T/listed.out" 2>/dev/null)"
grep -q "^$LISTED listed by $Z" "$T/listed.out" 2>/dev/null &&
    ok "rblcheck says $LISTED is listed by $Z" || bad "listed line" "$(cat "$T/listed.out" 2>/dev/null)"
grep -q "listed: bruteforce; score [0-9]*; https://botwatch.example/ip/$LISTED" "$T/listed.out" 2>/dev/null &&
    ok "rblcheck -t shows our TXT (category, score, lookup URL)" || bad "TXT" "$(cat "$T/listed.out" 2>/dev/null)"
[ "$(cat "$T/clean.rc" 2>/dev/null)" = 0 ] && grep -q "^$CLEAN not listed by $Z" "$T/clean.out" 2>/dev/null &&
    ok "rblcheck says the clean $CLEAN is not listed" ||
    bad "rblcheck on $CLEAN" "status $(cat "$T/clean.rc" 2>/dev/null): $(cat "$T/clean.out" 2>/dev/null)"
grep -q "status: NXDOMAIN" "$T/clean.dig" 2>/dev/null && ok "the DNSBL answered NXDOMAIN for it" ||
    bad "no NXDOMAIN for the clean address" "$(cat "$T/clean.dig" 2>/dev/null)"
finish
