#!/bin/bash
# botwatch notify run and botwatch case, end to end with real parts: Postfix's smtp-sink on
# loopback (each message dumped to a file, read back with Python's email package) and a
# Python http.server that checks webhook signatures with its own HMAC. Time moves with --now;
# servers are polled for readiness (bounded), never waited for with a fixed sleep.
. "$(dirname "$0")/lib.sh"
SINK=; HOOK=
trap 'kill $SINK $HOOK 2>/dev/null; wait $SINK $HOOK 2>/dev/null; rm -rf "$T"' EXIT
SECRET=hook-secret-123
cat > "$T/notify.ini" <<EOF
[notify]
from = botwatch@registry.example
webhook_secret = $SECRET
ack_url = https://registry.example
due.upstream = 48h
retry = 5m
EOF
nb() { "$BW" --db "$T/t.db" --config "$T/notify.ini" --now "$1" "${@:2}"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
up() { for _ in $(seq 1 200); do python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
mails() { ls "$T/mail" 2>/dev/null | wc -l; }
# grep_mail PATTERN: files of the sink holding PATTERN
grep_mail() { grep -l -- "$1" "$T"/mail/* 2>/dev/null; }

SP=$(port); mkdir -p "$T/mail"
U=(); [ "$(id -u)" -eq 0 ] && U=(-u root)
/usr/sbin/smtp-sink "${U[@]}" -d "$T/mail/m." 127.0.0.1:"$SP" 10 >/dev/null 2>&1 &
SINK=$!
HP=$(port)
python3 - "$HP" "$SECRET" "$T/hooks" >/dev/null 2>&1 <<'PY' &
import hashlib, hmac, http.server, json, os, sys
port, secret, out = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
os.makedirs(out, exist_ok=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ts = self.headers.get("X-Botwatch-Timestamp", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Botwatch-Signature", ""))
        n = len(os.listdir(out))
        with open(os.path.join(out, "%04d.json" % n), "w") as f:
            json.dump({"signature_ok": ok, "key": self.headers.get("Idempotency-Key"),
                       "body": json.loads(body)}, f)
        self.send_response(200 if ok else 401); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
HOOK=$!
up "$SP" && up "$HP" && ok "smtp-sink and the webhook receiver are up" || bad "servers up"

cat > "$T/contacts.csv" <<EOF
name,scope,email,webhook,role,parent
cert-gb,GB,cert@cert-gb.example,,cert,
transit,AS1299,noc@transit.example,,upstream,cert-gb
aaisp,AS20712,abuse@aaisp.example,http://127.0.0.1:$HP/hook,isp,transit
noroute,AS4837,,,isp,
EOF
nb "$NOW" contact import "$T/contacts.csv" >/dev/null 2>&1
nb "$NOW" reporter add feed --trust high >/dev/null
for ip in 81.2.69.142 81.2.69.160; do
    printf '{"ip":"%s","time":"%s","category":"bruteforce","port":22,"reporter":"feed","evidence":"Failed password for root from %s","controller":"89.160.20.112:4444"}\n' \
        "$ip" "$(iso -600)" "$ip"
done > "$T/r1.ndjson"
printf '{"ip":"175.16.199.1","time":"%s","category":"scan","reporter":"feed"}\n' "$(iso -60)" >> "$T/r1.ndjson"
nb "$NOW" ingest "$T/r1.ndjson" >/dev/null

# a dry run changes and sends nothing
nb "$NOW" notify run --dry-run --smtp 127.0.0.1:"$SP" --json > "$T/dry.json"
jtrue "$T/dry.json" "d['dry_run'] and d['cases_opened'] == 2 and d['sent'] == 0" \
    && [ "$(nb "$NOW" case list --json)" = "[]" ] && [ "$(mails)" -eq 0 ] \
    && ok "a dry run tells what it would do and changes nothing" || bad "dry run"

# the first run: a case per contact, mail and webhook for the ISP, the other waits
nb "$NOW" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n1.json"; rc=$?
[ $rc -eq 0 ] && ok "notify run exits 0" || bad "notify run" "rc=$rc"
jtrue "$T/n1.json" "d['cases_opened'] == 2 and d['sent'] == 2 and d['no_route'] == 1 and d['queued'] == 2" \
    && ok "two cases: the ISP's sent by mail and webhook, one without a route" || bad "first run" "$(cat "$T/n1.json")"
m=$(grep_mail "X-Rcpt-Args: <abuse@aaisp.example>")
[ -n "$m" ] && [ "$(echo "$m" | wc -l)" -eq 1 ] && ok "one mail to the ISP's abuse address" || bad "mail to the ISP"
python3 - "$m" <<'PY' && ok "the mail: both devices, evidence, a CSV row per device, IODEF, the signed link" || bad "mail content"
import csv, email, io, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert m["To"].endswith("<abuse@aaisp.example>") and m["Message-ID"] == "<bw-case-1-1-email@registry.example>"
text = [p for p in m.walk() if p.get_content_type() == "text/plain"][0].get_payload(decode=True).decode()
for ip in ("81.2.69.142", "81.2.69.160"):
    assert ip in text, ip
assert "Failed password for root" in text and "/api/v1/cases/1/ack?token=" in text.replace("=\n", "")
assert "175.16.199.1" not in text
part = [p for p in m.walk() if p.get_filename() == "botwatch-case-1.csv"][0]
rows = list(csv.DictReader(io.StringIO(part.get_payload(decode=True).decode())))
assert sorted(r["ip"] for r in rows) == ["81.2.69.142", "81.2.69.160"], rows
assert all(r["asn"] == "20712" and r["controller"] == "89.160.20.112:4444" for r in rows), rows
assert any(p.get_content_type() == "application/xml" for p in m.walk())
PY
h=$(ls "$T/hooks" 2>/dev/null | head -1)
[ -n "$h" ] && jtrue "$T/hooks/$h" "d['signature_ok'] and d['key'] == 'bw-case-1-1-webhook' and d['body']['case_id'] == 1 and len(d['body']['devices']) == 2" \
    && ok "the webhook: signed, with the idempotency key and both devices" || bad "webhook" "$(cat "$T/hooks/$h" 2>/dev/null)"
nb "$NOW" case list --json > "$T/c1.json"
jtrue "$T/c1.json" "[c['state'] for c in d] == ['open', 'pending'] and d[1]['reason'] == 'no delivery route' and d[0]['due'] == '2026-06-04T12:00:00Z'" \
    && ok "case list: the ISP's open with its deadline, the other pending with the reason" || bad "case list" "$(cat "$T/c1.json")"

# nothing new: nothing sent
before=$(mails)
nb "$(iso 3600)" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n2.json"
jtrue "$T/n2.json" "d['sent'] == 0 and d['queued'] == 0 and d['cases_opened'] == 0" && [ "$(mails)" -eq "$before" ] \
    && ok "a second run with nothing new sends nothing" || bad "second run" "$(cat "$T/n2.json")"

# a new device: an update to the open case, sent while the relay is down; retried later
printf '{"ip":"81.2.69.192","time":"%s","category":"scan","reporter":"feed"}\n' "$(iso 7000)" > "$T/r2.ndjson"
nb "$(iso 7200)" ingest "$T/r2.ndjson" >/dev/null
DEAD=$(port)
nb "$(iso 7200)" notify run --smtp 127.0.0.1:"$DEAD" --json > "$T/n3.json"; rc=$?
jtrue "$T/n3.json" "d['cases_updated'] == 1 and d['retrying'] == 1 and d['sent'] == 1" && [ $rc -eq 0 ] \
    && ok "an unreachable relay: the run goes on (webhook sent), the mail waits" || bad "relay down" "$(cat "$T/n3.json")"
nb "$(iso 7200)" case show 1 --json > "$T/s1.json"
jtrue "$T/s1.json" "'email to abuse@aaisp.example' in d['reason'] and d['messages']['pending'] == 1" \
    && ok "the case says why its mail is pending" || bad "pending reason" "$(cat "$T/s1.json")"
nb "$(iso 7300)" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n4.json"
jtrue "$T/n4.json" "d['sent'] == 0 and d['pending'] == 1" && ok "not retried before its backoff" || bad "backoff" "$(cat "$T/n4.json")"
nb "$(iso 7600)" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n5.json"
jtrue "$T/n5.json" "d['sent'] == 1 and d['pending'] == 0" && [ -n "$(grep_mail "bw-case-1-2-email")" ] \
    && ok "a later run delivers it" || bad "later delivery" "$(cat "$T/n5.json")"

# escalation: 72 h after the first notice, the upstream hears of it with the history
nb "$(iso $((73 * 3600)))" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n6.json"
e=$(grep_mail "X-Rcpt-Args: <noc@transit.example>")
jtrue "$T/n6.json" "d['escalations'] == 1" && [ -n "$e" ] && grep -q "X-Botwatch-Level: 1" $e \
    && ok "after the deadline the upstream is told" || bad "escalation" "$(cat "$T/n6.json")"
nb "$(iso $((73 * 3600)))" case list --json > "$T/c2.json"
jtrue "$T/c2.json" "d[0]['state'] == 'escalated' and d[0]['level_contact'] == 'transit' and d[0]['due'] == '2026-06-06T13:00:00Z'" \
    && ok "the case is escalated with the upstream's own deadline (48 h)" || bad "escalated case" "$(cat "$T/c2.json")"
# the no-route case has no parent: overdue at the top
jtrue "$T/n6.json" "d['overdue'] == 1" && ok "a case at the top of its chain becomes overdue" || bad "overdue"

# acknowledged: no more escalation; fixed: closed
nb "$(iso $((74 * 3600)))" case ack 1 | grep -q "acknowledged" && ok "case ack" || bad "case ack"
nb "$(iso $((130 * 3600)))" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n7.json"
jtrue "$T/n7.json" "d['escalations'] == 0 and d['sent'] == 0" && ok "an acknowledged case escalates no further" || bad "acked" "$(cat "$T/n7.json")"
nb "$(iso $((131 * 3600)))" case fixed 1 81.2.69.142 81.2.69.160 81.2.69.192 | grep -q "closed" \
    && ok "case fixed on every device closes the case" || bad "case fixed"
nb "$(iso $((131 * 3600)))" case fixed 1 10.0.0.1 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "case fixed on a closed case is refused (exit 2)" || bad "fixed closed" "rc=$rc"
nb "$NOW" case show 99 >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "no case 99" "$T/err" && ok "an unknown case is a usage error naming it" || bad "unknown case"
nb "$(iso $((131 * 3600)))" case stats --json > "$T/st.json"
jtrue "$T/st.json" "[x for x in d['contacts'] if x['key'] == 'aaisp'][0]['acknowledged'] == 1 and [x for x in d['contacts'] if x['key'] == 'aaisp'][0]['escalations'] == 1 and any(x['key'] == 'AS20712' for x in d['asns'])" \
    && ok "case stats per contact and ASN" || bad "stats" "$(cat "$T/st.json")"

# kill -9 in the middle of delivery: nothing is sent twice
printf '{"ip":"89.160.20.112","time":"%s","category":"scan","reporter":"feed"}\n{"ip":"2.125.160.216","time":"%s","category":"scan","reporter":"feed"}\n' \
    "$(iso $((80 * 3600)))" "$(iso $((80 * 3600)))" > "$T/r3.ndjson"
cat > "$T/contacts2.csv" <<EOF
name,scope,email,webhook,role,parent
cert-gb,GB,cert@cert-gb.example,,cert,
transit,AS1299,noc@transit.example,,upstream,cert-gb
aaisp,AS20712,abuse@aaisp.example,http://127.0.0.1:$HP/hook,isp,transit
noroute,AS4837,,,isp,
se,SE,abuse@se.example,,isp,
EOF
nb "$NOW" contact import "$T/contacts2.csv" >/dev/null 2>&1
nb "$(iso $((80 * 3600)))" ingest "$T/r3.ndjson" >/dev/null
before=$(mails)
{ ( BOTWATCH_FAULT=kill-after-mark:1 exec "$BW" --db "$T/t.db" --config "$T/notify.ini" \
    --now "$(iso $((81 * 3600)))" notify run --smtp 127.0.0.1:"$SP" >/dev/null 2>&1 ); } 2>/dev/null
rc=$?
[ $rc -eq 137 ] && ok "the run died of SIGKILL after its first delivery" || bad "killed" "rc=$rc"
nb "$(iso $((82 * 3600)))" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n8.json"
nb "$(iso $((90 * 3600)))" notify run --smtp 127.0.0.1:"$SP" --json > "$T/n9.json"
dups=$(grep -h "^Message-ID:" "$T"/mail/* | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] && [ "$(mails)" -gt "$before" ] && jtrue "$T/n9.json" "d['pending'] == 0" \
    && ok "after the kill, the re-runs deliver the rest and no Message-ID arrives twice" \
    || bad "no duplicates" "dups=$dups $(cat "$T/n8.json")"
check=$(sqlite3 "$T/t.db" "PRAGMA integrity_check;")
[ "$check" = "ok" ] && ok "integrity_check is ok after the kill" || bad "integrity" "$check"

# bad usage
nb "$NOW" notify run --smtp "no-port:x" >/dev/null 2>&1; [ $? -eq 2 ] && ok "a bad --smtp is a usage error" || bad "--smtp"
nb "$NOW" notify run --contact nobody >/dev/null 2>&1; [ $? -eq 2 ] && ok "an unknown --contact is a usage error" || bad "--contact"
nb "$NOW" case list --state nonsense >/dev/null 2>&1; [ $? -eq 2 ] && ok "an unknown --state is a usage error" || bad "--state"
finish
