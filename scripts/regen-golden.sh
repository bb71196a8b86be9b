#!/usr/bin/env bash
# Rewrites tests/golden/expected/*.jsonl from the binaries in BUILD (default build).
# Review the diff: a golden file changes only with an intended output change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
export PATH="$build:$PATH" TZ=UTC LC_ALL=C
cd "$root/tests/data"
grep -v '^#' "$root/tests/golden/MANIFEST" | while IFS='|' read -r name cmd; do
  name=$(echo $name)
  [ -n "$name" ] || continue
  sh -c "$cmd" > "$root/tests/golden/expected/$name.jsonl"
  echo "$name: $(wc -l < "$root/tests/golden/expected/$name.jsonl") lines"
done
