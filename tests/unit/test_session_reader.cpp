// tcpflow-reasm's records read back: the fast scanner and the DOM must make the
// same sink calls for every line, our own lines and mutated ones.
#include <doctest/doctest.h>

#include <filesystem>

#include "libcore/capture/reader.hpp"
#include "libcore/reasm/tcp.hpp"
#include "libcore/record/session_record.hpp"
#include "tests/unit/session_trace.hpp"

using namespace nl;

namespace {

// Writes the records tcpflow-reasm writes, one string per line.
class RecordLines : public SessionSink {
 public:
  std::vector<std::string> lines;
  TimeFormat time = TimeFormat::iso;
  void session_start(const SessionView& s) override { add([&](std::string& o) { write_session_start(o, s, time); }); }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    add([&](std::string& o) { write_monologue(o, s, p, DataMode::b64, time); });
  }
  void session_end(const SessionView& s, const SessionEnd& e) override {
    add([&](std::string& o) { write_session_end(o, s, e, time); });
  }

 private:
  template <class Write>
  void add(Write write) {
    std::string line;
    write(line);
    line.pop_back();  // the newline
    lines.push_back(std::move(line));
  }
};

struct Compared {
  size_t lines = 0;
  uint64_t dom_reads = 0;
};

// Reads the lines with both readers; everything a caller sees must be the same.
Compared compare_readers(const std::vector<std::string>& lines) {
  test::TraceSink fast_sink, dom_sink;
  SessionRecordReader fast(fast_sink), dom(dom_sink, true);
  std::string type_a, type_b, msg_a, msg_b;
  for (const std::string& line : lines) {
    msg_a.clear();
    msg_b.clear();
    auto sa = fast.read(line, type_a, msg_a);
    auto sb = dom.read(line, type_b, msg_b);
    INFO(line.substr(0, 300));
    REQUIRE(int(sa) == int(sb));
    CHECK(msg_a == msg_b);
    if (sa != SessionRecordReader::Status::error) CHECK(type_a == type_b);
  }
  fast.finish();
  dom.finish();
  CHECK(fast_sink.trace == dom_sink.trace);
  return {lines.size(), fast.dom_reads()};
}

}  // namespace

TEST_CASE("session reader: the fast scanner reads every record as the DOM does, mutated records too") {
  namespace fs = std::filesystem;
  const std::string specials = "\\\"-.eE0 9}]{[,:tfn\x01\t\xc3\xa9x";
  size_t files = 0, mutated = 0;
  for (const auto& entry : fs::directory_iterator(NETLINES_FIXTURES)) {
    std::string path = entry.path().string();
    if (path.find(".pcap") == std::string::npos) continue;
    for (TimeFormat tf : {TimeFormat::iso, TimeFormat::epoch}) {
      OpenResult r = open_capture(path);
      REQUIRE(r.status == OpenStatus::ok);
      RecordLines records;
      records.time = tf;
      {
        TcpReassembler engine(records);
        Packet p;
        Decoded d;
        while (r.source->next(p) == ReadStatus::ok) {
          decode_frame(p.linktype, p.data, p.origlen, d);
          engine.feed(p, d);
        }
        engine.finish();
      }
      Compared c = compare_readers(records.lines);
      // Our own ISO lines all stay on the fast path; epoch numbers go to the DOM.
      if (tf == TimeFormat::iso) CHECK(c.dom_reads == 0);
      else if (c.lines) CHECK(c.dom_reads == c.lines);
      if (tf == TimeFormat::epoch) continue;
      // Every 11th position of the first records: cut there, or put a special
      // character there (each mutated stream is compared as a whole).
      std::vector<std::string> changed_lines;
      for (size_t i = 0; i < records.lines.size() && i < 12; ++i) {
        const std::string& line = records.lines[i];
        for (size_t at = 0; at < line.size() && at < 1200; at += 11) {
          changed_lines.push_back(line.substr(0, at));
          std::string changed = line;
          changed[at] = specials[(at / 11 + i) % specials.size()];
          changed_lines.push_back(changed);
        }
        changed_lines.push_back(line);
      }
      mutated += changed_lines.size();
      compare_readers(changed_lines);
    }
    ++files;
  }
  CHECK(files >= 20);
  CHECK(mutated > 1000);
  // Hand-made cases: duplicate keys (the first counts), bad data replaced by a
  // duplicate, numbers the scanner leaves to the DOM.
  std::string start =
      R"({"type":"session_start","ts":"2024-01-01T00:00:00Z","flow_id":7,"community_id":"1:x","src_ip":"10.0.0.1",)"
      R"("src_port":1,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","vlan":null,"client_rule":"syn","handshake":true})";
  std::string mono = R"({"type":"monologue","flow_id":7,"dir":"c2s","monologue":1,"piece":0,"offset":0,"gap_before":0,)"
                     R"("packets":1,"last":true,"first_ts":"2024-01-01T00:00:00Z","last_ts":"2024-01-01T00:00:01Z",)";
  compare_readers({start, mono + R"("data":"YWJj"})", mono + R"("data":"YWJj","data":"!!!!"})",
                   mono + "\"data\":\"YW\x01Jj\",\"data\":\"YWJj\"}", mono + R"("data":"YW\u004aj"})",
                   mono + R"("data":"YWJj","flow_id":8})", R"({"type":"monologue","type":"session_start","flow_id":7})",
                   mono + R"("data":"YWJj","first_ts":1.5})", R"({"type":"session_end","flow_id":7,"reason":"fin",)"
                   R"("ts":"2024-01-01T00:00:02Z","c2s":{"packets":1,"bytes":3,"missing_bytes":0,"retransmitted_bytes":0,)"
                   R"("truncated_bytes":0,"packets":-1},"s2c":{"packets":0,"bytes":0,"missing_bytes":0,)"
                   R"("retransmitted_bytes":0,"truncated_bytes":0}})"});
}

TEST_CASE("session reader: dropped_over_cap_bytes is read back; lines without it read as 0") {
  std::string start =
      R"({"type":"session_start","ts":"2024-01-01T00:00:00Z","flow_id":7,"community_id":"1:x","src_ip":"10.0.0.1",)"
      R"("src_port":1,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","vlan":null,"client_rule":"syn","handshake":true})";
  auto end = [](const char* c2s_extra) {
    return std::string(R"({"type":"session_end","flow_id":7,"reason":"fin","ts":"2024-01-01T00:00:02Z",)"
                       R"("c2s":{"packets":1,"bytes":3,"missing_bytes":5,"retransmitted_bytes":0,)") +
           c2s_extra +
           R"("truncated_bytes":0},"s2c":{"packets":0,"bytes":0,"missing_bytes":0,)"
           R"("retransmitted_bytes":0,"truncated_bytes":0}})";
  };
  struct Ends : SessionSink {
    std::vector<SessionEnd> ends;
    void session_start(const SessionView&) override {}
    void monologue(const SessionView&, const MonologuePiece&) override {}
    void session_end(const SessionView&, const SessionEnd& e) override { ends.push_back(e); }
  };
  for (bool dom : {false, true}) {
    Ends sink;
    SessionRecordReader reader(sink, dom);
    std::string type, msg;
    for (const std::string& line : {start, end(R"("dropped_over_cap_bytes":5,)"), start, end("")})
      CHECK(reader.read(line, type, msg) == SessionRecordReader::Status::ok);
    CHECK(reader.read(start, type, msg) == SessionRecordReader::Status::ok);
    CHECK(reader.read(end(R"("dropped_over_cap_bytes":"x",)"), type, msg) == SessionRecordReader::Status::error);
    reader.finish();
    REQUIRE(sink.ends.size() >= 2);
    CHECK(sink.ends[0].c2s.dropped_over_cap == 5);
    CHECK(sink.ends[1].c2s.dropped_over_cap == 0);
  }
  compare_readers({start, end(R"("dropped_over_cap_bytes":5,)"), start, end(""), start,
                   end(R"("dropped_over_cap_bytes":-1,)")});
}

TEST_CASE("session reader: the reason interrupted is written, read back, and given to sessions left open") {
  OpenResult r = open_capture(std::string(NETLINES_FIXTURES) + "/http_keepalive.pcapng");
  REQUIRE(r.status == OpenStatus::ok);
  RecordLines records;
  {
    TcpReassembler engine(records);
    Packet p;
    Decoded d;
    for (int i = 0; i < 6 && r.source->next(p) == ReadStatus::ok; ++i) {  // the session still open
      decode_frame(p.linktype, p.data, p.origlen, d);
      engine.feed(p, d);
    }
    engine.finish(EndReason::interrupted);
  }
  REQUIRE(!records.lines.empty());
  CHECK(records.lines.back().find("\"type\":\"session_end\"") != std::string::npos);
  CHECK(records.lines.back().find("\"reason\":\"interrupted\"") != std::string::npos);
  // Read back: the same lines again.
  RecordLines again;
  SessionRecordReader reader(again);
  std::string type, message;
  for (const std::string& line : records.lines)
    REQUIRE(reader.read(line, type, message) == SessionRecordReader::Status::ok);
  reader.finish();
  CHECK(again.lines == records.lines);
  // Without its session_end, the session is ended by finish() with the reason given.
  RecordLines cut;
  SessionRecordReader reader2(cut);
  for (size_t i = 0; i + 1 < records.lines.size(); ++i) REQUIRE(reader2.read(records.lines[i], type, message) == SessionRecordReader::Status::ok);
  reader2.finish(EndReason::interrupted);
  REQUIRE(cut.lines.size() == records.lines.size());
  CHECK(cut.lines.back().find("\"reason\":\"interrupted\"") != std::string::npos);
}

TEST_CASE("session reader: each error has its kind and cause for the once-per-cause report") {
  test::TraceSink sink;
  SessionRecordReader reader(sink);
  std::string type, msg;
  auto kind_of = [&](std::string_view line) {
    msg.clear();
    if (reader.read(line, type, msg) != SessionRecordReader::Status::error) return std::string("ok");
    CHECK(reader.problem().message == msg);
    CHECK(reader.problem().cause == msg);
    return std::string(reader.problem().kind);
  };
  CHECK(kind_of("") == "empty_line");
  CHECK(kind_of("  \t") == "empty_line");
  CHECK(kind_of("{broken") == "not_json");
  CHECK(kind_of(R"({"type":"session_end"})") == "missing_field");
  CHECK(kind_of(R"({"type":"monologue","flow_id":1})") == "bad_record");
  CHECK(msg == "monologue for a session without session_start");
  CHECK(kind_of(R"({"type":"flow"})") == "ok");
  CHECK(!reader.problem());
}
