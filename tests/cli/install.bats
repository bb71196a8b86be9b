#!/usr/bin/env bats
# `cmake --install` into a prefix gives working binaries, man pages and completions.

load helpers

@test "cmake --install puts binaries, man pages and completions in the standard places" {
  p="$BATS_TEST_TMPDIR/prefix"
  cmake --install "$NETLINES_BIN" --prefix "$p" > /dev/null
  for tool in $(tools) netlines-chart; do
    [ -x "$p/bin/$tool" ]
    [ -f "$p/share/man/man1/$tool.1" ]
    [ -f "$p/share/bash-completion/completions/$tool" ]
    [ -f "$p/share/zsh/vendor-completions/_$tool" ]
    [ -f "$p/share/fish/vendor_completions.d/$tool.fish" ]
  done
  [ -f "$p/share/man/man5/netlines.5" ]
  [ -f "$p/share/netlines/contrib/ecs/ecs.jq" ]
  [ -x "$p/share/netlines/contrib/sql/load-sqlite.sh" ]
  [ -f "$p/share/netlines/docs/schema.md" ]
  run "$p/bin/pcap2pkt" --version
  [ "$status" -eq 0 ]
  run bash -c "'$p/bin/httpextract' '$DATA/sample.pcapng' | wc -l"
  [ "$output" -gt 0 ]
  run bash -c "'$p/bin/flowstat' --interval 1 '$DATA/sample.pcapng' | '$p/bin/netlines-chart' | grep -c '<svg'"
  [ "$output" -eq 1 ]
  if command -v man > /dev/null; then
    # Justified text may widen any space (and where depends on the lines above).
    run bash -c "MANPATH='$p/share/man' man -P cat pcap2pkt 2>/dev/null | grep -cE 'BPF +filter'"
    [ "$output" -gt 0 ]
  fi
}
