# botwatch: meson and ninja underneath, make on top.
#   make          build build/botwatch
#   make check    unit + integration tests, the same under ASan+UBSan, short fuzz runs
#   make demo     the main job: simulate, ingest, look up, list
#   make bench    benchmarks (figures go to bench/RESULTS.md)
#   make fuzz     longer libFuzzer runs
.PHONY: all deps data check demo bench fuzz clean

all: deps build/build.ninja
	ninja -C build

deps:
	@./scripts/install-deps.sh

build/build.ninja:
	meson setup build --buildtype=debugoptimized

# The enrichment data sets (npm packages, Recog XML): fetched and compiled when missing.
data: all
	@[ -f .cache/data/asn.bin ] && [ -d .cache/data/recog ] || build/botwatch --data .cache/data data update

check: all data
	@./scripts/check.sh

demo: all data
	@./scripts/demo.sh

bench: all data
	@./bench/run.sh
	@./bench/formats.sh
	@./bench/dnsbl.sh
	@./bench/http.sh
	@./bench/notify.sh

fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Dbench=false
	ninja -C build-fuzz
	@for bin in build-fuzz/fuzz/fuzz_*; do \
	  [ -f $$bin ] || continue; \
	  name=$${bin##*/fuzz_}; mkdir -p fuzz/corpus/$$name; \
	  echo "== $$name"; $$bin -max_total_time=$${FUZZ_SECONDS:-60} -max_len=4096 fuzz/corpus/$$name || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz
