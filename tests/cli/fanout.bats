#!/usr/bin/env bats
# Live capture split by the kernel: N workers in one AF_PACKET fanout group
# (--fanout) on a veth pair in a network namespace this test creates, the same
# traffic replayed to each set of workers: the N workers' records together are
# one worker's. Needs root, ip(8) and tcpreplay; skipped otherwise.

load helpers

setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, live capture)"
  command -v ip > /dev/null || skip "no ip(8) (iproute2)"
  command -v tcpreplay > /dev/null || skip "no tcpreplay (scripts/deps.sh installs it)"
  NS="nlfanout$$"
  ip netns add "$NS" 2> /dev/null || skip "cannot create a network namespace here"
  ip -n "$NS" link add va type veth peer name vb || skip "cannot create a veth pair here"
  # No IPv6 neighbour discovery or MLD of its own on the link: only the replayed frames.
  ip netns exec "$NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
  ip -n "$NS" link set va mtu 9000
  ip -n "$NS" link set vb mtu 9000
  ip -n "$NS" link set va up
  ip -n "$NS" link set vb up
  TRAFFIC=()
  for f in http_get_basic.pcap http_pipelined.pcap dns_udp_tcp.pcap tls13_sni_alpn.pcap http_post_100continue.pcap \
           non_tls_on_443.pcap crafted_ooo_retrans.pcap http_keepalive.pcapng http_chunked_gzip_ns.pcap; do
    TRAFFIC+=("$FIXTURES/$f")
  done
}

teardown() {
  [ -z "${NS:-}" ] || ip netns del "$NS" 2> /dev/null || true
}

# run_workers N GROUP: N pcap2pkt workers in fanout group GROUP on vb while the
# traffic is replayed into va; their records in w<GROUP>-<i>.jsonl, stderr in .err.
run_workers() {
  local n=$1 group=$2 pids=() i
  for i in $(seq "$n"); do
    ip netns exec "$NS" pcap2pkt -i vb --fanout "$group" --payload b64 > "w$group-$i.jsonl" 2> "w$group-$i.err" &
    pids+=($!)
  done
  sleep 2  # the workers open their sockets
  ip netns exec "$NS" tcpreplay -q -i va --pps 400 "${TRAFFIC[@]}" > replay.txt 2>&1
  sleep 1
  kill -INT "${pids[@]}"
  for i in "${pids[@]}"; do wait "$i" || true; done
}

@test "--fanout: N workers' records together are one worker's, each reporting its kernel drops" {
  cd "$BATS_TEST_TMPDIR"
  run_workers 1 101
  run_workers 3 102
  # Time stamps and packet numbers are the run's own; everything else must match.
  jq -c 'del(.n, .ts)' w101-1.jsonl | LC_ALL=C sort > one.txt
  cat w102-*.jsonl | jq -c 'del(.n, .ts)' | LC_ALL=C sort > all.txt
  [ "$(wc -l < one.txt)" -ge 100 ]
  cmp one.txt all.txt
  # Every worker says what it received and what the kernel dropped.
  for i in 1 2 3; do grep -E '^pcap2pkt: [0-9]+ packets received by filter, [0-9]+ dropped by kernel' "w102-$i.err"; done
  # The kernel split by flow: both directions of a TCP connection went to one worker.
  for i in 1 2 3; do
    for j in 1 2 3; do
      [ "$i" = "$j" ] && continue
      comm -12 <(jq -r 'select(.tcp) | [[.src_ip, .src_port], [.dest_ip, .dest_port]] | sort | tostring' "w102-$i.jsonl" | sort -u) \
               <(jq -r 'select(.tcp) | [[.src_ip, .src_port], [.dest_ip, .dest_port]] | sort | tostring' "w102-$j.jsonl" | sort -u) > common.txt
      [ ! -s common.txt ]
    done
  done
}

@test "--fanout: without -i it is a usage error; a bad group id too" {
  run -2 pcap2pkt --fanout 5 "$FIXTURES/http_get_basic.pcap"
  run -2 pcap2pkt -i lo --fanout 0
  run -2 flowstat -i lo --fanout 70000
}
