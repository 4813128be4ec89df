#!/bin/sh
# Installs the Debian packages that building, testing and the demo need, when any is missing.
# Idempotent and non-interactive; a no-op (one dpkg-query) when everything is there.
set -eu

PACKAGES="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
libsqlite3-dev sqlite3 libjansson-dev libsodium-dev zlib1g-dev libinih-dev libcmocka-dev
libmaxminddb-dev libpcre2-dev libexpat1-dev libmicrohttpd-dev libcurl4-openssl-dev python3 hyperfine
curl dnsutils rbldnsd nftables ipset fail2ban crowdsec-firewall-bouncer postfix python3-jsonschema
dnsperf rblcheck"

# npm fetches the data sets at set-up; a machine may already have Node.js from elsewhere
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
