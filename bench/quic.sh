#!/usr/bin/env bash
# QUIC Initials per second: tlssni on a capture of the shared QUIC captures copied
# with shifted addresses and ports (bench/make_quic_corpus.py), on one core (one
# thread: NETLINES_THREADS=1), and what OpenSSL's share of that work costs at the
# least (bench/quic_crypto_cost.cpp, built here against the build's libnetlines.a).
#
#   bench/quic.sh [DIR]      writes DIR/quic-fresh.pcap once (ROUNDS copies, default 20000)
#
# Every copy has its own client DCID, its Initials re-protected for the keys of it,
# as on real traffic (keys cached by DCID would hit nothing). QUIC_CORPUS=same picks
# DIR/quic.pcap instead, the copies with the original DCIDs (make_quic_corpus.py
# --same-dcid), to compare with numbers measured on it.
#
# Env: ROUNDS, RUNS (3), BUILD (./build), PEERS (the Zeek QUIC captures' folder),
# QUIC_CORPUS (fresh, the default, or same).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/tmp/bench}
B=${BUILD:-$root/build}
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-20000}
PEERS=${PEERS:-$root/../shared/fixtures/peers/zeek/quic}
mkdir -p "$DIR"
case ${QUIC_CORPUS:-fresh} in
  fresh) F=$DIR/quic-fresh.pcap mode= what="a fresh DCID per copy" ;;
  same) F=$DIR/quic.pcap mode=--same-dcid what="the original DCIDs in every copy" ;;
  *) echo "quic.sh: QUIC_CORPUS is fresh or same" >&2; exit 2 ;;
esac
if [ ! -s "$F" ]; then
  python3 "$root/bench/make_quic_corpus.py" $mode "$F" "$ROUNDS" "$PEERS"/*.pcap
fi
cat "$F" >/dev/null
hellos=$("$B/tlssni" "$F" | grep -c '"transport":"quic"')
echo "capture: $F ($(du -h "$F" | cut -f1), $what), $hellos QUIC ClientHellos"
for i in $(seq "$RUNS"); do
  # user+sys CPU seconds of one single-threaded run
  NETLINES_THREADS=1 /usr/bin/time -f '%U %S %e' "$B/tlssni" "$F" 2>&1 >/dev/null | tail -1 |
    awk -v h="$hellos" '{cpu = $1 + $2; printf "run: %.2f s CPU, %.2f s wall, %.0f hellos/s (CPU)\n", cpu, $3, h / cpu}'
  /usr/bin/time -f '%U %S %e' tcpdump -r "$F" -w /dev/null 2>&1 | tail -1 |
    awk '{printf "     read floor (tcpdump -r F -w /dev/null): %.2f s CPU\n", $1 + $2}'
done
# OpenSSL's work at the least: every connection's initial secret and two sides'
# keys, and every decrypted Initial at the cost of a small one (fresh keys each).
cost=$DIR/bin/quic_crypto_cost
mkdir -p "$DIR/bin"
g++ -std=c++20 -O2 -I"$root" -I"$B/generated" "$root/bench/quic_crypto_cost.cpp" "$B/libnetlines.a" -lcrypto \
  -o "$cost" || exit 1
read -r secret keys client server < <("$cost")
stats=$(NETLINES_THREADS=1 "$B/tlssni" --stats "$F" 2>&1 >/dev/null)
conns=$(awk '$1 == "quic.connections:" {print $2}' <<<"$stats")
decrypted=$(awk '$1 == "quic.decrypted:" {print $2}' <<<"$stats")
awk -v s="$secret" -v k="$keys" -v c="$client" -v sv="$server" -v n="$conns" -v d="$decrypted" -v h="$hellos" 'BEGIN {
  floor = (n * (s + 2 * k) + d * sv) / 1e6
  printf "OpenSSL per call (us): initial secret %.2f, one side'"'"'s keys %.2f, decrypt 1200 B %.2f, 150 B %.2f\n", s, k, c, sv
  printf "OpenSSL at the least for this run (%d connections, %d decrypted): %.2f s CPU, %.1f us a hello\n", n, d, floor, floor * 1e6 / h
}'
