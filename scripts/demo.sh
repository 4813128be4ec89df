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
echo
echo "== lookup --json 8.8.8.8 (never reported)"
"$BW" --db "$DB" --now "$NOW" lookup --json 8.8.8.8
echo
"$BW" --db "$DB" --now "$NOW" status
echo
echo "Try: $BW --db $DB --now $NOW lookup $top"
