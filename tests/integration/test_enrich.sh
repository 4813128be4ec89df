#!/bin/bash
# Enrichment end to end with the real data sets (fetched at set-up into BOTWATCH_DATA):
# network, country, sector, device fingerprint, contact and advisories on lookups and lists.
. "$(dirname "$0")/lib.sh"
: "${BOTWATCH_DATA:?BOTWATCH_DATA must name the fetched data directory}"
if [ ! -f "$BOTWATCH_DATA/asn.bin" ]; then
    bad "enrichment data present" "$BOTWATCH_DATA/asn.bin is missing: run 'make data'"
    finish; exit
fi
KEV=$(dirname "$0")/../fixtures/kev/known_exploited_vulnerabilities.json

cat > "$T/contacts.csv" <<CSV
name,scope,email,webhook,role,parent
cert-gb,GB,cert@example.org,,cert,
aaisp,AS20712,abuse@aaisp.example,,isp,cert-gb
lab,81.2.69.0/28,lab@example.org,,isp,aaisp
CSV
bw contact import "$T/contacts.csv" >/dev/null && ok "contacts import" || bad "contacts import"
: > "$T/r.ndjson"
for r in rep-a rep-b; do for i in 1 2 3; do
  printf '{"ip":"81.2.69.142","time":"%s","category":"bruteforce","reporter":"%s","banner":"Netwave IP Camera","port":80,"service":"http"}\n' "$(iso $(( -i*600 )))" "$r" >> "$T/r.ndjson"
  printf '{"ip":"81.2.69.5","time":"%s","category":"scan","reporter":"%s"}\n' "$(iso $(( -i*600 )))" "$r" >> "$T/r.ndjson"
  printf '{"ip":"175.16.199.1","time":"%s","category":"scan","reporter":"%s","banner":"PDR-M800/1.0","port":80}\n' "$(iso $(( -i*600 )))" "$r" >> "$T/r.ndjson"
  printf '{"ip":"45.33.32.156","time":"%s","category":"scan","reporter":"%s"}\n' "$(iso $(( -i*600 )))" "$r" >> "$T/r.ndjson"
  printf '{"ip":"2a02:cf40::99","time":"%s","category":"scan","reporter":"%s"}\n' "$(iso $(( -i*600 )))" "$r" >> "$T/r.ndjson"
done; done
bw ingest "$T/r.ndjson" >/dev/null 2>"$T/err" && ok "ingest with enrichment" || bad "ingest" "$(head -3 "$T/err")"
bw lookup --json 81.2.69.142 > "$T/a.json"
jtrue "$T/a.json" 'd["asn"] == 20712 and "Andrews" in d["as_org"] and d["country"] == "GB" and d["prefix"]' \
    && ok "network and country of a GB address" || bad "network GB" "$(cat "$T/a.json")"
jtrue "$T/a.json" 'd["device"]["vendor"] == "Netwave" and d["device"]["type"] == "IP Camera" and d["device"]["matched"]' \
    && ok "the camera is fingerprinted from its banner" || bad "fingerprint" "$(cat "$T/a.json")"
jtrue "$T/a.json" 'd["contact"]["name"] == "aaisp" and d["contact"]["chain"] == ["aaisp", "cert-gb"]' \
    && ok "AS contact beats the country one; the chain goes up to the CERT" || bad "contact AS"
bw lookup --json 81.2.69.5 > "$T/p.json"
jtrue "$T/p.json" 'd["contact"]["name"] == "lab"' && ok "a prefix contact beats the AS one" || bad "contact prefix"
bw lookup --json 175.16.199.1 > "$T/b.json"
jtrue "$T/b.json" 'd["asn"] == 4837 and d["country"] == "CN" and "DVR" in (d["device"]["type"] or "")' \
    && ok "CN address, DVR by its banner" || bad "CN DVR" "$(cat "$T/b.json")"
bw lookup --json 45.33.32.156 > "$T/c.json"
jtrue "$T/c.json" 'd["vertical"] == "hosting"' && ok "a hosting network is classified hosting" || bad "hosting"
bw lookup --json 2a02:cf40::99 > "$T/d.json"
jtrue "$T/d.json" 'd["asn"] == 62121 and d["country"] == "DK"' && ok "IPv6 enrichment" || bad "IPv6"

printf 'asn,vertical\n20712,education\nnot-a-number,isp\n' > "$T/v.csv"
bw vertical import "$T/v.csv" >/dev/null 2>"$T/err"
grep -q "line 3" "$T/err" && ok "a bad override row is reported with its line" || bad "override line"
bw enrich --all >/dev/null && bw lookup --json 81.2.69.142 > "$T/a2.json"
jtrue "$T/a2.json" 'd["vertical"] == "education"' && ok "override wins after enrich --all" || bad "override"

if [ -f "$KEV" ]; then
    bw advisory import "$KEV" >/dev/null && ok "KEV catalog imports" || bad "KEV import"
fi
bw advisory add --vendor Netwave --product "IP Camera" --action "Replace it: no fix exists" \
    --name "Netwave camera takeover" >/dev/null && ok "an operator note is added" || bad "note add"
bw lookup --json 81.2.69.142 > "$T/a3.json"
jtrue "$T/a3.json" 'any(a["id"] == "note:1" and "Replace" in a["action"] for a in d["advisories"])' \
    && ok "the note reaches the camera's lookup" || bad "note in lookup" "$(cat "$T/a3.json")"
bw advisory list --json > "$T/adv.json"
jtrue "$T/adv.json" 'sum(1 for a in d if a["source"] == "note") == 1 and len(d) > 1000' \
    && ok "advisory list" || bad "advisory list"
bw list --format json --country GB > "$T/l.json"
jtrue "$T/l.json" 'len(d) == 2 and all(r["country"] == "GB" and r["asn"] == 20712 for r in d)' \
    && ok "list --country filters and carries enrichment" || bad "list country"
bw list --format json --asn 4837 > "$T/l.json"
jtrue "$T/l.json" 'len(d) == 1 and d[0]["ip"] == "175.16.199.1"' && ok "list --asn" || bad "list asn"
bw list --format csv --device-type "IP Camera" > "$T/l.csv"
[ "$(tail -n +2 "$T/l.csv" | wc -l)" -eq 1 ] && grep -q Netwave "$T/l.csv" && ok "list --device-type, CSV" || bad "list device type"

# a missing data directory: one clear line each, ingest goes on with the fields unknown
BOTWATCH_DATA="$T/nothing" "$BW" --db "$T/x.db" --now "$NOW" ingest "$T/r.ndjson" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q "asn.bin" "$T/err" && grep -q "data update" "$T/err" \
    && ok "missing data: named, with how to fetch it, and ingest goes on" || bad "missing data" "rc=$rc"
finish
