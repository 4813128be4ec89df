#!/bin/bash
# The compatibility claims, proved with the real tools from Debian (contrib/*/prove.sh): a real
# fail2ban ban reaches botwatch through our action file and through the stock AbuseIPDB action
# with its URL overridden; Debian's crowdsec-firewall-bouncer fills its nftables set from our
# CrowdSec-shaped decisions, inside a private network namespace. Skipped (exit 77) only where
# the tools or root are not there.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
    echo "skip - needs root and unshare"; exit 77
fi
for tool in fail2ban-client crowdsec-firewall-bouncer nft; do
    command -v "$tool" >/dev/null || { echo "skip - $tool is not installed"; exit 77; }
done
for proof in fail2ban crowdsec; do
    out=$(bash "$ROOT/contrib/$proof/prove.sh" "$BW" 2>&1); rc=$?
    n=$(printf '%s\n' "$out" | grep -c '^ok ')
    if [ $rc -eq 0 ] && [ "$n" -gt 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL'; then
        printf '%s\n' "$out" | grep '^ok '
    else
        bad "contrib/$proof/prove.sh" "$(printf '%s\n' "$out" | tail -5)"
    fi
done
finish
