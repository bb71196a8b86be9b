#!/usr/bin/env bash
# Runs the libFuzzer harnesses, one after the other, each for SECONDS, on a corpus
# seeded by make_seeds.py (kept in WORKDIR/corpus/<harness> between runs).
# usage: run.sh FUZZ_BUILD_DIR SECONDS WORKDIR [TOOLS_BIN_DIR] [harness ...]
# Exit 1 if any harness found a crash (its reproducer is left in WORKDIR/artifacts/).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$1"; secs="$2"; work="$3"; shift 3
bin=""
if [ $# -gt 0 ] && [ -d "$1" ]; then bin="$1"; shift; fi
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then  # every tests/fuzz/fuzz_<name>.cpp
  for src in "$here"/fuzz_*.cpp; do n=$(basename "$src" .cpp); harnesses+=("${n#fuzz_}"); done
fi
mkdir -p "$work/artifacts" "$work/logs"
if [ ! -d "$work/seeds" ]; then
  python3 "$here/make_seeds.py" "$work/seeds" ${bin:+--bin "$bin"} || exit 1
fi
failed=0
for h in "${harnesses[@]}"; do
  exe="$build/tests/fuzz/fuzz_$h"
  [ -x "$exe" ] || { echo "fuzz $h: no binary $exe" >&2; failed=1; continue; }
  mkdir -p "$work/corpus/$h"
  log="$work/logs/$h.log"
  maxlen=65536
  "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$maxlen \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$h-" \
    "$work/corpus/$h" "$work/seeds/$h" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "fuzz $h: FAILED (exit $rc) after ${runs:-?} runs; see $log" >&2
    grep -m3 -E 'ERROR|check failed|runtime error' "$log" >&2
    failed=1
  else
    echo "fuzz $h: ok, ${runs:-?} runs in ${secs}s, ${cov}"
  fi
done
exit $failed
