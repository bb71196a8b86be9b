// Capture readers (pcap, pcapng) through both the mmap and the buffered path,
// truncation at every byte, real fixtures against their truth, and BPF filters.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "libcore/capture/live.hpp"
#include "libcore/capture/reader.hpp"
#include "libcore/capture/stream_writer.hpp"

using namespace nl;

namespace {

// ---- building capture images -------------------------------------------------

struct Image {
  bool be = false;
  std::string b;
  void u8(uint8_t v) { b.push_back(char(v)); }
  void u16(uint16_t v) {
    if (be) {
      u8(uint8_t(v >> 8)), u8(uint8_t(v));
    } else {
      u8(uint8_t(v)), u8(uint8_t(v >> 8));
    }
  }
  void u32(uint32_t v) {
    if (be) {
      u16(uint16_t(v >> 16)), u16(uint16_t(v));
    } else {
      u16(uint16_t(v)), u16(uint16_t(v >> 16));
    }
  }
  void raw(const std::string& s) { b += s; }
  void pad4() {
    while (b.size() % 4) u8(0);
  }
};

std::string payload(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char(uint8_t(seed + i * 7));
  return s;
}

struct PcapRec {
  uint32_t sec, frac;
  std::string data;
  uint32_t origlen;
};

std::string pcap_image(bool be, bool nsec, uint32_t linktype_field, uint32_t snaplen,
                       const std::vector<PcapRec>& recs, std::vector<size_t>* boundaries = nullptr) {
  Image im{be, {}};
  im.u32(nsec ? 0xa1b23c4d : 0xa1b2c3d4);
  im.u16(2), im.u16(4), im.u32(0), im.u32(0), im.u32(snaplen), im.u32(linktype_field);
  for (auto& r : recs) {
    if (boundaries) boundaries->push_back(im.b.size());
    im.u32(r.sec), im.u32(r.frac), im.u32(uint32_t(r.data.size())), im.u32(r.origlen);
    im.raw(r.data);
  }
  if (boundaries) boundaries->push_back(im.b.size());
  return im.b;
}

// pcapng blocks, one Image per section (a section has one byte order).
struct Ng {
  Image im;
  std::vector<size_t> starts;   // block start offsets
  std::vector<bool> is_packet;  // per block
  void begin(uint32_t type) {
    starts.push_back(im.b.size());
    is_packet.push_back(type == 2 || type == 3 || type == 6);
  }
  // Writes type, a length placeholder, body, trailer.
  template <class F>
  void block(uint32_t type, F body) {
    begin(type);
    size_t start = im.b.size();
    im.u32(type);
    im.u32(0);
    body();
    im.pad4();
    uint32_t len = uint32_t(im.b.size() - start + 4);
    im.u32(len);
    Image fix{im.be, {}};
    fix.u32(len);
    im.b.replace(start + 4, 4, fix.b);
  }
  void shb(bool be) {
    im.be = be;
    block(0x0a0d0d0a, [&] {
      im.u32(0x1a2b3c4d), im.u16(1), im.u16(0), im.u32(0xffffffff), im.u32(0xffffffff);
      // shb_userappl option, then end of options
      im.u16(4), im.u16(5), im.raw("tests"), im.pad4(), im.u16(0), im.u16(0);
    });
  }
  void idb(uint16_t lt, uint32_t snaplen, int tsresol = -1, int64_t tsoffset = 0) {
    block(1, [&] {
      im.u16(lt), im.u16(0), im.u32(snaplen);
      im.u16(2), im.u16(4), im.raw("eth0");  // if_name
      if (tsresol >= 0) im.u16(9), im.u16(1), im.u8(uint8_t(tsresol)), im.pad4();
      if (tsoffset) im.u16(14), im.u16(8), im.u32(uint32_t(uint64_t(tsoffset) >> 32)), im.u32(uint32_t(tsoffset));
      im.u16(0), im.u16(0);
    });
  }
  void epb(uint32_t iface, uint64_t ts, const std::string& data, uint32_t origlen, bool comment = false) {
    block(6, [&] {
      im.u32(iface), im.u32(uint32_t(ts >> 32)), im.u32(uint32_t(ts)), im.u32(uint32_t(data.size()));
      im.u32(origlen), im.raw(data), im.pad4();
      if (comment) im.u16(1), im.u16(3), im.raw("hi!"), im.pad4(), im.u16(0), im.u16(0);
    });
  }
  void spb(const std::string& data, uint32_t origlen) {
    block(3, [&] { im.u32(origlen), im.raw(data), im.pad4(); });
  }
  void pb(uint16_t iface, uint64_t ts, const std::string& data, uint32_t origlen) {
    block(2, [&] {
      im.u16(iface), im.u16(0), im.u32(uint32_t(ts >> 32)), im.u32(uint32_t(ts)), im.u32(uint32_t(data.size()));
      im.u32(origlen), im.raw(data), im.pad4();
    });
  }
  void other(uint32_t type, size_t body_len) {
    block(type, [&] { im.raw(payload(body_len, 3)); });
  }
};

// ---- reading them back -------------------------------------------------------

struct Got {
  uint32_t caplen, origlen, linktype;
  int32_t interface;
  Timestamp ts;
  std::string data;
  std::vector<Anomaly> anomalies;  // of the record
  bool has(Anomaly a) const { return std::find(anomalies.begin(), anomalies.end(), a) != anomalies.end(); }
};

struct Result {
  OpenStatus open = OpenStatus::ok;
  std::string open_message;
  std::vector<Got> pkts;
  ReadStatus last = ReadStatus::end;
  std::string error;
  std::vector<uint32_t> linktypes;
  uint32_t snaplen = 0;
  uint64_t bytes_read = 0, total = 0;
  std::vector<std::string> skips;         // the message of each ReadStatus::skipped
  std::vector<size_t> skipped_before;     // packets read before each
  uint64_t skipped_bytes = 0;
};

Result drain(OpenResult r) {
  Result out;
  out.open = r.status;
  out.open_message = r.message;
  if (r.status != OpenStatus::ok) {
    REQUIRE(!r.source);
    return out;
  }
  REQUIRE(r.source);
  Packet p;
  for (;;) {
    out.last = r.source->next(p);
    if (out.last == ReadStatus::skipped) {
      out.skips.push_back(r.source->error());
      out.skipped_before.push_back(out.pkts.size());
      CHECK(r.source->packets_read() == out.pkts.size());
      REQUIRE(out.skips.size() < 10000);
      continue;
    }
    if (out.last != ReadStatus::ok) break;
    REQUIRE(p.caplen == p.data.size());
    out.pkts.push_back({p.caplen, p.origlen, p.linktype, p.interface, p.ts, std::string(as_text(p.data)),
                        std::vector<Anomaly>(p.record_anomalies, p.record_anomalies + p.n_record_anomalies)});
    REQUIRE(out.pkts.size() < 100000);
  }
  out.skipped_bytes = r.source->skipped_bytes();
  out.error = out.last == ReadStatus::end ? std::string() : r.source->error();
  // Errors are sticky; a clean end stays an end.
  CHECK(r.source->next(p) == out.last);
  out.linktypes = r.source->linktypes();
  out.snaplen = r.source->snaplen();
  out.bytes_read = r.source->bytes_read();
  out.total = r.source->total_bytes();
  return out;
}

std::string temp_path() {
  static int n = 0;
  return (std::filesystem::temp_directory_path() /
          ("nl_capture_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++)))
      .string();
}

struct TempFile {
  std::string path = temp_path();
  explicit TempFile(const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  }
  ~TempFile() { std::remove(path.c_str()); }
};

// mmap path
Result read_mmap(const std::string& bytes) {
  TempFile f(bytes);
  return drain(open_capture(f.path));
}

// buffered path over a regular file descriptor, with a sniffed prefix like stdin
Result read_fd(const std::string& bytes, size_t prefix_len = 4) {
  TempFile f(bytes);
  int fd = ::open(f.path.c_str(), O_RDONLY);
  REQUIRE(fd > 0);
  std::string prefix(std::min(prefix_len, bytes.size()), '\0');
  REQUIRE(::read(fd, prefix.data(), prefix.size()) == ssize_t(prefix.size()));
  return drain(open_capture_fd(fd, prefix));
}

// buffered path over a pipe fed in small uneven writes by a thread
Result read_pipe(const std::string& bytes) {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::thread writer([&bytes, w = fds[1]] {
    size_t i = 0, step = 1;
    while (i < bytes.size()) {
      size_t k = std::min(step, bytes.size() - i);
      ssize_t n = ::write(w, bytes.data() + i, k);
      if (n <= 0) break;  // reader gone (EPIPE)
      i += size_t(n);
      step = step * 3 % 4093 + 1;
    }
    ::close(w);
  });
  Result r = drain(open_capture_fd(fds[0], {}));  // closes fds[0]
  writer.join();
  return r;
}

void check_same(const Result& a, const Result& b) {
  CHECK(a.open == b.open);
  CHECK(a.last == b.last);
  CHECK(a.error == b.error);
  CHECK(a.skips == b.skips);
  CHECK(a.skipped_before == b.skipped_before);
  CHECK(a.skipped_bytes == b.skipped_bytes);
  REQUIRE(a.pkts.size() == b.pkts.size());
  for (size_t i = 0; i < a.pkts.size(); ++i) {
    CHECK(a.pkts[i].data == b.pkts[i].data);
    CHECK(a.pkts[i].ts == b.pkts[i].ts);
    CHECK(a.pkts[i].interface == b.pkts[i].interface);
    CHECK(a.pkts[i].anomalies == b.pkts[i].anomalies);
  }
}

// All three paths must agree; returns the mmap one.
Result read_all_ways(const std::string& bytes) {
  Result m = read_mmap(bytes);
  Result f = read_fd(bytes);
  Result p = read_pipe(bytes);
  check_same(m, f);
  check_same(m, p);
  return m;
}

std::vector<PcapRec> sample_records() {
  return {{1714564800, 123456, payload(60, 1), 60},
          {1714564801, 999999, "", 0},
          {1714564802, 5, payload(100, 2), 1514},  // cut to snaplen: origlen > caplen
          {4000000000u, 7, payload(3, 9), 2}};     // caplen > origlen is allowed; sec past 2038
}

}  // namespace

TEST_CASE("capture: magic numbers") {
  const uint8_t pcap_le[] = {0xd4, 0xc3, 0xb2, 0xa1}, pcap_be[] = {0xa1, 0xb2, 0xc3, 0xd4},
                nsec_le[] = {0x4d, 0x3c, 0xb2, 0xa1}, ng[] = {0x0a, 0x0d, 0x0d, 0x0a},
                json[] = {'{', '"', 'a', '"'};
  CHECK(is_capture_magic(pcap_le, 4));
  CHECK(is_capture_magic(pcap_be, 4));
  CHECK(is_capture_magic(nsec_le, 4));
  CHECK(is_capture_magic(ng, 4));
  CHECK_FALSE(is_capture_magic(json, 4));
  CHECK_FALSE(is_capture_magic(pcap_le, 3));
}

TEST_CASE("capture: classic pcap, both byte orders, usec and nsec") {
  for (bool be : {false, true}) {
    for (bool nsec : {false, true}) {
      CAPTURE(be);
      CAPTURE(nsec);
      auto recs = sample_records();
      // FCS bits set in the link-type field (length 4, F flag): masked off.
      std::string img = pcap_image(be, nsec, 0x18000001, 65535, recs);
      Result r = read_all_ways(img);
      REQUIRE(r.open == OpenStatus::ok);
      CHECK(r.last == ReadStatus::end);
      CHECK(r.error.empty());
      CHECK(r.linktypes == std::vector<uint32_t>{1});
      CHECK(r.snaplen == 65535);
      CHECK(r.bytes_read == img.size());
      CHECK(r.total == img.size());
      REQUIRE(r.pkts.size() == recs.size());
      for (size_t i = 0; i < recs.size(); ++i) {
        CAPTURE(i);
        CHECK(r.pkts[i].data == recs[i].data);
        CHECK(r.pkts[i].caplen == recs[i].data.size());
        CHECK(r.pkts[i].origlen == recs[i].origlen);
        CHECK(r.pkts[i].linktype == 1);
        CHECK(r.pkts[i].interface == -1);
        CHECK(r.pkts[i].ts.sec == int64_t(recs[i].sec));
        CHECK(r.pkts[i].ts.nsec == (nsec ? recs[i].frac : recs[i].frac * 1000));
        CHECK(r.pkts[i].ts.digits == (nsec ? 9 : 6));
      }
    }
  }
}

TEST_CASE("capture: open statuses") {
  CHECK(open_capture("/nonexistent/nl.pcap").status == OpenStatus::not_found);
  CHECK(open_capture("/nonexistent/nl.pcap").message == std::strerror(ENOENT));
  auto d = open_capture(std::filesystem::temp_directory_path().string());
  CHECK(d.status == OpenStatus::io_error);
  Result e = read_mmap("");
  CHECK(e.open == OpenStatus::empty);
  CHECK(e.open_message == "empty file");
  CHECK(read_pipe("").open == OpenStatus::empty);
  Result j = read_mmap("{\"type\":\"pkt\"}\n");
  CHECK(j.open == OpenStatus::not_capture);
  CHECK(j.open_message == "not a pcap or pcapng file");
  CHECK(read_pipe("{\"type\":\"pkt\"}\n").open == OpenStatus::not_capture);
  CHECK(read_mmap("ab").open == OpenStatus::not_capture);
  // A pcap major version other than 2.
  std::string v = pcap_image(false, false, 1, 65535, {});
  v[4] = 3;
  CHECK(read_mmap(v).open == OpenStatus::not_capture);
}

TEST_CASE("capture: absurd caplen is a corrupt record") {
  std::vector<size_t> bounds;
  std::string img = pcap_image(false, false, 1, 65535, sample_records(), &bounds);
  // Second record's caplen -> 0x7fffffff.
  size_t off = bounds[1] + 8;
  img[off] = char(0xff), img[off + 1] = char(0xff), img[off + 2] = char(0xff), img[off + 3] = 0x7f;
  Result r = read_all_ways(img);
  CHECK(r.pkts.size() == 1);
  CHECK(r.last == ReadStatus::error);
  CHECK(r.error.find("corrupt packet record at byte offset " + std::to_string(bounds[1])) == 0);
}

TEST_CASE("capture: lying record headers are flagged") {
  for (bool nsec : {false, true}) {
    CAPTURE(nsec);
    const uint32_t one = nsec ? 1000000000u : 1000000u;
    std::vector<PcapRec> recs = {{100, one - 1, payload(10, 1), 10},           // in range
                                 {100, one, payload(10, 2), 10},               // exactly one second
                                 {100, 2 * one + 7, payload(10, 3), 10},       // two seconds and 7 units
                                 {0xffffffffu, 0xffffffffu, payload(10, 4), 10},  // carried past 2^32
                                 {200, 0, payload(10, 5), 9},                   // caplen > origlen
                                 {200, 0, payload(10, 6), 11}};
    std::string img = pcap_image(false, nsec, 1, 65535, recs);
    Result r = read_all_ways(img);
    REQUIRE(r.pkts.size() == recs.size());
    CHECK(r.last == ReadStatus::end);
    const uint32_t unit = nsec ? 1 : 1000;
    CHECK(r.pkts[0].anomalies.empty());
    CHECK(r.pkts[0].ts == Timestamp{100, (one - 1) * unit, uint8_t(nsec ? 9 : 6)});
    CHECK(r.pkts[1].anomalies == std::vector<Anomaly>{Anomaly::bad_timestamp_fraction});
    CHECK(r.pkts[1].ts.sec == 101);
    CHECK(r.pkts[1].ts.nsec == 0);
    CHECK(r.pkts[2].has(Anomaly::bad_timestamp_fraction));
    CHECK(r.pkts[2].ts.sec == 102);
    CHECK(r.pkts[2].ts.nsec == 7 * unit);
    CHECK(r.pkts[3].has(Anomaly::bad_timestamp_fraction));
    CHECK(r.pkts[3].ts.sec == int64_t(0xffffffffu) + 0xffffffffu / one);  // no 32-bit wrap
    CHECK(r.pkts[4].anomalies == std::vector<Anomaly>{Anomaly::caplen_exceeds_len});
    CHECK(r.pkts[5].anomalies.empty());
  }
  // pcapng: caplen > origlen in an EPB and a PB; an SPB's caplen never exceeds.
  Ng ng;
  ng.shb(false);
  ng.idb(1, 0);
  ng.epb(0, 1, payload(8, 1), 7);
  ng.epb(0, 2, payload(8, 1), 8);
  ng.pb(0, 3, payload(8, 1), 4);
  ng.spb(payload(8, 1), 4);
  Result n = read_all_ways(ng.im.b);
  REQUIRE(n.pkts.size() == 4);
  CHECK(n.pkts[0].anomalies == std::vector<Anomaly>{Anomaly::caplen_exceeds_len});
  CHECK(n.pkts[1].anomalies.empty());
  CHECK(n.pkts[2].anomalies == std::vector<Anomaly>{Anomaly::caplen_exceeds_len});
  CHECK(n.pkts[3].anomalies.empty());
  // decode_packet() hands them to the decoded record (and --stats counts them there).
  Packet p;
  std::string frame = payload(20, 1);
  p.linktype = 1;
  p.caplen = 20;
  p.origlen = 10;
  p.data = as_bytes(frame);
  p.add_record_anomaly(Anomaly::caplen_exceeds_len);
  Decoded d;
  decode_packet(p, d);
  CHECK(d.has(Anomaly::caplen_exceeds_len));
  CHECK(std::string(anomaly_name(Anomaly::caplen_exceeds_len)) == "caplen_exceeds_len");
  CHECK(std::string(anomaly_name(Anomaly::bad_timestamp_fraction)) == "bad_timestamp_fraction");
  CHECK(std::string(anomaly_name(Anomaly::resynchronised)) == "resynchronised");
}

namespace {

// Ten records a few milliseconds apart, of assorted sizes.
std::vector<PcapRec> steady_records(uint32_t n = 10) {
  std::vector<PcapRec> recs;
  for (uint32_t i = 0; i < n; ++i)
    recs.push_back({1714564800 + i / 3, 1000 * i, payload(40 + (i * 37) % 200, uint8_t(i)), 40 + (i * 37) % 200 + 14});
  return recs;
}

// Bytes from a fixed xorshift sequence. Their first 4..12 bytes as a record header say
// a captured length above any limit (checked), so reading in sequence stops there.
std::string garbage(size_t n, uint32_t seed) {
  std::string g(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : g) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = char(x >> 24);
  }
  if (n >= 16) g[11] = char(0x40 | (uint8_t(g[11]) & 0x7f));  // little endian caplen >= 2^30
  return g;
}

}  // namespace

TEST_CASE("capture: garbage between two pcap records is skipped, every record after it read") {
  for (bool be : {false, true}) {
    for (size_t glen : {16, 17, 37, 64, 1000, 65536}) {
      for (size_t at : {0, 2, 9}) {  // before the first record, in the middle, before the last
        CAPTURE(be);
        CAPTURE(glen);
        CAPTURE(at);
        auto recs = steady_records();
        std::vector<size_t> bounds;
        std::string img = pcap_image(be, false, 1, 65535, recs, &bounds);
        std::string g = garbage(glen, uint32_t(glen + at));
        if (be) std::swap(g[8], g[11]);  // the caplen's high byte where a big-endian reader looks
        img.insert(bounds[at], g);
        Result r = read_all_ways(img);
        CHECK(r.last == ReadStatus::end);
        REQUIRE(r.pkts.size() == recs.size());
        for (size_t i = 0; i < recs.size(); ++i) {
          CHECK(r.pkts[i].data == recs[i].data);
          CHECK(r.pkts[i].has(Anomaly::resynchronised) == (i == at));
        }
        REQUIRE(r.skips.size() == 1);
        CHECK(r.skipped_before[0] == at);
        CHECK(r.skipped_bytes == glen);
        CHECK(r.skips[0].find("corrupt packet record at byte offset " + std::to_string(bounds[at]) +
                              ": captured length ") == 0);
        CHECK(r.skips[0].find("; resynchronised after skipping " + std::to_string(glen) + " bytes") !=
              std::string::npos);
        CHECK(r.bytes_read == img.size());
      }
    }
  }
}

TEST_CASE("capture: pcap records after a corrupt captured length") {
  auto recs = steady_records();
  std::vector<size_t> bounds;
  std::string img = pcap_image(false, true, 1, 65535, recs, &bounds);
  SUBCASE("absurd: the damaged record is lost, the rest read") {
    std::string bad = img;
    bad[bounds[4] + 11] = 0x7f;  // caplen 0x7f0000xx
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::end);
    REQUIRE(r.pkts.size() == recs.size() - 1);
    CHECK(r.pkts[4].data == recs[5].data);
    CHECK(r.pkts[4].has(Anomaly::resynchronised));
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skipped_bytes == bounds[5] - bounds[4]);
    CHECK(r.skips[0] == "corrupt packet record at byte offset " + std::to_string(bounds[4]) +
                            ": captured length 2130706620 exceeds 262144; resynchronised after skipping " +
                            std::to_string(bounds[5] - bounds[4]) + " bytes");
  }
  SUBCASE("above the snapshot length and 256 KiB, yet within the file") {
    std::string bad = img;
    bad[bounds[1] + 10] = 0x05;  // caplen 0x0005xxxx
    Result r = read_all_ways(bad);
    CHECK(r.pkts.size() == recs.size() - 1);
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skips[0].find("exceeds 262144; resynchronised") != std::string::npos);
  }
  SUBCASE("running past the end of the input: corrupt, as records follow") {
    std::string bad = img;
    bad[bounds[7] + 10] = 0x01;  // caplen 0x0001xxxx: plausible, but more than is left
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.pkts.size() == recs.size() - 1);
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skips[0].find("corrupt packet record at byte offset " + std::to_string(bounds[7]) +
                          ": captured length ") == 0);
    CHECK(r.skips[0].find("runs past the end of the input; resynchronised after skipping " +
                          std::to_string(bounds[8] - bounds[7]) + " bytes") != std::string::npos);
  }
  SUBCASE("the last record cut: truncated, as before") {
    std::string cut = img.substr(0, img.size() - 5);
    Result r = read_all_ways(cut);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.skips.empty());
    CHECK(r.pkts.size() == recs.size() - 1);
    CHECK(r.error.find("truncated packet record at byte offset " + std::to_string(bounds[9])) == 0);
  }
  SUBCASE("a record found far away in time is not taken") {
    std::vector<PcapRec> far = recs;
    for (size_t i = 5; i < far.size(); ++i) far[i].sec += 2 * 86400;
    std::vector<size_t> fb;
    std::string bad = pcap_image(false, true, 1, 65535, far, &fb);
    bad[fb[4] + 11] = 0x7f;
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.pkts.size() == 4);
    CHECK(r.skips.empty());
  }
}

TEST_CASE("capture: random garbage with no plausible record ends reading with the error, quickly") {
  for (size_t glen : {size_t(100), size_t(3) << 20}) {
    CAPTURE(glen);
    auto recs = steady_records(3);
    std::vector<size_t> bounds;
    std::string img = pcap_image(false, false, 1, 65535, recs, &bounds);
    img += garbage(glen, 7);
    auto t0 = std::chrono::steady_clock::now();
    Result r = read_all_ways(img);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(secs < 10);  // three paths; a scan is bounded to 1 MiB past the bad record
    CHECK(r.pkts.size() == 3);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.skips.empty());
    CHECK(r.skipped_bytes == 0);
    CHECK(r.error.find("corrupt packet record at byte offset " + std::to_string(bounds[3]) +
                       ": captured length ") == 0);
  }
  // A good record more than 1 MiB past the bad one is out of reach.
  auto recs = steady_records(4);
  std::vector<size_t> bounds;
  std::string img = pcap_image(false, false, 1, 65535, recs, &bounds);
  img.insert(bounds[2], garbage((1u << 20) + 100, 9));
  Result r = read_all_ways(img);
  CHECK(r.last == ReadStatus::error);
  CHECK(r.pkts.size() == 2);
  // ... and one within it is found.
  img = pcap_image(false, false, 1, 65535, recs, &bounds);
  img.insert(bounds[2], garbage((1u << 20) - 100, 9));
  r = read_all_ways(img);
  CHECK(r.last == ReadStatus::end);
  CHECK(r.pkts.size() == 4);
  CHECK(r.skipped_bytes == (1u << 20) - 100);
}

TEST_CASE("capture: pcap truncated at every byte") {
  std::vector<size_t> bounds;
  std::string img = pcap_image(false, true, 1, 65535, sample_records(), &bounds);
  for (size_t cut = 0; cut <= img.size(); ++cut) {
    CAPTURE(cut);
    std::string part = img.substr(0, cut);
    for (int way = 0; way < 2; ++way) {
      Result r = way == 0 ? read_mmap(part) : read_fd(part);
      if (cut == 0) {
        CHECK(r.open == OpenStatus::empty);
        continue;
      }
      if (cut < 24) {
        CHECK(r.open == OpenStatus::not_capture);
        continue;
      }
      REQUIRE(r.open == OpenStatus::ok);
      size_t whole = 0;
      while (whole + 1 < bounds.size() && bounds[whole + 1] <= cut) ++whole;
      CHECK(r.pkts.size() == whole);
      if (cut == bounds[whole]) {
        CHECK(r.last == ReadStatus::end);
      } else {
        CHECK(r.last == ReadStatus::error);
        size_t start = bounds[whole];
        size_t need = cut - start < 16 ? 16 : bounds[whole + 1] - start;
        CHECK(r.error == "truncated packet record at byte offset " + std::to_string(start) + ": needs " +
                             std::to_string(need) + " bytes, " + std::to_string(cut - start) + " left");
      }
    }
  }
}

namespace {

// Two sections of different byte orders; the first with two interfaces of
// different link types and resolutions, skipped blocks between packets.
Ng sample_pcapng() {
  Ng ng;
  ng.shb(false);
  ng.idb(1, 0);                        // Ethernet, default usec
  ng.idb(113, 96, 9, 100);             // Linux SLL, nsec, +100 s offset
  ng.other(4, 16);                     // NRB
  ng.epb(0, 1714564800123456ull, payload(60, 1), 60);
  ng.epb(1, 1714564800123456789ull, payload(41, 2), 1500, true);
  ng.other(5, 24);                     // ISB
  ng.other(0x0bad, 8);                 // custom
  ng.other(0x0a, 12);                  // DSB
  ng.spb(payload(33, 3), 33);
  ng.pb(1, 5000000001ull, payload(7, 4), 7);
  ng.shb(true);                        // new section, big endian: interfaces reset
  ng.idb(101, 0, 0x80 | 20);           // raw IP, 2^-20 s
  ng.idb(1, 0, 3);                     // msec
  ng.epb(0, (uint64_t(3) << 20) | (1 << 19), payload(20, 5), 20);
  ng.epb(1, 1234567, payload(0, 6), 0);
  ng.idb(228, 0, 0);                   // seconds
  ng.epb(2, 42, payload(1, 7), 1);
  return ng;
}

}  // namespace

TEST_CASE("capture: pcapng sections, interfaces, resolutions, block types") {
  Ng ng = sample_pcapng();
  Result r = read_all_ways(ng.im.b);
  REQUIRE(r.open == OpenStatus::ok);
  CHECK(r.last == ReadStatus::end);
  CHECK(r.error.empty());
  CHECK(r.linktypes == std::vector<uint32_t>{1, 113, 101, 1, 228});
  CHECK(r.snaplen == 0);
  CHECK(r.bytes_read == ng.im.b.size());
  REQUIRE(r.pkts.size() == 7);

  CHECK(r.pkts[0].interface == 0);
  CHECK(r.pkts[0].linktype == 1);
  CHECK(r.pkts[0].ts == Timestamp{1714564800, 123456000, 6});
  CHECK(r.pkts[0].ts.digits == 6);
  CHECK(r.pkts[0].data == payload(60, 1));

  CHECK(r.pkts[1].interface == 1);
  CHECK(r.pkts[1].linktype == 113);
  CHECK(r.pkts[1].ts == Timestamp{1714564900, 123456789, 9});
  CHECK(r.pkts[1].ts.digits == 9);
  CHECK(r.pkts[1].origlen == 1500);
  CHECK(r.pkts[1].data == payload(41, 2));

  // SPB: interface 0, no timestamp, caplen from the block.
  CHECK(r.pkts[2].interface == 0);
  CHECK(r.pkts[2].ts.sec == 0);
  CHECK(r.pkts[2].ts.nsec == 0);
  CHECK(r.pkts[2].data == payload(33, 3));
  CHECK(r.pkts[2].origlen == 33);

  // Obsolete Packet Block on interface 1 (nsec, +100 s).
  CHECK(r.pkts[3].interface == 1);
  CHECK(r.pkts[3].ts == Timestamp{105, 1, 9});
  CHECK(r.pkts[3].data == payload(7, 4));

  // Second section: 2^-20 resolution, 3.5 s.
  CHECK(r.pkts[4].interface == 0);
  CHECK(r.pkts[4].linktype == 101);
  CHECK(r.pkts[4].ts == Timestamp{3, 500000000, 9});
  CHECK(r.pkts[4].ts.digits == 9);  // 2^-20 s is finer than a microsecond
  CHECK(r.pkts[4].data == payload(20, 5));

  CHECK(r.pkts[5].interface == 1);
  CHECK(r.pkts[5].ts == Timestamp{1234, 567000000, 3});
  CHECK(r.pkts[5].ts.digits == 3);
  CHECK(r.pkts[5].caplen == 0);

  CHECK(r.pkts[6].interface == 2);
  CHECK(r.pkts[6].linktype == 228);
  CHECK(r.pkts[6].ts == Timestamp{42, 0, 0});
  CHECK(r.pkts[6].ts.digits == 0);
}

TEST_CASE("capture: SPB caplen limited by the interface snaplen") {
  Ng ng;
  ng.shb(true);
  ng.idb(1, 10);
  ng.spb(payload(12, 1), 1514);  // block holds 12 (padded to 12), snaplen says 10
  Result r = read_all_ways(ng.im.b);
  REQUIRE(r.pkts.size() == 1);
  CHECK(r.pkts[0].caplen == 10);
  CHECK(r.pkts[0].origlen == 1514);
  CHECK(r.pkts[0].data == payload(10, 1));
}

TEST_CASE("capture: corrupt pcapng blocks") {
  SUBCASE("undefined interface") {
    Ng ng;
    ng.shb(false);
    ng.idb(1, 0);
    ng.epb(0, 1, payload(4, 1), 4);
    ng.epb(1, 1, payload(4, 1), 4);
    Result r = read_all_ways(ng.im.b);
    CHECK(r.pkts.size() == 1);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.error == "corrupt pcapng packet block at byte offset " + std::to_string(ng.starts[3]) +
                         ": undefined interface 1");
  }
  SUBCASE("interfaces reset by a new section") {
    Ng ng;
    ng.shb(false);
    ng.idb(1, 0);
    ng.shb(false);
    ng.epb(0, 1, payload(4, 1), 4);
    Result r = read_all_ways(ng.im.b);
    CHECK(r.pkts.empty());
    CHECK(r.last == ReadStatus::error);
    CHECK(r.error.find("undefined interface 0") != std::string::npos);
  }
  SUBCASE("bad lengths") {
    Ng ng;
    ng.shb(false);
    ng.idb(1, 0);
    ng.epb(0, 1, payload(4, 1), 4);
    size_t at = ng.im.b.size();
    ng.epb(0, 1, payload(4, 1), 4);
    std::string img = ng.im.b;
    std::string odd = img;
    odd[at + 4] = char(odd[at + 4] + 1);  // not a multiple of 4
    Result r = read_all_ways(odd);
    CHECK(r.pkts.size() == 1);
    CHECK(r.error.find("corrupt pcapng block at byte offset " + std::to_string(at) + ": bad block total length") == 0);
    std::string trailer = img;
    trailer[trailer.size() - 4] = 0x7f;
    r = read_all_ways(trailer);
    CHECK(r.pkts.size() == 1);
    CHECK(r.error.find("trailing block length") != std::string::npos);
    std::string small = img;
    small[at + 4] = 8;  // below the 12-byte minimum
    small[at + 5] = 0;
    r = read_all_ways(small);
    CHECK(r.error.find("bad block total length 8") != std::string::npos);
    std::string caplen = img;
    caplen[at + 20] = 100;  // caplen beyond the block
    r = read_all_ways(caplen);
    CHECK(r.error.find("exceeds the block") != std::string::npos);
  }
  SUBCASE("bad byte-order magic in a later section") {
    Ng ng;
    ng.shb(false);
    size_t at = ng.im.b.size();
    ng.shb(false);
    ng.im.b[at + 8] = 0;
    Result r = read_all_ways(ng.im.b);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.error.find("bad byte-order magic") != std::string::npos);
  }
}

namespace {

Ng steady_pcapng(size_t n, std::vector<size_t>& epb_starts) {
  Ng ng;
  ng.shb(false);
  ng.idb(1, 0, 9);  // nsec
  for (size_t i = 0; i < n; ++i) {
    epb_starts.push_back(ng.im.b.size());
    ng.epb(0, 1714564800000000000ull + i * 1000000, payload(30 + i * 5, uint8_t(i)), uint32_t(30 + i * 5));
    if (i == 2) ng.other(5, 24);  // an ISB between packets
  }
  epb_starts.push_back(ng.im.b.size());
  return ng;
}

}  // namespace

TEST_CASE("capture: pcapng resynchronises after a block with bad framing") {
  std::vector<size_t> at;
  Ng ng = steady_pcapng(8, at);
  const std::string& img = ng.im.b;
  SUBCASE("garbage inserted between blocks, any length") {
    for (size_t glen : {1, 3, 4, 13, 100, 4096}) {
      CAPTURE(glen);
      std::string bad = img;
      bad.insert(at[5], garbage(glen, uint32_t(glen)));
      Result r = read_all_ways(bad);
      CHECK(r.last == ReadStatus::end);
      REQUIRE(r.pkts.size() == 8);
      CHECK(r.pkts[5].has(Anomaly::resynchronised));
      CHECK_FALSE(r.pkts[6].has(Anomaly::resynchronised));
      CHECK(r.pkts[7].data == payload(30 + 7 * 5, 7));
      REQUIRE(r.skips.size() == 1);
      CHECK(r.skipped_bytes == glen);
      CHECK(r.skips[0].find("corrupt pcapng ") == 0);
      CHECK(r.skips[0].find("at byte offset " + std::to_string(at[5]) + ": ") != std::string::npos);
      CHECK(r.skips[0].find("; resynchronised after skipping " + std::to_string(glen) + " bytes") !=
            std::string::npos);
    }
  }
  SUBCASE("a bad total length: that block is lost") {
    std::string bad = img;
    bad[at[4] + 4] = char(bad[at[4] + 4] + 1);  // not a multiple of 4
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.pkts.size() == 7);
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skipped_bytes == at[5] - at[4]);
    CHECK(r.skips[0].find("bad block total length") != std::string::npos);
  }
  SUBCASE("a huge total length") {
    std::string bad = img;
    bad[at[1] + 7] = 0x70;
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.pkts.size() == 7);
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skips[0].find("exceeds") != std::string::npos);
  }
  SUBCASE("a bad trailer") {
    std::string bad = img;
    bad[at[6] - 4] = 0x7f;  // the trailer of the block before packet 6 (the 6th EPB)
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.pkts.size() == 7);
    REQUIRE(r.skips.size() == 1);
    CHECK(r.skips[0].find("trailing block length") != std::string::npos);
  }
  SUBCASE("random garbage to the end: the error, as before") {
    std::string bad = img.substr(0, at[3]) + garbage(200000, 3);
    Result r = read_all_ways(bad);
    CHECK(r.last == ReadStatus::error);
    CHECK(r.pkts.size() == 3);
    CHECK(r.skips.empty());
  }
  SUBCASE("the first section header is not resynchronised past") {
    std::string bad = img;
    bad[8] = 0;  // byte-order magic
    CHECK(read_mmap(bad).open == OpenStatus::not_capture);
  }
}

TEST_CASE("capture: pcapng truncated at every byte") {
  Ng ng = sample_pcapng();
  const std::string& img = ng.im.b;
  std::vector<size_t> starts = ng.starts;
  starts.push_back(img.size());
  size_t shb_end = starts[1];
  for (size_t cut = 0; cut <= img.size(); ++cut) {
    CAPTURE(cut);
    std::string part = img.substr(0, cut);
    for (int way = 0; way < 2; ++way) {
      Result r = way == 0 ? read_mmap(part) : read_fd(part);
      if (cut == 0) {
        CHECK(r.open == OpenStatus::empty);
        continue;
      }
      if (cut < shb_end) {
        CHECK(r.open == OpenStatus::not_capture);
        continue;
      }
      REQUIRE(r.open == OpenStatus::ok);
      size_t blocks = 0, packets = 0;
      while (blocks + 1 < starts.size() && starts[blocks + 1] <= cut) packets += ng.is_packet[blocks++];
      CHECK(r.pkts.size() == packets);
      if (cut == starts[blocks]) {
        CHECK(r.last == ReadStatus::end);
      } else {
        CHECK(r.last == ReadStatus::error);
        CHECK(r.error.find("truncated pcapng") == 0);
        CHECK(r.error.find("at byte offset " + std::to_string(starts[blocks]) + ":") != std::string::npos);
        CHECK(r.error.find(std::to_string(cut - starts[blocks]) + " left") != std::string::npos);
      }
    }
  }
}

TEST_CASE("capture: records larger than the read buffer, many records across refills") {
  std::vector<PcapRec> recs;
  recs.push_back({1, 0, payload(3u << 20, 1), 3u << 20});  // 3 MiB: bigger than the 1 MiB buffer
  for (int i = 0; i < 3000; ++i) recs.push_back({uint32_t(2 + i), uint32_t(i), payload(size_t(i % 1500), uint8_t(i)), 1500});
  recs.push_back({9, 0, payload(5u << 20, 2), 5u << 20});
  std::string img = pcap_image(true, false, 1, 0, recs);
  Result r = read_all_ways(img);
  REQUIRE(r.pkts.size() == recs.size());
  CHECK(r.last == ReadStatus::end);
  for (size_t i = 0; i < recs.size(); ++i) {
    if (r.pkts[i].data != recs[i].data) {
      FAIL("packet " << i << " differs");
    }
  }
  Result f = read_fd(img, 0);  // no prefix at all
  CHECK(f.pkts.size() == recs.size());
  CHECK(f.total == img.size());

  Ng ng;
  ng.shb(false);
  ng.idb(1, 0);
  ng.other(0x0bad, 2u << 20);  // big skipped block, streamed past on the buffered path
  ng.epb(0, 7, payload(2u << 20, 3), 2u << 20);
  Result n = read_all_ways(ng.im.b);
  REQUIRE(n.pkts.size() == 1);
  CHECK(n.pkts[0].data == payload(2u << 20, 3));
}

TEST_CASE("capture: fixtures match their truth") {
  namespace fs = std::filesystem;
  fs::path dir = NETLINES_FIXTURES;
  int files = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.find(".pcap") == std::string::npos) continue;
    CAPTURE(name);
    fs::path truth_path = dir / "truth" / (e.path().stem().string() + ".json");
    REQUIRE(fs::exists(truth_path));
    nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));
    auto& cap = truth["capture"];
    Result m = drain(open_capture(e.path().string()));
    REQUIRE(m.open == OpenStatus::ok);
    CHECK(m.last == ReadStatus::end);
    CHECK(m.error.empty());
    CHECK(m.pkts.size() == cap["packets"].get<size_t>());
    CHECK(m.bytes_read == fs::file_size(e.path()));
    std::string lt = cap["linktype"];
    uint32_t want = lt == "EN10MB" ? 1 : lt == "LINUX_SLL" ? 113 : lt == "LINUX_SLL2" ? 276 : lt == "RAW" ? 101 : 9999;
    REQUIRE(!m.linktypes.empty());
    CHECK(m.linktypes[0] == want);
    for (auto& p : m.pkts) {
      CHECK(p.linktype == want);
      CHECK(p.ts.digits == (cap["ts_precision"] == "nsec" ? 9 : 6));
      CHECK(p.interface == (cap["format"] == "pcapng" ? 0 : -1));
    }
    if (cap["snaplen"].is_number()) {
      CHECK(m.snaplen == cap["snaplen"].get<uint32_t>());
    }
    // The buffered path agrees.
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check_same(m, read_pipe(bytes));
    ++files;
  }
  CHECK(files >= 20);
}

namespace {

// Ethernet / IPv4 / TCP SYN from 10.0.0.1:40000 to 10.0.0.2:<dport>.
std::string tcp_frame(uint16_t dport) {
  std::string f;
  auto b = [&](std::initializer_list<int> v) {
    for (int x : v) f.push_back(char(x));
  };
  b({0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00});                                  // Ethernet
  b({0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});            // IPv4
  b({0x9c, 0x40, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0});
  return f;
}

Packet packet_of(const std::string& f, uint32_t linktype) {
  Packet p;
  p.linktype = linktype;
  p.caplen = p.origlen = uint32_t(f.size());
  p.data = as_bytes(f);
  return p;
}

}  // namespace

TEST_CASE("bpf: compile, match, errors") {
  std::string err;
  auto f = BpfFilter::compile("tcp port 80", linktype::ethernet, 65535, err);
  REQUIRE(f);
  CHECK(err.empty());
  std::string to80 = tcp_frame(80), to81 = tcp_frame(81);
  CHECK(f->matches(packet_of(to80, linktype::ethernet)));
  CHECK_FALSE(f->matches(packet_of(to81, linktype::ethernet)));

  auto bad = BpfFilter::compile("tcp port", linktype::ethernet, 65535, err);
  CHECK_FALSE(bad);
  CHECK_FALSE(err.empty());

  BpfFilterSet set("tcp port 80");
  err.clear();
  CHECK(set.check(err));
  CHECK(set.matches(packet_of(to80, linktype::ethernet), err));
  CHECK_FALSE(set.matches(packet_of(to81, linktype::ethernet), err));
  CHECK(err.empty());
  // Raw IP (LINKTYPE_RAW 101 in files): the same expression, compiled for that link type.
  std::string raw80 = to80.substr(14), raw81 = to81.substr(14);
  CHECK(set.matches(packet_of(raw80, linktype::raw), err));
  CHECK_FALSE(set.matches(packet_of(raw81, linktype::raw), err));
  CHECK(err.empty());

  BpfFilterSet bad_set("port 80 and and");
  CHECK_FALSE(bad_set.check(err));
  CHECK_FALSE(err.empty());
  // An expression valid for one link type only: an error, remembered for that link type.
  BpfFilterSet ether_only("ether host 00:01:02:03:04:05");
  err.clear();
  CHECK(ether_only.matches(packet_of(to80, linktype::ethernet), err));
  CHECK(err.empty());
  CHECK_FALSE(ether_only.matches(packet_of(raw80, linktype::raw), err));
  CHECK_FALSE(err.empty());
  std::string first = err;
  err.clear();
  CHECK_FALSE(ether_only.matches(packet_of(raw80, linktype::raw), err));
  CHECK(err == first);
}

TEST_CASE("live: a missing interface gives a clear error") {
  std::atomic<bool> stop{false};
  LiveStats st;
  std::string err;
  LiveOptions opt;
  opt.interface = "nl_no_such_if0";
  opt.count = 1;
  bool ok = live_capture(opt, stop, [](const Packet&) {}, st, err);
  CHECK_FALSE(ok);
  CHECK(err.find("nl_no_such_if0") == 0);
  MESSAGE("live error: " << err);
}

TEST_CASE("live: loopback capture, count and stop (root only)") {
  if (::geteuid() != 0 || !std::filesystem::exists("/sys/class/net/lo")) {
    MESSAGE("skipped: needs root and a loopback interface");
    return;
  }
  // A UDP datagram to a port nothing listens on, sent until the capture has it.
  std::atomic<bool> done{false};
  std::thread sender([&] {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(39999);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (!done) {
      ::sendto(s, "netlines", 8, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      ::usleep(20000);
    }
    ::close(s);
  });
  std::atomic<bool> stop{false};
  LiveStats st;
  std::string err;
  LiveOptions opt;
  opt.interface = "lo";
  opt.filter = "udp dst port 39999";
  opt.count = 2;
  std::vector<Packet> got;
  bool ok = live_capture(opt, stop, [&](const Packet& p) { got.push_back(p); }, st, err);
  done = true;
  sender.join();
  CHECK(ok);
  CHECK(err.empty());
  REQUIRE(got.size() == 2);
  CHECK(got[0].linktype == linktype::ethernet);  // Linux loopback is DLT_EN10MB
  CHECK(got[0].caplen == 14 + 20 + 8 + 8);
  CHECK(got[0].ts.sec > 1600000000);
  CHECK(st.received >= 2);

  // The stop flag ends a capture that sees nothing.
  std::atomic<bool> stop2{false};
  std::thread stopper([&] {
    ::usleep(300000);
    stop2 = true;
  });
  opt.filter = "udp dst port 39998";
  opt.count = 0;
  got.clear();
  ok = live_capture(opt, stop2, [&](const Packet& p) { got.push_back(p); }, st, err);
  stopper.join();
  CHECK(ok);
  CHECK(got.empty());

  // A filter that does not compile.
  opt.filter = "udp dst port";
  CHECK_FALSE(live_capture(opt, stop2, [](const Packet&) {}, st, err));
  CHECK_FALSE(err.empty());
}

// pkt2pcap's writer: what it writes reads back as the packets it was given.
TEST_CASE("capture writer: pcap in micro- or nanoseconds, pcapng for pcapng sources and mixed link types") {
  struct In {
    uint32_t linktype;
    int32_t interface;
    int64_t sec;
    uint32_t nsec;
    uint8_t digits;
    std::string data;
    uint32_t origlen;
  };
  auto write_all = [](const std::vector<In>& in, CaptureStreamWriter& w) {
    std::string out, why;
    for (const In& i : in) {
      Packet p;
      p.linktype = i.linktype;
      p.interface = i.interface;
      p.ts = Timestamp{i.sec, i.nsec, i.digits};
      p.data = Bytes(reinterpret_cast<const uint8_t*>(i.data.data()), i.data.size());
      p.caplen = uint32_t(i.data.size());
      p.origlen = i.origlen;
      REQUIRE(w.write(p, out, why));
    }
    w.finish(out);
    return out;
  };
  auto same = [](const std::vector<In>& in, const Result& r, bool exact_ns) {
    REQUIRE(r.pkts.size() == in.size());
    for (size_t k = 0; k < in.size(); ++k) {
      CAPTURE(k);
      CHECK(r.pkts[k].linktype == in[k].linktype);
      CHECK(r.pkts[k].data == in[k].data);
      CHECK(r.pkts[k].origlen == in[k].origlen);
      CHECK(r.pkts[k].ts.sec == in[k].sec);
      CHECK(r.pkts[k].ts.nsec == (exact_ns ? in[k].nsec : in[k].nsec / 1000 * 1000));
    }
  };
  std::vector<In> usec = {{1, -1, 1714564800, 123456000, 6, payload(60, 1), 60},
                          {1, -1, 1714564801, 999999000, 6, payload(7, 2), 1514},  // cut: wire longer
                          {1, -1, 1714564802, 0, 6, "", 0}};
  {
    CaptureStreamWriter w;
    std::string img = write_all(usec, w);
    CHECK(!w.pcapng());
    CHECK(img.substr(0, 4) == std::string("\xd4\xc3\xb2\xa1", 4));
    Result r = read_all_ways(img);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.pkts[0].ts.digits == 6);
    same(usec, r, true);
  }
  std::vector<In> nsec = usec;
  nsec[1].nsec = 999999999;
  nsec[1].digits = 9;
  {
    CaptureStreamWriter w;
    std::string img = write_all(nsec, w);
    CHECK(img.substr(0, 4) == std::string("\x4d\x3c\xb2\xa1", 4));
    Result r = read_all_ways(img);
    CHECK(r.pkts[1].ts.digits == 9);
    same(nsec, r, true);
  }
  // Ethernet, then raw IP: one pcapng, an interface per link type.
  std::vector<In> mixed = usec;
  mixed[2].linktype = 101;
  {
    CaptureStreamWriter w;
    std::string img = write_all(mixed, w);
    CHECK(w.pcapng());
    Result r = read_all_ways(img);
    CHECK(r.last == ReadStatus::end);
    CHECK(r.linktypes == std::vector<uint32_t>{1, 101});
    same(mixed, r, true);
  }
  // From a pcapng source: pcapng, an interface per source interface and link type,
  // nanoseconds kept where the interface has them.
  std::vector<In> ng = {{1, 0, 1714564800, 1, 9, payload(20, 3), 20},
                        {113, 1, 1714564800, 5000, 6, payload(30, 4), 30},
                        {1, 0, 1714564801, 2, 9, payload(40, 5), 40}};
  {
    CaptureStreamWriter w;
    std::string img = write_all(ng, w);
    CHECK(w.pcapng());
    Result r = read_all_ways(img);
    CHECK(r.linktypes == std::vector<uint32_t>{1, 113});
    same(ng, r, true);
    CHECK(r.pkts[0].interface == 0);
    CHECK(r.pkts[1].interface == 1);
  }
  // No packet at all: a pcap header of the link type given.
  {
    CaptureStreamWriter w;
    std::string out;
    w.finish(out, 101);
    Result r = read_all_ways(out);
    CHECK(r.open == OpenStatus::ok);
    CHECK(r.linktypes == std::vector<uint32_t>{101});
    CHECK(r.pkts.empty());
  }
}
