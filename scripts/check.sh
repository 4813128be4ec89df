#!/bin/bash
# make check: the unit and integration tests, then the same under AddressSanitizer and
# UndefinedBehaviorSanitizer, then short libFuzzer runs over the corpus. Ends with the line
# "N passed, N failed" (meson tests and fuzz targets each count as one).
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
JOBS=${JOBS:-2}

# count_meson DIR: add the results of the last meson test run in DIR to the totals
count_meson() {
    local log="$1/meson-logs/testlog.json" p f
    if [ ! -f "$log" ]; then
        failed=$((failed + 1))
        return
    fi
    p=$(grep -c '"result": "OK"' "$log")
    f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
}

run_suite() { # run_suite BUILDDIR LABEL
    echo "== $2"
    rm -f "$1/meson-logs/testlog.json"
    meson test -C "$1" --num-processes "$JOBS" --print-errorlogs
    count_meson "$1"
}

# 1. the normal build
if ninja -C build >/dev/null; then
    run_suite build "tests"
else
    echo "check: build failed"; failed=$((failed + 1))
fi

# 2. the sanitizer build of the same tests
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
        >/dev/null || { echo "check: sanitizer configure failed"; failed=$((failed + 1)); }
fi
if [ -f build-asan/build.ninja ] && ninja -C build-asan >/dev/null; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    run_suite build-asan "tests under ASan+UBSan"
else
    echo "check: sanitizer build failed"; failed=$((failed + 1))
fi

# 3. short fuzz runs (clang's libFuzzer): each target over its corpus plus fresh inputs
if command -v clang >/dev/null; then
    if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=true -Dtests=false -Dbench=false \
            >/dev/null || { echo "check: fuzz configure failed"; failed=$((failed + 1)); }
    fi
    if [ -f build-fuzz/build.ninja ] && ninja -C build-fuzz >/dev/null; then
        echo "== fuzz (short runs)"
        for bin in build-fuzz/fuzz/fuzz_*; do
            [ -f "$bin" ] && [ -x "$bin" ] || continue
            name=${bin##*/fuzz_}
            work=$(mktemp -d)
            cp -r "fuzz/corpus/$name/." "$work/" 2>/dev/null || true
            if "$bin" -runs="${FUZZ_RUNS:-20000}" -max_len=4096 "$work" >"$work.log" 2>&1; then
                echo "ok   fuzz_$name"; passed=$((passed + 1))
            else
                echo "FAIL fuzz_$name"; tail -30 "$work.log"; failed=$((failed + 1))
            fi
            rm -rf "$work" "$work.log"
        done
    else
        echo "check: fuzz build failed"; failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
