#!/usr/bin/env bash
# Proves with Debian's real fail2ban that a ban becomes a stored botwatch report, through
# contrib/fail2ban/action.d/botwatch.conf and through the stock abuseipdb action with actionban
# overridden in abuseipdb.local. Usage: contrib/fail2ban/prove.sh [path/to/botwatch]
# Needs fail2ban, curl, python3. Runs everything in a temporary directory, on 127.0.0.1.
set -eu
BW=$(readlink -f "${1:-build/botwatch}")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); SRV=
cleanup() {
  fail2ban-client -c "$T/conf" stop >/dev/null 2>&1 || true
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
U="http://127.0.0.1:$P"
key() { "$BW" --db "$T/d.db" key add "$1" --role reporter --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }
K1=$(key f2b-ours); K2=$(key f2b-stock)
mkdir -p "$T/conf"
cp -r /etc/fail2ban/filter.d /etc/fail2ban/action.d /etc/fail2ban/paths-*.conf "$T/conf/"
cp "$HERE/action.d/botwatch.conf" "$T/conf/action.d/"
cat > "$T/conf/fail2ban.conf" <<CONF
[Definition]
loglevel = INFO
logtarget = $T/f2b.log
socket = $T/f2b.sock
pidfile = $T/f2b.pid
dbfile = :memory:
dbpurgeage = 1d
CONF
cat > "$T/conf/action.d/abuseipdb.local" <<CONF
[Definition]
actionban = lgm=\$(printf '%%.1000s\n...' "<matches>"); curl -sSf "$U/api/v2/report" -H "Accept: application/json" -H "Key: <abuseipdb_apikey>" --data-urlencode "comment=\$lgm" --data-urlencode "ip=<ip>" --data "categories=<abuseipdb_category>"
CONF
: > "$T/ours.log"; : > "$T/stock.log"
cat > "$T/conf/jail.conf" <<CONF
[DEFAULT]
backend = polling
maxretry = 3
findtime = 600
bantime = 600
[ours]
enabled = true
filter = sshd
logpath = $T/ours.log
action = botwatch[botwatch_url="$U", botwatch_apikey="$K1", abuseipdb_category="18,22"]
[stock]
enabled = true
filter = sshd
logpath = $T/stock.log
action = abuseipdb[abuseipdb_apikey="$K2", abuseipdb_category="18,22"]
CONF
"$BW" --db "$T/d.db" serve --http "127.0.0.1:$P" 2> "$T/serve.log" & SRV=$!
for _ in $(seq 100); do curl -sf "$U/healthz" >/dev/null && break; sleep 0.1; done
fail2ban-server -c "$T/conf" -b -x >/dev/null 2>&1
for _ in $(seq 100); do fail2ban-client -c "$T/conf" ping >/dev/null 2>&1 && break; sleep 0.1; done
for i in 1 2 3 4; do
  echo "$(date '+%b %e %H:%M:%S') host sshd[10$i]: Failed password for root from 81.2.69.160 port 4242$i ssh2" >> "$T/ours.log"
  echo "$(date '+%b %e %H:%M:%S') host sshd[20$i]: Failed password for root from 175.16.199.7 port 5242$i ssh2" >> "$T/stock.log"
done
fails=0
for pair in "81.2.69.160 f2b-ours" "175.16.199.7 f2b-stock"; do
  set -- $pair
  got=
  for _ in $(seq 100); do
    got=$("$BW" --db "$T/d.db" lookup --json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(s["reporter"] for s in d["evidence"]))')
    [ -n "$got" ] && break; sleep 0.1
  done
  if [ "$got" = "$2" ]; then echo "ok   - fail2ban ban of $1 stored as a report by $2"
  else echo "FAIL - fail2ban ban of $1 not stored (reporters: '$got')"; fails=$((fails+1)); fi
done
exit $fails
