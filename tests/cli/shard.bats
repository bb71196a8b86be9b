#!/usr/bin/env bats
# --shard K/N: the N shards' records together are one run's records, line for
# line, for every fixture and every binary; the recipes of README.md's "More
# cores, more machines" as a user runs them (GNU parallel locally and over ssh,
# Slurm and Kubernetes job arrays).

load helpers

# What `tool ARGS` writes, as lines: its records, or for a binary that writes a
# capture (pkt2pcap) the packets of that capture without their numbers (and
# without pcapng interface numbers, which count the interfaces a share holds).
records_of() {
  local tool=$1
  shift
  if writes_capture "$tool"; then
    "$tool" "$@" | pcap2pkt --payload=frame - | jq -c 'del(.n, .iface)'
  else
    "$tool" "$@"
  fi
}

# Sorted records of `tool ARGS` and of `tool --shard k/N ARGS` for k = 1..N: equal.
union_equals_one() {
  local n=$1 tool=$2
  shift 2
  records_of "$tool" "$@" 2> /dev/null | LC_ALL=C sort > one.txt || true
  for k in $(seq "$n"); do records_of "$tool" --shard "$k/$n" "$@" 2> /dev/null || true; done | LC_ALL=C sort > all.txt
  if ! cmp -s one.txt all.txt; then
    echo "$tool --shard k/$n $*: the shards differ from one run"
    diff one.txt all.txt | head -5
    return 1
  fi
}

@test "every fixture, every binary: the union of --shard k/3 equals one run" {
  cd "$BATS_TEST_TMPDIR"
  # Every third under the sanitizers (the unit tests check the shard peek on every
  # packet of tests/data there).
  local f files
  mapfile -t files < <(sampled 3 "$FIXTURES"/*.pcap* "$DATA"/*.pcap*)
  [ "${#files[@]}" -ge 5 ]  # never vacuous
  for f in "${files[@]}"; do
    for t in $(tools); do union_equals_one 3 "$t" "$f"; done
  done
  # Not vacuous: some fixture's records do spread over several shards.
  [ "$(httpextract --shard 1/3 "$FIXTURES/mixed_dns_http_https.pcapng" | wc -l)" -lt \
    "$(httpextract "$FIXTURES/mixed_dns_http_https.pcapng" | wc -l)" ] ||
    [ "$(flowstat --shard 1/3 "$FIXTURES/mixed_dns_http_https.pcapng" | wc -l)" -lt \
      "$(flowstat "$FIXTURES/mixed_dns_http_https.pcapng" | wc -l)" ]
}

@test "one thread or two, and captures that stress the clocks: the union still equals one run" {
  cd "$BATS_TEST_TMPDIR"
  # Every robustness capture with every binary is 15,000 runs (4 minutes, three
  # times that under the sanitizers): the one that once differed, and every 8th
  # of the others, every 24th under the sanitizers (robustness.bats runs every
  # binary on all of them).
  local odd=() i=0 every=8
  sanitizer_build && every=24
  for f in "$DATA"/robustness/*.pcap*; do
    (( i++ % every == 0 )) && odd+=("$f")
  done
  for f in "$FIXTURES"/crafted_ip_fragments.pcap "$FIXTURES"/udp_ip_fragments.pcap \
      "$DATA"/robustness/olsr-oobr-1.pcap "${odd[@]}"; do
    for t in $(tools); do
      NETLINES_THREADS=1 union_equals_one 3 "$t" "$f"
      NETLINES_THREADS=2 union_equals_one 2 "$t" "$f"
    done
  done
}

@test "pcap2pkt lines and tcpflow-reasm lines in: the union of --shard k/3 equals one run" {
  cd "$BATS_TEST_TMPDIR"
  local f files
  mapfile -t files < <(sampled 3 "$FIXTURES"/*.pcap*)
  [ "${#files[@]}" -ge 5 ]  # never vacuous
  for f in "${files[@]}"; do
    pcap2pkt "$f" > pkt.jsonl
    for t in $(tools pkt); do union_equals_one 3 "$t" pkt.jsonl; done
    tcpflow-reasm "$f" > sessions.jsonl
    for t in $(tools session); do union_equals_one 3 "$t" sessions.jsonl; done
  done
}

@test "a record keeps the packet number n of the unsharded run" {
  f="$FIXTURES/mixed_dns_http_https.pcapng"
  run -0 bash -c "for k in 1 2 3 4; do pcap2pkt --shard \$k/4 --payload none '$f'; done | jq -s 'map(.n) | sort == [range(1; length + 1)]'"
  [ "$output" = true ]
  # Both directions of every flow are in one shard: an address pair and protocol
  # is seen in one shard only.
  for k in 1 2 3 4; do
    run -0 bash -c "pcap2pkt --shard $k/4 --payload none '$f' | jq -r 'select(.ip) | ([.ip.src, .ip.dst] | sort) + [.ip.proto] | tostring' | sort -u"
    mine=$output
    for j in 1 2 3 4; do
      [ "$j" = "$k" ] && continue
      run -0 bash -c "pcap2pkt --shard $j/4 --payload none '$f' | jq -r 'select(.ip) | ([.ip.src, .ip.dst] | sort) + [.ip.proto] | tostring' | sort -u"
      [ -z "$(comm -12 <(echo "$mine") <(echo "$output"))" ]
    done
  done
}

@test "--shard: 0/4, 5/4, x/y and 4 are usage errors, one line each" {
  for t in $(tools); do
    for bad in 0/4 5/4 x/y 4 /4 1/0 -1/4; do
      run -2 --separate-stderr "$t" --shard "$bad" "$FIXTURES/http_get_basic.pcap"
      [ -z "$output" ]
      [ "${#stderr_lines[@]}" -eq 1 ]
      [[ "$stderr" == "$t: --shard: "* ]]
    done
  done
}

@test "--pass with --shard: records passed through come out of shard 1 only" {
  cd "$BATS_TEST_TMPDIR"
  flowstat "$FIXTURES/http_get_basic.pcap" > flows.jsonl
  union_equals_one 3 httpextract --pass flows.jsonl
  run -0 bash -c "httpextract --pass --shard 2/3 flows.jsonl | wc -l"
  [ "$output" -eq 0 ]
}

@test "pcap2pkt --split N -w PATTERN: flow-consistent shares, each what --shard K/N keeps" {
  cd "$BATS_TEST_TMPDIR"
  for f in "$FIXTURES/mixed_dns_http_https.pcapng" "$FIXTURES/http_keepalive.pcapng" \
           "$FIXTURES/http_chunked_gzip_ns.pcap" "$FIXTURES/udp_ip_fragments.pcap"; do
    rm -f share-*.cap
    run -0 pcap2pkt --split 3 -w 'share-%d.cap' "$f"
    [ -s share-1.cap ] && [ -s share-2.cap ] && [ -s share-3.cap ]
    for k in 1 2 3; do
      # The packets (their numbers start again in each share)...
      diff <(pcap2pkt --shard "$k/3" "$f" | jq -c 'del(.n)') <(pcap2pkt share-$k.cap | jq -c 'del(.n)')
      # ...and one share alone is the same as a shard of the whole.
      diff <(pcap2pkt --shard "$k/3" -w - "$f" | pcap2pkt | jq -c 'del(.n)') <(pcap2pkt share-$k.cap | jq -c 'del(.n)')
    done
    for t in $(tools); do
      [ "$t" = pcap2pkt ] && continue
      diff <(records_of "$t" "$f" | LC_ALL=C sort) <(for k in 1 2 3; do records_of "$t" share-$k.cap; done | LC_ALL=C sort)
    done
  done
  # pcap stays pcap (its precision kept); pcapng stays pcapng.
  pcap2pkt --split 2 -w 'ns-%d.cap' "$FIXTURES/http_chunked_gzip_ns.pcap"
  [ "$(od -An -tx4 -N4 ns-1.cap | tr -d ' ')" = a1b23c4d ]
  pcap2pkt --split 2 -w 'ng-%d.cap' "$FIXTURES/http_keepalive.pcapng"
  [ "$(od -An -tx4 -N4 ng-1.cap | tr -d ' ')" = 0a0d0d0a ]
  # -w - into a pipe closed early ends quietly, as records do.
  run -0 --separate-stderr bash -c "pcap2pkt -w - \$(printf '$FIXTURES/tcp_zero_window.pcap %.0s' \$(seq 300)) | head -c 100 > /dev/null; exit \${PIPESTATUS[0]}"
  [ -z "$stderr" ]
  run -2 pcap2pkt --split 2 -w share.cap "$FIXTURES/http_keepalive.pcapng"
  run -2 pcap2pkt --split 2 --shard 1/2 -w 'share-%d.cap' "$FIXTURES/http_keepalive.pcapng"
}

@test "recipe: one machine, all cores, GNU parallel" {
  command -v parallel > /dev/null || skip "GNU parallel is not installed (scripts/deps.sh installs it)"
  cd "$BATS_TEST_TMPDIR"
  cp "$FIXTURES/mixed_dns_http_https.pcapng" dump.pcap
  for t in httpextract flowstat tlssni; do
    "$t" dump.pcap | LC_ALL=C sort > one.txt
    N=3
    parallel -j "$N" --line-buffer "$t" --shard {}/"$N" dump.pcap ::: $(seq "$N") | LC_ALL=C sort > all.txt
    cmp one.txt all.txt
  done
}

# A throwaway sshd on 127.0.0.1: its own host key, port and authorized key, for
# the user running the test. Sets SSH_CMD; skips where sshd cannot start.
start_sshd() {
  local sshd
  sshd=$(command -v sshd || echo /usr/sbin/sshd)
  [ -x "$sshd" ] || skip "no sshd (openssh-server; scripts/deps.sh installs it)"
  command -v ssh > /dev/null || skip "no ssh client"
  local d="$BATS_TEST_TMPDIR/sshd"
  mkdir -p "$d"
  chmod 700 "$d"
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/user_key"
  cp "$d/user_key.pub" "$d/authorized_keys"
  [ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
  SSHD_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$sshd" -D -e -f /dev/null -p "$SSHD_PORT" -o ListenAddress=127.0.0.1 -h "$d/host_key" \
    -o AuthorizedKeysFile="$d/authorized_keys" -o StrictModes=no -o UsePAM=no \
    -o PermitRootLogin=prohibit-password -o PidFile="$d/sshd.pid" 2> "$d/sshd.log" &
  SSHD_PID=$!
  SSH_CMD="ssh -p $SSHD_PORT -i $d/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
  for _ in $(seq 50); do
    $SSH_CMD 127.0.0.1 true 2> /dev/null && return 0
    kill -0 "$SSHD_PID" 2> /dev/null || break
    sleep 0.2
  done
  cat "$d/sshd.log" >&3
  stop_sshd
  skip "sshd did not start on 127.0.0.1 (see its log above)"
}

stop_sshd() {
  [ -z "${SSHD_PID:-}" ] || { kill "$SSHD_PID" 2> /dev/null; wait "$SSHD_PID" 2> /dev/null || true; }
  SSHD_PID=
}

teardown() { stop_sshd; }

@test "recipe: several machines, GNU parallel --sshlogin, shares shipped with --transferfile" {
  command -v parallel > /dev/null || skip "GNU parallel is not installed (scripts/deps.sh installs it)"
  start_sshd
  cd "$BATS_TEST_TMPDIR"
  cp "$FIXTURES/mixed_dns_http_https.pcapng" dump.pcap
  httpextract dump.pcap | LC_ALL=C sort > one.txt
  flowstat dump.pcap | LC_ALL=C sort > one-flows.txt
  N=3
  pcap2pkt --split "$N" -w 'share-%d.pcap' dump.pcap
  # Two "machines" (the same sshd twice): each job ships its share, runs there,
  # and its output comes back on stdout; --return brings a file back too.
  parallel --ssh "$SSH_CMD" -S 1/127.0.0.1,1/127.0.0.1 --workdir ... --transferfile {} --return {.}.flows --cleanup \
    "$NETLINES_BIN/flowstat {} > {.}.flows; $NETLINES_BIN/httpextract {}" ::: share-*.pcap | LC_ALL=C sort > all.txt
  cmp one.txt all.txt
  cat share-*.flows | LC_ALL=C sort > all-flows.txt
  cmp one-flows.txt all-flows.txt
  # Or no split: every machine reads the whole capture and keeps its shard.
  parallel --ssh "$SSH_CMD" -S 127.0.0.1 --workdir ... --transferfile dump.pcap --cleanup \
    "$NETLINES_BIN/httpextract --shard {}/$N dump.pcap" ::: $(seq "$N") | LC_ALL=C sort > all2.txt
  cmp one.txt all2.txt
}

@test "recipe: Slurm job array (contrib/slurm/netlines-shard.sbatch)" {
  cd "$BATS_TEST_TMPDIR"
  cp "$FIXTURES/mixed_dns_http_https.pcapng" dump.pcap
  httpextract dump.pcap | LC_ALL=C sort > one.txt
  # What sbatch --array=1-3 runs: the script once per task, with its id in the environment.
  for k in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 TOOL=httpextract CAPTURE=dump.pcap OUT=out \
      bash "$NETLINES_SRC/contrib/slurm/netlines-shard.sbatch"
  done
  [ "$(ls out | wc -l)" -eq 3 ]
  cat out/* | LC_ALL=C sort > all.txt
  cmp one.txt all.txt
}

@test "recipe: Kubernetes Indexed Job (contrib/k8s/netlines-shard-job.yaml)" {
  cd "$BATS_TEST_TMPDIR"
  cp "$FIXTURES/mixed_dns_http_https.pcapng" dump.pcap
  flowstat dump.pcap | LC_ALL=C sort > one.txt
  manifest="$NETLINES_SRC/contrib/k8s/netlines-shard-job.yaml"
  # The container's command, as the manifest gives it; its completions are the shard count.
  python3 -c 'import sys, yaml; j = yaml.safe_load(open(sys.argv[1])); c = j["spec"]["template"]["spec"]["containers"][0]; print(c["args"][-1])' "$manifest" > job.sh
  n=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["completions"])' "$manifest")
  mode=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["completionMode"])' "$manifest")
  [ "$mode" = Indexed ]
  mkdir out
  for i in $(seq 0 $((n - 1))); do
    JOB_COMPLETION_INDEX=$i SHARDS=$n TOOL=flowstat CAPTURE=dump.pcap OUT=out sh job.sh
  done
  cat out/* | LC_ALL=C sort > all.txt
  cmp one.txt all.txt
}
