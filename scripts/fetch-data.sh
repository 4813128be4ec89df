#!/bin/sh
# scripts/fetch-data.sh [--force] [DIR] - fetches the enrichment data sets with npm into DIR
# (default .cache/data under the repo root, which git ignores). Never committed.
#   DIR/asn/  asn-ipv4.csv, asn-ipv6.csv and the license files of @ip-location-db/asn
#             (CC-BY-4.0: RouteViews, DB-IP, NRO)
#   DIR/geo/  geo-whois-asn-country.mmdb and the license files of
#             @ip-location-db/geo-whois-asn-country-mmdb (package: CC0-1.0; sources: NRO)
#   DIR/npm/  the packed tarballs;  DIR/VERSIONS  one "package version" line per package
# Idempotent: does nothing when the files are there, unless --force. Prints one line on
# success; on failure one line "fetch-data: ..." on stderr and exit status 1 (2: usage).
set -eu

usage() { echo "usage: $0 [--force] [DIR]" >&2; exit 2; }
die() { echo "fetch-data: $*" >&2; exit 1; }

force=0
dir=""
for arg in "$@"; do
    case "$arg" in
    --force) force=1 ;;
    -*) usage ;;
    *) [ -z "$dir" ] || usage; dir="$arg" ;;
    esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$dir" ] || dir="$root/.cache/data"

ASN_PKG="@ip-location-db/asn"
GEO_PKG="@ip-location-db/geo-whois-asn-country-mmdb"

have_all() {
    [ -s "$dir/asn/asn-ipv4.csv" ] && [ -s "$dir/asn/asn-ipv6.csv" ] &&
        [ -s "$dir/geo/geo-whois-asn-country.mmdb" ] && [ -s "$dir/VERSIONS" ]
}

if [ "$force" -eq 0 ] && have_all; then
    echo "fetch-data: up to date in $dir ($(tr '\n' ' ' < "$dir/VERSIONS" | sed 's/ $//'))"
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found (install Node.js and npm: scripts/install-deps.sh)"
command -v tar >/dev/null 2>&1 || die "tar not found"

mkdir -p "$dir/npm" 2>/dev/null || die "cannot create $dir/npm"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX") || die "cannot create a temporary folder in $dir"
trap 'rm -rf "$tmp"' EXIT INT TERM

# pack PACKAGE: npm pack into a staging folder; prints the tarball's path.
pack() {
    mkdir -p "$tmp/pack"
    if ! out=$(npm pack "$1" --pack-destination "$tmp/pack" --loglevel=error 2>"$tmp/npm.err"); then
        # npm's first lines name the error code; its FetchError line says what it tried
        code=$(sed -n 's/^npm error code //p' "$tmp/npm.err" | head -n 1)
        why=$(grep -E '^npm error (FetchError|404|[A-Za-z]+:)' "$tmp/npm.err" | head -n 1 |
            sed 's/^npm error //' || true)
        die "npm pack $1 failed (${code:-exit status $?})${why:+: $why}"
    fi
    tgz=$(printf '%s\n' "$out" | tail -n 1)
    if [ -z "$tgz" ] || [ ! -s "$tmp/pack/$tgz" ]; then
        die "npm pack $1 wrote no tarball"
    fi
    printf '%s\n' "$tmp/pack/$tgz"
}

# extract TARBALL SUBDIR FILE...: the wanted data files and every license and readme file
# go to a staging SUBDIR, which then replaces DIR/SUBDIR whole (no stale files).
extract() {
    tgz=$1; sub=$2; shift 2
    rm -rf "$tmp/x" && mkdir -p "$tmp/x" "$tmp/$sub"
    tar -xzf "$tgz" -C "$tmp/x" 2>/dev/null || die "cannot extract ${tgz##*/}"
    for f in "$@"; do
        [ -s "$tmp/x/package/$f" ] || die "${tgz##*/} does not hold $f"
        mv "$tmp/x/package/$f" "$tmp/$sub/"
    done
    for f in "$tmp"/x/package/*; do
        case "${f##*/}" in
        *LICENSE*|*LICENCE*|*license*|COPYING*|README*|package.json) mv "$f" "$tmp/$sub/" ;;
        esac
    done
}

# version_of TARBALL NAME-PREFIX: "ip-location-db-asn-2.3.2026061719.tgz" -> 2.3.2026061719
version_of() {
    b=${1##*/}; b=${b%.tgz}
    printf '%s\n' "${b#"$2"-}"
}

asn_tgz=$(pack "$ASN_PKG")
geo_tgz=$(pack "$GEO_PKG")
extract "$asn_tgz" asn asn-ipv4.csv asn-ipv6.csv
extract "$geo_tgz" geo geo-whois-asn-country.mmdb
asn_v=$(version_of "$asn_tgz" ip-location-db-asn)
geo_v=$(version_of "$geo_tgz" ip-location-db-geo-whois-asn-country-mmdb)
printf '%s %s\n%s %s\n' "$ASN_PKG" "$asn_v" "$GEO_PKG" "$geo_v" > "$tmp/VERSIONS"

# Everything is staged: swap it in (older tarballs of these packages go).
rm -f "$dir"/npm/ip-location-db-asn-[0-9]*.tgz \
    "$dir"/npm/ip-location-db-geo-whois-asn-country-mmdb-[0-9]*.tgz
mv "$asn_tgz" "$geo_tgz" "$dir/npm/"
for sub in asn geo; do
    rm -rf "${dir:?}/$sub"
    mv "$tmp/$sub" "$dir/$sub" || die "cannot move the data into $dir/$sub"
done
mv "$tmp/VERSIONS" "$dir/VERSIONS"
echo "fetch-data: fetched $ASN_PKG $asn_v and $GEO_PKG $geo_v into $dir"
