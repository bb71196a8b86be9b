#!/usr/bin/env bats
# netlines-chart: an SVG from flowstat --interval records, checked against the same
# records read independently with jq.

load helpers

CHART="$NETLINES_SRC/tools/netlines-chart"

# Validates the SVG in $1 and prints "name bytes" per series, sorted by name.
svg_series() {
  python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
w, h = int(root.get("width")), int(root.get("height"))
assert root.get("viewBox") == f"0 0 {w} {h}", root.get("viewBox")
assert w > 0 and h > 0
series = [g for g in root.iter(ns + "g") if g.get("class") == "series"]
legend = [g.get("data-series") for g in root.iter(ns + "g") if g.get("class") == "legend-entry"]
names = [g.get("data-series") for g in series]
assert len(set(names)) == len(names), names
# The legend lists the stack top first: the reverse of the drawing order.
assert legend == names[::-1], (legend, names)
for g in series:
    p = g.find(ns + "path")
    assert p is not None and p.get("d", "").startswith("M") and p.get("d").endswith("Z")
    assert p.get("fill", "").startswith("#")
for name, b in sorted((g.get("data-series"), int(g.get("data-bytes"))) for g in series):
    print(name, b)
PY
}

# Expected "name bytes" lines from interval records on stdin, with jq: apps with bytes.
jq_apps() {
  jq -s -r '[.[] | select(.type == "interval") | .by_app | to_entries[]] | group_by(.key)
    | map({k: .[0].key, v: (map(.value) | add)}) | map(select(.v > 0)) | sort_by(.k)[] | "\(.k) \(.v)"'
}

# The top N sources summed over by_src, and "other" (all remaining bytes) when non-zero.
jq_sources() {
  jq -s -r --argjson n "$1" '[.[] | select(.type == "interval")] as $iv
    | ([$iv[].bytes] | add) as $total
    | [$iv[].by_src[]] | group_by(.ip) | map({k: .[0].ip, v: (map(.bytes) | add)})
    | sort_by(-.v) | .[:$n] as $top
    | ($total - ([$top[].v] | add)) as $other
    | ($top + (if $other > 0 then [{k: "other", v: $other}] else [] end))
    | sort_by(.k)[] | "\(.k) \(.v)"'
}

@test "by app: a valid SVG whose series and totals are the apps' bytes in the records" {
  flowstat --interval 1 "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/iv.jsonl"
  "$CHART" "$BATS_TEST_TMPDIR/iv.jsonl" -o "$BATS_TEST_TMPDIR/app.svg"
  got=$(svg_series "$BATS_TEST_TMPDIR/app.svg")
  want=$(jq_apps < "$BATS_TEST_TMPDIR/iv.jsonl")
  [ -n "$want" ]
  [ "$got" = "$want" ]
  # Direct labels name only series that exist; the title says what and when.
  grep -q 'class="subtitle"[^>]*>bytes per 1 s interval' "$BATS_TEST_TMPDIR/app.svg"
  grep -q '2026-11-26 05:54:' "$BATS_TEST_TMPDIR/app.svg"
}

@test "by src, top 3, from standard input: the top sources and other, as jq sums them" {
  flowstat --interval 1 "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/iv.jsonl"
  "$CHART" --by src --top 3 < "$BATS_TEST_TMPDIR/iv.jsonl" > "$BATS_TEST_TMPDIR/src.svg"
  got=$(svg_series "$BATS_TEST_TMPDIR/src.svg")
  want=$(jq_sources 3 < "$BATS_TEST_TMPDIR/iv.jsonl")
  [ "$(wc -l <<<"$want")" -eq 4 ]
  [ "$got" = "$want" ]
  # The series add up to all the bytes of the intervals.
  [ "$(awk '{s += $2} END {print s}' <<<"$got")" -eq "$(jq -s '[.[] | select(.type == "interval") | .bytes] | add' < "$BATS_TEST_TMPDIR/iv.jsonl")" ]
}

@test "a fixture with short intervals, epoch times, bit/s: series, totals, stacked peak" {
  f="$FIXTURES/mixed_dns_http_https.pcapng"
  [ -f "$f" ] || skip "fixture missing"
  flowstat --interval 0.05 --time=epoch "$f" > "$BATS_TEST_TMPDIR/iv.jsonl"
  "$CHART" --by src --metric bits -o "$BATS_TEST_TMPDIR/mix.svg" - < "$BATS_TEST_TMPDIR/iv.jsonl"
  [ "$(svg_series "$BATS_TEST_TMPDIR/mix.svg")" = "$(jq_sources 5 < "$BATS_TEST_TMPDIR/iv.jsonl")" ]
  # Each series' peak (bit/s) is its largest interval's bytes * 8 / 0.05.
  peak=$(python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print([g.get("data-peak") for g in r.iter("{http://www.w3.org/2000/svg}g") if g.get("data-series") == "10.99.0.2" and g.get("class") == "series"][0])' "$BATS_TEST_TMPDIR/mix.svg")
  want=$(jq -s '[.[] | select(.type == "interval") | .by_src[] | select(.ip == "10.99.0.2") | .bytes] | max * 8 / 0.05' < "$BATS_TEST_TMPDIR/iv.jsonl")
  python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-6 * b)" "$peak" "$want"
  grep -q 'bit/s (average over each 0.05 s interval)' "$BATS_TEST_TMPDIR/mix.svg"
  # Geometry: the top of the stack reaches the largest interval's total (to 0.01 px),
  # and no series dips below the x axis.
  jq -s '[.[] | select(.type == "interval") | .bytes] | max * 8 / 0.05' < "$BATS_TEST_TMPDIR/iv.jsonl" > "$BATS_TEST_TMPDIR/max"
  python3 - "$BATS_TEST_TMPDIR/mix.svg" "$(cat "$BATS_TEST_TMPDIR/max")" <<'PY'
import re, sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
left, top, pw, ph = map(float, r.get("data-plot").split())
ymax, want = float(r.get("data-y-max")), float(sys.argv[2])
ys = []
for g in r.iter("{http://www.w3.org/2000/svg}g"):
    if g.get("class") == "series":
        pts = re.findall(r"(-?[\d.]+),(-?[\d.]+)", g.find("{http://www.w3.org/2000/svg}path").get("d"))
        ys += [float(y) for _, y in pts]
        assert all(left - 0.01 <= float(x) <= left + pw + 0.01 for x, _ in pts)
assert max(ys) <= top + ph + 0.01, max(ys)
expect = top + ph - want / ymax * ph
assert abs(min(ys) - expect) < 0.011, (min(ys), expect)
PY
}

@test "one interval only, and intervals with a gap between them" {
  flowstat --interval 1 "$DATA/sample.pcapng" | jq -c 'select(.type == "interval")' > "$BATS_TEST_TMPDIR/iv.jsonl"
  sed -n 2p "$BATS_TEST_TMPDIR/iv.jsonl" | "$CHART" > "$BATS_TEST_TMPDIR/one.svg"
  [ "$(svg_series "$BATS_TEST_TMPDIR/one.svg")" = "$(sed -n 2p "$BATS_TEST_TMPDIR/iv.jsonl" | jq_apps)" ]
  grep -q 'data-intervals="1"' "$BATS_TEST_TMPDIR/one.svg"
  # sample.pcapng's intervals are not contiguous (capture-time gaps): zero in between.
  sed -n '1p;$p' "$BATS_TEST_TMPDIR/iv.jsonl" | "$CHART" --by src > "$BATS_TEST_TMPDIR/gap.svg"
  [ "$(svg_series "$BATS_TEST_TMPDIR/gap.svg")" = "$(sed -n '1p;$p' "$BATS_TEST_TMPDIR/iv.jsonl" | jq_sources 5)" ]
}

@test "empty input, no interval records: a message and exit 1" {
  run --separate-stderr "$CHART" < /dev/null
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == "netlines-chart: no interval records in the input"* ]]
  flowstat "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/flows.jsonl"
  run --separate-stderr "$CHART" "$BATS_TEST_TMPDIR/flows.jsonl"
  [ "$status" -eq 1 ]
  run --separate-stderr "$CHART" "$BATS_TEST_TMPDIR/no-such-file"
  [ "$status" -eq 1 ]
  [ "$stderr" = "netlines-chart: $BATS_TEST_TMPDIR/no-such-file: No such file or directory" ]
}

@test "a malformed line: file and line number, no chart, exit 1" {
  flowstat --interval 1 "$DATA/sample.pcapng" > "$BATS_TEST_TMPDIR/bad.jsonl"
  sed -i '3s/^/garbage /' "$BATS_TEST_TMPDIR/bad.jsonl"
  run --separate-stderr "$CHART" -o "$BATS_TEST_TMPDIR/bad.svg" "$BATS_TEST_TMPDIR/bad.jsonl"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "netlines-chart: $BATS_TEST_TMPDIR/bad.jsonl: line 3: not JSON"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/bad.svg" ]
  # An interval record without the field the chart needs.
  run --separate-stderr bash -c "echo '{\"type\":\"interval\",\"ts\":0,\"interval\":1,\"bytes\":5,\"by_app\":{}}' | '$CHART' --by src"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "netlines-chart: (stdin): line 1: interval record: by_src missing"* ]]
}

@test "usage errors exit 2; --help, --version" {
  run --separate-stderr "$CHART" --bogus
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"Try 'netlines-chart --help'"* ]]
  run --separate-stderr "$CHART" --top 0
  [ "$status" -eq 2 ]
  run --separate-stderr "$CHART" --by host
  [ "$status" -eq 2 ]
  run --separate-stderr "$CHART" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Usage: netlines-chart [OPTIONS] [FILE...]"* ]]
  run "$CHART" --version
  [ "$status" -eq 0 ]
  version=$(sed -n 's/^project(netlines VERSION \([0-9.]*\).*/\1/p' "$NETLINES_SRC/CMakeLists.txt")
  [ "$output" = "netlines-chart (netlines) $version" ]
}

@test "a closed pipe ends quietly" {
  # 3000 intervals: an SVG well beyond a pipe's buffer.
  python3 -c '
import json
for i in range(3000):
    print(json.dumps({"type": "interval", "ts": 1700000000 + i, "interval": 1, "bytes": 100 + i,
                      "by_app": {"http": i, "tls": 100, "dns": 0, "ssh": 0, "unknown": 0}}))' > "$BATS_TEST_TMPDIR/iv.jsonl"
  [ "$("$CHART" "$BATS_TEST_TMPDIR/iv.jsonl" | wc -c)" -gt 200000 ]
  run --separate-stderr bash -c "'$CHART' '$BATS_TEST_TMPDIR/iv.jsonl' | head -c 10 > /dev/null; echo \"rc=\${PIPESTATUS[0]}\""
  [ "$output" = "rc=0" ]
  [ -z "$stderr" ]
}
