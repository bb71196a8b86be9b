#!/usr/bin/env bash
# The benchmark: netlines beside the tools a user would pick instead, in one run,
# on the same captures from ../shared/bench/make_corpus.sh (built if missing).
#
#   bench/run.sh [DIR]       DIR holds small.pcap and big.pcap (default /tmp/bench)
#
# Env: RUNS (3) runs per row (median reported), ONLY (regex on row ids),
#      BUILD (build dir with the binaries, default ./build), OUTFS (tmpfs dir, /dev/shm).
# Prints one line per row and a markdown table with MB/s, Mpkt/s, peak RSS and the
# ratio to the read floor (tcpdump -r F -w /dev/null) and to tshark on the same job.
# Fast tools run on big.pcap (~1 GB); tshark and tcptrace on small.pcap (~100 MB):
# each rate is measured on its own file, not extrapolated.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/tmp/bench}
BUILD=${BUILD:-$root/build}
SHARED=$root/../shared/bench
RUNS=${RUNS:-3}; ONLY=${ONLY:-.}; OUTFS=${OUTFS:-/dev/shm}
BIG=$DIR/big.pcap SMALL=$DIR/small.pcap
[ -s "$BIG" ] && [ -s "$SMALL" ] || bash "$SHARED/make_corpus.sh" "$DIR" || exit 1
cmake --build "$BUILD" -j2 >/dev/null || exit 1
BIN=$DIR/bin; mkdir -p "$BIN"
gcc -O2 -o "$BIN/nidscount" "$SHARED/tools/nidscount.c" -lnids -lpcap \
    -l:libnet.so.1 -l:libglib-2.0.so.0 -l:libgthread-2.0.so.0 2>/dev/null || echo "nidscount: not built (libnids-dev missing)" >&2
gcc -O2 -o "$BIN/pcapcount" "$SHARED/tools/pcapcount.c" -lpcap || exit 1
declare -A PK
for f in "$BIG" "$SMALL"; do
  cat "$f" >/dev/null
  PK[$f]=$("$BIN/pcapcount" "$f" | awk '{print $2}')
done
B=$BUILD
TSV=$DIR/netlines-bench.tsv
printf 'id\tjob\tfile\tmedian_s\tcpu_s\tMB_s\tMpkt_s\trss_MiB\trc\tcommand\n' > "$TSV"

row() {  # id job file prep cmd
  local id=$1 job=$2 f=$3 prep=$4 cmd=$5
  [[ $id =~ $ONLY ]] || return 0
  local med mn mx cpu kib rc
  read -r med mn mx cpu kib rc <<<"$(python3 "$SHARED/tools/runtimed.py" "$RUNS" 900 "$prep" "$cmd")"
  local sz; sz=$(stat -c %s "$f")
  local line
  line=$(awk -v id="$id" -v job="$job" -v fn="$(basename "$f")" -v med="$med" -v cpu="$cpu" -v kib="$kib" \
    -v rc="$rc" -v sz="$sz" -v pk="${PK[$f]}" \
    'BEGIN{printf "%s\t%s\t%s\t%.3f\t%.2f\t%.1f\t%.3f\t%.0f\t%s", id,job,fn,med,cpu,sz/1e6/med,pk/1e6/med,kib/1024,rc}')
  printf '%s\t%s\n' "$line" "$cmd" >> "$TSV"
  printf '%s\n' "$line" | awk -F'\t' '{printf "%-20s %-34s %-10s %8s s %9s MB/s %7s Mpkt/s %6s MiB rc=%s\n",$1,$2,$3,$4,$6,$7,$8,$9}'
}

TS="tshark -n -r"
DUMP=$OUTFS/netlines-bench-dump TF=$OUTFS/netlines-bench-tcpflow
# Floors
row floor-tcpdump-w   "tcpdump -r F -w /dev/null"      "$BIG"   "" "tcpdump -r $BIG -w /dev/null 2>/dev/null"
row floor-tcpdump-n   "tcpdump -nr F (text)"           "$BIG"   "" "tcpdump -nr $BIG >/dev/null 2>&1"
# pcap2pkt
row pkt-netlines-none "pcap2pkt --payload=none"        "$BIG"   "" "$B/pcap2pkt --payload=none $BIG >/dev/null"
row pkt-netlines-b64  "pcap2pkt (base64 payload)"      "$BIG"   "" "$B/pcap2pkt $BIG >/dev/null"
row pkt-tshark-ek     "tshark -T ek"                   "$SMALL" "" "$TS $SMALL -T ek >/dev/null 2>&1"
row pcap-netlines-back "pcap2pkt F | pkt2pcap"         "$BIG"   "" "$B/pcap2pkt $BIG | $B/pkt2pcap >/dev/null"
row pcap-netlines-frame "pcap2pkt --payload=frame F | pkt2pcap" "$BIG" "" "$B/pcap2pkt --payload=frame $BIG | $B/pkt2pcap >/dev/null"
# tcpflow-reasm
row reasm-netlines    "tcpflow-reasm F"                "$BIG"   "" "$B/tcpflow-reasm $BIG >/dev/null"
row reasm-netlines-dump "tcpflow-reasm --dump --data=none (tmpfs)" "$BIG" "rm -rf $DUMP; mkdir -p $DUMP" "$B/tcpflow-reasm --data=none --dump $DUMP $BIG >/dev/null"
row reasm-netlines-pipe "pcap2pkt F | tcpflow-reasm"   "$BIG"   "" "$B/pcap2pkt $BIG | $B/tcpflow-reasm >/dev/null"
row reasm-tcpflow     "tcpflow -r F -o tmpfs"          "$BIG"   "rm -rf $TF; mkdir -p $TF" "tcpflow -r $BIG -o $TF >/dev/null 2>&1"
[ -x "$BIN/nidscount" ] && row reasm-libnids "libnids: reassemble, count" "$BIG" "" "$BIN/nidscount $BIG >/dev/null"
# httpextract
row http-netlines     "httpextract F (sha256 bodies)"  "$BIG"   "" "$B/httpextract $BIG >/dev/null"
row http-netlines-pipe "pcap2pkt|tcpflow-reasm|httpextract" "$BIG" "" "$B/pcap2pkt $BIG | $B/tcpflow-reasm | $B/httpextract >/dev/null"
row http-ngrep        "ngrep request lines"            "$BIG"   "" "ngrep -q -I $BIG -W none '^(GET|POST|HTTP/1)' 'tcp port 80' >/dev/null 2>&1"
row http-tshark-fld   "tshark -Y http.request fields"  "$SMALL" "" "$TS $SMALL -Y http.request -T fields -e http.host -e http.request.uri >/dev/null 2>&1"
row http-tshark-ek    "tshark -Y http -T ek"           "$SMALL" "" "$TS $SMALL -Y http -T ek >/dev/null 2>&1"
# tlssni
row sni-netlines      "tlssni F"                       "$BIG"   "" "$B/tlssni $BIG >/dev/null"
# credextract
row cred-netlines     "credextract F"                  "$BIG"   "" "$B/credextract $BIG >/dev/null"
row sni-tshark        "tshark ClientHello SNI"         "$SMALL" "" "$TS $SMALL -Y 'tls.handshake.type==1' -T fields -e tls.handshake.extensions_server_name >/dev/null 2>&1"
# flowstat
row flow-netlines     "flowstat F"                     "$BIG"   "" "$B/flowstat $BIG >/dev/null"
row flow-netlines-pipe "pcap2pkt F | flowstat"         "$BIG"   "" "$B/pcap2pkt $BIG | $B/flowstat >/dev/null"
row flow-tshark       "tshark -q -z conv,tcp"          "$SMALL" "" "$TS $SMALL -q -z conv,tcp >/dev/null 2>&1"
row flow-argus        "argus -w | ra"                  "$BIG"   "rm -f $DIR/f.argus" "argus -r $BIG -w $DIR/f.argus 2>/dev/null && ra -n -r $DIR/f.argus >/dev/null 2>&1"
row flow-tcptrace     "tcptrace -n"                    "$SMALL" "" "tcptrace -n $SMALL >/dev/null 2>&1"
# dnsextract
row dns-netlines      "dnsextract F"                   "$BIG"   "" "$B/dnsextract $BIG >/dev/null"
row dns-netlines-pipe "pcap2pkt F | dnsextract"        "$BIG"   "" "$B/pcap2pkt $BIG | $B/dnsextract >/dev/null"
row dns-tshark        "tshark -Y dns -T fields"        "$SMALL" "" "$TS $SMALL -Y dns -T fields -e dns.id -e dns.qry.name -e dns.flags.rcode -e dns.a -e dns.aaaa -e dns.cname >/dev/null 2>&1"
# Shards (docs/sharding.md): the CPU time of 4 shards one after another against one
# run (each shard reads and hashes every packet); the wall time of 2 shards under
# GNU parallel on 2 cores against one process; the one-pass split into files.
for t in flowstat httpextract tlssni; do
  row "shard-$t-1"    "$t F (one run)"                 "$BIG"   "" "$B/$t $BIG >/dev/null"
  row "shard-$t-4cpu" "$t --shard k/4, k=1..4 in turn" "$BIG"   "" "for k in 1 2 3 4; do $B/$t --shard \$k/4 $BIG >/dev/null; done"
done
command -v parallel >/dev/null &&
  row shard-httpextract-par2 "parallel -j2 httpextract --shard {}/2" "$BIG" "" "parallel -j2 $B/httpextract --shard {}/2 $BIG ::: 1 2 >/dev/null"
row shard-split4      "pcap2pkt --split 4 -w (tmpfs)"  "$BIG"   "rm -f $OUTFS/netlines-share-*" "$B/pcap2pkt --split 4 -w $OUTFS/netlines-share-%d.pcap $BIG"
# The split's own floor: reading the capture and writing it whole to the same tmpfs.
row shard-split-floor "tcpdump -r F -w (tmpfs)"        "$BIG"   "rm -f $OUTFS/netlines-share-*" "tcpdump -r $BIG -w $OUTFS/netlines-share-all.pcap 2>/dev/null"
rm -f "$OUTFS"/netlines-share-*
rm -rf "$DUMP" "$TF" "$DIR/f.argus"

# Ratios: each row against the read floor and, per job family, against tshark.
python3 - "$TSV" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
rate = {r["id"]: float(r["MB_s"]) for r in rows}
floor = rate.get("floor-tcpdump-w")
tshark = {"pkt": "pkt-tshark-ek", "reasm": None, "http": "http-tshark-fld", "sni": "sni-tshark", "flow": "flow-tshark", "dns": "dns-tshark"}
print("\n| id | job | file | MB/s | Mpkt/s | peak RSS MiB | x read floor | x tshark |")
print("|---|---|---|---:|---:|---:|---:|---:|")
for r in rows:
    fam = r["id"].split("-")[0]
    ts = tshark.get(fam)
    xf = "%.2f" % (float(r["MB_s"]) / floor) if floor else ""
    xt = "%.0f" % (float(r["MB_s"]) / rate[ts]) if ts in rate and "netlines" in r["id"] else ""
    job = r["job"].replace("|", "\\|")  # a pipeline's bars would split the cell
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (r["id"], job, r["file"], r["MB_s"], r["Mpkt_s"], r["rss_MiB"], xf, xt))
PY
