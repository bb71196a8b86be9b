// Interval records' per-source volume (by_src, by_src_other) and SourceVolume, the
// bounded per-interval table of source addresses behind them.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libcore/capture/reader.hpp"
#include "libcore/flow/flow_record.hpp"
#include "libcore/flow/table.hpp"
#include "tests/unit/flow_helpers.hpp"

using namespace nl;
using namespace nl::flow_test;
using json = nlohmann::json;

namespace {

std::string ip_text(const IpAddress& a) {
  std::string s;
  append_ip(s, a);
  return s;
}

Decoded udp(const std::string& src, const std::string& dst, uint32_t len) {
  Decoded d;
  d.ip.src = ip(src);
  d.ip.dst = ip(dst);
  d.ip.version = d.ip.src.family;
  d.ip.header_len = d.ip.version == 4 ? 20 : 40;
  d.ip.total_len = d.ip.header_len + 8 + len;
  d.ip.proto = 17;
  d.ethertype = d.ip.version == 4 ? 0x0800 : 0x86dd;
  d.l4 = L4::udp;
  d.udp.sport = 5000;
  d.udp.dport = 5001;
  d.udp.length = uint16_t(8 + len);
  d.payload_len = len;
  return d;
}

struct Sink : FlowSink {
  std::vector<IntervalStats> intervals;
  std::vector<json> recs;
  void flow(const Flow&, FlowEnd, bool) override {}
  void interval(const IntervalStats& s) override {
    intervals.push_back(s);
    std::string out;
    write_interval_record(out, s, FlowRecordOptions{TimeFormat::epoch});
    recs.push_back(json::parse(out));
  }
};

// The record's invariants: by_src sorted, at most 10, sum + other == bytes.
void check_record(const json& r) {
  REQUIRE(r["by_src"].is_array());
  CHECK(r["by_src"].size() <= 10);
  uint64_t sum = 0;
  const json* prev = nullptr;
  for (const json& e : r["by_src"]) {
    CHECK(e.size() == 2);
    CHECK(e["bytes"].get<uint64_t>() > 0);
    sum += e["bytes"].get<uint64_t>();
    if (prev) {
      uint64_t pb = (*prev)["bytes"], b = e["bytes"];
      CHECK(pb >= b);
      if (pb == b) CHECK(ip((*prev)["ip"]) < ip(e["ip"]));
    }
    prev = &e;
  }
  CHECK(sum + r["by_src_other"].get<uint64_t>() == r["bytes"].get<uint64_t>());
}

}  // namespace

TEST_CASE("SourceVolume: sums per address, top n by bytes then address, reset") {
  SourceVolume v(100, 42);
  CHECK(v.add(ip("10.0.0.2"), 100));
  CHECK(v.add(ip("10.0.0.1"), 100));
  CHECK(v.add(ip("2001:db8::1"), 300));
  CHECK(v.add(ip("10.0.0.3"), 50));
  CHECK(v.add(ip("10.0.0.2"), 1));
  CHECK(v.size() == 4);
  SourceBytes top[3];
  REQUIRE(v.top(top, 3) == 3);
  CHECK(ip_text(top[0].ip) == "2001:db8::1");
  CHECK(top[0].bytes == 300);
  CHECK(ip_text(top[1].ip) == "10.0.0.2");
  CHECK(top[1].bytes == 101);
  CHECK(ip_text(top[2].ip) == "10.0.0.1");
  CHECK(v.top(top, 0) == 0);

  // Ties: address order, IPv4 before IPv6.
  SourceVolume t(100, 7);
  t.add(ip("::1"), 5);
  t.add(ip("10.0.0.9"), 5);
  t.add(ip("10.0.0.10"), 5);
  REQUIRE(t.top(top, 3) == 3);
  CHECK(ip_text(top[0].ip) == "10.0.0.9");
  CHECK(ip_text(top[1].ip) == "10.0.0.10");
  CHECK(ip_text(top[2].ip) == "::1");

  v.reset();
  CHECK(v.size() == 0);
  CHECK(v.top(top, 3) == 0);
  CHECK(v.add(ip("10.0.0.2"), 7));  // the old entry is gone, not added to
  REQUIRE(v.top(top, 3) == 1);
  CHECK(top[0].bytes == 7);
}

TEST_CASE("SourceVolume: the cap refuses new addresses, keeps counting known ones; growth keeps sums") {
  SourceVolume v(1000, 3);
  for (int i = 0; i < 1000; ++i)
    CHECK(v.add(ip("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256)), uint64_t(i + 1)));
  CHECK(v.size() == 1000);
  CHECK_FALSE(v.add(ip("10.9.9.9"), 5));
  CHECK(v.add(ip("10.1.0.0"), 5));  // known: still counted
  CHECK(v.size() == 1000);
  SourceBytes top[10];
  REQUIRE(v.top(top, 10) == 10);
  for (int i = 0; i < 10; ++i) CHECK(top[i].bytes == uint64_t(1000 - i));
  // Reset many times (generation counter) and reuse: only the new interval's data.
  for (int r = 0; r < 5; ++r) {
    v.reset();
    CHECK(v.add(ip("10.1.0.1"), 3));
    CHECK(v.add(ip("10.1.0.1"), 3));
    REQUIRE(v.top(top, 10) == 1);
    CHECK(top[0].bytes == 6);
  }
}

TEST_CASE("interval: by_src lists the top 10 senders; by_src_other the rest; sums add up to bytes") {
  Sink sink;
  FlowTableOptions o;
  o.interval = 10 * kSec;
  FlowTable t(o, sink);
  // Interval 1: 12 senders, sender i sends i packets of 100 + i bytes (frame 14 + IP).
  int64_t ns = 0;
  std::map<std::string, uint64_t> sent;
  for (int i = 1; i <= 12; ++i) {
    std::string src = "192.0.2." + std::to_string(i);
    for (int k = 0; k < i; ++k) {
      Decoded d = udp(src, "198.51.100.1", 100);
      uint32_t frame = d.ip.total_len + 14;
      t.add(pkt_at(ns += 1000, frame), d);
      sent[src] += frame;
    }
  }
  // The receiver answers: it is a source too.
  Decoded back = udp("198.51.100.1", "192.0.2.1", 1000);
  t.add(pkt_at(ns += 1000, back.ip.total_len + 14), back);
  sent["198.51.100.1"] += back.ip.total_len + 14;
  // Interval 2 (after an empty one): one IPv6 sender only.
  Decoded v6 = udp("2001:db8::5", "2001:db8::6", 10);
  t.add(pkt_at(25 * kSec, v6.ip.total_len + 14), v6);
  t.finish();

  REQUIRE(sink.recs.size() == 2);
  const json& r = sink.recs[0];
  check_record(r);
  REQUIRE(r["by_src"].size() == 10);
  // Expected: sort `sent` by bytes desc then address.
  std::vector<std::pair<std::string, uint64_t>> want(sent.begin(), sent.end());
  std::sort(want.begin(), want.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : ip(a.first) < ip(b.first);
  });
  uint64_t other = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (i < 10) {
      CHECK(r["by_src"][i]["ip"] == want[i].first);
      CHECK(r["by_src"][i]["bytes"].get<uint64_t>() == want[i].second);
    } else {
      other += want[i].second;
    }
  }
  CHECK(r["by_src_other"].get<uint64_t>() == other);
  CHECK(sink.intervals[0].src_unattributed == 0);

  const json& r2 = sink.recs[1];
  check_record(r2);
  REQUIRE(r2["by_src"].size() == 1);
  CHECK(r2["by_src"][0]["ip"] == "2001:db8::5");
  CHECK(r2["by_src"][0]["bytes"] == r2["bytes"]);
  CHECK(r2["by_src_other"] == 0);
  // Key order: by_src after by_app, by_src_other last.
  std::string line;
  write_interval_record(line, sink.intervals[1], FlowRecordOptions{TimeFormat::epoch});
  CHECK(line.find("\"by_app\":") < line.find("\"by_src\":[{\"ip\":\"2001:db8::5\",\"bytes\":"));
  CHECK(line.find("\"by_src_other\":0}\n") != std::string::npos);
}

TEST_CASE("interval: sources beyond interval_max_sources go to by_src_other and a counter") {
  Sink sink;
  FlowTableOptions o;
  o.interval = 10 * kSec;
  o.interval_max_sources = 16;
  FlowTable t(o, sink);
  int64_t ns = 0;
  // 40 senders of 1 packet each, then one big sender met after the cap was reached.
  for (int i = 0; i < 40; ++i) {
    Decoded d = udp("10.0.0." + std::to_string(i + 1), "10.0.1.1", 10);
    t.add(pkt_at(ns += 1000, d.ip.total_len + 14), d);
  }
  Decoded big = udp("10.0.9.9", "10.0.1.1", 1000);
  t.add(pkt_at(ns += 1000, big.ip.total_len + 14), big);
  CHECK(t.stats().interval_src_unattributed_packets == 25);
  // Next interval: the table is empty again, the big sender is counted.
  t.add(pkt_at(15 * kSec, big.ip.total_len + 14), big);
  t.finish();
  REQUIRE(sink.recs.size() == 2);
  check_record(sink.recs[0]);
  uint64_t small = 10 + 8 + 20 + 14;
  CHECK(sink.intervals[0].src_unattributed == 24 * small + big.ip.total_len + 14);
  CHECK(sink.recs[0]["by_src"].size() == 10);
  CHECK(sink.recs[0]["by_src_other"].get<uint64_t>() == 30 * small + big.ip.total_len + 14);
  check_record(sink.recs[1]);
  CHECK(sink.recs[1]["by_src"][0]["ip"] == "10.0.9.9");
  CHECK(sink.intervals[1].src_unattributed == 0);
  CHECK(t.stats().interval_src_unattributed_packets == 25);
}

TEST_CASE("interval: by_src on a fixture adds up to bytes in every interval") {
  std::string path = std::string(NETLINES_FIXTURES) + "/mixed_dns_http_https.pcapng";
  OpenResult r = open_capture(path);
  if (r.status != OpenStatus::ok) {
    MESSAGE("fixture missing: " << path);
    return;
  }
  Sink sink;
  FlowTableOptions o;
  o.interval = kSec / 10;
  FlowTable t(o, sink);
  Packet p;
  uint64_t total = 0;
  while (r.source->next(p) == ReadStatus::ok) {
    Decoded d;
    decode_frame(p.linktype, p.data, p.origlen, d);
    if (d.ip.version == 4 || d.ip.version == 6) total += p.origlen;
    t.add(p, d);
  }
  t.finish();
  REQUIRE(!sink.recs.empty());
  uint64_t seen = 0;
  for (const json& rec : sink.recs) {
    check_record(rec);
    seen += rec["bytes"].get<uint64_t>();
  }
  CHECK(seen == total);
}

TEST_CASE("interval: empty_intervals writes the intervals without packets, zeros, and the capture counts") {
  for (bool empty : {false, true}) {
    CAPTURE(empty);
    Sink sink;
    FlowTableOptions o;
    o.interval = 10 * kSec;
    o.empty_intervals = empty;
    FlowTable t(o, sink);
    Decoded d = udp("192.0.2.1", "198.51.100.1", 100);
    t.add(pkt_at(1 * kSec, d.ip.total_len + 14), d);
    // A quiet link: the live clock alone moves on, through intervals 2 and 3.
    t.advance(Timestamp{1700000035, 0, 9});
    t.add(pkt_at(36 * kSec, d.ip.total_len + 14), d);
    t.finish();
    std::vector<int64_t> starts;
    for (const json& r : sink.recs) starts.push_back(int64_t(r["ts"].get<double>()) - 1700000000);
    if (!empty) {
      CHECK(starts == std::vector<int64_t>{0, 30});
      continue;
    }
    REQUIRE(starts == std::vector<int64_t>{0, 10, 20, 30});
    for (size_t i : {size_t(1), size_t(2)}) {
      check_record(sink.recs[i]);
      CHECK(sink.recs[i]["packets"] == 0);
      CHECK(sink.recs[i]["bytes"] == 0);
      CHECK(sink.recs[i]["flows_active"] == 0);
    }
    CHECK(sink.recs[3]["packets"] == 1);
  }
  // Live capture's counts since the previous record, after by_src_other.
  IntervalStats s;
  s.interval_nsec = kSec;
  IntervalCapture c{12, 3, 1};
  std::string line;
  write_interval_record(line, s, FlowRecordOptions{TimeFormat::epoch}, &c);
  CHECK(line.find("\"by_src_other\":0,\"capture_received\":12,\"capture_dropped\":3,\"capture_if_dropped\":1}\n") !=
        std::string::npos);
}

TEST_CASE("interval: empty_intervals bounds a run of empty records when the clock leaps") {
  Sink sink;
  FlowTableOptions o;
  o.interval = kSec;
  o.empty_intervals = true;
  FlowTable t(o, sink);
  Decoded d = udp("192.0.2.1", "198.51.100.1", 100);
  t.add(pkt_at(1 * kSec, d.ip.total_len + 14), d);
  t.advance(Timestamp{2700000000, 0, 9});  // 31 years on
  CHECK(sink.recs.size() == 1);
}
