#!/bin/bash
# The listing policy end to end: corroboration by organisation, configuration, expiry.
. "$(dirname "$0")/lib.sh"

emit() { # IP REPORTER COUNT [CATEGORY]
    for i in $(seq 1 "$3"); do
        printf '{"ip":"%s","time":"%s","category":"%s","reporter":"%s"}\n' "$1" "$(iso -$((i * 600)))" "${4:-scan}" "$2"
    done
}

# two reporters of one organisation are one source: no listing
bw reporter add org-a1 --org acme >/dev/null
bw reporter add org-a2 --org acme >/dev/null
{ emit 81.2.69.10 org-a1 3; emit 81.2.69.10 org-a2 3; } > "$T/a.ndjson"
bw ingest "$T/a.ndjson" >/dev/null
bw lookup --json 81.2.69.10 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is False and d["reporters"] == 2 and "1 independent source" in d["why"]' \
    && ok "one org's reporters do not corroborate each other" || bad "org corroboration" "$(cat "$T/l.json")"

# a third, independent reporter lists it
emit 81.2.69.10 indep 3 > "$T/b.ndjson"; bw ingest "$T/b.ndjson" >/dev/null
bw lookup --json 81.2.69.10 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is True' && ok "an independent reporter corroborates" || bad "independent"

# the config file changes the policy: a threshold of 95 unlists it
printf '[policy]\nthreshold = 95\n' > "$T/strict.conf"
"$BW" --db "$T/t.db" --now "$NOW" --config "$T/strict.conf" lookup --json 81.2.69.10 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is False and "threshold 95" in d["why"]' && ok "config threshold applies" || bad "config threshold"
BOTWATCH_CONFIG="$T/strict.conf" "$BW" --db "$T/t.db" --now "$NOW" config | grep -qx "threshold = 95" \
    && ok "BOTWATCH_CONFIG and config show" || bad "config show"
printf '[policy]\nthreshold = 500\n' > "$T/bad.conf"
"$BW" --db "$T/t.db" --config "$T/bad.conf" lookup 81.2.69.10 >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "bad.conf" "$T/err" && ok "a bad setting is refused, naming the file" || bad "bad config" "rc=$rc"
printf '[policy]\nno_such = 1\n' > "$T/bad2.conf"
"$BW" --db "$T/t.db" --config "$T/bad2.conf" lookup 81.2.69.10 >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "no_such" "$T/err" && ok "an unknown setting is refused" || bad "unknown setting"

# expiry: listed now, not after 31 days, with the reports still counted
"$BW" --db "$T/t.db" --now "$(iso $((31 * 86400)))" lookup --json 81.2.69.10 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is False and d["reports"] == 9' && ok "expires after 30 days" || bad "expiry"
printf '[policy]\nexpiry = 60d\nwindow = 60d\n' > "$T/long.conf"
"$BW" --db "$T/t.db" --now "$(iso $((31 * 86400)))" --config "$T/long.conf" lookup --json 81.2.69.10 > "$T/l.json"
jtrue "$T/l.json" 'd["score"] > 0' && ok "a longer window keeps decayed evidence" || bad "long window"

# network listings: a trusted list's prefix lists the addresses inside it, not those outside
bw reporter add droplist-feed --trust high >/dev/null
printf '{"ip":"89.160.20.0/24","time":"%s","category":"malware","evidence":"SBL123"}\n{"ip":"2.0.0.0/7","category":"malware"}\n' "$(iso -60)" > "$T/net.ndjson"
bw ingest --json --reporter droplist-feed "$T/net.ndjson" > "$T/s.json"
jtrue "$T/s.json" 'd["accepted"] == 1 and d["networks"] == 1 and d["rejected"] == {"invalid_ip": 1}' \
    && ok "a prefix is stored as a network listing; a /7 is refused" || bad "network ingest" "$(cat "$T/s.json")"
bw lookup --json 89.160.20.77 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is True and d["reports"] == 0 and d["evidence"][0]["via"] == "89.160.20.0/24"' \
    && ok "an address inside a listed network is listed, and says via which" || bad "inside network"
bw lookup --json 89.160.21.77 > "$T/l.json"
jtrue "$T/l.json" 'd["listed"] is False' && ok "an address outside it is not" || bad "outside network"

# list --listed follows the same judgement as lookup
bw list --listed > "$T/listed.txt"
grep -qx 81.2.69.10 "$T/listed.txt" && ok "list --listed agrees with lookup" || bad "list agrees"
grep -qx 89.160.20.0/24 "$T/listed.txt" && ok "list --listed names listed networks" || bad "list networks"
finish
