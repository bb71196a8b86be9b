#!/usr/bin/env bash
# Same-minute rounds: the VM's speed drifts by tens of percent between minutes, so
# ratios between jobs are measured by running the jobs one after the other in each
# round, several rounds, and taking the ratio within each round.
#
#   bench/rounds.sh [DIR]     DIR holds big.pcap and bin/nidscount (bench/run.sh makes them)
#
# Env: ROUNDS (6), BUILD (./build). Prints wall seconds per job per round, the
# issue's ratios per round (pipe / direct, direct vs libnids, three-stage pipe),
# and their medians.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/tmp/bench}
B=${BUILD:-$root/build}
ROUNDS=${ROUNDS:-6}
F=$DIR/big.pcap
[ -s "$F" ] && [ -x "$DIR/bin/nidscount" ] || { echo "rounds.sh: run bench/run.sh first ($F, $DIR/bin/nidscount)" >&2; exit 1; }
cat "$F" >/dev/null
jobs=(
  "direct|$B/tcpflow-reasm $F >/dev/null"
  "pipe|$B/pcap2pkt $F | $B/tcpflow-reasm >/dev/null"
  "libnids|$DIR/bin/nidscount $F >/dev/null"
  "pipe3|$B/pcap2pkt $F | $B/tcpflow-reasm | $B/httpextract >/dev/null"
)
wall() {  # command -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  sh -c "$1" </dev/null
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
printf '| round | tcpflow-reasm F | pcap2pkt F \\| tcpflow-reasm | libnids | 3-stage pipe | pipe / direct | direct vs libnids |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
for r in $(seq "$ROUNDS"); do
  declare -A t=()
  for j in "${jobs[@]}"; do t[${j%%|*}]=$(wall "${j#*|}"); done
  awk -v r="$r" -v d="${t[direct]}" -v p="${t[pipe]}" -v n="${t[libnids]}" -v p3="${t[pipe3]}" \
    'BEGIN{printf "| %d | %.2f s | %.2f s | %.2f s | %.2f s | %.3f | %.2fx |\n", r, d, p, n, p3, d/p, n/d}'
done | tee /tmp/rounds.$$
median() { sort -n | awk '{v[NR]=$1} END{printf "%.3f", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo "median: pipe / direct $(awk -F'|' '{print $7+0}' /tmp/rounds.$$ | median)," \
  "direct vs libnids $(awk -F'|' '{print $8+0}' /tmp/rounds.$$ | median)x ($ROUNDS rounds)"
rm -f /tmp/rounds.$$
