// SessionRecordReader (tcpflow-reasm's JSON Lines read back into SessionSink calls):
// every line of the input; the sink checks the call order. The reader is then fed to
// an HTTP and a TLS sink as the tools do.
#include <string>
#include <string_view>

#include "libcore/record/session_record.hpp"
#include "tests/fuzz/fuzz_common.hpp"

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
  {
    SessionRecordReader reader(sink);
    std::string type, msg;
    size_t start = 0;
    while (start <= all.size()) {
      size_t nl = all.find('\n', start);
      std::string_view line = all.substr(
          start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      auto st = reader.read(line, type, msg);
      if (st == SessionRecordReader::Status::error) FUZZ_CHECK(!msg.empty());
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    reader.finish();
  }
  FUZZ_CHECK(sink.live.empty());
  return 0;
}
