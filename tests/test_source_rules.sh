#!/bin/bash
# Source rules that the compiler cannot check (STYLE.md): includes point down the layers, and
# the banned functions appear nowhere in src/.
set -u
cd "$(dirname "$0")/.."
fails=0

rank() {
    case "$1" in
        core) echo 0 ;;
        score|parsers) echo 1 ;;
        store|enrich) echo 2 ;;
        pipeline|index|notify|stats|correlate) echo 3 ;;
        http|dnsbl|export) echo 4 ;;
        cli) echo 5 ;;
        *) echo 99 ;;
    esac
}

for f in $(find src -name '*.[ch]'); do
    mod=$(echo "$f" | cut -d/ -f2)
    r=$(rank "$mod")
    while IFS= read -r inc; do
        dep=${inc%%/*}
        [ "$dep" = "$mod" ] && continue
        d=$(rank "$dep")
        if [ "$d" -ge "$r" ]; then
            echo "FAIL - $f includes \"$inc\": $dep is not below $mod"
            fails=$((fails + 1))
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" -r src fuzz bench tests --include='*.c' --include='*.h'; then
    echo "FAIL - banned functions used (see above)"
    fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] && echo "ok   - layers and banned functions"
[ "$fails" -eq 0 ]
