// SessionRecordReader (tcpflow-reasm's JSON Lines read back into SessionSink calls):
// every line of the input; the sink checks the call order. The reader is then fed to
// an HTTP and a TLS sink as the tools do. The fast scanner's reading is compared
// with the DOM's: same statuses, messages and sink calls.
#include <string>
#include <string_view>

#include "libcore/record/session_record.hpp"
#include "tests/fuzz/fuzz_common.hpp"
#include "tests/unit/session_trace.hpp"

using namespace nl;

namespace {
// Start/end order only: piece arithmetic comes from the records as written, which a
// hostile input may make inconsistent (the reader need not repair it).
class OrderSink : public SessionSink {
 public:
  std::map<uint64_t, int> live;
  void session_start(const SessionView& s) override {
    FUZZ_CHECK(live.find(s.session_no) == live.end());
    live[s.session_no] = 1;
  }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    FUZZ_CHECK(live.find(s.session_no) != live.end());
    (void)p.data.size();
    if (!p.data.empty()) (void)p.data[p.data.size() - 1];
  }
  void session_end(const SessionView& s, const SessionEnd&) override {
    FUZZ_CHECK(live.erase(s.session_no) == 1);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  OrderSink sink;
  test::TraceSink fast_trace, dom_trace;
  {
    SessionRecordReader reader(sink), fast(fast_trace), dom(dom_trace, true);
    std::string type, msg, type_fast, msg_fast, type_dom, msg_dom;
    size_t start = 0;
    while (start <= all.size()) {
      size_t nl = all.find('\n', start);
      std::string_view line = all.substr(
          start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      auto st = reader.read(line, type, msg);
      if (st == SessionRecordReader::Status::error) FUZZ_CHECK(!msg.empty());
      msg_fast.clear();
      msg_dom.clear();
      auto st_fast = fast.read(line, type_fast, msg_fast);
      auto st_dom = dom.read(line, type_dom, msg_dom);
      FUZZ_CHECK(st_fast == st_dom && msg_fast == msg_dom);
      if (st_fast != SessionRecordReader::Status::error) FUZZ_CHECK(type_fast == type_dom);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    reader.finish();
    fast.finish();
    dom.finish();
  }
  FUZZ_CHECK(sink.live.empty());
  FUZZ_CHECK(fast_trace.trace == dom_trace.trace);
  return 0;
}
