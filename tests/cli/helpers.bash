# Shared by the bats files: paths to the binaries and to the shared fixtures.
bats_require_minimum_version 1.5.0
: "${NETLINES_BIN:?set by ctest}"
: "${NETLINES_SRC:?set by ctest}"
FIXTURES="$NETLINES_SRC/tests/data/fixtures"
DATA="$NETLINES_SRC/tests/data"
export PATH="$NETLINES_BIN:$PATH"

# The binaries from cmd/tools.txt, in pipeline order; `tools session` only those
# that read tcpflow-reasm output, `tools pkt` those that read pcap2pkt output.
tools() {
  sed -e 's/#.*//' "$NETLINES_SRC/cmd/tools.txt" | awk -v want="${1:-}" \
    'NF { ok = (want == ""); for (i = 2; i <= NF; i++) if ($i == want) ok = 1; if (ok) printf "%s ", $1 }'
}

# Binaries whose records the sample and the HTTP/TLS fixtures do not hold
# (credextract: no logins there): tests that want output from every binary
# accept none from these, or give them a capture of their own.
quiet_on_samples() { [ "$1" = credextract ]; }
# Whether TOOL writes a capture (">pcap" in cmd/tools.txt) rather than JSON Lines.
writes_capture() {
  sed -e 's/#.*//' "$NETLINES_SRC/cmd/tools.txt" |
    awk -v t="$1" '$1 == t { for (i = 2; i <= NF; i++) if ($i == ">pcap") found = 1 } END { exit !found }'
}
# Whether the binaries under test are the sanitizer build, where every run is
# several times slower: loops over every capture take every STEP-th one there
# (`sampled STEP FILE...` prints them), the normal build's pass runs them all.
sanitizer_build() { grep -qa __asan_init "$NETLINES_BIN/pcap2pkt"; }
sampled() {
  local step=$1 i=0
  shift
  sanitizer_build || step=1
  for f in "$@"; do
    (( i++ % step == 0 )) && printf '%s\n' "$f"
  done
  return 0
}
