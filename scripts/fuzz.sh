#!/bin/sh
# Build cell's libFuzzer targets with clang (ASan + UBSan) in a separate build
# directory and run one of them for a while on a copy of its seed corpus.
#
#   scripts/fuzz.sh [seconds] [target]     (defaults: 30 s, spec)
#
# Targets (tests/fuzz/fuzz_<target>.c, seeds in tests/fuzz/corpus/<target>/):
#   spec      the config.json parser
#   seccomp   the linux.seccomp compiler (compiles only, never installs)
#   seccomp_profile  Docker-format seccomp profiles (lib/engine), converted then compiled
#   ref       image references and digests (lib/image/ref.c, digest.c)
#   manifest  the OCI/Docker manifest and index parsers (lib/image/manifest.c)
#   image_config  the image config parser (lib/image/config.c)
#   imgarchive  the docker-archive / OCI layout tar reader (lib/image/imgarchive.c)
#   layer     the layer unpacker (tar, gzip, zstd; applies into /var/tmp, run as root)
#   units     the command-line value parsers (lib/engine/units.c, -e of envfile.c)
#   passwd    --user against an image's etc/passwd and etc/group (lib/engine/passwd.c)
#   dockerfile  Dockerfiles, variable substitution and .dockerignore (lib/build/)
#   registry  what a registry sends: WWW-Authenticate, tokens, errors, credential files, manifest responses
#
# Exits non-zero when the fuzzer finds a crash, a leak or undefined behaviour;
# the input that triggered it is left as build-fuzz/fuzz-out/<target>/crash-*
# (reproduce with: build-fuzz/tests/fuzz_<target> <that file>).
# Environment: BUILD_DIR (default build-fuzz), FUZZ_JOBS (parallel workers,
# default 1), FUZZ_ARGS (extra libFuzzer flags).
set -eu

seconds=${1:-30}
target=${2:-spec}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-fuzz}
jobs=${FUZZ_JOBS:-1}

case $seconds in
''|*[!0-9]*) echo "fuzz.sh: seconds must be a number, not '$seconds'" >&2; exit 2 ;;
esac
seeds=$src/tests/fuzz/corpus/$target
[ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }

if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$src" -Dfuzz=true -Dbuildtype=debugoptimized
else
        meson configure "$build" -Dfuzz=true >/dev/null
fi
ninja -C "$build" "tests/fuzz_$target"

# The seeds stay as they are in the tree; the fuzzer grows a working copy.
out=$build/fuzz-out/$target
rm -rf "$out"
mkdir -p "$out/corpus" "$out/artifacts"
cp "$seeds"/* "$out/corpus/"
extra=
[ "$jobs" -gt 1 ] && extra="-jobs=$jobs -workers=$jobs"
dict=
[ -f "$src/tests/fuzz/$target.dict" ] && dict=-dict=$src/tests/fuzz/$target.dict

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0}"

# Inputs that once found a bug (tests/fuzz/regressions/<target>/) run first,
# each on its own: a regression fails the run before any fuzzing.
if [ -d "$src/tests/fuzz/regressions/$target" ]; then
        for input in "$src/tests/fuzz/regressions/$target"/*; do
                [ -f "$input" ] || continue
                if ! "$build/tests/fuzz_$target" "$input" >"$out/regression.log" 2>&1; then
                        echo "fuzz.sh: fuzz_$target fails on the regression input $input:" >&2
                        tail -n 30 "$out/regression.log" >&2
                        exit 1
                fi
        done
fi

echo "fuzz.sh: running fuzz_$target for ${seconds}s on $(ls "$out/corpus" | wc -l) seeds"
status=0
# shellcheck disable=SC2086
"$build/tests/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
        $extra $dict ${FUZZ_ARGS:-} "$out/corpus" || status=$?

crashes=$(find "$out/artifacts" -type f | wc -l)
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        echo "fuzz.sh: fuzz_$target failed (exit $status); inputs:" >&2
        find "$out/artifacts" -type f >&2
        exit 1
fi
echo "fuzz.sh: fuzz_$target ran ${seconds}s without a finding; corpus now $(ls "$out/corpus" | wc -l) inputs"
