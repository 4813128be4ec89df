#!/usr/bin/env bash
# Proves with Debian's real crowdsec-firewall-bouncer that botwatch's CrowdSec Local API shape
# works: inside a private network namespace (unshare -n, so the host's firewall is untouched)
# it serves a database with two listed addresses on 127.0.0.1:8080, runs the bouncer with a
# bouncer key (nftables mode) and checks its nftables set holds them.
# Usage (root): contrib/crowdsec/prove.sh [path/to/botwatch]
# Needs crowdsec-firewall-bouncer, nftables, curl, python3, util-linux (unshare).
set -u
if [ "${BW_IN_NETNS:-}" != 1 ]; then
  BW_IN_NETNS=1 exec unshare -n "$0" "$(readlink -f "${1:-build/botwatch}")"
fi

BW=$1; T=$(mktemp -d)
ip link set lo up
bw() { "$BW" --db "$T/d.db" "$@"; }
key() { bw key add "$1" --role "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }
K1=$(key r1 reporter); K2=$(key r2 reporter); KB=$(key fw bouncer)
"$BW" --db "$T/d.db" serve --http 127.0.0.1:8080 2> "$T/serve.log" & SRV=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:8080/healthz >/dev/null && break; sleep 0.1; done
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for k in "$K1" "$K2"; do
  for ip in 81.2.69.142 175.16.199.7; do
    printf '{"ip":"%s","time":"%s","category":"bruteforce","port":22}\n' "$ip" "$now"
  done | curl -s -o /dev/null -w '%{http_code} ' -H "X-Api-Key: $k" --data-binary @- http://127.0.0.1:8080/api/v1/reports
done; echo
cat > "$T/bouncer.yaml" <<CONF
mode: nftables
pid_dir: $T
update_frequency: 1s
daemonize: false
log_mode: stdout
log_level: info
api_url: http://127.0.0.1:8080/
api_key: $KB
disable_ipv6: false
deny_action: DROP
deny_log: false
supported_decisions_types:
  - ban
nftables:
  ipv4:
    enabled: true
    set-only: false
    table: crowdsec
    chain: crowdsec-chain
  ipv6:
    enabled: true
    set-only: false
    table: crowdsec6
    chain: crowdsec6-chain
prometheus:
  enabled: false
CONF
crowdsec-firewall-bouncer -c "$T/bouncer.yaml" > "$T/bouncer.log" 2>&1 & BO=$!
ok=0
for _ in $(seq 100); do
  set=$(nft list set ip crowdsec crowdsec-blacklists 2>/dev/null)
  if echo "$set" | grep -q 81.2.69.142 && echo "$set" | grep -q 175.16.199.7; then ok=1; break; fi
  sleep 0.2
done
nft list set ip crowdsec crowdsec-blacklists 2>&1 | head -12
kill $BO $SRV 2>/dev/null; wait 2>/dev/null
[ $ok = 1 ] && echo "ok   - crowdsec-firewall-bouncer's nftables set holds our listed addresses" || { echo "FAIL - bouncer set"; tail -20 "$T/bouncer.log"; }
rm -rf "$T"
[ $ok = 1 ]
