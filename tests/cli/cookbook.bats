#!/usr/bin/env bats
# Every cookbook line of README.md ("$ " inside a ```sh block) runs on the sample
# capture, exits 0 and prints something.

load helpers

@test "README cookbook lines run and print output" {
  cd "$BATS_TEST_TMPDIR"
  cp "$DATA/sample.pcapng" dump.pcap
  cp "$DATA/cred_ftp_bruteforce.pcap" logins.pcap  # the sample has no logins
  # The recipes name the installed paths (cmake --install --prefix /usr/local):
  # install into a prefix here and run them against it.
  cmake --install "$NETLINES_BIN" --prefix "$BATS_TEST_TMPDIR/usr/local" > /dev/null
  PATH="$BATS_TEST_TMPDIR/usr/local/bin:$PATH"
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    cmd=${cmd//\/usr\/local\/share\/netlines/$BATS_TEST_TMPDIR/usr/local/share/netlines}
    out=$(bash -o pipefail -c "$cmd" 2>err.txt) || { echo "failed: $cmd"; cat err.txt; return 1; }
    [ -n "$out" ] || { echo "no output: $cmd"; return 1; }
  done < <(awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on && /^\$ / {print substr($0, 3)}' "$NETLINES_SRC/README.md")
  [ "$n" -ge 10 ]
}
