# Shared by the bats files: paths to the binaries and to the shared fixtures.
bats_require_minimum_version 1.5.0
: "${NETLINES_BIN:?set by ctest}"
: "${NETLINES_SRC:?set by ctest}"
FIXTURES="$NETLINES_SRC/../shared/fixtures"
DATA="$NETLINES_SRC/tests/data"
export PATH="$NETLINES_BIN:$PATH"
