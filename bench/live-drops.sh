#!/usr/bin/env bash
# Live capture drops: each capturing netlines tool beside tcpdump, both capturing
# the same replay at once.
#
#   bench/live-drops.sh [CAPTURE [RATE_MBPS...]]
#       CAPTURE default /tmp/bench/small.pcap (../shared/bench/make_corpus.sh
#       makes it); rates default 100 200 400.
#
# Env: BUILD (build dir with the binaries, default ./build), TOOLS (default: the
#      five capturing tools), MODES (default "default immediate": the tool as
#      it captures by default, then with --immediate-mode, libpcap's TPACKET_V2
#      ring), EXTRA (more options for the tools, e.g. "-B 8192"), ROUNDS (1):
#      runs of each row (one table row each: on a shared machine one run can
#      meet a burst of load the next does not).
#
# Needs root, iproute2, tcpreplay and tcpdump. tcpreplay and tcpdump are for this
# benchmark only (not in scripts/deps.sh: no test needs them).
#
# Makes two network namespaces joined by a veth pair (addresses never matter:
# tcpreplay writes frames as they are; nothing leaves the machine), removed at
# the end. For each rate, tool and mode: tcpreplay --preload-pcap --mbps RATE
# onto one end while `tcpdump -w /dev/null` (its defaults: 2 MiB buffer, 1 s
# timeout, no immediate mode) and the tool (stdout to /dev/null) capture on the
# other; both are stopped with SIGINT a second after the replay. One markdown
# table row per run: packets sent, then received and dropped by kernel for
# tcpdump and for the tool, and the tool's excess drops (its drops minus
# tcpdump's) as a share of the packets sent.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
CAP=${1:-/tmp/bench/small.pcap}
shift || true
RATES=${*:-100 200 400}
BUILD=${BUILD:-$root/build}
TOOLS=${TOOLS:-pcap2pkt tcpflow-reasm httpextract tlssni flowstat}
MODES=${MODES:-default immediate}
EXTRA=${EXTRA:-}
ROUNDS=${ROUNDS:-1}
[ -s "$CAP" ] || { echo "live-drops: $CAP: no capture (make it with ../shared/bench/make_corpus.sh)" >&2; exit 1; }
for t in ip tcpreplay tcpdump; do
  command -v "$t" > /dev/null || { echo "live-drops: $t is needed" >&2; exit 1; }
done

R=nlbenchR$$ C=nlbenchC$$
WORK=$(mktemp -d)
cleanup() {
  ip netns del "$R" 2> /dev/null
  ip netns del "$C" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$R" && ip netns add "$C" || exit 1
ip link add vR netns "$R" type veth peer name vC netns "$C" || exit 1
for ns in "$R:vR" "$C:vC"; do
  # Frames of the capture up to 64 KiB (offloaded segments) must fit the link.
  ip -n "${ns%%:*}" link set "${ns#*:}" mtu 65535 up
  ip netns exec "${ns%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done

# counts FILE: "received dropped" from a netlines or tcpdump end-of-run message.
counts() {
  local r d
  r=$(grep -oE '[0-9]+ packets received by filter' "$1" | awk '{ print $1 }')
  d=$(grep -oE '[0-9]+ (packets )?dropped by kernel' "$1" | awk '{ print $1 }')
  echo "${r:-?} ${d:-?}"
}

echo "capture: $CAP"
echo "| rate (Mbps) | tool | mode | sent | tcpdump received | tcpdump dropped | tool received | tool dropped | excess drops |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for rate in $RATES; do
  for tool in $TOOLS; do
    for mode in $MODES; do
      for _ in $(seq "$ROUNDS"); do
        opts=($EXTRA)
        [ "$mode" = immediate ] && opts+=(--immediate-mode)
        ip netns exec "$C" tcpdump -i vC -n -q -w /dev/null 2> "$WORK/tcpdump.err" &
        tp=$!
        ip netns exec "$C" "$BUILD/$tool" -i vC "${opts[@]}" > /dev/null 2> "$WORK/tool.err" &
        np=$!
        sleep 1  # both captures open
        sent=$(ip netns exec "$R" tcpreplay -i vR --preload-pcap --mbps="$rate" "$CAP" 2>&1 |
               awk '/Successful packets:/ { print $3 }')
        sleep 1
        kill -INT "$tp" "$np"
        wait "$tp" "$np"
        read -r tr td < <(counts "$WORK/tcpdump.err")
        read -r nr nd < <(counts "$WORK/tool.err")
        excess=$(awk -v n="$nd" -v t="$td" -v s="$sent" 'BEGIN { if (s > 0 && n ~ /^[0-9]+$/ && t ~ /^[0-9]+$/) printf "%.2f%%", 100 * (n - t) / s; else print "?" }')
        echo "| $rate | $tool | $mode | ${sent:-?} | $tr | $td | $nr | $nd | $excess |"
      done
    done
  done
done
