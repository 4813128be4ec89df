# Helpers for the integration tests (sourced). Each check is one line of output; the script
# exits non-zero when any check failed.
set -u
BW=${BW:?BW must name the botwatch binary}
NOW=2026-06-01T12:00:00Z
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILS=0
ok()  { echo "ok   - $1"; }
bad() { echo "FAIL - $1${2:+: $2}"; FAILS=$((FAILS + 1)); }
# expect NAME CMD...: the command must succeed
expect() { local n=$1; shift; if "$@" >/dev/null 2>&1; then ok "$n"; else bad "$n"; fi; }
# jtrue FILE EXPR: a Python expression over the JSON in FILE (bound to d) is true
jtrue() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }
# iso OFFSET_S: RFC 3339 time OFFSET_S seconds after NOW
iso() { date -u -d "@$(( $(date -u -d "$NOW" +%s) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
bw() { "$BW" --db "$T/t.db" --now "$NOW" "$@"; }
finish() { [ "$FAILS" -eq 0 ]; }
