#!/usr/bin/env bats
# Each line of tests/golden/MANIFEST: the command's output equals the expected file.

load helpers

@test "golden outputs match tests/golden/expected" {
  cd "$DATA"
  failed=""
  while IFS='|' read -r name cmd; do
    name=$(echo $name)
    [ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
    tool=$(echo $cmd | cut -d' ' -f1)
    [ -x "$NETLINES_BIN/$tool" ] || continue
    if ! diff <(sh -c "$cmd") "$NETLINES_SRC/tests/golden/expected/$name.jsonl" > "$BATS_TEST_TMPDIR/$name.diff"; then
      failed="$failed $name"
      head -20 "$BATS_TEST_TMPDIR/$name.diff"
    fi
  done < "$NETLINES_SRC/tests/golden/MANIFEST"
  [ -z "$failed" ] || { echo "golden mismatch:$failed"; return 1; }
}

@test "every binary of cmd/tools.txt has golden cases" {
  for tool in $(tools); do
    grep -v '^#' "$NETLINES_SRC/tests/golden/MANIFEST" | cut -d'|' -f2 | grep -qE "(^| )$tool( |$)" ||
      { echo "no golden case runs $tool"; return 1; }
  done
}
