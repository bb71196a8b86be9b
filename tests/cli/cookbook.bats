#!/usr/bin/env bats
# Every cookbook line of README.md ("$ " inside a ```sh block) runs on the sample
# capture, exits 0 and prints something.

load helpers

@test "README cookbook lines run and print output" {
  cd "$BATS_TEST_TMPDIR"
  cp "$DATA/sample.pcapng" dump.pcap
  # Paths as from the top of the source tree.
  ln -s "$NETLINES_SRC/contrib" contrib
  PATH="$NETLINES_SRC/tools:$PATH"
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    out=$(bash -o pipefail -c "$cmd" 2>err.txt) || { echo "failed: $cmd"; cat err.txt; return 1; }
    [ -n "$out" ] || { echo "no output: $cmd"; return 1; }
  done < <(awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on && /^\$ / {print substr($0, 3)}' "$NETLINES_SRC/README.md")
  [ "$n" -ge 10 ]
}
