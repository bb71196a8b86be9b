#!/usr/bin/env bats
# The house's shape: libcore/ is layered (scripts/check-layers.py, docs/HACKING.md)
# and only the option parser depends on CLI11.

load helpers

@test "libcore: every include points to a lower layer" {
  run python3 "$NETLINES_SRC/scripts/check-layers.py"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "the layer check fails on an include that points up" {
  t="$BATS_TEST_TMPDIR/tree"
  mkdir -p "$t/libcore/decode" "$t/libcore/stage"
  echo '#include "libcore/stage/packet_loop.hpp"' > "$t/libcore/decode/bad.cpp"
  echo '#include "libcore/decode/packet.hpp"' > "$t/libcore/stage/good.cpp"
  run python3 "$NETLINES_SRC/scripts/check-layers.py" "$t"
  [ "$status" -eq 1 ]
  [[ "$output" == *"libcore/decode/bad.cpp:1: decode includes stage"* ]]
  [[ "$output" != *good.cpp* ]]
}

@test "only libcore/cli/options.hpp includes CLI11" {
  run grep -rlE '#include <CLI/' "$NETLINES_SRC/libcore"
  [ "$output" = "$NETLINES_SRC/libcore/cli/options.hpp" ]
}
