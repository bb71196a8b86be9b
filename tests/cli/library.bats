#!/usr/bin/env bats
# libnetlines: `cmake --install` into a fresh prefix gives a library that a C++
# program builds against with CMake (find_package(netlines)) or with pkg-config,
# and every examples/<name>/ configures, builds and runs on a capture.

load helpers

setup_file() {
  export PREFIX="$BATS_FILE_TMPDIR/prefix" EXAMPLES="$BATS_FILE_TMPDIR/examples"
  cmake --install "$NETLINES_BIN" --prefix "$PREFIX" > /dev/null
}

@test "the prefix holds libnetlines.a, its headers, the CMake package and netlines.pc" {
  [ -f "$PREFIX/lib/libnetlines.a" ]
  [ -f "$PREFIX/lib/cmake/netlines/netlinesConfig.cmake" ]
  [ -f "$PREFIX/lib/cmake/netlines/netlinesConfigVersion.cmake" ]
  [ -f "$PREFIX/include/netlines/libcore/reasm/session.hpp" ]
  [ -f "$PREFIX/include/netlines/libcore/proto/http.hpp" ]
  [ -f "$PREFIX/share/man/man3/libnetlines.3" ]
  [ -f "$PREFIX/share/netlines/examples/monologues/CMakeLists.txt" ]
  # The binaries' option parser (CLI11) is not part of the library.
  [ ! -e "$PREFIX/include/netlines/libcore/cli/options.hpp" ]
  version=$(sed -n 's/^project(netlines VERSION \([0-9.]*\).*/\1/p' "$NETLINES_SRC/CMakeLists.txt")
  [ -n "$version" ]
  grep -q "^#define NETLINES_VERSION \"$version\"" "$PREFIX/include/netlines/libcore/version.hpp"
  [ "$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --modversion netlines)" = "$version" ]
  # The CMake package has the same version and refuses another minor version.
  mkdir "$BATS_TEST_TMPDIR/v"
  cat > "$BATS_TEST_TMPDIR/v/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(v LANGUAGES CXX)
find_package(netlines $version EXACT REQUIRED)
message(STATUS "found netlines \${netlines_VERSION}")
find_package(netlines 99.0 QUIET)
message(STATUS "found netlines 99.0: \${netlines_FOUND}")
CMAKE
  run cmake -S "$BATS_TEST_TMPDIR/v" -B "$BATS_TEST_TMPDIR/v/build" -DCMAKE_PREFIX_PATH="$PREFIX"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found netlines $version"* ]]
  [[ "$output" == *"found netlines 99.0: 0"* ]]
}

@test "every installed header compiles with the installed headers alone" {
  (cd "$PREFIX/include/netlines" && find libcore -name '*.hpp' | sed 's/.*/#include "&"/') > "$BATS_TEST_TMPDIR/all.cpp"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/all.cpp")" -gt 10 ]
  g++ -std=c++20 -fsyntax-only -I"$PREFIX/include/netlines" "$BATS_TEST_TMPDIR/all.cpp"
}

@test "libcore/netlines.hpp reaches every installed header (a new protocol's too)" {
  cd "$PREFIX/include/netlines"
  echo '#include "libcore/netlines.hpp"' > "$BATS_TEST_TMPDIR/umbrella.cpp"
  g++ -std=c++20 -MM -I. "$BATS_TEST_TMPDIR/umbrella.cpp" | tr ' \\' '\n\n' | grep '^libcore/' | sort -u > "$BATS_TEST_TMPDIR/reached"
  find libcore -name '*.hpp' | sort > "$BATS_TEST_TMPDIR/installed"
  comm -13 "$BATS_TEST_TMPDIR/reached" "$BATS_TEST_TMPDIR/installed" > "$BATS_TEST_TMPDIR/missing"
  cat "$BATS_TEST_TMPDIR/missing"
  [ ! -s "$BATS_TEST_TMPDIR/missing" ]
}

@test "every example configures against the prefix, builds and prints output on a capture" {
  n=0
  for src in "$NETLINES_SRC"/examples/*/; do
    name=$(basename "$src")
    cmake -S "$src" -B "$EXAMPLES/$name" -DCMAKE_PREFIX_PATH="$PREFIX" > /dev/null
    cmake --build "$EXAMPLES/$name" -j2 > /dev/null
    run "$EXAMPLES/$name/$name" "$DATA/sample.pcapng"
    echo "$name: $output"
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    n=$((n + 1))
  done
  [ "$n" -ge 2 ]
}

@test "monologues sees the sessions and monologues tcpflow-reasm writes" {
  [ -x "$EXAMPLES/monologues/monologues" ]
  "$EXAMPLES/monologues/monologues" "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/mono"
  tcpflow-reasm "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/reasm"
  [ "$(grep -c '^session ' "$BATS_TEST_TMPDIR/mono")" -eq "$(grep -c '"type":"session_start"' "$BATS_TEST_TMPDIR/reasm")" ]
  # One line per monologue, with the bytes of all its pieces.
  jq -r 'select(.type == "monologue" and .last) | "\(.dir) \(.monologue)"' "$BATS_TEST_TMPDIR/reasm" | sort > "$BATS_TEST_TMPDIR/want"
  sed -n 's/^  [0-9]*\.\([0-9]*\) \([cs]2[cs]\) .*/\2 \1/p' "$BATS_TEST_TMPDIR/mono" | sort > "$BATS_TEST_TMPDIR/got"
  [ -s "$BATS_TEST_TMPDIR/got" ]
  diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
  want=$(jq -s '[.[] | select(.type == "monologue") | .len] | add' "$BATS_TEST_TMPDIR/reasm")
  got=$(awk '/^  [0-9.]+ [cs]2[cs] [0-9]+ bytes:/ { n += $3 } END { print n + 0 }' "$BATS_TEST_TMPDIR/mono")
  [ "$got" -eq "$want" ]
  grep -q '^  1\.1 c2s 95 bytes: GET /static/site.css HTTP/1.1' "$BATS_TEST_TMPDIR/mono"
}

@test "count_packets counts the packets pcap2pkt writes, by transport" {
  [ -x "$EXAMPLES/count_packets/count_packets" ]
  run "$EXAMPLES/count_packets/count_packets" "$DATA/sample.pcapng"
  [ "$status" -eq 0 ]
  [ "$(jq -r .type <<< "$output")" = count ]
  [ "$(jq -r .packets <<< "$output")" -eq "$(pcap2pkt "$DATA/sample.pcapng" | wc -l)" ]
  [ "$(jq -r .tcp <<< "$output")" -eq "$(pcap2pkt "$DATA/sample.pcapng" | grep -c '"proto":"TCP"')" ]
  run "$EXAMPLES/count_packets/count_packets" "$BATS_TEST_TMPDIR/missing.pcap"
  [ "$status" -eq 1 ]
  [[ "$output" == *"count_packets: "*"missing.pcap"* ]]
}

@test "pkg-config: an example builds with g++ and the flags of netlines.pc" {
  export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
  # shellcheck disable=SC2046  # the flags are words
  g++ -std=c++20 -o "$BATS_TEST_TMPDIR/count_packets" "$NETLINES_SRC/examples/count_packets/main.cpp" \
    $(pkg-config --cflags --libs netlines)
  run "$BATS_TEST_TMPDIR/count_packets" "$DATA/sample.pcapng"
  [ "$status" -eq 0 ]
  [[ "$output" == '{"type":"count","packets":'* ]]
}
