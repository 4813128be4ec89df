#!/bin/bash
# make demo: the main job on the embedded default. Simulates a botnet-sized data set, ingests
# it, and shows what botwatch answers: a few lookups and the head of the list.
set -eu
cd "$(dirname "$0")/.."
BW=build/botwatch
NOW=${NOW:-2026-06-01T12:00:00Z}
mkdir -p demo
DB=demo/botwatch.db
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== simulate: 20000 devices, 100000 reports from 8 sensors, 14 days before $NOW"
"$BW" --now "$NOW" simulate --devices 20000 --reports 100000 --seed 42 > demo/reports.ndjson
head -n 2 demo/reports.ndjson

echo
echo "== a vetted feed (high trust) and two sensors of one organisation"
"$BW" --db "$DB" --now "$NOW" reporter add cert-07 --trust high
"$BW" --db "$DB" --now "$NOW" reporter add isp-02 --org example-isp
"$BW" --db "$DB" --now "$NOW" reporter add isp-08 --org example-isp

echo
echo "== ingest"
"$BW" --db "$DB" --now "$NOW" ingest demo/reports.ndjson
echo "(again: the same file adds nothing)"
"$BW" --db "$DB" --now "$NOW" ingest demo/reports.ndjson

echo
echo "== real evidence: an OpenSSH auth.log, Feodo Tracker's C2 list (trusted), Spamhaus DROP"
"$BW" --db "$DB" --now "$NOW" reporter add feodo --trust high
"$BW" --db "$DB" --now "$NOW" reporter add droplist --trust high
"$BW" --db "$DB" --now "$NOW" ingest --year 2026 tests/fixtures/sshd/elastic-auth.log
"$BW" --db "$DB" --now "$NOW" ingest tests/fixtures/feodo/feodo_ipblocklist.csv
"$BW" --db "$DB" --now "$NOW" ingest --format droplist tests/fixtures/droplist/drop.txt
"$BW" --now "$NOW" parse --format sshd tests/fixtures/sshd/OpenSSH_2k.log 2>/dev/null | head -n 2

echo
echo "== who answers for what: contacts, and the KEV catalog for advice"
cat > demo/contacts.csv <<CSV
name,scope,email,webhook,role,parent
cert-de,DE,cert@cert-de.example,,cert,
cert-us,US,cert@cert-us.example,,cert,
hoster-abuse,AS14061 AS16276 AS24940,abuse@hoster.example,,isp,cert-de
CSV
"$BW" --db "$DB" --now "$NOW" contact import demo/contacts.csv
"$BW" --db "$DB" --now "$NOW" advisory import tests/fixtures/kev/known_exploited_vulnerabilities.json
"$BW" --db "$DB" --now "$NOW" enrich --all

echo
echo "== list --listed (head)"
"$BW" --db "$DB" --now "$NOW" list --listed --format csv --limit 8

top=$("$BW" --db "$DB" --now "$NOW" list --listed --limit 1)
unlisted=$("$BW" --db "$DB" --now "$NOW" list --sort score --format csv | awk -F, '$2=="false"{print $1; exit}')
echo
echo "== lookup $top (the highest score)"
"$BW" --db "$DB" --now "$NOW" lookup "$top"
if [ -n "$unlisted" ]; then
    echo
    echo "== lookup $unlisted (reported, not listed)"
    "$BW" --db "$DB" --now "$NOW" lookup "$unlisted"
fi
net=$(grep -v '^;' tests/fixtures/droplist/drop.txt | head -n 1 | awk '{print $1}')
inside=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]).network_address + 1)' "$net")
echo
echo "== lookup $inside (inside $net, a Spamhaus DROP network: listed via the listing)"
"$BW" --db "$DB" --now "$NOW" lookup "$inside"
echo
echo "== lookup --json 8.8.8.8 (never reported)"
"$BW" --db "$DB" --now "$NOW" lookup --json 8.8.8.8
echo
echo "== notify run --dry-run: the cases a real run would open and the notices it would send"
"$BW" --db "$DB" --now "$NOW" notify run --dry-run 2>&1 | tail -n 6
echo
"$BW" --db "$DB" --now "$NOW" status
echo
echo "Try: $BW --db $DB --now $NOW lookup $top"
[ "${DEMO_SERVE:-1}" = 1 ] || exit 0
HTTP=${DEMO_HTTP:-127.0.0.1:8080}
DNS=${DEMO_DNS:-127.0.0.1:5353}
key=$("$BW" --db "$DB" key add demo --role admin 2>/dev/null | grep -oE 'bw_[0-9a-f]{64}' | head -n 1)
rev=$(echo "$top" | awk -F. '{print $4"."$3"."$2"."$1}')
echo
echo "== serving: HTTP API on http://$HTTP, DNSBL on $DNS (Ctrl-C stops; DEMO_SERVE=0 skips)"
echo "   dig @${DNS%:*} -p ${DNS##*:} $rev.bl.botwatch.local A +short"
echo "   curl -s http://$HTTP/api/v1/devices/$top${key:+ -H 'X-Api-Key: $key'}"
echo "   curl -s http://$HTTP/healthz"
exec "$BW" --db "$DB" --now "$NOW" serve --http "$HTTP" --dns "$DNS"
