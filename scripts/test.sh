#!/usr/bin/env bash
# Set-up command 2: install what is missing, build everything, and run every test
# (doctest unit tests and bats CLI tests through ctest), in three passes:
#   1. build/       Release: the whole ctest suite
#   2. build-fuzz/  clang + libFuzzer: a few seconds of each harness (tests/fuzz/run.sh)
#   3. build-asan/  -DNETLINES_SANITIZE=ON (ASan+UBSan, -O1): the whole ctest suite
#                   again (robustness.bats runs every binary on every odd capture there)
# NETLINES_TEST_FAST=1 runs pass 1 only. NETLINES_FUZZ_SECONDS sets the smoke run length.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs="$(nproc)"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure)
echo "== pass 1 done at ${SECONDS}s"
[ "${NETLINES_TEST_FAST:-0}" = 1 ] && exit 0

echo "== fuzz smoke run (build-fuzz)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DNETLINES_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzzers
fuzzwork="$(mktemp -d)"
trap 'rm -rf "$fuzzwork"' EXIT
bash tests/fuzz/run.sh build-fuzz "${NETLINES_FUZZ_SECONDS:-5}" "$fuzzwork" build
echo "== pass 2 done at ${SECONDS}s"

echo "== sanitizer pass (build-asan: ASan + UBSan)"
cmake -S . -B build-asan -DNETLINES_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build build-asan -j"$jobs"
echo "== sanitizer build done at ${SECONDS}s"
export ASAN_OPTIONS="detect_leaks=1:exitcode=86" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"
cd build-asan
ctest --output-on-failure
